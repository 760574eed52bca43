//! The turn inspector's model: a turn's [`TurnTrace`] laid out as a timeline of stage runs,
//! an axis, and the summary of what the turn decided. Plain Rust (no yew, no browser types),
//! unit-tested natively; `components::inspector` only renders what this computes.

use persona_core::pipeline::{critical_path_calls, Stage, StageOutcome, StageRecord, MAX_RETRIES};
use persona_core::turn::TurnTrace;

use crate::state::label;

/// The narrowest a bar is drawn, in percent of the track, so that a 0.1 ms offline stage is
/// still visible (and clickable).
pub const MIN_WIDTH_PCT: f64 = 0.8;

/// Summary keys, in the order [`summary`] returns them (the component matches on them).
pub const DECISION: &str = "Decision";
pub const VET: &str = "Vet";
pub const OBJECTIVES: &str = "Objectives";
pub const RETRIEVED: &str = "Retrieved";
pub const RETRIES: &str = "Retries";
pub const GUARD: &str = "Guard";
pub const MODEL_CALLS: &str = "Model calls";
pub const TOTAL_TIME: &str = "Total time";

/// One stage run on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub stage: Stage,
    /// The stage's label on screen ([`crate::state::label`]).
    pub label: &'static str,
    /// 1 for the stage's first run in the turn, 2 for its first retry, …
    pub attempt: u32,
    /// `attempt > 1`.
    pub retry: bool,
    /// Where the bar starts, in percent of the track.
    pub left_pct: f64,
    /// How wide it is, in percent of the track (at least [`MIN_WIDTH_PCT`]); `left_pct +
    /// width_pct` never exceeds 100.
    pub width_pct: f64,
    pub start_ms: f64,
    pub duration_ms: f64,
    /// CSS-friendly: see [`outcome_class`].
    pub outcome: &'static str,
    /// Backend, model, tokens, HTTP attempts, repair, outcome and note, on one line.
    pub detail: String,
}

/// A time in milliseconds that can be drawn: finite and not negative.
fn clean(ms: f64) -> f64 {
    if ms.is_finite() && ms > 0.0 {
        ms
    } else {
        0.0
    }
}

/// The span the timeline covers, in milliseconds: the turn's total, or the latest end of a
/// stage run if one ends later (so that no bar overflows). 0 for a turn that took no time.
pub fn scale_ms(trace: &TurnTrace) -> f64 {
    trace.stages.iter().map(|r| clean(r.start_ms) + clean(r.duration_ms)).fold(clean(trace.total_ms), f64::max)
}

/// How a stage run ended, as a CSS-friendly word: `ok`, `failed`, `skipped`, `discarded`,
/// `cancelled`, and for runs that finished but did not simply succeed: `flagged` (Vet flagged
/// the message), `retry` (Validate sent the turn back, or Ground's answer failed a check and
/// Ground ran again), `capped` (Validate asked for a retry, but the turn had none left) and
/// `fallback` (Ground fell back to the extractive answer).
pub fn outcome_class(trace: &TurnTrace, index: usize) -> &'static str {
    let record = &trace.stages[index];
    let later = |stage: Stage| trace.stages[index + 1..].iter().any(|r| r.stage == stage);
    match &record.outcome {
        StageOutcome::Failed { .. } => "failed",
        StageOutcome::Skipped { .. } => "skipped",
        StageOutcome::Discarded => "discarded",
        StageOutcome::Cancelled => "cancelled",
        StageOutcome::Ok => match record.stage {
            Stage::Vet if !later(Stage::Vet) && trace.vet.as_ref().is_some_and(|v| v.flagged) => "flagged",
            // Validate notes its feedback only when the draft did not pass.
            Stage::Validate if record.note.starts_with("retry cap reached") => "capped",
            Stage::Validate if !record.note.is_empty() && later(Stage::Generate) => "retry",
            Stage::Validate if !record.note.is_empty() => "capped",
            Stage::Ground if record.note.starts_with("fell back") => "fallback",
            Stage::Ground if later(Stage::Ground) => "retry",
            _ => "ok",
        },
    }
}

/// A duration for people: `0.4 ms`, `12 ms`, `250 ms`, `1.2 s`.
pub fn format_ms(ms: f64) -> String {
    let ms = clean(ms);
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else if ms >= 10.0 || ms == 0.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

/// A stage run's detail, on one line.
fn detail(record: &StageRecord) -> String {
    let mut parts = Vec::new();
    parts.push(match &record.model {
        Some(model) => format!("{} {model}", record.backend),
        None => record.backend.clone(),
    });
    parts.push(format!("{} at {}", format_ms(record.duration_ms), format_ms(record.start_ms)));
    match (record.prompt_tokens, record.completion_tokens) {
        (Some(p), Some(c)) => parts.push(format!("{p} + {c} tokens")),
        (Some(p), None) => parts.push(format!("{p} prompt tokens")),
        (None, Some(c)) => parts.push(format!("{c} completion tokens")),
        (None, None) => {}
    }
    if record.http_attempts > 0 {
        let s = if record.http_attempts == 1 { "" } else { "s" };
        parts.push(format!("{} HTTP attempt{s}", record.http_attempts));
    }
    if record.repaired {
        parts.push("repaired".to_string());
    }
    match &record.outcome {
        StageOutcome::Ok => {}
        StageOutcome::Failed { error } => parts.push(format!("failed: {error}")),
        StageOutcome::Skipped { reason } => parts.push(format!("skipped: {reason}")),
        StageOutcome::Discarded => parts.push("discarded: Validate asked for a retry".to_string()),
        StageOutcome::Cancelled => parts.push("cancelled".to_string()),
    }
    if !record.note.is_empty() {
        parts.push(record.note.clone());
    }
    parts.join(" · ")
}

/// The turn's stage runs as bars, in start order (runs that started together keep the order
/// the pipeline recorded them in), sized by duration and placed by start on a scale of
/// [`scale_ms`]; a turn that took no time gets bars of the minimum width at the left.
pub fn bars(trace: &TurnTrace) -> Vec<Bar> {
    let scale = scale_ms(trace);
    let pct = |ms: f64| if scale > 0.0 { (clean(ms) / scale * 100.0).min(100.0) } else { 0.0 };
    let mut order: Vec<usize> = (0..trace.stages.len()).collect();
    order.sort_by(|&a, &b| clean(trace.stages[a].start_ms).total_cmp(&clean(trace.stages[b].start_ms)));
    order
        .into_iter()
        .map(|index| {
            let record = &trace.stages[index];
            let width_pct = pct(record.duration_ms).max(MIN_WIDTH_PCT);
            // A minimum-width bar at the very end moves left rather than overflow.
            let left_pct = pct(record.start_ms).min(100.0 - width_pct);
            Bar {
                stage: record.stage,
                label: label(record.stage),
                attempt: record.attempt,
                retry: record.attempt > 1,
                left_pct,
                width_pct,
                start_ms: record.start_ms,
                duration_ms: record.duration_ms,
                outcome: outcome_class(trace, index),
                detail: detail(record),
            }
        })
        .collect()
}

/// A tick's label: milliseconds under two seconds (`0 ms`, `250 ms`, `0.5 ms`), seconds above
/// (`1.5 s`), with no trailing zeros.
fn tick_label(ms: f64, seconds: bool) -> String {
    let (value, unit) = if seconds { (ms / 1000.0, "s") } else { (ms, "ms") };
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} {unit}")
}

/// Evenly spaced ticks for a timeline `total_ms` long, at a "nice" step (1, 2, 2.5 or 5 times a
/// power of ten): between 3 and 6 of them, from 0, none past the end. Each is `(percent of the
/// track, label)`. A timeline of no length has the one tick `0 ms`.
pub fn axis_ticks(total_ms: f64) -> Vec<(f64, String)> {
    let total = clean(total_ms);
    if total == 0.0 {
        return vec![(0.0, "0 ms".to_string())];
    }
    // The smallest nice step with at most 5 intervals: at most twice total / 5, so at least 2.
    let raw = total / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * magnitude);
    let intervals = (total / step + 1e-9).floor() as usize;
    let seconds = total >= 2000.0;
    (0..=intervals)
        .map(|i| {
            let ms = i as f64 * step;
            ((ms / total * 100.0).min(100.0), tick_label(ms, seconds))
        })
        .collect()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The personal/factual decision as a CSS-friendly word (`social`, `personal`, `factual`,
/// `mixed`): Establish's, which is also the trace's `kind`.
pub fn decision(trace: &TurnTrace) -> &'static str {
    trace.understanding.as_ref().map_or(trace.kind, |u| u.kind).name()
}

/// Vet's verdict as a CSS-friendly word: `pass`, `flag`, or `none` when Vet did not decide.
pub fn vet_verdict(trace: &TurnTrace) -> &'static str {
    match &trace.vet {
        Some(v) if v.flagged => "flag",
        Some(_) => "pass",
        None => "none",
    }
}

/// The facts panel: `(term, description)` pairs, keyed by the constants above (Objectives and
/// Model calls only when the turn had them).
pub fn summary(trace: &TurnTrace) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();

    let kind = decision(trace);
    let why = match kind {
        "social" => "nothing to ground",
        "personal" => "answered from her profile and memories",
        "mixed" => "the factual part grounded in the numbered facts",
        _ => "grounded in the numbered facts",
    };
    let mut text = format!("{kind} ({why})");
    if let Some(u) = &trace.understanding {
        let what = match (u.intent.trim(), u.topic.trim()) {
            ("", "") => String::new(),
            (intent, "") => intent.to_string(),
            ("", topic) => format!("about “{topic}”"),
            (intent, topic) => format!("{intent} about “{topic}”"),
        };
        if !what.is_empty() {
            text.push_str(&format!(" — {what}"));
        }
        if !u.references.is_empty() {
            text.push_str(&format!("; refers to {}", u.references.join(", ")));
        }
    }
    out.push((DECISION, text));

    out.push((
        VET,
        match &trace.vet {
            None => "not decided (the turn stopped first)".to_string(),
            Some(v) => {
                let mut text = if v.flagged { "flag".to_string() } else { "pass".to_string() };
                if !v.reasons.is_empty() {
                    text.push_str(&format!(": {}", v.reasons.join(", ")));
                }
                if !v.decided_by.is_empty() {
                    text.push_str(&format!(" (by {})", v.decided_by));
                }
                text
            }
        },
    ));

    if let Some(o) = trace.objectives.as_ref().filter(|o| o.count() > 0 || !o.implicit.is_empty()) {
        let mut asks: Vec<&str> = Vec::new();
        if !o.primary.is_empty() {
            asks.push(&o.primary);
        }
        asks.extend(o.secondary.iter().map(String::as_str));
        let mut text = asks.join("; ");
        if !o.implicit.is_empty() {
            if !text.is_empty() {
                text.push_str(" — ");
            }
            text.push_str(&format!("unstated: {}", o.implicit.join("; ")));
        }
        out.push((OBJECTIVES, text));
    }

    out.push((
        RETRIEVED,
        format!(
            "{} from the articles, {} from memory",
            plural(trace.knowledge_retrieved, "passage", "passages"),
            trace.memory_retrieved
        ),
    ));

    out.push((RETRIES, format!("{} of at most {}", trace.retries, MAX_RETRIES)));

    out.push((GUARD, trace.guard.clone().unwrap_or_else(|| "nothing replaced".to_string())));

    let calls = trace.stages.iter().filter(|r| r.called_model()).count();
    if calls > 0 {
        out.push((
            MODEL_CALLS,
            format!("{}, {} on the critical path", plural(calls, "call", "calls"), critical_path_calls(&trace.stages)),
        ));
    }

    out.push((TOTAL_TIME, format!("{} (retrieval {})", format_ms(trace.total_ms), format_ms(trace.retrieval_ms))));
    out
}

/// The file the trace of message `message_id` is exported to: `trace-<message_id>.json`, with
/// anything but letters, digits, `-`, `_` and `.` in the id replaced by `_`.
pub fn export_file_name(message_id: &str) -> String {
    let id: String = message_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    format!("trace-{id}.json")
}

/// The trace as pretty-printed JSON (the core's serde format, so it reads back as a
/// [`TurnTrace`]).
pub fn export_json(trace: &TurnTrace) -> String {
    // A TurnTrace holds only strings, numbers, lists and options: it always serialises.
    serde_json::to_string_pretty(trace).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::facts::Fact;
    use persona_core::offline::QuestionKind;
    use persona_core::pipeline::{Objectives, Understanding, Verdict};

    fn run(stage: Stage, attempt: u32, start: f64, duration: f64) -> StageRecord {
        StageRecord {
            stage,
            attempt,
            start_ms: start,
            duration_ms: duration,
            backend: "model".into(),
            model: Some("m-1".into()),
            prompt_tokens: Some(100),
            completion_tokens: Some(20),
            http_attempts: 1,
            repaired: false,
            outcome: StageOutcome::Ok,
            note: String::new(),
        }
    }

    /// A concurrent turn in which Validate sent the draft back once.
    fn retried_turn() -> TurnTrace {
        let mut validate = run(Stage::Validate, 1, 600.0, 200.0);
        validate.note = "cite the facts".into();
        let mut ground = run(Stage::Ground, 1, 600.0, 250.0);
        ground.outcome = StageOutcome::Discarded;
        TurnTrace {
            total_ms: 1400.0,
            retries: 1,
            stages: vec![
                run(Stage::Establish, 1, 0.0, 300.0),
                run(Stage::Vet, 1, 0.0, 1.0),
                run(Stage::Objectives, 1, 0.2, 280.0),
                run(Stage::Enrich, 1, 0.3, 290.0),
                run(Stage::Generate, 1, 300.0, 300.0),
                validate,
                ground,
                run(Stage::Generate, 2, 850.0, 300.0),
                run(Stage::Validate, 2, 1150.0, 200.0),
                run(Stage::Ground, 2, 1150.0, 240.0),
            ],
            ..TurnTrace::default()
        }
    }

    #[test]
    fn bars_are_sized_by_duration_and_placed_by_start() {
        let bars = bars(&retried_turn());
        assert_eq!(bars.len(), 10);
        let generate = &bars[4];
        assert_eq!((generate.label, generate.attempt), ("Generate", 1));
        assert!((generate.left_pct - 300.0 / 1400.0 * 100.0).abs() < 1e-9);
        assert!((generate.width_pct - 300.0 / 1400.0 * 100.0).abs() < 1e-9);
        let vet = bars.iter().find(|b| b.stage == Stage::Vet).unwrap();
        assert_eq!(vet.width_pct, MIN_WIDTH_PCT, "a 1 ms stage is still visible");
        assert!(bars.windows(2).all(|w| w[0].start_ms <= w[1].start_ms), "rows in start order");
        assert_eq!(generate.detail, "model m-1 · 300 ms at 300 ms · 100 + 20 tokens · 1 HTTP attempt");
    }

    #[test]
    fn retries_are_flagged_and_outcomes_named() {
        let bars = bars(&retried_turn());
        let retried: Vec<(&str, u32)> = bars.iter().filter(|b| b.retry).map(|b| (b.label, b.attempt)).collect();
        assert_eq!(retried, [("Generate", 2), ("Validate", 2), ("Ground", 2)]);
        let outcomes: Vec<&str> = bars.iter().map(|b| b.outcome).collect();
        assert_eq!(outcomes, ["ok", "ok", "ok", "ok", "ok", "retry", "discarded", "ok", "ok", "ok"]);
        assert!(bars[6].detail.contains("discarded"), "{}", bars[6].detail);
        assert!(bars[5].detail.ends_with("cite the facts"));
    }

    #[test]
    fn other_outcomes_have_their_own_names() {
        let mut trace = retried_turn();
        trace.stages[1].note = "role claim".into();
        trace.vet = Some(Verdict { flagged: true, reasons: vec!["role claim".into()], decided_by: "rules".into() });
        trace.stages[8].note = "retry cap reached: the last draft went on to Ground".into();
        trace.stages[2].outcome = StageOutcome::Failed { error: "HTTP 503".into() };
        trace.stages[3].outcome = StageOutcome::Cancelled;
        trace.stages.push(StageRecord {
            outcome: StageOutcome::Skipped { reason: "personal message".into() },
            ..run(Stage::Ground, 3, 1390.0, 0.0)
        });
        let by_index: Vec<&str> = (0..trace.stages.len()).map(|i| outcome_class(&trace, i)).collect();
        assert_eq!(by_index[1], "flagged");
        assert_eq!(by_index[2], "failed");
        assert_eq!(by_index[3], "cancelled");
        assert_eq!(by_index[8], "capped");
        assert_eq!(by_index[9], "retry", "a Ground that ran again");
        assert_eq!(by_index[10], "skipped");
        trace.stages.pop();
        assert_eq!(outcome_class(&trace, 9), "ok");
        trace.stages[9].note = "fell back to the extractive answer: no citation".into();
        assert_eq!(outcome_class(&trace, 9), "fallback");
        let failed = bars(&trace).into_iter().find(|b| b.outcome == "failed").unwrap();
        assert!(failed.detail.contains("failed: HTTP 503"), "{}", failed.detail);
    }

    #[test]
    fn no_bar_overflows_the_track() {
        let mut trace = retried_turn();
        // A stage that ends after the recorded total, and one that starts right at the end.
        trace.total_ms = 1000.0;
        trace.stages.push(run(Stage::Ground, 3, 1400.0, 0.0));
        for bar in bars(&trace) {
            assert!(bar.left_pct >= 0.0 && bar.width_pct >= MIN_WIDTH_PCT, "{bar:?}");
            assert!(bar.left_pct + bar.width_pct <= 100.0 + 1e-9, "{bar:?}");
        }
        assert_eq!(scale_ms(&trace), 1400.0, "the scale grows to the latest end");
        let last = bars(&trace).pop().unwrap();
        assert!((last.left_pct - (100.0 - MIN_WIDTH_PCT)).abs() < 1e-9);
    }

    #[test]
    fn a_turn_of_no_duration_divides_by_nothing() {
        let trace = TurnTrace {
            stages: vec![run(Stage::Vet, 1, 0.0, 0.0), run(Stage::Establish, 1, f64::NAN, -3.0)],
            ..TurnTrace::default()
        };
        assert_eq!(scale_ms(&trace), 0.0);
        for bar in bars(&trace) {
            assert_eq!((bar.left_pct, bar.width_pct), (0.0, MIN_WIDTH_PCT), "{bar:?}");
        }
        assert!(bars(&TurnTrace::default()).is_empty());
        assert_eq!(axis_ticks(0.0), [(0.0, "0 ms".to_string())]);
        assert_eq!(axis_ticks(f64::NAN).len(), 1);
    }

    #[test]
    fn axis_ticks_are_nice_and_few() {
        let labels = |total: f64| axis_ticks(total).into_iter().map(|(_, l)| l).collect::<Vec<_>>();
        assert_eq!(labels(1000.0), ["0 ms", "200 ms", "400 ms", "600 ms", "800 ms", "1000 ms"]);
        assert_eq!(labels(1400.0), ["0 ms", "500 ms", "1000 ms"]);
        assert_eq!(labels(3700.0), ["0 s", "1 s", "2 s", "3 s"]);
        assert_eq!(labels(6000.0), ["0 s", "2 s", "4 s", "6 s"]);
        assert_eq!(labels(12_000.0), ["0 s", "2.5 s", "5 s", "7.5 s", "10 s"]);
        assert_eq!(labels(2.3), ["0 ms", "0.5 ms", "1 ms", "1.5 ms", "2 ms"]);
        for total in [0.01, 0.7, 1.0, 3.0, 9.99, 42.0, 99.0, 101.0, 250.0, 999.0, 1234.5, 17_000.0, 86_400_000.0] {
            let ticks = axis_ticks(total);
            assert!((3..=6).contains(&ticks.len()), "{total}: {ticks:?}");
            assert_eq!(ticks[0].0, 0.0);
            assert!(ticks.windows(2).all(|w| w[0].0 < w[1].0), "{total}: {ticks:?}");
            assert!(ticks.iter().all(|(pct, _)| *pct <= 100.0), "{total}: {ticks:?}");
        }
    }

    #[test]
    fn summary_names_the_decision_verdict_and_retrieval() {
        let mut trace = retried_turn();
        trace.kind = QuestionKind::Mixed;
        trace.understanding = Some(Understanding {
            intent: "ask".into(),
            topic: "late payments".into(),
            kind: QuestionKind::Mixed,
            references: vec![],
        });
        trace.vet = Some(Verdict { flagged: false, reasons: vec![], decided_by: "rules".into() });
        trace.objectives = Some(Objectives { primary: "How late?".into(), secondary: vec![], implicit: vec![] });
        trace.knowledge_retrieved = 1;
        trace.memory_retrieved = 3;
        trace.retrieval_ms = 2.5;
        let summary = summary(&trace);
        let keys: Vec<&str> = summary.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [DECISION, VET, OBJECTIVES, RETRIEVED, RETRIES, GUARD, MODEL_CALLS, TOTAL_TIME]);
        let value = |key: &str| summary.iter().find(|(k, _)| *k == key).unwrap().1.clone();
        assert!(value(DECISION).starts_with("mixed"), "{}", value(DECISION));
        assert!(value(DECISION).contains("ask about “late payments”"));
        assert_eq!(value(VET), "pass (by rules)");
        assert_eq!(value(RETRIEVED), "1 passage from the articles, 3 from memory");
        assert_eq!(value(RETRIES), "1 of at most 2");
        assert_eq!(value(GUARD), "nothing replaced");
        assert_eq!(value(MODEL_CALLS), "10 calls, 5 on the critical path");
        assert_eq!(value(TOTAL_TIME), "1.4 s (retrieval 2.5 ms)");
        assert_eq!((decision(&trace), vet_verdict(&trace)), ("mixed", "pass"));

        trace.vet = Some(Verdict {
            flagged: true,
            reasons: vec!["role claim".into(), "override".into()],
            decided_by: "rules".into(),
        });
        trace.guard = Some("replaced".into());
        let summary = super::summary(&trace);
        assert_eq!(summary[1].1, "flag: role claim, override (by rules)");
        assert_eq!(vet_verdict(&trace), "flag");
        assert!(summary.contains(&(GUARD, "replaced".to_string())));
    }

    #[test]
    fn an_offline_turn_summarises_without_understanding() {
        let trace = TurnTrace {
            kind: QuestionKind::Personal,
            knowledge_retrieved: 0,
            memory_retrieved: 1,
            ..TurnTrace::default()
        };
        let summary = summary(&trace);
        assert_eq!(summary[0], (DECISION, "personal (answered from her profile and memories)".to_string()));
        assert_eq!(vet_verdict(&trace), "none");
        assert!(summary.contains(&(RETRIEVED, "0 passages from the articles, 1 from memory".to_string())));
        assert!(!summary.iter().any(|(k, _)| *k == MODEL_CALLS || *k == OBJECTIVES));
        assert_eq!(summary.last().unwrap(), &(TOTAL_TIME, "0 ms (retrieval 0 ms)".to_string()));
    }

    #[test]
    fn the_export_reads_back_as_the_same_trace() {
        let mut trace = retried_turn();
        trace.facts = vec![Fact {
            number: 1,
            text: "Firms with a plan grew 30% faster.".into(),
            chunk_id: "c1".into(),
            article_title: "Plans".into(),
            heading: None,
        }];
        let json = export_json(&trace);
        assert!(json.contains("\n  \"stages\": ["), "pretty-printed");
        let back: TurnTrace = serde_json::from_str(&json).unwrap();
        assert_eq!(back, trace);
        assert_eq!(export_file_name("m-12"), "trace-m-12.json");
        assert_eq!(export_file_name("a/b c"), "trace-a_b_c.json");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_ms(0.0), "0 ms");
        assert_eq!(format_ms(0.42), "0.4 ms");
        assert_eq!(format_ms(12.3), "12 ms");
        assert_eq!(format_ms(1234.0), "1.2 s");
        assert_eq!(format_ms(f64::INFINITY), "0 ms");
    }
}
