//! Runs the built `persona` binary.

use std::process::Command;

fn persona(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_persona")).args(args).output().expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn ask_answers_the_percentage_question_from_the_article() {
    let (ok, stdout, stderr) = persona(&["ask", "How much faster did businesses with a formal written plan grow?"]);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("Jane: "), "{stdout}");
    assert!(stdout.contains("30%"), "{stdout}");
    assert!(!stdout.contains("16%"), "only the asked-for figure: {stdout}");
    // Every turn logs its retrieval counts (DESIGN.md, bug 1).
    let count: usize = stderr
        .split("retrieved ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no retrieval count in: {stderr}"));
    assert!(count >= 6, "at least the configured depth of 6 chunks: {stderr}");
}

#[test]
fn ask_json_carries_the_trace() {
    let (ok, stdout, _) = persona(&["ask", "--json", "What should I do before writing a business plan?"]);
    assert!(ok);
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["trace"]["kind"], "factual");
    assert_eq!(value["trace"]["backend"], "offline");
    assert!(value["trace"]["knowledge_retrieved"].as_u64().unwrap() > 0);
    let cited = value["trace"]["facts_cited"].as_array().unwrap();
    assert!(!cited.is_empty());
    assert_eq!(cited.len(), value["reply"]["facts"].as_array().unwrap().len());
}

#[test]
fn articles_lists_every_demo_article() {
    let (ok, stdout, _) = persona(&["articles"]);
    assert!(ok);
    for id in ["business-plan", "cash-flow", "pricing", "first-hire"] {
        assert!(stdout.contains(id), "{stdout}");
    }
}

#[test]
fn unknown_commands_fail_with_usage() {
    let (ok, _, stderr) = persona(&["frobnicate"]);
    assert!(!ok);
    assert!(stderr.contains("Usage"), "{stderr}");
}

#[test]
fn ask_for_the_steps_gets_all_five_recommendations_in_order() {
    let (ok, stdout, stderr) = persona(&["ask", "What should I do before writing a business plan?"]);
    assert!(ok, "{stderr}");
    let positions: Vec<usize> = (1..=5)
        .map(|n| stdout.find(&format!("\n{n}. ")).unwrap_or_else(|| panic!("item {n} missing: {stdout}")))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{stdout}");
    assert!(stdout.contains("1. Conduct market research"));
}

#[test]
fn the_viability_question_gets_the_other_percentage_only() {
    let (ok, stdout, _) = persona(&["ask", "How much more likely are businesses with a plan to reach viability?"]);
    assert!(ok);
    assert!(stdout.contains("16%") && !stdout.contains("30%"), "{stdout}");
}

/// `persona chat … | head`: the reader goes away after a few bytes while the tool still has
/// 150 KB to write (more than a pipe holds); it ends quietly on SIGPIPE, as Unix tools do,
/// instead of panicking in `println!`.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_tool_quietly() {
    use std::io::{Read, Write};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_persona"))
        .arg("chat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let questions = "How much faster did businesses with a formal written plan grow?\n".repeat(300);
    let mut stdin = child.stdin.take().expect("piped");
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(questions.as_bytes());
    });
    let mut first = [0u8; 16];
    child.stdout.take().expect("piped").read_exact(&mut first).expect("some output");
    // The read end is dropped here: further writes hit a closed pipe.
    let mut stderr = String::new();
    child.stderr.take().expect("piped").read_to_string(&mut stderr).expect("stderr reads");
    let status = child.wait().expect("the tool ends");
    writer.join().expect("the writer ends");
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "ended by SIGPIPE: {status:?}");
}
