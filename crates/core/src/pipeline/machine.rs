//! The turn as a transaction: pending → running stages → committed | rolled back | cancelled.
//!
//! [`Turn::settle`] is the one place that decides what a finished pipeline run means. A
//! rollback or a cancellation drops the partial reply and the memory updates, and hands back
//! the user's text for retry or edit; only a commit carries anything to store.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::stages::Stage;
use super::trace::StageOutcome;
use super::{Event, TurnError, TurnFailure, TurnOutput};
use crate::turn::TurnTrace;

/// Where a turn stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "phase")]
pub enum TurnPhase {
    /// Sent, shown optimistically; no stage has started.
    Pending,
    /// Stages are running: those started and not finished, and those finished.
    Running { active: Vec<Stage>, done: Vec<Stage> },
    /// The reply and everything with it are to be written.
    Committed,
    /// A stage failed after its retries; nothing of the turn is kept.
    RolledBack { error: String },
    /// The user stopped the turn; nothing of it is kept.
    Cancelled,
}

/// A transition the turn's phase does not allow.
#[derive(Clone, Debug, Error, PartialEq)]
#[error("a turn cannot {action} while {phase}")]
pub struct PhaseError {
    pub action: &'static str,
    pub phase: String,
}

/// What a settled turn asks the caller to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Settlement {
    /// Write the user's message, the reply, the trace and the memory updates in one transaction.
    Commit(TurnOutput),
    /// Write nothing; show the message as failed with `failure.error`, keep `user_text`.
    RollBack { failure: TurnFailure, user_text: String },
    /// Write nothing; the user stopped the turn. `user_text` is kept for retry or edit.
    Cancelled { trace: TurnTrace, user_text: String },
}

/// One turn's state machine.
#[derive(Clone, Debug, PartialEq)]
pub struct Turn {
    id: String,
    user_text: String,
    phase: TurnPhase,
    /// The reply streamed so far (dropped on rollback, on cancel and when a draft is discarded).
    partial: String,
}

impl Turn {
    /// A pending turn for the user's message `id` with text `user_text`.
    pub fn new(id: impl Into<String>, user_text: impl Into<String>) -> Turn {
        Turn { id: id.into(), user_text: user_text.into(), phase: TurnPhase::Pending, partial: String::new() }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn user_text(&self) -> &str {
        &self.user_text
    }

    pub fn phase(&self) -> &TurnPhase {
        &self.phase
    }

    /// The reply as streamed so far; empty once the turn has settled without a commit.
    pub fn partial_reply(&self) -> &str {
        &self.partial
    }

    fn refuse(&self, action: &'static str) -> PhaseError {
        let phase = match &self.phase {
            TurnPhase::Pending => "pending",
            TurnPhase::Running { .. } => "running",
            TurnPhase::Committed => "committed",
            TurnPhase::RolledBack { .. } => "rolled back",
            TurnPhase::Cancelled => "cancelled",
        };
        PhaseError { action, phase: phase.to_string() }
    }

    /// Pending → running.
    pub fn start(&mut self) -> Result<(), PhaseError> {
        match self.phase {
            TurnPhase::Pending => {
                self.phase = TurnPhase::Running { active: Vec::new(), done: Vec::new() };
                Ok(())
            }
            _ => Err(self.refuse("start")),
        }
    }

    /// Follows the pipeline's progress (ignored unless running).
    pub fn observe(&mut self, event: &Event<'_>) {
        let TurnPhase::Running { active, done } = &mut self.phase else { return };
        match event {
            Event::StageStarted { stage, .. } => {
                if !active.contains(stage) {
                    active.push(*stage);
                }
            }
            Event::StageFinished { stage, outcome, .. } => {
                active.retain(|s| s != stage);
                if matches!(outcome, StageOutcome::Ok | StageOutcome::Skipped { .. }) && !done.contains(stage) {
                    done.push(*stage);
                }
            }
            Event::Token(piece) => self.partial.push_str(piece),
            Event::DraftDiscarded { .. } => {
                self.partial.clear();
                done.retain(|s| !matches!(s, Stage::Generate | Stage::Validate | Stage::Ground));
            }
        }
    }

    /// Running → committed, rolled back or cancelled: the one place that decides.
    pub fn settle(&mut self, result: Result<TurnOutput, TurnFailure>) -> Result<Settlement, PhaseError> {
        if !matches!(self.phase, TurnPhase::Running { .. }) {
            return Err(self.refuse("settle"));
        }
        let user_text = self.user_text.clone();
        let settlement = match result {
            Ok(output) => {
                self.phase = TurnPhase::Committed;
                self.partial = output.reply.text.clone();
                return Ok(Settlement::Commit(output));
            }
            Err(TurnFailure { error: TurnError::Cancelled, trace }) => {
                self.phase = TurnPhase::Cancelled;
                Settlement::Cancelled { trace, user_text }
            }
            Err(failure) => {
                self.phase = TurnPhase::RolledBack { error: failure.error.to_string() };
                Settlement::RollBack { failure, user_text }
            }
        };
        self.partial.clear();
        Ok(settlement)
    }
}
