//! The fake server over real HTTP on 127.0.0.1, driven by reqwest.

use std::time::{Duration, Instant};

use persona_fake_server::{FakeServer, Reply, Rule, Script};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

fn chat_body(user: &str) -> Value {
    json!({"model": "fake-model", "messages": [{"role": "user", "content": user}]})
}

async fn post_chat(server: &FakeServer, body: &Value) -> reqwest::Response {
    Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

/// The `data:` payloads of an event-stream body, in order.
fn sse_data(body: &str) -> Vec<String> {
    body.split("\n\n")
        .filter(|event| !event.is_empty())
        .map(|event| event.strip_prefix("data: ").expect("every event is a data line").to_owned())
        .collect()
}

/// Reads a body chunk by chunk until it ends or fails; returns what arrived and whether it
/// ended cleanly.
async fn read_until_end_or_error(mut response: reqwest::Response) -> (String, bool) {
    let mut received = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => return (String::from_utf8(received).unwrap(), true),
            Err(_) => return (String::from_utf8(received).unwrap(), false),
        }
    }
}

#[tokio::test]
async fn non_streaming_completion_has_the_openai_shape() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::text("Hello there")))).await;
    let response = post_chat(
        &server,
        &json!({
            "model": "some-model",
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi you"}],
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    let body: Value = response.json().await.unwrap();
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_u64().unwrap() > 1_600_000_000);
    assert_eq!(body["model"], "some-model");
    assert_eq!(body["choices"].as_array().unwrap().len(), 1);
    let choice = &body["choices"][0];
    assert_eq!(choice["index"], 0);
    assert_eq!(choice["message"]["role"], "assistant");
    assert_eq!(choice["message"]["content"], "Hello there");
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(body["usage"], json!({"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}));
    server.shutdown().await;
}

#[tokio::test]
async fn default_reply_echoes_the_last_user_message() {
    let server = FakeServer::start(Script::new()).await;
    let body: Value = post_chat(&server, &chat_body("are you there?")).await.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "echo: are you there?");
}

#[tokio::test]
async fn streaming_events_concatenate_to_the_text_and_end_with_done() {
    let script = Script::new().rule(Rule::new(Reply::pieces(["Once ", "upon ", "a time."])));
    let server = FakeServer::start(script).await;
    let mut request = chat_body("story");
    request["stream"] = json!(true);
    let response = post_chat(&server, &request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/event-stream");
    let events = sse_data(&response.text().await.unwrap());

    assert_eq!(events.last().unwrap(), "[DONE]");
    let chunks: Vec<Value> =
        events[..events.len() - 1].iter().map(|data| serde_json::from_str(data).unwrap()).collect();
    assert_eq!(chunks.len(), 5, "role, three pieces, finish");
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["model"], "fake-model");
        assert_eq!(chunk["id"], chunks[0]["id"]);
        assert!(chunk.get("usage").is_none(), "no usage unless asked for");
    }
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let pieces: Vec<&str> =
        chunks[1..4].iter().map(|chunk| chunk["choices"][0]["delta"]["content"].as_str().unwrap()).collect();
    assert_eq!(pieces, ["Once ", "upon ", "a time."]);
    let text: String = chunks.iter().filter_map(|chunk| chunk["choices"][0]["delta"]["content"].as_str()).collect();
    assert_eq!(text, "Once upon a time.");
    assert!(chunks[..4].iter().all(|chunk| chunk["choices"][0]["finish_reason"].is_null()));
    assert_eq!(chunks[4]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[4]["choices"][0]["delta"], json!({}));
}

#[tokio::test]
async fn text_replies_stream_word_by_word() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::text("one two three")))).await;
    let mut request = chat_body("count");
    request["stream"] = json!(true);
    let events = sse_data(&post_chat(&server, &request).await.text().await.unwrap());
    let pieces: Vec<String> = events[..events.len() - 1]
        .iter()
        .filter_map(|data| {
            serde_json::from_str::<Value>(data).unwrap()["choices"][0]["delta"]["content"].as_str().map(str::to_owned)
        })
        .filter(|piece| !piece.is_empty())
        .collect();
    assert_eq!(pieces, ["one ", "two ", "three"]);
}

#[tokio::test]
async fn include_usage_adds_a_usage_chunk_before_done() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::text("a b c")))).await;
    let mut request = chat_body("x y");
    request["stream"] = json!(true);
    request["stream_options"] = json!({"include_usage": true});
    let events = sse_data(&post_chat(&server, &request).await.text().await.unwrap());

    assert_eq!(events.last().unwrap(), "[DONE]");
    let usage_chunk: Value = serde_json::from_str(&events[events.len() - 2]).unwrap();
    assert_eq!(usage_chunk["choices"], json!([]));
    assert_eq!(usage_chunk["usage"], json!({"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}));
    let finish: Value = serde_json::from_str(&events[events.len() - 3]).unwrap();
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    assert!(finish["usage"].is_null(), "other chunks carry usage: null");
}

#[tokio::test]
async fn rules_match_on_user_text_system_text_and_model() {
    let script = Script::new()
        .rule(Rule::new(Reply::text("weather")).user_contains("rain"))
        .rule(Rule::new(Reply::text("pirate")).system_contains("pirate"))
        .rule(Rule::new(Reply::text("big")).model("big-model"));
    let server = FakeServer::start(script).await;
    let answer = |body: Value| {
        let server = &server;
        async move {
            let body: Value = post_chat(server, &body).await.json().await.unwrap();
            body["choices"][0]["message"]["content"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(answer(chat_body("will it rain?")).await, "weather");
    let pirate = json!({"model": "fake-model", "messages": [
        {"role": "system", "content": "You are a pirate."},
        {"role": "user", "content": "hello"},
    ]});
    assert_eq!(answer(pirate).await, "pirate");
    let big = json!({"model": "big-model", "messages": [{"role": "user", "content": "hello"}]});
    assert_eq!(answer(big).await, "big");
    assert_eq!(answer(chat_body("hello")).await, "echo: hello");
}

#[tokio::test]
async fn times_scripts_fail_twice_then_succeed() {
    let script =
        Script::new().rule(Rule::new(Reply::error(503, "overloaded")).times(2)).rule(Rule::new(Reply::text("finally")));
    let server = FakeServer::start(script).await;
    for _ in 0..2 {
        assert_eq!(post_chat(&server, &chat_body("hi")).await.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    let response = post_chat(&server, &chat_body("hi")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "finally");
}

#[tokio::test]
async fn rate_limit_sends_429_with_retry_after() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::rate_limited(Some(7))).times(1))).await;
    let response = post_chat(&server, &chat_body("hi")).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[RETRY_AFTER], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
    assert!(body["error"]["message"].is_string());
    assert_eq!(post_chat(&server, &chat_body("hi")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn server_error_uses_openai_error_json() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::error(500, "The server had an error")))).await;
    let response = post_chat(&server, &chat_body("hi")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {"message": "The server had an error", "type": "server_error", "param": null, "code": null}})
    );
}

#[tokio::test]
async fn malformed_reply_is_not_json() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::malformed()))).await;
    let response = post_chat(&server, &chat_body("hi")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text:?} should not be JSON");
}

#[tokio::test]
async fn delay_postpones_the_answer() {
    let script = Script::new().rule(Rule::new(Reply::text("late")).delay(Duration::from_millis(300)));
    let server = FakeServer::start(script).await;
    let started = Instant::now();
    let response = post_chat(&server, &chat_body("hi")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn truncated_stream_closes_without_done() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::truncated(["Half ", "an"])))).await;
    let mut request = chat_body("hi");
    request["stream"] = json!(true);
    let response = post_chat(&server, &request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (received, clean) = read_until_end_or_error(response).await;
    assert!(!clean, "the connection is cut, not ended");
    assert!(!received.contains("[DONE]"));
    assert!(!received.contains("\"stop\""));
    assert!(received.contains("\"Half \""));
}

#[tokio::test]
async fn truncated_plain_answer_is_cut_mid_json() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::truncated(["Half an answer"])))).await;
    let (received, clean) = read_until_end_or_error(post_chat(&server, &chat_body("hi")).await).await;
    assert!(!clean);
    assert!(received.starts_with('{') && serde_json::from_str::<Value>(&received).is_err());
}

/// Sends `body` to the chat route and returns the client-side error; fails if any HTTP
/// response (status line) arrives.
async fn expect_no_response(server: &FakeServer, body: &Value) -> reqwest::Error {
    let result = Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .timeout(Duration::from_secs(10))
        .json(body)
        .send()
        .await;
    match result {
        Ok(response) => panic!("expected no HTTP response, got {}", response.status()),
        Err(error) => error,
    }
}

#[tokio::test]
async fn dropped_reply_closes_the_connection_without_a_response() {
    let script = Script::new().rule(Rule::new(Reply::dropped()).user_contains("vanish"));
    let server = FakeServer::start(script).await;

    let error = expect_no_response(&server, &chat_body("please vanish")).await;
    assert!(error.status().is_none(), "no HTTP status: {error:?}");
    assert!(!error.is_timeout(), "closed at once, not left hanging: {error:?}");
    assert!(error.is_request(), "the request failed in transport: {error:?}");

    let mut streaming = chat_body("vanish mid-stream");
    streaming["stream"] = json!(true);
    streaming["stream_options"] = json!({"include_usage": true});
    let error = expect_no_response(&server, &streaming).await;
    assert!(error.status().is_none() && !error.is_timeout(), "{error:?}");

    // The server itself is fine: the next request on a new connection is answered.
    let response = post_chat(&server, &chat_body("hello")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.requests().len(), 3, "dropped requests are still recorded");
}

#[tokio::test]
async fn dropped_reply_only_cuts_its_own_connection() {
    // One client, so the dropped request reuses the first one's pooled connection: cutting it
    // must not affect the server's other connections, and a used-up rule no longer applies.
    let script = Script::new().rule(Rule::new(Reply::dropped()).user_contains("drop").times(1));
    let server = FakeServer::start(script).await;
    let client = Client::new();
    let url = format!("{}/chat/completions", server.base_url());
    let first = client.post(&url).json(&chat_body("first")).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    first.bytes().await.unwrap();
    let dropped = client.post(&url).json(&chat_body("drop this one")).send().await;
    assert!(dropped.is_err_and(|error| error.status().is_none()));
    let again = client.post(&url).json(&chat_body("drop this one")).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::OK, "the rule was used up");
}

#[tokio::test]
async fn dropped_embeddings_request_gets_no_response() {
    let server = FakeServer::start(Script::new().embedding_rule(Rule::new(Reply::dropped()))).await;
    let result = Client::new()
        .post(format!("{}/embeddings", server.base_url()))
        .timeout(Duration::from_secs(10))
        .json(&json!({"model": "e", "input": "x"}))
        .send()
        .await;
    let error = result.expect_err("no HTTP response");
    assert!(error.status().is_none() && !error.is_timeout(), "{error:?}");
}

#[tokio::test]
async fn latency_delays_every_chat_answer() {
    let latency = Duration::from_millis(200);
    let script = Script::new()
        .rule(Rule::new(Reply::pieces(["a ", "b"])).user_contains("stream"))
        .rule(Rule::new(Reply::error(503, "busy")).user_contains("fail"))
        .latency(latency);
    let server = FakeServer::start(script).await;

    for user in ["echo me", "fail now"] {
        let started = Instant::now();
        let response = post_chat(&server, &chat_body(user)).await;
        assert!(started.elapsed() >= latency, "{user}: answered after {:?}", started.elapsed());
        assert!(!response.status().is_informational());
    }

    let mut streaming = chat_body("stream it");
    streaming["stream"] = json!(true);
    let started = Instant::now();
    let response = post_chat(&server, &streaming).await;
    assert!(started.elapsed() >= latency, "headers after {:?}", started.elapsed());
    assert!(response.text().await.unwrap().ends_with("data: [DONE]\n\n"));

    // Embeddings are not delayed by the chat latency (no lower bound to assert there); they
    // still work.
    let embeddings = Client::new()
        .post(format!("{}/embeddings", server.base_url()))
        .json(&json!({"model": "e", "input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(embeddings.status(), StatusCode::OK);
}

#[tokio::test]
async fn latency_adds_to_a_rules_own_delay() {
    let script = Script::new()
        .rule(Rule::new(Reply::text("late")).delay(Duration::from_millis(150)))
        .latency(Duration::from_millis(150));
    let server = FakeServer::start(script).await;
    let started = Instant::now();
    let response = post_chat(&server, &chat_body("hi")).await;
    assert!(started.elapsed() >= Duration::from_millis(300), "answered after {:?}", started.elapsed());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "late");
}

#[tokio::test]
async fn invalid_latency_is_refused() {
    assert!(FakeServer::start_on_port(0, Script::new().latency(Duration::from_secs(31))).await.is_err());
}

#[tokio::test]
async fn records_requests_with_authorization_and_body() {
    let server = FakeServer::start(Script::new()).await;
    let body = chat_body("hi");
    Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .header(AUTHORIZATION, "Bearer sk-test-123")
        .json(&body)
        .send()
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let recorded = &requests[0];
    assert_eq!(recorded.method, "POST");
    assert_eq!(recorded.path, "/v1/chat/completions");
    assert_eq!(recorded.header("Authorization"), Some("Bearer sk-test-123"));
    assert_eq!(recorded.bearer_token(), Some("sk-test-123"));
    assert_eq!(recorded.body.as_ref(), Some(&body));
    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn cors_preflight_allows_authorization_from_any_origin() {
    let server = FakeServer::start(Script::new()).await;
    let response = Client::new()
        .request(Method::OPTIONS, format!("{}/chat/completions", server.base_url()))
        .header("origin", "http://127.0.0.1:8080")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], "*");
    let allowed_headers = headers["access-control-allow-headers"].to_str().unwrap().to_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));
    assert!(headers["access-control-allow-methods"].to_str().unwrap().contains("POST"));

    let response = Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .header("origin", "http://127.0.0.1:8080")
        .json(&chat_body("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    assert!(response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase()
        .contains("retry-after"));
    assert_eq!(server.requests()[0].method, "OPTIONS", "preflights are recorded too");
}

#[tokio::test]
async fn models_are_listed_in_openai_shape() {
    let server = FakeServer::start(Script::new().models(["a", "b"])).await;
    let body: Value =
        Client::new().get(format!("{}/models", server.base_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["object"], "list");
    let ids: Vec<&str> = body["data"].as_array().unwrap().iter().map(|model| model["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(body["data"][0]["object"], "model");
    assert!(body["data"][0]["owned_by"].is_string());

    let one = Client::new().get(format!("{}/models/b", server.base_url())).send().await.unwrap();
    assert_eq!(one.status(), StatusCode::OK);
    let missing = Client::new().get(format!("{}/models/zzz", server.base_url())).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_key_is_required_when_the_script_sets_one() {
    let server = FakeServer::start(Script::new().api_key("sk-right-key")).await;
    let models = |token: Option<&'static str>| {
        let mut request = Client::new().get(format!("{}/models", server.base_url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };

    let wrong = models(Some("sk-wrong-key")).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": {
            "message": "Incorrect API key provided",
            "type": "invalid_request_error",
            "param": null,
            "code": "invalid_api_key",
        }})
    );

    let missing = models(None).await.unwrap();
    assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
    let body: Value = missing.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().starts_with("You didn't provide an API key"), "{body}");
    assert_eq!(body["error"]["code"], "invalid_api_key");

    assert_eq!(models(Some("sk-right-key")).await.unwrap().status(), StatusCode::OK);
    let chat = Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .bearer_auth("sk-wrong-key")
        .json(&chat_body("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), StatusCode::UNAUTHORIZED, "every route checks the key");
    let chat = Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .header(AUTHORIZATION, "Bearer sk-right-key")
        .json(&chat_body("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(chat.status(), StatusCode::OK);
}

#[tokio::test]
async fn preflights_pass_without_a_key_and_refusals_carry_cors_headers() {
    let server = FakeServer::start(Script::new().api_key("sk-right-key")).await;
    let preflight = Client::new()
        .request(Method::OPTIONS, format!("{}/models", server.base_url()))
        .header("origin", "http://127.0.0.1:8080")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let refused = Client::new()
        .get(format!("{}/models", server.base_url()))
        .header("origin", "http://127.0.0.1:8080")
        .bearer_auth("sk-wrong-key")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.headers()["access-control-allow-origin"], "*", "a browser can read the 401");
    assert_eq!(server.requests().len(), 2, "both recorded");
}

#[tokio::test]
async fn no_key_is_checked_by_default() {
    let server = FakeServer::start(Script::new()).await;
    let response =
        Client::new().get(format!("{}/models", server.base_url())).bearer_auth("anything").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn hide_models_makes_the_model_list_404() {
    let server = FakeServer::start(Script::new().hide_models()).await;
    for path in ["models", "models/fake-model"] {
        let response = Client::new().get(format!("{}/{path}", server.base_url())).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().starts_with("Invalid URL"), "{body}");
    }
    assert_eq!(post_chat(&server, &chat_body("hi")).await.status(), StatusCode::OK, "chat still answers");
}

#[tokio::test]
async fn embeddings_are_deterministic_with_configurable_dimensions() {
    let server = FakeServer::start(Script::new().embedding_dimensions(8)).await;
    let embed = |body: Value| {
        let url = format!("{}/embeddings", server.base_url());
        async move { Client::new().post(url).json(&body).send().await.unwrap() }
    };
    let response = embed(json!({"model": "e", "input": ["hello world", "hello world", "other"]})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], "e");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data[2]["index"], 2);
    assert_eq!(data[0]["object"], "embedding");
    assert_eq!(data[0]["embedding"].as_array().unwrap().len(), 8);
    assert_eq!(data[0]["embedding"], data[1]["embedding"]);
    assert_ne!(data[0]["embedding"], data[2]["embedding"]);
    assert_eq!(body["usage"], json!({"prompt_tokens": 5, "total_tokens": 5}));

    let body: Value = embed(json!({"model": "e", "input": "hello", "dimensions": 3})).await.json().await.unwrap();
    assert_eq!(body["data"][0]["embedding"].as_array().unwrap().len(), 3);

    let bad = embed(json!({"model": "e", "input": [1, 2]})).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_requests_and_unknown_routes_get_openai_errors() {
    let server = FakeServer::start(Script::new()).await;
    let response = Client::new()
        .post(format!("{}/chat/completions", server.base_url()))
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");

    let response = Client::new().get(format!("{}/nope", server.base_url())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("/v1/nope"));

    let response = Client::new().get(format!("{}/chat/completions", server.base_url())).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let server = FakeServer::start(Script::new()).await;
    let url = format!("{}/models", server.base_url());
    assert!(Client::new().get(&url).send().await.is_ok());
    assert!(server.addr().ip().is_loopback());
    server.shutdown().await;
    assert!(Client::new().get(&url).send().await.is_err());
}

#[tokio::test]
async fn invalid_scripts_are_refused() {
    let script = Script::new().rule(Rule::new(Reply::text("x")).delay(Duration::from_secs(31)));
    assert!(FakeServer::start_on_port(0, script).await.is_err());
}

#[tokio::test]
async fn embedding_rules_inject_faults_into_embeddings_only() {
    let script = Script::new()
        .embedding_rule(Rule::new(Reply::error(503, "overloaded")).user_contains("flaky").times(1))
        .embedding_rule(Rule::new(Reply::rate_limited(Some(4))).model("limited"))
        .embedding_rule(Rule::new(Reply::Malformed { body: Some("<html>proxy</html>".into()) }).model("broken"))
        .embedding_rule(Rule::new(Reply::truncated(["ignored"])).model("cut"));
    let server = FakeServer::start(script).await;
    let url = format!("{}/embeddings", server.base_url());
    let embed = |body: Value| {
        let url = url.clone();
        async move { Client::new().post(url).json(&body).send().await.unwrap() }
    };

    let failed = embed(json!({"model": "e", "input": ["calm", "flaky"]})).await;
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = failed.json().await.unwrap();
    assert_eq!(body["error"]["message"], "overloaded");
    assert_eq!(body["error"]["type"], "server_error");
    let retried = embed(json!({"model": "e", "input": ["calm", "flaky"]})).await;
    assert_eq!(retried.status(), StatusCode::OK, "the rule was used up");

    let limited = embed(json!({"model": "limited", "input": "x"})).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[RETRY_AFTER], "4");

    let broken = embed(json!({"model": "broken", "input": "x"})).await;
    assert_eq!(broken.status(), StatusCode::OK);
    assert_eq!(broken.text().await.unwrap(), "<html>proxy</html>");

    let cut = embed(json!({"model": "cut", "input": "x"})).await;
    assert_eq!(cut.status(), StatusCode::OK);
    let (received, ended_cleanly) = read_until_end_or_error(cut).await;
    assert!(!ended_cleanly && received.starts_with("{"), "{received}");

    // Chat requests never see embedding rules.
    let chat = post_chat(&server, &chat_body("flaky")).await;
    assert_eq!(chat.status(), StatusCode::OK);
}

#[tokio::test]
async fn chat_rules_do_not_apply_to_embeddings() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::error(500, "chat is down")))).await;
    let response = Client::new()
        .post(format!("{}/embeddings", server.base_url()))
        .json(&json!({"model": "e", "input": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
