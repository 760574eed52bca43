//! Storage: the [`Store`] trait the engine persists through, and [`MemoryStore`] for tests.
//!
//! The browser implementation (IndexedDB) lives in `persona-idb`. A conversation is saved only
//! at commit points, with committed messages only: a turn that is still running, or that rolled
//! back, leaves nothing behind (DESIGN.md, "a turn is a transaction").

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;

use thiserror::Error;

use crate::chat::{Status, Transcript};

/// Why a storage operation failed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum StoreError {
    /// The database could not be opened (blocked, unsupported, private mode).
    #[error("could not open the local database: {0}")]
    Open(String),
    /// A read or write failed; nothing was changed.
    #[error("the local database refused the operation: {0}")]
    Operation(String),
    /// The browser's storage quota is full; nothing was changed.
    #[error("the browser's storage for this site is full")]
    QuotaExceeded,
    /// A stored record could not be decoded.
    #[error("a stored record is damaged: {0}")]
    Corrupt(String),
}

/// Persistence for conversations.
pub trait Store {
    /// The committed transcript of a conversation, if one was saved.
    fn load_transcript(&self, conversation_id: &str) -> impl Future<Output = Result<Option<Transcript>, StoreError>>;
    /// Saves the committed part of `transcript` (pending and failed messages are left out).
    fn save_transcript(
        &self,
        conversation_id: &str,
        transcript: &Transcript,
    ) -> impl Future<Output = Result<(), StoreError>>;
}

/// The part of a transcript that is stored: committed messages, no draft.
pub fn committed(transcript: &Transcript) -> Transcript {
    Transcript {
        messages: transcript.messages.iter().filter(|m| m.status == Status::Sent).cloned().collect(),
        draft: String::new(),
    }
}

/// Encodes a transcript for storage.
pub fn encode_transcript(transcript: &Transcript) -> String {
    serde_json::to_string(&committed(transcript)).expect("a transcript always serialises")
}

/// Decodes a stored transcript.
pub fn decode_transcript(json: &str) -> Result<Transcript, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// An in-memory [`Store`].
#[derive(Debug, Default)]
pub struct MemoryStore {
    transcripts: RefCell<BTreeMap<String, String>>,
}

impl Store for MemoryStore {
    async fn load_transcript(&self, conversation_id: &str) -> Result<Option<Transcript>, StoreError> {
        self.transcripts.borrow().get(conversation_id).map(|json| decode_transcript(json)).transpose()
    }

    async fn save_transcript(&self, conversation_id: &str, transcript: &Transcript) -> Result<(), StoreError> {
        self.transcripts.borrow_mut().insert(conversation_id.to_string(), encode_transcript(transcript));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Action, Reply};
    use futures::executor::block_on;

    #[test]
    fn only_committed_messages_are_stored() {
        let store = MemoryStore::default();
        let mut t = Transcript::with_greeting("Hi");
        t.apply(Action::Send { id: "m1".into(), text: "q1".into() }).unwrap();
        t.apply(Action::Commit { id: "m1".into(), reply: Reply { text: "a1".into(), facts: vec![] } }).unwrap();
        t.apply(Action::Send { id: "m2".into(), text: "still running".into() }).unwrap();
        t.draft = "half typed".into();
        block_on(store.save_transcript("c", &t)).unwrap();
        let loaded = block_on(store.load_transcript("c")).unwrap().unwrap();
        let ids: Vec<&str> = loaded.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["greeting", "m1", "m1/reply"]);
        assert_eq!(loaded.draft, "");
        assert_eq!(block_on(store.load_transcript("other")).unwrap(), None);
    }

    #[test]
    fn damaged_records_are_reported_not_swallowed() {
        assert!(matches!(decode_transcript("{\"messages\": 3}"), Err(StoreError::Corrupt(_))));
    }
}
