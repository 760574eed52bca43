//! IndexedDB storage for the persona engine.
//!
//! [`IdbStore`] implements [`persona_core::store::Store`] on the browser's IndexedDB through the
//! [`idb`] crate. We chose `idb` over `indexed_db_futures` and `rexie` because it is a thin,
//! futures-based mirror of the IndexedDB API (requests, transactions with explicit
//! commit/abort, upgrade callbacks) with a small dependency tree; `rexie` is a convenience layer
//! on top of it that hides the transaction boundaries we need to control, and
//! `indexed_db_futures` brings a larger typed API we do not need yet.
//!
//! `JsValue` and `idb::Error` never leave this crate: every failure becomes a
//! [`persona_core::store::StoreError`], with `QuotaExceededError` recognised as such.
//!
//! Schema (version 1):
//! - `conversations`: key = conversation id, value = `{ id, transcript }` where `transcript` is
//!   the committed transcript as JSON text.
//! - `blobs`: key = name, value = `Uint8Array` (large binary data such as index segments).
//!
//! Natively this crate is empty.

#[cfg(target_arch = "wasm32")]
mod browser;

#[cfg(target_arch = "wasm32")]
pub use browser::IdbStore;

/// The name of the app's database.
pub const DATABASE_NAME: &str = "persona-engine";

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 1;
