//! The visitor's library: personas, their conversations, and unsent drafts — what each
//! operation writes (one [`Batch`] each, so it lands whole or not at all) and how it is read
//! back.
//!
//! A persona is stored as its card (`Character Card` JSON, every field kept, see
//! [`crate::card`]) plus an optional avatar. Its conversations are [`ConversationRecord`]s that
//! name it; its memory of the visitor is the [`crate::persist::MemoryRecord`]s its
//! conversations own. Deleting a persona deletes all of that together.

use serde::{Deserialize, Serialize};

use crate::chat::{Message, Transcript};
use crate::persist::{conversation_prefix, delete_conversation, ConversationRecord, MemoryRecord};
use crate::persona::{CardError, Persona};
use crate::store::{Batch, Store, StoreError, Table};

/// A stored persona.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonaRecord {
    pub id: String,
    /// The card as JSON (what [`Persona::to_card_json`] writes).
    pub card: String,
    /// The avatar as a `data:image/…` URL, if one was chosen or imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
}

impl PersonaRecord {
    pub fn new(id: impl Into<String>, persona: &Persona, avatar: Option<String>) -> PersonaRecord {
        PersonaRecord { id: id.into(), card: persona.to_card_json(), avatar }
    }

    pub fn persona(&self) -> Result<Persona, CardError> {
        Persona::from_card_json(&self.card)
    }
}

/// An id made from a name (a persona's, an article's title): lowercase letters and digits
/// joined by `-`, `fallback` when nothing is left, unique among `taken` (a number is added when
/// needed).
pub fn slug(name: &str, fallback: &str, taken: &[impl AsRef<str>]) -> String {
    let mut base = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            base.push(c);
        } else if !base.is_empty() && !base.ends_with('-') {
            base.push('-');
        }
    }
    let base = base.trim_end_matches('-').chars().take(40).collect::<String>();
    let base = if base.is_empty() { fallback.to_string() } else { base };
    let free = |id: &str| !taken.iter().any(|t| t.as_ref() == id);
    if free(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}-{n}")).find(|id| free(id)).expect("an unused id exists")
}

/// Saving (creating or replacing) a persona.
pub fn save_persona(record: &PersonaRecord) -> Batch {
    let mut batch = Batch::new();
    batch.put_json(Table::Personas, record.id.clone(), record);
    batch
}

/// Deleting a persona with every conversation it holds (messages, traces, memories, drafts).
pub fn delete_persona(persona_id: &str, conversations: &[ConversationRecord]) -> Batch {
    let mut batch = Batch::new();
    batch.delete(Table::Personas, persona_id);
    for conversation in conversations.iter().filter(|c| c.persona_id.as_deref() == Some(persona_id)) {
        batch.extend(delete_conversation(&conversation.id));
        batch.delete(Table::Settings, draft_key(&conversation.id));
    }
    batch
}

/// Every stored persona, in id order. A record that no longer reads is skipped and named in
/// the second list (the rest still load).
pub async fn load_personas(store: &impl Store) -> Result<(Vec<PersonaRecord>, Vec<String>), StoreError> {
    let mut records = Vec::new();
    let mut unreadable = Vec::new();
    for (key, value) in store.scan(Table::Personas, "").await? {
        match value.decode::<PersonaRecord>("persona") {
            Ok(record) if record.persona().is_ok() => records.push(record),
            _ => unreadable.push(key),
        }
    }
    Ok((records, unreadable))
}

/// The conversations held with `persona_id`, newest first (ids are time-based).
pub async fn conversations_of(store: &impl Store, persona_id: &str) -> Result<Vec<ConversationRecord>, StoreError> {
    let mut list: Vec<ConversationRecord> = Vec::new();
    for (_, value) in store.scan(Table::Conversations, "").await? {
        let record: ConversationRecord = value.decode("conversation")?;
        if record.persona_id.as_deref() == Some(persona_id) {
            list.push(record);
        }
    }
    list.sort_by(|a, b| b.id.cmp(&a.id));
    Ok(list)
}

/// Gives the conversations that name no persona (schema 1 had one, unnamed) to `persona_id`,
/// in one batch, so they are listed and deleted with it. Returns how many there were.
pub async fn adopt_unowned(store: &impl Store, persona_id: &str) -> Result<usize, StoreError> {
    let mut batch = Batch::new();
    let mut adopted = 0;
    for (_, value) in store.scan(Table::Conversations, "").await? {
        let mut record: ConversationRecord = value.decode("conversation")?;
        if record.persona_id.is_none() {
            record.persona_id = Some(persona_id.to_string());
            batch.put_json(Table::Conversations, record.id.clone(), &record);
            adopted += 1;
        }
    }
    if adopted > 0 {
        store.apply(&batch).await?;
    }
    Ok(adopted)
}

/// Renaming a conversation (an empty title falls back to the default one on screen).
pub fn rename_conversation(conversation: &ConversationRecord, title: &str) -> (Batch, ConversationRecord) {
    let header = ConversationRecord { title: title.trim().chars().take(120).collect(), ..conversation.clone() };
    let mut batch = Batch::new();
    batch.put_json(Table::Conversations, header.id.clone(), &header);
    (batch, header)
}

/// A conversation's title on screen: its own, or the start of its first question.
pub fn display_title(conversation: &ConversationRecord, transcript: Option<&Transcript>) -> String {
    if !conversation.title.is_empty() {
        return conversation.title.clone();
    }
    let first = transcript.and_then(|t| t.messages.iter().find(|m| m.role == crate::chat::Role::User));
    match first {
        Some(message) => {
            let mut title: String = message.text.chars().take(48).collect();
            if message.text.chars().count() > 48 {
                title.push('…');
            }
            title
        }
        None => "New conversation".to_string(),
    }
}

/// The memories a persona holds about the visitor: those its conversations own.
pub async fn persona_memories(
    store: &impl Store,
    conversations: &[ConversationRecord],
) -> Result<Vec<MemoryRecord>, StoreError> {
    let mut out = Vec::new();
    for conversation in conversations {
        for (_, value) in store.scan(Table::Memories, &conversation_prefix(&conversation.id)).await? {
            out.push(value.decode::<MemoryRecord>("memory")?);
        }
    }
    Ok(out)
}

/// What the visitor typed in a conversation and has not got an answer to: the draft in the
/// message box and the messages that failed (or were still pending when the page closed). Kept
/// in [`Table::Settings`] so a reload loses none of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsent {
    #[serde(default)]
    pub draft: String,
    /// `(message id, text, why it was not sent)`, in order.
    #[serde(default)]
    pub failed: Vec<(String, String, String)>,
}

impl Unsent {
    /// What `transcript` holds that is not committed.
    pub fn of(transcript: &Transcript) -> Unsent {
        let failed = transcript
            .messages
            .iter()
            .filter(|m| m.role == crate::chat::Role::User)
            .filter_map(|m| match &m.status {
                crate::chat::Status::Sent => None,
                crate::chat::Status::Pending => {
                    Some((m.id.clone(), m.text.clone(), "The page was closed before the reply arrived.".to_string()))
                }
                crate::chat::Status::Failed { error } => Some((m.id.clone(), m.text.clone(), error.clone())),
            })
            .collect();
        Unsent { draft: transcript.draft.clone(), failed }
    }

    pub fn is_empty(&self) -> bool {
        self.draft.is_empty() && self.failed.is_empty()
    }

    /// Puts the unsent messages back after the committed ones (as failed, ready to retry, edit
    /// or discard) and the draft in the message box.
    pub fn restore_into(self, transcript: &mut Transcript) {
        for (id, text, error) in self.failed {
            if transcript.get(&id).is_none() {
                transcript.messages.push(Message {
                    id,
                    role: crate::chat::Role::User,
                    text,
                    status: crate::chat::Status::Failed { error },
                    facts: Vec::new(),
                });
            }
        }
        transcript.draft = self.draft;
    }
}

/// The settings key of a conversation's [`Unsent`] text.
pub fn draft_key(conversation_id: &str) -> String {
    format!("draft/{conversation_id}")
}

/// Writing what is unsent (nothing unsent: the record is deleted).
pub fn save_unsent(conversation_id: &str, unsent: &Unsent) -> Batch {
    let mut batch = Batch::new();
    if unsent.is_empty() {
        batch.delete(Table::Settings, draft_key(conversation_id));
    } else {
        batch.put_json(Table::Settings, draft_key(conversation_id), unsent);
    }
    batch
}

/// What is unsent in a conversation (an unreadable record counts as nothing).
pub async fn load_unsent(store: &impl Store, conversation_id: &str) -> Result<Unsent, StoreError> {
    Ok(store
        .get(Table::Settings, &draft_key(conversation_id))
        .await?
        .and_then(|v| v.decode::<Unsent>("unsent text").ok())
        .unwrap_or_default())
}

/// A conversation exported for the visitor: a versioned JSON document with the persona's name
/// and every committed message (sources included).
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct ConversationExport {
    pub format: String,
    pub version: u32,
    pub persona: String,
    pub title: String,
    pub messages: Vec<Message>,
}

/// The export of `transcript` as pretty JSON.
pub fn export_conversation(persona: &str, conversation: &ConversationRecord, transcript: &Transcript) -> String {
    let export = ConversationExport {
        format: "persona-engine-conversation".into(),
        version: 1,
        persona: persona.to_string(),
        title: display_title(conversation, Some(transcript)),
        messages: transcript.messages.iter().filter(|m| m.status == crate::chat::Status::Sent).cloned().collect(),
    };
    serde_json::to_string_pretty(&export).expect("a conversation always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Role, Status};
    use crate::persist::{commit_turn, load_conversation};
    use crate::store::MemoryStore;
    use futures::executor::block_on;

    const CARD: &str = r#"{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"Mara Lindqvist","description":"A bookkeeper.","first_mes":"Hej!","extensions":{"other_app":{"x":1}}}}"#;

    fn message(id: &str, role: Role, text: &str) -> Message {
        Message { id: id.into(), role, text: text.into(), status: Status::Sent, facts: Vec::new() }
    }

    #[test]
    fn persona_ids_are_readable_and_unique() {
        let none: [&str; 0] = [];
        assert_eq!(slug("Mara Lindqvist", "persona", &none), "mara-lindqvist");
        assert_eq!(slug("  Tomás  Ferreira! ", "persona", &none), "tomás-ferreira");
        assert_eq!(slug("Mara Lindqvist", "persona", &["mara-lindqvist", "mara-lindqvist-2"]), "mara-lindqvist-3");
        assert_eq!(slug("???", "persona", &none), "persona");
        assert_eq!(slug("", "article", &["article".to_string()]), "article-2");
    }

    #[test]
    fn personas_round_trip_and_deleting_one_takes_its_conversations_and_memories() {
        let store = MemoryStore::default();
        let mara = Persona::from_card_json(CARD).unwrap();
        let record = PersonaRecord::new("mara", &mara, Some("data:image/png;base64,AAAA".into()));
        block_on(store.apply(&save_persona(&record))).unwrap();
        block_on(store.apply(&save_persona(&PersonaRecord::new("jane", &mara, None)))).unwrap();

        let mine = ConversationRecord::new("c2", Some("mara".into()));
        let other = ConversationRecord::new("c1", Some("jane".into()));
        for header in [&mine, &other] {
            let memories = [MemoryRecord { key: format!("{}/m1-0", header.id), text: "The visitor bakes.".into() }];
            let q = message("m1", Role::User, "Hello");
            let (batch, _) = commit_turn::<()>(header, &[&q], None, &memories);
            block_on(store.apply(&batch)).unwrap();
            let unsent = Unsent { draft: "half a thought".into(), failed: Vec::new() };
            block_on(store.apply(&save_unsent(&header.id, &unsent))).unwrap();
        }
        let (loaded, unreadable) = block_on(load_personas(&store)).unwrap();
        assert_eq!(loaded.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["jane", "mara"]);
        assert!(unreadable.is_empty());
        assert_eq!(loaded[1], record);
        assert_eq!(loaded[1].persona().unwrap().card.data.extensions["other_app"]["x"], 1);

        let conversations = block_on(conversations_of(&store, "mara")).unwrap();
        assert_eq!(conversations.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c2"]);
        assert_eq!(block_on(persona_memories(&store, &conversations)).unwrap().len(), 1);

        let all: Vec<ConversationRecord> =
            [conversations, block_on(conversations_of(&store, "jane")).unwrap()].concat();
        block_on(store.apply(&delete_persona("mara", &all))).unwrap();
        assert_eq!(block_on(load_personas(&store)).unwrap().0.len(), 1);
        assert!(block_on(load_conversation(&store, "c2")).unwrap().is_none());
        assert!(block_on(store.scan(Table::Memories, "c2/")).unwrap().is_empty());
        assert!(block_on(store.get(Table::Settings, &draft_key("c2"))).unwrap().is_none());
        // The other persona's conversation, memory and draft are untouched.
        assert!(block_on(load_conversation(&store, "c1")).unwrap().is_some());
        assert_eq!(block_on(store.scan(Table::Memories, "c1/")).unwrap().len(), 1);
        assert!(block_on(store.get(Table::Settings, &draft_key("c1"))).unwrap().is_some());
    }

    #[test]
    fn conversations_from_before_personas_go_to_the_default_persona() {
        let store = MemoryStore::default();
        let migrated = crate::persist::migrate_v1_conversation("demo-jane", r#"{"messages":[],"draft":""}"#).unwrap();
        block_on(store.apply(&migrated)).unwrap();
        let (batch, _) = commit_turn::<()>(&ConversationRecord::new("c9", Some("mara".into())), &[], None, &[]);
        block_on(store.apply(&batch)).unwrap();
        assert!(block_on(conversations_of(&store, "jane")).unwrap().is_empty(), "schema 1 named no persona");
        assert_eq!(block_on(adopt_unowned(&store, "jane")).unwrap(), 1);
        assert_eq!(block_on(conversations_of(&store, "jane")).unwrap()[0].id, "demo-jane");
        assert_eq!(block_on(conversations_of(&store, "mara")).unwrap()[0].id, "c9", "an owned one stays");
        assert_eq!(block_on(adopt_unowned(&store, "jane")).unwrap(), 0, "done once");
    }

    #[test]
    fn an_unreadable_persona_is_named_and_the_rest_load() {
        let store = MemoryStore::default();
        let mara = Persona::from_card_json(CARD).unwrap();
        block_on(store.apply(&save_persona(&PersonaRecord::new("mara", &mara, None)))).unwrap();
        let broken = PersonaRecord { id: "broken".into(), card: "{".into(), avatar: None };
        block_on(store.apply(&save_persona(&broken))).unwrap();
        let (loaded, unreadable) = block_on(load_personas(&store)).unwrap();
        assert_eq!((loaded.len(), unreadable), (1, vec!["broken".to_string()]));
    }

    #[test]
    fn renaming_titles_and_drafts() {
        let header = ConversationRecord::new("c1", Some("jane".into()));
        let transcript = Transcript {
            messages: vec![
                message("g", Role::Assistant, "Hello there"),
                message("m1", Role::User, "How much cash should a small bakery keep in reserve for winter?"),
            ],
            draft: String::new(),
        };
        assert_eq!(display_title(&header, None), "New conversation");
        assert_eq!(display_title(&header, Some(&transcript)), "How much cash should a small bakery keep in rese…");
        let (batch, renamed) = rename_conversation(&header, "  Winter cash  ");
        assert_eq!(renamed.title, "Winter cash");
        assert_eq!(display_title(&renamed, Some(&transcript)), "Winter cash");
        let store = MemoryStore::default();
        block_on(store.apply(&batch)).unwrap();
        let stored: ConversationRecord =
            block_on(store.get(Table::Conversations, "c1")).unwrap().unwrap().decode("c").unwrap();
        assert_eq!(stored.title, "Winter cash");

        let mut live = transcript.clone();
        live.messages.push(Message { status: Status::Failed { error: "HTTP 500".into() }, ..message("m2", Role::User, "Second?") });
        live.messages.push(Message { status: Status::Pending, ..message("m3", Role::User, "Third?") });
        live.draft = "unsent".into();
        let unsent = Unsent::of(&live);
        assert_eq!(unsent.failed.len(), 2);
        block_on(store.apply(&save_unsent("c1", &unsent))).unwrap();
        let mut reloaded = transcript.clone();
        block_on(load_unsent(&store, "c1")).unwrap().restore_into(&mut reloaded);
        assert_eq!(reloaded.draft, "unsent");
        assert_eq!(reloaded.messages.len(), 4);
        assert!(reloaded.messages[2..].iter().all(|m| matches!(m.status, Status::Failed { .. })), "ready to retry");
        assert_eq!(reloaded.messages[3].text, "Third?");
        block_on(store.apply(&save_unsent("c1", &Unsent::default()))).unwrap();
        assert!(block_on(store.get(Table::Settings, &draft_key("c1"))).unwrap().is_none());
        assert_eq!(block_on(load_unsent(&store, "c1")).unwrap(), Unsent::default());

        let exported: ConversationExport =
            serde_json::from_str(&export_conversation("Jane", &renamed, &transcript)).unwrap();
        assert_eq!((exported.version, exported.title.as_str(), exported.messages.len()), (1, "Winter cash", 2));
    }
}
