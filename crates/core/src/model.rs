//! The chat-model interface that every stage calls.
//!
//! The core only knows this trait and these plain types; the OpenAI-compatible wire format and
//! the HTTP transports live in the `persona-model` crate. Methods return futures without a
//! `Send` bound so the browser implementation (single-threaded, `fetch`) fits.

use std::future::Future;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One message of a chat-completion request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage { role: "system".into(), content: content.into() }
    }
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage { role: "user".into(), content: content.into() }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage { role: "assistant".into(), content: content.into() }
    }
}

/// A request for one completion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
}

/// The model's answer and what it cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub text: String,
    /// The model that answered, as the endpoint reports it.
    pub model: String,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
}

/// Why a completion failed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ModelError {
    /// The request never got an HTTP answer (DNS, refused connection, CORS, offline).
    #[error("could not reach the model endpoint: {0}")]
    Network(String),
    /// The endpoint answered with an error status.
    #[error("the model endpoint answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// HTTP 429; `retry_after_ms` from the `Retry-After` header when present.
    #[error("the model endpoint is rate-limiting requests")]
    RateLimited { retry_after_ms: Option<u64> },
    /// The body could not be read as a chat completion.
    #[error("the model endpoint sent a response that is not a chat completion: {0}")]
    Malformed(String),
}

/// Something that completes chats: a remote endpoint, or a scripted model in tests.
pub trait ChatModel {
    fn complete(&self, request: &CompletionRequest) -> impl Future<Output = Result<Completion, ModelError>>;
}
