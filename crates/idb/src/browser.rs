//! The wasm-only implementation.

use std::cell::{Cell, RefCell};
use std::future::{poll_fn, Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use idb::event::VersionChangeEvent;
use idb::request::OpenDatabaseRequest;
use idb::{
    Database, Event as _, Factory, KeyRange, ObjectStore, ObjectStoreParams, Query, Request as _, Transaction,
    TransactionMode,
};
use js_sys::{ArrayBuffer, Function, JsString, Promise, Reflect, Uint8Array};
use persona_core::persist::{migrate_v1_conversation, SCHEMA_VERSION};
use persona_core::store::{Batch, Store, StoreError, Table, Value, Write};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DomException, IdbDatabase, IdbOpenDbRequest, IdbTransaction};

use crate::{BLOCKED_GRACE_MS, LEGACY_CONVERSATIONS_V1};

/// Schema 1's store names.
const V1_CONVERSATIONS: &str = "conversations";
const V1_BLOBS: &str = "blobs";

/// An open IndexedDB database (one connection). Dropping it closes the connection.
pub struct IdbStore {
    db: Database,
    name: String,
    /// Set when another tab's upgrade (or a deletion) made this connection close itself.
    version_changed: Rc<Cell<bool>>,
}

impl std::fmt::Debug for IdbStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdbStore")
            .field("name", &self.name)
            .field("version_changed", &self.version_changed.get())
            .finish()
    }
}

impl Drop for IdbStore {
    fn drop(&mut self) {
        // Closing is idempotent; it also guarantees that no `versionchange` event reaches the
        // handler owned by `self.db` after it is gone.
        self.db.close();
    }
}

impl IdbStore {
    /// Opens the database `name`, creating it or upgrading it to [`SCHEMA_VERSION`], then
    /// finishes any pending schema 1 migration (see the crate documentation).
    pub async fn open(name: &str) -> Result<IdbStore, StoreError> {
        let factory = Factory::new().map_err(open_error)?;
        let raw: IdbOpenDbRequest = factory.open(name, Some(SCHEMA_VERSION)).map_err(open_error)?.into();
        let mut request = OpenDatabaseRequest::from(raw.clone());

        let upgrade_failure: Rc<RefCell<Option<String>>> = Rc::default();
        request.on_upgrade_needed({
            let failure = upgrade_failure.clone();
            move |event: VersionChangeEvent| {
                if let Err(error) = upgrade(&event) {
                    *failure.borrow_mut() = Some(error.to_string());
                    if let Some(tx) = event.target().ok().and_then(|request| request.transaction()) {
                        let _ = tx.abort();
                    }
                }
            }
        });
        let give_up = Slot::new();
        request.on_blocked(give_up_after_grace(&give_up));

        let opened = match unless_given_up(request.into_future(), &give_up).await {
            Some(opened) => opened,
            None => {
                // The request stays queued until the old connections close; whatever it opens
                // then is of no use to anyone, so close it at once.
                let request = raw.clone();
                let close = Closure::once_into_js(move |_: web_sys::Event| {
                    if let Some(db) = request.result().ok().and_then(|db| db.dyn_into::<IdbDatabase>().ok()) {
                        db.close();
                    }
                });
                raw.set_onsuccess(Some(close.unchecked_ref()));
                return Err(StoreError::Blocked);
            }
        };
        let db = match opened {
            Ok(db) => db,
            Err(error) => return Err(open_failed(&factory, name, &error, upgrade_failure.take()).await),
        };

        // Close this connection whenever another tab upgrades or deletes the database, and
        // remember it: later calls say so instead of failing obscurely.
        let version_changed = Rc::new(Cell::new(false));
        let raw_db: IdbDatabase = db.into();
        let mut db = Database::from(raw_db.clone());
        db.on_version_change({
            let flag = version_changed.clone();
            move |_| {
                flag.set(true);
                raw_db.close();
            }
        });
        let store = IdbStore { db, name: name.to_string(), version_changed };

        if store.db.store_names().iter().any(|n| n == LEGACY_CONVERSATIONS_V1) {
            store.migrate_legacy_conversations().await?;
        }
        Ok(store)
    }

    /// Deletes the database `name` (tests, and "erase all data"). Other connections of ours
    /// close themselves; one that does not makes this return [`StoreError::Blocked`] after
    /// [`BLOCKED_GRACE_MS`] (the deletion then happens once it closes).
    pub async fn delete_database(name: &str) -> Result<(), StoreError> {
        let factory = Factory::new().map_err(open_error)?;
        let mut request = factory.delete(name).map_err(op_error)?;
        let give_up = Slot::new();
        request.on_blocked(give_up_after_grace(&give_up));
        match unless_given_up(request.into_future(), &give_up).await {
            Some(result) => result.map_err(op_error),
            None => Err(StoreError::Blocked),
        }
    }

    /// Closes the connection (dropping the store does the same).
    pub fn close(self) {
        self.db.close();
    }

    /// Asks the browser not to evict this site's storage under pressure
    /// (`navigator.storage.persist()`); `false` when refused or unsupported.
    pub async fn request_persistent_storage() -> bool {
        storage_manager_call("persist").await.and_then(|granted| granted.as_bool()).unwrap_or(false)
    }

    /// `(usage, quota)` in bytes from `navigator.storage.estimate()`; `None` when unsupported.
    pub async fn estimate_usage() -> Option<(f64, f64)> {
        let estimate = storage_manager_call("estimate").await?;
        let number = |field: &str| Reflect::get(&estimate, &JsValue::from_str(field)).ok()?.as_f64();
        Some((number("usage")?, number("quota")?))
    }

    /// Test hook: issues every write of `batch` in one transaction, waits for them to succeed,
    /// then aborts the transaction. Returns the resulting error; nothing is written.
    #[doc(hidden)]
    pub async fn apply_then_abort(&self, batch: &Batch) -> StoreError {
        match self.write(batch, Ending::Abort, false).await {
            Err(error) => error,
            Ok(()) => StoreError::Operation("the transaction committed although it was aborted".into()),
        }
    }

    /// Test hook: issues every write of `batch` in one transaction, then a write that fails
    /// (a second `add` of one key, `ConstraintError`), and lets [`Store::apply`]'s error path
    /// handle it. Returns the resulting error; nothing is written.
    #[doc(hidden)]
    pub async fn apply_with_failing_write(&self, batch: &Batch) -> StoreError {
        match self.write(batch, Ending::Commit, true).await {
            Err(error) => error,
            Ok(()) => StoreError::Operation("the transaction committed although a write failed".into()),
        }
    }

    fn usable(&self) -> Result<(), StoreError> {
        if self.version_changed.get() {
            Err(StoreError::VersionChanged)
        } else {
            Ok(())
        }
    }

    fn op_error(&self, error: idb::Error) -> StoreError {
        if self.version_changed.get() {
            StoreError::VersionChanged
        } else {
            op_error(error)
        }
    }

    /// One readwrite transaction over the batch's tables.
    async fn write(&self, batch: &Batch, ending: Ending, failing_write: bool) -> Result<(), StoreError> {
        self.usable()?;
        let mut names: Vec<&str> = batch.tables().into_iter().map(Table::name).collect();
        if names.is_empty() {
            names.push(Table::Settings.name());
        }
        let mut tx = Tx::begin(&self.db, &names).map_err(|e| self.op_error(e))?;
        for write in &batch.writes {
            tx.issue(write);
        }
        if failing_write {
            let key = JsValue::from_str("\u{0}fault");
            for _ in 0..2 {
                let store = tx.store(names[0]);
                tx.push(store.and_then(|s| s.add(&JsValue::from_str("fault"), Some(&key))).map(pending));
            }
        }
        tx.finish(ending).await
    }

    /// Schema 1 → 2 for the conversations: one transaction that writes every legacy record in
    /// the version 2 layout and deletes it from the legacy store.
    async fn migrate_legacy_conversations(&self) -> Result<(), StoreError> {
        let names = [LEGACY_CONVERSATIONS_V1, Table::Conversations.name(), Table::Messages.name()];
        let mut tx = Tx::begin(&self.db, &names).map_err(|e| self.op_error(e))?;
        let records = match tx.store(LEGACY_CONVERSATIONS_V1).and_then(|legacy| legacy.get_all(None, None)) {
            Ok(request) => request.await,
            Err(error) => Err(error),
        };
        let records = match records {
            Ok(records) => records,
            Err(error) => {
                tx.fail(op_error(error));
                return tx.finish(Ending::Commit).await;
            }
        };
        for record in records {
            let field = |name: &str| Reflect::get(&record, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
            // A record that cannot be read stays where it is: nothing is deleted unconverted.
            let (Some(id), Some(transcript)) = (field("id"), field("transcript")) else { continue };
            let Ok(batch) = migrate_v1_conversation(&id, &transcript) else { continue };
            for write in &batch.writes {
                tx.issue(write);
            }
            let legacy = tx.store(LEGACY_CONVERSATIONS_V1);
            tx.push(legacy.and_then(|legacy| legacy.delete(JsValue::from_str(&id))).map(pending));
        }
        tx.finish(Ending::Commit).await
    }
}

impl Store for IdbStore {
    async fn get(&self, table: Table, key: &str) -> Result<Option<Value>, StoreError> {
        self.usable()?;
        let tx = self.db.transaction(&[table.name()], TransactionMode::ReadOnly).map_err(|e| self.op_error(e))?;
        let store = tx.object_store(table.name()).map_err(|e| self.op_error(e))?;
        let request = store.get(JsValue::from_str(key)).map_err(|e| self.op_error(e))?;
        let value = request.await.map_err(|e| self.op_error(e))?;
        value.map(|value| from_js(value, table, key)).transpose()
    }

    async fn scan(&self, table: Table, prefix: &str) -> Result<Vec<(String, Value)>, StoreError> {
        self.usable()?;
        let tx = self.db.transaction(&[table.name()], TransactionMode::ReadOnly).map_err(|e| self.op_error(e))?;
        let store = tx.object_store(table.name()).map_err(|e| self.op_error(e))?;
        let query = prefix_range(prefix).map_err(|e| self.op_error(e))?.map(Query::from);
        // Both requests are issued before either is awaited: one snapshot, in key order.
        let values = store.get_all(query.clone(), None).map_err(|e| self.op_error(e))?.into_future();
        let keys = store.get_all_keys(query, None).map_err(|e| self.op_error(e))?.into_future();
        let values = values.await.map_err(|e| self.op_error(e))?;
        let keys = keys.await.map_err(|e| self.op_error(e))?;
        if keys.len() != values.len() {
            return Err(StoreError::Operation(format!(
                "{}: {} keys but {} values in one range",
                table.name(),
                keys.len(),
                values.len()
            )));
        }
        let mut records = keys
            .into_iter()
            .zip(values)
            .map(|(key, value)| {
                let key = key
                    .as_string()
                    .ok_or_else(|| StoreError::Corrupt(format!("{}: a key that is not a string", table.name())))?;
                let value = from_js(value, table, &key)?;
                Ok((key, value))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // IndexedDB orders strings by UTF-16 code units, Rust by code points; they differ only
        // where a key holds both U+E000..U+FFFF and supplementary characters at one position.
        if !records.windows(2).all(|w| w[0].0 <= w[1].0) {
            records.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(records)
    }

    async fn apply(&self, batch: &Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return self.usable();
        }
        self.write(batch, Ending::Commit, false).await
    }
}

/// `onupgradeneeded`: schema 1 stores are renamed (nothing is read or copied here), then every
/// missing version 2 store is created.
fn upgrade(event: &VersionChangeEvent) -> Result<(), idb::Error> {
    let old_version = event.old_version()?;
    let request = event.target()?;
    let db = request.database()?;
    let tx = request.transaction().ok_or(idb::Error::TransactionNotFound)?;
    if old_version == 1 {
        let names = db.store_names();
        let has = |name: &str| names.iter().any(|n| n == name);
        if has(V1_BLOBS) && !has(Table::IndexSegments.name()) {
            tx.object_store(V1_BLOBS)?.set_name(Table::IndexSegments.name());
        }
        if has(V1_CONVERSATIONS) && !has(LEGACY_CONVERSATIONS_V1) {
            tx.object_store(V1_CONVERSATIONS)?.set_name(LEGACY_CONVERSATIONS_V1);
        }
    }
    let names = db.store_names();
    for table in Table::ALL {
        if !names.iter().any(|n| n == table.name()) {
            db.create_object_store(table.name(), ObjectStoreParams::new())?;
        }
    }
    Ok(())
}

/// Why an open request failed, as a [`StoreError`].
async fn open_failed(factory: &Factory, name: &str, error: &idb::Error, upgrade_failure: Option<String>) -> StoreError {
    match exception(error) {
        Some(e) if e.name() == "VersionError" => match current_version(factory, name).await {
            Some(found) if found > SCHEMA_VERSION => StoreError::TooNew { found, supported: SCHEMA_VERSION },
            _ => StoreError::Open(describe(&e)),
        },
        Some(e) if e.name() == "QuotaExceededError" => StoreError::QuotaExceeded,
        _ => match upgrade_failure {
            Some(failure) => StoreError::Open(format!("upgrading the database failed: {failure}")),
            None => StoreError::Open(message(error)),
        },
    }
}

/// The on-disk version of an existing database (opened without a version, then closed).
async fn current_version(factory: &Factory, name: &str) -> Option<u32> {
    let db = factory.open(name, None).ok()?.await.ok()?;
    let version = db.version().ok();
    db.close();
    version
}

/// How a transaction ends once every request has succeeded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ending {
    Commit,
    Abort,
}

type Pending = Pin<Box<dyn Future<Output = Result<(), idb::Error>>>>;

/// Starts listening to a request now (before control returns to the browser).
fn pending<R, T>(request: R) -> Pending
where
    R: IntoFuture<Output = Result<T, idb::Error>>,
    R::IntoFuture: 'static,
    T: 'static,
{
    let future = request.into_future();
    Box::pin(async move { future.await.map(|_| ()) })
}

/// A readwrite transaction whose end (`complete` or `abort`) we wait for ourselves: `idb`'s
/// `TransactionFuture` resolves with a type error on the first request error that bubbles up.
struct Tx {
    raw: IdbTransaction,
    tx: Transaction,
    done: Slot<bool>,
    pending: Vec<Pending>,
    failure: Option<StoreError>,
}

impl Tx {
    fn begin(db: &Database, names: &[&str]) -> Result<Tx, idb::Error> {
        let raw: IdbTransaction = db.transaction(names, TransactionMode::ReadWrite)?.into();
        let mut tx = Transaction::from(raw.clone());
        let done = Slot::new();
        tx.on_complete({
            let done = done.clone();
            move |_| done.set(true)
        });
        tx.on_abort({
            let done = done.clone();
            move |_| done.set(false)
        });
        Ok(Tx { raw, tx, done, pending: Vec::new(), failure: None })
    }

    fn store(&self, name: &str) -> Result<ObjectStore, idb::Error> {
        self.tx.object_store(name)
    }

    fn issue(&mut self, write: &Write) {
        let request = match write {
            Write::Put { table, key, value } => {
                self.store(table.name()).and_then(|s| s.put(&to_js(value), Some(&JsValue::from_str(key)))).map(pending)
            }
            Write::Delete { table, key } => {
                self.store(table.name()).and_then(|s| s.delete(JsValue::from_str(key))).map(pending)
            }
            Write::DeletePrefix { table, prefix } => {
                self.store(table.name()).and_then(|s| match prefix_range(prefix)? {
                    Some(range) => s.delete(range).map(pending),
                    None => s.clear().map(pending),
                })
            }
            Write::Clear { table } => self.store(table.name()).and_then(|s| s.clear()).map(pending),
        };
        self.push(request);
    }

    /// Adds an issued request; one that could not even be issued fails the transaction.
    fn push(&mut self, request: Result<Pending, idb::Error>) {
        if self.failure.is_some() {
            return;
        }
        match request {
            Ok(request) => self.pending.push(request),
            Err(error) => self.fail(op_error(error)),
        }
    }

    fn fail(&mut self, error: StoreError) {
        if self.failure.is_none() {
            self.failure = Some(error);
            // Throws if the browser already aborted it (an unhandled request error does).
            let _ = self.raw.abort();
        }
    }

    /// Waits for every request, then commits (or aborts, for the test hook) and waits for the
    /// transaction's end. `Ok` only after `complete`.
    async fn finish(mut self, ending: Ending) -> Result<(), StoreError> {
        for request in std::mem::take(&mut self.pending) {
            if let Err(error) = request.await {
                self.fail(op_error(error));
            }
        }
        if self.failure.is_none() {
            match ending {
                // Throws only if it is already committing, which is just as good.
                #[allow(deprecated)]
                Ending::Commit => {
                    let _ = self.raw.commit();
                }
                Ending::Abort => {
                    let _ = self.raw.abort();
                }
            }
        }
        let done = self.done.clone();
        let committed = poll_fn(|cx| done.poll_take(cx)).await;
        let failure = self.failure.take();
        if committed && failure.is_none() {
            return Ok(());
        }
        let aborted_with = self.raw.error().map(|e| dom_error(&e));
        if failure == Some(StoreError::QuotaExceeded) || aborted_with == Some(StoreError::QuotaExceeded) {
            return Err(StoreError::QuotaExceeded);
        }
        Err(failure.or(aborted_with).unwrap_or_else(|| StoreError::Operation("the transaction was aborted".into())))
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        // The handlers are owned by `self.tx`: unhook them before they go.
        self.raw.set_oncomplete(None);
        self.raw.set_onabort(None);
    }
}

/// The key range of every key that starts with `prefix` (`None`: everything).
///
/// IndexedDB compares strings by UTF-16 code units, so `prefix + U+10FFFF` (the surrogates
/// `DBFF DFFF`) would sort *below* a key continuing with U+E000..U+FFFF. The exclusive upper
/// bound "the prefix with its last code unit incremented" (after dropping trailing `FFFF`s) is
/// exactly the first string after all keys with the prefix, whatever follows it.
fn prefix_range(prefix: &str) -> Result<Option<KeyRange>, idb::Error> {
    if prefix.is_empty() {
        return Ok(None);
    }
    let lower = JsValue::from_str(prefix);
    let mut units: Vec<u16> = prefix.encode_utf16().collect();
    while units.last() == Some(&u16::MAX) {
        units.pop();
    }
    let Some(last) = units.last_mut() else { return KeyRange::lower_bound(&lower, Some(false)).map(Some) };
    *last += 1;
    let upper: JsValue = JsString::from_char_code(&units).into();
    KeyRange::bound(&lower, &upper, Some(false), Some(true)).map(Some)
}

fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Text(text) => JsValue::from_str(text),
        Value::Bytes(bytes) => Uint8Array::from(bytes.as_slice()).into(),
    }
}

fn from_js(value: JsValue, table: Table, key: &str) -> Result<Value, StoreError> {
    if let Some(text) = value.as_string() {
        return Ok(Value::Text(text));
    }
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Ok(Value::Bytes(array.to_vec()));
    }
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(Value::Bytes(Uint8Array::new(buffer).to_vec()));
    }
    Err(StoreError::Corrupt(format!("{} `{key}` is neither text nor bytes", table.name())))
}

// ---- errors -------------------------------------------------------------------------------

fn open_error(error: idb::Error) -> StoreError {
    match classify(&error) {
        StoreError::QuotaExceeded => StoreError::QuotaExceeded,
        _ => StoreError::Open(message(&error)),
    }
}

fn op_error(error: idb::Error) -> StoreError {
    classify(&error)
}

/// A failure as a [`StoreError`]: `QuotaExceededError` by the `DOMException`'s name wherever
/// `idb` carries it, otherwise [`StoreError::Operation`].
fn classify(error: &idb::Error) -> StoreError {
    match exception(error) {
        Some(e) => dom_error(&e),
        None if error.to_string().contains("QuotaExceededError") => StoreError::QuotaExceeded,
        None => StoreError::Operation(error.to_string()),
    }
}

fn dom_error(e: &DomException) -> StoreError {
    if e.name() == "QuotaExceededError" {
        StoreError::QuotaExceeded
    } else {
        StoreError::Operation(describe(e))
    }
}

fn describe(e: &DomException) -> String {
    format!("{}: {}", e.name(), e.message())
}

fn message(error: &idb::Error) -> String {
    match exception(error) {
        Some(e) => describe(&e),
        None => error.to_string(),
    }
}

/// The `DOMException` inside an `idb` error: a request's or transaction's error, or what a
/// synchronous IndexedDB call threw.
fn exception(error: &idb::Error) -> Option<DomException> {
    use idb::Error as E;
    match error {
        E::DomException(e) => Some(e.clone()),
        E::AddFailed(v)
        | E::ClearFailed(v)
        | E::CountFailed(v)
        | E::DeleteFailed(v)
        | E::GetAllFailed(v)
        | E::GetAllKeysFailed(v)
        | E::GetFailed(v)
        | E::UpdateFailed(v)
        | E::IndexedDbOpenFailed(v)
        | E::IndexedDbDeleteFailed(v)
        | E::ObjectStoreCreateFailed(v)
        | E::ObjectStoreNotFound(v)
        | E::TransactionOpenFailed(v)
        | E::TransactionCommitError(v)
        | E::TransactionAbortError(v)
        | E::KeyRangeCreateFailed(v) => v.dyn_ref::<DomException>().cloned(),
        _ => None,
    }
}

// ---- small async plumbing (no executor-specific crates) -------------------------------------

/// A value set once by a JS event handler and awaited by Rust.
struct Slot<T>(Rc<RefCell<SlotState<T>>>);

struct SlotState<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot(self.0.clone())
    }
}

impl<T> Slot<T> {
    fn new() -> Self {
        Slot(Rc::new(RefCell::new(SlotState { value: None, waker: None })))
    }

    fn set(&self, value: T) {
        let waker = {
            let mut state = self.0.borrow_mut();
            state.value.get_or_insert(value);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn poll_take(&self, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.0.borrow_mut();
        match state.value.take() {
            Some(value) => Poll::Ready(value),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

/// Runs `future` until it completes (`Some`) or `give_up` is set (`None`).
async fn unless_given_up<F: Future + Unpin>(mut future: F, give_up: &Slot<()>) -> Option<F::Output> {
    poll_fn(|cx| {
        if let Poll::Ready(output) = Pin::new(&mut future).poll(cx) {
            return Poll::Ready(Some(output));
        }
        give_up.poll_take(cx).map(|()| None)
    })
    .await
}

/// A `blocked` handler: give up [`BLOCKED_GRACE_MS`] later unless the request went through.
fn give_up_after_grace(give_up: &Slot<()>) -> impl FnOnce(VersionChangeEvent) + 'static {
    let give_up = give_up.clone();
    move |_| after(BLOCKED_GRACE_MS, move || give_up.set(()))
}

/// Calls `f` after `ms` milliseconds (`setTimeout` on the global object: window or worker).
fn after(ms: i32, f: impl FnOnce() + 'static) {
    let global = js_sys::global();
    let Some(set_timeout) =
        Reflect::get(&global, &JsValue::from_str("setTimeout")).ok().and_then(|f| f.dyn_into::<Function>().ok())
    else {
        return;
    };
    let _ = set_timeout.call2(&global, &Closure::once_into_js(f), &JsValue::from(ms));
}

/// Calls `navigator.storage[method]()` and awaits its promise; `None` if anything is missing
/// or the promise rejects.
async fn storage_manager_call(method: &str) -> Option<JsValue> {
    let object = |value: JsValue| value.is_object().then_some(value);
    let navigator = object(Reflect::get(&js_sys::global(), &JsValue::from_str("navigator")).ok()?)?;
    let storage = object(Reflect::get(&navigator, &JsValue::from_str("storage")).ok()?)?;
    let function: Function = Reflect::get(&storage, &JsValue::from_str(method)).ok()?.dyn_into().ok()?;
    let promise: Promise = function.call0(&storage).ok()?.dyn_into().ok()?;
    settle(promise).await.ok()
}

async fn settle(promise: Promise) -> Result<JsValue, JsValue> {
    let slot = Slot::new();
    let resolve = Closure::once({
        let slot = slot.clone();
        move |value: JsValue| slot.set(Ok(value))
    });
    let reject = Closure::once({
        let slot = slot.clone();
        move |error: JsValue| slot.set(Err(error))
    });
    let _ = promise.then2(&resolve, &reject);
    poll_fn(|cx| slot.poll_take(cx)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn exception(name: &str) -> DomException {
        DomException::new_with_message_and_name("test", name).unwrap()
    }

    #[wasm_bindgen_test]
    fn quota_errors_are_recognised_by_name_wherever_they_surface() {
        let quota = exception("QuotaExceededError");
        assert_eq!(classify(&idb::Error::DomException(quota.clone())), StoreError::QuotaExceeded);
        assert_eq!(classify(&idb::Error::UpdateFailed(quota.clone().into())), StoreError::QuotaExceeded);
        assert_eq!(dom_error(&quota), StoreError::QuotaExceeded);
        assert_eq!(open_error(idb::Error::IndexedDbOpenFailed(quota.into())), StoreError::QuotaExceeded);
        assert_eq!(
            classify(&idb::Error::DomException(exception("ConstraintError"))),
            StoreError::Operation("ConstraintError: test".into())
        );
        assert!(
            matches!(open_error(idb::Error::IndexedDbOpenFailed(exception("UnknownError").into())), StoreError::Open(m) if m.contains("UnknownError"))
        );
    }

    #[wasm_bindgen_test]
    fn prefix_ranges_cover_exactly_the_keys_with_the_prefix() {
        let includes =
            |prefix: &str, key: &str| prefix_range(prefix).unwrap().unwrap().includes(&JsValue::from_str(key)).unwrap();
        for key in ["c1/", "c1/00000001", "c1/\u{FFFD}", "c1/\u{FFFF}\u{FFFF}x", "c1/😀"] {
            assert!(includes("c1/", key), "{key:?}");
        }
        for key in ["c1", "c10", "c2/", "c1.", "b"] {
            assert!(!includes("c1/", key), "{key:?}");
        }
        assert!(includes("\u{FFFF}", "\u{FFFF}abc"));
        assert!(!includes("\u{FFFF}", "\u{FFFE}"));
        assert!(prefix_range("").unwrap().is_none());
    }
}
