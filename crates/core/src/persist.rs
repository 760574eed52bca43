//! What the engine stores, and the one batch each operation writes.
//!
//! Every function here builds a [`Batch`] (applied atomically by a [`Store`]) or reads records
//! back; none touches a store half-way. The schema is [`Table`]'s; [`SCHEMA_VERSION`] names it,
//! and `persona-idb` migrates older databases to it.

use serde::{Deserialize, Serialize};

use crate::chat::{Message, Status, Transcript};
use crate::store::{load_all, Batch, Store, StoreError, Table, Value};

/// The schema version this build writes. Version 1 stored a conversation as one record holding
/// its whole transcript as JSON text, and had a `blobs` store; version 2 is [`Table`].
pub const SCHEMA_VERSION: u32 = 2;

/// A conversation's header; its messages are records of [`Table::Messages`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRecord {
    pub id: String,
    /// The persona it is held with (`None`: the default persona, as in schema 1).
    #[serde(default)]
    pub persona_id: Option<String>,
    #[serde(default)]
    pub title: String,
    /// Committed messages so far; the next message gets this sequence number.
    pub message_count: u32,
}

impl ConversationRecord {
    pub fn new(id: impl Into<String>, persona_id: Option<String>) -> Self {
        ConversationRecord { id: id.into(), persona_id, title: String::new(), message_count: 0 }
    }
}

/// A memory the persona keeps: about itself, or about an exchange with the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryRecord {
    /// `<owner>/<id>`: the owner is a persona id or a conversation id.
    pub key: String,
    pub text: String,
}

/// The key of a conversation's message number `seq`: zero-padded, so key order is message order.
pub fn message_key(conversation_id: &str, seq: u32) -> String {
    format!("{conversation_id}/{seq:08}")
}

/// The prefix of all of a conversation's keys in [`Table::Messages`] and [`Table::Traces`].
pub fn conversation_prefix(conversation_id: &str) -> String {
    format!("{conversation_id}/")
}

/// Committing a turn: the user's message and the reply (committed, `Sent`), the turn's trace
/// and any memory updates, and the conversation header, in one batch. Returns the header as
/// it will be stored. A turn that rolls back calls nothing here: it writes nothing.
pub fn commit_turn<T: Serialize>(
    conversation: &ConversationRecord,
    messages: &[&Message],
    trace: Option<(&str, &T)>,
    memories: &[MemoryRecord],
) -> (Batch, ConversationRecord) {
    let mut batch = Batch::new();
    let mut header = conversation.clone();
    for message in messages {
        let mut stored = (*message).clone();
        stored.status = Status::Sent;
        batch.put_json(Table::Messages, message_key(&header.id, header.message_count), &stored);
        header.message_count += 1;
    }
    if let Some((message_id, trace)) = trace {
        batch.put_json(Table::Traces, format!("{}{message_id}", conversation_prefix(&header.id)), trace);
    }
    for memory in memories {
        batch.put_json(Table::Memories, memory.key.clone(), memory);
    }
    batch.put_json(Table::Conversations, header.id.clone(), &header);
    (batch, header)
}

/// Saving a whole transcript's committed messages (a new conversation, an import, a migration):
/// the header and every `Sent` message, replacing whatever the conversation held.
pub fn save_conversation(conversation: &ConversationRecord, transcript: &Transcript) -> (Batch, ConversationRecord) {
    let mut batch = Batch::new();
    batch.delete_prefix(Table::Messages, conversation_prefix(&conversation.id));
    let committed: Vec<&Message> = transcript.messages.iter().filter(|m| m.status == Status::Sent).collect();
    let (turn, header) =
        commit_turn::<()>(&ConversationRecord { message_count: 0, ..conversation.clone() }, &committed, None, &[]);
    batch.extend(turn);
    (batch, header)
}

/// Deleting a conversation: header, messages, traces and the memories it owns.
pub fn delete_conversation(conversation_id: &str) -> Batch {
    let prefix = conversation_prefix(conversation_id);
    let mut batch = Batch::new();
    batch
        .delete(Table::Conversations, conversation_id)
        .delete_prefix(Table::Messages, prefix.clone())
        .delete_prefix(Table::Traces, prefix.clone())
        .delete_prefix(Table::Memories, prefix);
    batch
}

/// A stored conversation: its header and committed transcript (no draft).
pub async fn load_conversation(
    store: &impl Store,
    conversation_id: &str,
) -> Result<Option<(ConversationRecord, Transcript)>, StoreError> {
    let Some(header) = store.get(Table::Conversations, conversation_id).await? else { return Ok(None) };
    let header: ConversationRecord = header.decode(&format!("conversation `{conversation_id}`"))?;
    let messages: Vec<Message> = load_all(store, Table::Messages, &conversation_prefix(conversation_id)).await?;
    if messages.len() != header.message_count as usize {
        return Err(StoreError::Corrupt(format!(
            "conversation `{conversation_id}` lists {} messages but {} are stored",
            header.message_count,
            messages.len()
        )));
    }
    Ok(Some((header, Transcript { messages, draft: String::new() })))
}

/// Schema 1 → 2 for one conversation: its record held `{ id, transcript }` with the transcript
/// as JSON text. Returns the batch that writes it in the version 2 layout.
pub fn migrate_v1_conversation(id: &str, transcript_json: &str) -> Result<Batch, StoreError> {
    let transcript: Transcript = serde_json::from_str(transcript_json)
        .map_err(|e| StoreError::Corrupt(format!("schema 1 conversation `{id}`: {e}")))?;
    Ok(save_conversation(&ConversationRecord::new(id, None), &transcript).0)
}

/// Reads a setting.
pub async fn setting<T: serde::de::DeserializeOwned>(store: &impl Store, name: &str) -> Result<Option<T>, StoreError> {
    store.get(Table::Settings, name).await?.map(|v: Value| v.decode(&format!("setting `{name}`"))).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Action, Reply};
    use crate::store::MemoryStore;
    use futures::executor::block_on;

    fn transcript() -> Transcript {
        let mut t = Transcript::with_greeting("Hi, I'm Jane.");
        t.apply(Action::Send { id: "m1".into(), text: "What is cash flow?".into() }).unwrap();
        t.apply(Action::Commit { id: "m1".into(), reply: Reply { text: "Money in and out.".into(), facts: vec![] } })
            .unwrap();
        t.apply(Action::Send { id: "m2".into(), text: "still running".into() }).unwrap();
        t.draft = "half typed".into();
        t
    }

    #[test]
    fn a_saved_conversation_loads_with_committed_messages_only() {
        let store = MemoryStore::default();
        let (batch, header) = save_conversation(&ConversationRecord::new("c1", Some("jane".into())), &transcript());
        block_on(store.apply(&batch)).unwrap();
        assert_eq!(header.message_count, 3);
        let (loaded_header, loaded) = block_on(load_conversation(&store, "c1")).unwrap().unwrap();
        assert_eq!(loaded_header, header);
        let ids: Vec<&str> = loaded.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["greeting", "m1", "m1/reply"]);
        assert_eq!(loaded.draft, "");
        assert_eq!(block_on(load_conversation(&store, "other")).unwrap(), None);
    }

    #[test]
    fn committing_a_turn_writes_messages_trace_memories_and_header_together() {
        let store = MemoryStore::default();
        let (batch, header) = save_conversation(&ConversationRecord::new("c1", None), &transcript());
        block_on(store.apply(&batch)).unwrap();
        let mut t = transcript();
        t.apply(Action::Commit { id: "m2".into(), reply: Reply { text: "Done.".into(), facts: vec![] } }).unwrap();
        let turn: Vec<&Message> = t.messages[3..].iter().collect();
        let memory = MemoryRecord { key: "c1/m2".into(), text: "The visitor asked about running.".into() };
        let (batch, after) = commit_turn(&header, &turn, Some(("m2", &serde_json::json!({"stages": 7}))), &[memory]);
        assert_eq!(batch.tables(), [Table::Conversations, Table::Messages, Table::Memories, Table::Traces]);
        block_on(store.apply(&batch)).unwrap();
        assert_eq!(after.message_count, 5);
        let (_, loaded) = block_on(load_conversation(&store, "c1")).unwrap().unwrap();
        assert_eq!(loaded.messages.last().unwrap().text, "Done.");
        assert!(block_on(store.get(Table::Traces, "c1/m2")).unwrap().is_some());

        block_on(store.apply(&delete_conversation("c1"))).unwrap();
        let snapshot = store.snapshot();
        assert!(snapshot.values().all(|t| t.is_empty()), "{snapshot:?}");
    }

    #[test]
    fn a_header_that_disagrees_with_its_messages_is_reported() {
        let store = MemoryStore::default();
        let (batch, _) = save_conversation(&ConversationRecord::new("c1", None), &transcript());
        block_on(store.apply(&batch)).unwrap();
        let mut lose_one = Batch::new();
        lose_one.delete(Table::Messages, message_key("c1", 2));
        block_on(store.apply(&lose_one)).unwrap();
        assert!(matches!(block_on(load_conversation(&store, "c1")), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn schema_1_conversations_migrate_without_loss() {
        let store = MemoryStore::default();
        let mut committed = transcript();
        committed.messages.retain(|m| m.status == Status::Sent);
        committed.draft.clear();
        let v1 = serde_json::to_string(&committed).unwrap();
        block_on(store.apply(&migrate_v1_conversation("demo-jane", &v1).unwrap())).unwrap();
        let (header, loaded) = block_on(load_conversation(&store, "demo-jane")).unwrap().unwrap();
        assert_eq!(header.persona_id, None);
        assert_eq!(loaded, committed);
        assert!(matches!(migrate_v1_conversation("x", "{"), Err(StoreError::Corrupt(_))));
    }
}
