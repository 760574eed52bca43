//! Where and how to reach an OpenAI-compatible endpoint.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::Url;
use thiserror::Error;

/// Why an [`EndpointConfig`] cannot be used. Messages never contain the API key.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    /// The base URL does not parse as a URL.
    #[error("the base URL is not a valid URL: {0}")]
    InvalidBaseUrl(String),
    /// The base URL is not `http` or `https`.
    #[error("the base URL must start with http:// or https://, not {0}://")]
    UnsupportedScheme(String),
    /// The API key contains characters an HTTP header cannot carry (e.g. a line break).
    #[error("the API key contains characters that cannot be sent in an HTTP header")]
    InvalidApiKey,
    /// The HTTP client could not be created (e.g. TLS initialisation failed).
    #[error("could not create the HTTP client: {0}")]
    Client(String),
    /// An embedder was asked for vectors of zero dimensions.
    #[error("an embedding needs at least one dimension")]
    ZeroDimension,
    /// An embedder was configured without a model: embedding requests must name one.
    #[error("the embedding model is not set")]
    MissingModel,
}

/// An OpenAI-compatible endpoint and the settings of the pipeline stage that uses it: base
/// URL, optional API key, model, and optional temperature, token limit and time limit.
///
/// `base_url` is the API root that OpenAI's own clients take, ending in `/v1` for most
/// servers: `https://api.openai.com/v1`, `http://127.0.0.1:11434/v1` (Ollama),
/// `http://127.0.0.1:8080/v1` (llama.cpp). The clients append `/chat/completions` or
/// `/embeddings`; a trailing slash is tolerated and a query string (e.g. `?api-version=…`) is
/// kept.
///
/// The API key is sent only as `Authorization: Bearer <key>` to this base URL. `Debug` shows
/// it as `[redacted]`, and the client scrubs it from every error message. An empty key counts
/// as no key: local servers such as Ollama need none.
///
/// `model`, `temperature` and `max_tokens` are defaults: a request that sets its own wins.
#[derive(Clone, PartialEq)]
pub struct EndpointConfig {
    /// The API root, e.g. `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// The bearer token, if the endpoint needs one.
    pub api_key: Option<String>,
    /// The model used when a request does not name one; for an embedder, the embedding model.
    pub model: String,
    /// How long a whole call may take, retries and their waits included; no limit when
    /// `None`. Running out is [`ModelError::Timeout`](persona_core::model::ModelError::Timeout).
    pub timeout: Option<Duration>,
    /// The sampling temperature when a request sets none.
    pub temperature: Option<f32>,
    /// The token limit of a completion when a request sets none.
    pub max_tokens: Option<u32>,
    /// Whether the endpoint supports `response_format: {"type": "json_schema", …}` (OpenAI,
    /// vLLM, recent llama.cpp and Ollama); when `false`, structured output is asked for in
    /// words. Default `true`.
    pub json_schema: bool,
}

impl EndpointConfig {
    /// An endpoint without API key or timeout.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        EndpointConfig {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            timeout: None,
            temperature: None,
            max_tokens: None,
            json_schema: true,
        }
    }

    /// Sets the API key (builder style).
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// Sets the timeout (builder style).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the time limit in milliseconds (builder style).
    pub fn with_timeout_ms(self, timeout_ms: u64) -> Self {
        self.with_timeout(Duration::from_millis(timeout_ms))
    }

    /// Sets the default temperature (builder style).
    pub fn with_temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Sets the default token limit (builder style).
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Says whether the endpoint supports `json_schema` response formats (builder style).
    pub fn with_json_schema(mut self, supported: bool) -> Self {
        self.json_schema = supported;
        self
    }

    /// The API key, unless absent or empty.
    pub(crate) fn bearer_token(&self) -> Option<&str> {
        self.api_key.as_deref().filter(|key| !key.is_empty())
    }

    /// Checks that the API key can be sent as a header.
    pub(crate) fn check_api_key(&self) -> Result<(), ConfigError> {
        match self.bearer_token() {
            Some(key) => {
                HeaderValue::from_str(&format!("Bearer {key}")).map(drop).map_err(|_| ConfigError::InvalidApiKey)
            }
            None => Ok(()),
        }
    }

    /// `<base_url>/chat/completions`.
    pub fn chat_completions_url(&self) -> Result<Url, ConfigError> {
        self.endpoint_url(&["chat", "completions"])
    }

    /// `<base_url>/models`: the model list (`GET`).
    pub fn models_url(&self) -> Result<Url, ConfigError> {
        self.endpoint_url(&["models"])
    }

    /// `<base_url>/embeddings`.
    pub fn embeddings_url(&self) -> Result<Url, ConfigError> {
        self.endpoint_url(&["embeddings"])
    }

    /// The base URL with `segments` appended to its path, keeping any query string.
    fn endpoint_url(&self, segments: &[&str]) -> Result<Url, ConfigError> {
        let mut url =
            Url::parse(self.base_url.trim()).map_err(|error| ConfigError::InvalidBaseUrl(error.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::UnsupportedScheme(url.scheme().to_owned()));
        }
        url.path_segments_mut()
            .map_err(|()| ConfigError::InvalidBaseUrl("it cannot have a path".to_owned()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }
}

impl fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("temperature", &self.temperature)
            .field("max_tokens", &self.max_tokens)
            .field("json_schema", &self.json_schema)
            .finish()
    }
}

/// `url` without user name, password or query, for error messages.
pub(crate) fn display_url(url: &Url) -> String {
    let mut shown = url.clone();
    // Both fail only for URLs that cannot carry credentials, which then have none to hide.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(base: &str) -> String {
        EndpointConfig::new(base, "m").chat_completions_url().unwrap().to_string()
    }

    #[test]
    fn appends_chat_completions_with_or_without_trailing_slash() {
        assert_eq!(url("http://127.0.0.1:11434/v1"), "http://127.0.0.1:11434/v1/chat/completions");
        assert_eq!(url("http://127.0.0.1:11434/v1/"), "http://127.0.0.1:11434/v1/chat/completions");
        assert_eq!(url(" https://api.openai.com/v1 "), "https://api.openai.com/v1/chat/completions");
        assert_eq!(url("http://localhost:8080"), "http://localhost:8080/chat/completions");
        assert_eq!(
            url("https://x.example/openai/v1?api-version=2"),
            "https://x.example/openai/v1/chat/completions?api-version=2"
        );
    }

    #[test]
    fn appends_embeddings_like_chat_completions() {
        let url = |base: &str| EndpointConfig::new(base, "m").embeddings_url().unwrap().to_string();
        assert_eq!(url("http://127.0.0.1:11434/v1/"), "http://127.0.0.1:11434/v1/embeddings");
        assert_eq!(url("https://x.example/v1?api-version=2"), "https://x.example/v1/embeddings?api-version=2");
    }

    #[test]
    fn appends_models_like_chat_completions() {
        let url = |base: &str| EndpointConfig::new(base, "m").models_url().unwrap().to_string();
        assert_eq!(url("http://127.0.0.1:11434/v1/"), "http://127.0.0.1:11434/v1/models");
        assert_eq!(url("https://x.example/v1?api-version=2"), "https://x.example/v1/models?api-version=2");
    }

    #[test]
    fn rejects_unusable_base_urls() {
        let bad = |base: &str| EndpointConfig::new(base, "m").chat_completions_url().unwrap_err();
        assert!(matches!(
            bad("127.0.0.1:11434/v1"),
            ConfigError::UnsupportedScheme(_) | ConfigError::InvalidBaseUrl(_)
        ));
        assert!(matches!(bad("not a url"), ConfigError::InvalidBaseUrl(_)));
        assert_eq!(bad("ftp://host/v1"), ConfigError::UnsupportedScheme("ftp".into()));
    }

    #[test]
    fn debug_redacts_the_api_key() {
        let config = EndpointConfig::new("http://h/v1", "m").with_api_key("sk-secret-value");
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-secret-value"), "{shown}");
        assert!(shown.contains("[redacted]") && shown.contains("http://h/v1"));
        assert!(format!("{:?}", EndpointConfig::new("http://h/v1", "m")).contains("api_key: None"));
    }

    #[test]
    fn empty_key_is_no_key_and_bad_keys_are_rejected() {
        assert_eq!(EndpointConfig::new("http://h/v1", "m").with_api_key("").bearer_token(), None);
        let broken = EndpointConfig::new("http://h/v1", "m").with_api_key("sk-\nline");
        assert_eq!(broken.check_api_key(), Err(ConfigError::InvalidApiKey));
    }

    #[test]
    fn display_url_hides_credentials_and_query() {
        let url = Url::parse("https://user:pw@host/v1/chat/completions?key=abc").unwrap();
        assert_eq!(display_url(&url), "https://host/v1/chat/completions");
    }
}
