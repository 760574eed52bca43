//! Serde types for OpenAI's chat-completions and embeddings wire formats.
//!
//! These mirror the documented JSON of `POST /v1/chat/completions`: the request, the
//! non-streaming response (`chat.completion`), the streaming chunk (`chat.completion.chunk`)
//! and the error body; and of `POST /v1/embeddings`: the request and the `list` of
//! `embedding` objects. Only the fields the engine uses are modelled; unknown fields are
//! ignored when deserialising, so extra fields from newer API versions or other servers are
//! harmless.
//!
//! Compatibility notes:
//! - Optional request fields are omitted when `None` (never sent as `null`): Ollama, the
//!   llama.cpp server and vLLM all accept this minimal shape.
//! - Response fields that the engine does not need (`id`, `object`, `created`, `usage`, …) are
//!   optional when deserialising, because some OpenAI-compatible servers leave them out. Only
//!   `choices` is required.
//! - `error.code` is a string at OpenAI but a number at some servers (llama.cpp), so it is
//!   kept as raw JSON.
//! - An embedding's `index` is optional when deserialising (an item without one stands at its
//!   position in `data`); only `data` and each item's `embedding` are required.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The body of `POST /v1/chat/completions`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionRequest {
    /// The model id, e.g. `gpt-4o-mini` or `llama3.2`.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature, 0–2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// The most tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// `true` asks for server-sent events of [`ChatCompletionChunk`]s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    /// Streaming options; only meaningful with `stream: true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    /// Structured output: `{"type": "json_schema", "json_schema": {…}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,
}

/// `response_format` of a request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    /// Plain text (the default).
    Text,
    /// Any JSON object (older "JSON mode").
    JsonObject,
    /// JSON that matches a schema.
    JsonSchema {
        /// The schema and its name.
        json_schema: JsonSchemaFormat,
    },
}

/// The `json_schema` object of [`ResponseFormat::JsonSchema`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaFormat {
    /// The schema's name: `a-z`, `A-Z`, `0-9`, `_` and `-`, at most 64 characters.
    pub name: String,
    /// What the output is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema.
    pub schema: Value,
    /// Whether the output must follow the schema exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// One message of a request: `{"role": "user", "content": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The message text.
    pub content: String,
}

impl From<&persona_core::model::ChatMessage> for ChatMessage {
    fn from(message: &persona_core::model::ChatMessage) -> Self {
        ChatMessage { role: message.role.clone(), content: message.content.clone() }
    }
}

/// `stream_options` of a streaming request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamOptions {
    /// Ask for a final chunk with empty `choices` and the token `usage`.
    pub include_usage: bool,
}

/// A non-streaming response: `{"object": "chat.completion", "choices": [...], "usage": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletion {
    /// The completion id, e.g. `chatcmpl-…`.
    #[serde(default)]
    pub id: Option<String>,
    /// Always `chat.completion` at OpenAI.
    #[serde(default)]
    pub object: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created: Option<u64>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// The answers; one unless the request asked for `n > 1`.
    pub choices: Vec<Choice>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// One answer of a [`ChatCompletion`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The position of this choice.
    #[serde(default)]
    pub index: u32,
    /// The assistant's message.
    pub message: ResponseMessage,
    /// `stop`, `length`, `content_filter`, `tool_calls`, …
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The assistant message of a [`Choice`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseMessage {
    /// `assistant`.
    #[serde(default)]
    pub role: Option<String>,
    /// The text; `null` when the model refused or only called tools.
    #[serde(default)]
    pub content: Option<String>,
    /// The refusal text, when the model refused.
    #[serde(default)]
    pub refusal: Option<String>,
}

/// Token counts of a completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens in the request's messages.
    #[serde(default)]
    pub prompt_tokens: Option<u32>,
    /// Tokens generated.
    #[serde(default)]
    pub completion_tokens: Option<u32>,
    /// Their sum.
    #[serde(default)]
    pub total_tokens: Option<u32>,
}

/// One server-sent event of a streaming response (`data: {…}`); the stream ends with the
/// event `data: [DONE]`, see [`STREAM_DONE`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    /// The completion id, the same on every chunk.
    #[serde(default)]
    pub id: Option<String>,
    /// Always `chat.completion.chunk` at OpenAI.
    #[serde(default)]
    pub object: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub created: Option<u64>,
    /// The model that answered.
    #[serde(default)]
    pub model: Option<String>,
    /// The increments; empty on the final usage chunk.
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Token counts; only on the final chunk, and only with `include_usage`.
    #[serde(default)]
    pub usage: Option<Usage>,
}

/// The data of the event that ends a stream.
pub const STREAM_DONE: &str = "[DONE]";

/// One choice's increment in a [`ChatCompletionChunk`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// Which choice this increments.
    #[serde(default)]
    pub index: u32,
    /// The new piece.
    #[serde(default)]
    pub delta: Delta,
    /// Set on the choice's last chunk.
    #[serde(default)]
    pub finish_reason: Option<String>,
}

/// The increment of a streamed message: the role first, then content pieces.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// `assistant`, on the first chunk.
    #[serde(default)]
    pub role: Option<String>,
    /// The next piece of text.
    #[serde(default)]
    pub content: Option<String>,
}

/// The body of `POST /v1/embeddings`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingRequest {
    /// The embedding model id, e.g. `text-embedding-3-small` or `nomic-embed-text`.
    pub model: String,
    /// The texts to embed; always sent as an array, even for one text.
    pub input: Vec<String>,
    /// `float` (a JSON array of numbers) or `base64`; omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<String>,
    /// The vector length asked for; only some models support it (OpenAI's
    /// `text-embedding-3-*`), and some servers reject it, so it is omitted when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<usize>,
}

/// The `encoding_format` that asks for plain JSON numbers.
pub const ENCODING_FLOAT: &str = "float";

/// The response of `POST /v1/embeddings`: `{"object": "list", "data": [...], "model", "usage"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingList {
    /// Always `list` at OpenAI.
    #[serde(default)]
    pub object: Option<String>,
    /// One item per input text, each naming its input by `index`.
    pub data: Vec<EmbeddingData>,
    /// The model that embedded.
    #[serde(default)]
    pub model: Option<String>,
    /// Token counts.
    #[serde(default)]
    pub usage: Option<EmbeddingUsage>,
}

/// One vector of an [`EmbeddingList`]: `{"object": "embedding", "index": 0, "embedding": [...]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingData {
    /// Always `embedding` at OpenAI.
    #[serde(default)]
    pub object: Option<String>,
    /// The position of the input text this vector belongs to.
    #[serde(default)]
    pub index: Option<usize>,
    /// The vector.
    pub embedding: Vec<f32>,
}

/// Token counts of an embeddings request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddingUsage {
    /// Tokens in the input texts.
    #[serde(default)]
    pub prompt_tokens: Option<u32>,
    /// The same, for embeddings.
    #[serde(default)]
    pub total_tokens: Option<u32>,
}

/// An error body: `{"error": {"message": …, "type": …, "param": …, "code": …}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorDetail,
}

/// The `error` object of an [`ErrorResponse`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A human-readable explanation.
    pub message: String,
    /// The error class, e.g. `invalid_request_error`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The request parameter at fault.
    #[serde(default)]
    pub param: Option<String>,
    /// A machine-readable code: a string at OpenAI, a number at some other servers.
    #[serde(default)]
    pub code: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_omits_unset_options() {
        let request = ChatCompletionRequest {
            model: "m".into(),
            messages: vec![ChatMessage { role: "user".into(), content: "hi".into() }],
            temperature: None,
            max_tokens: None,
            stream: None,
            stream_options: None,
            response_format: None,
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
        );
    }

    #[test]
    fn request_includes_set_options() {
        let request = ChatCompletionRequest {
            model: "m".into(),
            messages: vec![],
            temperature: Some(0.5),
            max_tokens: Some(64),
            stream: Some(true),
            stream_options: Some(StreamOptions { include_usage: true }),
            response_format: Some(ResponseFormat::JsonSchema {
                json_schema: JsonSchemaFormat {
                    name: "reply".into(),
                    description: None,
                    schema: json!({"type": "object"}),
                    strict: Some(true),
                },
            }),
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"model": "m", "messages": [], "temperature": 0.5, "max_tokens": 64,
                   "stream": true, "stream_options": {"include_usage": true},
                   "response_format": {"type": "json_schema",
                       "json_schema": {"name": "reply", "schema": {"type": "object"}, "strict": true}}})
        );
    }

    #[test]
    fn documented_completion_parses() {
        let body = json!({
            "id": "chatcmpl-123", "object": "chat.completion", "created": 1677652288,
            "model": "gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there!"},
                         "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}
        });
        let completion: ChatCompletion = serde_json::from_value(body).unwrap();
        assert_eq!(completion.choices[0].message.content.as_deref(), Some("Hello there!"));
        assert_eq!(completion.usage.unwrap().total_tokens, Some(21));
    }

    #[test]
    fn documented_chunks_parse() {
        let first: ChatCompletionChunk = serde_json::from_value(json!({
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]
        }))
        .unwrap();
        assert_eq!(first.choices[0].delta.role.as_deref(), Some("assistant"));
        let last: ChatCompletionChunk = serde_json::from_value(json!({
            "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
            "choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}
        }))
        .unwrap();
        assert!(last.choices.is_empty());
        assert_eq!(last.usage.unwrap().completion_tokens, Some(2));
    }

    #[test]
    fn embedding_request_sends_dimensions_only_when_set() {
        let mut request = EmbeddingRequest {
            model: "e".into(),
            input: vec!["a".into(), "b".into()],
            encoding_format: Some(ENCODING_FLOAT.into()),
            dimensions: None,
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            json!({"model": "e", "input": ["a", "b"], "encoding_format": "float"})
        );
        request.dimensions = Some(256);
        assert_eq!(serde_json::to_value(&request).unwrap()["dimensions"], 256);
    }

    #[test]
    fn documented_embedding_list_parses() {
        let list: EmbeddingList = serde_json::from_value(json!({
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": [0.0023064255, -0.009327292, -0.0028842222]}],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 8, "total_tokens": 8}
        }))
        .unwrap();
        assert_eq!(list.data[0].index, Some(0));
        assert_eq!(list.data[0].embedding.len(), 3);
        assert_eq!(list.usage.unwrap().total_tokens, Some(8));
        let minimal: EmbeddingList = serde_json::from_value(json!({"data": [{"embedding": [1.0]}]})).unwrap();
        assert_eq!(minimal.data[0].index, None);
    }

    #[test]
    fn error_codes_may_be_strings_or_numbers() {
        let openai: ErrorResponse = serde_json::from_value(json!({
            "error": {"message": "Rate limit", "type": "requests", "param": null, "code": "rate_limit_exceeded"}
        }))
        .unwrap();
        assert_eq!(openai.error.kind.as_deref(), Some("requests"));
        let llama: ErrorResponse =
            serde_json::from_value(json!({"error": {"message": "busy", "type": "unavailable_error", "code": 503}}))
                .unwrap();
        assert_eq!(llama.error.code, Some(json!(503)));
    }
}
