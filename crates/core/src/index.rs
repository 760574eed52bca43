//! The vector index: an HNSW graph from `instant-distance` over unit vectors.
//!
//! `instant-distance` builds a whole graph at once (no insert, no delete), so this type is an
//! immutable snapshot built from a complete set of vectors. The builder runs with a fixed seed
//! (the same vectors give the same graph natively and in wasm) and without the neighbour
//! selection heuristic, which `../shared/TOOLCHAIN.md` measured at ~25× the build time for
//! almost no recall on our sizes.

use instant_distance::{Builder, HnswMap, Search};

use crate::embed::{dot, Embedding, EmbeddingError};

/// A unit vector; distance is `1 - cosine`.
#[derive(Clone, Debug)]
struct UnitVector(Vec<f32>);

impl instant_distance::Point for UnitVector {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - dot(&self.0, &other.0)
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The id the vector was indexed under (a chunk id).
    pub id: String,
    /// Cosine similarity to the query, in [-1, 1].
    pub score: f32,
}

/// Tuning for graph construction and search.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexConfig {
    pub ef_construction: usize,
    pub ef_search: usize,
    pub seed: u64,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig { ef_construction: 100, ef_search: 64, seed: 0x5eed }
    }
}

/// An immutable HNSW index of one embedder's vectors.
pub struct VectorIndex {
    embedder: String,
    dim: usize,
    map: HnswMap<UnitVector, String>,
    len: usize,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("embedder", &self.embedder)
            .field("dim", &self.dim)
            .field("len", &self.len)
            .finish()
    }
}

impl VectorIndex {
    /// Builds the graph over `items`. Every embedding must come from `embedder` and have `dim`
    /// dimensions.
    pub fn build(
        embedder: &str,
        dim: usize,
        items: Vec<(String, Embedding)>,
        config: &IndexConfig,
    ) -> Result<Self, EmbeddingError> {
        let mut points = Vec::with_capacity(items.len());
        let mut ids = Vec::with_capacity(items.len());
        for (id, embedding) in items {
            check(embedder, dim, &embedding)?;
            points.push(UnitVector(embedding.vector));
            ids.push(id);
        }
        let len = ids.len();
        let map = Builder::default()
            .seed(config.seed)
            .select_heuristic(None)
            .ef_construction(config.ef_construction)
            .ef_search(config.ef_search)
            .build(points, ids);
        Ok(VectorIndex { embedder: embedder.to_string(), dim, map, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn embedder(&self) -> &str {
        &self.embedder
    }

    /// The `k` nearest vectors to `query`, best first.
    pub fn search(&self, query: &Embedding, k: usize) -> Result<Vec<Hit>, EmbeddingError> {
        check(&self.embedder, self.dim, query)?;
        let mut search = Search::default();
        let point = UnitVector(query.vector.clone());
        Ok(self
            .map
            .search(&point, &mut search)
            .take(k)
            .map(|item| Hit { id: item.value.clone(), score: 1.0 - item.distance })
            .collect())
    }
}

fn check(embedder: &str, dim: usize, embedding: &Embedding) -> Result<(), EmbeddingError> {
    if embedding.embedder != embedder {
        return Err(EmbeddingError::WrongEmbedder {
            expected: embedder.to_string(),
            found: embedding.embedder.clone(),
        });
    }
    if embedding.vector.len() != dim {
        return Err(EmbeddingError::WrongDimension { expected: dim, found: embedding.vector.len() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::{Embedder, HashEmbedder};

    fn corpus(embedder: &HashEmbedder) -> Vec<(String, Embedding)> {
        [
            ("plan", "Businesses with a formal written plan grow faster."),
            ("cash", "Cash flow is the money moving in and out of the till every week."),
            ("price", "Raise your prices when costs go up and customers still queue."),
            ("hire", "Your first employee needs a contract, payroll and training."),
        ]
        .into_iter()
        .map(|(id, text)| (id.to_string(), embedder.embed(text)))
        .collect()
    }

    #[test]
    fn finds_the_nearest_passage_first() {
        let embedder = HashEmbedder::default();
        let index =
            VectorIndex::build(embedder.id(), embedder.dim(), corpus(&embedder), &IndexConfig::default()).unwrap();
        assert_eq!(index.len(), 4);
        let hits = index.search(&embedder.embed("When should I hire an employee?"), 2).unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].id, "hire");
        assert!(hits[0].score > hits[1].score);
    }

    #[test]
    fn empty_index_returns_no_hits() {
        let embedder = HashEmbedder::default();
        let index = VectorIndex::build(embedder.id(), embedder.dim(), vec![], &IndexConfig::default()).unwrap();
        assert!(index.search(&embedder.embed("anything"), 5).unwrap().is_empty());
    }

    #[test]
    fn vectors_of_another_embedder_are_rejected() {
        let embedder = HashEmbedder::default();
        let other = HashEmbedder::new(16);
        let index =
            VectorIndex::build(embedder.id(), embedder.dim(), corpus(&embedder), &IndexConfig::default()).unwrap();
        assert_eq!(
            index.search(&other.embed("plan"), 1).unwrap_err(),
            EmbeddingError::WrongEmbedder { expected: "hash-ngram-v1-384".into(), found: "hash-ngram-v1-16".into() }
        );
        let mut wrong_len = embedder.embed("plan");
        wrong_len.vector.pop();
        assert_eq!(
            index.search(&wrong_len, 1).unwrap_err(),
            EmbeddingError::WrongDimension { expected: 384, found: 383 }
        );
        let mixed = vec![("x".to_string(), other.embed("x"))];
        assert!(VectorIndex::build(embedder.id(), embedder.dim(), mixed, &IndexConfig::default()).is_err());
    }
}
