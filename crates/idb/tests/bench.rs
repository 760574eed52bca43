//! Storage benchmark in headless Chromium: prints figures, asserts only correctness.
//!
//! For 10,000 chunks (500 synthetic articles of 20 paragraphs, embedded by the built-in
//! 384-dimension embedder): the time to save the knowledge (articles, chunks, both vector
//! segments and the BM25 snapshot) in one transaction; the time from the engine starting
//! (opening the database) to the first answered search, restoring without rebuilding; the
//! time to save one more 20-chunk article; and the bytes IndexedDB holds.
#![cfg(target_arch = "wasm32")]

use persona_core::bm25::Bm25Index;
use persona_core::chunk::ChunkConfig;
use persona_core::chunk::{title_of, Chunk};
use persona_core::embed::HashEmbedder;
use persona_core::index::IndexConfig;
use persona_core::index::VectorIndex;
use persona_core::knowledge::{Article, KnowledgeBase, SearchConfig};
use persona_core::persist::{
    finish_restore, knowledge_snapshot, read_exact_vectors, restore_knowledge_first, save_articles, segment,
    ArticleRecord, StoredChunk,
};
use persona_core::store::{Store, Table};
use persona_idb::IdbStore;
use wasm_bindgen_test::*;

mod common;

use common::{article, now, Rng, PARAGRAPHS};

wasm_bindgen_test_configure!(run_in_browser);

const ARTICLES: usize = 500;

#[wasm_bindgen_test]
async fn storage_benchmark_10k_chunks() {
    let name = "bench-10k";
    IdbStore::delete_database(name).await.unwrap();
    let mut rng = Rng(7);
    let articles: Vec<Article> = (0..ARTICLES).map(|n| article(&mut rng, n)).collect();

    let started = now();
    let mut kb = KnowledgeBase::new(HashEmbedder::default());
    kb.upsert_articles(articles).unwrap();
    kb.merge_index();
    let build_ms = now() - started;
    assert_eq!(kb.chunk_count(), ARTICLES * PARAGRAPHS);
    assert_eq!(kb.vector_index().segments(), (ARTICLES * PARAGRAPHS, 0, 0));

    let store = IdbStore::open(name).await.unwrap();
    let started = now();
    let batch = knowledge_snapshot(&kb);
    let encode_ms = now() - started;
    store.apply(&batch).await.unwrap();
    let save_ms = now() - started;
    let stored_bytes: usize = batch
        .writes
        .iter()
        .map(|w| match w {
            persona_core::store::Write::Put { key, value, .. } => key.len() + value.len(),
            _ => 0,
        })
        .sum();
    drop(batch);
    let question = "how much cash reserve should a bakery keep for the quiet season";
    let expected: Vec<String> = kb.search(question, 5).unwrap().into_iter().map(|r| r.chunk.id).collect();
    drop(kb);
    store.close();

    // The engine starts: open the database, restore, answer.
    let started = now();
    let store = IdbStore::open(name).await.unwrap();
    let opened_ms = now() - started;
    // The exact vectors are read after the first search, as the app does.
    let (mut kb, report) = restore_knowledge_first(
        &store,
        HashEmbedder::default(),
        ChunkConfig::default(),
        IndexConfig::default(),
        SearchConfig::default(),
    )
    .await
    .unwrap();
    let restored_ms = now() - started;
    assert!(kb.exact_pending());
    let answer = kb.search(question, 5).unwrap();
    let first_answer_ms = now() - started;
    let exact = read_exact_vectors(&store).await.unwrap();
    assert_eq!(finish_restore(&store, &mut kb, exact).await.unwrap(), None, "stored exact vectors fit");
    let complete_ms = now() - started;
    assert_eq!(kb.search(question, 5).unwrap(), answer, "the same answer with the stored vectors");
    assert_eq!(report.repaired, None, "restored as stored");
    assert_eq!(report.chunks, ARTICLES * PARAGRAPHS);
    assert_eq!(answer.into_iter().map(|r| r.chunk.id).collect::<Vec<_>>(), expected);

    // Where restore spends its time: the same steps again, one at a time (reads, then decoding).
    let started = now();
    let (content, base, delta, lexical, exact) = futures::join!(
        store.get(Table::IndexSegments, segment::CONTENT),
        store.get(Table::IndexSegments, segment::VECTOR_BASE),
        store.get(Table::IndexSegments, segment::VECTOR_DELTA),
        store.get(Table::IndexSegments, segment::LEXICAL),
        store.get(Table::IndexSegments, segment::VECTOR_EXACT),
    );
    let read_ms = now() - started;
    let bytes = |v: Result<Option<persona_core::store::Value>, _>| v.unwrap().unwrap().into_bytes("segment").unwrap();
    let (content, base, delta, lexical, exact) =
        (bytes(content), bytes(base), bytes(delta), bytes(lexical), bytes(exact));
    let started = now();
    let mut index = VectorIndex::from_segments(&base, &delta).unwrap();
    let vectors_ms = now() - started;
    let started = now();
    index.install_exact(&exact).unwrap();
    let exact_ms = now() - started;
    let started = now();
    let snapshot = postcard::from_bytes(&lexical).unwrap();
    let _bm25 = Bm25Index::from_snapshot(snapshot).unwrap();
    let lexical_ms = now() - started;
    let started = now();
    let entries: Vec<(ArticleRecord, Vec<StoredChunk>)> = postcard::from_bytes(&content).unwrap();
    let content_ms = now() - started;
    let started = now();
    let mut rebuilt = 0;
    for (record, list) in entries {
        let article = &record.article;
        assert_eq!(persona_core::text::fnv1a64(article.source.as_bytes()), record.source_hash);
        let title = title_of(&article.source);
        for c in list {
            rebuilt += usize::from(
                Chunk::from_source(&c.id, &article.id, &title, c.headings, &article.source, c.start, c.end).is_some(),
            );
        }
    }
    let chunks_ms = now() - started;
    assert_eq!((rebuilt, index.len()), (ARTICLES * PARAGRAPHS, ARTICLES * PARAGRAPHS));
    console_log!(
        "restore breakdown: read segments {read_ms:.0} ms ({:.1} MB: graph + codes {:.1}, exact vectors {:.1}, \
         BM25 {:.1}, content {:.1}); decode graph {vectors_ms:.0} ms, exact vectors {exact_ms:.0} ms, BM25 \
         {lexical_ms:.0} ms, content {content_ms:.0} ms; rebuild and check chunks {chunks_ms:.0} ms",
        (content.len() + base.len() + delta.len() + lexical.len() + exact.len()) as f64 / 1e6,
        (base.len() + delta.len()) as f64 / 1e6,
        exact.len() as f64 / 1e6,
        lexical.len() as f64 / 1e6,
        content.len() as f64 / 1e6,
    );

    // One more article of 20 chunks, saved with its index change in one transaction.
    let extra = article(&mut rng, ARTICLES);
    let started = now();
    let saved = save_articles(&store, &mut kb, vec![extra]).await.unwrap();
    let save_article_ms = now() - started;
    assert_eq!(saved.chunks_added, PARAGRAPHS);
    assert!(store.get(Table::Chunks, "article-500").await.unwrap().is_some(), "its chunks are stored");

    let usage = IdbStore::estimate_usage().await;
    console_log!(
        "storage benchmark: {} chunks × 384 dims; build (chunk + embed + HNSW) {build_ms:.0} ms; \
         save everything {save_ms:.0} ms (encoding {encode_ms:.0} ms), {:.1} MB written; \
         engine start → first answered search {first_answer_ms:.0} ms (open {opened_ms:.0} ms, \
         restore {:.0} ms, search {:.0} ms), exact vectors in at {complete_ms:.0} ms; save one 20-chunk article {save_article_ms:.0} ms; \
         origin usage {}",
        ARTICLES * PARAGRAPHS,
        stored_bytes as f64 / 1e6,
        restored_ms - opened_ms,
        first_answer_ms - restored_ms,
        match usage {
            Some((used, quota)) => format!("{:.1} MB of {:.0} MB", used / 1e6, quota / 1e6),
            None => "unknown".into(),
        }
    );
    store.close();
    IdbStore::delete_database(name).await.unwrap();
}
