//! The widget's engine in plain Rust: a persona, its knowledge and one visitor's conversation.
//!
//! No browser types here (they stay in [`crate::boundary`]): the engine is built from a
//! knowledge bundle's JSON and runs turns through the core pipeline with whatever backends,
//! clock and progress callback the caller gives it, so it is tested natively.

use std::cell::{Cell, RefCell};

use futures::lock::Mutex;
use persona_core::bundle::{load_bundle, BundleError, LoadedBundle};
use persona_core::chat::{Action, Transcript};
use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::model::{CancelToken, ChatModel};
use persona_core::offline::QuestionKind;
use persona_core::persona::Persona;
use persona_core::pipeline::{Backends, Clock, Event, Pipeline, Schedule, Settlement, Turn};
use persona_core::turn::{conversation_memories, history_messages, PersonaMemory, RetrievalConfig};
use serde::Serialize;

/// A numbered fact a reply cites as `[number]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CitedFact {
    pub number: usize,
    pub text: String,
    /// The title of the article the fact comes from.
    pub article: String,
}

/// A committed reply.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Answer {
    /// The reply, with citations as `[n]` (plain text: render it as text, never as HTML).
    pub text: String,
    pub facts: Vec<CitedFact>,
    /// `social`, `personal`, `factual` or `mixed`.
    pub kind: QuestionKind,
}

/// The persona, its knowledge and the conversation so far.
pub struct Engine {
    persona: Persona,
    knowledge: KnowledgeBase<HashEmbedder>,
    prebuilt: bool,
    /// The persona's profile and long-term memories, plus what visitors told her this session.
    memory: RefCell<MemoryBank>,
    /// Earlier exchanges of this conversation, re-derived from the transcript after each commit.
    exchanges: RefCell<MemoryBank>,
    /// The conversation: only committed messages are history for the next turn.
    transcript: RefCell<Transcript>,
    retrieval: RetrievalConfig,
    next_id: Cell<u64>,
    /// Turns run one at a time, in the order they were asked, each seeing the ones before.
    turns: Mutex<()>,
    /// The running turn's cancel switch.
    running: RefCell<Option<CancelToken>>,
}

impl Engine {
    /// The engine for a knowledge bundle's JSON text.
    pub fn from_json(json: &str) -> Result<Engine, BundleError> {
        Ok(Engine::new(load_bundle(json)?))
    }

    /// The engine for a loaded bundle, with a fresh conversation that opens with the greeting.
    pub fn new(bundle: LoadedBundle) -> Engine {
        let LoadedBundle { persona, knowledge, prebuilt } = bundle;
        let memory = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
        Engine {
            transcript: RefCell::new(Transcript::with_greeting(&persona.greeting())),
            persona,
            knowledge,
            prebuilt,
            memory: RefCell::new(memory),
            exchanges: RefCell::new(MemoryBank::new(HashEmbedder::default(), [])),
            retrieval: RetrievalConfig::default(),
            next_id: Cell::new(1),
            turns: Mutex::new(()),
            running: RefCell::new(None),
        }
    }

    pub fn persona_name(&self) -> &str {
        self.persona.name()
    }

    pub fn greeting(&self) -> String {
        self.persona.greeting()
    }

    pub fn chunk_count(&self) -> usize {
        self.knowledge.chunk_count()
    }

    /// Whether the bundle carried a prebuilt index (no indexing work at load).
    pub fn prebuilt(&self) -> bool {
        self.prebuilt
    }

    /// Committed exchanges so far (user message + reply pairs).
    pub fn exchange_count(&self) -> usize {
        self.transcript.borrow().history().filter(|m| m.role == persona_core::chat::Role::User).count()
    }

    /// Stops the running turn, if any (it fails with "You stopped this reply."). Turns waiting
    /// behind it still run.
    pub fn stop(&self) {
        if let Some(cancel) = self.running.borrow().as_ref() {
            cancel.cancel();
        }
    }

    /// Forgets the conversation (the persona's own memory stays as the bundle made it).
    pub fn reset(&self) {
        *self.transcript.borrow_mut() = Transcript::with_greeting(&self.persona.greeting());
        self.exchanges.borrow_mut().clear();
        *self.memory.borrow_mut() = MemoryBank::new(HashEmbedder::default(), self.persona.self_knowledge());
    }

    /// Runs one turn for `question` through the staged pipeline (concurrent schedule) and
    /// commits it to the conversation, or says in plain words why not (nothing is kept then).
    /// `on_event` sees every stage start and finish and each streamed piece of the reply.
    pub async fn ask<M: ChatModel>(
        &self,
        question: &str,
        backends: &Backends<'_, M>,
        clock: &dyn Clock,
        on_event: &dyn Fn(&Event<'_>),
    ) -> Result<Answer, String> {
        if question.trim().is_empty() {
            return Err("Type a question first.".into());
        }
        let _one_at_a_time = self.turns.lock().await;
        let id = format!("m{}", self.next_id.get());
        self.next_id.set(self.next_id.get() + 1);
        let cancel = CancelToken::new();
        *self.running.borrow_mut() = Some(cancel.clone());

        self.transcript
            .borrow_mut()
            .apply(Action::Send { id: id.clone(), text: question.to_string() })
            .map_err(|e| e.to_string())?;
        // Committed messages only (the greeting included): the pending question is not history.
        let history = history_messages(&self.transcript.borrow());
        // Both memories are small and copied, so nothing is borrowed across the turn's awaits.
        let own = self.memory.borrow().clone();
        let exchanges = self.exchanges.borrow().clone();
        let pipeline = Pipeline {
            persona: &self.persona,
            knowledge: &self.knowledge,
            memory: PersonaMemory { own: &own, conversations: &exchanges },
            history: &history,
            retrieval: self.retrieval.clone(),
            backends,
            schedule: Schedule::Concurrent,
            clock,
        };
        let mut turn = Turn::new(id.clone(), question);
        let settled = pipeline.run_turn(&mut turn, &cancel, &|event, _| on_event(event)).await;
        *self.running.borrow_mut() = None;

        let failure = match settled {
            Ok(Settlement::Commit(output)) => {
                let answer = Answer {
                    text: output.reply.text.clone(),
                    facts: output
                        .reply
                        .facts
                        .iter()
                        .map(|f| CitedFact { number: f.number, text: f.text.clone(), article: f.article_title.clone() })
                        .collect(),
                    kind: output.trace.kind,
                };
                let mut transcript = self.transcript.borrow_mut();
                transcript.apply(Action::Commit { id, reply: output.reply }).map_err(|e| e.to_string())?;
                let mut memory = self.memory.borrow_mut();
                for update in output.memory_updates {
                    memory.remember(update);
                }
                let mut exchanges = self.exchanges.borrow_mut();
                exchanges.clear();
                for exchange in conversation_memories(&transcript, self.persona.name()) {
                    exchanges.remember(exchange);
                }
                return Ok(answer);
            }
            Ok(Settlement::RollBack { failure, .. }) => failure.error.to_string(),
            Ok(Settlement::Cancelled { .. }) => "You stopped this reply.".to_string(),
            Err(error) => error.to_string(),
        };
        // A failed turn leaves nothing behind: the caller keeps the text for a retry.
        let mut transcript = self.transcript.borrow_mut();
        let _ = transcript.apply(Action::Fail { id: id.clone(), error: failure.clone() });
        let _ = transcript.apply(Action::Discard { id });
        Err(capitalise(&failure))
    }
}

/// Errors from the core start in lower case ("the generate stage failed: …"); a message shown
/// on its own reads better as a sentence.
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::bundle::build_bundle;
    use persona_core::pipeline::NoModel;

    struct Zero;
    impl Clock for Zero {
        fn now_ms(&self) -> f64 {
            0.0
        }
    }

    fn demo() -> Engine {
        let json = build_bundle(&persona_demo::jane(), persona_demo::articles(), true).expect("the demo bundles");
        Engine::from_json(&json).expect("the demo bundle loads")
    }

    fn ask(engine: &Engine, question: &str, events: &RefCell<Vec<String>>) -> Result<Answer, String> {
        let on_event = |event: &Event<'_>| {
            let name = match event {
                Event::StageStarted { stage, .. } => format!("start {}", stage.name()),
                Event::StageFinished { stage, .. } => format!("finish {}", stage.name()),
                Event::Token(_) => "token".to_string(),
                Event::DraftDiscarded { .. } => "discarded".to_string(),
            };
            events.borrow_mut().push(name);
        };
        futures::executor::block_on(engine.ask(question, &Backends::<NoModel>::offline(), &Zero, &on_event))
    }

    #[test]
    fn the_demo_bundle_answers_with_the_figure_and_its_citation() {
        let engine = demo();
        assert_eq!(engine.persona_name(), "Jane");
        assert!(engine.prebuilt());
        assert!(engine.chunk_count() > 0);
        assert!(!engine.greeting().is_empty());
        let events = RefCell::new(Vec::new());
        let answer = ask(&engine, "How much faster did businesses with a formal written plan grow?", &events).unwrap();
        assert!(answer.text.contains("30%"), "{}", answer.text);
        assert!(!answer.facts.is_empty());
        assert!(
            answer.facts.iter().all(|f| answer.text.contains(&format!("[{}]", f.number))),
            "every listed fact is cited as [n]: {answer:?}"
        );
        assert!(answer.facts.iter().any(|f| f.text.contains("30%")), "{:?}", answer.facts);
        assert_eq!(answer.kind, QuestionKind::Factual);
        let events = events.into_inner();
        for stage in ["establish", "vet", "objectives", "enrich", "generate", "validate", "ground"] {
            assert!(events.contains(&format!("start {stage}")), "{stage} started: {events:?}");
            assert!(events.contains(&format!("finish {stage}")), "{stage} finished: {events:?}");
        }
        assert_eq!(engine.exchange_count(), 1);
        assert_eq!(
            serde_json::to_value(&answer).unwrap()["kind"],
            "factual",
            "the JS object names the kind in lower case"
        );
    }

    #[test]
    fn committed_exchanges_are_history_and_an_empty_question_changes_nothing() {
        let engine = demo();
        let events = RefCell::new(Vec::new());
        assert_eq!(ask(&engine, "   ", &events).unwrap_err(), "Type a question first.");
        assert_eq!(engine.exchange_count(), 0);
        ask(&engine, "What is cash flow?", &events).unwrap();
        ask(&engine, "Have you ever been paid late?", &events).unwrap();
        assert_eq!(engine.exchange_count(), 2);
        assert_eq!(engine.exchanges.borrow().len(), 2, "each exchange is remembered for follow-ups");
        engine.reset();
        assert_eq!(engine.exchange_count(), 0);
        assert!(engine.exchanges.borrow().is_empty());
    }

    #[test]
    fn a_bad_bundle_is_refused_in_plain_words() {
        let error = Engine::from_json("{ not json").err().expect("garbage is refused");
        let message = error.to_string();
        assert!(!message.is_empty());
        assert!(!message.contains("Error("), "plain words, not Debug: {message}");
    }
}
