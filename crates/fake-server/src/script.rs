//! The script: what the fake server answers, rule by rule.
//!
//! A [`Script`] is plain data, so a test can build it in Rust with the builder methods below or
//! the `fake-openai` binary can read it from a JSON file ([`Script::from_file`]). The JSON format
//! is documented on [`Script`]; every struct rejects unknown fields so a typo in a test script
//! fails loudly instead of silently matching everything.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The longest delay a rule may ask for, before answering or between stream events.
///
/// Bounded so that a mistaken script cannot hang a test suite for minutes.
pub const MAX_DELAY: Duration = Duration::from_secs(30);

/// The model list `GET /v1/models` reports when the script names none.
pub const DEFAULT_MODEL: &str = "fake-model";

/// The embedding dimension used when neither the script nor the request sets one.
pub const DEFAULT_EMBEDDING_DIMENSIONS: usize = 16;

/// The largest embedding dimension the server produces.
pub const MAX_EMBEDDING_DIMENSIONS: usize = 4096;

/// Why a script was rejected.
#[derive(Debug, Error)]
pub enum ScriptError {
    /// The script file could not be read.
    #[error("could not read the script file {path}: {source}")]
    Io {
        /// The file that was being read.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The script is not valid JSON or does not have the documented shape.
    #[error("the script is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// The script parsed but one of its values is out of range.
    #[error("rule {rule}: {message}")]
    InvalidRule {
        /// The zero-based position of the offending rule.
        rule: usize,
        /// What is wrong with it.
        message: String,
    },
    /// One of the embedding rules parsed but has an out-of-range value.
    #[error("embedding rule {rule}: {message}")]
    InvalidEmbeddingRule {
        /// The zero-based position of the offending rule in `embedding_rules`.
        rule: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A script-wide setting is out of range.
    #[error("{0}")]
    Invalid(String),
}

/// What the fake server answers: an ordered list of rules plus a few server-wide settings.
///
/// For each `POST /v1/chat/completions` the server takes the **first** rule whose `when`
/// matches the request and that still has uses left (see [`Rule::times`]). When no rule
/// applies the server answers with an echo: the text `echo: <last user message>` (streamed
/// word by word when the request asks for a stream).
///
/// `POST /v1/embeddings` has its own list, `embedding_rules`, tried the same way (chat rules
/// never apply to it). There `model` matches the request's model, `user_contains` matches when
/// any input text contains the needle, and `system_contains` never matches. A `text` or
/// `pieces` reply means the usual deterministic vectors; the faults work as for chat, and
/// `truncated` cuts the embeddings JSON in half (its pieces are ignored). When no embedding rule
/// applies the server answers with the vectors.
///
/// `latency_ms` delays every chat-completion answer (rules' and the echo alike, streamed or
/// not, faults included) by that many milliseconds, on top of the rule's own `delay_ms`: a
/// stand-in for a real model's per-call latency in pipeline benchmarks. It does not apply to
/// embeddings or `GET /v1/models`.
///
/// `api_key` makes the server require `Authorization: Bearer <api_key>` on every request
/// (CORS preflights excepted, as browsers send them without credentials): a request without it,
/// or with another token, gets HTTP 401 with OpenAI's error JSON, code `invalid_api_key`
/// (`Incorrect API key provided`, or `You didn't provide an API key…` when there is none).
/// Unset, the default, no key is checked.
///
/// `hide_models: true` removes `GET /v1/models` and `GET /v1/models/{id}`: they answer 404
/// like any unknown route, as on servers without a model list.
///
/// # JSON format
///
/// ```json
/// {
///   "models": ["fake-model", "other-model"],
///   "embedding_dimensions": 16,
///   "latency_ms": 40,
///   "api_key": "sk-test-key",
///   "hide_models": false,
///   "rules": [
///     { "when": { "user_contains": "weather" }, "times": 2,
///       "reply": { "type": "error", "status": 503, "message": "overloaded" } },
///     { "when": { "user_contains": "weather", "model": "fake-model" },
///       "delay_ms": 200,
///       "reply": { "type": "pieces", "pieces": ["It is ", "sunny."] } },
///     { "when": { "system_contains": "pirate" },
///       "reply": { "type": "text", "text": "Arr." } },
///     { "reply": { "type": "rate_limited", "retry_after_secs": 3 }, "times": 1 },
///     { "reply": { "type": "malformed", "body": "<html>oops</html>" }, "times": 1 },
///     { "reply": { "type": "truncated", "pieces": ["Half an ", "answ"] }, "times": 1 },
///     { "when": { "user_contains": "vanish" }, "reply": { "type": "dropped" } }
///   ],
///   "embedding_rules": [
///     { "when": { "user_contains": "flaky" }, "times": 1,
///       "reply": { "type": "error", "status": 503, "message": "overloaded" } }
///   ]
/// }
/// ```
///
/// Every field is optional except each rule's `reply`; see [`Rule`], [`Match`] and [`Reply`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// The rules for chat completions, tried in order.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// The rules for embeddings, tried in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedding_rules: Vec<Rule>,
    /// The model ids `GET /v1/models` lists. Chat requests may name any model regardless.
    #[serde(default = "default_models")]
    pub models: Vec<String>,
    /// The embedding dimension when a `POST /v1/embeddings` request does not set `dimensions`.
    #[serde(default = "default_embedding_dimensions")]
    pub embedding_dimensions: usize,
    /// Milliseconds added before every chat-completion answer (at most [`MAX_DELAY`]), on top
    /// of the rule's `delay_ms`; simulates a model's per-call latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// The bearer token every request must carry; none is checked when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// Whether `GET /v1/models` (and `/v1/models/{id}`) answer 404, as if the server had no
    /// model list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hide_models: bool,
}

fn default_models() -> Vec<String> {
    vec![DEFAULT_MODEL.to_owned()]
}

fn default_embedding_dimensions() -> usize {
    DEFAULT_EMBEDDING_DIMENSIONS
}

impl Default for Script {
    fn default() -> Self {
        Script {
            rules: Vec::new(),
            embedding_rules: Vec::new(),
            models: default_models(),
            embedding_dimensions: DEFAULT_EMBEDDING_DIMENSIONS,
            latency_ms: None,
            api_key: None,
            hide_models: false,
        }
    }
}

impl Script {
    /// A script without rules: every chat request gets the echo reply.
    pub fn new() -> Self {
        Script::default()
    }

    /// Appends a chat rule (builder style).
    pub fn rule(mut self, rule: Rule) -> Self {
        self.rules.push(rule);
        self
    }

    /// Appends an embeddings rule (builder style).
    pub fn embedding_rule(mut self, rule: Rule) -> Self {
        self.embedding_rules.push(rule);
        self
    }

    /// Replaces the model list reported by `GET /v1/models`.
    pub fn models<I, S>(mut self, models: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.models = models.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the default embedding dimension.
    pub fn embedding_dimensions(mut self, dimensions: usize) -> Self {
        self.embedding_dimensions = dimensions;
        self
    }

    /// Delays every chat-completion answer by `latency` (whole milliseconds; at most
    /// [`MAX_DELAY`]) on top of each rule's own delay: a model's per-call latency.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency_ms = Some(duration_ms(latency));
        self
    }

    /// Requires `Authorization: Bearer <key>` on every request (builder style); others get 401.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// Makes `GET /v1/models` answer 404 (builder style), like a server without a model list.
    pub fn hide_models(mut self) -> Self {
        self.hide_models = true;
        self
    }

    /// The latency added before every chat-completion answer.
    pub(crate) fn latency_duration(&self) -> Duration {
        Duration::from_millis(self.latency_ms.unwrap_or(0))
    }

    /// Parses and validates a script from its JSON text.
    pub fn from_json(json: &str) -> Result<Script, ScriptError> {
        let script: Script = serde_json::from_str(json)?;
        script.validate()?;
        Ok(script)
    }

    /// Reads, parses and validates a script file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Script, ScriptError> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path)
            .map_err(|source| ScriptError::Io { path: path.display().to_string(), source })?;
        Script::from_json(&json)
    }

    /// Checks the values serde cannot: delays, statuses and dimensions within range.
    pub fn validate(&self) -> Result<(), ScriptError> {
        check_dimensions(self.embedding_dimensions).map_err(ScriptError::Invalid)?;
        let max = duration_ms(MAX_DELAY);
        if self.latency_ms.is_some_and(|ms| ms > max) {
            return Err(ScriptError::Invalid(format!("latency_ms must be at most {max}")));
        }
        if let Some(key) = &self.api_key {
            if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ScriptError::Invalid(
                    "api_key must be non-empty, without spaces or control characters".to_owned(),
                ));
            }
        }
        for (index, rule) in self.rules.iter().enumerate() {
            rule.validate().map_err(|message| ScriptError::InvalidRule { rule: index, message })?;
        }
        for (index, rule) in self.embedding_rules.iter().enumerate() {
            rule.validate().map_err(|message| ScriptError::InvalidEmbeddingRule { rule: index, message })?;
        }
        Ok(())
    }
}

/// Checks an embedding dimension; shared with the embeddings route.
pub(crate) fn check_dimensions(dimensions: usize) -> Result<(), String> {
    if (1..=MAX_EMBEDDING_DIMENSIONS).contains(&dimensions) {
        Ok(())
    } else {
        Err(format!("embedding dimensions must be between 1 and {MAX_EMBEDDING_DIMENSIONS}, not {dimensions}"))
    }
}

/// One scripted answer and the requests it applies to.
///
/// JSON: `{"when": {…}, "times": 2, "delay_ms": 100, "chunk_interval_ms": 20, "reply": {…}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Which requests the rule applies to; empty matches every request.
    #[serde(default, skip_serializing_if = "Match::is_any")]
    pub when: Match,
    /// How many times the rule may be used before it is skipped; `None` means forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
    /// Milliseconds to wait before answering (at most [`MAX_DELAY`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Milliseconds to wait between stream events (at most [`MAX_DELAY`]); lets a test cancel
    /// or observe a stream while it is still running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chunk_interval_ms: Option<u64>,
    /// What to answer.
    pub reply: Reply,
}

impl Rule {
    /// A rule that answers every request with `reply`, forever, at once.
    pub fn new(reply: Reply) -> Self {
        Rule { when: Match::default(), times: None, delay_ms: None, chunk_interval_ms: None, reply }
    }

    /// Applies only when the last user message contains `needle`.
    pub fn user_contains(mut self, needle: impl Into<String>) -> Self {
        self.when.user_contains = Some(needle.into());
        self
    }

    /// Applies only when the system message contains `needle`.
    pub fn system_contains(mut self, needle: impl Into<String>) -> Self {
        self.when.system_contains = Some(needle.into());
        self
    }

    /// Applies only when the request names exactly this model.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.when.model = Some(model.into());
        self
    }

    /// Uses the rule at most `n` times, then skips it.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    /// Waits this long before answering (whole milliseconds; at most [`MAX_DELAY`]).
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay_ms = Some(duration_ms(delay));
        self
    }

    /// Waits this long between stream events (whole milliseconds; at most [`MAX_DELAY`]).
    pub fn chunk_interval(mut self, interval: Duration) -> Self {
        self.chunk_interval_ms = Some(duration_ms(interval));
        self
    }

    /// The delay before answering.
    pub(crate) fn delay_duration(&self) -> Duration {
        Duration::from_millis(self.delay_ms.unwrap_or(0))
    }

    /// The pause between stream events.
    pub(crate) fn chunk_interval_duration(&self) -> Duration {
        Duration::from_millis(self.chunk_interval_ms.unwrap_or(0))
    }

    fn validate(&self) -> Result<(), String> {
        let max = duration_ms(MAX_DELAY);
        for (name, value) in [("delay_ms", self.delay_ms), ("chunk_interval_ms", self.chunk_interval_ms)] {
            if value.is_some_and(|ms| ms > max) {
                return Err(format!("{name} must be at most {max}"));
            }
        }
        self.reply.validate()
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The conditions of a rule; every condition given must hold.
///
/// JSON: `{"user_contains": "…", "system_contains": "…", "model": "…"}`, all optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// A substring of the last `user` message; a request without one does not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_contains: Option<String>,
    /// A substring of the `system` messages (joined by newlines); a request without one does
    /// not match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_contains: Option<String>,
    /// The exact model name of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl Match {
    /// Whether this matches every request.
    pub fn is_any(&self) -> bool {
        self.user_contains.is_none() && self.system_contains.is_none() && self.model.is_none()
    }

    /// Whether a request with this model, system text and last user message matches.
    pub fn matches(&self, model: &str, system: Option<&str>, last_user: Option<&str>) -> bool {
        fn contains(haystack: Option<&str>, needle: &Option<String>) -> bool {
            match needle {
                None => true,
                Some(needle) => haystack.is_some_and(|text| text.contains(needle.as_str())),
            }
        }
        self.model.as_deref().is_none_or(|wanted| wanted == model)
            && contains(system, &self.system_contains)
            && contains(last_user, &self.user_contains)
    }

    /// Whether an embeddings request with this model and these inputs matches: `user_contains`
    /// must be in some input, and `system_contains` never matches (there is no system text).
    pub fn matches_embedding(&self, model: &str, inputs: &[String]) -> bool {
        self.system_contains.is_none()
            && self.model.as_deref().is_none_or(|wanted| wanted == model)
            && self.user_contains.as_deref().is_none_or(|needle| inputs.iter().any(|text| text.contains(needle)))
    }
}

/// What a rule answers.
///
/// JSON: an object whose `type` names the variant, in snake case, e.g.
/// `{"type": "text", "text": "Hello"}` or `{"type": "rate_limited", "retry_after_secs": 2}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    /// A successful completion; a stream sends it in word-sized pieces.
    Text {
        /// The assistant's answer.
        text: String,
    },
    /// A successful completion whose stream sends exactly these pieces; the non-streaming
    /// answer is their concatenation.
    Pieces {
        /// The `delta.content` of each content chunk, in order.
        pieces: Vec<String>,
    },
    /// An error status with OpenAI's error JSON body.
    Error {
        /// The HTTP status, 400–599.
        status: u16,
        /// `error.message`.
        message: String,
        /// `error.type`; defaults to `invalid_request_error` (4xx) or `server_error` (5xx).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error_type: Option<String>,
        /// `error.code`; `null` when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// HTTP 429 with OpenAI's rate-limit error JSON and, when given, a `Retry-After` header.
    RateLimited {
        /// The `Retry-After` value in seconds; no header when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u64>,
        /// `error.message`; a generic rate-limit message when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// HTTP 200 whose body is not JSON (sent as `application/json` anyway). A streaming
    /// request gets the body as the data of one event, followed by `[DONE]`.
    Malformed {
        /// The body to send; a fixed non-JSON text when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// A successful answer that breaks off: the connection is closed mid-body. A stream sends
    /// the role chunk and these pieces, then closes without a finish chunk or `[DONE]`; a
    /// non-streaming request gets the first half of the completion JSON.
    Truncated {
        /// The content pieces sent before the connection is dropped.
        pieces: Vec<String>,
    },
    /// No answer at all: the server reads the request, then closes the connection without
    /// sending a status line, so the client sees a network error rather than an HTTP status.
    /// The same for streaming and non-streaming requests, and for embeddings.
    /// JSON: `{"type": "dropped"}`.
    Dropped,
}

impl Reply {
    /// A successful completion with this text.
    pub fn text(text: impl Into<String>) -> Self {
        Reply::Text { text: text.into() }
    }

    /// A successful completion streamed in exactly these pieces.
    pub fn pieces<I, S>(pieces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Reply::Pieces { pieces: pieces.into_iter().map(Into::into).collect() }
    }

    /// An error status (400–599) with OpenAI's error JSON and the default `type`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Reply::Error { status, message: message.into(), error_type: None, code: None }
    }

    /// HTTP 429, with a `Retry-After` header when `retry_after_secs` is given.
    pub fn rate_limited(retry_after_secs: Option<u64>) -> Self {
        Reply::RateLimited { retry_after_secs, message: None }
    }

    /// HTTP 200 with a body that is not JSON.
    pub fn malformed() -> Self {
        Reply::Malformed { body: None }
    }

    /// An answer that breaks off after these pieces.
    pub fn truncated<I, S>(pieces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Reply::Truncated { pieces: pieces.into_iter().map(Into::into).collect() }
    }

    /// No answer: the connection is closed before anything is sent.
    pub fn dropped() -> Self {
        Reply::Dropped
    }

    fn validate(&self) -> Result<(), String> {
        match self {
            Reply::Error { status, .. } if !(400..=599).contains(status) => {
                Err(format!("an error reply needs a status between 400 and 599, not {status}"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_example_parses() {
        let json = r#"{
          "models": ["fake-model", "other-model"],
          "embedding_dimensions": 16,
          "latency_ms": 40,
          "api_key": "sk-test-key",
          "hide_models": false,
          "rules": [
            { "when": { "user_contains": "weather" }, "times": 2,
              "reply": { "type": "error", "status": 503, "message": "overloaded" } },
            { "when": { "user_contains": "weather", "model": "fake-model" },
              "delay_ms": 200,
              "reply": { "type": "pieces", "pieces": ["It is ", "sunny."] } },
            { "when": { "system_contains": "pirate" },
              "reply": { "type": "text", "text": "Arr." } },
            { "reply": { "type": "rate_limited", "retry_after_secs": 3 }, "times": 1 },
            { "reply": { "type": "malformed", "body": "<html>oops</html>" }, "times": 1 },
            { "reply": { "type": "truncated", "pieces": ["Half an ", "answ"] }, "times": 1 },
            { "when": { "user_contains": "vanish" }, "reply": { "type": "dropped" } }
          ],
          "embedding_rules": [
            { "when": { "user_contains": "flaky" }, "times": 1,
              "reply": { "type": "error", "status": 503, "message": "overloaded" } }
          ]
        }"#;
        let script = Script::from_json(json).unwrap();
        assert_eq!(script.rules.len(), 7);
        assert_eq!(script.latency_ms, Some(40));
        assert_eq!(script.api_key.as_deref(), Some("sk-test-key"));
        assert!(!script.hide_models);
        assert_eq!(script.rules[6], Rule::new(Reply::dropped()).user_contains("vanish"));
        assert_eq!(
            script.embedding_rules,
            [Rule::new(Reply::error(503, "overloaded")).user_contains("flaky").times(1)]
        );
        assert_eq!(script.rules[0].reply, Reply::error(503, "overloaded"));
        assert_eq!(script.rules[1].delay_ms, Some(200));
        assert_eq!(script.rules[3].reply, Reply::rate_limited(Some(3)));
    }

    #[test]
    fn round_trips_through_json() {
        let script = Script::new()
            .rule(Rule::new(Reply::text("hi")).user_contains("hello").model("m").times(2))
            .rule(Rule::new(Reply::truncated(["a", "b"])).delay(Duration::from_millis(5)))
            .rule(Rule::new(Reply::dropped()).times(1))
            .latency(Duration::from_millis(25))
            .embedding_rule(Rule::new(Reply::rate_limited(Some(1))).model("e"));
        let json = serde_json::to_string(&script).unwrap();
        assert!(json.contains(r#"{"type":"dropped"}"#) && json.contains(r#""latency_ms":25"#), "{json}");
        assert_eq!(Script::from_json(&json).unwrap(), script);
        assert!(!serde_json::to_string(&Script::new()).unwrap().contains("latency_ms"), "omitted when unset");
        let guarded = Script::new().api_key("sk-k").hide_models();
        let json = serde_json::to_string(&guarded).unwrap();
        assert!(json.contains(r#""api_key":"sk-k""#) && json.contains(r#""hide_models":true"#), "{json}");
        assert_eq!(Script::from_json(&json).unwrap(), guarded);
        let plain = serde_json::to_string(&Script::new()).unwrap();
        assert!(!plain.contains("api_key") && !plain.contains("hide_models"), "omitted when unset: {plain}");
    }

    #[test]
    fn empty_object_is_the_default_script() {
        assert_eq!(Script::from_json("{}").unwrap(), Script::default());
    }

    #[test]
    fn optional_reply_fields_may_be_left_out() {
        let json = r#"{"rules": [{"reply": {"type": "malformed"}}, {"reply": {"type": "rate_limited"}}]}"#;
        let script = Script::from_json(json).unwrap();
        assert_eq!(script.rules[0].reply, Reply::malformed());
        assert_eq!(script.rules[1].reply, Reply::rate_limited(None));
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(Script::from_json(r#"{"rulez": []}"#).is_err());
        assert!(Script::from_json(r#"{"rules": [{"reply": {"type": "text", "txt": "x"}}]}"#).is_err());
        assert!(Script::from_json(r#"{"rules": [{"when": {"user": "x"}, "reply": {"type": "malformed"}}]}"#).is_err());
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let too_slow = r#"{"rules": [{"delay_ms": 30001, "reply": {"type": "text", "text": "x"}}]}"#;
        assert!(matches!(Script::from_json(too_slow), Err(ScriptError::InvalidRule { rule: 0, .. })));
        let not_an_error = r#"{"rules": [{"reply": {"type": "error", "status": 200, "message": "x"}}]}"#;
        assert!(Script::from_json(not_an_error).is_err());
        assert!(Script::from_json(r#"{"embedding_dimensions": 0}"#).is_err());
        assert!(matches!(Script::from_json(r#"{"latency_ms": 30001}"#), Err(ScriptError::Invalid(_))));
        assert_eq!(Script::from_json(r#"{"latency_ms": 30000}"#).unwrap().latency_ms, Some(30_000));
        assert!(Script::new().latency(Duration::from_secs(31)).validate().is_err());
        assert!(matches!(Script::from_json(r#"{"api_key": ""}"#), Err(ScriptError::Invalid(_))));
        assert!(matches!(Script::from_json(r#"{"api_key": "sk a"}"#), Err(ScriptError::Invalid(_))));
        let bad_embedding_rule =
            r#"{"embedding_rules": [{"reply": {"type": "error", "status": 302, "message": "x"}}]}"#;
        assert!(matches!(
            Script::from_json(bad_embedding_rule),
            Err(ScriptError::InvalidEmbeddingRule { rule: 0, .. })
        ));
    }

    #[test]
    fn match_requires_every_condition() {
        let when = Match { user_contains: Some("hi".into()), system_contains: None, model: Some("m".into()) };
        assert!(when.matches("m", None, Some("oh hi there")));
        assert!(!when.matches("other", None, Some("oh hi there")));
        assert!(!when.matches("m", None, None));
        assert!(Match::default().matches("anything", None, None));
        let system = Match { system_contains: Some("pirate".into()), ..Match::default() };
        assert!(system.matches("m", Some("You are a pirate."), None));
        assert!(!system.matches("m", None, Some("pirate")));
    }

    #[test]
    fn embedding_match_looks_at_every_input() {
        let inputs = ["calm text".to_owned(), "a flaky one".to_owned()];
        assert!(Match::default().matches_embedding("e", &[]));
        let flaky = Match { user_contains: Some("flaky".into()), ..Match::default() };
        assert!(flaky.matches_embedding("e", &inputs));
        assert!(!flaky.matches_embedding("e", &inputs[..1]));
        let model = Match { model: Some("e".into()), ..Match::default() };
        assert!(model.matches_embedding("e", &inputs) && !model.matches_embedding("other", &inputs));
        let system = Match { system_contains: Some("calm".into()), ..Match::default() };
        assert!(!system.matches_embedding("e", &inputs), "embedding requests have no system text");
    }
}
