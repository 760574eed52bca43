//! `persona eval retrieval`: how often retrieval puts the answer passage in the top k.
//!
//! A query is a hit at k when any of the top-k chunks contains any of its `answer_contains`
//! strings after whitespace runs are collapsed to one space (case-sensitive). Prints a table,
//! then one JSON object as the last line of stdout.

use std::path::Path;
use std::time::Instant;

use persona_core::chunk::ChunkConfig;
use persona_core::embed::{BatchEmbedder, Embedding};
use persona_core::index::IndexConfig;
use persona_core::knowledge::{Article, KnowledgeBase, SearchConfig};
use serde::Deserialize;
use serde_json::json;

/// One evaluation question.
#[derive(Debug, Deserialize)]
pub struct Query {
    pub id: String,
    pub question: String,
    pub answer_contains: Vec<String>,
}

#[derive(Deserialize)]
struct CorpusLine {
    id: String,
    #[serde(default)]
    title: Option<String>,
    text: String,
}

/// Reads a corpus: a folder of `.md`/`.txt` files, or a JSONL file of `{"id","title","text"}`.
pub fn load_corpus(path: &Path) -> Result<Vec<Article>, String> {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("md" | "txt")))
            .collect();
        entries.sort();
        let mut articles = Vec::new();
        for file in entries {
            let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let text = persona_core::chunk::decode_text(&bytes).map_err(|e| format!("{}: {e}", file.display()))?;
            let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("article").to_string();
            let article = if text.lines().any(|l| l.trim_start().starts_with("# ")) {
                Article::new(stem, text)
            } else {
                Article::with_title(stem.clone(), stem, text)
            };
            articles.push(article);
        }
        Ok(articles)
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut articles = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let line: CorpusLine =
                serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            let title = line.title.unwrap_or_else(|| line.id.clone());
            articles.push(Article::with_title(line.id, title, line.text));
        }
        Ok(articles)
    }
}

/// Reads JSONL queries (fields other than `id`, `question`, `answer_contains` are ignored).
pub fn load_queries(path: &Path) -> Result<Vec<Query>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), n + 1)))
        .collect()
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The embedder under evaluation, with a blocking way to embed chunks and queries (locally or
/// over HTTP).
pub trait QueryEmbedder: BatchEmbedder + Sized {
    fn embed_chunks(&self, texts: &[String]) -> Result<Vec<Embedding>, String>;
    fn embed_queries(knowledge: &KnowledgeBase<Self>, texts: &[String]) -> Result<Vec<Embedding>, String>;
}

/// Runs the evaluation and prints the table and the JSON line.
pub fn run<E: QueryEmbedder>(
    embedder: E,
    articles: Vec<Article>,
    queries: &[Query],
    k: usize,
    search: SearchConfig,
) -> Result<serde_json::Value, String> {
    let retriever = search.retriever;
    let mut knowledge =
        KnowledgeBase::with_config(embedder, ChunkConfig::default(), IndexConfig::default(), search.clone());
    let started = Instant::now();
    let prepared = knowledge.prepare_upsert(articles);
    let embeddings = knowledge.embedder().embed_chunks(prepared.texts_to_embed())?;
    knowledge.commit_upsert(prepared, embeddings).map_err(|e| e.to_string())?;
    let index_build_ms = started.elapsed().as_secs_f64() * 1000.0;

    let depth = k.max(10);
    let questions: Vec<String> = queries.iter().map(|q| q.question.clone()).collect();
    let mut total_query = std::time::Duration::ZERO;
    let started = Instant::now();
    let query_embeddings = E::embed_queries(&knowledge, &questions)?;
    total_query += started.elapsed();

    let mut ranks: Vec<Option<usize>> = Vec::with_capacity(queries.len());
    println!("{:<22} {:>5}  question", "query", "rank");
    for (query, embedding) in queries.iter().zip(&query_embeddings) {
        let started = Instant::now();
        let hits = knowledge.search_embedded(&query.question, embedding, depth).map_err(|e| e.to_string())?;
        total_query += started.elapsed();
        let rank = hits.iter().position(|hit| {
            let body = collapse(&hit.chunk.body);
            query.answer_contains.iter().any(|needle| body.contains(&collapse(needle)))
        });
        let shown = rank.map_or("-".to_string(), |r| (r + 1).to_string());
        let question: String = query.question.chars().take(70).collect();
        println!("{:<22} {:>5}  {question}", query.id, shown);
        ranks.push(rank);
    }

    let n = queries.len().max(1) as f64;
    let hit_at = |cut: usize| ranks.iter().filter(|r| r.is_some_and(|r| r < cut)).count() as f64 / n;
    let mrr = ranks.iter().map(|r| r.filter(|r| *r < 10).map_or(0.0, |r| 1.0 / (r as f64 + 1.0))).sum::<f64>() / n;
    let sizes: Vec<usize> = knowledge.chunks().map(|c| c.body.chars().count()).collect();
    let mean_chunk = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64;
    let summary = json!({
        "queries": queries.len(),
        "k": k,
        "hit_at_k": hit_at(k),
        "hit_at_1": hit_at(1),
        "hit_at_5": hit_at(5),
        "hit_at_10": hit_at(10),
        "mrr_at_10": mrr,
        "chunks": sizes.len(),
        "mean_chunk_chars": mean_chunk,
        "max_chunk_chars": sizes.iter().max().copied().unwrap_or(0),
        "retriever": retriever.to_string(),
        "rrf_k": search.rrf_k,
        "synonym_weight": search.synonym_weight,
        "feedback_weight": search.feedback_weight,
        "feedback_passages": search.feedback_passages,
        "bm25_weight": search.bm25_weight,
        "embedder": knowledge.embedder().id(),
        "index_build_ms": index_build_ms,
        "mean_query_ms": total_query.as_secs_f64() * 1000.0 / n,
    });
    println!();
    println!(
        "{} queries, {} chunks (mean {:.0} chars, max {}), {} retriever, {} embedder",
        queries.len(),
        sizes.len(),
        mean_chunk,
        summary["max_chunk_chars"],
        retriever,
        knowledge.embedder().id()
    );
    println!(
        "hit@1 {:.3}  hit@5 {:.3}  hit@10 {:.3}  hit@{k} {:.3}  MRR@10 {:.3}",
        hit_at(1),
        hit_at(5),
        hit_at(10),
        hit_at(k),
        mrr
    );
    println!("{summary}");
    Ok(summary)
}
