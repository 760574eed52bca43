//! The chat transcript as an optimistic state machine.
//!
//! A sent message appears at once as [`Status::Pending`]; the turn then either commits (the
//! message becomes [`Status::Sent`] and the reply is appended) or rolls back (the message becomes
//! [`Status::Failed`], nothing of the reply is kept, and the user can retry, edit or discard).
//! Every change goes through [`Transcript::apply`], a pure function of state and action; the UI
//! reducer wraps it and persistence happens elsewhere, after the fact.
//!
//! Messages are keyed by a local id chosen when the user sends, so a late result (a reply that
//! arrives after the message was discarded or retried) lands on the current state or nowhere.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::facts::Fact;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// Where a message stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum Status {
    /// Shown optimistically; its turn is running.
    Pending,
    /// Committed.
    Sent,
    /// Its turn rolled back; the text is kept for retry or edit.
    Failed { error: String },
}

/// One message in the transcript.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: String,
    pub role: Role,
    pub text: String,
    pub status: Status,
    /// For replies: the numbered facts the answer cites as `[n]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
}

/// A committed reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub text: String,
    pub facts: Vec<Fact>,
}

/// Everything that can happen to a transcript.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The user sent `text`; `id` is a fresh local id.
    Send { id: String, text: String },
    /// The turn for message `id` committed with `reply`.
    Commit { id: String, reply: Reply },
    /// The turn for message `id` rolled back (failure or cancellation).
    Fail { id: String, error: String },
    /// Run a failed message's turn again (it becomes pending).
    Retry { id: String },
    /// Remove a failed message; its text goes back to the composer.
    Edit { id: String },
    /// Remove a failed message for good.
    Discard { id: String },
}

/// An action that does not fit the current state. The state is left unchanged.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ChatError {
    #[error("no message with id `{0}`")]
    UnknownMessage(String),
    #[error("message `{id}` is {actual}, but this action needs it {expected}")]
    WrongStatus { id: String, expected: &'static str, actual: &'static str },
    #[error("a message with id `{0}` already exists")]
    DuplicateId(String),
    #[error("cannot send an empty message")]
    EmptyMessage,
}

/// The conversation as the user sees it, plus the composer's draft.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub messages: Vec<Message>,
    /// Text waiting in the composer (restored by Edit; never silently dropped).
    #[serde(default)]
    pub draft: String,
}

impl Transcript {
    /// A transcript that opens with the persona's greeting.
    pub fn with_greeting(greeting: &str) -> Self {
        let mut transcript = Transcript::default();
        if !greeting.trim().is_empty() {
            transcript.messages.push(Message {
                id: "greeting".to_string(),
                role: Role::Assistant,
                text: greeting.to_string(),
                status: Status::Sent,
                facts: Vec::new(),
            });
        }
        transcript
    }

    pub fn get(&self, id: &str) -> Option<&Message> {
        self.messages.iter().find(|m| m.id == id)
    }

    /// The id a reply to message `id` gets.
    pub fn reply_id(id: &str) -> String {
        format!("{id}/reply")
    }

    /// Committed messages only, oldest first: what a model may see as history.
    pub fn history(&self) -> impl Iterator<Item = &Message> {
        self.messages.iter().filter(|m| m.status == Status::Sent)
    }

    /// Applies `action`. On error the transcript is unchanged.
    pub fn apply(&mut self, action: Action) -> Result<(), ChatError> {
        match action {
            Action::Send { id, text } => {
                if text.trim().is_empty() {
                    return Err(ChatError::EmptyMessage);
                }
                if self.get(&id).is_some() {
                    return Err(ChatError::DuplicateId(id));
                }
                self.messages.push(Message { id, role: Role::User, text, status: Status::Pending, facts: Vec::new() });
                self.draft.clear();
            }
            Action::Commit { id, reply } => {
                let position = self.position_with(&id, "pending", |s| *s == Status::Pending)?;
                self.messages[position].status = Status::Sent;
                let reply = Message {
                    id: Self::reply_id(&id),
                    role: Role::Assistant,
                    text: reply.text,
                    status: Status::Sent,
                    facts: reply.facts,
                };
                self.messages.insert(position + 1, reply);
            }
            Action::Fail { id, error } => {
                let position = self.position_with(&id, "pending", |s| *s == Status::Pending)?;
                self.messages[position].status = Status::Failed { error };
            }
            Action::Retry { id } => {
                let position = self.position_with(&id, "failed", |s| matches!(s, Status::Failed { .. }))?;
                self.messages[position].status = Status::Pending;
            }
            Action::Edit { id } => {
                let position = self.position_with(&id, "failed", |s| matches!(s, Status::Failed { .. }))?;
                let message = self.messages.remove(position);
                self.draft =
                    if self.draft.is_empty() { message.text } else { format!("{}\n{}", message.text, self.draft) };
            }
            Action::Discard { id } => {
                let position = self.position_with(&id, "failed", |s| matches!(s, Status::Failed { .. }))?;
                self.messages.remove(position);
            }
        }
        Ok(())
    }

    fn position_with(
        &self,
        id: &str,
        expected: &'static str,
        ok: impl Fn(&Status) -> bool,
    ) -> Result<usize, ChatError> {
        let position = self
            .messages
            .iter()
            .position(|m| m.id == id && m.role == Role::User)
            .ok_or_else(|| ChatError::UnknownMessage(id.to_string()))?;
        let status = &self.messages[position].status;
        if !ok(status) {
            let actual = match status {
                Status::Pending => "pending",
                Status::Sent => "sent",
                Status::Failed { .. } => "failed",
            };
            return Err(ChatError::WrongStatus { id: id.to_string(), expected, actual });
        }
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send(t: &mut Transcript, id: &str, text: &str) {
        t.apply(Action::Send { id: id.into(), text: text.into() }).unwrap();
    }

    fn reply(text: &str) -> Reply {
        Reply { text: text.into(), facts: vec![] }
    }

    #[test]
    fn send_is_pending_then_commit_makes_it_sent_with_the_reply_after_it() {
        let mut t = Transcript::with_greeting("Hi!");
        t.draft = "typed".into();
        send(&mut t, "m1", "What is cash flow?");
        assert_eq!(t.get("m1").unwrap().status, Status::Pending);
        assert_eq!(t.draft, "", "sending takes the draft");
        assert_eq!(t.history().count(), 1, "a pending message is not history yet");
        t.apply(Action::Commit { id: "m1".into(), reply: reply("Money in and out.") }).unwrap();
        let ids: Vec<&str> = t.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["greeting", "m1", "m1/reply"]);
        assert_eq!(t.get("m1").unwrap().status, Status::Sent);
        assert_eq!(t.history().count(), 3);
    }

    #[test]
    fn a_late_commit_lands_after_its_own_message_not_at_the_end() {
        let mut t = Transcript::default();
        send(&mut t, "m1", "first");
        send(&mut t, "m2", "second");
        t.apply(Action::Commit { id: "m2".into(), reply: reply("two") }).unwrap();
        t.apply(Action::Commit { id: "m1".into(), reply: reply("one") }).unwrap();
        let ids: Vec<&str> = t.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["m1", "m1/reply", "m2", "m2/reply"]);
    }

    #[test]
    fn failure_keeps_the_text_and_allows_retry_edit_or_discard() {
        let mut t = Transcript::default();
        send(&mut t, "m1", "keep me");
        t.apply(Action::Fail { id: "m1".into(), error: "timeout".into() }).unwrap();
        assert_eq!(t.get("m1").unwrap().status, Status::Failed { error: "timeout".into() });
        assert_eq!(t.get("m1").unwrap().text, "keep me");
        assert_eq!(t.history().count(), 0);

        t.apply(Action::Retry { id: "m1".into() }).unwrap();
        assert_eq!(t.get("m1").unwrap().status, Status::Pending);
        t.apply(Action::Fail { id: "m1".into(), error: "again".into() }).unwrap();
        t.apply(Action::Edit { id: "m1".into() }).unwrap();
        assert!(t.get("m1").is_none());
        assert_eq!(t.draft, "keep me");

        send(&mut t, "m2", "bye");
        t.apply(Action::Fail { id: "m2".into(), error: "x".into() }).unwrap();
        t.apply(Action::Discard { id: "m2".into() }).unwrap();
        assert!(t.messages.is_empty());
    }

    #[test]
    fn invalid_transitions_are_errors_and_change_nothing() {
        let mut t = Transcript::default();
        send(&mut t, "m1", "hello");
        let before = t.clone();
        assert_eq!(
            t.apply(Action::Retry { id: "m1".into() }),
            Err(ChatError::WrongStatus { id: "m1".into(), expected: "failed", actual: "pending" })
        );
        assert_eq!(
            t.apply(Action::Commit { id: "nope".into(), reply: reply("x") }),
            Err(ChatError::UnknownMessage("nope".into()))
        );
        assert_eq!(
            t.apply(Action::Send { id: "m1".into(), text: "again".into() }),
            Err(ChatError::DuplicateId("m1".into()))
        );
        assert_eq!(t.apply(Action::Send { id: "m9".into(), text: "  ".into() }), Err(ChatError::EmptyMessage));
        t.apply(Action::Fail { id: "m1".into(), error: "e".into() }).unwrap();
        t.apply(Action::Discard { id: "m1".into() }).unwrap();
        // The turn's result arrives after the user discarded the message: it lands nowhere.
        assert_eq!(
            t.apply(Action::Commit { id: "m1".into(), reply: reply("late") }),
            Err(ChatError::UnknownMessage("m1".into()))
        );
        assert!(t.messages.is_empty());
        let _ = before;
    }

    #[test]
    fn transcript_round_trips_through_json() {
        let mut t = Transcript::with_greeting("Hi");
        send(&mut t, "m1", "q");
        t.apply(Action::Fail { id: "m1".into(), error: "offline".into() }).unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Transcript>(&json).unwrap(), t);
    }
}
