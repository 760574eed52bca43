//! Knowledge-bundle load time in headless Chromium: prints the figure, asserts correctness.
//!
//! A bundle of 1,000 chunks (50 synthetic articles of 20 paragraphs, as in `bench.rs`) with its
//! prebuilt index is built here, then timed: `load_bundle` (parse, checks, index restore,
//! consistency check) plus the first search, against a knowledge base built directly.
#![cfg(target_arch = "wasm32")]

use persona_core::bundle::{build_bundle, load_bundle};
use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{Article, KnowledgeBase};
use persona_core::persona::Persona;
use wasm_bindgen_test::*;

mod common;

use common::{article, now, Rng, PARAGRAPHS};

wasm_bindgen_test_configure!(run_in_browser);

const ARTICLES: usize = 50;

const QUESTIONS: &[&str] = &[
    "how much cash reserve should a bakery keep for the quiet season",
    "when do I raise the price of a quote for a client",
    "payroll tax for the first hire",
    "supplier delivery schedule and stock orders",
];

fn ids(kb: &KnowledgeBase, question: &str) -> Vec<(String, f32)> {
    kb.search(question, 8).unwrap().into_iter().map(|r| (r.chunk.id, r.score)).collect()
}

#[wasm_bindgen_test]
fn bundle_load_and_first_search_1k_chunks() {
    let mut rng = Rng(11);
    let articles: Vec<Article> = (0..ARTICLES).map(|n| article(&mut rng, n)).collect();
    let persona = Persona::from_card_json(persona_demo::JANE_CARD).unwrap();

    let started = now();
    let json = build_bundle(&persona, articles.clone(), true).unwrap();
    let build_ms = now() - started;
    let plain = build_bundle(&persona, articles.clone(), false).unwrap();

    let mut direct = KnowledgeBase::new(HashEmbedder::default());
    direct.upsert_articles(articles).unwrap();
    direct.merge_index();
    assert_eq!(direct.chunk_count(), ARTICLES * PARAGRAPHS);

    // What a visitor's browser pays: load the bundle, answer the first question.
    let started = now();
    let loaded = load_bundle(&json).unwrap();
    let loaded_ms = now() - started;
    let first = ids(&loaded.knowledge, QUESTIONS[0]);
    let first_ms = now() - started;
    assert!(loaded.prebuilt);
    assert_eq!(loaded.persona.name(), "Jane");
    assert_eq!(loaded.knowledge.chunk_count(), ARTICLES * PARAGRAPHS);
    assert!(!first.is_empty());
    assert_eq!(first, ids(&direct, QUESTIONS[0]), "the same answer as a knowledge base built directly");
    let started = now();
    let second = ids(&loaded.knowledge, QUESTIONS[1]);
    let second_ms = now() - started;
    assert_eq!(second, ids(&direct, QUESTIONS[1]), "{}", QUESTIONS[1]);
    for question in &QUESTIONS[2..] {
        assert_eq!(ids(&loaded.knowledge, question), ids(&direct, question), "{question}");
    }
    assert_eq!(loaded.knowledge.vector_index().to_bytes(), direct.vector_index().to_bytes());

    // The same bundle without its index: the browser chunks, embeds and indexes everything.
    let started = now();
    let rebuilt = load_bundle(&plain).unwrap();
    let rebuilt_first = ids(&rebuilt.knowledge, QUESTIONS[0]);
    let rebuilt_ms = now() - started;
    assert!(!rebuilt.prebuilt);
    assert_eq!(rebuilt_first, first);

    console_log!(
        "bundle: {} chunks, {} bytes, load + first search {first_ms:.0} ms (load {loaded_ms:.0} ms, search {:.0} ms, a second search {second_ms:.1} ms); \
         build in the browser {build_ms:.0} ms; without a prebuilt index ({} bytes) load + first search {rebuilt_ms:.0} ms",
        loaded.knowledge.chunk_count(),
        json.len(),
        first_ms - loaded_ms,
        plain.len(),
    );
}
