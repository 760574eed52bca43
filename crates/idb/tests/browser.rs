//! Browser tests: run with `wasm-bindgen-test-runner` in headless Chromium (see scripts/test.sh).
//! Every test uses a database of its own.
#![cfg(target_arch = "wasm32")]

use idb::{Database, DatabaseEvent, Factory, KeyPath, ObjectStoreParams, TransactionMode, TransactionResult};
use js_sys::{Object, Reflect, Uint8Array};
use persona_core::backup::{self, BackupError};
use persona_core::chat::{Action, Message, Reply, Status, Transcript};
use persona_core::embed::{fingerprint, Embedder, HashEmbedder};
use persona_core::knowledge::KnowledgeBase;
use persona_core::persist::{self, ConversationRecord, MemoryRecord};
use persona_core::store::{Batch, Store, StoreError, Table, Value};
use persona_idb::{IdbStore, LEGACY_CONVERSATIONS_V1, SCHEMA_VERSION};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh(name: &str) -> IdbStore {
    IdbStore::delete_database(name).await.unwrap();
    IdbStore::open(name).await.unwrap()
}

/// Every record of every table.
async fn snapshot(store: &IdbStore) -> Vec<(Table, Vec<(String, Value)>)> {
    let mut tables = Vec::new();
    for table in Table::ALL {
        tables.push((table, store.scan(table, "").await.unwrap()));
    }
    tables
}

fn keys(records: &[(String, Value)]) -> Vec<&str> {
    records.iter().map(|(k, _)| k.as_str()).collect()
}

fn segment_bytes() -> Vec<u8> {
    let vector: Vec<f32> = (0..384).map(|i| i as f32 / 7.0).collect();
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Text (canonical JSON: sorted keys, compact) and bytes over several tables, written out of
/// key order.
fn sample() -> Batch {
    let mut batch = Batch::new();
    batch
        .put(Table::Articles, "pricing", Value::Text(r#"{"id":"pricing","title":"Pricing"}"#.into()))
        .put(Table::Messages, "c1/00000002", Value::Text(r#""hi""#.into()))
        .put(Table::Messages, "c1/00000001", Value::Text(r#""hello — café ✓""#.into()))
        .put(Table::Messages, "c2/00000001", Value::Text(r#""other""#.into()))
        .put(Table::IndexSegments, "vector/base", Value::Bytes(segment_bytes()))
        .put(Table::IndexSegments, "lexical", Value::Bytes((0..=255).collect()))
        .put(Table::Settings, "theme", Value::Text(r#""dark""#.into()));
    batch
}

fn transcript_with_one_turn() -> Transcript {
    let mut t = Transcript::with_greeting("Hi, I'm Jane.");
    t.apply(Action::Send { id: "m1".into(), text: "What is cash flow?".into() }).unwrap();
    t.apply(Action::Commit { id: "m1".into(), reply: Reply { text: "Money in, money out.".into(), facts: vec![] } })
        .unwrap();
    t
}

/// A raw connection (no `versionchange` handler), at the current version.
async fn raw_connection(name: &str) -> Database {
    Factory::new().unwrap().open(name, None).unwrap().await.unwrap()
}

#[wasm_bindgen_test]
async fn text_and_bytes_round_trip_with_prefix_scans_prefix_deletes_and_clears() {
    let name = "test-round-trip";
    let store = fresh(name).await;
    store.apply(&sample()).await.unwrap();

    assert_eq!(
        store.get(Table::Articles, "pricing").await.unwrap(),
        Some(Value::Text(r#"{"id":"pricing","title":"Pricing"}"#.into()))
    );
    assert_eq!(store.get(Table::IndexSegments, "vector/base").await.unwrap(), Some(Value::Bytes(segment_bytes())));
    assert_eq!(store.get(Table::IndexSegments, "missing").await.unwrap(), None);
    assert_eq!(store.get(Table::Personas, "missing").await.unwrap(), None);

    // Bytes are stored as a Uint8Array, text as a JS string.
    let raw = raw_connection(name).await;
    let tx = raw.transaction(&["index_segments", "articles"], TransactionMode::ReadOnly).unwrap();
    let bytes = tx.object_store("index_segments").unwrap().get(JsValue::from_str("lexical")).unwrap().await.unwrap();
    let bytes = bytes.unwrap().dyn_into::<Uint8Array>().expect("a Uint8Array");
    assert_eq!(bytes.to_vec(), (0..=255).collect::<Vec<u8>>());
    let text = tx.object_store("articles").unwrap().get(JsValue::from_str("pricing")).unwrap().await.unwrap();
    assert!(text.unwrap().is_string());
    raw.close();

    // Scans: whole table and prefixes, in key order.
    let messages = store.scan(Table::Messages, "").await.unwrap();
    assert_eq!(keys(&messages), ["c1/00000001", "c1/00000002", "c2/00000001"]);
    assert_eq!(messages[0].1, Value::Text(r#""hello — café ✓""#.into()));
    assert_eq!(keys(&store.scan(Table::Messages, "c1/").await.unwrap()), ["c1/00000001", "c1/00000002"]);
    assert!(store.scan(Table::Messages, "c3/").await.unwrap().is_empty());
    assert!(store.scan(Table::Traces, "").await.unwrap().is_empty());

    // A prefix covers keys continuing with any character (IndexedDB compares UTF-16 units).
    let mut awkward = Batch::new();
    awkward
        .put_json(Table::Messages, "c1/\u{FFFD}", &"replacement")
        .put_json(Table::Messages, "c1/😀", &"emoji")
        .put_json(Table::Messages, "c10", &"not c1/");
    store.apply(&awkward).await.unwrap();
    assert_eq!(
        keys(&store.scan(Table::Messages, "c1/").await.unwrap()),
        ["c1/00000001", "c1/00000002", "c1/\u{FFFD}", "c1/😀"],
        "code point order, as MemoryStore"
    );

    let mut deletes = Batch::new();
    deletes
        .delete_prefix(Table::Messages, "c1/")
        .delete(Table::Articles, "pricing")
        .put_json(Table::Articles, "pricing", &"again")
        .delete(Table::Settings, "missing is fine");
    store.apply(&deletes).await.unwrap();
    assert_eq!(keys(&store.scan(Table::Messages, "").await.unwrap()), ["c10", "c2/00000001"]);
    assert_eq!(store.get(Table::Articles, "pricing").await.unwrap(), Some(Value::json("again")));

    let mut clear = Batch::new();
    clear.clear(Table::Messages);
    store.apply(&clear).await.unwrap();
    assert!(store.scan(Table::Messages, "").await.unwrap().is_empty());
    assert_eq!(store.scan(Table::IndexSegments, "").await.unwrap().len(), 2, "other tables untouched");

    store.apply(&Batch::new()).await.unwrap();
    store.close();
}

#[wasm_bindgen_test]
async fn a_forced_abort_leaves_every_table_as_it_was() {
    let store = fresh("test-forced-abort").await;
    store.apply(&sample()).await.unwrap();
    let before = snapshot(&store).await;

    let mut doomed = Batch::new();
    doomed
        .clear(Table::Messages)
        .delete_prefix(Table::IndexSegments, "vector/")
        .put_json(Table::Articles, "new", &"new")
        .put(Table::IndexSegments, "lexical", Value::Bytes(vec![9; 10]))
        .delete(Table::Settings, "theme");
    let error = store.apply_then_abort(&doomed).await;
    assert_eq!(error, StoreError::Operation("the transaction was aborted".into()));
    assert_eq!(snapshot(&store).await, before);

    // The same batch, not aborted, goes through: the store is fine afterwards.
    store.apply(&doomed).await.unwrap();
    let after = snapshot(&store).await;
    assert_ne!(after, before);
    assert!(store.scan(Table::Messages, "").await.unwrap().is_empty());
    assert_eq!(store.get(Table::IndexSegments, "lexical").await.unwrap(), Some(Value::Bytes(vec![9; 10])));
}

#[wasm_bindgen_test]
async fn a_batch_whose_write_fails_changes_nothing() {
    let store = fresh("test-failing-write").await;
    store.apply(&sample()).await.unwrap();
    let before = snapshot(&store).await;

    let mut doomed = Batch::new();
    doomed.put_json(Table::Articles, "new", &"new").clear(Table::Messages).put(
        Table::IndexSegments,
        "vector/base",
        Value::Bytes(vec![]),
    );
    let error = store.apply_with_failing_write(&doomed).await;
    assert!(matches!(&error, StoreError::Operation(m) if m.contains("ConstraintError")), "{error:?}");
    assert_eq!(snapshot(&store).await, before, "not even the writes before the failing one");

    store.apply(&doomed).await.unwrap();
    assert_eq!(store.get(Table::Articles, "new").await.unwrap(), Some(Value::json("new")));
}

#[wasm_bindgen_test]
async fn conversations_persist_turn_by_turn_across_connections() {
    let name = "test-conversations";
    let store = fresh(name).await;
    let mut transcript = transcript_with_one_turn();
    transcript.apply(Action::Send { id: "m2".into(), text: "And profit?".into() }).unwrap();

    let (batch, header) =
        persist::save_conversation(&ConversationRecord::new("conv-1", Some("jane".into())), &transcript);
    store.apply(&batch).await.unwrap();
    assert_eq!(header.message_count, 3, "the pending message is not saved");

    transcript
        .apply(Action::Commit { id: "m2".into(), reply: Reply { text: "What is left over.".into(), facts: vec![] } })
        .unwrap();
    let turn: Vec<&Message> = transcript.messages[3..].iter().collect();
    let memory = MemoryRecord { key: "conv-1/m2".into(), text: "The visitor asked about profit.".into() };
    let trace = vec!["retrieve", "answer"];
    let (batch, header) = persist::commit_turn(&header, &turn, Some(("m2", &trace)), std::slice::from_ref(&memory));
    store.apply(&batch).await.unwrap();
    assert_eq!(header.message_count, 5);
    store.close();

    let reopened = IdbStore::open(name).await.unwrap();
    let (loaded_header, loaded) = persist::load_conversation(&reopened, "conv-1").await.unwrap().expect("saved");
    assert_eq!(loaded_header, header);
    assert_eq!(loaded_header.persona_id.as_deref(), Some("jane"));
    assert_eq!(loaded, transcript, "every message committed, in order");
    assert!(loaded.messages.iter().all(|m| m.status == Status::Sent));
    assert_eq!(reopened.get(Table::Traces, "conv-1/m2").await.unwrap(), Some(Value::json(&trace)));
    assert_eq!(reopened.get(Table::Memories, "conv-1/m2").await.unwrap(), Some(Value::json(&memory)));
    assert_eq!(persist::load_conversation(&reopened, "missing").await.unwrap(), None);

    reopened.apply(&persist::delete_conversation("conv-1")).await.unwrap();
    assert!(snapshot(&reopened).await.iter().all(|(_, records)| records.is_empty()));
}

/// Creates a schema 1 database as the previous build did: `conversations` (key path `id`,
/// `{ id, transcript }`) and `blobs` (`Uint8Array`s).
async fn create_schema_1(name: &str, transcript_json: &str, blob: &[u8]) {
    IdbStore::delete_database(name).await.unwrap();
    let mut request = Factory::new().unwrap().open(name, Some(1)).unwrap();
    request.on_upgrade_needed(|event| {
        let db = event.database().unwrap();
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single("id")));
        db.create_object_store("conversations", params).unwrap();
        db.create_object_store("blobs", ObjectStoreParams::new()).unwrap();
    });
    let db = request.await.unwrap();
    let tx = db.transaction(&["conversations", "blobs"], TransactionMode::ReadWrite).unwrap();
    let record = Object::new();
    Reflect::set(&record, &"id".into(), &"demo-jane".into()).unwrap();
    Reflect::set(&record, &"transcript".into(), &transcript_json.into()).unwrap();
    tx.object_store("conversations").unwrap().put(&record.into(), None).unwrap().await.unwrap();
    let blob: JsValue = Uint8Array::from(blob).into();
    tx.object_store("blobs").unwrap().put(&blob, Some(&"vector/base".into())).unwrap().await.unwrap();
    assert_eq!(tx.commit().unwrap().await.unwrap(), TransactionResult::Committed);
    assert_eq!(db.version().unwrap(), 1);
    db.close();
}

async fn legacy_count(name: &str) -> u32 {
    let raw = raw_connection(name).await;
    let tx = raw.transaction(&[LEGACY_CONVERSATIONS_V1], TransactionMode::ReadOnly).unwrap();
    let count = tx.object_store(LEGACY_CONVERSATIONS_V1).unwrap().count(None).unwrap().await.unwrap();
    raw.close();
    count
}

fn json_text(transcript: &Transcript) -> String {
    let Value::Text(json) = Value::json(transcript) else { unreachable!("JSON is text") };
    json
}

#[wasm_bindgen_test]
async fn a_schema_1_database_migrates_without_loss() {
    let name = "test-migrate-v1";
    let committed = transcript_with_one_turn();
    let blob = segment_bytes();
    create_schema_1(name, &json_text(&committed), &blob).await;

    let store = IdbStore::open(name).await.unwrap();
    let (header, loaded) = persist::load_conversation(&store, "demo-jane").await.unwrap().expect("migrated");
    assert_eq!(loaded, committed);
    assert_eq!(
        header,
        ConversationRecord { id: "demo-jane".into(), persona_id: None, title: String::new(), message_count: 3 }
    );
    assert_eq!(store.get(Table::IndexSegments, "vector/base").await.unwrap(), Some(Value::Bytes(blob)));
    assert_eq!(legacy_count(name).await, 0, "the legacy records were moved");
    let raw = raw_connection(name).await;
    assert_eq!(raw.version().unwrap(), SCHEMA_VERSION);
    let mut stores = raw.store_names();
    stores.sort();
    let mut expected: Vec<&str> = Table::ALL.iter().map(|t| t.name()).collect();
    expected.push(LEGACY_CONVERSATIONS_V1);
    expected.sort();
    assert_eq!(stores, expected);
    raw.close();

    // Opening again changes nothing.
    let before = snapshot(&store).await;
    store.close();
    let again = IdbStore::open(name).await.unwrap();
    assert_eq!(snapshot(&again).await, before);
}

#[wasm_bindgen_test]
async fn an_interrupted_migration_runs_again_on_the_next_open() {
    // The upgrade committed (stores renamed and created) but the page died before the
    // migration transaction did: version 2 on disk, the legacy record still there.
    let name = "test-migrate-resume";
    IdbStore::delete_database(name).await.unwrap();
    let committed = transcript_with_one_turn();
    let mut request = Factory::new().unwrap().open(name, Some(SCHEMA_VERSION)).unwrap();
    request.on_upgrade_needed(|event| {
        let db = event.database().unwrap();
        for table in Table::ALL {
            db.create_object_store(table.name(), ObjectStoreParams::new()).unwrap();
        }
        let mut params = ObjectStoreParams::new();
        params.key_path(Some(KeyPath::new_single("id")));
        db.create_object_store(LEGACY_CONVERSATIONS_V1, params).unwrap();
    });
    let db = request.await.unwrap();
    let tx = db.transaction(&[LEGACY_CONVERSATIONS_V1], TransactionMode::ReadWrite).unwrap();
    let record = Object::new();
    Reflect::set(&record, &"id".into(), &"demo-jane".into()).unwrap();
    Reflect::set(&record, &"transcript".into(), &json_text(&committed).into()).unwrap();
    tx.object_store(LEGACY_CONVERSATIONS_V1).unwrap().put(&record.into(), None).unwrap().await.unwrap();
    assert_eq!(tx.commit().unwrap().await.unwrap(), TransactionResult::Committed);
    db.close();

    let store = IdbStore::open(name).await.unwrap();
    let (_, loaded) = persist::load_conversation(&store, "demo-jane").await.unwrap().expect("migrated");
    assert_eq!(loaded, committed);
    assert_eq!(legacy_count(name).await, 0);
}

#[wasm_bindgen_test]
async fn backups_round_trip_between_databases_and_bad_ones_change_nothing() {
    let source = fresh("test-backup-source").await;
    source.apply(&sample()).await.unwrap();
    let conversation = transcript_with_one_turn();
    let (batch, _) = persist::save_conversation(&ConversationRecord::new("conv-1", None), &conversation);
    source.apply(&batch).await.unwrap();
    // An import rewrites JSON in its canonical form (sorted keys); import the source's own
    // backup once so that its records are canonical too and whole scans can be compared.
    let first = backup::export(&source).await.unwrap();
    backup::import(&source, &first).await.unwrap();
    let text = backup::export(&source).await.unwrap();
    assert_eq!(text, first);

    let target = fresh("test-backup-target").await;
    let mut stale = Batch::new();
    stale.put_json(Table::Articles, "old", &"replaced by the import").put_json(Table::Personas, "x", &"gone");
    target.apply(&stale).await.unwrap();
    backup::import(&target, &text).await.unwrap();
    let restored = snapshot(&target).await;
    assert_eq!(restored, snapshot(&source).await);
    assert_eq!(target.get(Table::IndexSegments, "vector/base").await.unwrap(), Some(Value::Bytes(segment_bytes())));
    let (_, loaded) = persist::load_conversation(&target, "conv-1").await.unwrap().expect("restored");
    assert_eq!(loaded, conversation);

    let damaged = text.replacen("\"base64\": \"", "\"base64\": \"!", 1);
    let newer = text.replacen("\"version\": 1", "\"version\": 99", 1);
    for (bad, kind) in [("not json", "NotABackup"), (damaged.as_str(), "Damaged"), (newer.as_str(), "TooNew")] {
        let error: BackupError = backup::import(&target, bad).await.unwrap_err();
        assert!(format!("{error:?}").starts_with(kind), "{kind}: {error:?}");
        assert_eq!(snapshot(&target).await, restored);
    }
}

#[wasm_bindgen_test]
async fn another_tabs_upgrade_closes_this_connection() {
    let name = "test-versionchange";
    let store = fresh(name).await;
    store.apply(&sample()).await.unwrap();

    // Another tab opens a newer schema. It would wait forever if this connection stayed open.
    let newer = Factory::new().unwrap().open(name, Some(SCHEMA_VERSION + 1)).unwrap().await.unwrap();
    assert_eq!(store.get(Table::Articles, "pricing").await, Err(StoreError::VersionChanged));
    assert_eq!(store.scan(Table::Messages, "").await, Err(StoreError::VersionChanged));
    assert_eq!(store.apply(&sample()).await, Err(StoreError::VersionChanged));
    newer.close();

    // And this build does not open what a newer one wrote.
    assert_eq!(
        IdbStore::open(name).await.unwrap_err(),
        StoreError::TooNew { found: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION }
    );
    IdbStore::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_old_connection_that_does_not_close_blocks_the_upgrade_without_hanging() {
    let name = "test-blocked";
    IdbStore::delete_database(name).await.unwrap();
    // An old build's tab: version 1, and no `versionchange` handler.
    let old_tab = Factory::new().unwrap().open(name, Some(1)).unwrap().await.unwrap();
    assert_eq!(IdbStore::open(name).await.unwrap_err(), StoreError::Blocked);

    // Once it closes, the upgrade goes through and the database opens.
    old_tab.close();
    let store = IdbStore::open(name).await.unwrap();
    store.apply(&sample()).await.unwrap();
    assert_eq!(store.scan(Table::Messages, "").await.unwrap().len(), 3);
    store.close();
    IdbStore::delete_database(name).await.unwrap();
}

#[wasm_bindgen_test]
async fn storage_estimate_and_persistence_requests_answer() {
    let (usage, quota) = IdbStore::estimate_usage().await.expect("navigator.storage.estimate()");
    assert!(usage >= 0.0 && quota > 0.0, "{usage} of {quota}");
    // Granted or not depends on the browser's heuristics; it must answer.
    let _granted: bool = IdbStore::request_persistent_storage().await;
}

#[wasm_bindgen_test]
fn embeddings_are_bit_identical_to_the_native_build() {
    // The same constant is asserted natively in persona-core's `embedding_fingerprint_is_stable`.
    let embedding = HashEmbedder::default().embed("Businesses with a formal written plan grew 30% faster.");
    assert_eq!(fingerprint(&embedding), 9_292_410_449_696_314_209);
}

#[wasm_bindgen_test]
fn instant_distance_index_builds_and_searches_in_wasm() {
    let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
    knowledge.upsert_articles(persona_demo::articles()).unwrap();
    assert!(knowledge.chunk_count() >= 12, "demo articles chunked: {}", knowledge.chunk_count());
    assert!(knowledge.check_consistency().is_consistent());
    let hits = knowledge.search("how much faster did businesses with a formal written plan grow", 5).unwrap();
    assert_eq!(hits.len(), 5);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(
        hits.iter().any(|h| h.chunk.article_id == "business-plan" && h.chunk.body.contains("30%")),
        "the passage with the figure is retrieved"
    );
    assert_eq!(knowledge.embedder().id(), "hash-ngram-v1-384");
}

/// The IndexedDB store, except that every batch is written and then aborted inside its
/// transaction (or fails on a write): what a crash or a refused write looks like to the engine.
struct Faulty<'a> {
    store: &'a IdbStore,
    abort: bool,
}

impl Store for Faulty<'_> {
    async fn get(&self, table: Table, key: &str) -> Result<Option<Value>, StoreError> {
        self.store.get(table, key).await
    }

    async fn scan(&self, table: Table, prefix: &str) -> Result<Vec<(String, Value)>, StoreError> {
        self.store.scan(table, prefix).await
    }

    async fn apply(&self, batch: &Batch) -> Result<(), StoreError> {
        Err(match self.abort {
            true => self.store.apply_then_abort(batch).await,
            false => self.store.apply_with_failing_write(batch).await,
        })
    }
}

#[wasm_bindgen_test]
async fn saving_an_article_is_one_transaction_and_a_failed_one_changes_neither_store_nor_memory() {
    use persona_core::knowledge::Article;
    let store = fresh("test-article-atomic").await;
    let mut kb = KnowledgeBase::new(HashEmbedder::default());
    let cash =
        "# Cash\n\nA thirteen-week forecast keeps surprises small.\n\n## Reserves\n\nKeep three months of costs.\n";
    persist::save_articles(&store, &mut kb, vec![Article::new("cash", cash)]).await.unwrap();
    let stored = snapshot(&store).await;
    assert!(stored.iter().any(|(t, r)| *t == Table::Chunks && keys(r) == ["cash"]));
    assert!(stored.iter().any(|(t, r)| *t == Table::IndexSegments && keys(r).contains(&"vector/delta")));
    let answer = kb.search("reserves", 1).unwrap()[0].chunk.id.clone();

    for abort in [true, false] {
        let faulty = Faulty { store: &store, abort };
        let edit = Article::new("cash", cash.replace("three months", "a year"));
        let hire = Article::new("hire", "# Hiring\n\nYour first employee needs a contract.\n");
        let error = persist::save_articles(&faulty, &mut kb, vec![edit, hire]).await.unwrap_err();
        assert!(matches!(error, persist::SaveError::Store(_)), "{error:?}");
        assert_eq!(snapshot(&store).await, stored, "abort={abort}: article, chunks and index as before");
        assert_eq!(kb.article("cash").unwrap().source, cash);
        assert!(kb.article("hire").is_none());
        assert_eq!(kb.search("reserves", 1).unwrap()[0].chunk.id, answer);
    }

    // A reader on another connection sees the saved article with its chunks and index, whole.
    let edited = cash.replace("three months", "six weeks");
    persist::save_articles(&store, &mut kb, vec![Article::new("cash", edited)]).await.unwrap();
    let reader = IdbStore::open("test-article-atomic").await.unwrap();
    let (restored, report) = persist::restore_knowledge(
        &reader,
        HashEmbedder::default(),
        Default::default(),
        Default::default(),
        Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.repaired, None);
    assert!(restored.chunks().any(|c| c.body.contains("six weeks")));
    assert!(restored.chunks().all(|c| !c.body.contains("three months")));
}

#[wasm_bindgen_test]
async fn a_turn_commit_that_fails_writes_none_of_its_parts() {
    let store = fresh("test-turn-atomic").await;
    let (batch, header) = persist::save_conversation(&ConversationRecord::new("c1", None), &transcript_with_one_turn());
    store.apply(&batch).await.unwrap();
    let before = snapshot(&store).await;
    let question = Message {
        id: "m9".into(),
        role: persona_core::chat::Role::User,
        text: "And taxes?".into(),
        status: Status::Sent,
        facts: vec![],
    };
    let reply = Message {
        id: "m9/reply".into(),
        role: persona_core::chat::Role::Assistant,
        text: "Set them aside.".into(),
        ..question.clone()
    };
    let memory = MemoryRecord { key: "c1/m9".into(), text: "The visitor asked about taxes.".into() };
    let (turn, _) = persist::commit_turn(&header, &[&question, &reply], Some(("m9", &"trace")), &[memory]);
    for abort in [true, false] {
        let faulty = Faulty { store: &store, abort };
        assert!(faulty.apply(&turn).await.is_err());
        assert_eq!(snapshot(&store).await, before, "abort={abort}");
    }
    store.apply(&turn).await.unwrap();
    let (_, loaded) = persist::load_conversation(&store, "c1").await.unwrap().unwrap();
    assert_eq!(loaded.messages.last().unwrap().text, "Set them aside.");
    assert!(store.get(Table::Traces, "c1/m9").await.unwrap().is_some());
    assert!(store.get(Table::Memories, "c1/m9").await.unwrap().is_some());
}
