//! `OpenAiChatModel` in headless Chromium (reqwest over `fetch`) against the fake OpenAI server.
//!
//! The server runs natively beside the browser: scripts/test.sh starts
//! `target/debug/fake-openai --script tests/fake-scripts/browser-stream.json` and compiles this
//! test with `PERSONA_FAKE_URL=http://127.0.0.1:PORT/v1`. Every call is cross-origin (the test
//! page is served from another port), so these tests also exercise the server's CORS answers.
#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use persona_core::model::{CancelToken, ChatMessage, ChatModel, CompletionRequest, ModelError};
use persona_model::{EndpointConfig, OpenAiChatModel, RetryPolicy};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The fake server's OpenAI base URL, fixed when this test was compiled.
fn base_url() -> String {
    let Some(url) = option_env!("PERSONA_FAKE_URL").filter(|url| !url.trim().is_empty()) else {
        panic!(
            "PERSONA_FAKE_URL was not set when this test was compiled. Start \
             `target/debug/fake-openai --script tests/fake-scripts/browser-stream.json` and build the test with \
             PERSONA_FAKE_URL=http://127.0.0.1:PORT/v1 (scripts/test.sh does both)."
        )
    };
    let url = url.trim().trim_end_matches('/');
    if url.ends_with("/v1") {
        url.to_owned()
    } else {
        format!("{url}/v1")
    }
}

/// A client with short retry waits and a time limit well below the runner's, so that a
/// broken server fails the test instead of hanging it.
fn model() -> OpenAiChatModel {
    let config = EndpointConfig::new(base_url(), "fake-model").with_timeout_ms(30_000);
    OpenAiChatModel::new(config).expect("a valid endpoint").with_retry_policy(RetryPolicy {
        max_attempts: 2,
        base_delay_ms: 20,
        max_delay_ms: 50,
        max_retry_after_ms: 1_000,
    })
}

fn request(user: &str) -> CompletionRequest {
    // An empty model: the endpoint's ("fake-model").
    CompletionRequest { messages: vec![ChatMessage::user(user)], ..Default::default() }
}

/// Milliseconds on the page's clock.
fn now_ms() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen_test]
async fn complete_streaming_hands_on_each_piece_as_it_arrives() {
    let pieces = RefCell::new(Vec::<String>::new());
    let mut on_token = |piece: &str| pieces.borrow_mut().push(piece.to_owned());
    let outcome = model()
        .complete_streaming(&request("stream please"), &mut on_token, &CancelToken::new())
        .await
        .expect("the stream completes");

    let pieces = pieces.into_inner();
    assert!(pieces.len() > 1, "streamed in several pieces, not one: {pieces:?}");
    assert_eq!(pieces.concat(), outcome.completion.text, "the pieces make up the final text");
    assert_eq!(outcome.completion.text, "Hello from the stream.");
    assert_eq!(outcome.completion.model, "fake-model");
    assert_eq!(outcome.attempts, 1);
    // The client asks for `include_usage`; the fake server counts words.
    assert_eq!(outcome.completion.prompt_tokens, Some(2), "prompt tokens from the usage chunk");
    assert_eq!(outcome.completion.completion_tokens, Some(4));
}

#[wasm_bindgen_test]
async fn complete_without_streaming() {
    let completion = model().complete(&request("plain please")).await.expect("a completion");
    assert_eq!(completion.text, "A plain answer for the browser.");
    assert_eq!(completion.model, "fake-model");
    assert_eq!(completion.prompt_tokens, Some(2));
    assert_eq!(completion.completion_tokens, Some(6));
}

#[wasm_bindgen_test]
async fn server_error_surfaces_as_http_500() {
    // One plain attempt: the status itself.
    let error = model().complete(&request("fail please")).await.expect_err("HTTP 500");
    match &error {
        ModelError::Http { status: 500, message } => assert!(message.contains("the fake model crashed"), "{message}"),
        other => panic!("expected HTTP 500, got {other:?}"),
    }

    // Streaming retries 5xx by the policy, then reports the last failure.
    let mut tokens = 0;
    let error = model()
        .complete_streaming(&request("fail please"), &mut |_| tokens += 1, &CancelToken::new())
        .await
        .expect_err("HTTP 500 every time");
    assert!(matches!(error, ModelError::RetriesExhausted { attempts: 2, .. }), "retried once, then gave up: {error:?}");
    assert!(matches!(error.root(), ModelError::Http { status: 500, .. }), "{error:?}");
    assert_eq!(tokens, 0);
}

#[wasm_bindgen_test]
async fn cancelling_mid_stream_resolves_promptly() {
    let cancel = CancelToken::new();
    let pieces = RefCell::new(Vec::<String>::new());
    let cancelled_at = Cell::new(None::<f64>);
    let mut on_token = |piece: &str| {
        pieces.borrow_mut().push(piece.to_owned());
        if cancelled_at.get().is_none() {
            cancelled_at.set(Some(now_ms()));
            cancel.cancel();
        }
    };
    // The scripted stream sends 40 pieces 500 ms apart: about 20 s if it were not cancelled.
    let result = model().complete_streaming(&request("slow please"), &mut on_token, &cancel).await;
    let resolved_at = now_ms();

    assert_eq!(result, Err(ModelError::Cancelled));
    let cancelled_at = cancelled_at.get().expect("a first piece arrived before the cancel");
    // Nothing is read after the cancel: the stream is dropped, not drained.
    assert_eq!(pieces.into_inner(), ["tick "]);
    // The call ends on the cancel itself, not when the next piece arrives (500 ms later) or
    // when the stream would have ended (~20 s): the bound leaves plenty of room for a busy
    // machine while still telling those apart.
    let waited = resolved_at - cancelled_at;
    assert!(waited < 450.0, "the call resolved {waited} ms after the cancel");
}

#[wasm_bindgen_test]
async fn dropped_connection_is_a_network_error() {
    let error = model().complete(&request("vanish please")).await.expect_err("no answer");
    assert!(matches!(error, ModelError::Network(_)), "no HTTP status, a network failure: {error:?}");
}

#[wasm_bindgen_test]
async fn one_client_serves_several_calls() {
    // Keep-alive connections and the CORS preflight cache must not break later calls.
    let model = model();
    let shared = Rc::new(RefCell::new(String::new()));
    for _ in 0..3 {
        let sink = Rc::clone(&shared);
        let mut on_token = move |piece: &str| sink.borrow_mut().push_str(piece);
        let outcome = model
            .complete_streaming(&request("stream please"), &mut on_token, &CancelToken::new())
            .await
            .expect("each call completes");
        assert_eq!(outcome.completion.text, "Hello from the stream.");
    }
    assert_eq!(shared.borrow().as_str(), "Hello from the stream.".repeat(3));
}
