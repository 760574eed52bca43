//! The engine as the app holds it, and the turn runner.
//!
//! The turn runner is the only code that produces a reply. It never reads UI state: it gets the
//! message id and text, reports progress and the outcome through `dispatch`, and the reducer
//! decides whether the result still applies (the message may have been discarded meanwhile).

use std::cell::RefCell;
use std::rc::Rc;

use persona_core::chat::{Action, Transcript};
use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::model::{ChatMessage, ChatModel};
use persona_core::persona::Persona;
use persona_core::turn::{
    answer_offline, conversation_memories, model_reply, model_request, retrieve, PersonaMemory, RetrievalConfig,
};
use persona_model::{EndpointConfig, OpenAiChatModel};

use crate::state::{ChatAction, Stage};

/// The conversation the demo persona keeps.
pub const CONVERSATION_ID: &str = "demo-jane";

/// Who writes the replies.
pub enum Backend {
    /// The built-in offline backend: answers from the retrieved text alone.
    Offline,
    /// One call to an OpenAI-compatible endpoint per turn.
    Model(OpenAiChatModel),
}

pub struct Engine {
    pub persona: Persona,
    pub knowledge: KnowledgeBase,
    /// Jane's profile and long-term memories.
    pub memory: MemoryBank,
    /// Earlier exchanges with this visitor, re-derived from the committed transcript after
    /// every commit and on load (so a rolled-back turn leaves nothing behind).
    pub conversations: RefCell<MemoryBank>,
    pub retrieval: RetrievalConfig,
    pub backend: Backend,
    /// A problem found while starting (shown to the user; the engine still works).
    pub notice: Option<String>,
}

impl Engine {
    /// The embedded defaults: Jane and the demo articles, with the backend the page's query
    /// asks for (`?endpoint=URL&model=NAME`), else the offline backend. The settings panel
    /// (endpoint, key, model per stage) replaces the query later; a key is never read from the
    /// URL, where it would leak into history and logs.
    pub fn demo(query: &str) -> Engine {
        let persona = persona_demo::jane();
        let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
        knowledge.upsert_articles(persona_demo::articles()).expect("demo articles index with the default embedder");
        let memory = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
        let params = web_sys::UrlSearchParams::new_with_str(query).ok();
        let endpoint = params.as_ref().and_then(|p| p.get("endpoint")).filter(|e| !e.is_empty());
        let (backend, notice) = match endpoint {
            None => (Backend::Offline, None),
            Some(endpoint) => {
                let model = params.and_then(|p| p.get("model")).filter(|m| !m.is_empty());
                let model = model.unwrap_or_else(|| "gpt-4o-mini".into());
                match OpenAiChatModel::new(EndpointConfig::new(endpoint, model)) {
                    Ok(client) => (Backend::Model(client), None),
                    Err(error) => (
                        Backend::Offline,
                        Some(format!(
                            "The endpoint in the page address is not usable ({error}); using the offline backend."
                        )),
                    ),
                }
            }
        };
        Engine {
            persona,
            knowledge,
            memory,
            conversations: RefCell::new(MemoryBank::new(HashEmbedder::default(), [])),
            retrieval: RetrievalConfig::default(),
            backend,
            notice,
        }
    }

    /// Rebuilds conversation memory from the committed transcript.
    pub fn remember_conversation(&self, transcript: &Transcript) {
        let mut conversations = self.conversations.borrow_mut();
        conversations.clear();
        for exchange in conversation_memories(transcript, self.persona.name()) {
            conversations.remember(exchange);
        }
    }

    /// A short description of the backend for the header.
    pub fn backend_label(&self) -> String {
        match &self.backend {
            Backend::Offline => "Offline backend".to_string(),
            Backend::Model(client) => format!("Model: {}", client.config().model),
        }
    }
}

/// Lets the browser render (and paint) before continuing: the pending message must be on
/// screen before any work on the reply starts.
async fn yield_to_browser() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// Runs one turn for message `id`. `history` is the committed conversation before it.
pub async fn run_turn(
    engine: Rc<Engine>,
    id: String,
    text: String,
    history: Vec<ChatMessage>,
    dispatch: impl Fn(ChatAction),
) {
    yield_to_browser().await;
    dispatch(ChatAction::Progress { id: id.clone(), stage: Stage::Retrieve });
    let retrieval = {
        let conversations = engine.conversations.borrow();
        let memory = PersonaMemory { own: &engine.memory, conversations: &conversations };
        retrieve(&engine.knowledge, &memory, &text, &engine.retrieval)
    };
    let retrieval = match retrieval {
        Ok(retrieval) => retrieval,
        Err(error) => {
            dispatch(ChatAction::Core(Action::Fail { id, error: format!("Retrieval failed: {error}") }));
            return;
        }
    };
    yield_to_browser().await;
    dispatch(ChatAction::Progress { id: id.clone(), stage: Stage::Answer });
    yield_to_browser().await;
    let (reply, trace) = match &engine.backend {
        Backend::Offline => answer_offline(&engine.persona, &text, &retrieval),
        Backend::Model(client) => {
            let (request, facts) = model_request(&engine.persona, &text, &retrieval, &history, &client.config().model);
            match client.complete(&request).await {
                Ok(completion) => model_reply(&text, &retrieval, &facts, completion),
                Err(error) => {
                    // Rollback: nothing of this turn is kept; the message shows as failed.
                    dispatch(ChatAction::Core(Action::Fail { id, error: error.to_string() }));
                    return;
                }
            }
        }
    };
    // Every turn logs what it retrieved (DESIGN.md, bug 1: 0 chunks must be visible).
    web_sys::console::info_1(
        &format!(
            "turn {id}: {} knowledge chunks, {} memory items retrieved; {:?} question; cited facts {:?}; {}",
            trace.knowledge_retrieved, trace.memory_retrieved, trace.kind, trace.facts_cited, trace.backend
        )
        .into(),
    );
    dispatch(ChatAction::Core(Action::Commit { id, reply }));
}
