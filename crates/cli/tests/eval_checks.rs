//! `persona eval vet | classify | objectives` on the shipped labelled sets, run as a user would.
//! The thresholds are the project's goals for the deterministic layer; a rule change that
//! breaks one fails here.

use std::path::PathBuf;
use std::process::Command;

fn eval(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_persona")).arg("eval").args(args).output().expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.lines().last().expect("some output")).expect("the last line is one JSON object")
}

fn set(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../eval").join(name).display().to_string()
}

#[test]
fn vet_meets_its_goals_on_our_own_set() {
    let summary = eval(&["vet", "--cases", &set("vet-dev.jsonl")]);
    assert!(summary["cases"].as_u64().unwrap() >= 300);
    assert!(summary["recall"].as_f64().unwrap() >= 0.9, "{summary}");
    assert!(summary["false_positive_rate"].as_f64().unwrap() <= 0.02, "{summary}");
    assert_eq!(summary["layer"], "rules");
    for field in ["precision", "f1", "mean_us"] {
        assert!(summary[field].is_number(), "{field} is reported");
    }
}

#[test]
fn vet_generalises_to_the_held_out_set_written_apart_from_the_rules() {
    let summary = eval(&["vet", "--cases", &set("vet-heldout.jsonl")]);
    assert!(summary["recall"].as_f64().unwrap() >= 0.8, "{summary}");
    assert!(summary["false_positive_rate"].as_f64().unwrap() <= 0.02, "{summary}");
}

#[test]
fn classify_and_objectives_meet_their_goals() {
    let classify = eval(&["classify", "--cases", &set("classify.jsonl")]);
    assert!(classify["accuracy"].as_f64().unwrap() >= 0.85, "{classify}");
    let diagonal: u64 =
        ["personal", "factual", "mixed"].iter().map(|k| classify["confusion"][k][k].as_u64().unwrap()).sum();
    assert_eq!(diagonal, (classify["accuracy"].as_f64().unwrap() * classify["cases"].as_f64().unwrap()).round() as u64);
    let objectives = eval(&["objectives", "--cases", &set("objectives.jsonl")]);
    assert!(objectives["count_accuracy"].as_f64().unwrap() >= 0.8, "{objectives}");
}

#[test]
fn a_set_with_a_bad_label_is_refused_with_a_clear_error() {
    let dir = std::env::temp_dir().join(format!("persona-eval-checks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.jsonl");
    std::fs::write(&file, "{\"message\": \"hi\", \"label\": \"maybe\"}\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_persona"))
        .args(["eval", "vet", "--cases", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("label must be"));
}
