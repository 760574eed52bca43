//! `persona eval vet | classify | objectives`: the deterministic checks against labelled sets.
//!
//! Each prints a table, then one JSON object as the last line of stdout. Sets are JSON Lines:
//! - vet: `{"message", "label": "attack" | "benign", "lang"?, "technique"?}`;
//! - classify: `{"message", "kind": "personal" | "factual" | "mixed"}`;
//! - objectives: `{"message", "objectives": [...]}`.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use persona_core::model::{CancelToken, CompletionRequest};
use persona_core::offline::classify;
use persona_core::pipeline::{objectives_offline, vet_prompt, VetAnswer};
use persona_core::structured::complete_json;
use persona_core::vet::vet_message;
use persona_model::OpenAiChatModel;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

/// Reads a JSON Lines file of `T`, naming the line of any error.
fn read_lines<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1)))
        .collect()
}

#[derive(Deserialize)]
struct VetCase {
    message: String,
    label: String,
    #[serde(default)]
    lang: Option<String>,
}

/// Confusion counts of a binary detector.
#[derive(Default, Clone, Copy)]
struct Counts {
    tp: usize,
    fp: usize,
    tn: usize,
    fn_: usize,
}

impl Counts {
    fn add(&mut self, attack: bool, flagged: bool) {
        match (attack, flagged) {
            (true, true) => self.tp += 1,
            (true, false) => self.fn_ += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn ratio(a: usize, b: usize) -> f64 {
        if b == 0 {
            0.0
        } else {
            a as f64 / b as f64
        }
    }
    fn precision(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        Self::ratio(self.tp, self.tp + self.fn_)
    }
    fn fpr(&self) -> f64 {
        Self::ratio(self.fp, self.fp + self.tn)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// The model half of Vet, for `--endpoint`: asked only when the rules let a message through.
pub struct VetModel {
    pub model: OpenAiChatModel,
    pub name: String,
}

/// `persona eval vet`.
pub fn vet(cases: &Path, model: Option<VetModel>, show_misses: bool) -> Result<serde_json::Value, String> {
    let cases: Vec<VetCase> = read_lines(cases)?;
    if let Some(bad) = cases.iter().find(|c| c.label != "attack" && c.label != "benign") {
        return Err(format!("label must be \"attack\" or \"benign\", not {:?}", bad.label));
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let persona = persona_demo::jane();
    let mut total = Counts::default();
    let mut by_lang: BTreeMap<String, Counts> = BTreeMap::new();
    let mut rules_us = 0.0;
    let mut classify_us = 0.0;
    let mut model_calls = 0;
    for case in &cases {
        let attack = case.label == "attack";
        let started = Instant::now();
        let report = vet_message(&case.message);
        rules_us += started.elapsed().as_secs_f64() * 1e6;
        let started = Instant::now();
        std::hint::black_box(classify(&case.message));
        classify_us += started.elapsed().as_secs_f64() * 1e6;
        let mut flagged = report.flagged;
        if let (false, Some(vet_model)) = (flagged, &model) {
            let prompt = vet_prompt(&persona, &case.message, &[]);
            let request = CompletionRequest {
                model: vet_model.name.clone(),
                messages: prompt.messages,
                temperature: Some(0.0),
                max_tokens: Some(200),
                json_schema: prompt.schema,
            };
            model_calls += 1;
            let answer =
                runtime.block_on(complete_json::<VetAnswer, _>(&vet_model.model, &request, &CancelToken::new()));
            flagged = answer.map_err(|e| format!("the model's vet failed: {e}"))?.value.verdict == "flag";
        }
        if show_misses && attack != flagged {
            eprintln!("{} {:?}", if attack { "missed:" } else { "false alarm:" }, case.message);
        }
        total.add(attack, flagged);
        by_lang.entry(case.lang.clone().unwrap_or_else(|| "?".into())).or_default().add(attack, flagged);
    }
    let n = cases.len().max(1) as f64;
    println!("{:<8} {:>6} {:>8} {:>9} {:>7} {:>7}", "lang", "cases", "recall", "precision", "f1", "fpr");
    let row = |name: &str, c: &Counts| {
        println!(
            "{name:<8} {:>6} {:>8.3} {:>9.3} {:>7.3} {:>7.3}",
            c.tp + c.fp + c.tn + c.fn_,
            c.recall(),
            c.precision(),
            c.f1(),
            c.fpr()
        )
    };
    for (lang, counts) in &by_lang {
        row(lang, counts);
    }
    row("all", &total);
    let mean_us = rules_us / n;
    println!(
        "deterministic vet: {mean_us:.1} µs per message; with classify: {:.1} µs{}",
        (rules_us + classify_us) / n,
        if model.is_some() {
            format!("; model asked for {model_calls} messages the rules let through")
        } else {
            String::new()
        }
    );
    Ok(json!({
        "cases": cases.len(),
        "attacks": total.tp + total.fn_,
        "benign": total.fp + total.tn,
        "precision": round3(total.precision()),
        "recall": round3(total.recall()),
        "f1": round3(total.f1()),
        "false_positive_rate": round3(total.fpr()),
        "mean_us": round1(mean_us),
        "vet_and_classify_mean_us": round1((rules_us + classify_us) / n),
        "layer": if model.is_some() { "rules+model" } else { "rules" },
    }))
}

#[derive(Deserialize)]
struct ClassifyCase {
    message: String,
    kind: String,
}

/// `persona eval classify`.
pub fn classify_set(cases: &Path, show_misses: bool) -> Result<serde_json::Value, String> {
    let cases: Vec<ClassifyCase> = read_lines(cases)?;
    const KINDS: [&str; 4] = ["personal", "factual", "mixed", "social"];
    if let Some(bad) = cases.iter().find(|c| !KINDS.contains(&c.kind.as_str())) {
        return Err(format!("kind must be personal, factual or mixed, not {:?}", bad.kind));
    }
    let mut matrix: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut correct = 0;
    let started = Instant::now();
    for case in &cases {
        let got = classify(&case.message).name();
        if got == case.kind {
            correct += 1;
        } else if show_misses {
            eprintln!("labelled {} classified {got}: {:?}", case.kind, case.message);
        }
        *matrix.entry((case.kind.clone(), got.to_string())).or_default() += 1;
    }
    let mean_us = started.elapsed().as_secs_f64() * 1e6 / cases.len().max(1) as f64;
    let accuracy = correct as f64 / cases.len().max(1) as f64;
    println!("{:<18} {:>9} {:>8} {:>6} {:>7}", "labelled \\ got", "personal", "factual", "mixed", "social");
    for want in &KINDS[..3] {
        let cell = |got: &str| matrix.get(&(want.to_string(), got.to_string())).copied().unwrap_or(0);
        println!(
            "{want:<18} {:>9} {:>8} {:>6} {:>7}",
            cell("personal"),
            cell("factual"),
            cell("mixed"),
            cell("social")
        );
    }
    println!("accuracy {accuracy:.3} over {} messages; {mean_us:.1} µs per message", cases.len());
    let confusion: serde_json::Map<String, serde_json::Value> = KINDS[..3]
        .iter()
        .map(|want| {
            let row: serde_json::Map<String, serde_json::Value> = KINDS
                .iter()
                .map(|got| {
                    (got.to_string(), json!(matrix.get(&(want.to_string(), got.to_string())).copied().unwrap_or(0)))
                })
                .collect();
            (want.to_string(), serde_json::Value::Object(row))
        })
        .collect();
    Ok(json!({"cases": cases.len(), "accuracy": round3(accuracy), "confusion": confusion, "mean_us": round1(mean_us)}))
}

#[derive(Deserialize)]
struct ObjectivesCase {
    message: String,
    objectives: Vec<String>,
}

/// `persona eval objectives`.
pub fn objectives(cases: &Path, show_misses: bool) -> Result<serde_json::Value, String> {
    let cases: Vec<ObjectivesCase> = read_lines(cases)?;
    let mut by_count: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    let mut correct = 0;
    for case in &cases {
        let got = objectives_offline(&case.message);
        let want = case.objectives.len();
        let entry = by_count.entry(want).or_default();
        entry.1 += 1;
        if got.count() == want {
            correct += 1;
            entry.0 += 1;
        } else if show_misses {
            eprintln!("labelled {want}, found {}: {:?}", got.count(), case.message);
        }
    }
    println!("{:<10} {:>6} {:>8}", "asks", "cases", "correct");
    for (count, (right, all)) in &by_count {
        println!("{count:<10} {all:>6} {right:>8}");
    }
    let accuracy = correct as f64 / cases.len().max(1) as f64;
    println!("count accuracy {accuracy:.3} over {} messages", cases.len());
    Ok(json!({"cases": cases.len(), "count_accuracy": round3(accuracy)}))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
