//! `persona bundle build` and `persona bundle check` on the demo content.

use std::path::PathBuf;
use std::process::Command;

const ARTICLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/demo/articles");
const JANE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../www/demo/jane.json");

fn persona(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_persona")).args(args).output().expect("the binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh path in the target's scratch folder.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bundle-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// The number after `label` on its line of `text`.
fn figure(text: &str, label: &str) -> usize {
    let line = text.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("no `{label}` in {text}"));
    line[label.len()..].split_whitespace().next().unwrap().parse().unwrap_or_else(|_| panic!("{line}"))
}

#[test]
fn build_then_check_the_demo_bundle() {
    let out = scratch("demo.json");
    let path = out.to_str().unwrap();
    let (code, stdout, stderr) = persona(&["bundle", "build", ARTICLES, "--persona", JANE, "-o", path]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(figure(&stdout, "articles:"), 4, "{stdout}");
    let chunks = figure(&stdout, "chunks:");
    assert!(chunks > 20, "{stdout}");
    assert!(stdout.contains("index:    prebuilt"), "{stdout}");
    assert!(stdout.contains("build time: "), "{stdout}");
    let written = std::fs::metadata(&out).unwrap().len() as usize;
    assert!(stdout.contains(&format!("({written} bytes)")), "the bytes written: {stdout}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(json["format"], "persona-engine-bundle");
    assert_eq!(json["version"], 1);
    assert_eq!(json["persona"]["data"]["name"], "Jane");
    assert_eq!(json["sizes"]["chunks"].as_u64().unwrap() as usize, chunks);

    let (code, stdout, stderr) = persona(&["bundle", "check", path]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("persona:  Jane"), "{stdout}");
    assert_eq!(figure(&stdout, "chunks:"), chunks, "{stdout}");
    assert!(stdout.contains("index:    prebuilt, matches the articles"), "{stdout}");
    for id in ["business-plan", "cash-flow", "pricing", "first-hire"] {
        assert!(stdout.contains(id), "{stdout}");
    }
}

#[test]
fn without_index_the_bundle_is_smaller_and_indexed_at_load() {
    let out = scratch("plain.json");
    let path = out.to_str().unwrap();
    let (code, stdout, stderr) = persona(&["bundle", "build", ARTICLES, "--persona", JANE, "-o", path, "--no-index"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("index:    none"), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert!(json["index"].is_null());
    let (code, stdout, stderr) = persona(&["bundle", "check", path]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("index:    none in the bundle (built at load)"), "{stdout}");
}

#[test]
fn a_corrupt_bundle_exits_2_with_the_reason() {
    let out = scratch("newer.json");
    let path = out.to_str().unwrap();
    let (code, _, stderr) = persona(&["bundle", "build", ARTICLES, "--persona", JANE, "-o", path, "--no-index"]);
    assert_eq!(code, Some(0), "{stderr}");
    let text = std::fs::read_to_string(&out).unwrap().replacen("\"version\":1", "\"version\":99", 1);
    std::fs::write(&out, &text).unwrap();
    let (code, stdout, stderr) = persona(&["bundle", "check", path]);
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("this bundle was made by a newer version (99); this build reads version 1"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");

    std::fs::write(&out, &text[..text.len() / 2]).unwrap();
    let (code, _, stderr) = persona(&["bundle", "check", path]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("the bundle is not valid JSON (line 1, column"), "{stderr}");

    let (code, _, stderr) = persona(&["bundle", "check", "/no/such/bundle.json"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read /no/such/bundle.json"), "{stderr}");
}

#[test]
fn build_reports_a_bad_card_or_folder() {
    let out = scratch("never.json");
    let path = out.to_str().unwrap();
    let broken = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/e2e/fixtures/cards/broken.json");
    let (code, _, stderr) = persona(&["bundle", "build", ARTICLES, "--persona", broken, "-o", path]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("broken.json: "), "{stderr}");
    let (code, _, stderr) = persona(&["bundle", "build", JANE, "--persona", JANE, "-o", path]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("is not a folder of .md/.txt articles"), "{stderr}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn the_shipped_demo_bundle_is_current() {
    let shipped = include_str!("../../../www/demo/bundle.json");
    let regenerate = "regenerate it: cargo run -p persona-cli -- bundle build www/demo/articles --persona \
                      www/demo/jane.json -o www/demo/bundle.json";
    let bundle = persona_core::bundle::load_bundle(shipped).unwrap_or_else(|e| panic!("{e}; {regenerate}"));
    assert!(bundle.prebuilt, "www/demo/bundle.json carries its index; {regenerate}");
    assert_eq!(bundle.persona.name(), "Jane");
    assert_eq!(bundle.persona.profile, persona_demo::jane().profile, "{regenerate}");
    let mut demo = persona_demo::articles();
    demo.sort_by(|a, b| a.id.cmp(&b.id));
    let held: Vec<_> = bundle.knowledge.articles().cloned().collect();
    assert_eq!(held, demo, "the demo articles changed; {regenerate}");
}
