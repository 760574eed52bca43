//! A BM25 lexical index, updated in place as chunks are added and removed.
//!
//! Lexical search is a strong baseline on article questions (a figure, a named thing, an unusual
//! word), and the built-in hashing embedder is weak on paraphrase, so the default retriever fuses
//! both (see [`crate::knowledge`]). Terms come from [`crate::text::terms`] — the same tokens the
//! rest of the engine uses — so "plans" meets "plan" and "16%" stays one token.
//!
//! Scores use the Okapi BM25 formula with the Lucene IDF `ln(1 + (N - df + 0.5) / (df + 0.5))`,
//! which never goes negative. Ties are broken by id, so results are deterministic.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::text::terms;

/// BM25 parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
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

/// The index. Documents live in slots and terms in a dictionary, so a posting is two integers
/// (no string per posting): cheap to hold, and cheap to rebuild from a [`Bm25Snapshot`].
#[derive(Clone, Debug, Default)]
pub struct Bm25Index {
    config: Bm25Config,
    /// Slot → document id (`None`: a free slot).
    ids: Vec<Option<String>>,
    slots: HashMap<String, u32>,
    free: Vec<u32>,
    /// Slot → (term number, frequency) pairs and token count.
    documents: Vec<Vec<(u32, u32)>>,
    lens: Vec<u32>,
    /// Term number → term, and back.
    terms: Vec<String>,
    term_numbers: HashMap<String, u32>,
    /// Term number → (slot, frequency) of the documents holding it.
    postings: Vec<Vec<(u32, u32)>>,
    total_len: u64,
}

/// A document in a snapshot: id, token count, (term number, frequency) pairs.
type SnapshotDocument = (String, u32, Vec<(u32, u32)>);

/// A compact, serialisable copy of a [`Bm25Index`]: what a store keeps so a restart need not
/// re-tokenise every passage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bm25Snapshot {
    config: Bm25Config,
    terms: Vec<String>,
    documents: Vec<SnapshotDocument>,
}

impl Bm25Index {
    pub fn new(config: Bm25Config) -> Self {
        Bm25Index { config, ..Bm25Index::default() }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.slots.contains_key(id)
    }

    /// Ids of all indexed documents, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        let mut ids: Vec<&String> = self.slots.keys().collect();
        ids.sort();
        ids.into_iter()
    }

    fn term_number(&mut self, term: &str) -> u32 {
        if let Some(number) = self.term_numbers.get(term) {
            return *number;
        }
        let number = self.terms.len() as u32;
        self.terms.push(term.to_string());
        self.term_numbers.insert(term.to_string(), number);
        self.postings.push(Vec::new());
        number
    }

    /// Adds `text` under `id`, replacing any earlier text of that id.
    pub fn insert(&mut self, id: &str, text: &str) {
        let tokens = terms(text);
        let mut counts: HashMap<u32, u32> = HashMap::new();
        for term in &tokens {
            *counts.entry(self.term_number(term)).or_default() += 1;
        }
        let mut pairs: Vec<(u32, u32)> = counts.into_iter().collect();
        pairs.sort_unstable();
        self.insert_counted(id, tokens.len() as u32, pairs);
    }

    fn insert_counted(&mut self, id: &str, len: u32, pairs: Vec<(u32, u32)>) {
        self.remove(id);
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.ids.push(None);
                self.documents.push(Vec::new());
                self.lens.push(0);
                self.ids.len() as u32 - 1
            }
        };
        for (term, count) in &pairs {
            self.postings[*term as usize].push((slot, *count));
        }
        self.ids[slot as usize] = Some(id.to_string());
        self.slots.insert(id.to_string(), slot);
        self.documents[slot as usize] = pairs;
        self.lens[slot as usize] = len;
        self.total_len += u64::from(len);
    }

    /// Removes `id`; false if it was not indexed.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(slot) = self.slots.remove(id) else { return false };
        for (term, _) in std::mem::take(&mut self.documents[slot as usize]) {
            self.postings[term as usize].retain(|(s, _)| *s != slot);
        }
        self.total_len -= u64::from(self.lens[slot as usize]);
        self.lens[slot as usize] = 0;
        self.ids[slot as usize] = None;
        self.free.push(slot);
        true
    }

    /// In how many documents `term` (already a [`terms`] token) occurs.
    pub fn document_frequency(&self, term: &str) -> usize {
        self.term_numbers.get(term).map_or(0, |n| self.postings[*n as usize].len())
    }

    /// The IDF of a token.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.len() as f32;
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
        if self.is_empty() || k == 0 {
            return Vec::new();
        }
        let average_len = self.total_len as f32 / self.len() as f32;
        let Bm25Config { k1, b } = self.config;
        // Scores in a dense array by slot, with the slots touched listed once each.
        let mut scores: Vec<f32> = vec![0.0; self.ids.len()];
        let mut seen: Vec<bool> = vec![false; self.ids.len()];
        let mut touched: Vec<u32> = Vec::new();
        for (term, weight) in query_terms {
            let Some(number) = self.term_numbers.get(term) else { continue };
            let idf = weight * self.idf(term);
            for (slot, tf) in &self.postings[*number as usize] {
                let len = self.lens[*slot as usize] as f32;
                let tf = *tf as f32;
                let norm = 1.0 - b + b * len / average_len.max(1.0);
                if !std::mem::replace(&mut seen[*slot as usize], true) {
                    touched.push(*slot);
                }
                scores[*slot as usize] += idf * tf * (k1 + 1.0) / (tf + k1 * norm);
            }
        }
        let mut ranked: Vec<(&str, f32)> = touched
            .into_iter()
            .map(|slot| (slot, scores[slot as usize]))
            .filter(|(_, s)| *s > 0.0)
            .filter_map(|(slot, s)| Some((self.ids[slot as usize].as_deref()?, s)))
            .collect();
        // Best first, ties by id: select the top k, then sort only those.
        let order = |a: &(&str, f32), b: &(&str, f32)| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0));
        if ranked.len() > k {
            ranked.select_nth_unstable_by(k - 1, order);
            ranked.truncate(k);
        }
        ranked.sort_by(order);
        ranked.into_iter().map(|(id, s)| (id.to_string(), s)).collect()
    }

    /// A compact copy (terms no document uses any more are dropped).
    pub fn snapshot(&self) -> Bm25Snapshot {
        let mut renumber: Vec<Option<u32>> = vec![None; self.terms.len()];
        let mut terms = Vec::new();
        let mut documents = Vec::with_capacity(self.len());
        for (slot, id) in self.ids.iter().enumerate() {
            let Some(id) = id else { continue };
            let pairs = self.documents[slot]
                .iter()
                .map(|(term, tf)| {
                    let number = *renumber[*term as usize].get_or_insert_with(|| {
                        terms.push(self.terms[*term as usize].clone());
                        terms.len() as u32 - 1
                    });
                    (number, *tf)
                })
                .collect();
            documents.push((id.clone(), self.lens[slot], pairs));
        }
        Bm25Snapshot { config: self.config, terms, documents }
    }

    /// The index a snapshot was taken of. Fails if the snapshot is inconsistent.
    pub fn from_snapshot(snapshot: Bm25Snapshot) -> Result<Bm25Index, String> {
        let Bm25Snapshot { config, terms, documents } = snapshot;
        let mut index = Bm25Index::new(config);
        index.term_numbers = terms.iter().enumerate().map(|(n, t)| (t.clone(), n as u32)).collect();
        if index.term_numbers.len() != terms.len() {
            return Err("a term is listed twice".into());
        }
        index.postings = vec![Vec::new(); terms.len()];
        index.terms = terms;
        for (id, len, pairs) in documents {
            if pairs.iter().any(|(term, _)| *term as usize >= index.terms.len()) {
                return Err(format!("document `{id}` uses an unknown term"));
            }
            index.insert_counted(&id, len, pairs);
        }
        Ok(index)
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
    fn a_snapshot_restores_the_same_rankings_and_slots_are_reused() {
        let mut index = index();
        index.remove("plan");
        index.insert("hire", "Hire slowly; write the job down first.");
        let restored = Bm25Index::from_snapshot(index.snapshot()).unwrap();
        for query in ["cash forecast", "raise prices", "hire job", "plan"] {
            assert_eq!(restored.search(query, 3), index.search(query, 3), "{query}");
        }
        assert_eq!(restored.len(), 3);
        assert_eq!(restored.ids().collect::<Vec<_>>(), ["cash", "hire", "price"]);
        assert_eq!(index.ids.len(), 3, "the freed slot was reused");
        assert!(restored.snapshot().terms.len() < index.terms.len(), "unused terms are dropped");
        let mut broken = index.snapshot();
        broken.documents[0].2.push((9999, 1));
        assert!(Bm25Index::from_snapshot(broken).is_err());
    }

    #[test]
    fn idf_is_positive_and_falls_with_frequency() {
        let index = index();
        assert!(index.idf("cash") > 0.0);
        assert!(index.idf("unseen") > index.idf("cash"));
    }
}
