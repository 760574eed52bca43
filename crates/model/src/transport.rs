//! The HTTP step shared by every endpoint client: POST a JSON body to one URL of an
//! [`EndpointConfig`], and turn a failure into a [`ModelError`].
//!
//! [`OpenAiChatModel`](crate::OpenAiChatModel) and [`OpenAiEmbedder`](crate::OpenAiEmbedder)
//! each own a [`Transport`], so headers, the bearer token, the timeout and the wording of
//! network and HTTP errors are the same for both.

use std::error::Error as _;

use persona_core::model::ModelError;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::Serialize;

use crate::config::{display_url, ConfigError, EndpointConfig};
use crate::response::error_from_status;

/// An endpoint URL with its configuration and HTTP client.
#[derive(Clone, Debug)]
pub(crate) struct Transport {
    config: EndpointConfig,
    url: Url,
    client: reqwest::Client,
}

impl Transport {
    /// A fresh `reqwest::Client` with its own connection pool (and, natively, our user agent).
    pub(crate) fn default_client() -> Result<reqwest::Client, ConfigError> {
        let builder = reqwest::Client::builder();
        #[cfg(not(target_arch = "wasm32"))]
        let builder = builder.user_agent(concat!("persona-model/", env!("CARGO_PKG_VERSION")));
        builder.build().map_err(|error| ConfigError::Client(error.to_string()))
    }

    /// A transport to `url` (one of `config`'s endpoint URLs); checks that the API key can be
    /// sent.
    pub(crate) fn new(config: EndpointConfig, url: Url, client: reqwest::Client) -> Result<Self, ConfigError> {
        config.check_api_key()?;
        Ok(Transport { config, url, client })
    }

    /// The endpoint configuration.
    pub(crate) fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// The API key to scrub from error messages, if any.
    pub(crate) fn secret(&self) -> Option<&str> {
        self.config.bearer_token()
    }

    /// A request to the URL with the `Accept` header, the bearer token and the time limit.
    fn request(&self, method: Method, accept: &'static str) -> reqwest::RequestBuilder {
        let mut request = self.client.request(method, self.url.clone()).header(ACCEPT, accept);
        if let Some(key) = self.config.bearer_token() {
            request = request.bearer_auth(key);
        }
        if let Some(timeout) = self.config.timeout {
            request = request.timeout(timeout);
        }
        request
    }

    /// Sends `body` and returns the response of whatever status; errors only when no HTTP
    /// answer arrived. `accept` is the media type asked for (`application/json` now,
    /// `text/event-stream` for streaming).
    pub(crate) async fn post<B: Serialize + ?Sized>(
        &self,
        body: &B,
        accept: &'static str,
    ) -> Result<reqwest::Response, ModelError> {
        self.post_raw(body, accept).await.map_err(|error| self.network_error(error))
    }

    /// [`Transport::post`] with reqwest's own error, for callers that tell failures apart
    /// (the connection probe).
    pub(crate) async fn post_raw<B: Serialize + ?Sized>(
        &self,
        body: &B,
        accept: &'static str,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.request(Method::POST, accept).header(CONTENT_TYPE, "application/json").json(body).send().await
    }

    /// `GET` the URL; the response of whatever status, or reqwest's error when no HTTP answer
    /// arrived.
    pub(crate) async fn get_raw(&self, accept: &'static str) -> Result<reqwest::Response, reqwest::Error> {
        self.request(Method::GET, accept).send().await
    }

    /// The URL this transport calls.
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    /// Sends `body` asking for JSON and returns the body of a 2xx answer; any other status
    /// becomes the error [`error_from_status`] makes of it.
    pub(crate) async fn post_json<B: Serialize + ?Sized>(&self, body: &B) -> Result<Vec<u8>, ModelError> {
        let response = self.post(body, "application/json").await?;
        let status = response.status();
        if status.is_success() {
            let bytes = response.bytes().await.map_err(|error| self.network_error(error))?;
            Ok(bytes.to_vec())
        } else {
            let headers = response.headers().clone();
            // The status already says what went wrong; a body that breaks off only loses detail.
            let bytes = response.bytes().await.unwrap_or_default();
            Err(error_from_status(status.as_u16(), &headers, &bytes))
        }
    }

    /// The configured time limit in milliseconds, if any.
    pub(crate) fn timeout_ms(&self) -> Option<u64> {
        self.config.timeout.map(|timeout| u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX))
    }

    /// A body read that failed after a 2xx status: the stream broke off.
    pub(crate) fn body_error(&self, error: reqwest::Error) -> ModelError {
        match self.network_error(error) {
            ModelError::Network(message) => ModelError::Interrupted(message),
            other => other,
        }
    }

    /// A transport failure as [`ModelError::Network`] (or [`ModelError::Timeout`] when the time
    /// limit ran out), with the cause chain but without the URL's credentials or query.
    pub(crate) fn network_error(&self, error: reqwest::Error) -> ModelError {
        self.network_error_for("POST", error)
    }

    /// [`Transport::network_error`] for a request of another method.
    pub(crate) fn network_error_for(&self, method: &str, error: reqwest::Error) -> ModelError {
        let mut message = format!("{method} {}: ", display_url(&self.url));
        if error.is_timeout() {
            if let Some(after_ms) = self.timeout_ms() {
                return ModelError::Timeout { after_ms };
            }
            message.push_str("timed out");
            return ModelError::Network(message);
        }
        let error = error.without_url();
        message.push_str(&error.to_string());
        let mut source = error.source();
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            // hyper and reqwest often repeat a cause's text one level up.
            if !message.ends_with(&cause_text) {
                message.push_str(": ");
                message.push_str(&cause_text);
            }
            source = cause.source();
        }
        ModelError::Network(message)
    }
}
