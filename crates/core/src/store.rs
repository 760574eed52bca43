//! Storage: the [`Store`] trait the engine persists through, and [`MemoryStore`] for tests.
//!
//! The store is a set of named tables ([`Table`], the schema) of string-keyed records, each
//! either JSON text or bytes (index segments, written to IndexedDB as `Uint8Array`s). Every
//! change goes through [`Store::apply`] with a [`Batch`], which is **all or nothing**: one
//! IndexedDB transaction in the browser. The engine's operations build one batch each —
//! saving an article with its chunks and index change, committing a turn with its messages,
//! trace and memories ([`crate::persist`]) — so a reader never sees half of one, and a turn
//! that rolls back writes nothing at all (DESIGN.md, "a turn is a transaction").
//!
//! The browser implementation lives in `persona-idb`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use thiserror::Error;

/// Why a storage operation failed. A failed write changed nothing.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum StoreError {
    /// The database could not be opened (unsupported, private mode, damaged).
    #[error("could not open the local database: {0}")]
    Open(String),
    /// Another tab holds the database open with an older version and did not let go.
    #[error("the local database is being upgraded; close other tabs of this site and reload")]
    Blocked,
    /// This tab's connection was closed because another tab upgraded the database.
    #[error("another tab upgraded the local database; reload this page to continue")]
    VersionChanged,
    /// The database was written by a newer version of the app.
    #[error("the local database was written by a newer version of the app (schema {found}, this build reads up to {supported})")]
    TooNew { found: u32, supported: u32 },
    /// A read or write failed; nothing was changed.
    #[error("the local database refused the operation: {0}")]
    Operation(String),
    /// The browser's storage quota is full; nothing was changed.
    #[error("the browser's storage for this site is full; nothing new was saved (free space or export a backup)")]
    QuotaExceeded,
    /// A stored record could not be decoded.
    #[error("a stored record is damaged: {0}")]
    Corrupt(String),
}

/// The tables of the schema, in a fixed order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Table {
    /// Key: persona id. Value: the persona (JSON).
    Personas,
    /// Key: article id. Value: [`crate::persist::ArticleRecord`].
    Articles,
    /// Key: chunk id. Value: [`crate::chunk::Chunk`].
    Chunks,
    /// Key: segment name ([`crate::persist::segment`]). Value: bytes.
    IndexSegments,
    /// Key: conversation id. Value: [`crate::persist::ConversationRecord`].
    Conversations,
    /// Key: `<conversation id>/<sequence, 8 digits>`. Value: [`crate::chat::Message`].
    Messages,
    /// Key: `<owner>/<memory id>`. Value: [`crate::persist::MemoryRecord`].
    Memories,
    /// Key: `<conversation id>/<message id>`. Value: the turn's trace (JSON).
    Traces,
    /// Key: setting name. Value: JSON.
    Settings,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Personas,
        Table::Articles,
        Table::Chunks,
        Table::IndexSegments,
        Table::Conversations,
        Table::Messages,
        Table::Memories,
        Table::Traces,
        Table::Settings,
    ];

    /// The object store's name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Personas => "personas",
            Table::Articles => "articles",
            Table::Chunks => "chunks",
            Table::IndexSegments => "index_segments",
            Table::Conversations => "conversations",
            Table::Messages => "messages",
            Table::Memories => "memories",
            Table::Traces => "traces",
            Table::Settings => "settings",
        }
    }

    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A stored value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// JSON text.
    Text(String),
    /// Binary data (an index segment).
    Bytes(Vec<u8>),
}

impl Value {
    /// Serialises `value` as JSON.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> Value {
        Value::Text(serde_json::to_string(value).expect("stored records always serialise"))
    }

    /// Reads JSON text as `T`.
    pub fn decode<T: DeserializeOwned>(&self, what: &str) -> Result<T, StoreError> {
        match self {
            Value::Text(text) => serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}"))),
            Value::Bytes(_) => Err(StoreError::Corrupt(format!("{what}: expected JSON, found bytes"))),
        }
    }

    pub fn into_bytes(self, what: &str) -> Result<Vec<u8>, StoreError> {
        match self {
            Value::Bytes(bytes) => Ok(bytes),
            Value::Text(_) => Err(StoreError::Corrupt(format!("{what}: expected bytes, found text"))),
        }
    }

    /// Stored size in bytes (text as UTF-8).
    pub fn len(&self) -> usize {
        match self {
            Value::Text(text) => text.len(),
            Value::Bytes(bytes) => bytes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Write {
    Put {
        table: Table,
        key: String,
        value: Value,
    },
    Delete {
        table: Table,
        key: String,
    },
    /// Deletes every key that starts with `prefix` (all of a conversation's messages).
    DeletePrefix {
        table: Table,
        prefix: String,
    },
    /// Deletes every record of the table.
    Clear {
        table: Table,
    },
}

/// Changes applied together or not at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub writes: Vec<Write>,
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    pub fn put(&mut self, table: Table, key: impl Into<String>, value: Value) -> &mut Self {
        self.writes.push(Write::Put { table, key: key.into(), value });
        self
    }

    pub fn put_json<T: Serialize + ?Sized>(&mut self, table: Table, key: impl Into<String>, value: &T) -> &mut Self {
        self.put(table, key, Value::json(value))
    }

    pub fn delete(&mut self, table: Table, key: impl Into<String>) -> &mut Self {
        self.writes.push(Write::Delete { table, key: key.into() });
        self
    }

    pub fn delete_prefix(&mut self, table: Table, prefix: impl Into<String>) -> &mut Self {
        self.writes.push(Write::DeletePrefix { table, prefix: prefix.into() });
        self
    }

    pub fn clear(&mut self, table: Table) -> &mut Self {
        self.writes.push(Write::Clear { table });
        self
    }

    pub fn extend(&mut self, other: Batch) -> &mut Self {
        self.writes.extend(other.writes);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.writes.is_empty()
    }

    /// The tables the batch touches, sorted (an IndexedDB transaction's scope).
    pub fn tables(&self) -> Vec<Table> {
        let mut tables: Vec<Table> = self
            .writes
            .iter()
            .map(|w| match w {
                Write::Put { table, .. }
                | Write::Delete { table, .. }
                | Write::DeletePrefix { table, .. }
                | Write::Clear { table } => *table,
            })
            .collect();
        tables.sort();
        tables.dedup();
        tables
    }
}

/// The last key a prefix range covers: every key that starts with `prefix` sorts below it.
pub fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Persistence: keyed records in [`Table`]s, changed only by atomic [`Batch`]es.
pub trait Store {
    /// The record under `key`.
    fn get(&self, table: Table, key: &str) -> impl Future<Output = Result<Option<Value>, StoreError>>;
    /// Every record whose key starts with `prefix` (`""`: the whole table), in key order.
    fn scan(&self, table: Table, prefix: &str) -> impl Future<Output = Result<Vec<(String, Value)>, StoreError>>;
    /// Applies every write of `batch`, in order, or none of them.
    fn apply(&self, batch: &Batch) -> impl Future<Output = Result<(), StoreError>>;
}

/// An in-memory [`Store`] with the same all-or-nothing semantics, and fault injection for tests.
#[derive(Debug, Default)]
pub struct MemoryStore {
    tables: RefCell<BTreeMap<Table, BTreeMap<String, Value>>>,
    /// The next `apply` fails with this error (once), changing nothing.
    fail_next: RefCell<Option<StoreError>>,
    /// Fail once the stored bytes would exceed this (a quota).
    quota: Cell<Option<usize>>,
}

impl MemoryStore {
    /// Makes the next [`Store::apply`] fail with `error` and change nothing.
    pub fn fail_next_apply(&self, error: StoreError) {
        *self.fail_next.borrow_mut() = Some(error);
    }

    /// Limits the total stored bytes: a batch that would exceed it fails with
    /// [`StoreError::QuotaExceeded`] and changes nothing.
    pub fn set_quota(&self, bytes: Option<usize>) {
        self.quota.set(bytes);
    }

    /// Keys and value sizes of everything stored (for comparing states in tests).
    pub fn snapshot(&self) -> BTreeMap<Table, BTreeMap<String, Value>> {
        self.tables.borrow().clone()
    }

    /// Total bytes of keys and values.
    pub fn bytes_used(&self) -> usize {
        used(&self.tables.borrow())
    }
}

fn used(tables: &BTreeMap<Table, BTreeMap<String, Value>>) -> usize {
    tables.values().flat_map(|t| t.iter()).map(|(k, v)| k.len() + v.len()).sum()
}

/// Applies `writes` to `tables` (a copy: the caller swaps it in only if everything succeeded).
fn apply_writes(tables: &mut BTreeMap<Table, BTreeMap<String, Value>>, writes: &[Write]) {
    for write in writes {
        match write {
            Write::Put { table, key, value } => {
                tables.entry(*table).or_default().insert(key.clone(), value.clone());
            }
            Write::Delete { table, key } => {
                if let Some(t) = tables.get_mut(table) {
                    t.remove(key);
                }
            }
            Write::DeletePrefix { table, prefix } => {
                if let Some(t) = tables.get_mut(table) {
                    t.retain(|k, _| !k.starts_with(prefix.as_str()));
                }
            }
            Write::Clear { table } => {
                tables.remove(table);
            }
        }
    }
}

impl Store for MemoryStore {
    async fn get(&self, table: Table, key: &str) -> Result<Option<Value>, StoreError> {
        Ok(self.tables.borrow().get(&table).and_then(|t| t.get(key)).cloned())
    }

    async fn scan(&self, table: Table, prefix: &str) -> Result<Vec<(String, Value)>, StoreError> {
        let tables = self.tables.borrow();
        let Some(t) = tables.get(&table) else { return Ok(Vec::new()) };
        Ok(t.range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    async fn apply(&self, batch: &Batch) -> Result<(), StoreError> {
        if let Some(error) = self.fail_next.borrow_mut().take() {
            return Err(error);
        }
        let mut next = self.tables.borrow().clone();
        apply_writes(&mut next, &batch.writes);
        if self.quota.get().is_some_and(|quota| used(&next) > quota) {
            return Err(StoreError::QuotaExceeded);
        }
        *self.tables.borrow_mut() = next;
        Ok(())
    }
}

/// Reads every record of `table` as `T`, in key order.
pub async fn load_all<T: DeserializeOwned>(
    store: &impl Store,
    table: Table,
    prefix: &str,
) -> Result<Vec<T>, StoreError> {
    store
        .scan(table, prefix)
        .await?
        .iter()
        .map(|(key, value)| value.decode(&format!("{} `{key}`", table.name())))
        .collect()
}

/// A record that says which schema wrote a backup or a database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaInfo {
    pub version: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;

    fn batch() -> Batch {
        let mut batch = Batch::new();
        batch
            .put_json(Table::Articles, "a", &"article a")
            .put_json(Table::Messages, "c1/00000001", &"hello")
            .put_json(Table::Messages, "c1/00000002", &"hi")
            .put_json(Table::Messages, "c2/00000001", &"other")
            .put(Table::IndexSegments, "vector/base", Value::Bytes(vec![1, 2, 3]));
        batch
    }

    #[test]
    fn batches_apply_in_order_and_scans_follow_key_order_and_prefixes() {
        let store = MemoryStore::default();
        block_on(store.apply(&batch())).unwrap();
        let c1 = block_on(store.scan(Table::Messages, "c1/")).unwrap();
        assert_eq!(c1.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["c1/00000001", "c1/00000002"]);
        assert_eq!(block_on(store.scan(Table::Messages, "")).unwrap().len(), 3);
        let mut next = Batch::new();
        next.delete_prefix(Table::Messages, "c1/").delete(Table::Articles, "a").put_json(
            Table::Articles,
            "a",
            &"again",
        );
        block_on(store.apply(&next)).unwrap();
        assert_eq!(block_on(store.scan(Table::Messages, "")).unwrap().len(), 1);
        assert_eq!(block_on(store.get(Table::Articles, "a")).unwrap(), Some(Value::json("again")));
        assert_eq!(
            block_on(store.get(Table::IndexSegments, "vector/base")).unwrap(),
            Some(Value::Bytes(vec![1, 2, 3]))
        );
        assert_eq!(next.tables(), [Table::Articles, Table::Messages]);
    }

    #[test]
    fn a_failed_batch_changes_nothing() {
        let store = MemoryStore::default();
        block_on(store.apply(&batch())).unwrap();
        let before = store.snapshot();
        store.fail_next_apply(StoreError::Operation("forced abort".into()));
        let mut doomed = Batch::new();
        doomed.clear(Table::Messages).put_json(Table::Articles, "b", &"b");
        assert_eq!(block_on(store.apply(&doomed)), Err(StoreError::Operation("forced abort".into())));
        assert_eq!(store.snapshot(), before);

        store.set_quota(Some(store.bytes_used() + 10));
        let mut big = Batch::new();
        big.delete(Table::Articles, "a").put(Table::IndexSegments, "big", Value::Bytes(vec![0; 100]));
        assert_eq!(block_on(store.apply(&big)), Err(StoreError::QuotaExceeded));
        assert_eq!(store.snapshot(), before, "a quota error loses nothing already saved");
        block_on(store.apply(&doomed)).unwrap();
        assert_ne!(store.snapshot(), before, "the store works again once the fault is gone");
    }

    #[test]
    fn values_decode_or_report_damage() {
        assert_eq!(Value::json(&[1, 2]).decode::<Vec<u32>>("x").unwrap(), [1, 2]);
        assert!(matches!(Value::Text("{".into()).decode::<Vec<u32>>("x"), Err(StoreError::Corrupt(_))));
        assert!(matches!(Value::Bytes(vec![]).decode::<Vec<u32>>("x"), Err(StoreError::Corrupt(_))));
        assert!(matches!(Value::Text("[]".into()).into_bytes("x"), Err(StoreError::Corrupt(_))));
        assert_eq!(Table::from_name("index_segments"), Some(Table::IndexSegments));
        assert!(prefix_end("c1/").as_str() > "c1/zzzz");
    }
}
