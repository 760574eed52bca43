//! `persona ask --endpoint` against the fake OpenAI server on 127.0.0.1.

use persona_core::prompt::KNOWLEDGE_OVERRIDE;
use persona_fake_server::{FakeServer, Reply, Rule, Script};

async fn run(args: Vec<String>, key: Option<&str>) -> std::process::Output {
    let key = key.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_persona"));
        command.args(args).env_remove("PERSONA_API_KEY");
        if let Some(key) = key {
            command.env("PERSONA_API_KEY", key);
        }
        command.output().expect("the binary runs")
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_model_gets_the_grounded_prompt_and_its_citations_are_resolved() {
    let script = Script::new().rule(
        Rule::new(Reply::text("Honestly? The article says plans meant 30% faster growth [3]."))
            .system_contains("<knowledge>"),
    );
    let server = FakeServer::start(script).await;
    let question = "How much faster did businesses with a formal written plan grow?";
    let args = vec![
        "ask".into(),
        "--json".into(),
        "--endpoint".into(),
        server.base_url(),
        "--model".into(),
        "test-model".into(),
        question.into(),
    ];
    let out = run(args, Some("sk-test-secret")).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("sk-test-secret"), "the key is never printed");

    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["reply"]["text"], "Honestly? The article says plans meant 30% faster growth [3].");
    assert_eq!(value["trace"]["facts_cited"], serde_json::json!([3]));
    assert!(value["trace"]["backend"].as_str().unwrap().starts_with("model "));

    let requests = server.requests();
    let chat = requests.iter().find(|r| r.path == "/v1/chat/completions").expect("one completion request");
    assert_eq!(chat.bearer_token(), Some("sk-test-secret"));
    let body = chat.body.as_ref().unwrap();
    assert_eq!(body["model"], "test-model");
    let system = body["messages"][0]["content"].as_str().unwrap();
    assert_eq!(body["messages"][0]["role"], "system");
    assert!(system.starts_with("You are Jane."));
    assert!(system.contains(KNOWLEDGE_OVERRIDE));
    assert!(system.contains("30% faster"), "the needed fact is in the prompt (bug 4)");
    assert_eq!(body["messages"][1]["content"], question);
    server.shutdown().await;
}

#[tokio::test]
async fn endpoint_errors_are_reported_and_fail_the_command() {
    let server = FakeServer::start(Script::new().rule(Rule::new(Reply::error(503, "overloaded")))).await;
    let args = vec!["ask".into(), "--endpoint".into(), server.base_url(), "hello there, what is cash flow?".into()];
    let out = run(args, None).await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("503") && stderr.contains("overloaded"), "{stderr}");
    let chat = server.requests().into_iter().find(|r| r.path == "/v1/chat/completions").unwrap();
    assert_eq!(chat.bearer_token(), None, "no key configured, no Authorization header");
    server.shutdown().await;
}
