//! Turning an HTTP answer into a [`Completion`] or a [`ModelError`].
//!
//! Pure functions of status, headers and body, so the mapping is tested without a network and
//! shared by every transport.

use persona_core::model::{Completion, ModelError};
use reqwest::header::{HeaderMap, RETRY_AFTER};

use crate::wire::{ChatCompletion, ErrorResponse};

/// How much of a non-JSON error body goes into an error message.
const BODY_EXCERPT_CHARS: usize = 200;

/// OpenAI's millisecond-precision variant of `Retry-After`, preferred when present.
const RETRY_AFTER_MS: &str = "retry-after-ms";

/// A 2xx body as a [`Completion`]; `requested_model` stands in when the body names no model.
pub(crate) fn completion_from_body(body: &[u8], requested_model: &str) -> Result<Completion, ModelError> {
    let completion: ChatCompletion = serde_json::from_slice(body)
        .map_err(|error| ModelError::Malformed(format!("{error} (the body starts with {:?})", excerpt(body))))?;
    let choice = completion
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| ModelError::Malformed("the completion has no choices".to_owned()))?;
    // A refusal is what the model said, so it is the answer's text.
    let text = choice
        .message
        .content
        .or(choice.message.refusal)
        .ok_or_else(|| ModelError::Malformed("the first choice has no message content".to_owned()))?;
    let usage = completion.usage;
    Ok(Completion {
        text,
        model: completion.model.filter(|model| !model.is_empty()).unwrap_or_else(|| requested_model.to_owned()),
        prompt_tokens: usage.and_then(|usage| usage.prompt_tokens),
        completion_tokens: usage.and_then(|usage| usage.completion_tokens),
    })
}

/// The error for a non-2xx answer.
pub(crate) fn error_from_status(status: u16, headers: &HeaderMap, body: &[u8]) -> ModelError {
    if status == 429 {
        return ModelError::RateLimited { retry_after_ms: retry_after_ms(headers) };
    }
    ModelError::Http { status, message: error_message(body) }
}

/// The server's requested wait: `retry-after-ms` (milliseconds), else `Retry-After`
/// (delta-seconds). HTTP-date values and anything unparsable are ignored.
pub(crate) fn retry_after_ms(headers: &HeaderMap) -> Option<u64> {
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let from_ms = header(RETRY_AFTER_MS)
        .and_then(|value| value.parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        // Saturating float-to-int conversion; fractions of a millisecond round up.
        .map(|ms| ms.ceil() as u64);
    from_ms.or_else(|| header(RETRY_AFTER.as_str())?.parse::<u64>().ok().map(|secs| secs.saturating_mul(1000)))
}

/// OpenAI's `error.message` when the body is an OpenAI error, else the start of the body.
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(error) = serde_json::from_slice::<ErrorResponse>(body) {
        return error.error.message;
    }
    let excerpt = excerpt(body);
    if excerpt.is_empty() {
        "(empty response body)".to_owned()
    } else {
        excerpt
    }
}

/// The first [`BODY_EXCERPT_CHARS`] characters of a body, trimmed, with `…` when cut.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(BODY_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Replaces every occurrence of `secret` in the error's message with `[redacted]`, in case a
/// server or transport echoed it.
pub(crate) fn redact(error: ModelError, secret: Option<&str>) -> ModelError {
    let Some(secret) = secret.filter(|secret| !secret.is_empty()) else { return error };
    let scrub = |text: String| if text.contains(secret) { text.replace(secret, "[redacted]") } else { text };
    match error {
        ModelError::Network(message) => ModelError::Network(scrub(message)),
        ModelError::Http { status, message } => ModelError::Http { status, message: scrub(message) },
        ModelError::Malformed(message) => ModelError::Malformed(scrub(message)),
        rate_limited @ ModelError::RateLimited { .. } => rate_limited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde_json::json;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn maps_a_completion_with_usage() {
        let body = json!({
            "model": "served",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        });
        let completion = completion_from_body(body.to_string().as_bytes(), "asked").unwrap();
        assert_eq!(
            completion,
            Completion {
                text: "Hi".into(),
                model: "served".into(),
                prompt_tokens: Some(3),
                completion_tokens: Some(1)
            }
        );
    }

    #[test]
    fn tolerates_missing_model_and_usage() {
        let body = br#"{"choices": [{"message": {"content": "Hi"}}]}"#;
        let completion = completion_from_body(body, "asked").unwrap();
        assert_eq!(completion.model, "asked");
        assert_eq!((completion.prompt_tokens, completion.completion_tokens), (None, None));
    }

    #[test]
    fn non_completions_are_malformed() {
        for body in [
            &b"<html>nope</html>"[..],
            br#"{"choices": []}"#,
            br#"{"object": "list"}"#,
            br#"{"choices": [{"message": {}}]}"#,
        ] {
            assert!(matches!(completion_from_body(body, "m"), Err(ModelError::Malformed(_))), "{body:?}");
        }
    }

    #[test]
    fn rate_limits_read_retry_after() {
        assert_eq!(
            error_from_status(429, &headers(&[("retry-after", "3")]), b""),
            ModelError::RateLimited { retry_after_ms: Some(3000) }
        );
        assert_eq!(retry_after_ms(&headers(&[("retry-after", "soon")])), None);
        assert_eq!(retry_after_ms(&headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")])), None);
        assert_eq!(retry_after_ms(&headers(&[("retry-after", "-1")])), None);
        assert_eq!(retry_after_ms(&headers(&[("retry-after", "2"), ("retry-after-ms", "150.2")])), Some(151));
        assert_eq!(retry_after_ms(&HeaderMap::new()), None);
    }

    #[test]
    fn error_messages_prefer_openai_json() {
        let body = json!({"error": {"message": "Invalid model", "type": "invalid_request_error", "code": null}});
        assert_eq!(
            error_from_status(404, &HeaderMap::new(), body.to_string().as_bytes()),
            ModelError::Http { status: 404, message: "Invalid model".into() }
        );
        assert_eq!(error_message(b"  Bad Gateway\n"), "Bad Gateway");
        assert_eq!(error_message(b""), "(empty response body)");
        let long = "é".repeat(500);
        let message = error_message(long.as_bytes());
        assert_eq!(message.chars().count(), BODY_EXCERPT_CHARS + 1);
    }

    #[test]
    fn redact_scrubs_the_secret() {
        let error = ModelError::Http { status: 401, message: "Incorrect API key provided: sk-abc".into() };
        assert_eq!(
            redact(error, Some("sk-abc")),
            ModelError::Http { status: 401, message: "Incorrect API key provided: [redacted]".into() }
        );
        let untouched = ModelError::Network("refused".into());
        assert_eq!(redact(untouched.clone(), Some("")), untouched);
    }
}
