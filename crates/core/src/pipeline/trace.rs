//! What each stage did in one turn, for the trace (DESIGN.md, Observability).

use serde::{Deserialize, Serialize};

use super::stages::Stage;

/// How a stage run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum StageOutcome {
    /// Finished, and its output was used.
    Ok,
    /// Failed with this error (after the client's own retries).
    Failed { error: String },
    /// Not run; why (a flagged message needs no draft, a personal reply needs no grounding).
    Skipped { reason: String },
    /// Finished, but its output was thrown away (Ground run beside a Validate that asked for
    /// a retry).
    Discarded,
    /// Stopped before it finished (the turn was cancelled, or a sibling stage failed).
    Cancelled,
}

/// One run of one stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StageRecord {
    pub stage: Stage,
    /// 1 for the first run of this stage in the turn, 2 for its first retry, …
    pub attempt: u32,
    /// Milliseconds from the start of the turn.
    pub start_ms: f64,
    pub duration_ms: f64,
    /// `offline` (rules, retrieval, extraction) or `model`.
    pub backend: String,
    /// The model that answered, as the endpoint reported it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion_tokens: Option<u32>,
    /// HTTP attempts, the client's retries included; 0 for offline work.
    #[serde(default)]
    pub http_attempts: u32,
    /// Whether the structured answer needed the repair call.
    #[serde(default)]
    pub repaired: bool,
    pub outcome: StageOutcome,
    /// A short note: the vet reasons, Validate's feedback, why Ground fell back.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl StageRecord {
    /// Whether this run called a model.
    pub fn called_model(&self) -> bool {
        self.backend == "model" && !matches!(self.outcome, StageOutcome::Skipped { .. })
    }
}

/// The longest chain of model calls in which each call started only after the previous one
/// ended: the turn's critical path, measured from the recorded times (not from the plan).
pub fn critical_path_calls(records: &[StageRecord]) -> usize {
    let mut calls: Vec<(f64, f64)> =
        records.iter().filter(|r| r.called_model()).map(|r| (r.start_ms, r.start_ms + r.duration_ms)).collect();
    calls.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Two calls overlap unless one starts after the other ended (with 0.5 ms of slack for the
    // clock's resolution and the scheduler's own work).
    let mut depth = vec![1usize; calls.len()];
    for i in 0..calls.len() {
        for j in 0..i {
            if calls[j].1 <= calls[i].0 + 0.5 && depth[j] + 1 > depth[i] {
                depth[i] = depth[j] + 1;
            }
        }
    }
    depth.into_iter().max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(stage: Stage, start: f64, duration: f64) -> StageRecord {
        StageRecord {
            stage,
            attempt: 1,
            start_ms: start,
            duration_ms: duration,
            backend: "model".into(),
            model: None,
            prompt_tokens: None,
            completion_tokens: None,
            http_attempts: 1,
            repaired: false,
            outcome: StageOutcome::Ok,
            note: String::new(),
        }
    }

    #[test]
    fn the_critical_path_counts_calls_that_wait_for_each_other() {
        let concurrent = [
            call(Stage::Establish, 0.0, 300.0),
            call(Stage::Vet, 0.1, 300.0),
            call(Stage::Objectives, 0.2, 301.0),
            call(Stage::Generate, 301.5, 300.0),
            call(Stage::Validate, 602.0, 300.0),
            call(Stage::Ground, 602.1, 300.0),
        ];
        assert_eq!(critical_path_calls(&concurrent), 3);
        let sequential: Vec<StageRecord> =
            Stage::ALL.iter().enumerate().map(|(i, s)| call(*s, i as f64 * 300.0, 299.0)).collect();
        assert_eq!(critical_path_calls(&sequential), 7);
        let mut offline = call(Stage::Vet, 0.0, 1.0);
        offline.backend = "offline".into();
        assert_eq!(critical_path_calls(&[offline]), 0);
    }
}
