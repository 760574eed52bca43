//! The request log: every request the server receives, as the client sent it.
//!
//! Recording happens in a middleware that sits outside every other layer (CORS included), so
//! the log shows preflights, unknown routes and rejected bodies too — exactly what reached the
//! socket, which is what a test asserting on a client's behaviour wants.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::routes::ApiError;
use crate::state::AppState;

/// The largest request body the server reads (larger ones get HTTP 413).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One request as received.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// The method, e.g. `POST` or `OPTIONS`.
    pub method: String,
    /// The path, e.g. `/v1/chat/completions`, without the query.
    pub path: String,
    /// The query string without `?`, when there was one.
    pub query: Option<String>,
    /// The headers in the order received; names are lower case, values decoded lossily.
    pub headers: Vec<(String, String)>,
    /// The body text, decoded lossily; empty when there was none.
    pub body_text: String,
    /// The body parsed as JSON; `None` when it was empty or not JSON.
    pub body: Option<Value>,
}

impl RecordedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// The token of an `Authorization: Bearer <token>` header.
    pub fn bearer_token(&self) -> Option<&str> {
        self.header("authorization")?.strip_prefix("Bearer ")
    }
}

/// Middleware: buffers the body, logs the request, and passes it on unchanged.
pub(crate) async fn record(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "the request body is too large or could not be read")
            .into_response();
    };
    state.record(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        body_text: String::from_utf8_lossy(&bytes).into_owned(),
        body: serde_json::from_slice(&bytes).ok(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
