//! Browser tests: run with `wasm-bindgen-test-runner` in headless Chromium (see scripts/test.sh).
#![cfg(target_arch = "wasm32")]

use persona_core::chat::{Action, Reply, Status, Transcript};
use persona_core::embed::{fingerprint, Embedder, HashEmbedder};
use persona_core::knowledge::KnowledgeBase;
use persona_core::store::Store;
use persona_idb::IdbStore;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh(name: &str) -> IdbStore {
    IdbStore::delete_database(name).await.unwrap();
    IdbStore::open(name).await.unwrap()
}

#[wasm_bindgen_test]
async fn transcript_round_trips_through_indexeddb_across_connections() {
    let name = "test-transcript";
    let store = fresh(name).await;
    let mut transcript = Transcript::with_greeting("Hi, I'm Jane.");
    transcript.apply(Action::Send { id: "m1".into(), text: "What is cash flow?".into() }).unwrap();
    transcript
        .apply(Action::Commit { id: "m1".into(), reply: Reply { text: "Money in, money out.".into(), facts: vec![] } })
        .unwrap();
    transcript.apply(Action::Send { id: "m2".into(), text: "still pending".into() }).unwrap();
    store.save_transcript("conv-1", &transcript).await.unwrap();
    store.close();

    let reopened = IdbStore::open(name).await.unwrap();
    let loaded = reopened.load_transcript("conv-1").await.unwrap().expect("saved transcript");
    assert_eq!(loaded.messages.len(), 3, "pending messages are not persisted");
    assert_eq!(loaded.messages[1].text, "What is cash flow?");
    assert_eq!(loaded.messages[1].status, Status::Sent);
    assert_eq!(loaded.messages[2].text, "Money in, money out.");
    assert_eq!(reopened.load_transcript("missing").await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn binary_blobs_round_trip_as_typed_arrays() {
    let store = fresh("test-blobs").await;
    let vector: Vec<f32> = (0..384).map(|i| i as f32 / 7.0).collect();
    let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    store.put_blob("segment-0", &bytes).await.unwrap();
    assert_eq!(store.get_blob("segment-0").await.unwrap(), Some(bytes));
    assert_eq!(store.get_blob("segment-1").await.unwrap(), None);
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
