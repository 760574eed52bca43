//! Structured output over the wire: how a request's JSON schema reaches the endpoint.
//!
//! The parsing and the one repair call live in the core ([`persona_core::structured`]), so any
//! [`ChatModel`](persona_core::model::ChatModel) gets them. Here the schema becomes
//! `response_format: {"type": "json_schema", "json_schema": {"name", "schema", "strict": true}}`
//! when the endpoint supports it ([`EndpointConfig::json_schema`](crate::EndpointConfig)), and an
//! instruction in the system message otherwise.

use persona_core::model::{CancelToken, CompletionRequest, JsonSchemaSpec, ModelError};
pub use persona_core::structured::Structured;
use persona_core::structured::{json_instruction, schema_name};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::OpenAiChatModel;
use crate::wire::{ChatCompletionRequest, ChatMessage, JsonSchemaFormat, ResponseFormat};

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
        let request = CompletionRequest {
            json_schema: Some(JsonSchemaSpec { name: name.to_owned(), schema: schema.clone() }),
            ..request.clone()
        };
        persona_core::structured::complete_json(self, &request, cancel).await
    }
}

/// Puts `spec` into `body`: as `response_format` when the endpoint takes JSON schemas
/// (`native`), else as an instruction in the system message.
pub(crate) fn ask_for_json(body: &mut ChatCompletionRequest, spec: &JsonSchemaSpec, native: bool) {
    if native {
        body.response_format = Some(ResponseFormat::JsonSchema {
            json_schema: JsonSchemaFormat {
                name: schema_name(&spec.name),
                description: None,
                schema: spec.schema.clone(),
                strict: Some(true),
            },
        });
    } else {
        add_to_system(&mut body.messages, &json_instruction(&spec.schema));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
