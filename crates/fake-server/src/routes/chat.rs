//! `POST /v1/chat/completions`: scripted answers, streamed or not.
//!
//! The request is parsed by hand from the raw body (rather than with axum's `Json` extractor)
//! so that every rejection is an OpenAI-shaped error, like the real API's. The server keeps its
//! own minimal view of the request instead of sharing types with the client crate: a fake that
//! reuses the client's types would agree with the client's bugs.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::{stream, Stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{count_tokens, unix_now, ApiError};
use crate::conn::Cutter;
use crate::script::Reply;
use crate::state::AppState;

/// The body sent by [`Reply::Malformed`] when the script gives none.
pub(super) const DEFAULT_MALFORMED_BODY: &str = "this is not JSON {";

/// How long a truncated answer stalls before its connection is dropped.
const CUT_PAUSE: Duration = Duration::from_millis(50);

/// The fields of a chat request the fake server looks at; everything else is ignored.
#[derive(Debug, Deserialize)]
struct WireRequest {
    model: Option<String>,
    messages: Option<Vec<WireMessage>>,
    stream: Option<bool>,
    stream_options: Option<StreamOptions>,
}

#[derive(Debug, Deserialize)]
struct WireMessage {
    role: String,
    /// A string, or an array of content parts (`{"type": "text", "text": …}`), or null.
    #[serde(default)]
    content: Value,
}

#[derive(Debug, Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// A validated chat request, reduced to what the rules and responses need.
#[derive(Debug)]
struct ChatRequest {
    model: String,
    /// The `system` (and `developer`) messages joined by newlines.
    system: Option<String>,
    last_user: Option<String>,
    prompt_tokens: u64,
    stream: bool,
    include_usage: bool,
}

impl ChatRequest {
    fn parse(body: &[u8]) -> Result<ChatRequest, ApiError> {
        let wire: WireRequest = serde_json::from_slice(body).map_err(|error| {
            ApiError::bad_request(format!("We could not parse the JSON body of your request: {error}"))
        })?;
        let model = wire.model.ok_or_else(|| ApiError::bad_request("you must provide a model parameter"))?;
        let messages = wire.messages.ok_or_else(|| ApiError::bad_request("Missing required parameter: 'messages'."))?;
        if messages.is_empty() {
            return Err(ApiError::bad_request(
                "Invalid 'messages': empty array. Expected an array with minimum length 1.",
            ));
        }
        let texts: Vec<(&str, String)> =
            messages.iter().map(|message| (message.role.as_str(), content_text(&message.content))).collect();
        let system: Vec<&str> = texts
            .iter()
            .filter(|(role, _)| matches!(*role, "system" | "developer"))
            .map(|(_, text)| text.as_str())
            .collect();
        Ok(ChatRequest {
            model,
            system: (!system.is_empty()).then(|| system.join("\n")),
            last_user: texts.iter().rev().find(|(role, _)| *role == "user").map(|(_, text)| text.clone()),
            prompt_tokens: texts.iter().map(|(_, text)| count_tokens(text)).sum(),
            stream: wire.stream == Some(true),
            include_usage: wire.stream_options.is_some_and(|options| options.include_usage),
        })
    }
}

/// The text of a message's `content`: the string itself, or its text parts concatenated.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts.iter().filter_map(|part| part.get("text").and_then(Value::as_str)).collect(),
        _ => String::new(),
    }
}

/// Splits text into word-sized stream pieces, each keeping its trailing whitespace, so that
/// the pieces concatenate back to the text exactly.
pub(crate) fn split_words(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut after_space = false;
    for ch in text.chars() {
        if after_space && !ch.is_whitespace() {
            pieces.push(std::mem::take(&mut current));
        }
        current.push(ch);
        after_space = ch.is_whitespace();
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// The handler.
pub(super) async fn completions(
    State(state): State<Arc<AppState>>,
    ConnectInfo(connection): ConnectInfo<Cutter>,
    body: Bytes,
) -> Response {
    let request = match ChatRequest::parse(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let plan = state.plan(&request.model, request.system.as_deref(), request.last_user.as_deref());
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let answer = Answer {
        id: format!("chatcmpl-fake-{}", state.next_id()),
        created: unix_now(),
        model: request.model.clone(),
        prompt_tokens: request.prompt_tokens,
        include_usage: request.include_usage,
    };
    match plan.reply {
        Reply::Text { text } => answer.success(split_words(&text), request.stream, plan.chunk_interval),
        Reply::Pieces { pieces } => answer.success(pieces, request.stream, plan.chunk_interval),
        Reply::Error { status, message, error_type, code } => {
            ApiError::scripted(status, message, error_type, code).into_response()
        }
        Reply::RateLimited { retry_after_secs, message } => {
            ApiError::rate_limited(retry_after_secs, message).into_response()
        }
        Reply::Malformed { body } => {
            let body = body.unwrap_or_else(|| DEFAULT_MALFORMED_BODY.to_owned());
            if request.stream {
                let events = vec![sse_data(&body), sse_data("[DONE]")];
                streamed(events, false, plan.chunk_interval)
            } else {
                ([(CONTENT_TYPE, "application/json")], body).into_response()
            }
        }
        Reply::Truncated { pieces } => answer.truncated(pieces, request.stream, plan.chunk_interval),
        Reply::Dropped => dropped(&connection),
    }
}

/// The parts shared by every successful answer to one request.
struct Answer {
    id: String,
    created: u64,
    model: String,
    prompt_tokens: u64,
    include_usage: bool,
}

impl Answer {
    /// A complete answer: one `chat.completion` object, or the full event stream.
    fn success(&self, pieces: Vec<String>, stream: bool, interval: Duration) -> Response {
        if !stream {
            return (StatusCode::OK, axum::Json(self.completion(&pieces.concat()))).into_response();
        }
        let completion_tokens = count_tokens(&pieces.concat());
        let mut events = self.opening_events(&pieces);
        events.push(sse_data(&self.chunk(json!({}), Some("stop")).to_string()));
        if self.include_usage {
            let usage_chunk = json!({
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [],
                "usage": self.usage(completion_tokens),
            });
            events.push(sse_data(&usage_chunk.to_string()));
        }
        events.push(sse_data("[DONE]"));
        streamed(events, false, interval)
    }

    /// An answer whose connection is dropped part-way through the body.
    fn truncated(&self, pieces: Vec<String>, stream: bool, interval: Duration) -> Response {
        if stream {
            return streamed(self.opening_events(&pieces), true, interval);
        }
        cut_in_half(&self.completion(&pieces.concat()).to_string())
    }

    /// The role chunk followed by one chunk per content piece.
    fn opening_events(&self, pieces: &[String]) -> Vec<Bytes> {
        let role = self.chunk(json!({"role": "assistant", "content": ""}), None);
        std::iter::once(role)
            .chain(pieces.iter().map(|piece| self.chunk(json!({"content": piece}), None)))
            .map(|chunk| sse_data(&chunk.to_string()))
            .collect()
    }

    /// A non-streaming `chat.completion` object.
    fn completion(&self, text: &str) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": null},
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "usage": self.usage(count_tokens(text)),
        })
    }

    /// One `chat.completion.chunk` with a single choice.
    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> Value {
        let mut chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        });
        if self.include_usage {
            // OpenAI sends `"usage": null` on every chunk but the last when usage is requested.
            chunk["usage"] = Value::Null;
        }
        chunk
    }

    fn usage(&self, completion_tokens: u64) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": self.prompt_tokens + completion_tokens,
        })
    }
}

/// An `application/json` answer that sends the first half of `json`, then drops the connection.
pub(super) fn cut_in_half(json: &str) -> Response {
    let mut cut = json.len() / 2;
    while !json.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut response = streamed(vec![Bytes::from(json[..cut].to_owned())], true, Duration::ZERO);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The answer of [`Reply::Dropped`], on any route: cuts the connection, so that the response
/// returned here is never sent (hyper fails to write it and closes the socket).
pub(super) fn dropped(connection: &Cutter) -> Response {
    connection.cut();
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

/// One server-sent event carrying `data`.
fn sse_data(data: &str) -> Bytes {
    Bytes::from(format!("data: {data}\n\n"))
}

/// A `text/event-stream` response sending `events` with `interval` between them; with `cut`,
/// the body then fails, which makes the server drop the connection without finishing it.
fn streamed(events: Vec<Bytes>, cut: bool, interval: Duration) -> Response {
    let events = paced(events, interval).map(Ok::<Bytes, io::Error>);
    let body = if cut {
        Body::from_stream(events.chain(stream::once(async {
            // Hyper sends buffered data only once the body stalls; pausing before failing
            // makes sure the client gets everything up to the cut.
            tokio::time::sleep(CUT_PAUSE).await;
            Err(io::Error::new(io::ErrorKind::ConnectionAborted, "scripted truncation"))
        })))
    } else {
        Body::from_stream(events)
    };
    ([(CONTENT_TYPE, "text/event-stream"), (CACHE_CONTROL, "no-cache")], body).into_response()
}

/// Yields `items`, sleeping `interval` before each one but the first.
fn paced<T: Send + 'static>(items: Vec<T>, interval: Duration) -> impl Stream<Item = T> + Send + 'static {
    stream::iter(items.into_iter().enumerate()).then(move |(index, item)| async move {
        if index > 0 && !interval.is_zero() {
            tokio::time::sleep(interval).await;
        }
        item
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words_keeps_every_character() {
        assert_eq!(split_words("Hello there,  world!\n"), ["Hello ", "there,  ", "world!\n"]);
        assert_eq!(split_words("  lead"), ["  ", "lead"]);
        assert!(split_words("").is_empty());
    }

    #[test]
    fn parse_extracts_roles_and_options() {
        let body = json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "Be a pirate."},
                {"role": "user", "content": "first"},
                {"role": "assistant", "content": "ok"},
                {"role": "user", "content": [{"type": "text", "text": "second"}]},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
        });
        let request = ChatRequest::parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(request.system.as_deref(), Some("Be a pirate."));
        assert_eq!(request.last_user.as_deref(), Some("second"));
        assert_eq!(request.prompt_tokens, 6);
        assert!(request.stream && request.include_usage);
    }

    #[test]
    fn parse_rejects_missing_fields() {
        assert!(ChatRequest::parse(br#"{"messages": [{"role": "user", "content": "x"}]}"#).is_err());
        assert!(ChatRequest::parse(br#"{"model": "m"}"#).is_err());
        assert!(ChatRequest::parse(br#"{"model": "m", "messages": []}"#).is_err());
        assert!(ChatRequest::parse(b"not json").is_err());
    }
}
