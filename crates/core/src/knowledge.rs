//! Articles, their chunks, the vector index and the BM25 index, kept in step; retrieval.
//!
//! DESIGN.md, bug 1: saving an article must update the retrieval index in the same operation.
//! Here that is structural: the only ways to change articles are [`KnowledgeBase::upsert_articles`]
//! (or its two-step form for asynchronous embedders, [`KnowledgeBase::prepare_upsert`] then
//! [`KnowledgeBase::commit_upsert`]) and [`KnowledgeBase::remove_article`], which update chunks,
//! the vector index and the lexical index together, validating everything before changing
//! anything. An edit re-embeds only the chunks whose content changed (chunk ids are content
//! hashes). [`KnowledgeBase::check_consistency`] verifies the invariant and
//! [`KnowledgeBase::repair`] restores it for content that drifted (say, stored by an older
//! version).
//!
//! Retrieval is hybrid by default: BM25 and vector rankings fused by reciprocal rank
//! ([`Retriever`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::bm25::{Bm25Config, Bm25Index};
use crate::chunk::{chunk_article, title_of, Chunk, ChunkConfig};
use crate::embed::{dot, normalize, BatchEmbedder, Embedder, Embedding, EmbeddingError, HashEmbedder};
use crate::index::{IndexConfig, VectorIndex};
use crate::lexicon::Lexicon;
use crate::text::terms;

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

    /// An article with an explicit title (plain text without a `# ` heading, JSON corpora).
    pub fn with_title(id: impl Into<String>, title: impl Into<String>, source: impl Into<String>) -> Self {
        Article { id: id.into(), title: title.into(), source: source.into() }
    }
}

/// The query weight of a term no chunk contains (see [`KnowledgeBase::embed_query`]).
pub const UNSEEN_TERM_WEIGHT: f32 = 0.5;

/// A chunk and how well it matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Retrieved {
    pub chunk: Chunk,
    pub score: f32,
}

/// Which ranking answers a search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Retriever {
    /// BM25 and vector rankings fused by reciprocal rank (the default).
    #[default]
    Hybrid,
    /// Lexical only.
    Bm25,
    /// Vector only.
    Vector,
}

impl std::str::FromStr for Retriever {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hybrid" => Ok(Retriever::Hybrid),
            "bm25" => Ok(Retriever::Bm25),
            "vector" => Ok(Retriever::Vector),
            other => Err(format!("unknown retriever `{other}` (expected hybrid, bm25 or vector)")),
        }
    }
}

impl std::fmt::Display for Retriever {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Retriever::Hybrid => "hybrid",
            Retriever::Bm25 => "bm25",
            Retriever::Vector => "vector",
        })
    }
}

/// Tuning for retrieval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchConfig {
    pub retriever: Retriever,
    /// Each ranking contributes this many candidates per requested result to the fusion.
    pub candidates_per_result: usize,
    /// The reciprocal-rank-fusion constant: a hit at rank r scores `weight / (rrf_k + r)`.
    pub rrf_k: f32,
    /// Weight of the lexical ranking in the fusion (the vector ranking has weight 1).
    pub bm25_weight: f32,
    /// Query expansion: a synonym from the built-in [`Lexicon`] counts this much of a word
    /// the visitor typed (0 turns expansion off).
    pub synonym_weight: f32,
    /// Hybrid only, pseudo-relevance feedback (Rocchio): the vector search looks for the query
    /// moved towards the mean vector of the lexical ranking's top `feedback_passages`, by this
    /// weight (0 turns feedback off).
    pub feedback_weight: f32,
    pub feedback_passages: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        // Chosen on eval/demo-retrieval.jsonl (see README, "Measuring retrieval"). Both offline
        // rankings are lexical at heart, so fusing them as they are adds little; feedback gives
        // the vector side what BM25 lacks — passages *like* the best lexical matches (the same
        // section, the same topic in other words) — and synonyms help both.
        SearchConfig {
            retriever: Retriever::Hybrid,
            // With the default retrieval depth of 8, 3 per result keeps the vector search within
            // the graph's beam (`IndexConfig::ef_search`, 24) instead of falling back to exact.
            candidates_per_result: 3,
            rrf_k: 20.0,
            bm25_weight: 1.0,
            synonym_weight: 1.0,
            feedback_weight: 0.6,
            feedback_passages: 3,
        }
    }
}

/// What went wrong changing the knowledge base. Nothing was changed.
#[derive(Debug, Error, PartialEq)]
pub enum KnowledgeError {
    /// An embedding does not fit the index.
    #[error(transparent)]
    Embedding(#[from] EmbeddingError),
    /// The embeddings do not match the chunks they were made for.
    #[error("{found} embeddings were supplied for {expected} new chunks")]
    EmbeddingCount { expected: usize, found: usize },
}

/// What [`KnowledgeBase::check_consistency`] found wrong.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsistencyReport {
    /// Chunks the articles produce that the vector index lacks.
    pub missing_from_index: usize,
    /// Vector-index entries that belong to no current chunk.
    pub stale_in_index: usize,
    /// Chunks the articles produce that the lexical index lacks.
    pub missing_from_lexical: usize,
    /// Lexical entries that belong to no current chunk.
    pub stale_in_lexical: usize,
}

impl ConsistencyReport {
    pub fn is_consistent(&self) -> bool {
        *self == ConsistencyReport::default()
    }
}

/// What an upsert changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpsertReport {
    /// Chunks new or changed (embedded and indexed).
    pub chunks_added: usize,
    /// Chunks that no longer exist (removed from both indexes).
    pub chunks_removed: usize,
    /// Chunks whose content did not change (kept with their vectors).
    pub chunks_kept: usize,
}

/// An upsert waiting for its embeddings: see [`KnowledgeBase::prepare_upsert`].
#[derive(Clone, Debug)]
pub struct PreparedUpsert {
    articles: Vec<Article>,
    /// Every chunk of the new articles.
    chunks: Vec<Chunk>,
    /// Ids of the chunks that need a vector, in the order of [`PreparedUpsert::texts_to_embed`].
    to_embed: Vec<String>,
    texts: Vec<String>,
}

impl PreparedUpsert {
    /// The texts to embed, one per new or changed chunk.
    pub fn texts_to_embed(&self) -> &[String] {
        &self.texts
    }
}

/// Articles + chunks + vector index + BM25 index.
pub struct KnowledgeBase<E = HashEmbedder> {
    embedder: E,
    chunk_config: ChunkConfig,
    search_config: SearchConfig,
    articles: BTreeMap<String, Article>,
    chunks: BTreeMap<String, Chunk>,
    index: VectorIndex,
    lexical: Bm25Index,
    /// Article id → its chunk ids in article order; built on first use after a change (every
    /// method that changes chunks resets it), so section lookups do not scan every chunk.
    by_article: OnceLock<HashMap<String, Vec<String>>>,
}

impl<E: BatchEmbedder> KnowledgeBase<E> {
    pub fn new(embedder: E) -> Self {
        Self::with_config(embedder, ChunkConfig::default(), IndexConfig::default(), SearchConfig::default())
    }

    pub fn with_config(
        embedder: E,
        chunk_config: ChunkConfig,
        index_config: IndexConfig,
        search_config: SearchConfig,
    ) -> Self {
        let index = VectorIndex::new(embedder.id(), embedder.dim(), &index_config);
        KnowledgeBase {
            embedder,
            chunk_config,
            search_config,
            articles: BTreeMap::new(),
            chunks: BTreeMap::new(),
            by_article: OnceLock::new(),
            index,
            lexical: Bm25Index::new(Bm25Config::default()),
        }
    }

    /// A knowledge base from stored parts (see [`crate::persist::restore_knowledge`]): nothing
    /// is chunked, embedded or indexed again. The caller checks consistency.
    pub fn from_parts(
        embedder: E,
        chunk_config: ChunkConfig,
        search_config: SearchConfig,
        articles: Vec<Article>,
        chunks: Vec<Chunk>,
        index: VectorIndex,
        lexical: Bm25Index,
    ) -> Self {
        KnowledgeBase {
            embedder,
            chunk_config,
            search_config,
            articles: articles.into_iter().map(|a| (a.id.clone(), a)).collect(),
            chunks: chunks.into_iter().map(|c| (c.id.clone(), c)).collect(),
            index,
            lexical,
            by_article: OnceLock::new(),
        }
    }

    /// The parts [`KnowledgeBase::from_parts`] takes back, by reference.
    pub fn lexical_index(&self) -> &Bm25Index {
        &self.lexical
    }

    pub fn chunk_config(&self) -> &ChunkConfig {
        &self.chunk_config
    }

    pub fn embedder(&self) -> &E {
        &self.embedder
    }

    pub fn search_config(&self) -> &SearchConfig {
        &self.search_config
    }

    pub fn set_retriever(&mut self, retriever: Retriever) {
        self.search_config.retriever = retriever;
    }

    pub fn articles(&self) -> impl Iterator<Item = &Article> {
        self.articles.values()
    }

    pub fn article(&self, id: &str) -> Option<&Article> {
        self.articles.get(id)
    }

    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    pub fn chunks(&self) -> impl Iterator<Item = &Chunk> {
        self.chunks.values()
    }

    pub fn chunk(&self, id: &str) -> Option<&Chunk> {
        self.chunks.get(id)
    }

    /// An article's chunks, in article order.
    pub fn chunks_of<'a>(&'a self, article_id: &'a str) -> impl Iterator<Item = &'a Chunk> + 'a {
        self.by_article().get(article_id).into_iter().flatten().filter_map(|id| self.chunks.get(id))
    }

    /// The article → chunk ids map, built when first needed after a change.
    fn by_article(&self) -> &HashMap<String, Vec<String>> {
        self.by_article.get_or_init(|| {
            let mut map: HashMap<String, Vec<&Chunk>> = HashMap::new();
            for chunk in self.chunks.values() {
                map.entry(chunk.article_id.clone()).or_default().push(chunk);
            }
            map.into_iter()
                .map(|(article, mut chunks)| {
                    chunks.sort_by_key(|c| c.start);
                    (article, chunks.into_iter().map(|c| c.id.clone()).collect())
                })
                .collect()
        })
    }

    pub fn vector_index(&self) -> &VectorIndex {
        &self.index
    }

    /// Step one of an upsert: chunks the articles and lists the chunks that need a vector
    /// (those not indexed yet). Changes nothing.
    pub fn prepare_upsert(&self, articles: impl IntoIterator<Item = Article>) -> PreparedUpsert {
        let articles: Vec<Article> = articles.into_iter().collect();
        let mut chunks = Vec::new();
        let mut to_embed = Vec::new();
        let mut texts = Vec::new();
        let mut seen = BTreeSet::new();
        for article in &articles {
            for chunk in chunk_article(&article.id, &article.source, &self.chunk_config) {
                if !self.index.contains(&chunk.id) && seen.insert(chunk.id.clone()) {
                    to_embed.push(chunk.id.clone());
                    texts.push(chunk.search_text());
                }
                chunks.push(chunk);
            }
        }
        PreparedUpsert { articles, chunks, to_embed, texts }
    }

    /// Step two: applies a prepared upsert with the embeddings of its
    /// [`PreparedUpsert::texts_to_embed`], in order. Articles, chunks and both indexes change
    /// together; on error nothing changes.
    pub fn commit_upsert(
        &mut self,
        prepared: PreparedUpsert,
        embeddings: Vec<Embedding>,
    ) -> Result<UpsertReport, KnowledgeError> {
        if embeddings.len() != prepared.to_embed.len() {
            return Err(KnowledgeError::EmbeddingCount { expected: prepared.to_embed.len(), found: embeddings.len() });
        }
        for embedding in &embeddings {
            if embedding.embedder != self.index.embedder() {
                return Err(EmbeddingError::WrongEmbedder {
                    expected: self.index.embedder().to_string(),
                    found: embedding.embedder.clone(),
                }
                .into());
            }
            if embedding.vector.len() != self.index.dim() {
                return Err(EmbeddingError::WrongDimension {
                    expected: self.index.dim(),
                    found: embedding.vector.len(),
                }
                .into());
            }
        }

        // Validated: from here on nothing fails.
        let article_ids: BTreeSet<&str> = prepared.articles.iter().map(|a| a.id.as_str()).collect();
        let new_ids: BTreeSet<&str> = prepared.chunks.iter().map(|c| c.id.as_str()).collect();
        let old_ids: BTreeSet<String> = self
            .chunks
            .values()
            .filter(|c| article_ids.contains(c.article_id.as_str()))
            .map(|c| c.id.clone())
            .collect();
        let mut report = UpsertReport::default();
        self.by_article.take();
        for id in &old_ids {
            if new_ids.contains(id.as_str()) {
                report.chunks_kept += 1;
            } else {
                self.chunks.remove(id);
                self.index.remove(id);
                self.lexical.remove(id);
                report.chunks_removed += 1;
            }
        }
        for (id, embedding) in prepared.to_embed.iter().zip(embeddings) {
            self.index.insert(id, embedding).expect("validated above");
        }
        for chunk in prepared.chunks {
            if !self.lexical.contains(&chunk.id) {
                self.lexical.insert(&chunk.id, &chunk.search_text());
            }
            if !old_ids.contains(&chunk.id) {
                report.chunks_added += 1;
            }
            self.chunks.insert(chunk.id.clone(), chunk);
        }
        for article in prepared.articles {
            self.articles.insert(article.id.clone(), article);
        }
        // A restored base waiting for its exact vectors merges once they are in.
        if self.index.needs_merge() && !self.index.exact_pending() {
            self.index = self.index.merged();
        }
        Ok(report)
    }

    /// Folds the vector index's delta and tombstones into a new base graph, if it has any.
    pub fn merge_index(&mut self) {
        self.fill_exact();
        let (_, delta, tombstones) = self.index.segments();
        if delta + tombstones > 0 {
            self.index = self.index.merged();
        }
    }

    /// Removes an article with its chunks and index entries.
    pub fn remove_article(&mut self, article_id: &str) -> bool {
        if self.articles.remove(article_id).is_none() {
            return false;
        }
        let ids: Vec<String> = self.chunks_of(article_id).map(|c| c.id.clone()).collect();
        self.by_article.take();
        for id in ids {
            self.chunks.remove(&id);
            self.index.remove(&id);
            self.lexical.remove(&id);
        }
        true
    }

    /// Ids of the chunks the articles produce now.
    fn expected_chunk_ids(&self) -> BTreeSet<String> {
        self.articles.values().flat_map(|a| chunk_article(&a.id, &a.source, &self.chunk_config)).map(|c| c.id).collect()
    }

    /// Compares both indexes with the chunks the articles produce now.
    pub fn check_consistency(&self) -> ConsistencyReport {
        let expected = self.expected_chunk_ids();
        let indexed: BTreeSet<String> = self.index.ids().into_iter().collect();
        let lexical: BTreeSet<&String> = self.lexical.ids().collect();
        ConsistencyReport {
            missing_from_index: expected.iter().filter(|id| !indexed.contains(*id)).count(),
            stale_in_index: indexed.iter().filter(|id| !expected.contains(*id)).count(),
            missing_from_lexical: expected.iter().filter(|id| !lexical.contains(id)).count(),
            stale_in_lexical: lexical.iter().filter(|id| !expected.contains(**id)).count(),
        }
    }

    /// The query's terms, each once, plus their synonyms at the configured weight.
    pub fn expanded_terms(&self, query: &str) -> Vec<(String, f32)> {
        Lexicon::builtin().expand(&terms(query), self.search_config.synonym_weight)
    }

    /// Fuses the rankings for `query` whose vector is `query_embedding` (made by the same
    /// embedder; see [`KnowledgeBase::search`] for local embedders).
    pub fn search_embedded(
        &self,
        query: &str,
        query_embedding: &Embedding,
        k: usize,
    ) -> Result<Vec<Retrieved>, EmbeddingError> {
        let config = &self.search_config;
        let depth = k * config.candidates_per_result.max(1);
        let ranked: Vec<(String, f32)> = match config.retriever {
            Retriever::Vector => {
                self.index.search_with(query_embedding, k, &self.exact_vector())?.into_iter().map(|h| (h.id, h.score)).collect()
            }
            Retriever::Bm25 => self.lexical.search_weighted(&self.expanded_terms(query), k),
            Retriever::Hybrid => {
                let lexical = self.lexical.search_weighted(&self.expanded_terms(query), depth);
                let vector =
                    self.index.search_with(&self.with_feedback(query_embedding, &lexical), depth, &self.exact_vector())?;
                let mut fused: HashMap<String, f32> = HashMap::new();
                for (rank, hit) in vector.iter().enumerate() {
                    *fused.entry(hit.id.clone()).or_default() += 1.0 / (config.rrf_k + rank as f32 + 1.0);
                }
                for (rank, (id, _)) in lexical.iter().enumerate() {
                    *fused.entry(id.clone()).or_default() += config.bm25_weight / (config.rrf_k + rank as f32 + 1.0);
                }
                let mut fused: Vec<(String, f32)> = fused.into_iter().collect();
                fused.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                fused.truncate(k);
                fused
            }
        };
        Ok(ranked
            .into_iter()
            .filter_map(|(id, score)| Some(Retrieved { chunk: self.chunks.get(&id)?.clone(), score }))
            .collect())
    }

    /// `query` moved towards the mean vector of the first `feedback_passages` of `ranked`,
    /// by `feedback_weight`, and renormalised (Rocchio feedback).
    fn with_feedback(&self, query: &Embedding, ranked: &[(String, f32)]) -> Embedding {
        let config = &self.search_config;
        let exact = self.exact_vector();
        let passages: Vec<std::borrow::Cow<[f32]>> = ranked
            .iter()
            .take(config.feedback_passages)
            .filter_map(|(id, _)| match self.index.vector(id) {
                Some(vector) => Some(std::borrow::Cow::Borrowed(vector)),
                None => exact(id).map(std::borrow::Cow::Owned),
            })
            .collect();
        if config.feedback_weight <= 0.0 || passages.is_empty() {
            return query.clone();
        }
        let mut moved = query.clone();
        let share = config.feedback_weight / passages.len() as f32;
        for passage in passages {
            moved.vector.iter_mut().zip(passage.iter()).for_each(|(q, p)| *q += share * p);
        }
        normalize(&mut moved.vector);
        moved
    }

    /// The exact vector of a chunk, made again by a local embedder: what the index uses for
    /// base vectors while its stored exact vectors are still being read (the same text gives
    /// the same vector, so results do not change when they arrive).
    fn exact_vector(&self) -> impl Fn(&str) -> Option<Vec<f32>> + '_ {
        move |id: &str| {
            if !self.index.exact_pending() {
                return None;
            }
            let chunk = self.chunks.get(id)?;
            self.embedder.embed_now(&chunk.search_text()).map(|e| e.vector)
        }
    }

    /// True while the index, restored without its exact vectors, waits for them
    /// ([`KnowledgeBase::install_exact`]). Searches answer meanwhile, exactly with a local
    /// embedder.
    pub fn exact_pending(&self) -> bool {
        self.index.exact_pending()
    }

    /// Adds the stored exact vectors ([`crate::persist::load_exact_vectors`]).
    pub fn install_exact(&mut self, bytes: &[u8]) -> Result<(), crate::index::IndexFormatError> {
        self.index.install_exact(bytes)
    }

    /// Makes pending exact vectors from the chunks (local embedders; others keep the quantised
    /// approximation): the repair when the stored ones are lost, and the step before a merge.
    pub fn fill_exact(&mut self) {
        if self.index.exact_pending() {
            let exact = |id: &str| {
                let chunk = self.chunks.get(id)?;
                self.embedder.embed_now(&chunk.search_text()).map(|e| e.vector)
            };
            self.index.fill_exact(&exact);
        }
    }

    /// The other chunks of the same article section (same heading path), in article order.
    pub fn siblings<'a>(&'a self, chunk: &Chunk) -> Vec<&'a Chunk> {
        let ids = self.by_article().get(&chunk.article_id).map(Vec::as_slice).unwrap_or_default();
        ids.iter()
            .filter_map(|id| self.chunks.get(id))
            .filter(|c| c.headings == chunk.headings && c.id != chunk.id)
            .collect()
    }

    /// Adds to `hits` the rest of each hit's section when the section is small (at most
    /// `max_section` chunks): a list or an argument split across two chunks by the size limit
    /// is read whole. Siblings follow their hit, with its score.
    pub fn with_sections(&self, hits: Vec<Retrieved>, max_section: usize) -> Vec<Retrieved> {
        let mut out: Vec<Retrieved> = Vec::new();
        for hit in hits {
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
        out
    }
}

impl<E: Embedder> KnowledgeBase<E> {
    /// Adds or replaces articles and brings chunks and both indexes up to date in the same
    /// call. Chunks whose content did not change keep their vectors.
    pub fn upsert_articles(
        &mut self,
        articles: impl IntoIterator<Item = Article>,
    ) -> Result<UpsertReport, KnowledgeError> {
        let prepared = self.prepare_upsert(articles);
        let embeddings = prepared.texts.iter().map(|t| self.embedder.embed(t)).collect();
        self.commit_upsert(prepared, embeddings)
    }

    /// Rebuilds whatever [`KnowledgeBase::check_consistency`] finds out of step: re-chunks
    /// every article, embeds chunks the index lacks, drops entries no article produces.
    pub fn repair(&mut self) -> Result<ConsistencyReport, KnowledgeError> {
        let found = self.check_consistency();
        if found.is_consistent() {
            return Ok(found);
        }
        let articles: Vec<Article> = self.articles.values().cloned().collect();
        let expected = self.expected_chunk_ids();
        for id in self.index.ids() {
            if !expected.contains(&id) {
                self.index.remove(&id);
            }
        }
        let stale: Vec<String> = self.lexical.ids().filter(|id| !expected.contains(*id)).cloned().collect();
        for id in stale {
            self.lexical.remove(&id);
        }
        self.chunks.retain(|id, _| expected.contains(id));
        self.by_article.take();
        self.upsert_articles(articles)?;
        Ok(found)
    }

    /// The `k` best chunks for `query`, best first, by the configured [`Retriever`].
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<Retrieved>, EmbeddingError> {
        let embedding = self.embed_query(query);
        self.search_embedded(query, &embedding, k)
    }

    /// The query's vector, its terms weighted by their IDF in this corpus.
    pub fn embed_query(&self, query: &str) -> Embedding {
        // Terms the corpus never uses can only match by hash collision or shared trigrams:
        // they get a small fixed weight rather than the (maximal) IDF of an unseen word.
        // Synonyms the corpus never uses could only add hash-collision noise.
        let mut synonyms = Lexicon::builtin().expansions(&terms(query), self.search_config.synonym_weight);
        synonyms.retain(|(term, _)| self.lexical.document_frequency(term) > 0);
        let weight = |term: &str| {
            if self.lexical.document_frequency(term) == 0 {
                UNSEEN_TERM_WEIGHT
            } else {
                self.lexical.idf(term)
            }
        };
        self.embedder.embed_query_expanded(query, &weight, &synonyms)
    }

    /// [`KnowledgeBase::search`] followed by [`KnowledgeBase::with_sections`].
    pub fn search_with_sections(
        &self,
        query: &str,
        k: usize,
        max_section: usize,
    ) -> Result<Vec<Retrieved>, EmbeddingError> {
        Ok(self.with_sections(self.search(query, k)?, max_section))
    }
}

/// Memories less similar than this to the question are not recalled: hashed features collide,
/// so unrelated statements score small positive values by chance.
pub const MIN_MEMORY_SIMILARITY: f32 = 0.1;

/// A small collection of statements searched exactly (the persona's memories and profile).
/// Exact search is right at this size: a few hundred vectors take microseconds.
#[derive(Clone)]
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

    /// Adds a statement (searchable at once).
    pub fn remember(&mut self, statement: String) {
        let embedding = self.embedder.embed(&statement);
        self.items.push((statement, embedding));
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// Up to `k` statements with a positive similarity to `query`, best first.
    pub fn search(&self, query: &str, k: usize) -> Vec<(String, f32)> {
        let q = self.embedder.embed(query);
        let mut scored: Vec<(String, f32)> = self
            .items
            .iter()
            .map(|(s, e)| (s.clone(), dot(&q.vector, &e.vector)))
            .filter(|(_, score)| *score >= MIN_MEMORY_SIMILARITY)
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
        for retriever in [Retriever::Hybrid, Retriever::Bm25, Retriever::Vector] {
            let mut kb = kb.clone_for_test();
            kb.set_retriever(retriever);
            let hits = kb.search("how much faster do firms with a written plan grow", 1).unwrap();
            assert_eq!(hits.len(), 1, "{retriever}");
            assert!(hits[0].chunk.body.contains("30% faster"), "{retriever}");
        }
    }

    #[test]
    fn editing_re_embeds_only_changed_chunks_and_old_text_is_gone() {
        let mut kb = kb();
        let report = kb
            .upsert_articles([Article::new(
                "plan",
                "# Planning\n\n## Numbers\n\nFirms with a formal written plan grew 30% faster.\n\n## Steps\n\n1. Talk to customers first.\n",
            )])
            .unwrap();
        assert_eq!(report, UpsertReport { chunks_added: 1, chunks_removed: 1, chunks_kept: 1 });
        assert_eq!(kb.chunk_count(), 3);
        for retriever in [Retriever::Bm25, Retriever::Vector, Retriever::Hybrid] {
            kb.set_retriever(retriever);
            let hits = kb.search("conduct market research", 5).unwrap();
            assert!(hits.iter().all(|r| !r.chunk.body.contains("Conduct market research")), "{retriever}");
        }
        assert!(kb.search("talk to customers", 1).unwrap()[0].chunk.body.contains("Talk to customers"));
        assert!(kb.check_consistency().is_consistent());
    }

    #[test]
    fn deleting_an_article_removes_it_from_every_index() {
        let mut kb = kb();
        assert!(kb.remove_article("plan"));
        assert!(!kb.remove_article("plan"));
        assert_eq!(kb.chunk_count(), 1);
        for retriever in [Retriever::Bm25, Retriever::Vector, Retriever::Hybrid] {
            kb.set_retriever(retriever);
            assert!(kb
                .search("formal written plan 30% faster", 5)
                .unwrap()
                .iter()
                .all(|r| r.chunk.article_id == "cash"));
        }
        assert!(kb.check_consistency().is_consistent());
    }

    #[test]
    fn two_step_upsert_validates_before_changing_anything() {
        let mut kb = kb();
        let prepared = kb.prepare_upsert([Article::new("tax", "# Tax\n\nFile sales tax every quarter.\n")]);
        assert_eq!(prepared.texts_to_embed().len(), 1);
        let err = kb.commit_upsert(prepared.clone(), vec![]).unwrap_err();
        assert_eq!(err, KnowledgeError::EmbeddingCount { expected: 1, found: 0 });
        let wrong = HashEmbedder::new(8).embed("x");
        assert!(matches!(kb.commit_upsert(prepared.clone(), vec![wrong]), Err(KnowledgeError::Embedding(_))));
        assert!(kb.article("tax").is_none(), "a failed commit changes nothing");
        assert_eq!(kb.chunk_count(), 3);
        let embeddings = prepared.texts_to_embed().iter().map(|t| kb.embedder().embed(t)).collect();
        kb.commit_upsert(prepared, embeddings).unwrap();
        assert_eq!(kb.search("sales tax quarter", 1).unwrap()[0].chunk.article_id, "tax");
    }

    #[test]
    fn consistency_check_detects_and_repair_fixes_a_stale_index() {
        let mut kb = kb();
        // Simulate bug 1: an article changed behind the indexes' back.
        kb.articles.get_mut("cash").unwrap().source = "# Cash\n\nSomething else entirely.\n".into();
        let report = kb.check_consistency();
        assert_eq!(
            report,
            ConsistencyReport {
                missing_from_index: 1,
                stale_in_index: 1,
                missing_from_lexical: 1,
                stale_in_lexical: 1
            }
        );
        assert_eq!(kb.repair().unwrap(), report);
        assert!(kb.check_consistency().is_consistent());
        assert!(kb.search("something else entirely", 1).unwrap()[0].chunk.body.contains("Something else"));
        assert_eq!(kb.chunk_count(), 3);
    }

    #[test]
    fn hybrid_finds_what_either_ranking_finds() {
        let mut kb = KnowledgeBase::new(HashEmbedder::default());
        kb.upsert_articles([
            Article::new("a", "# A\n\nThe thirteen-week forecast keeps surprises small.\n"),
            Article::new("b", "# B\n\nHire slowly and train well.\n"),
            Article::new("c", "# C\n\nPricing below cost is a slow way to close.\n"),
        ])
        .unwrap();
        let hits = kb.search("thirteen-week forecast", 3).unwrap();
        assert_eq!(hits[0].chunk.article_id, "a");
        assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    }

    fn three_topics(search: SearchConfig) -> KnowledgeBase<HashEmbedder> {
        let mut kb =
            KnowledgeBase::with_config(HashEmbedder::default(), ChunkConfig::default(), IndexConfig::default(), search);
        kb.upsert_articles([
            Article::new(
                "hire",
                "# Hiring

Your first employee needs a contract and a payroll run.
",
            ),
            Article::new(
                "cash",
                "# Cash

A thirteen-week forecast keeps surprises small.
",
            ),
            Article::new(
                "price",
                "# Pricing

Charging below cost is a slow way to close.
",
            ),
        ])
        .unwrap();
        kb
    }

    #[test]
    fn synonyms_find_a_passage_in_other_words_and_can_be_turned_off() {
        for retriever in [Retriever::Bm25, Retriever::Hybrid] {
            let kb = three_topics(SearchConfig { retriever, ..SearchConfig::default() });
            let hits = kb.search("taking on staff", 1).unwrap();
            assert_eq!(hits[0].chunk.article_id, "hire", "{retriever}: staff ~ employee");
        }
        let literal =
            three_topics(SearchConfig { retriever: Retriever::Bm25, synonym_weight: 0.0, ..Default::default() });
        assert!(literal.search("taking on staff", 1).unwrap().is_empty(), "no shared word, no lexical hit");
        let expanded = literal.expanded_terms("staff");
        assert_eq!(expanded, [("staff".to_string(), 1.0)]);
    }

    #[test]
    fn feedback_moves_the_vector_query_towards_the_best_lexical_passages() {
        let kb = three_topics(SearchConfig::default());
        let query = kb.embed_query("thirteen-week");
        let lexical = kb.lexical.search("thirteen-week", 3);
        let top = kb.index.vector(&lexical[0].0).unwrap().to_vec();
        let moved = kb.with_feedback(&query, &lexical);
        assert!(dot(&moved.vector, &top) > dot(&query.vector, &top) + 0.05);
        assert!((dot(&moved.vector, &moved.vector) - 1.0).abs() < 1e-4, "renormalised");
        let off = three_topics(SearchConfig { feedback_weight: 0.0, ..SearchConfig::default() });
        assert_eq!(off.with_feedback(&query, &lexical), query);
        assert_eq!(kb.with_feedback(&query, &[]), query, "nothing to learn from");
    }

    #[test]
    fn a_hit_brings_the_rest_of_a_small_section() {
        let mut kb = KnowledgeBase::with_config(
            HashEmbedder::default(),
            ChunkConfig { max_chars: 60 },
            IndexConfig::default(),
            SearchConfig::default(),
        );
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
    fn retriever_names_parse_and_print() {
        for r in [Retriever::Hybrid, Retriever::Bm25, Retriever::Vector] {
            assert_eq!(r.to_string().parse::<Retriever>().unwrap(), r);
        }
        assert!("dense".parse::<Retriever>().is_err());
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

    impl KnowledgeBase {
        fn clone_for_test(&self) -> KnowledgeBase {
            let mut copy = KnowledgeBase::new(HashEmbedder::default());
            copy.upsert_articles(self.articles.values().cloned()).unwrap();
            copy
        }
    }
}
