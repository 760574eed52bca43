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
use persona_core::knowledge::Article;
use persona_core::library::{self, PersonaRecord};
use persona_core::persist::{self, ConversationRecord, MemoryRecord};
use persona_core::persona::Persona;
use persona_core::settings::AppSettings;
use persona_core::pipeline::{
    Backends, Clock, Event, NoModel, PhaseError, Pipeline, Schedule, Settlement, StageSettings, Turn, TurnError,
    TurnOutput,
};
use persona_core::store::{Store, StoreError, Table};
use persona_core::turn::{conversation_memories, PersonaMemory, RetrievalConfig, TurnTrace};
use persona_idb::IdbStore;
use persona_model::{EndpointConfig, OpenAiChatModel};

use crate::state::{ChatAction, TurnProgress};

/// The settings key of the persona open at the last visit.
const ACTIVE_PERSONA: &str = "active-persona";
/// The settings key of [`AppSettings`].
const SETTINGS: &str = "app";

/// The backend `settings` ask for, and a notice when they name an endpoint that cannot be used.
fn backend_for(settings: &AppSettings) -> (Backend, Option<String>) {
    if !settings.uses_model() {
        return (Backend::Offline, None);
    }
    let mut config = EndpointConfig::new(settings.endpoint.trim(), settings.model.trim());
    if !settings.api_key.is_empty() {
        config = config.with_api_key(settings.api_key.clone());
    }
    match OpenAiChatModel::new(config) {
        Ok(client) => (Backend::Model(client), None),
        Err(error) => (
            Backend::Offline,
            Some(format!("The endpoint is not usable ({error}); using the offline backend.")),
        ),
    }
}

/// What retrieval returns for a query, for the knowledge panel's search box.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchResults {
    /// `(passage, article title, score)` from the articles.
    pub passages: Vec<(String, String, f32)>,
    /// `(statement, score)` from the persona's own memory (profile and what visitors said).
    pub memories: Vec<(String, f32)>,
    /// `(exchange, score)` from this conversation's earlier turns.
    pub exchanges: Vec<(String, f32)>,
}

/// The demo persona's first conversation (the only one before personas could be managed).
pub const CONVERSATION_ID: &str = "demo-jane";
/// The demo persona's id.
pub const DEMO_PERSONA_ID: &str = "jane";

/// Who writes the replies.
pub enum Backend {
    /// The built-in offline backend: answers from the retrieved text alone.
    Offline,
    /// An OpenAI-compatible endpoint for every stage of the pipeline.
    Model(OpenAiChatModel),
}

pub struct Engine {
    /// The persona the visitor is talking to.
    pub persona: RefCell<Persona>,
    /// Its id in the store, and its avatar (a `data:` URL), if any.
    pub persona_id: RefCell<String>,
    pub avatar: RefCell<Option<String>>,
    /// Every stored persona.
    pub personas: RefCell<Vec<PersonaRecord>>,
    /// The open persona's conversations, newest first.
    pub conversation_list: RefCell<Vec<ConversationRecord>>,
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
    pub retrieval: RefCell<RetrievalConfig>,
    /// Replaced when the settings change; a running turn keeps the one it started with.
    pub backend: RefCell<Rc<Backend>>,
    /// The visitor's settings (endpoint, key, models, depth, offline mode).
    pub settings: RefCell<AppSettings>,
    /// The page address named an endpoint: it wins over the stored settings for this visit.
    settings_from_address: bool,
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
        let mut settings = AppSettings::default();
        let settings_from_address = endpoint.is_some();
        if let Some(endpoint) = endpoint {
            settings.endpoint = endpoint;
            settings.offline = false;
            if let Some(model) = params.and_then(|p| p.get("model")).filter(|m| !m.is_empty()) {
                settings.model = model;
            }
        }
        let (backend, notice) = backend_for(&settings);
        Engine {
            conversation: RefCell::new(ConversationRecord::new(CONVERSATION_ID, Some(DEMO_PERSONA_ID.to_string()))),
            persona_id: RefCell::new(DEMO_PERSONA_ID.to_string()),
            avatar: RefCell::new(None),
            personas: RefCell::new(vec![PersonaRecord::new(DEMO_PERSONA_ID, &persona, None)]),
            conversation_list: RefCell::default(),
            persona: RefCell::new(persona),
            knowledge: RefCell::new(knowledge),
            store: RefCell::new(None),
            memory: RefCell::new(memory),
            cancels: RefCell::default(),
            conversations: RefCell::new(MemoryBank::new(HashEmbedder::default(), [])),
            retrieval: RefCell::new(RetrievalConfig::default()),
            backend: RefCell::new(Rc::new(backend)),
            settings: RefCell::new(settings),
            settings_from_address,
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
        let (mut personas, unreadable) = library::load_personas(&*db).await?;
        if !unreadable.is_empty() {
            web_sys::console::warn_1(&format!("unreadable personas skipped: {unreadable:?}").into());
        }
        if personas.is_empty() {
            // First run: the demo persona is stored like any other.
            let jane = PersonaRecord::new(DEMO_PERSONA_ID, &self.persona.borrow(), None);
            db.apply(&library::save_persona(&jane)).await?;
            personas.push(jane);
        }
        // Conversations from schema 1 name no persona: they were the demo persona's.
        let heir = personas.iter().find(|p| p.id == DEMO_PERSONA_ID).unwrap_or(&personas[0]).id.clone();
        library::adopt_unowned(&*db, &heir).await?;
        *self.personas.borrow_mut() = personas;
        *self.store.borrow_mut() = Some(db.clone());
        if !self.settings_from_address {
            match persist::setting::<AppSettings>(&*db, SETTINGS).await {
                Ok(Some(settings)) => self.apply_settings(settings),
                Ok(None) => {}
                Err(error) => web_sys::console::warn_1(&format!("stored settings unreadable: {error}").into()),
            }
        }
        let wanted: Option<String> = persist::setting(&*db, ACTIVE_PERSONA).await.ok().flatten();
        let id = wanted
            .filter(|id| self.personas.borrow().iter().any(|p| &p.id == id))
            .unwrap_or_else(|| self.personas.borrow()[0].id.clone());
        self.open_persona(&id).await.map(Some)
    }

    /// Makes persona `id` the one the visitor talks to: its memory, its conversations, and its
    /// newest conversation opened (a new one if it has none). Returns that transcript.
    pub async fn open_persona(&self, id: &str) -> Result<Transcript, StoreError> {
        let record = self.personas.borrow().iter().find(|p| p.id == id).cloned();
        let Some(record) = record else { return Err(StoreError::Corrupt(format!("no persona `{id}`"))) };
        let persona = record.persona().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let list = match self.db() {
            Some(db) => library::conversations_of(&*db, id).await?,
            None => Vec::new(),
        };
        let memory = self.memory_of(&persona, &list).await?;
        if let Some(db) = self.db() {
            let mut batch = persona_core::store::Batch::new();
            batch.put_json(Table::Settings, ACTIVE_PERSONA, &id);
            db.apply(&batch).await?;
        }
        *self.memory.borrow_mut() = memory;
        *self.persona.borrow_mut() = persona;
        *self.persona_id.borrow_mut() = id.to_string();
        *self.avatar.borrow_mut() = record.avatar.clone();
        *self.conversation_list.borrow_mut() = list;
        let newest = self.conversation_list.borrow().first().map(|c| c.id.clone());
        match newest {
            Some(conversation) => self.open_conversation(&conversation).await,
            None => Ok(self.new_conversation()),
        }
    }

    /// Opens a stored conversation of the current persona, with its unsent text.
    pub async fn open_conversation(&self, id: &str) -> Result<Transcript, StoreError> {
        let Some(db) = self.db() else { return Ok(self.new_conversation()) };
        let (header, mut transcript) = match persist::load_conversation(&*db, id).await? {
            Some(found) => found,
            None => {
                let header = self.conversation_list.borrow().iter().find(|c| c.id == id).cloned();
                let header = header.unwrap_or_else(|| ConversationRecord::new(id, Some(self.persona_id.borrow().clone())));
                (header, self.greeting_transcript())
            }
        };
        if transcript.messages.is_empty() {
            transcript = self.greeting_transcript();
        }
        library::load_unsent(&*db, id).await?.restore_into(&mut transcript);
        *self.conversation.borrow_mut() = header;
        Ok(transcript)
    }

    /// Starts a new conversation with the current persona (stored at its first turn).
    pub fn new_conversation(&self) -> Transcript {
        let id = format!("c{}", js_sys::Date::now() as u64);
        *self.conversation.borrow_mut() = ConversationRecord::new(id, Some(self.persona_id.borrow().clone()));
        self.greeting_transcript()
    }

    fn greeting_transcript(&self) -> Transcript {
        Transcript::with_greeting(&self.persona.borrow().greeting())
    }

    /// Stores the settings and switches to the backend they ask for (a running turn finishes
    /// on the one it started with).
    pub async fn save_settings(&self, settings: AppSettings) -> Result<(), StoreError> {
        if let Some(db) = self.db() {
            let mut batch = persona_core::store::Batch::new();
            batch.put_json(Table::Settings, SETTINGS, &settings);
            db.apply(&batch).await?;
        }
        self.apply_settings(settings);
        Ok(())
    }

    fn apply_settings(&self, settings: AppSettings) {
        let (backend, notice) = backend_for(&settings);
        if let Some(notice) = notice {
            web_sys::console::warn_1(&notice.into());
        }
        *self.retrieval.borrow_mut() = settings.retrieval_config();
        *self.backend.borrow_mut() = Rc::new(backend);
        *self.settings.borrow_mut() = settings;
    }

    /// The database, once open.
    pub fn db(&self) -> Option<Rc<IdbStore>> {
        self.store.borrow().clone()
    }

    /// Keeps what the visitor typed and has not got an answer to (the draft and failed
    /// messages of the open conversation), so a reload loses none of it.
    pub async fn save_unsent(&self, unsent: &library::Unsent) {
        let Some(db) = self.db() else { return };
        let id = self.conversation.borrow().id.clone();
        if let Err(error) = db.apply(&library::save_unsent(&id, unsent)).await {
            web_sys::console::warn_1(&format!("the draft could not be kept: {error}").into());
        }
    }

    /// Renames conversation `id`.
    pub async fn rename_conversation(&self, id: &str, title: &str) -> Result<(), StoreError> {
        let Some(header) = self.conversation_list.borrow().iter().find(|c| c.id == id).cloned() else {
            return Ok(());
        };
        let (batch, renamed) = library::rename_conversation(&header, title);
        if let Some(db) = self.db() {
            db.apply(&batch).await?;
        }
        for c in self.conversation_list.borrow_mut().iter_mut().filter(|c| c.id == id) {
            *c = renamed.clone();
        }
        if self.conversation.borrow().id == id {
            self.conversation.borrow_mut().title = renamed.title;
        }
        Ok(())
    }

    /// Deletes conversation `id` (messages, traces, memories, unsent text). The open one is
    /// replaced by the newest left, or a new one; returns that transcript when it changed.
    pub async fn delete_conversation(&self, id: &str) -> Result<Option<Transcript>, StoreError> {
        if let Some(db) = self.db() {
            let mut batch = persist::delete_conversation(id);
            batch.delete(Table::Settings, library::draft_key(id));
            db.apply(&batch).await?;
        }
        self.conversation_list.borrow_mut().retain(|c| c.id != id);
        self.reload_memory().await?;
        if self.conversation.borrow().id != id {
            return Ok(None);
        }
        let newest = self.conversation_list.borrow().first().map(|c| c.id.clone());
        Ok(Some(match newest {
            Some(next) => self.open_conversation(&next).await?,
            None => self.new_conversation(),
        }))
    }

    /// Re-reads the persona's memory (its profile plus what its conversations taught it).
    async fn reload_memory(&self) -> Result<(), StoreError> {
        let persona = self.persona.borrow().clone();
        let list = self.conversation_list.borrow().clone();
        *self.memory.borrow_mut() = self.memory_of(&persona, &list).await?;
        Ok(())
    }

    /// A persona's memory: its profile plus what the visitor told it in `conversations`.
    async fn memory_of(&self, persona: &Persona, conversations: &[ConversationRecord]) -> Result<MemoryBank, StoreError> {
        let mut memory = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
        if let Some(db) = self.db() {
            for record in library::persona_memories(&*db, conversations).await? {
                memory.remember(record.text);
            }
        }
        Ok(memory)
    }

    /// The stored trace of the turn that message `id` started, in the open conversation.
    pub async fn trace_of(&self, id: &str) -> Option<TurnTrace> {
        let db = self.db()?;
        let key = format!("{}{id}", persist::conversation_prefix(&self.conversation.borrow().id));
        db.get(Table::Traces, &key).await.ok()??.decode("trace").ok()
    }

    /// Saves a persona (new or edited). An edit of the open persona takes effect at once.
    pub async fn save_persona(&self, record: PersonaRecord) -> Result<(), StoreError> {
        if let Some(db) = self.db() {
            db.apply(&library::save_persona(&record)).await?;
        }
        {
            let mut personas = self.personas.borrow_mut();
            match personas.iter_mut().find(|p| p.id == record.id) {
                Some(existing) => *existing = record.clone(),
                None => personas.push(record.clone()),
            }
            personas.sort_by(|a, b| a.id.cmp(&b.id));
        }
        if *self.persona_id.borrow() == record.id {
            if let Ok(persona) = record.persona() {
                *self.persona.borrow_mut() = persona;
                *self.avatar.borrow_mut() = record.avatar;
                self.reload_memory().await?;
            }
        }
        Ok(())
    }

    /// Deletes a persona with its conversations and memories. The last persona cannot go.
    /// Returns the transcript to show when the open persona was the one deleted.
    pub async fn delete_persona(&self, id: &str) -> Result<Option<Transcript>, StoreError> {
        if self.personas.borrow().len() <= 1 {
            return Err(StoreError::Corrupt("the last persona cannot be deleted".into()));
        }
        if let Some(db) = self.db() {
            let conversations = library::conversations_of(&*db, id).await?;
            db.apply(&library::delete_persona(id, &conversations)).await?;
        }
        self.personas.borrow_mut().retain(|p| p.id != id);
        if *self.persona_id.borrow() != id {
            return Ok(None);
        }
        let first = self.personas.borrow()[0].id.clone();
        self.open_persona(&first).await.map(Some)
    }

    /// Adds or replaces articles, one at a time so the page can show progress: chunked,
    /// embedded, indexed and stored (each in one transaction). `progress(done, total)` runs
    /// after each. Returns the chunk count added.
    #[allow(clippy::await_holding_refcell_ref)] // on purpose: no turn may read a half-saved base
    pub async fn add_articles(
        &self,
        articles: Vec<Article>,
        progress: &dyn Fn(usize, usize),
    ) -> Result<usize, String> {
        let total = articles.len();
        let mut added = 0;
        for (done, article) in articles.into_iter().enumerate() {
            yield_to_browser().await;
            let Ok(mut knowledge) = self.knowledge.try_borrow_mut() else {
                return Err("A reply is being written; add articles when it is done.".into());
            };
            let report = match self.db() {
                Some(db) => {
                    // The borrow is held across the save: no turn may read a half-updated base.
                    let saved = persist::save_articles(&*db, &mut knowledge, vec![article]).await;
                    saved.map_err(|e| e.to_string())?
                }
                None => knowledge.upsert_articles(vec![article]).map_err(|e| e.to_string())?,
            };
            added += report.chunks_added;
            drop(knowledge);
            progress(done + 1, total);
        }
        Ok(added)
    }

    /// Deletes an article with its chunks and index entries.
    #[allow(clippy::await_holding_refcell_ref)] // as in `add_articles`
    pub async fn delete_article(&self, id: &str) -> Result<(), String> {
        let Ok(mut knowledge) = self.knowledge.try_borrow_mut() else {
            return Err("A reply is being written; delete the article when it is done.".into());
        };
        match self.db() {
            Some(db) => persist::delete_article(&*db, &mut knowledge, id).await.map(|_| ()).map_err(|e| e.to_string()),
            None => {
                knowledge.remove_article(id);
                Ok(())
            }
        }
    }

    /// What retrieval returns for `query`: passages from the articles and items from both
    /// memories, with their scores.
    pub fn search(&self, query: &str) -> SearchResults {
        let k = self.retrieval.borrow().knowledge_k.max(1);
        let knowledge = self.knowledge.borrow();
        let passages = knowledge
            .search(query, k)
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.chunk.body, r.chunk.article_title, r.score))
            .collect();
        let memories = self.memory.borrow().search(query, 4);
        let exchanges = self.conversations.borrow().search(query, 4);
        SearchResults { passages, memories, exchanges }
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
        let mut header = self.conversation.borrow().clone();
        if header.title.is_empty() {
            header.title = library::display_title(&header, Some(&Transcript { messages: vec![user.clone()], draft: String::new() }));
        }
        let greeting = self.greeting_transcript().messages.remove(0);
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
        let mut list = self.conversation_list.borrow_mut();
        list.retain(|c| c.id != next.id);
        list.insert(0, next.clone());
        drop(list);
        *self.conversation.borrow_mut() = next;
        Ok(())
    }

    /// Rebuilds conversation memory from the committed transcript.
    pub fn remember_conversation(&self, transcript: &Transcript) {
        let mut conversations = self.conversations.borrow_mut();
        conversations.clear();
        for exchange in conversation_memories(transcript, self.persona.borrow().name()) {
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
        match &**self.backend.borrow() {
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
#[allow(clippy::await_holding_refcell_ref)] // the knowledge base, on purpose: see below
async fn settle<M: ChatModel>(
    engine: &Engine,
    backends: &Backends<'_, M>,
    turn: &mut Turn,
    history: &[ChatMessage],
    cancel: &CancelToken,
    dispatch: &dyn Fn(ChatAction),
) -> Result<Settlement, PhaseError> {
    // The knowledge base is read in place for the whole turn (it is large; article saves wait
    // for the turn, see `add_articles`). Both memories are small and copied, so a persona edit
    // or another turn's commit can change them meanwhile.
    let knowledge = engine.knowledge.borrow();
    let own = engine.memory.borrow().clone();
    let conversations = engine.conversations.borrow().clone();
    let persona = engine.persona.borrow().clone();
    let clock = PageClock(web_sys::window().and_then(|w| w.performance()));
    let pipeline = Pipeline {
        persona: &persona,
        knowledge: &knowledge,
        memory: PersonaMemory { own: &own, conversations: &conversations },
        history,
        retrieval: engine.retrieval.borrow().clone(),
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
    if engine.knowledge.try_borrow().is_err() {
        // Articles are being saved (their index is mid-update): no turn reads it meanwhile.
        engine.cancels.borrow_mut().remove(&id);
        dispatch(ChatAction::Core(Action::Fail {
            id,
            error: "The articles are being indexed; send this again in a moment.".into(),
        }));
        return;
    }
    let backend = engine.backend.borrow().clone();
    let settled = match &*backend {
        Backend::Offline => {
            settle(&engine, &Backends::<NoModel>::offline(), &mut turn, &history, &cancel, &dispatch).await
        }
        Backend::Model(client) => {
            let settings = engine.settings.borrow().clone();
            let backends = Backends::all(client, |stage| StageSettings::default_for(stage, settings.model_for(stage)));
            settle(&engine, &backends, &mut turn, &history, &cancel, &dispatch).await
        }
    };
    engine.cancels.borrow_mut().remove(&id);
    let output = match settled {
        Ok(Settlement::Commit(output)) => output,
        Ok(Settlement::RollBack { failure, .. }) => {
            // Rollback: nothing of this turn is kept; the message shows as failed, its text kept.
            web_sys::console::warn_1(&format!("turn {id} rolled back: {}", failure.error).into());
            if let TurnError::Stage { error, .. } = &failure.error {
                if error.is_unreachable() {
                    dispatch(ChatAction::Unreachable(Some(error.root().to_string())));
                }
            }
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
    dispatch(ChatAction::Unreachable(None));
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

/// The engine as a component property: equal when it is the same engine (components re-render
/// from their own state and the app's revision counter, not from engine comparisons).
#[derive(Clone)]
pub struct EngineRef(pub Rc<Engine>);

impl PartialEq for EngineRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for EngineRef {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.0
    }
}
