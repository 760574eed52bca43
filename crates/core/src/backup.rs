//! Backup: everything in a [`Store`] as one versioned JSON document, and back.
//!
//! ```json
//! { "format": "persona-engine-backup", "version": 1, "schema": 2,
//!   "tables": { "articles": [ { "key": "pricing", "json": { … } } ],
//!               "index_segments": [ { "key": "vector/base", "base64": "UEVWSQIA…" } ] } }
//! ```
//!
//! JSON records are embedded as JSON (a backup is readable and diffable); binary records
//! (index segments) as standard base64. [`import`] checks the document completely before it
//! writes, then replaces the whole store in one batch: a bad file changes nothing.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::persist::SCHEMA_VERSION;
use crate::store::{Batch, Store, StoreError, Table, Value};

/// What a backup file says it is.
pub const FORMAT: &str = "persona-engine-backup";
/// The backup format version [`export`] writes.
pub const VERSION: u32 = 1;

/// Why a backup could not be read or restored.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum BackupError {
    #[error("this file is not a persona-engine backup: {0}")]
    NotABackup(String),
    #[error("backup format version {found} is newer than this app reads ({supported}); update the app")]
    TooNew { found: u32, supported: u32 },
    #[error("the backup is damaged: {0}")]
    Damaged(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Serialize, Deserialize)]
struct Document {
    format: String,
    version: u32,
    schema: u32,
    tables: BTreeMap<String, Vec<Record>>,
}

#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    json: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
}

/// Every record of every table, as a backup document (pretty-printed JSON).
pub async fn export(store: &impl Store) -> Result<String, BackupError> {
    let mut tables = BTreeMap::new();
    for table in Table::ALL {
        let mut records = Vec::new();
        for (key, value) in store.scan(table, "").await? {
            records.push(match value {
                Value::Text(text) => Record {
                    json: Some(serde_json::from_str(&text).map_err(|e| {
                        BackupError::Store(StoreError::Corrupt(format!("{} `{key}`: {e}", table.name())))
                    })?),
                    key,
                    base64: None,
                },
                Value::Bytes(bytes) => Record { key, json: None, base64: Some(STANDARD.encode(bytes)) },
            });
        }
        tables.insert(table.name().to_string(), records);
    }
    let document = Document { format: FORMAT.into(), version: VERSION, schema: SCHEMA_VERSION, tables };
    Ok(serde_json::to_string_pretty(&document).expect("a backup always serialises"))
}

/// The batch that replaces everything in a store with the backup `text` (checked first).
pub fn restore_batch(text: &str) -> Result<Batch, BackupError> {
    let document: Document = serde_json::from_str(text).map_err(|e| BackupError::NotABackup(e.to_string()))?;
    if document.format != FORMAT {
        return Err(BackupError::NotABackup(format!("it says it is `{}`", document.format)));
    }
    if document.version > VERSION {
        return Err(BackupError::TooNew { found: document.version, supported: VERSION });
    }
    if document.schema != SCHEMA_VERSION {
        return Err(BackupError::Damaged(format!(
            "written with storage schema {}, this app imports schema {SCHEMA_VERSION}",
            document.schema
        )));
    }
    let mut batch = Batch::new();
    for table in Table::ALL {
        batch.clear(table);
    }
    for (name, records) in document.tables {
        let table = Table::from_name(&name).ok_or_else(|| BackupError::Damaged(format!("unknown table `{name}`")))?;
        for record in records {
            let value = match (record.json, record.base64) {
                (Some(json), None) => Value::Text(json.to_string()),
                (None, Some(b64)) => Value::Bytes(
                    STANDARD.decode(b64).map_err(|e| BackupError::Damaged(format!("{name} `{}`: {e}", record.key)))?,
                ),
                _ => {
                    return Err(BackupError::Damaged(format!(
                        "{name} `{}` needs exactly one of json, base64",
                        record.key
                    )))
                }
            };
            batch.put(table, record.key, value);
        }
    }
    Ok(batch)
}

/// Replaces everything in `store` with the backup `text`, atomically.
pub async fn import(store: &impl Store, text: &str) -> Result<(), BackupError> {
    let batch = restore_batch(text)?;
    store.apply(&batch).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;
    use futures::executor::block_on;

    fn filled() -> MemoryStore {
        let store = MemoryStore::default();
        let mut batch = Batch::new();
        batch
            .put_json(Table::Articles, "pricing", &serde_json::json!({"id": "pricing", "title": "Pricing"}))
            .put_json(Table::Messages, "c1/00000000", &serde_json::json!({"text": "Hi — café ✓"}))
            .put(Table::IndexSegments, "vector/base", Value::Bytes((0..=255).collect()))
            .put_json(Table::Settings, "theme", &"dark")
            // Stage timings are f64s with long decimal expansions; they must come back exactly.
            .put_json(
                Table::Traces,
                "c1/m1",
                &serde_json::json!({"start_ms": 1.3999999985098839, "total_ms": 60.100000001490116}),
            );
        block_on(store.apply(&batch)).unwrap();
        store
    }

    #[test]
    fn export_then_import_round_trips_every_record() {
        let source = filled();
        let text = block_on(export(&source)).unwrap();
        assert!(text.contains("\"format\": \"persona-engine-backup\""));
        let target = MemoryStore::default();
        let mut stale = Batch::new();
        stale.put_json(Table::Articles, "old", &"replaced by the import");
        block_on(target.apply(&stale)).unwrap();
        block_on(import(&target, &text)).unwrap();
        assert_eq!(target.snapshot(), source.snapshot());
    }

    #[test]
    fn bad_backups_are_refused_and_change_nothing() {
        let store = filled();
        let before = store.snapshot();
        let good = block_on(export(&store)).unwrap();
        let cases = [
            ("not json", "NotABackup"),
            (r#"{"format":"other","version":1,"schema":2,"tables":{}}"#, "NotABackup"),
            (&good.replace("\"version\": 1", "\"version\": 9"), "TooNew"),
            (&good.replace("\"base64\": \"", "\"base64\": \"!"), "Damaged"),
            (&good.replace("\"settings\"", "\"nonsense\""), "Damaged"),
        ];
        for (text, kind) in cases {
            let error = block_on(import(&store, text)).unwrap_err();
            assert!(format!("{error:?}").starts_with(kind), "{kind}: {error:?}");
            assert_eq!(store.snapshot(), before);
        }
        store.fail_next_apply(StoreError::QuotaExceeded);
        assert_eq!(block_on(import(&store, &good)), Err(BackupError::Store(StoreError::QuotaExceeded)));
        assert_eq!(store.snapshot(), before);
    }
}
