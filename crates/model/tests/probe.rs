#![cfg(not(target_arch = "wasm32"))]
//! `test_connection` against the fake OpenAI server on 127.0.0.1.

use std::time::Duration;

use persona_fake_server::{FakeServer, Reply, Rule, Script};
use persona_model::{test_connection, ConnectionProblem, ConnectionReport, EndpointConfig};

const KEY: &str = "sk-probe-secret-0123456789";

async fn probe(server: &FakeServer, model: &str, key: Option<&str>) -> ConnectionReport {
    let mut config = EndpointConfig::new(server.base_url(), model).with_timeout_ms(5_000);
    if let Some(key) = key {
        config = config.with_api_key(key);
    }
    test_connection(&config).await
}

fn assert_no_key(report: &ConnectionReport) {
    assert!(!report.message.contains(KEY), "the key leaked: {}", report.message);
    assert!(!report.message.contains("0123456789"), "part of the key leaked: {}", report.message);
}

#[tokio::test]
async fn a_listed_model_is_ok() {
    let server = FakeServer::start(Script::new().models(["fake-model", "other-model"])).await;
    let report = probe(&server, "fake-model", Some(KEY)).await;
    assert!(report.ok, "{report:?}");
    assert_eq!(report.problem, None);
    assert_eq!(report.models, ["fake-model", "other-model"]);
    assert_eq!(
        report.message,
        format!("Connected to {}; model `fake-model` is available (2 models).", server.base_url())
    );
    assert_no_key(&report);

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one cheap call");
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/v1/models");
    assert_eq!(requests[0].bearer_token(), Some(KEY));
}

#[tokio::test]
async fn no_key_sends_no_authorization_header() {
    let server = FakeServer::start(Script::new()).await;
    let report = probe(&server, "fake-model", None).await;
    assert!(report.ok, "{report:?}");
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn an_unlisted_model_is_not_found_and_the_offered_ones_are_named() {
    let server = FakeServer::start(Script::new().models(["llama3.2:latest", "qwen2.5:7b"])).await;
    let report = probe(&server, "gpt-4o-mini", Some(KEY)).await;
    assert!(!report.ok);
    assert_eq!(report.problem, Some(ConnectionProblem::ModelNotFound));
    assert!(report.message.contains("the model `gpt-4o-mini` is not available"), "{}", report.message);
    assert!(report.message.contains("`llama3.2:latest`, `qwen2.5:7b`"), "{}", report.message);
    assert_eq!(report.models, ["llama3.2:latest", "qwen2.5:7b"]);
    assert_no_key(&report);

    assert!(probe(&server, "llama3.2", None).await.ok, "Ollama's `:latest` tag is the same model");
}

#[tokio::test]
async fn a_wrong_key_is_refused_in_plain_words_without_showing_it() {
    let server = FakeServer::start(Script::new().api_key("sk-the-right-key")).await;
    let report = probe(&server, "fake-model", Some(KEY)).await;
    assert!(!report.ok);
    assert_eq!(report.problem, Some(ConnectionProblem::KeyRefused { status: 401 }));
    assert!(
        report.message.starts_with("The server refused the API key (401: Incorrect API key provided)."),
        "{}",
        report.message
    );
    assert_no_key(&report);
    assert!(!report.message.contains("sk-the-right-key"));

    let missing = probe(&server, "fake-model", None).await;
    assert_eq!(missing.problem, Some(ConnectionProblem::KeyRefused { status: 401 }));
    assert!(
        missing.message.contains("needs an API key") && missing.message.contains("none is set"),
        "{}",
        missing.message
    );

    assert!(probe(&server, "fake-model", Some("sk-the-right-key")).await.ok);
}

#[tokio::test]
async fn a_key_echoed_by_the_server_is_scrubbed() {
    // A server that repeats the key in its error message must not get it on screen.
    let server = FakeServer::start(
        Script::new().hide_models().rule(Rule::new(Reply::error(503, format!("upstream refused key {KEY} for now")))),
    )
    .await;
    let report = probe(&server, "fake-model", Some(KEY)).await;
    assert_eq!(report.problem, Some(ConnectionProblem::ServerError { status: 503 }));
    assert!(report.message.contains("upstream refused key [redacted] for now"), "{}", report.message);
    assert_no_key(&report);
}

#[tokio::test]
async fn a_port_nobody_listens_on_is_connection_refused() {
    // Bind a port, learn its number, and free it again: nothing listens there now.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = EndpointConfig::new(format!("http://127.0.0.1:{port}/v1"), "m").with_api_key(KEY);
    let report = test_connection(&config).await;
    assert!(!report.ok);
    assert_eq!(report.problem, Some(ConnectionProblem::Refused), "{report:?}");
    assert!(report.message.starts_with(&format!("Nothing is listening at 127.0.0.1:{port}")), "{}", report.message);
    assert_no_key(&report);
}

#[tokio::test]
async fn a_bad_url_is_reported_before_any_request() {
    for (base, why) in [
        ("127.0.0.1:11434/v1", "must start with http:// or https://"),
        ("not a url", "must start with http:// or https://"),
        ("http://[::1/v1", "not a valid URL"),
    ] {
        let report = test_connection(&EndpointConfig::new(base, "m")).await;
        assert_eq!(report.problem, Some(ConnectionProblem::BadUrl), "{base}");
        assert!(
            report.message.contains(why) && report.message.contains("http://127.0.0.1:11434/v1"),
            "{}",
            report.message
        );
    }
    let ftp = test_connection(&EndpointConfig::new("ftp://host/v1", "m")).await;
    assert!(ftp.message.contains("not ftp://"), "{}", ftp.message);
}

#[tokio::test]
async fn a_key_that_cannot_be_sent_is_reported() {
    let config = EndpointConfig::new("http://127.0.0.1:9/v1", "m").with_api_key("sk-abc\ndef");
    let report = test_connection(&config).await;
    assert_eq!(report.problem, Some(ConnectionProblem::BadKey));
    assert!(!report.message.contains("sk-abc"), "{}", report.message);
}

#[tokio::test]
async fn without_a_model_list_a_one_token_chat_decides() {
    let server = FakeServer::start(Script::new().hide_models()).await;
    let report = probe(&server, "any-model", Some(KEY)).await;
    assert!(report.ok, "{report:?}");
    assert!(report.message.contains("model `any-model` answered"), "{}", report.message);
    assert!(report.models.is_empty());

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!((requests[0].method.as_str(), requests[0].path.as_str()), ("GET", "/v1/models"));
    assert_eq!((requests[1].method.as_str(), requests[1].path.as_str()), ("POST", "/v1/chat/completions"));
    let body = requests[1].body.as_ref().unwrap();
    assert_eq!(body["model"], "any-model");
    assert_eq!(body["max_tokens"], 1);
    assert_eq!(requests[1].bearer_token(), Some(KEY));
}

#[tokio::test]
async fn without_a_model_list_an_unknown_model_is_not_found() {
    let not_found = Reply::Error {
        status: 404,
        message: "The model `missing-model` does not exist".into(),
        error_type: None,
        code: Some("model_not_found".into()),
    };
    let server = FakeServer::start(Script::new().hide_models().rule(Rule::new(not_found).model("missing-model"))).await;
    let report = probe(&server, "missing-model", Some(KEY)).await;
    assert_eq!(report.problem, Some(ConnectionProblem::ModelNotFound), "{report:?}");
    assert!(report.message.contains("does not know the model `missing-model`"), "{}", report.message);
    assert!(report.message.contains("The server says: The model `missing-model` does not exist"), "{}", report.message);
    assert_no_key(&report);

    // Ollama's words, without OpenAI's code.
    let ollama = Reply::Error {
        status: 404,
        message: "model \"llama9\" not found, try pulling it first".into(),
        error_type: None,
        code: None,
    };
    let server = FakeServer::start(Script::new().hide_models().rule(Rule::new(ollama))).await;
    assert_eq!(probe(&server, "llama9", None).await.problem, Some(ConnectionProblem::ModelNotFound));
}

#[tokio::test]
async fn without_a_model_list_and_no_model_name_the_user_is_asked_for_one() {
    let server = FakeServer::start(Script::new().hide_models()).await;
    let report = probe(&server, " ", None).await;
    assert_eq!(report.problem, Some(ConnectionProblem::Unexpected));
    assert!(report.message.contains("Enter the default model"), "{}", report.message);
    assert_eq!(server.requests().len(), 1, "no chat call without a model");
}

#[tokio::test]
async fn server_errors_and_slow_servers_are_told_apart() {
    let failing = FakeServer::start(Script::new().hide_models().rule(Rule::new(Reply::error(500, "boom")))).await;
    let report = probe(&failing, "m", None).await;
    assert_eq!(report.problem, Some(ConnectionProblem::ServerError { status: 500 }));
    assert!(report.message.contains("internal error (HTTP 500: boom)"), "{}", report.message);

    let slow = FakeServer::start(Script::new().hide_models().latency(Duration::from_secs(3))).await;
    let config = EndpointConfig::new(slow.base_url(), "m").with_timeout_ms(300);
    let report = test_connection(&config).await;
    assert_eq!(report.problem, Some(ConnectionProblem::Timeout), "{report:?}");
    assert!(report.message.contains("did not answer within 0.3 s"), "{}", report.message);
}

#[tokio::test]
async fn a_server_that_is_not_an_openai_api_is_unexpected() {
    // The fake server's root answers 404 on /models' parent when the base URL lacks /v1.
    let server = FakeServer::start(Script::new()).await;
    let config = EndpointConfig::new(server.url(), "fake-model");
    let report = test_connection(&config).await;
    assert!(!report.ok);
    assert_eq!(report.problem, Some(ConnectionProblem::Unexpected), "{report:?}");
    assert!(report.message.contains("usually ending in /v1"), "{}", report.message);
}
