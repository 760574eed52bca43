//! The UI state: the core's [`Transcript`] plus what only the screen needs (stage progress,
//! storage notices). `reduce` is pure; effects persist after the fact.

use std::collections::BTreeMap;
use std::rc::Rc;

use persona_core::chat::{Action, Transcript};
use persona_core::pipeline::{Stage, Turn, TurnPhase};
use yew::Reducible;

/// A running turn as the user sees it: which stages are under way and done, and the reply
/// streamed so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TurnProgress {
    pub active: Vec<Stage>,
    pub done: Vec<Stage>,
    pub partial: String,
}

impl TurnProgress {
    /// The progress of a running turn.
    pub fn of(turn: &Turn) -> TurnProgress {
        match turn.phase() {
            TurnPhase::Running { active, done } => {
                TurnProgress { active: active.clone(), done: done.clone(), partial: turn.partial_reply().to_string() }
            }
            _ => TurnProgress::default(),
        }
    }

    /// `waiting`, `running` or `done`.
    pub fn state_of(&self, stage: Stage) -> &'static str {
        if self.active.contains(&stage) {
            "running"
        } else if self.done.contains(&stage) {
            "done"
        } else {
            "waiting"
        }
    }
}

/// A stage's label on screen.
pub fn label(stage: Stage) -> &'static str {
    match stage {
        Stage::Establish => "Establish",
        Stage::Vet => "Vet",
        Stage::Objectives => "Objectives",
        Stage::Enrich => "Enrich",
        Stage::Generate => "Generate",
        Stage::Validate => "Validate",
        Stage::Ground => "Ground",
    }
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ChatState {
    pub transcript: Transcript,
    /// For each pending message id, its turn's progress.
    pub progress: BTreeMap<String, TurnProgress>,
    /// The number of commits so far; effects save when it changes.
    pub commits: u64,
    /// A storage problem to show (the chat keeps working).
    pub notice: Option<String>,
    /// True once the saved conversation was loaded (or found missing).
    pub loaded: bool,
    /// The model endpoint could not be reached (why, in plain words): the offline backend is
    /// offered instead of failing turn after turn.
    pub unreachable: Option<String>,
}

pub enum ChatAction {
    /// A core transition.
    Core(Action),
    /// Message `id`'s turn moved on.
    Progress { id: String, progress: TurnProgress },
    /// The saved conversation arrived from storage (or `None`: start fresh).
    Loaded(Option<Transcript>),
    /// Storage reported a problem.
    Notice(String),
    /// The composer's text changed.
    Draft(String),
    /// Another conversation (or persona) was opened: its transcript replaces this one.
    Replace(Transcript),
    /// A turn failed because the endpoint could not be reached (`None`: the offer is settled).
    Unreachable(Option<String>),
}

impl Reducible for ChatState {
    type Action = ChatAction;

    fn reduce(self: Rc<Self>, action: ChatAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ChatAction::Core(action) => {
                let id = match &action {
                    Action::Commit { id, .. } | Action::Fail { id, .. } => Some(id.clone()),
                    _ => None,
                };
                let committed = matches!(action, Action::Commit { .. });
                if next.transcript.apply(action).is_err() {
                    // A late result for a message that is gone: nothing to change.
                    return self;
                }
                if let Some(id) = id {
                    next.progress.remove(&id);
                }
                if committed {
                    next.commits += 1;
                }
            }
            ChatAction::Progress { id, progress } => {
                if next.transcript.get(&id).is_none_or(|m| m.status != persona_core::chat::Status::Pending) {
                    return self;
                }
                next.progress.insert(id, progress);
            }
            ChatAction::Loaded(saved) => {
                if let Some(saved) = saved {
                    // Messages sent before the load finished stay after the saved history.
                    let mut merged = saved;
                    merged.messages.extend(next.transcript.messages.iter().filter(|m| m.id != "greeting").cloned());
                    // What was typed before the load wins; otherwise the saved draft comes back.
                    if !next.transcript.draft.is_empty() {
                        merged.draft = std::mem::take(&mut next.transcript.draft);
                    }
                    next.transcript = merged;
                }
                next.loaded = true;
            }
            ChatAction::Notice(text) => next.notice = Some(text),
            ChatAction::Draft(text) => next.transcript.draft = text,
            ChatAction::Unreachable(why) => next.unreachable = why,
            ChatAction::Replace(transcript) => {
                next.transcript = transcript;
                next.progress.clear();
                next.loaded = true;
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::chat::{Reply, Status};

    fn reduce(state: Rc<ChatState>, action: ChatAction) -> Rc<ChatState> {
        state.reduce(action)
    }

    #[test]
    fn progress_then_commit_clears_progress_and_counts_the_commit() {
        let mut state = Rc::new(ChatState::default());
        state = reduce(state, ChatAction::Core(Action::Send { id: "m1".into(), text: "hi".into() }));
        let progress = TurnProgress { active: vec![Stage::Generate], done: vec![Stage::Vet], partial: "Hel".into() };
        state = reduce(state, ChatAction::Progress { id: "m1".into(), progress: progress.clone() });
        assert_eq!(state.progress.get("m1"), Some(&progress));
        assert_eq!(progress.state_of(Stage::Generate), "running");
        assert_eq!(progress.state_of(Stage::Vet), "done");
        assert_eq!(progress.state_of(Stage::Ground), "waiting");
        state = reduce(
            state,
            ChatAction::Core(Action::Commit { id: "m1".into(), reply: Reply { text: "hello".into(), facts: vec![] } }),
        );
        assert!(state.progress.is_empty());
        assert_eq!(state.commits, 1);
        assert_eq!(state.transcript.get("m1").unwrap().status, Status::Sent);
    }

    #[test]
    fn the_saved_draft_comes_back_unless_something_was_typed_before_the_load() {
        let saved = Transcript { draft: "saved words".into(), ..Transcript::with_greeting("Hi") };
        let state = reduce(Rc::new(ChatState::default()), ChatAction::Loaded(Some(saved.clone())));
        assert_eq!(state.transcript.draft, "saved words");
        let typing = reduce(Rc::new(ChatState::default()), ChatAction::Draft("typed now".into()));
        let state = reduce(typing, ChatAction::Loaded(Some(saved)));
        assert_eq!(state.transcript.draft, "typed now");
    }

    #[test]
    fn opening_another_conversation_replaces_the_transcript_and_its_progress() {
        let mut state = Rc::new(ChatState::default());
        state = reduce(state, ChatAction::Core(Action::Send { id: "m1".into(), text: "hi".into() }));
        state = reduce(state, ChatAction::Progress { id: "m1".into(), progress: TurnProgress::default() });
        let other = Transcript::with_greeting("Hello from Mara");
        state = reduce(state, ChatAction::Replace(other.clone()));
        assert_eq!(state.transcript, other);
        assert!(state.progress.is_empty() && state.loaded);
    }

    #[test]
    fn a_result_for_a_discarded_message_changes_nothing() {
        let mut state = Rc::new(ChatState::default());
        state = reduce(state, ChatAction::Core(Action::Send { id: "m1".into(), text: "hi".into() }));
        state = reduce(state, ChatAction::Core(Action::Fail { id: "m1".into(), error: "x".into() }));
        state = reduce(state, ChatAction::Core(Action::Discard { id: "m1".into() }));
        let before = state.clone();
        let after = reduce(
            state,
            ChatAction::Core(Action::Commit { id: "m1".into(), reply: Reply { text: "late".into(), facts: vec![] } }),
        );
        assert!(Rc::ptr_eq(&before, &after));
        let after = reduce(after, ChatAction::Progress { id: "m1".into(), progress: TurnProgress::default() });
        assert!(after.progress.is_empty());
    }

    #[test]
    fn loading_saved_history_keeps_messages_sent_meanwhile_after_it() {
        let mut state = Rc::new(ChatState { transcript: Transcript::with_greeting("Hi"), ..ChatState::default() });
        state = reduce(state, ChatAction::Core(Action::Send { id: "new".into(), text: "early".into() }));
        state = reduce(state, ChatAction::Draft("typing".into()));
        let mut saved = Transcript::with_greeting("Hi");
        saved.apply(Action::Send { id: "old".into(), text: "before".into() }).unwrap();
        saved
            .apply(Action::Commit { id: "old".into(), reply: Reply { text: "answer".into(), facts: vec![] } })
            .unwrap();
        state = reduce(state, ChatAction::Loaded(Some(saved)));
        let ids: Vec<&str> = state.transcript.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["greeting", "old", "old/reply", "new"]);
        assert_eq!(state.transcript.draft, "typing");
        assert!(state.loaded);
    }
}
