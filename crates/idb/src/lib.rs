//! IndexedDB storage for the persona engine.
//!
//! [`IdbStore`] implements [`persona_core::store::Store`] on the browser's IndexedDB through the
//! [`idb`] crate. We chose `idb` over `indexed_db_futures` and `rexie` because it is a thin,
//! futures-based mirror of the IndexedDB API (requests, transactions with explicit
//! commit/abort, upgrade callbacks) with a small dependency tree; `rexie` is a convenience layer
//! on top of it that hides the transaction boundaries we need to control, and
//! `indexed_db_futures` brings a larger typed API we do not need yet. Where `idb` stops short
//! (a transaction's `complete`/`abort` without its error handler, which misreads errors that
//! bubble up from requests) we use the underlying `web-sys` objects directly.
//!
//! `JsValue` and `idb::Error` never leave this crate: every failure becomes a
//! [`persona_core::store::StoreError`], with `QuotaExceededError` recognised by the
//! `DOMException`'s name wherever it surfaces (a request, a transaction, the open request).
//!
//! # Schema (version 2, [`persona_core::persist::SCHEMA_VERSION`])
//!
//! One object store per [`persona_core::store::Table`], named [`Table::name`], with out-of-line
//! string keys. [`Value::Text`] (JSON) is stored as a JS string, [`Value::Bytes`] (index
//! segments) as a `Uint8Array`.
//!
//! - [`Store::scan`] reads a key range (`getAll` + `getAllKeys` on one range in one transaction)
//!   covering exactly the keys that start with the prefix.
//! - [`Store::apply`] runs a [`persona_core::store::Batch`] as **one** readwrite transaction
//!   over [`Batch::tables`]: every write is issued; if one fails the transaction is aborted and
//!   the error returned; otherwise it is committed and `apply` returns only after `complete`.
//!   An aborted transaction is [`StoreError::Operation`], a full quota
//!   [`StoreError::QuotaExceeded`]; either way nothing was written.
//!
//! # Migration from schema 1
//!
//! Schema 1 had `conversations` (key path `id`, values `{ id, transcript }` with the committed
//! transcript as JSON text) and `blobs` (out-of-line keys, `Uint8Array` values). The upgrade
//! (`onupgradeneeded`, old version 1) renames `blobs` to `index_segments` (same keys, same
//! bytes), renames `conversations` to [`LEGACY_CONVERSATIONS_V1`] and creates the missing
//! version 2 stores. Renaming loses nothing and needs no reading, so the versionchange
//! transaction stays short. Once the database is open, every legacy record is converted with
//! [`persona_core::persist::migrate_v1_conversation`] in **one** readwrite transaction that
//! writes the version 2 records and deletes the legacy ones: if the page dies part-way, the
//! transaction never commits, the legacy records are still there and the next
//! [`IdbStore::open`] simply runs it again. A legacy record that cannot be read is left where it
//! is (nothing is deleted that was not converted). The (then empty) legacy store is kept until a
//! later schema drops it.
//!
//! A database written by a newer build (a higher version) is not opened:
//! [`StoreError::TooNew`].
//!
//! # Several tabs
//!
//! Every connection closes itself when another tab wants to upgrade or delete the database
//! (`versionchange`), so that tab is never blocked by us; afterwards every call returns
//! [`StoreError::VersionChanged`] (the page must reload to run the newer code). If *our* open
//! is blocked by a connection that does not close (a tab running an older build without that
//! handler), [`IdbStore::open`] gives up after [`BLOCKED_GRACE_MS`] with
//! [`StoreError::Blocked`] instead of hanging; the request stays queued, and a connection it
//! eventually yields is closed at once.
//!
//! Natively this crate is empty.
//!
//! [`Table::name`]: persona_core::store::Table::name
//! [`Value::Text`]: persona_core::store::Value::Text
//! [`Value::Bytes`]: persona_core::store::Value::Bytes
//! [`Store::scan`]: persona_core::store::Store::scan
//! [`Store::apply`]: persona_core::store::Store::apply
//! [`Batch::tables`]: persona_core::store::Batch::tables
//! [`StoreError::Operation`]: persona_core::store::StoreError::Operation
//! [`StoreError::QuotaExceeded`]: persona_core::store::StoreError::QuotaExceeded
//! [`StoreError::TooNew`]: persona_core::store::StoreError::TooNew
//! [`StoreError::VersionChanged`]: persona_core::store::StoreError::VersionChanged
//! [`StoreError::Blocked`]: persona_core::store::StoreError::Blocked

#[cfg(target_arch = "wasm32")]
mod browser;

#[cfg(target_arch = "wasm32")]
pub use browser::IdbStore;

/// The schema version this build writes (the core's).
pub use persona_core::persist::SCHEMA_VERSION;

/// The name of the app's database.
pub const DATABASE_NAME: &str = "persona-engine";

/// Schema 1's `conversations` store after the upgrade renamed it; empty once migrated.
pub const LEGACY_CONVERSATIONS_V1: &str = "legacy_conversations_v1";

/// How long [`IdbStore::open`] waits after a `blocked` event for the old connections to close
/// before it returns `StoreError::Blocked`.
pub const BLOCKED_GRACE_MS: i32 = 1_000;
