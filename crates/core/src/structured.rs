//! Structured output: a completion parsed as JSON into a Rust type, with one repair.
//!
//! A stage that needs typed output sets [`CompletionRequest::json_schema`]; the client asks the
//! endpoint for JSON matching it (`response_format` with a JSON schema where the endpoint
//! supports that, an instruction in the system message where not). The reply is parsed (a
//! ```` ```json ```` fence around it is tolerated); when that fails the model gets one repair
//! call — its own output and the parse error, asked to answer with only valid JSON — before the
//! call counts as failed with [`ModelError::Malformed`].

use serde::de::DeserializeOwned;

use crate::model::{CancelToken, ChatMessage, ChatModel, CompletionOutcome, CompletionRequest, ModelError};

/// A parsed structured answer and how the call went.
#[derive(Clone, Debug, PartialEq)]
pub struct Structured<T> {
    /// The parsed value.
    pub value: T,
    /// The completion whose text parsed; `attempts` counts the HTTP attempts of every call made.
    pub outcome: CompletionOutcome,
    /// Whether the first answer was not valid and a repair call was needed.
    pub repaired: bool,
}

/// `request` (which should carry a `json_schema`) answered and parsed into `T`, with one repair
/// call when the first answer does not parse. Retries and cancellation are the model's.
pub async fn complete_json<T: DeserializeOwned, M: ChatModel + ?Sized>(
    model: &M,
    request: &CompletionRequest,
    cancel: &CancelToken,
) -> Result<Structured<T>, ModelError> {
    let first = model.complete_cancellable(request, cancel).await?;
    let error = match parse_json::<T>(&first.completion.text) {
        Ok(value) => return Ok(Structured { value, outcome: first, repaired: false }),
        Err(error) => error,
    };
    let mut repair = request.clone();
    repair.messages.push(ChatMessage::assistant(first.completion.text.clone()));
    repair.messages.push(ChatMessage::user(format!(
        "Your previous reply was not valid JSON for the requested schema ({error}). Reply again with only the \
         corrected JSON: no explanations, no code fences."
    )));
    let second = model.complete_cancellable(&repair, cancel).await?;
    let attempts = first.attempts + second.attempts;
    let prompt_tokens = add(first.completion.prompt_tokens, second.completion.prompt_tokens);
    let completion_tokens = add(first.completion.completion_tokens, second.completion.completion_tokens);
    match parse_json::<T>(&second.completion.text) {
        Ok(value) => {
            let mut outcome = CompletionOutcome { attempts, ..second };
            outcome.completion.prompt_tokens = prompt_tokens;
            outcome.completion.completion_tokens = completion_tokens;
            Ok(Structured { value, outcome, repaired: true })
        }
        Err(error) => Err(ModelError::Malformed(format!(
            "the model did not answer with valid JSON, even after a repair request: {error}"
        ))),
    }
}

/// Token counts of two calls together, when both were reported.
fn add(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    Some(a?.saturating_add(b?))
}

/// The instruction that asks for JSON in words, for endpoints without `json_schema` support.
pub fn json_instruction(schema: &serde_json::Value) -> String {
    format!(
        "Answer with one JSON value only: no prose before or after it, no code fences. It must match this JSON \
         Schema: {schema}"
    )
}

/// `name` as OpenAI accepts it: `[a-zA-Z0-9_-]{1,64}`.
pub fn schema_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(64)
        .collect();
    if cleaned.is_empty() {
        "output".to_owned()
    } else {
        cleaned
    }
}

/// Parses `text` as JSON, without a surrounding Markdown code fence if it has one.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str(strip_fence(text))
}

/// `text` trimmed, and without a surrounding ```` ``` ```` or ```` ```json ```` fence.
fn strip_fence(text: &str) -> &str {
    let text = text.trim();
    let Some(rest) = text.strip_prefix("```") else { return text };
    let Some(rest) = rest.strip_suffix("```") else { return text };
    // The rest of the opening line is the info string (`json`, `JSON`, nothing).
    match rest.split_once('\n') {
        Some((_, body)) => body.trim(),
        None => rest.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Completion;
    use serde_json::{json, Value};
    use std::cell::RefCell;

    #[test]
    fn fences_are_tolerated() {
        assert_eq!(parse_json::<Value>("```json\n{\"a\": 1}\n```").unwrap(), json!({"a": 1}));
        assert_eq!(parse_json::<Value>("  ```\n[1, 2]\n```  ").unwrap(), json!([1, 2]));
        assert_eq!(parse_json::<Value>("{\"a\": \"```\"}").unwrap(), json!({"a": "```"}));
        assert!(parse_json::<Value>("```json\n{\"a\": 1}").is_err(), "an unclosed fence is not JSON");
        assert!(parse_json::<Value>("Sure! {\"a\": 1}").is_err());
    }

    #[test]
    fn schema_names_are_sanitised() {
        assert_eq!(schema_name("reply plan/v2"), "reply_plan_v2");
        assert_eq!(schema_name(""), "output");
        assert_eq!(schema_name(&"x".repeat(100)).len(), 64);
    }

    /// Answers with each scripted text in turn and records the requests.
    struct Scripted {
        replies: RefCell<Vec<&'static str>>,
        seen: RefCell<Vec<CompletionRequest>>,
    }

    impl ChatModel for Scripted {
        async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
            self.seen.borrow_mut().push(request.clone());
            let text = self.replies.borrow_mut().remove(0).to_owned();
            Ok(Completion { text, model: "m".into(), prompt_tokens: Some(10), completion_tokens: Some(2) })
        }
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Answer {
        ok: bool,
    }

    #[test]
    fn one_repair_call_then_a_typed_error() {
        let request = CompletionRequest { messages: vec![ChatMessage::user("q")], ..Default::default() };
        let cancel = CancelToken::new();
        let model = Scripted { replies: RefCell::new(vec!["{\"ok\": true}"]), seen: RefCell::default() };
        let answer: Structured<Answer> = futures::executor::block_on(complete_json(&model, &request, &cancel)).unwrap();
        assert_eq!((answer.value, answer.repaired), (Answer { ok: true }, false));

        let model = Scripted { replies: RefCell::new(vec!["{ok: yes", "{\"ok\": false}"]), seen: RefCell::default() };
        let answer: Structured<Answer> = futures::executor::block_on(complete_json(&model, &request, &cancel)).unwrap();
        assert_eq!((answer.value, answer.repaired, answer.outcome.attempts), (Answer { ok: false }, true, 2));
        assert_eq!(answer.outcome.completion.prompt_tokens, Some(20), "usage of both calls is counted");
        let repair = &model.seen.borrow()[1];
        assert_eq!(repair.messages[1], ChatMessage::assistant("{ok: yes"));
        assert!(repair.messages[2].content.contains("not valid JSON"));

        let model = Scripted { replies: RefCell::new(vec!["nope", "still nope"]), seen: RefCell::default() };
        let error = futures::executor::block_on(complete_json::<Answer, _>(&model, &request, &cancel)).unwrap_err();
        assert!(matches!(error, ModelError::Malformed(_)), "{error:?}");
        assert_eq!(model.seen.borrow().len(), 2, "exactly one repair call");
    }
}
