//! The `fake-openai` binary as the end-to-end tests use it: start, parse the port, call, kill.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

/// Kills the child process even when an assertion fails.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary and returns it with the URL from its first stdout line.
fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-openai"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("a line on stdout");
    let url = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (running, url)
}

#[tokio::test]
async fn binary_announces_its_port_and_serves_a_script_file() {
    let dir = std::env::temp_dir().join(format!("fake-openai-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script_path = dir.join("script.json");
    std::fs::write(
        &script_path,
        r#"{"rules": [{"when": {"user_contains": "ping"}, "reply": {"type": "text", "text": "pong"}}]}"#,
    )
    .unwrap();

    let (_server, url) = start(&["--script", script_path.to_str().unwrap()]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let port: u16 = url.rsplit(':').next().unwrap().parse().expect("a numeric port");
    assert_ne!(port, 0);

    let body: Value = reqwest::Client::new()
        .post(format!("{url}/v1/chat/completions"))
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "ping"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "pong");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn binary_rejects_an_invalid_script() {
    let dir = std::env::temp_dir().join(format!("fake-openai-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script_path = dir.join("bad.json");
    std::fs::write(&script_path, r#"{"rules": [{"reply": {"type": "nonsense"}}]}"#).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_fake-openai")).arg("--script").arg(&script_path).output().unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing on stdout when not listening");
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn latency_flag_delays_chat_answers() {
    let (_server, url) = start(&["--latency-ms", "150"]);
    let started = std::time::Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{url}/v1/chat/completions"))
        .json(&json!({"model": "m", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= std::time::Duration::from_millis(150), "answered after {:?}", started.elapsed());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "echo: hi");
}

#[test]
fn binary_rejects_an_out_of_range_latency() {
    let output = Command::new(env!("CARGO_BIN_EXE_fake-openai")).args(["--latency-ms", "30001"]).output().unwrap();
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "nothing on stdout when not listening");
    assert!(String::from_utf8_lossy(&output.stderr).contains("latency_ms"));
}

#[tokio::test]
async fn api_key_flag_requires_the_bearer_token() {
    let (_server, url) = start(&["--api-key", "sk-flag-key"]);
    let models = |token: &'static str| reqwest::Client::new().get(format!("{url}/v1/models")).bearer_auth(token).send();
    assert_eq!(models("sk-other").await.unwrap().status(), reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(models("sk-flag-key").await.unwrap().status(), reqwest::StatusCode::OK);
}
