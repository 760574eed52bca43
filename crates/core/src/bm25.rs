//! A BM25 lexical index, updated in place as chunks are added and removed.
//!
//! Lexical search is a strong baseline on article questions (a figure, a named thing, an unusual
//! word), and the built-in hashing embedder is weak on paraphrase, so the default retriever fuses
//! both (see [`crate::knowledge`]). Terms come from [`crate::text::terms`] — the same tokens the
//! rest of the engine uses — so "plans" meets "plan" and "16%" stays one token.
//!
//! Scores use the Okapi BM25 formula with the Lucene IDF `ln(1 + (N - df + 0.5) / (df + 0.5))`,
//! which never goes negative. Ties are broken by id, so results are deterministic.

use std::collections::{BTreeMap, HashMap};

use crate::text::terms;

/// BM25 parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bm25Config {
    /// Term-frequency saturation.
    pub k1: f32,
    /// Length normalisation (0 = none, 1 = full).
    pub b: f32,
}

impl Default for Bm25Config {
    fn default() -> Self {
        Bm25Config { k1: 1.2, b: 0.75 }
    }
}

#[derive(Clone, Debug)]
struct Document {
    /// Term → frequency in this document.
    terms: HashMap<String, u32>,
    len: u32,
}

/// The index: documents by id, and for each term the ids of the documents holding it.
#[derive(Clone, Debug, Default)]
pub struct Bm25Index {
    config: Bm25Config,
    documents: BTreeMap<String, Document>,
    postings: HashMap<String, BTreeMap<String, u32>>,
    total_len: u64,
}

impl Bm25Index {
    pub fn new(config: Bm25Config) -> Self {
        Bm25Index { config, ..Bm25Index::default() }
    }

    pub fn len(&self) -> usize {
        self.documents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.documents.contains_key(id)
    }

    /// Ids of all indexed documents, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.documents.keys()
    }

    /// Adds `text` under `id`, replacing any earlier text of that id.
    pub fn insert(&mut self, id: &str, text: &str) {
        self.remove(id);
        let mut counts: HashMap<String, u32> = HashMap::new();
        let tokens = terms(text);
        for term in &tokens {
            *counts.entry(term.clone()).or_default() += 1;
        }
        for (term, count) in &counts {
            self.postings.entry(term.clone()).or_default().insert(id.to_string(), *count);
        }
        self.total_len += tokens.len() as u64;
        self.documents.insert(id.to_string(), Document { terms: counts, len: tokens.len() as u32 });
    }

    /// Removes `id`; false if it was not indexed.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(document) = self.documents.remove(id) else { return false };
        for term in document.terms.keys() {
            if let Some(posting) = self.postings.get_mut(term) {
                posting.remove(id);
                if posting.is_empty() {
                    self.postings.remove(term);
                }
            }
        }
        self.total_len -= u64::from(document.len);
        true
    }

    /// In how many documents `term` (already a [`terms`] token) occurs.
    pub fn document_frequency(&self, term: &str) -> usize {
        self.postings.get(term).map_or(0, BTreeMap::len)
    }

    /// The IDF of a token.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.documents.len() as f32;
        let df = self.document_frequency(term) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Up to `k` documents matching `query`, best first, with positive scores only.
    pub fn search(&self, query: &str, k: usize) -> Vec<(String, f32)> {
        let mut query_terms = terms(query);
        query_terms.sort();
        query_terms.dedup();
        let weighted: Vec<(String, f32)> = query_terms.into_iter().map(|t| (t, 1.0)).collect();
        self.search_weighted(&weighted, k)
    }

    /// Like [`Bm25Index::search`], for distinct [`terms`] tokens that each count `weight` times
    /// their usual score (query expansion: synonyms count less than the words typed).
    pub fn search_weighted(&self, query_terms: &[(String, f32)], k: usize) -> Vec<(String, f32)> {
        if self.documents.is_empty() || k == 0 {
            return Vec::new();
        }
        let average_len = self.total_len as f32 / self.documents.len() as f32;
        let Bm25Config { k1, b } = self.config;
        let mut scores: HashMap<&str, f32> = HashMap::new();
        for (term, weight) in query_terms {
            let Some(posting) = self.postings.get(term) else { continue };
            let idf = weight * self.idf(term);
            for (id, tf) in posting {
                let len = self.documents[id].len as f32;
                let tf = *tf as f32;
                let norm = 1.0 - b + b * len / average_len.max(1.0);
                *scores.entry(id.as_str()).or_default() += idf * tf * (k1 + 1.0) / (tf + k1 * norm);
            }
        }
        let mut ranked: Vec<(String, f32)> =
            scores.into_iter().filter(|(_, s)| *s > 0.0).map(|(id, s)| (id.to_string(), s)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> Bm25Index {
        let mut index = Bm25Index::new(Bm25Config::default());
        index.insert("plan", "Businesses with a formal written plan grew 30% faster.");
        index.insert("cash", "Cash flow is money moving in and out. Forecast cash thirteen weeks ahead.");
        index.insert("price", "Raise prices when costs rise; most owners undercharge.");
        index
    }

    #[test]
    fn rare_matching_terms_rank_first() {
        let hits = index().search("how far ahead should I forecast cash?", 3);
        assert_eq!(hits[0].0, "cash");
        assert_eq!(hits.len(), 1, "documents sharing no term are not returned");
        assert_eq!(index().search("30%", 3)[0].0, "plan");
    }

    #[test]
    fn insert_replaces_and_remove_forgets() {
        let mut index = index();
        index.insert("cash", "Invoices should be chased promptly.");
        assert!(index.search("forecast", 3).is_empty(), "old text is gone");
        assert_eq!(index.search("invoice chased", 3)[0].0, "cash");
        assert_eq!(index.len(), 3);
        assert!(index.remove("cash"));
        assert!(!index.remove("cash"));
        assert!(index.search("invoice", 3).is_empty());
        assert_eq!(index.document_frequency("invoice"), 0);
        assert_eq!(index.len(), 2);
    }

    #[test]
    fn removing_everything_leaves_an_empty_index_that_still_answers() {
        let mut index = index();
        for id in ["plan", "cash", "price"] {
            index.remove(id);
        }
        assert!(index.is_empty());
        assert_eq!(index.total_len, 0);
        assert!(index.search("cash", 5).is_empty());
    }

    #[test]
    fn idf_is_positive_and_falls_with_frequency() {
        let index = index();
        assert!(index.idf("cash") > 0.0);
        assert!(index.idf("unseen") > index.idf("cash"));
    }
}
