//! The engine as the app holds it, and the turn runner.
//!
//! The turn runner is the only code that produces a reply. It never reads UI state: it gets the
//! message id and text, reports progress and the outcome through `dispatch`, and the reducer
//! decides whether the result still applies (the message may have been discarded meanwhile).

use std::cell::RefCell;
use std::rc::Rc;

use persona_core::chat::{Action, Message, Role, Status, Transcript};
use persona_core::chunk::ChunkConfig;
use persona_core::embed::HashEmbedder;
use persona_core::index::IndexConfig;
use persona_core::knowledge::{KnowledgeBase, MemoryBank, SearchConfig};
use persona_core::model::{CancelToken, ChatMessage, ChatModel};
use persona_core::persist::{self, ConversationRecord, MemoryRecord};
use persona_core::persona::Persona;
use persona_core::pipeline::{
    Backends, Clock, Event, NoModel, PhaseError, Pipeline, Schedule, Settlement, StageSettings, Turn, TurnOutput,
};
use persona_core::store::{Store, StoreError, Table};
use persona_core::turn::{conversation_memories, PersonaMemory, RetrievalConfig, TurnTrace};
use persona_idb::IdbStore;
use persona_model::{EndpointConfig, OpenAiChatModel};

use crate::state::{ChatAction, TurnProgress};

/// The conversation the demo persona keeps.
pub const CONVERSATION_ID: &str = "demo-jane";

/// Who writes the replies.
pub enum Backend {
    /// The built-in offline backend: answers from the retrieved text alone.
    Offline,
    /// An OpenAI-compatible endpoint for every stage of the pipeline.
    Model(OpenAiChatModel),
}

pub struct Engine {
    pub persona: Persona,
    /// Replaced by the stored knowledge once the database is open.
    pub knowledge: RefCell<KnowledgeBase>,
    /// The local database, once open (`None`: not open yet, or unavailable).
    pub store: RefCell<Option<Rc<IdbStore>>>,
    /// The stored header of the conversation (its message count moves with each commit).
    pub conversation: RefCell<ConversationRecord>,
    /// Jane's profile and long-term memories, and what visitors told her about themselves.
    pub memory: RefCell<MemoryBank>,
    /// Earlier exchanges with this visitor, re-derived from the committed transcript after
    /// every commit and on load (so a rolled-back turn leaves nothing behind).
    pub conversations: RefCell<MemoryBank>,
    pub retrieval: RetrievalConfig,
    pub backend: Backend,
    /// A problem found while starting (shown to the user; the engine still works).
    pub notice: Option<String>,
    /// The running turns' cancel switches, by message id (the Stop button fires them).
    pub cancels: RefCell<std::collections::HashMap<String, CancelToken>>,
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
            conversation: RefCell::new(ConversationRecord::new(CONVERSATION_ID, Some(persona.name().to_lowercase()))),
            persona,
            knowledge: RefCell::new(knowledge),
            store: RefCell::new(None),
            memory: RefCell::new(memory),
            cancels: RefCell::default(),
            conversations: RefCell::new(MemoryBank::new(HashEmbedder::default(), [])),
            retrieval: RetrievalConfig::default(),
            backend,
            notice,
        }
    }

    /// Opens the local database and restores what it holds: the knowledge (checked against
    /// its hashes, repaired if out of step; the demo articles are stored on first run) and the
    /// conversation. Returns the saved transcript, if any.
    pub async fn open_store(&self, name: &str) -> Result<Option<Transcript>, StoreError> {
        let db = Rc::new(IdbStore::open(name).await?);
        let _ = IdbStore::request_persistent_storage().await;
        // The exact base vectors (the largest segment) come later: see `finish_restore`.
        let (knowledge, report) = persist::restore_knowledge_first(
            &*db,
            HashEmbedder::default(),
            ChunkConfig::default(),
            IndexConfig::default(),
            SearchConfig::default(),
        )
        .await?;
        if let Some(why) = &report.repaired {
            web_sys::console::warn_1(&format!("the stored knowledge was repaired: {why}").into());
        }
        if knowledge.articles().next().is_none() {
            // First run: the demo articles go into the base graph, then into the store.
            self.knowledge.borrow_mut().merge_index();
            let snapshot = persist::knowledge_snapshot(&self.knowledge.borrow());
            db.apply(&snapshot).await?;
        } else {
            *self.knowledge.borrow_mut() = knowledge;
        }
        let saved = persist::load_conversation(&*db, CONVERSATION_ID).await?;
        for (_, value) in db.scan(Table::Memories, &format!("{CONVERSATION_ID}/")).await? {
            if let Ok(record) = value.decode::<MemoryRecord>("memory") {
                self.memory.borrow_mut().remember(record.text);
            }
        }
        *self.store.borrow_mut() = Some(db);
        Ok(saved.map(|(header, transcript)| {
            *self.conversation.borrow_mut() = header;
            transcript
        }))
    }

    /// Reads the exact base vectors a restore left pending and adds them (searches answer
    /// exactly meanwhile, by re-embedding their candidates); made again and stored if they are
    /// missing or damaged. Call once the app is interactive.
    pub async fn finish_restore(&self) -> Result<(), StoreError> {
        let Some(db) = self.store.borrow().clone() else { return Ok(()) };
        if !self.knowledge.borrow().exact_pending() {
            return Ok(());
        }
        let exact = persist::read_exact_vectors(&*db).await?;
        // No borrow is held across an await: a turn may search meanwhile.
        let repaired = persist::install_exact_vectors(&mut self.knowledge.borrow_mut(), exact);
        if let Some((why, batch)) = repaired {
            web_sys::console::warn_1(&format!("the stored knowledge was repaired: {why}").into());
            db.apply(&batch).await?;
        }
        Ok(())
    }

    /// Makes a turn durable: the user's message and the reply (and, for a new conversation,
    /// the greeting), with the turn's trace, in one transaction. Without a database the turn
    /// commits in memory only (the page said so when the database failed to open).
    async fn commit(
        &self,
        user: Message,
        reply: Message,
        trace: &TurnTrace,
        memory_updates: &[String],
    ) -> Result<(), StoreError> {
        let Some(db) = self.store.borrow().clone() else { return Ok(()) };
        let header = self.conversation.borrow().clone();
        let greeting = Transcript::with_greeting(&self.persona.greeting()).messages.remove(0);
        let mut messages = Vec::with_capacity(3);
        if header.message_count == 0 {
            messages.push(&greeting);
        }
        messages.push(&user);
        messages.push(&reply);
        // What the visitor told the persona about themselves, kept under this conversation.
        let memories: Vec<MemoryRecord> = memory_updates
            .iter()
            .enumerate()
            .map(|(n, text)| MemoryRecord { key: format!("{}/{}-{n}", header.id, user.id), text: text.clone() })
            .collect();
        let (batch, next) = persist::commit_turn(&header, &messages, Some((&user.id, trace)), &memories);
        db.apply(&batch).await?;
        *self.conversation.borrow_mut() = next;
        Ok(())
    }

    /// Rebuilds conversation memory from the committed transcript.
    pub fn remember_conversation(&self, transcript: &Transcript) {
        let mut conversations = self.conversations.borrow_mut();
        conversations.clear();
        for exchange in conversation_memories(transcript, self.persona.name()) {
            conversations.remember(exchange);
        }
    }

    /// Stops message `id`'s running turn (it rolls back).
    pub fn stop(&self, id: &str) {
        if let Some(cancel) = self.cancels.borrow().get(id) {
            cancel.cancel();
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

/// The page's monotonic clock, for stage timings.
struct PageClock(Option<web_sys::Performance>);

impl Clock for PageClock {
    fn now_ms(&self) -> f64 {
        self.0.as_ref().map_or_else(js_sys::Date::now, web_sys::Performance::now)
    }
}

/// Runs the pipeline for `turn` through its state machine, reporting progress.
async fn settle<M: ChatModel>(
    engine: &Engine,
    backends: &Backends<'_, M>,
    turn: &mut Turn,
    history: &[ChatMessage],
    cancel: &CancelToken,
    dispatch: &dyn Fn(ChatAction),
) -> Result<Settlement, PhaseError> {
    let knowledge = engine.knowledge.borrow();
    let own = engine.memory.borrow();
    let conversations = engine.conversations.borrow();
    let clock = PageClock(web_sys::window().and_then(|w| w.performance()));
    let pipeline = Pipeline {
        persona: &engine.persona,
        knowledge: &knowledge,
        memory: PersonaMemory { own: &own, conversations: &conversations },
        history,
        retrieval: engine.retrieval.clone(),
        backends,
        schedule: Schedule::Concurrent,
        clock: &clock,
    };
    let on_event = |_: &Event<'_>, turn: &Turn| {
        dispatch(ChatAction::Progress { id: turn.id().to_string(), progress: TurnProgress::of(turn) })
    };
    pipeline.run_turn(turn, cancel, &on_event).await
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
    let cancel = CancelToken::new();
    engine.cancels.borrow_mut().insert(id.clone(), cancel.clone());
    let mut turn = Turn::new(id.clone(), text.clone());
    let settled = match &engine.backend {
        Backend::Offline => {
            settle(&engine, &Backends::<NoModel>::offline(), &mut turn, &history, &cancel, &dispatch).await
        }
        Backend::Model(client) => {
            let backends = Backends::all(client, |stage| StageSettings::default_for(stage, &client.config().model));
            settle(&engine, &backends, &mut turn, &history, &cancel, &dispatch).await
        }
    };
    engine.cancels.borrow_mut().remove(&id);
    let output = match settled {
        Ok(Settlement::Commit(output)) => output,
        Ok(Settlement::RollBack { failure, .. }) => {
            // Rollback: nothing of this turn is kept; the message shows as failed, its text kept.
            web_sys::console::warn_1(&format!("turn {id} rolled back: {}", failure.error).into());
            dispatch(ChatAction::Core(Action::Fail { id, error: failure.error.to_string() }));
            return;
        }
        Ok(Settlement::Cancelled { .. }) => {
            dispatch(ChatAction::Core(Action::Fail { id, error: "You stopped this reply.".into() }));
            return;
        }
        Err(error) => {
            dispatch(ChatAction::Core(Action::Fail { id, error: error.to_string() }));
            return;
        }
    };
    let TurnOutput { reply, trace, memory_updates } = output;
    // Every turn logs what it retrieved (DESIGN.md, bug 1: 0 chunks must be visible).
    web_sys::console::info_1(
        &format!(
            "turn {id}: {} knowledge chunks, {} memory items retrieved; {:?} question; cited facts {:?}; {}; {:.0} ms",
            trace.knowledge_retrieved,
            trace.memory_retrieved,
            trace.kind,
            trace.facts_cited,
            trace.backend,
            trace.total_ms
        )
        .into(),
    );
    // The turn commits in the store first, then on screen: a refused write (a full quota, a
    // closed database) rolls the turn back like a failed stage, and nothing is half-saved.
    let user = Message { id: id.clone(), role: Role::User, text, status: Status::Sent, facts: Vec::new() };
    let reply_message = Message {
        id: Transcript::reply_id(&id),
        role: Role::Assistant,
        text: reply.text.clone(),
        status: Status::Sent,
        facts: reply.facts.clone(),
    };
    if let Err(error) = engine.commit(user, reply_message, &trace, &memory_updates).await {
        dispatch(ChatAction::Core(Action::Fail { id, error: format!("The reply could not be saved: {error}") }));
        return;
    }
    {
        let mut memory = engine.memory.borrow_mut();
        for update in memory_updates {
            memory.remember(update);
        }
    }
    dispatch(ChatAction::Core(Action::Commit { id, reply }));
}
