//! Structured output: a completion parsed as JSON into a Rust type.
//!
//! [`OpenAiChatModel::complete_json`] asks for JSON matching a schema: with
//! `response_format: {"type": "json_schema", "json_schema": {"name", "schema", "strict": true}}`
//! when the endpoint supports it ([`EndpointConfig::json_schema`](crate::EndpointConfig)),
//! else with an instruction in the system prompt. The reply is parsed (a ```` ```json ````
//! fence around it is tolerated); when that fails, the model gets one repair call — its own
//! output and the parse error, asked to answer with only valid JSON — before the call fails
//! with [`ModelError::Malformed`].

use persona_core::model::{CancelToken, CompletionOutcome, CompletionRequest, ModelError};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::OpenAiChatModel;
use crate::wire::{ChatMessage, JsonSchemaFormat, ResponseFormat};

/// A parsed structured answer and how the call went.
#[derive(Clone, Debug, PartialEq)]
pub struct Structured<T> {
    /// The parsed value.
    pub value: T,
    /// The completion whose text parsed, with the HTTP attempts of every call made.
    pub outcome: CompletionOutcome,
    /// Whether the first answer was not valid and a repair call was needed.
    pub repaired: bool,
}

impl OpenAiChatModel {
    /// A completion parsed as JSON into `T`, asked for with `schema` under `name` (see the
    /// module docs). Retries and cancellation work as for
    /// [`complete_cancellable`](persona_core::model::ChatModel::complete_cancellable).
    pub async fn complete_json<T: DeserializeOwned>(
        &self,
        request: &CompletionRequest,
        schema: &Value,
        name: &str,
        cancel: &CancelToken,
    ) -> Result<Structured<T>, ModelError> {
        let mut body = self.wire_request(request);
        if self.config().json_schema {
            body.response_format = Some(ResponseFormat::JsonSchema {
                json_schema: JsonSchemaFormat {
                    name: schema_name(name),
                    description: None,
                    schema: schema.clone(),
                    strict: Some(true),
                },
            });
        } else {
            add_to_system(&mut body.messages, &json_instruction(schema));
        }
        let first = self.call(&body, None, cancel).await?;
        let error = match parse_json::<T>(&first.completion.text) {
            Ok(value) => return Ok(Structured { value, outcome: first, repaired: false }),
            Err(error) => error,
        };
        body.messages.push(ChatMessage { role: "assistant".into(), content: first.completion.text.clone() });
        body.messages.push(ChatMessage {
            role: "user".into(),
            content: format!(
                "Your previous reply was not valid JSON for the requested schema ({error}). Reply again with \
                 only the corrected JSON: no explanations, no code fences."
            ),
        });
        let second = self.call(&body, None, cancel).await?;
        let attempts = first.attempts + second.attempts;
        match parse_json::<T>(&second.completion.text) {
            Ok(value) => Ok(Structured { value, outcome: CompletionOutcome { attempts, ..second }, repaired: true }),
            Err(error) => Err(ModelError::Malformed(format!(
                "the model did not answer with valid JSON, even after a repair request: {error}"
            ))),
        }
    }
}

/// The instruction that asks for JSON in words, for endpoints without `json_schema`.
fn json_instruction(schema: &Value) -> String {
    format!(
        "Answer with one JSON value only: no prose before or after it, no code fences. It must match this \
         JSON Schema: {schema}"
    )
}

/// Appends `text` to the first system message, or puts a system message first.
fn add_to_system(messages: &mut Vec<ChatMessage>, text: &str) {
    match messages.iter_mut().find(|message| message.role == "system") {
        Some(system) => {
            system.content.push_str("\n\n");
            system.content.push_str(text);
        }
        None => messages.insert(0, ChatMessage { role: "system".into(), content: text.to_owned() }),
    }
}

/// `name` as OpenAI accepts it: `[a-zA-Z0-9_-]{1,64}`.
fn schema_name(name: &str) -> String {
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
pub(crate) fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
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
    use serde_json::json;

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

    #[test]
    fn the_instruction_goes_into_the_system_message() {
        let mut messages = vec![ChatMessage { role: "user".into(), content: "q".into() }];
        add_to_system(&mut messages, "JSON only");
        assert_eq!(messages[0], ChatMessage { role: "system".into(), content: "JSON only".into() });
        add_to_system(&mut messages, "again");
        assert_eq!(messages[0].content, "JSON only\n\nagain");
        assert_eq!(messages.len(), 2);
    }
}
