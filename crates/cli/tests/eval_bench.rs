//! `persona eval retrieval` and `persona bench index`, run as a user would.

use std::path::PathBuf;
use std::process::Command;

use persona_fake_server::{FakeServer, Script};

fn persona(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_persona")).args(args).output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn last_json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout.lines().last().expect("some output")).expect("the last line is one JSON object")
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("persona-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const QUERIES: &str = r#"{"id":"q1","question":"When are quarterly sales tax returns due?","answer_contains":["sales tax   returns"]}
{"id":"q2","question":"How should I train apprentices?","answer_contains":["apprentices learn"],"extra":"ignored"}
{"id":"q3","question":"Something nobody wrote about: volcanoes","answer_contains":["lava"]}
"#;

#[test]
fn eval_retrieval_scores_a_folder_corpus_and_ends_with_json() {
    let dir = scratch("folder");
    std::fs::write(dir.join("tax.md"), "# Tax\n\nFile your sales tax\nreturns every quarter.\n").unwrap();
    std::fs::write(dir.join("staff.txt"), "Most apprentices learn fastest beside an experienced baker.").unwrap();
    std::fs::write(dir.join("ignored.png"), [0u8, 1, 2]).unwrap();
    std::fs::write(dir.join("queries.jsonl"), QUERIES).unwrap();
    for retriever in ["hybrid", "bm25", "vector"] {
        let (ok, stdout, stderr) = persona(&[
            "eval",
            "retrieval",
            "--corpus",
            dir.to_str().unwrap(),
            "--queries",
            dir.join("queries.jsonl").to_str().unwrap(),
            "--k",
            "1",
            "--retriever",
            retriever,
        ]);
        assert!(ok, "{stderr}");
        let summary = last_json(&stdout);
        assert_eq!(summary["queries"], 3);
        assert_eq!(summary["chunks"], 2, "{retriever}");
        assert_eq!(summary["retriever"], retriever);
        assert_eq!(summary["embedder"], "hash-ngram-v1-384");
        let hit1 = summary["hit_at_1"].as_f64().unwrap();
        assert!((hit1 - 2.0 / 3.0).abs() < 1e-9, "{retriever}: whitespace-collapsed matches, no lava: {hit1}");
        for key in [
            "hit_at_5",
            "hit_at_10",
            "mrr_at_10",
            "mean_chunk_chars",
            "max_chunk_chars",
            "index_build_ms",
            "mean_query_ms",
        ] {
            assert!(summary[key].is_number(), "{key}");
        }
        assert!(stdout.contains("q3"), "the table lists every query");
    }
}

#[test]
fn eval_retrieval_reads_a_jsonl_corpus() {
    let dir = scratch("jsonl");
    std::fs::write(
        dir.join("corpus.jsonl"),
        "{\"id\":\"a\",\"title\":\"Tax\",\"text\":\"File your sales tax returns every quarter.\"}\n\
         {\"id\":\"b\",\"title\":\"Staff\",\"text\":\"Most apprentices learn fastest beside a baker.\"}\n",
    )
    .unwrap();
    std::fs::write(dir.join("queries.jsonl"), QUERIES).unwrap();
    let (ok, stdout, stderr) = persona(&[
        "eval",
        "retrieval",
        "--corpus",
        dir.join("corpus.jsonl").to_str().unwrap(),
        "--queries",
        dir.join("queries.jsonl").to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    let summary = last_json(&stdout);
    assert_eq!(summary["chunks"], 2);
    assert!((summary["hit_at_5"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
}

#[test]
fn eval_retrieval_reports_bad_input_clearly() {
    let dir = scratch("bad");
    std::fs::write(dir.join("queries.jsonl"), "{\"id\": 1}\n").unwrap();
    let (ok, _, stderr) = persona(&[
        "eval",
        "retrieval",
        "--corpus",
        dir.to_str().unwrap(),
        "--queries",
        dir.join("queries.jsonl").to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(stderr.contains("queries.jsonl:1"), "{stderr}");
    std::fs::write(dir.join("bad.md"), b"caf\xe9").unwrap();
    let (ok, _, stderr) = persona(&["eval", "retrieval", "--corpus", dir.to_str().unwrap(), "--queries", "x"]);
    assert!(!ok);
    assert!(stderr.contains("bad.md") && stderr.contains("not UTF-8"), "{stderr}");
}

#[test]
fn the_demo_evaluation_set_runs_and_hybrid_is_no_worse_than_its_parts() {
    let corpus = repo().join("www/demo/articles");
    let queries = repo().join("eval/demo-retrieval.jsonl");
    let mut hit5 = std::collections::BTreeMap::new();
    for retriever in ["hybrid", "bm25", "vector"] {
        let (ok, stdout, stderr) = persona(&[
            "eval",
            "retrieval",
            "--corpus",
            corpus.to_str().unwrap(),
            "--queries",
            queries.to_str().unwrap(),
            "--retriever",
            retriever,
        ]);
        assert!(ok, "{stderr}");
        let summary = last_json(&stdout);
        assert_eq!(summary["queries"], 48);
        assert!(summary["max_chunk_chars"].as_u64().unwrap() <= 800);
        hit5.insert(retriever, summary["hit_at_5"].as_f64().unwrap());
    }
    // A regression guard at the figures measured when the set was written (see the README).
    assert!(hit5["hybrid"] >= 0.6, "{hit5:?}");
    assert!(hit5["hybrid"] >= hit5["vector"], "{hit5:?}");
}

#[tokio::test]
async fn eval_retrieval_with_a_remote_embedder() {
    let server = FakeServer::start(Script::new().embedding_dimensions(32)).await;
    let dir = scratch("remote");
    std::fs::write(dir.join("tax.md"), "# Tax\n\nFile your sales tax returns every quarter.\n").unwrap();
    std::fs::write(dir.join("queries.jsonl"), QUERIES).unwrap();
    let args: Vec<String> = [
        "eval",
        "retrieval",
        "--corpus",
        dir.to_str().unwrap(),
        "--queries",
        dir.join("queries.jsonl").to_str().unwrap(),
        "--retriever",
        "vector",
        "--embedder",
        "openai:fake-embed",
        "--endpoint",
        &server.base_url(),
        "--dim",
        "32",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out =
        tokio::task::spawn_blocking(move || Command::new(env!("CARGO_BIN_EXE_persona")).args(&args).output().unwrap())
            .await
            .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary = last_json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(summary["embedder"], "openai:fake-embed:32");
    assert_eq!(summary["hit_at_1"].as_f64().unwrap(), 1.0 / 3.0, "the only chunk answers q1");
    let embedding_calls = server.requests().iter().filter(|r| r.path == "/v1/embeddings").count();
    assert_eq!(embedding_calls, 2, "one batch for the chunks, one for the queries");
    server.shutdown().await;
}

#[test]
fn bench_index_reports_recall_and_speed_in_one_json_line() {
    let (ok, stdout, stderr) =
        persona(&["bench", "index", "--n", "600", "--dim", "32", "--clusters", "8", "--queries", "40"]);
    assert!(ok, "{stderr}");
    let summary = last_json(&stdout);
    assert_eq!(summary["n"], 600);
    assert_eq!(summary["dim"], 32);
    for key in ["build_ms", "query_p50_us", "query_p99_us", "exact_p50_us", "insert_ms"] {
        assert!(summary[key].as_f64().unwrap() >= 0.0, "{key}");
    }
    assert!(summary["recall_at_10"].as_f64().unwrap() >= 0.9, "{summary}");
}
