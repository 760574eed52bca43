//! Turning an HTTP answer into a [`Completion`], embedding vectors or an error.
//!
//! Pure functions of status, headers and body, so the mapping is tested without a network and
//! shared by every transport. Failures of the HTTP step are [`ModelError`]s for both clients;
//! the embedder turns them into [`EmbedError::Service`] with the same words.

use persona_core::embed::{normalize, EmbedError};
use persona_core::model::{Completion, ModelError};
use reqwest::header::{HeaderMap, DATE, RETRY_AFTER};

use crate::wire::{ChatCompletion, EmbeddingData, EmbeddingList, ErrorResponse};

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

/// A 2xx body of `POST /embeddings` for `count` texts as `count` vectors of length `dim`, in
/// input order and scaled to unit length.
///
/// A body that is not an embedding list (or carries non-finite numbers) is
/// [`EmbedError::Service`]; another number of vectors, or indices that do not cover every text
/// exactly once, is [`EmbedError::WrongCount`]; a vector of another length is
/// [`EmbedError::WrongDimension`].
pub(crate) fn vectors_from_body(body: &[u8], count: usize, dim: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    let list: EmbeddingList = serde_json::from_slice(body)
        .map_err(|error| not_an_embedding_list(format!("{error} (the body starts with {:?})", excerpt(body))))?;
    let mut vectors = in_input_order(list.data, count)?;
    for vector in &mut vectors {
        if vector.len() != dim {
            return Err(EmbedError::WrongDimension { expected: dim, found: vector.len() });
        }
        if vector.iter().any(|x| !x.is_finite()) {
            return Err(not_an_embedding_list("a vector has a value out of range".to_owned()));
        }
        normalize(vector);
    }
    Ok(vectors)
}

fn not_an_embedding_list(detail: String) -> EmbedError {
    EmbedError::Service(format!("the model endpoint sent a response that is not an embedding list: {detail}"))
}

/// The vectors of `data` in input order: each goes to the position its `index` names (an item
/// without `index` stands for its position in `data`), whatever order the server sent them in.
///
/// Exactly `count` items whose indices cover `0..count` once each are required; otherwise
/// [`EmbedError::WrongCount`], whose `found` is the number of items when that is wrong, else
/// the number of texts that got exactly one vector (duplicates and out-of-range indices count
/// for none).
pub(crate) fn in_input_order(data: Vec<EmbeddingData>, count: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    if data.len() != count {
        return Err(EmbedError::WrongCount { expected: count, found: data.len() });
    }
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; count];
    let mut taken_twice = vec![false; count];
    for (position, item) in data.into_iter().enumerate() {
        let index = item.index.unwrap_or(position);
        match slots.get_mut(index) {
            Some(slot @ None) => *slot = Some(item.embedding),
            Some(Some(_)) => taken_twice[index] = true,
            None => {}
        }
    }
    let found = slots.iter().zip(&taken_twice).filter(|(slot, twice)| slot.is_some() && !**twice).count();
    if found != count {
        return Err(EmbedError::WrongCount { expected: count, found });
    }
    Ok(slots.into_iter().flatten().collect())
}

/// A failed HTTP step of the embedder as [`EmbedError::Service`], in the chat client's words
/// (plus the requested wait of a rate limit, which has no field of its own there).
pub(crate) fn embed_error(error: ModelError) -> EmbedError {
    match &error {
        ModelError::RateLimited { retry_after_ms: Some(ms) } => {
            EmbedError::Service(format!("{error} (retry after {ms} ms)"))
        }
        _ => EmbedError::Service(error.to_string()),
    }
}

/// The error for a non-2xx answer.
pub(crate) fn error_from_status(status: u16, headers: &HeaderMap, body: &[u8]) -> ModelError {
    if status == 429 {
        return ModelError::RateLimited { retry_after_ms: retry_after_ms(headers) };
    }
    ModelError::Http { status, message: error_message(body) }
}

/// The server's requested wait: `retry-after-ms` (milliseconds), else `Retry-After`
/// (delta-seconds, or an HTTP-date). Anything unparsable is ignored.
pub(crate) fn retry_after_ms(headers: &HeaderMap) -> Option<u64> {
    retry_after_ms_at(headers, crate::retry::now_unix_ms())
}

/// [`retry_after_ms`] with the local clock reading `now_ms` (Unix milliseconds). An HTTP-date
/// is measured from the response's own `Date` header when it has one (so clock skew between
/// client and server does not matter), else from `now_ms`; a date in the past means now.
pub(crate) fn retry_after_ms_at(headers: &HeaderMap, now_ms: u64) -> Option<u64> {
    let header = |name| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let from_ms = header(RETRY_AFTER_MS)
        .and_then(|value| value.parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
        // Saturating float-to-int conversion; fractions of a millisecond round up.
        .map(|ms| ms.ceil() as u64);
    from_ms.or_else(|| {
        let value = header(RETRY_AFTER.as_str())?;
        if let Ok(secs) = value.parse::<u64>() {
            return Some(secs.saturating_mul(1000));
        }
        let unix_ms = |text: &str| {
            let time = httpdate::parse_http_date(text).ok()?;
            let since = time.duration_since(std::time::UNIX_EPOCH).ok()?;
            u64::try_from(since.as_millis()).ok()
        };
        let at = unix_ms(value)?;
        let now = header(DATE.as_str()).and_then(unix_ms).unwrap_or(now_ms);
        Some(at.saturating_sub(now))
    })
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
    let scrub = |text: String| scrub(text, secret);
    match error {
        ModelError::Network(message) => ModelError::Network(scrub(message)),
        ModelError::Http { status, message } => ModelError::Http { status, message: scrub(message) },
        ModelError::Malformed(message) => ModelError::Malformed(scrub(message)),
        ModelError::Interrupted(message) => ModelError::Interrupted(scrub(message)),
        ModelError::RetriesExhausted { attempts, last } => {
            ModelError::RetriesExhausted { attempts, last: Box::new(redact(*last, secret)) }
        }
        other @ (ModelError::RateLimited { .. } | ModelError::Timeout { .. } | ModelError::Cancelled) => other,
    }
}

/// [`redact`] for the embedder's errors; only [`EmbedError::Service`] carries text.
pub(crate) fn redact_embed(error: EmbedError, secret: Option<&str>) -> EmbedError {
    match error {
        EmbedError::Service(message) => EmbedError::Service(scrub(message, secret)),
        other => other,
    }
}

/// `text` with every occurrence of a non-empty `secret` replaced by `[redacted]`.
pub(crate) fn scrub(text: String, secret: Option<&str>) -> String {
    match secret.filter(|secret| !secret.is_empty()) {
        Some(secret) if text.contains(secret) => text.replace(secret, "[redacted]"),
        _ => text,
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
        // HTTP-dates: measured from the response's `Date`, else the local clock; past means now.
        let date = [("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"), ("date", "Wed, 21 Oct 2015 07:28:00 GMT")];
        assert_eq!(retry_after_ms_at(&headers(&date), 0), Some(30_000));
        let at_2015 = 1_445_412_480_000; // 2015-10-21T07:28:00Z
        assert_eq!(retry_after_ms_at(&headers(&date[..1]), at_2015), Some(30_000));
        assert_eq!(retry_after_ms(&headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")])), Some(0));
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

    fn item(index: Option<usize>, embedding: &[f32]) -> EmbeddingData {
        EmbeddingData { object: Some("embedding".into()), index, embedding: embedding.to_vec() }
    }

    #[test]
    fn vectors_are_reassembled_by_index_whatever_the_order() {
        let shuffled = vec![item(Some(2), &[2.0]), item(Some(0), &[0.0]), item(Some(3), &[3.0]), item(Some(1), &[1.0])];
        assert_eq!(in_input_order(shuffled, 4).unwrap(), [[0.0], [1.0], [2.0], [3.0]]);
        // Without indices, the position in `data` is the index.
        assert_eq!(in_input_order(vec![item(None, &[5.0]), item(None, &[6.0])], 2).unwrap(), [[5.0], [6.0]]);
        assert_eq!(in_input_order(Vec::new(), 0).unwrap(), Vec::<Vec<f32>>::new());
    }

    #[test]
    fn missing_duplicate_or_stray_indices_are_wrong_counts() {
        let wrong = |data, count| in_input_order(data, count).unwrap_err();
        assert_eq!(wrong(vec![item(Some(0), &[0.0])], 2), EmbedError::WrongCount { expected: 2, found: 1 });
        assert_eq!(
            wrong(vec![item(Some(0), &[0.0]), item(Some(0), &[0.5]), item(Some(2), &[2.0])], 3),
            EmbedError::WrongCount { expected: 3, found: 1 }
        );
        assert_eq!(
            wrong(vec![item(Some(1), &[1.0]), item(Some(7), &[7.0])], 2),
            EmbedError::WrongCount { expected: 2, found: 1 }
        );
        // An item without index at position 0 collides with an explicit index 0.
        assert_eq!(
            wrong(vec![item(None, &[0.0]), item(Some(0), &[0.5])], 2),
            EmbedError::WrongCount { expected: 2, found: 0 }
        );
    }

    #[test]
    fn embedding_bodies_become_unit_vectors_in_input_order() {
        let body = json!({
            "object": "list",
            "data": [
                {"object": "embedding", "index": 1, "embedding": [0.0, 2.0]},
                {"object": "embedding", "index": 0, "embedding": [3.0, 4.0]},
            ],
            "model": "e",
            "usage": {"prompt_tokens": 2, "total_tokens": 2},
        });
        let vectors = vectors_from_body(body.to_string().as_bytes(), 2, 2).unwrap();
        assert_eq!(vectors, [[0.6, 0.8], [0.0, 1.0]]);
    }

    #[test]
    fn bad_embedding_bodies_are_typed_errors() {
        let two_dims = json!({"data": [{"index": 0, "embedding": [1.0, 0.0]}]}).to_string();
        assert_eq!(
            vectors_from_body(two_dims.as_bytes(), 1, 3),
            Err(EmbedError::WrongDimension { expected: 3, found: 2 })
        );
        assert_eq!(vectors_from_body(two_dims.as_bytes(), 2, 2), Err(EmbedError::WrongCount { expected: 2, found: 1 }));
        for body in [&b"<html>gateway</html>"[..], br#"{"object": "list"}"#, br#"{"data": [{"embedding": "AAAA"}]}"#] {
            let Err(EmbedError::Service(message)) = vectors_from_body(body, 1, 1) else {
                panic!("expected Service for {body:?}")
            };
            assert!(
                message.starts_with("the model endpoint sent a response that is not an embedding list"),
                "{message}"
            );
        }
        let overflow = br#"{"data": [{"index": 0, "embedding": [1e300]}]}"#;
        assert!(matches!(vectors_from_body(overflow, 1, 1), Err(EmbedError::Service(_))));
    }

    #[test]
    fn embed_errors_use_the_chat_client_words() {
        assert_eq!(
            embed_error(ModelError::Http { status: 503, message: "overloaded".into() }),
            EmbedError::Service("the model endpoint answered HTTP 503: overloaded".into())
        );
        assert_eq!(
            embed_error(ModelError::RateLimited { retry_after_ms: Some(2000) }),
            EmbedError::Service("the model endpoint is rate-limiting requests (retry after 2000 ms)".into())
        );
        assert_eq!(
            redact_embed(EmbedError::Service("bad key sk-abc".into()), Some("sk-abc")),
            EmbedError::Service("bad key [redacted]".into())
        );
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
        let nested = ModelError::RetriesExhausted {
            attempts: 2,
            last: Box::new(ModelError::Interrupted("key sk-abc echoed".into())),
        };
        assert!(!redact(nested, Some("sk-abc")).to_string().contains("sk-abc"));
    }
}
