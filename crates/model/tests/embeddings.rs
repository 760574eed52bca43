#![cfg(not(target_arch = "wasm32"))]
//! `OpenAiEmbedder` against the fake OpenAI server on 127.0.0.1.

use persona_core::embed::{dot, BatchEmbedder, EmbedError, Embedding};
use persona_core::model::ModelError;
use persona_fake_server::{FakeServer, Reply, Rule, Script};
use persona_model::{EndpointConfig, OpenAiEmbedder, DEFAULT_BATCH_SIZE};
use serde_json::{json, Value};

const KEY: &str = "sk-test-secret-0123456789";
const MODEL: &str = "fake-embed";
const DIM: usize = 16;

fn embedder_for(server: &FakeServer, dim: usize) -> OpenAiEmbedder {
    OpenAiEmbedder::new(EndpointConfig::new(server.base_url(), MODEL).with_api_key(KEY), dim).unwrap()
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|text| text.to_string()).collect()
}

/// `n` different texts: `text number 0`, `text number 1`, …
fn numbered(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("text number {i}")).collect()
}

/// The `input` array of a recorded embeddings request.
fn inputs_of(body: &Option<Value>) -> Vec<String> {
    let input = body.as_ref().expect("a JSON body")["input"].as_array().expect("input is an array").clone();
    input.into_iter().map(|text| text.as_str().unwrap().to_owned()).collect()
}

/// Embeds `texts` with the server's default rules, one scripted embedding rule, and dimension
/// [`DIM`].
async fn embed_with(rule: Rule, texts: &[String]) -> (Result<Vec<Embedding>, EmbedError>, FakeServer) {
    let server = FakeServer::start(Script::new().embedding_dimensions(DIM).embedding_rule(rule)).await;
    let result = embedder_for(&server, DIM).embed_batch(texts).await;
    (result, server)
}

#[tokio::test]
async fn success_gives_unit_vectors_in_input_order_tagged_with_the_id() {
    let server = FakeServer::start(Script::new().embedding_dimensions(DIM)).await;
    let embedder = embedder_for(&server, DIM);
    let input = texts(&["alpha beta", "gamma", "alpha beta", "delta epsilon zeta"]);
    let embeddings = embedder.embed_batch(&input).await.unwrap();

    assert_eq!(embeddings.len(), 4);
    assert_eq!(embedder.id(), format!("openai:{MODEL}:{DIM}"));
    for embedding in &embeddings {
        assert_eq!(embedding.embedder, embedder.id());
        assert_eq!(embedding.vector.len(), DIM);
        assert!((dot(&embedding.vector, &embedding.vector) - 1.0).abs() < 1e-5);
    }
    assert_eq!(embeddings[0], embeddings[2], "the same text gets the same vector");
    assert_ne!(embeddings[0], embeddings[1]);
    // Each position holds its own text's vector: the same as embedding that text alone.
    for (text, embedding) in input.iter().zip(&embeddings) {
        let alone = embedder.embed_batch(std::slice::from_ref(text)).await.unwrap();
        assert_eq!(&alone[0], embedding, "{text}");
    }
}

#[tokio::test]
async fn sends_the_documented_request_with_the_bearer_token() {
    let server = FakeServer::start(Script::new().embedding_dimensions(DIM)).await;
    embedder_for(&server, DIM).embed_batch(&texts(&["one", "two"])).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/embeddings");
    assert_eq!(sent.bearer_token(), Some(KEY));
    assert!(sent.header("content-type").unwrap().starts_with("application/json"));
    assert_eq!(sent.body, Some(json!({"model": MODEL, "input": ["one", "two"], "encoding_format": "float"})));
}

#[tokio::test]
async fn no_key_means_no_authorization_header() {
    let server = FakeServer::start(Script::new().embedding_dimensions(DIM)).await;
    let embedder = OpenAiEmbedder::new(EndpointConfig::new(server.base_url(), MODEL), DIM).unwrap();
    embedder.embed_batch(&texts(&["x"])).await.unwrap();
    assert_eq!(server.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn large_inputs_go_out_in_batches_and_come_back_in_order() {
    let server = FakeServer::start(Script::new().embedding_dimensions(DIM)).await;
    let embedder = embedder_for(&server, DIM);
    assert_eq!(embedder.batch_size(), DEFAULT_BATCH_SIZE);
    let input = numbered(150);
    let embeddings = embedder.embed_batch(&input).await.unwrap();
    assert_eq!(embeddings.len(), 150);

    let requests = server.requests();
    let batches: Vec<Vec<String>> = requests.iter().map(|request| inputs_of(&request.body)).collect();
    assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [64, 64, 22]);
    assert_eq!(batches.concat(), input, "batches cover the input in order");
    assert!(requests.iter().all(|request| request.bearer_token() == Some(KEY)));

    // The last vector of the last batch is the last text's.
    let last = embedder.embed_batch(&input[149..]).await.unwrap();
    assert_eq!(embeddings[149], last[0]);

    server.clear_requests();
    let embeddings = embedder.clone().with_batch_size(100).embed_batch(&input).await.unwrap();
    assert_eq!(embeddings.len(), 150);
    let sizes: Vec<usize> = server.requests().iter().map(|request| inputs_of(&request.body).len()).collect();
    assert_eq!(sizes, [100, 50]);
}

#[tokio::test]
async fn empty_input_makes_no_request() {
    let server = FakeServer::start(Script::new()).await;
    let embeddings = embedder_for(&server, DIM).embed_batch(&[]).await.unwrap();
    assert!(embeddings.is_empty());
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn vectors_of_another_length_are_wrong_dimension() {
    let server = FakeServer::start(Script::new().embedding_dimensions(DIM)).await;
    let result = embedder_for(&server, 8).embed_batch(&texts(&["a", "b"])).await;
    assert_eq!(result, Err(EmbedError::WrongDimension { expected: 8, found: DIM }));
    assert_eq!(server.requests()[0].body.as_ref().unwrap().get("dimensions"), None, "not sent unless asked");
}

#[tokio::test]
async fn dimensions_are_sent_when_asked() {
    let server = FakeServer::start(Script::new().embedding_dimensions(DIM)).await;
    let embedder = embedder_for(&server, 8).with_send_dimensions(true);
    let embeddings = embedder.embed_batch(&texts(&["a", "b"])).await.unwrap();
    assert!(embeddings.iter().all(|embedding| embedding.vector.len() == 8));
    assert_eq!(embeddings[0].embedder, format!("openai:{MODEL}:8"));
    assert_eq!(server.requests()[0].body.as_ref().unwrap()["dimensions"], 8);
}

#[tokio::test]
async fn http_errors_are_service_errors_in_the_chat_client_words() {
    for (status, message) in [(500, "The server had an error while processing your request."), (503, "overloaded")] {
        let (result, _server) = embed_with(Rule::new(Reply::error(status, message)), &texts(&["x"])).await;
        let expected = ModelError::Http { status, message: message.into() }.to_string();
        assert_eq!(result, Err(EmbedError::Service(expected)));
    }
}

#[tokio::test]
async fn rate_limits_are_service_errors_with_the_wait() {
    let (result, _server) = embed_with(Rule::new(Reply::rate_limited(Some(2))), &texts(&["x"])).await;
    let Err(EmbedError::Service(message)) = result else { panic!("expected Service, got {result:?}") };
    assert!(message.contains("rate-limiting") && message.contains("2000 ms"), "{message}");
}

#[tokio::test]
async fn a_failing_batch_fails_the_whole_call() {
    let script = Script::new()
        .embedding_dimensions(DIM)
        .embedding_rule(Rule::new(Reply::error(502, "bad gateway")).user_contains("text number 7"));
    let server = FakeServer::start(script).await;
    // Batches of 4: text 7 is in the second of three.
    let result = embedder_for(&server, DIM).with_batch_size(4).embed_batch(&numbered(10)).await;
    let expected = ModelError::Http { status: 502, message: "bad gateway".into() }.to_string();
    assert_eq!(result, Err(EmbedError::Service(expected)));
    assert_eq!(server.requests().len(), 2, "no batch is sent after the failed one");
}

#[tokio::test]
async fn an_echoed_key_is_scrubbed_from_errors() {
    let (result, _server) =
        embed_with(Rule::new(Reply::error(401, format!("Incorrect API key provided: {KEY}"))), &texts(&["x"])).await;
    let Err(EmbedError::Service(message)) = result else { panic!("expected Service, got {result:?}") };
    assert!(!message.contains(KEY), "{message}");
    assert!(message.contains("401") && message.contains("[redacted]"), "{message}");
}

#[tokio::test]
async fn malformed_and_cut_off_bodies_are_service_errors() {
    let (result, _server) =
        embed_with(Rule::new(Reply::Malformed { body: Some("<html>gateway</html>".into()) }), &texts(&["x"])).await;
    let Err(EmbedError::Service(message)) = result else { panic!("expected Service, got {result:?}") };
    assert!(message.contains("not an embedding list") && message.contains("<html>gateway</html>"), "{message}");

    let (result, _server) = embed_with(Rule::new(Reply::truncated(["x"])), &texts(&["x"])).await;
    let Err(EmbedError::Service(message)) = result else { panic!("expected Service, got {result:?}") };
    assert!(message.contains("could not reach the model endpoint"), "{message}");
}

#[tokio::test]
async fn a_closed_port_is_a_service_error_without_the_key() {
    // Bind a port, then free it: nothing listens there any more.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let config = EndpointConfig::new(format!("http://127.0.0.1:{port}/v1"), MODEL).with_api_key(KEY);
    let result = OpenAiEmbedder::new(config, DIM).unwrap().embed_batch(&texts(&["x"])).await;
    let Err(EmbedError::Service(message)) = result else { panic!("expected Service, got {result:?}") };
    assert!(message.contains(&format!("127.0.0.1:{port}/v1/embeddings")), "{message}");
    assert!(!message.contains(KEY));
}

#[test]
fn debug_never_shows_the_key() {
    let config = EndpointConfig::new("http://127.0.0.1:1/v1", MODEL).with_api_key(KEY);
    let embedder = OpenAiEmbedder::new(config, DIM).unwrap();
    assert!(!format!("{embedder:?}").contains(KEY));
    assert!(!format!("{embedder:#?}").contains(KEY));
}
