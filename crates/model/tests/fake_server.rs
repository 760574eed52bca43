#![cfg(not(target_arch = "wasm32"))]
//! `OpenAiChatModel` against the fake OpenAI server on 127.0.0.1.

use std::time::Duration;

use persona_core::model::{ChatMessage, ChatModel, Completion, CompletionRequest, ModelError};
use persona_fake_server::{FakeServer, Reply, Rule, Script};
use persona_model::{EndpointConfig, OpenAiChatModel};
use serde_json::json;

const KEY: &str = "sk-test-secret-0123456789";

fn request() -> CompletionRequest {
    CompletionRequest {
        model: "fake-model".into(),
        messages: vec![ChatMessage::system("You are terse."), ChatMessage::user("Say hi")],
        temperature: Some(0.5),
        max_tokens: Some(32),
        json_schema: None,
    }
}

fn model_for(server: &FakeServer) -> OpenAiChatModel {
    OpenAiChatModel::new(EndpointConfig::new(server.base_url(), "configured-model").with_api_key(KEY)).unwrap()
}

async fn complete_with(reply: Reply) -> (Result<Completion, ModelError>, FakeServer) {
    let server = FakeServer::start(Script::new().rule(Rule::new(reply))).await;
    let result = model_for(&server).complete(&request()).await;
    (result, server)
}

#[tokio::test]
async fn success_maps_text_model_and_usage() {
    let (result, _server) = complete_with(Reply::text("Hi there")).await;
    assert_eq!(
        result.unwrap(),
        Completion {
            text: "Hi there".into(),
            model: "fake-model".into(),
            // The fake server counts words: "You are terse." + "Say hi".
            prompt_tokens: Some(5),
            completion_tokens: Some(2),
        }
    );
}

#[tokio::test]
async fn sends_the_documented_request_with_the_bearer_token() {
    let (result, server) = complete_with(Reply::text("ok")).await;
    result.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {KEY}").as_str()));
    assert!(sent.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(
        sent.body,
        Some(json!({
            "model": "fake-model",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Say hi"},
            ],
            "temperature": 0.5,
            "max_tokens": 32,
        }))
    );
}

#[tokio::test]
async fn omits_unset_options_and_uses_the_configured_model() {
    let server = FakeServer::start(Script::new()).await;
    let model =
        OpenAiChatModel::new(EndpointConfig::new(format!("{}/", server.base_url()), "configured-model")).unwrap();
    let request = CompletionRequest {
        model: String::new(),
        messages: vec![ChatMessage::user("x")],
        temperature: None,
        max_tokens: None,
        json_schema: None,
    };
    let completion = model.complete(&request).await.unwrap();
    assert_eq!(completion.text, "echo: x");
    assert_eq!(completion.model, "configured-model");
    let sent = &server.requests()[0];
    assert_eq!(sent.body, Some(json!({"model": "configured-model", "messages": [{"role": "user", "content": "x"}]})));
    assert_eq!(sent.header("authorization"), None, "no key, no header");
}

#[tokio::test]
async fn rate_limit_reads_retry_after() {
    let (result, _server) = complete_with(Reply::rate_limited(Some(2))).await;
    assert_eq!(result, Err(ModelError::RateLimited { retry_after_ms: Some(2000) }));
    let (result, _server) = complete_with(Reply::rate_limited(None)).await;
    assert_eq!(result, Err(ModelError::RateLimited { retry_after_ms: None }));
}

#[tokio::test]
async fn server_error_carries_the_openai_message() {
    let (result, _server) =
        complete_with(Reply::error(500, "The server had an error while processing your request.")).await;
    assert_eq!(
        result,
        Err(ModelError::Http { status: 500, message: "The server had an error while processing your request.".into() })
    );
    let (result, _server) = complete_with(Reply::error(503, "overloaded")).await;
    assert_eq!(result, Err(ModelError::Http { status: 503, message: "overloaded".into() }));
}

#[tokio::test]
async fn an_echoed_key_is_scrubbed_from_errors() {
    let (result, _server) = complete_with(Reply::error(401, format!("Incorrect API key provided: {KEY}"))).await;
    let Err(ModelError::Http { status: 401, message }) = result else { panic!("expected HTTP 401, got {result:?}") };
    assert!(!message.contains(KEY), "{message}");
    assert!(message.contains("[redacted]"));
}

#[tokio::test]
async fn malformed_body_is_malformed() {
    let (result, _server) = complete_with(Reply::Malformed { body: Some("<html>gateway</html>".into()) }).await;
    let Err(ModelError::Malformed(message)) = result else { panic!("expected Malformed, got {result:?}") };
    assert!(message.contains("<html>gateway</html>"), "{message}");
}

#[tokio::test]
async fn a_body_cut_off_midway_is_a_network_error() {
    let (result, _server) = complete_with(Reply::truncated(["never finished"])).await;
    assert!(matches!(result, Err(ModelError::Network(_))), "{result:?}");
}

#[tokio::test]
async fn scripted_failures_then_success() {
    let script =
        Script::new().rule(Rule::new(Reply::error(502, "bad gateway")).times(1)).rule(Rule::new(Reply::text("ok")));
    let server = FakeServer::start(script).await;
    let model = model_for(&server);
    assert!(matches!(model.complete(&request()).await, Err(ModelError::Http { status: 502, .. })));
    assert_eq!(model.complete(&request()).await.unwrap().text, "ok");
}

#[tokio::test]
async fn timeout_is_a_timeout() {
    let script = Script::new().rule(Rule::new(Reply::text("late")).delay(Duration::from_secs(5)));
    let server = FakeServer::start(script).await;
    let config = EndpointConfig::new(server.base_url(), "m").with_timeout(Duration::from_millis(200));
    let result = OpenAiChatModel::new(config).unwrap().complete(&request()).await;
    assert_eq!(result, Err(ModelError::Timeout { after_ms: 200 }));
}

#[tokio::test]
async fn a_closed_port_is_a_network_error() {
    // Bind a port, then free it: nothing listens there any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = EndpointConfig::new(format!("http://127.0.0.1:{port}/v1"), "m").with_api_key(KEY);
    let result = OpenAiChatModel::new(config).unwrap().complete(&request()).await;
    let Err(ModelError::Network(message)) = result else { panic!("expected Network, got {result:?}") };
    assert!(message.contains(&format!("127.0.0.1:{port}")), "{message}");
    assert!(!message.contains(KEY));
}

#[test]
fn debug_never_shows_the_key() {
    let config = EndpointConfig::new("http://127.0.0.1:1/v1", "m").with_api_key(KEY);
    assert!(!format!("{config:?}").contains(KEY));
    let model = OpenAiChatModel::new(config).unwrap();
    assert!(!format!("{model:?}").contains(KEY));
    assert!(!format!("{model:#?}").contains(KEY));
}
