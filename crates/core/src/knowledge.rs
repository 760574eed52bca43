//! Articles, their chunks and the vector index, kept in step.
//!
//! DESIGN.md, bug 1: saving an article must update the retrieval index in the same operation.
//! Here that is structural: the only way to add or change an article is
//! [`KnowledgeBase::upsert_articles`], which re-chunks, re-embeds what changed and rebuilds the
//! index before it returns. [`KnowledgeBase::check_consistency`] verifies the invariant.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chunk::{chunk_article, title_of, Chunk, ChunkConfig};
use crate::embed::{dot, Embedder, Embedding, EmbeddingError, HashEmbedder};
use crate::index::{IndexConfig, VectorIndex};

/// A source document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: String,
    pub title: String,
    pub source: String,
}

impl Article {
    pub fn new(id: impl Into<String>, source: impl Into<String>) -> Self {
        let source = source.into();
        Article { id: id.into(), title: title_of(&source), source }
    }
}

/// A chunk and how well it matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Retrieved {
    pub chunk: Chunk,
    pub score: f32,
}

/// What [`KnowledgeBase::check_consistency`] found wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsistencyReport {
    /// Chunks an article should have that the index lacks.
    pub missing_from_index: usize,
    /// Indexed entries that belong to no current chunk.
    pub stale_in_index: usize,
}

impl ConsistencyReport {
    pub fn is_consistent(&self) -> bool {
        self.missing_from_index == 0 && self.stale_in_index == 0
    }
}

/// Articles + chunks + embeddings + index.
pub struct KnowledgeBase<E: Embedder = HashEmbedder> {
    embedder: E,
    chunk_config: ChunkConfig,
    index_config: IndexConfig,
    articles: BTreeMap<String, Article>,
    chunks: BTreeMap<String, Chunk>,
    embeddings: BTreeMap<String, Embedding>,
    index: VectorIndex,
}

impl<E: Embedder> KnowledgeBase<E> {
    pub fn new(embedder: E) -> Self {
        let index = VectorIndex::build(embedder.id(), embedder.dim(), Vec::new(), &IndexConfig::default())
            .expect("an empty index always builds");
        KnowledgeBase {
            embedder,
            chunk_config: ChunkConfig::default(),
            index_config: IndexConfig::default(),
            articles: BTreeMap::new(),
            chunks: BTreeMap::new(),
            embeddings: BTreeMap::new(),
            index,
        }
    }

    pub fn embedder(&self) -> &E {
        &self.embedder
    }

    pub fn articles(&self) -> impl Iterator<Item = &Article> {
        self.articles.values()
    }

    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    pub fn chunks_of<'a>(&'a self, article_id: &'a str) -> impl Iterator<Item = &'a Chunk> + 'a {
        self.chunks.values().filter(move |c| c.article_id == article_id)
    }

    /// Adds or replaces articles and brings chunks, embeddings and the index up to date in the
    /// same call. Chunks whose content did not change keep their embeddings.
    pub fn upsert_articles(&mut self, articles: impl IntoIterator<Item = Article>) -> Result<(), EmbeddingError> {
        for article in articles {
            self.chunks.retain(|_, c| c.article_id != article.id);
            for chunk in chunk_article(&article.id, &article.source, &self.chunk_config) {
                self.chunks.insert(chunk.id.clone(), chunk);
            }
            self.articles.insert(article.id.clone(), article);
        }
        self.rebuild_index()
    }

    /// Removes an article with its chunks and index entries.
    pub fn remove_article(&mut self, article_id: &str) -> Result<bool, EmbeddingError> {
        if self.articles.remove(article_id).is_none() {
            return Ok(false);
        }
        self.chunks.retain(|_, c| c.article_id != article_id);
        self.rebuild_index()?;
        Ok(true)
    }

    fn rebuild_index(&mut self) -> Result<(), EmbeddingError> {
        self.embeddings.retain(|id, _| self.chunks.contains_key(id));
        for (id, chunk) in &self.chunks {
            if !self.embeddings.contains_key(id) {
                self.embeddings.insert(id.clone(), self.embedder.embed(&chunk.search_text()));
            }
        }
        let items = self.embeddings.iter().map(|(id, e)| (id.clone(), e.clone())).collect();
        self.index = VectorIndex::build(self.embedder.id(), self.embedder.dim(), items, &self.index_config)?;
        Ok(())
    }

    /// Compares the index with the chunks the articles produce now.
    pub fn check_consistency(&self) -> ConsistencyReport {
        let expected: std::collections::BTreeSet<String> = self
            .articles
            .values()
            .flat_map(|a| chunk_article(&a.id, &a.source, &self.chunk_config))
            .map(|c| c.id)
            .collect();
        let indexed: std::collections::BTreeSet<&String> = self.embeddings.keys().collect();
        ConsistencyReport {
            missing_from_index: expected.iter().filter(|id| !indexed.contains(id)).count(),
            stale_in_index: indexed.iter().filter(|id| !expected.contains(**id)).count(),
        }
    }

    /// The other chunks of the same article section (same heading path), in article order.
    pub fn siblings<'a>(&'a self, chunk: &Chunk) -> Vec<&'a Chunk> {
        let mut siblings: Vec<&Chunk> = self
            .chunks
            .values()
            .filter(|c| c.article_id == chunk.article_id && c.headings == chunk.headings && c.id != chunk.id)
            .collect();
        siblings.sort_by_key(|c| c.start);
        siblings
    }

    /// Like [`KnowledgeBase::search`], but a hit brings the rest of its section along when the
    /// section is small (at most `max_section` chunks): a list or an argument split across two
    /// chunks by the size limit is read whole. Siblings follow their hit, with its score.
    pub fn search_with_sections(
        &self,
        query: &str,
        k: usize,
        max_section: usize,
    ) -> Result<Vec<Retrieved>, EmbeddingError> {
        let mut out: Vec<Retrieved> = Vec::new();
        for hit in self.search(query, k)? {
            if out.iter().any(|r| r.chunk.id == hit.chunk.id) {
                continue;
            }
            let siblings = self.siblings(&hit.chunk);
            let score = hit.score;
            out.push(hit);
            if siblings.len() < max_section {
                for sibling in siblings {
                    if !out.iter().any(|r| r.chunk.id == sibling.id) {
                        out.push(Retrieved { chunk: sibling.clone(), score });
                    }
                }
            }
        }
        Ok(out)
    }

    /// The `k` chunks nearest to `query`, best first.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<Retrieved>, EmbeddingError> {
        let embedding = self.embedder.embed(query);
        Ok(self
            .index
            .search(&embedding, k)?
            .into_iter()
            .filter_map(|hit| {
                let chunk = self.chunks.get(&hit.id)?.clone();
                Some(Retrieved { chunk, score: hit.score })
            })
            .collect())
    }
}

/// A small collection of statements searched exactly (the persona's memories and profile).
/// Exact search is right at this size: a few hundred vectors take microseconds.
pub struct MemoryBank<E: Embedder = HashEmbedder> {
    embedder: E,
    items: Vec<(String, Embedding)>,
}

impl<E: Embedder> MemoryBank<E> {
    pub fn new(embedder: E, statements: impl IntoIterator<Item = String>) -> Self {
        let items = statements
            .into_iter()
            .map(|s| {
                let e = embedder.embed(&s);
                (s, e)
            })
            .collect();
        MemoryBank { embedder, items }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Up to `k` statements with a positive similarity to `query`, best first.
    pub fn search(&self, query: &str, k: usize) -> Vec<(String, f32)> {
        let q = self.embedder.embed(query);
        let mut scored: Vec<(String, f32)> = self
            .items
            .iter()
            .map(|(s, e)| (s.clone(), dot(&q.vector, &e.vector)))
            .filter(|(_, score)| *score > 0.0)
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1));
        scored.truncate(k);
        scored
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> KnowledgeBase {
        let mut kb = KnowledgeBase::new(HashEmbedder::default());
        kb.upsert_articles([
            Article::new("plan", "# Planning\n\n## Numbers\n\nFirms with a formal written plan grew 30% faster.\n\n## Steps\n\n1. Conduct market research.\n"),
            Article::new("cash", "# Cash\n\nKeep thirteen weeks of cash flow forecast in a spreadsheet.\n"),
        ])
        .unwrap();
        kb
    }

    #[test]
    fn saving_an_article_makes_it_searchable_at_once() {
        let kb = kb();
        assert_eq!(kb.chunk_count(), 3);
        assert!(kb.check_consistency().is_consistent());
        let hits = kb.search("how much faster do firms with a written plan grow", 1).unwrap();
        assert_eq!(hits.len(), 1);
        assert!(hits[0].chunk.body.contains("30% faster"));
    }

    #[test]
    fn editing_and_removing_keep_the_index_in_step() {
        let mut kb = kb();
        kb.upsert_articles([Article::new("cash", "# Cash\n\nInvoice promptly and chase late payers.\n")]).unwrap();
        assert_eq!(kb.chunk_count(), 3);
        assert!(kb.search("late payers invoice", 1).unwrap()[0].chunk.body.contains("chase"));
        assert!(kb.search("thirteen weeks forecast", 5).unwrap().iter().all(|r| !r.chunk.body.contains("thirteen")));
        assert!(kb.remove_article("plan").unwrap());
        assert_eq!(kb.chunk_count(), 1);
        assert!(!kb.remove_article("plan").unwrap());
        assert!(kb.check_consistency().is_consistent());
    }

    #[test]
    fn consistency_check_detects_a_stale_index() {
        let mut kb = kb();
        // Simulate bug 1: an article changed behind the index's back.
        kb.articles.get_mut("cash").unwrap().source = "# Cash\n\nSomething else entirely.\n".into();
        let report = kb.check_consistency();
        assert_eq!(report, ConsistencyReport { missing_from_index: 1, stale_in_index: 1 });
    }

    #[test]
    fn a_hit_brings_the_rest_of_a_small_section() {
        let mut kb = KnowledgeBase::new(HashEmbedder::default());
        kb.chunk_config = ChunkConfig { max_chars: 60 };
        kb.upsert_articles([Article::new(
            "plan",
            "# Plan\n\n## Steps\n\n1. Conduct market research with real customers.\n2. Work out your costs line by line.\n\n## Other\n\nUnrelated text about weather.\n",
        )])
        .unwrap();
        assert_eq!(kb.chunk_count(), 3);
        let plain = kb.search("market research customers", 1).unwrap();
        assert_eq!(plain.len(), 1);
        let whole = kb.search_with_sections("market research customers", 1, 3).unwrap();
        let bodies: Vec<&str> = whole.iter().map(|r| r.chunk.body.as_str()).collect();
        assert_eq!(bodies, ["1. Conduct market research with real customers.", "2. Work out your costs line by line."]);
        assert_eq!(kb.search_with_sections("market research customers", 1, 1).unwrap().len(), 1);
    }

    #[test]
    fn memory_bank_returns_related_statements_only() {
        let bank = MemoryBank::new(
            HashEmbedder::default(),
            ["A broken oven nearly closed the café.".to_string(), "She loves sourdough.".to_string()],
        );
        let hits = bank.search("what happened with the oven", 5);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].0.contains("oven"));
    }
}
