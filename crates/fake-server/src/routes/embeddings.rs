//! `POST /v1/embeddings`: deterministic vectors derived from the input text.
//!
//! The vectors come from feature hashing: each lower-cased alphanumeric word of the input adds
//! ±1 to one dimension chosen by its FNV-1a hash, and the result is scaled to unit length. The
//! same text always gets the same vector, and texts sharing words point in similar directions,
//! so retrieval tests get meaningful (if crude) similarities without a model.
//!
//! The script's `embedding_rules` can replace the vectors with a fault (see [`Script`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::chat::{cut_in_half, dropped, DEFAULT_MALFORMED_BODY};
use super::{count_tokens, ApiError};
use crate::conn::Cutter;
#[cfg(doc)]
use crate::script::Script;
use crate::script::{check_dimensions, Reply};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
struct WireRequest {
    model: Option<String>,
    input: Option<Value>,
    dimensions: Option<usize>,
    encoding_format: Option<String>,
}

/// A validated embeddings request.
#[derive(Debug)]
struct EmbeddingsRequest {
    model: String,
    inputs: Vec<String>,
    dimensions: usize,
}

impl EmbeddingsRequest {
    /// Parses and validates `body`; without `dimensions` the script's default applies.
    fn parse(body: &[u8], default_dimensions: usize) -> Result<EmbeddingsRequest, ApiError> {
        let request: WireRequest = serde_json::from_slice(body).map_err(|error| {
            ApiError::bad_request(format!("We could not parse the JSON body of your request: {error}"))
        })?;
        let model = request.model.ok_or_else(|| ApiError::bad_request("you must provide a model parameter"))?;
        let inputs = inputs(request.input)?;
        if let Some(format) = request.encoding_format.filter(|format| format != "float") {
            return Err(ApiError::bad_request(format!(
                "encoding_format '{format}' is not supported by the fake server"
            )));
        }
        let dimensions = request.dimensions.unwrap_or(default_dimensions);
        check_dimensions(dimensions).map_err(ApiError::bad_request)?;
        Ok(EmbeddingsRequest { model, inputs, dimensions })
    }

    /// The successful answer: one vector per input, in input order.
    fn answer(&self) -> Value {
        let data: Vec<Value> = self
            .inputs
            .iter()
            .enumerate()
            .map(|(index, text)| {
                json!({"object": "embedding", "index": index, "embedding": embed(text, self.dimensions)})
            })
            .collect();
        let tokens: u64 = self.inputs.iter().map(|text| count_tokens(text)).sum();
        json!({
            "object": "list",
            "data": data,
            "model": self.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })
    }
}

/// The handler.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    ConnectInfo(connection): ConnectInfo<Cutter>,
    body: Bytes,
) -> Response {
    let request = match EmbeddingsRequest::parse(&body, state.embedding_dimensions) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let Some(plan) = state.plan_embeddings(&request.model, &request.inputs) else {
        return Json(request.answer()).into_response();
    };
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    match plan.reply {
        Reply::Text { .. } | Reply::Pieces { .. } => Json(request.answer()).into_response(),
        Reply::Error { status, message, error_type, code } => {
            ApiError::scripted(status, message, error_type, code).into_response()
        }
        Reply::RateLimited { retry_after_secs, message } => {
            ApiError::rate_limited(retry_after_secs, message).into_response()
        }
        Reply::Malformed { body } => {
            let body = body.unwrap_or_else(|| DEFAULT_MALFORMED_BODY.to_owned());
            ([(CONTENT_TYPE, "application/json")], body).into_response()
        }
        Reply::Truncated { .. } => cut_in_half(&request.answer().to_string()),
        Reply::Dropped => dropped(&connection),
    }
}

/// `input` as a list of texts: a string, or a non-empty array of strings.
fn inputs(input: Option<Value>) -> Result<Vec<String>, ApiError> {
    let invalid = || ApiError::bad_request("'input' must be a string or a non-empty array of strings");
    match input {
        None => Err(ApiError::bad_request("Missing required parameter: 'input'.")),
        Some(Value::String(text)) => Ok(vec![text]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                _ => Err(invalid()),
            })
            .collect(),
        Some(_) => Err(invalid()),
    }
}

/// The embedding of `text`: hashed bag of words, L2-normalised. A text without words is
/// hashed whole, so even it gets a non-zero vector.
pub(crate) fn embed(text: &str, dimensions: usize) -> Vec<f32> {
    let lowered = text.to_lowercase();
    let mut words: Vec<&str> =
        lowered.split(|ch: char| !ch.is_alphanumeric()).filter(|word| !word.is_empty()).collect();
    if words.is_empty() {
        words.push(&lowered);
    }
    let mut vector = vec![0.0_f32; dimensions];
    for word in words {
        let hash = fnv1a(word.as_bytes());
        // `dimensions` is at most MAX_EMBEDDING_DIMENSIONS, so the remainder fits in usize.
        let slot = (hash % dimensions as u64) as usize;
        vector[slot] += if hash >> 63 == 0 { 1.0 } else { -1.0 };
    }
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
    vector
}

/// 64-bit FNV-1a: tiny, stable across platforms and releases (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cosine(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn embeddings_are_deterministic_unit_vectors() {
        let a = embed("The cat sat on the mat", 32);
        assert_eq!(a, embed("the CAT sat on the mat!", 32));
        assert_eq!(a.len(), 32);
        assert!((cosine(&a, &a) - 1.0).abs() < 1e-5);
        let empty = embed("", 8);
        assert!((cosine(&empty, &empty) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn shared_words_mean_similar_vectors() {
        let cat = embed("cats purr and sleep in the sun", 256);
        let similar = embed("cats sleep in the sun all day", 256);
        let other = embed("quarterly revenue exceeded forecasts", 256);
        assert!(cosine(&cat, &similar) > cosine(&cat, &other));
    }
}
