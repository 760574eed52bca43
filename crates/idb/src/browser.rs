//! The wasm-only implementation.

use idb::{Database, DatabaseEvent, Factory, KeyPath, ObjectStoreParams, TransactionMode};
use js_sys::{Object, Reflect, Uint8Array};
use persona_core::chat::Transcript;
use persona_core::store::{decode_transcript, encode_transcript, Store, StoreError};
use wasm_bindgen::{JsCast, JsValue};

use crate::SCHEMA_VERSION;

const CONVERSATIONS: &str = "conversations";
const BLOBS: &str = "blobs";

/// An open IndexedDB database.
pub struct IdbStore {
    db: Database,
}

impl std::fmt::Debug for IdbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdbStore").field("name", &self.db.name()).finish()
    }
}

impl IdbStore {
    /// Opens (creating or upgrading) the database `name`.
    pub async fn open(name: &str) -> Result<IdbStore, StoreError> {
        let factory = Factory::new().map_err(open_error)?;
        let mut request = factory.open(name, Some(SCHEMA_VERSION)).map_err(open_error)?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            let existing = db.store_names();
            if !existing.iter().any(|s| s == CONVERSATIONS) {
                let mut params = ObjectStoreParams::new();
                params.key_path(Some(KeyPath::new_single("id")));
                let _ = db.create_object_store(CONVERSATIONS, params);
            }
            if !existing.iter().any(|s| s == BLOBS) {
                let _ = db.create_object_store(BLOBS, ObjectStoreParams::new());
            }
        });
        let db = request.await.map_err(open_error)?;
        Ok(IdbStore { db })
    }

    /// Deletes the database `name` (tests, and "erase all data").
    pub async fn delete_database(name: &str) -> Result<(), StoreError> {
        let factory = Factory::new().map_err(open_error)?;
        factory.delete(name).map_err(op_error)?.await.map_err(op_error)
    }

    /// Closes the connection.
    pub fn close(self) {
        self.db.close();
    }

    /// Stores `bytes` under `key` as a `Uint8Array`, in one transaction.
    pub async fn put_blob(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[BLOBS], TransactionMode::ReadWrite).map_err(op_error)?;
        let store = tx.object_store(BLOBS).map_err(op_error)?;
        let value: JsValue = Uint8Array::from(bytes).into();
        store.put(&value, Some(&JsValue::from_str(key))).map_err(op_error)?.await.map_err(op_error)?;
        finish(tx.commit().map_err(op_error)?).await
    }

    /// The bytes stored under `key`.
    pub async fn get_blob(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.transaction(&[BLOBS], TransactionMode::ReadOnly).map_err(op_error)?;
        let store = tx.object_store(BLOBS).map_err(op_error)?;
        let value = store.get(JsValue::from_str(key)).map_err(op_error)?.await.map_err(op_error)?;
        let _ = tx.await;
        match value {
            None => Ok(None),
            Some(value) => value
                .dyn_into::<Uint8Array>()
                .map(|array| Some(array.to_vec()))
                .map_err(|_| StoreError::Corrupt(format!("blob `{key}` is not a byte array"))),
        }
    }
}

impl Store for IdbStore {
    async fn load_transcript(&self, conversation_id: &str) -> Result<Option<Transcript>, StoreError> {
        let tx = self.db.transaction(&[CONVERSATIONS], TransactionMode::ReadOnly).map_err(op_error)?;
        let store = tx.object_store(CONVERSATIONS).map_err(op_error)?;
        let record = store.get(JsValue::from_str(conversation_id)).map_err(op_error)?.await.map_err(op_error)?;
        let _ = tx.await;
        let Some(record) = record else { return Ok(None) };
        let json = Reflect::get(&record, &JsValue::from_str("transcript"))
            .ok()
            .and_then(|v| v.as_string())
            .ok_or_else(|| StoreError::Corrupt(format!("conversation `{conversation_id}` has no transcript text")))?;
        decode_transcript(&json).map(Some)
    }

    async fn save_transcript(&self, conversation_id: &str, transcript: &Transcript) -> Result<(), StoreError> {
        let record = Object::new();
        let set = |key: &str, value: JsValue| Reflect::set(&record, &JsValue::from_str(key), &value).map(|_| ());
        set("id", JsValue::from_str(conversation_id)).map_err(|e| StoreError::Operation(describe(&e)))?;
        set("transcript", JsValue::from_str(&encode_transcript(transcript)))
            .map_err(|e| StoreError::Operation(describe(&e)))?;

        let tx = self.db.transaction(&[CONVERSATIONS], TransactionMode::ReadWrite).map_err(op_error)?;
        let store = tx.object_store(CONVERSATIONS).map_err(op_error)?;
        store.put(&record.into(), None).map_err(op_error)?.await.map_err(op_error)?;
        finish(tx.commit().map_err(op_error)?).await
    }
}

/// Waits for a committed transaction to complete; an abort is an error.
async fn finish(tx: idb::Transaction) -> Result<(), StoreError> {
    match tx.await.map_err(op_error)? {
        idb::TransactionResult::Committed => Ok(()),
        idb::TransactionResult::Aborted => Err(StoreError::Operation("the transaction was aborted".into())),
    }
}

fn open_error(error: idb::Error) -> StoreError {
    match classify(&error) {
        Some(quota) => quota,
        None => StoreError::Open(error.to_string()),
    }
}

fn op_error(error: idb::Error) -> StoreError {
    match classify(&error) {
        Some(quota) => quota,
        None => StoreError::Operation(error.to_string()),
    }
}

/// Recognises a full quota, whichever variant carries the DOMException.
fn classify(error: &idb::Error) -> Option<StoreError> {
    error.to_string().contains("QuotaExceededError").then_some(StoreError::QuotaExceeded)
}

fn describe(value: &JsValue) -> String {
    value.as_string().unwrap_or_else(|| format!("{value:?}"))
}
