#![cfg(not(target_arch = "wasm32"))]
//! Streaming, retries, cancellation, time limits and structured output of `OpenAiChatModel`
//! against the fake OpenAI server on 127.0.0.1. Backoff waits go to a `RecordingSleeper`, so
//! nothing here sleeps except the fake server's own scripted delays.

use std::sync::Arc;
use std::time::{Duration, Instant};

use persona_core::model::{CancelToken, ChatMessage, ChatModel, CompletionOutcome, CompletionRequest, ModelError};
use persona_fake_server::{FakeServer, Reply, Rule, Script};
use persona_model::{EndpointConfig, OpenAiChatModel, RecordingSleeper, RetryPolicy};
use serde::Deserialize;
use serde_json::{json, Value};

const KEY: &str = "sk-test-secret-0123456789";

fn request() -> CompletionRequest {
    CompletionRequest {
        model: "fake-model".into(),
        messages: vec![ChatMessage::system("You are terse."), ChatMessage::user("Say hi")],
        temperature: None,
        max_tokens: None,
        json_schema: None,
    }
}

/// A client for `server` whose backoff waits are recorded, not slept.
fn model_for(server: &FakeServer) -> (OpenAiChatModel, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::new());
    let config = EndpointConfig::new(server.base_url(), "configured-model").with_api_key(KEY);
    (OpenAiChatModel::new(config).unwrap().with_sleeper(sleeper.clone()), sleeper)
}

async fn start(script: Script) -> (FakeServer, OpenAiChatModel, Arc<RecordingSleeper>) {
    let server = FakeServer::start(script).await;
    let (model, sleeper) = model_for(&server);
    (server, model, sleeper)
}

/// Streams `request()` and returns the outcome and the pieces handed on.
async fn stream(model: &OpenAiChatModel) -> (Result<CompletionOutcome, ModelError>, Vec<String>) {
    let mut tokens = Vec::new();
    let result = model
        .complete_streaming(&request(), &mut |piece: &str| tokens.push(piece.to_owned()), &CancelToken::new())
        .await;
    (result, tokens)
}

// --- streaming --------------------------------------------------------------------------

#[tokio::test]
async fn streaming_delivers_tokens_in_order_with_usage() {
    let pieces = ["Hel", "lo, ", "wor", "ld!"];
    let script = Script::new().rule(Rule::new(Reply::pieces(pieces)).chunk_interval(Duration::from_millis(5)));
    let (server, model, _) = start(script).await;
    let (result, tokens) = stream(&model).await;
    let outcome = result.unwrap();
    assert_eq!(tokens, pieces);
    assert_eq!(outcome.completion.text, tokens.concat());
    assert_eq!(outcome.completion.model, "fake-model");
    assert_eq!(outcome.attempts, 1);
    // The fake server counts words: "You are terse." + "Say hi", and "Hello, world!".
    assert_eq!((outcome.completion.prompt_tokens, outcome.completion.completion_tokens), (Some(5), Some(2)));
    let sent = &server.requests()[0];
    assert_eq!(sent.header("accept"), Some("text/event-stream"));
    assert_eq!(sent.bearer_token(), Some(KEY));
    let body = sent.body.as_ref().unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn a_stream_cut_after_text_is_interrupted_and_not_retried() {
    let (server, model, sleeper) = start(Script::new().rule(Rule::new(Reply::truncated(["Half an ", "answ"])))).await;
    let (result, tokens) = stream(&model).await;
    assert!(matches!(result, Err(ModelError::Interrupted(_))), "{result:?}");
    assert_eq!(tokens, ["Half an ", "answ"], "what arrived was shown, but is no answer");
    assert_eq!(server.requests().len(), 1, "text already shown is never requested twice");
    assert!(sleeper.delays_ms().is_empty());
}

#[tokio::test]
async fn a_stream_cut_before_any_text_is_retried() {
    let script = Script::new()
        .rule(Rule::new(Reply::truncated(Vec::<String>::new())).times(1))
        .rule(Rule::new(Reply::pieces(["fine"])));
    let (server, model, sleeper) = start(script).await;
    let (result, tokens) = stream(&model).await;
    assert_eq!(result.unwrap().attempts, 2);
    assert_eq!(tokens, ["fine"]);
    assert_eq!(server.requests().len(), 2);
    assert_eq!(sleeper.delays_ms(), [500]);
}

#[tokio::test]
async fn a_malformed_stream_event_is_malformed() {
    let (_server, model, _) = start(Script::new().rule(Rule::new(Reply::malformed()))).await;
    let (result, tokens) = stream(&model).await;
    assert!(matches!(result, Err(ModelError::Malformed(_))), "{result:?}");
    assert!(tokens.is_empty());
}

#[tokio::test]
async fn streaming_errors_are_typed_and_scrubbed() {
    let script = Script::new().rule(Rule::new(Reply::error(401, format!("Incorrect API key provided: {KEY}"))));
    let (_server, model, _) = start(script).await;
    let (result, _) = stream(&model).await;
    let Err(ModelError::Http { status: 401, message }) = result else { panic!("expected 401, got {result:?}") };
    assert!(!message.contains(KEY) && message.contains("[redacted]"), "{message}");
}

// --- retries ----------------------------------------------------------------------------

#[tokio::test]
async fn a_503_then_success_is_retried_after_the_backoff() {
    let script =
        Script::new().rule(Rule::new(Reply::error(503, "overloaded")).times(1)).rule(Rule::new(Reply::text("ok")));
    let (server, model, sleeper) = start(script).await;
    let outcome = model.complete_cancellable(&request(), &CancelToken::new()).await.unwrap();
    assert_eq!(outcome.completion.text, "ok");
    assert_eq!(outcome.attempts, 2);
    assert_eq!(sleeper.delays_ms(), [500]);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let script =
        Script::new().rule(Rule::new(Reply::rate_limited(Some(2))).times(1)).rule(Rule::new(Reply::text("ok")));
    let (_server, model, sleeper) = start(script).await;
    let outcome = model.complete_cancellable(&request(), &CancelToken::new()).await.unwrap();
    assert_eq!(outcome.attempts, 2);
    assert_eq!(sleeper.delays_ms(), [2000]);
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_and_a_long_one_fails_at_once() {
    let script = Script::new().rule(Rule::new(Reply::rate_limited(None)).times(1)).rule(Rule::new(Reply::text("ok")));
    let (_server, model, sleeper) = start(script).await;
    assert_eq!(model.complete_cancellable(&request(), &CancelToken::new()).await.unwrap().attempts, 2);
    assert_eq!(sleeper.delays_ms(), [500]);

    let (server, model, sleeper) = start(Script::new().rule(Rule::new(Reply::rate_limited(Some(600))))).await;
    let result = model.complete_cancellable(&request(), &CancelToken::new()).await;
    assert_eq!(result, Err(ModelError::RateLimited { retry_after_ms: Some(600_000) }));
    assert!(sleeper.delays_ms().is_empty());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let (server, model, sleeper) = start(Script::new().rule(Rule::new(Reply::error(400, "bad request")))).await;
    let result = model.complete_cancellable(&request(), &CancelToken::new()).await;
    assert_eq!(result, Err(ModelError::Http { status: 400, message: "bad request".into() }));
    assert_eq!(server.requests().len(), 1);
    assert!(sleeper.delays_ms().is_empty());
}

#[tokio::test]
async fn exhausted_retries_are_a_typed_error() {
    let (server, model, sleeper) = start(Script::new().rule(Rule::new(Reply::error(503, format!("down {KEY}"))))).await;
    let result = model.complete_cancellable(&request(), &CancelToken::new()).await;
    let Err(ModelError::RetriesExhausted { attempts: 3, last }) = &result else { panic!("{result:?}") };
    let ModelError::Http { status: 503, message } = &**last else { panic!("{last:?}") };
    assert_eq!(message, "down [redacted]");
    assert_eq!(sleeper.delays_ms(), [500, 1000]);
    assert_eq!(server.requests().len(), 3);

    let model = model.with_retry_policy(RetryPolicy { max_attempts: 1, ..RetryPolicy::default() });
    let result = model.complete_cancellable(&request(), &CancelToken::new()).await;
    assert!(matches!(result, Err(ModelError::Http { status: 503, .. })), "one attempt: the error itself");
}

#[tokio::test]
async fn plain_complete_still_makes_one_attempt() {
    let (server, model, _) = start(Script::new().rule(Rule::new(Reply::error(503, "overloaded")))).await;
    assert!(matches!(model.complete(&request()).await, Err(ModelError::Http { status: 503, .. })));
    assert_eq!(server.requests().len(), 1);
}

// --- cancellation and time limits -------------------------------------------------------

#[tokio::test]
async fn cancelling_a_slow_request_returns_at_once() {
    let script = Script::new().rule(Rule::new(Reply::text("late")).delay(Duration::from_secs(10)));
    let (server, model, _) = start(script).await;
    let token = CancelToken::new();
    let canceller = {
        let token = token.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            token.cancel();
        }
    };
    let started = Instant::now();
    let asked = request();
    let (result, ()) = tokio::join!(model.complete_cancellable(&asked, &token), canceller);
    assert_eq!(result, Err(ModelError::Cancelled));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    assert_eq!(server.requests().len(), 1, "the request was sent, then dropped");
}

#[tokio::test]
async fn cancelling_mid_stream_stops_the_stream() {
    let script = Script::new()
        .rule(Rule::new(Reply::pieces(["one ", "two ", "three ", "four"])).chunk_interval(Duration::from_millis(300)));
    let (_server, model, _) = start(script).await;
    let token = CancelToken::new();
    let mut tokens = Vec::new();
    let started = Instant::now();
    let result = model
        .complete_streaming(
            &request(),
            &mut |piece: &str| {
                tokens.push(piece.to_owned());
                token.cancel();
            },
            &token,
        )
        .await;
    assert_eq!(result, Err(ModelError::Cancelled));
    assert_eq!(tokens, ["one "]);
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_cancelled_token_sends_nothing() {
    let (server, model, _) = start(Script::new()).await;
    let token = CancelToken::new();
    token.cancel();
    assert_eq!(model.complete_cancellable(&request(), &token).await, Err(ModelError::Cancelled));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn the_time_limit_is_a_timeout() {
    let script = Script::new().rule(Rule::new(Reply::text("late")).delay(Duration::from_secs(5)));
    let server = FakeServer::start(script).await;
    let config = EndpointConfig::new(server.base_url(), "m").with_timeout_ms(200);
    let model = OpenAiChatModel::new(config).unwrap();
    let started = Instant::now();
    let result = model.complete_cancellable(&request(), &CancelToken::new()).await;
    assert_eq!(result, Err(ModelError::Timeout { after_ms: 200 }));
    let (result, _) = stream(&model).await;
    assert_eq!(result, Err(ModelError::Timeout { after_ms: 200 }));
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
}

// --- per-stage settings -----------------------------------------------------------------

#[tokio::test]
async fn the_stage_settings_fill_in_what_the_request_leaves_out() {
    let server = FakeServer::start(Script::new()).await;
    let config = EndpointConfig::new(server.base_url(), "stage-model").with_temperature(0.25).with_max_tokens(99);
    let model = OpenAiChatModel::new(config).unwrap();
    let mut asked = request();
    asked.model = String::new();
    model.complete(&asked).await.unwrap();
    asked.temperature = Some(0.75);
    asked.max_tokens = Some(7);
    model.complete(&asked).await.unwrap();
    let bodies: Vec<Value> = server.requests().into_iter().map(|sent| sent.body.unwrap()).collect();
    assert_eq!(bodies[0]["model"], "stage-model");
    assert_eq!((&bodies[0]["temperature"], &bodies[0]["max_tokens"]), (&json!(0.25), &json!(99)));
    assert_eq!((&bodies[1]["temperature"], &bodies[1]["max_tokens"]), (&json!(0.75), &json!(7)));
}

// --- structured output ------------------------------------------------------------------

#[derive(Debug, Deserialize, PartialEq)]
struct Person {
    name: String,
    age: u32,
}

fn person_schema() -> Value {
    json!({
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
        "additionalProperties": false,
    })
}

const JANE: &str = r#"{"name": "Jane", "age": 41}"#;

fn jane() -> Person {
    Person { name: "Jane".into(), age: 41 }
}

#[tokio::test]
async fn structured_output_sends_the_schema_and_parses_the_reply() {
    let (server, model, _) = start(Script::new().rule(Rule::new(Reply::text(JANE)))).await;
    let structured =
        model.complete_json::<Person>(&request(), &person_schema(), "person", &CancelToken::new()).await.unwrap();
    assert_eq!(structured.value, jane());
    assert!(!structured.repaired);
    assert_eq!(structured.outcome.attempts, 1);
    let body = server.requests()[0].body.clone().unwrap();
    assert_eq!(
        body["response_format"],
        json!({"type": "json_schema", "json_schema": {"name": "person", "schema": person_schema(), "strict": true}})
    );
    assert_eq!(body["messages"][0]["content"], "You are terse.", "no instruction in words");
}

#[tokio::test]
async fn fenced_json_is_parsed() {
    let fenced = format!("```json\n{JANE}\n```");
    let (_server, model, _) = start(Script::new().rule(Rule::new(Reply::text(fenced)))).await;
    let structured =
        model.complete_json::<Person>(&request(), &person_schema(), "person", &CancelToken::new()).await.unwrap();
    assert_eq!(structured.value, jane());
}

#[tokio::test]
async fn malformed_json_gets_one_repair_call() {
    let script =
        Script::new().rule(Rule::new(Reply::text("Sure! Jane is 41.")).times(1)).rule(Rule::new(Reply::text(JANE)));
    let (server, model, _) = start(script).await;
    let structured =
        model.complete_json::<Person>(&request(), &person_schema(), "person", &CancelToken::new()).await.unwrap();
    assert_eq!(structured.value, jane());
    assert!(structured.repaired);
    assert_eq!(structured.outcome.attempts, 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let messages = requests[1].body.as_ref().unwrap()["messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 4);
    assert_eq!(messages[2], json!({"role": "assistant", "content": "Sure! Jane is 41."}));
    assert_eq!(messages[3]["role"], "user");
    assert!(messages[3]["content"].as_str().unwrap().contains("not valid JSON"));
    assert!(requests[1].body.as_ref().unwrap()["response_format"].is_object());
}

#[tokio::test]
async fn malformed_json_twice_is_malformed() {
    let (server, model, _) = start(Script::new().rule(Rule::new(Reply::text(r#"{"name": "Jane""#)))).await;
    let result = model.complete_json::<Person>(&request(), &person_schema(), "person", &CancelToken::new()).await;
    assert!(matches!(result, Err(ModelError::Malformed(_))), "{result:?}");
    assert_eq!(server.requests().len(), 2, "one call and one repair, no more");
}

#[tokio::test]
async fn without_json_schema_support_the_schema_is_asked_for_in_words() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::text(JANE)))).await;
    let config = EndpointConfig::new(server.base_url(), "m").with_json_schema(false);
    let model = OpenAiChatModel::new(config).unwrap();
    let structured =
        model.complete_json::<Person>(&request(), &person_schema(), "person", &CancelToken::new()).await.unwrap();
    assert_eq!(structured.value, jane());
    let body = server.requests()[0].body.clone().unwrap();
    assert!(body.get("response_format").is_none());
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert!(system.starts_with("You are terse.") && system.contains("JSON Schema"), "{system}");
}
