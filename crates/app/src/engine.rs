//! The engine as the app holds it, and the turn runner.
//!
//! The turn runner is the only code that produces a reply. It never reads UI state: it gets the
//! message id and text, reports progress and the outcome through `dispatch`, and the reducer
//! decides whether the result still applies (the message may have been discarded meanwhile).

use std::rc::Rc;

use persona_core::chat::Action;
use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::persona::Persona;
use persona_core::turn::{answer_offline, retrieve, RetrievalConfig};

use crate::state::{ChatAction, Stage};

/// The conversation the demo persona keeps.
pub const CONVERSATION_ID: &str = "demo-jane";

pub struct Engine {
    pub persona: Persona,
    pub knowledge: KnowledgeBase,
    pub memory: MemoryBank,
    pub retrieval: RetrievalConfig,
}

impl Engine {
    /// The embedded defaults: Jane, the demo articles, the offline backend.
    pub fn demo() -> Engine {
        let persona = persona_demo::jane();
        let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
        knowledge.upsert_articles(persona_demo::articles()).expect("demo articles index with the default embedder");
        let memory = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
        Engine { persona, knowledge, memory, retrieval: RetrievalConfig::default() }
    }
}

/// Lets the browser render (and paint) before continuing: the pending message must be on
/// screen before any work on the reply starts.
async fn yield_to_browser() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Runs one turn for message `id`.
pub async fn run_turn(engine: Rc<Engine>, id: String, text: String, dispatch: impl Fn(ChatAction)) {
    yield_to_browser().await;
    dispatch(ChatAction::Progress { id: id.clone(), stage: Stage::Retrieve });
    let retrieval = match retrieve(&engine.knowledge, &engine.memory, &text, &engine.retrieval) {
        Ok(retrieval) => retrieval,
        Err(error) => {
            dispatch(ChatAction::Core(Action::Fail { id, error: format!("Retrieval failed: {error}") }));
            return;
        }
    };
    yield_to_browser().await;
    dispatch(ChatAction::Progress { id: id.clone(), stage: Stage::Answer });
    yield_to_browser().await;
    let (reply, trace) = answer_offline(&engine.persona, &text, &retrieval);
    // Every turn logs what it retrieved (DESIGN.md, bug 1: 0 chunks must be visible).
    web_sys::console::info_1(
        &format!(
            "turn {id}: {} knowledge chunks, {} memory items retrieved; {:?} question; cited facts {:?}",
            trace.knowledge_retrieved, trace.memory_retrieved, trace.kind, trace.facts_cited
        )
        .into(),
    );
    dispatch(ChatAction::Core(Action::Commit { id, reply }));
}
