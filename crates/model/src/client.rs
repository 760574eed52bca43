//! The HTTP client: [`OpenAiChatModel`].

use std::error::Error as _;

use persona_core::model::{ChatModel, Completion, CompletionRequest, ModelError};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::Url;

use crate::config::{display_url, ConfigError, EndpointConfig};
use crate::response::{completion_from_body, error_from_status, redact};
use crate::wire::{ChatCompletionRequest, ChatMessage};

/// A [`ChatModel`] backed by an OpenAI-compatible `/chat/completions` endpoint.
///
/// Works natively (tokio, rustls) and in the browser (`fetch`); cloning is cheap and shares
/// the connection pool.
#[derive(Clone, Debug)]
pub struct OpenAiChatModel {
    config: EndpointConfig,
    url: Url,
    client: reqwest::Client,
}

impl OpenAiChatModel {
    /// A client for `config`, with its own connection pool.
    pub fn new(config: EndpointConfig) -> Result<Self, ConfigError> {
        let builder = reqwest::Client::builder();
        #[cfg(not(target_arch = "wasm32"))]
        let builder = builder.user_agent(concat!("persona-model/", env!("CARGO_PKG_VERSION")));
        let client = builder.build().map_err(|error| ConfigError::Client(error.to_string()))?;
        OpenAiChatModel::with_client(config, client)
    }

    /// A client for `config` that shares an existing `reqwest::Client` (and its pool).
    pub fn with_client(config: EndpointConfig, client: reqwest::Client) -> Result<Self, ConfigError> {
        let url = config.chat_completions_url()?;
        config.check_api_key()?;
        Ok(OpenAiChatModel { config, url, client })
    }

    /// The endpoint this client talks to.
    pub fn config(&self) -> &EndpointConfig {
        &self.config
    }

    /// The wire request for `request`: its model, or the endpoint's when it names none.
    pub fn wire_request(&self, request: &CompletionRequest) -> ChatCompletionRequest {
        let model = if request.model.is_empty() { &self.config.model } else { &request.model };
        ChatCompletionRequest {
            model: model.clone(),
            messages: request.messages.iter().map(ChatMessage::from).collect(),
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            stream: None,
            stream_options: None,
        }
    }

    /// Sends `body` and returns the response of whatever status; errors only when no HTTP
    /// answer arrived. `accept` is the media type asked for (`application/json` now,
    /// `text/event-stream` for streaming).
    async fn post(&self, body: &ChatCompletionRequest, accept: &'static str) -> Result<reqwest::Response, ModelError> {
        let mut request = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, accept)
            .json(body);
        if let Some(key) = self.config.bearer_token() {
            request = request.bearer_auth(key);
        }
        if let Some(timeout) = self.config.timeout {
            request = request.timeout(timeout);
        }
        request.send().await.map_err(|error| self.network_error(error))
    }

    async fn complete_once(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
        let body = self.wire_request(request);
        let response = self.post(&body, "application/json").await?;
        let status = response.status();
        let headers = response.headers().clone();
        if status.is_success() {
            let bytes = response.bytes().await.map_err(|error| self.network_error(error))?;
            completion_from_body(&bytes, &body.model)
        } else {
            // The status already says what went wrong; a body that breaks off only loses detail.
            let bytes = response.bytes().await.unwrap_or_default();
            Err(error_from_status(status.as_u16(), &headers, &bytes))
        }
    }

    /// A transport failure as [`ModelError::Network`], with the cause chain but without the
    /// URL's credentials or query.
    fn network_error(&self, error: reqwest::Error) -> ModelError {
        let mut message = format!("POST {}: ", display_url(&self.url));
        if error.is_timeout() {
            message.push_str("timed out");
            if let Some(timeout) = self.config.timeout {
                message.push_str(&format!(" after {timeout:?}"));
            }
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

impl ChatModel for OpenAiChatModel {
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
        self.complete_once(request).await.map_err(|error| redact(error, self.config.bearer_token()))
    }
}
