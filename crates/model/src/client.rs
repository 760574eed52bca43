//! The HTTP client: [`OpenAiChatModel`].

use persona_core::model::{ChatModel, Completion, CompletionRequest, ModelError};

use crate::config::{ConfigError, EndpointConfig};
use crate::response::{completion_from_body, redact};
use crate::transport::Transport;
use crate::wire::{ChatCompletionRequest, ChatMessage};

/// A [`ChatModel`] backed by an OpenAI-compatible `/chat/completions` endpoint.
///
/// Works natively (tokio, rustls) and in the browser (`fetch`); cloning is cheap and shares
/// the connection pool.
#[derive(Clone, Debug)]
pub struct OpenAiChatModel {
    transport: Transport,
}

impl OpenAiChatModel {
    /// A client for `config`, with its own connection pool.
    pub fn new(config: EndpointConfig) -> Result<Self, ConfigError> {
        OpenAiChatModel::with_client(config, Transport::default_client()?)
    }

    /// A client for `config` that shares an existing `reqwest::Client` (and its pool).
    pub fn with_client(config: EndpointConfig, client: reqwest::Client) -> Result<Self, ConfigError> {
        let url = config.chat_completions_url()?;
        Ok(OpenAiChatModel { transport: Transport::new(config, url, client)? })
    }

    /// The endpoint this client talks to.
    pub fn config(&self) -> &EndpointConfig {
        self.transport.config()
    }

    /// The wire request for `request`: its model, or the endpoint's when it names none.
    pub fn wire_request(&self, request: &CompletionRequest) -> ChatCompletionRequest {
        let model = if request.model.is_empty() { &self.config().model } else { &request.model };
        ChatCompletionRequest {
            model: model.clone(),
            messages: request.messages.iter().map(ChatMessage::from).collect(),
            temperature: request.temperature,
            max_tokens: request.max_tokens,
            stream: None,
            stream_options: None,
        }
    }

    async fn complete_once(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
        let body = self.wire_request(request);
        let bytes = self.transport.post_json(&body).await?;
        completion_from_body(&bytes, &body.model)
    }
}

impl ChatModel for OpenAiChatModel {
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
        self.complete_once(request).await.map_err(|error| redact(error, self.transport.secret()))
    }
}
