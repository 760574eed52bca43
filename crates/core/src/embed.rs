//! Embeddings: the [`Embedder`] trait and the built-in offline [`HashEmbedder`].
//!
//! Every vector carries the id of the embedder that made it, and an index only accepts vectors
//! of its own embedder and dimension: mixing embedders is a clear error, never silent garbage.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::text::{fnv1a64, terms};

/// A vector and the embedder that produced it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    pub embedder: String,
    pub vector: Vec<f32>,
}

/// Raised when vectors of different embedders or dimensions meet.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum EmbeddingError {
    /// The vector was made by another embedder than the index expects.
    #[error("embedding made by `{found}` but this index uses `{expected}`")]
    WrongEmbedder { expected: String, found: String },
    /// The vector has another length than the index expects.
    #[error("embedding has {found} dimensions but this index uses {expected}")]
    WrongDimension { expected: usize, found: usize },
}

/// Turns text into a unit-length vector.
pub trait Embedder {
    /// Stable identifier, including anything that changes the vectors (model, dimension,
    /// feature version).
    fn id(&self) -> &str;
    fn dim(&self) -> usize;
    fn embed(&self, text: &str) -> Embedding;

    /// Embeds a search query, weighting each term (a [`crate::text::terms`] token) by
    /// `term_weight` — typically its IDF in the corpus searched, so rare words count more than
    /// common ones. Document vectors stay unweighted (and so stable as the corpus changes); the
    /// default ignores the weights.
    fn embed_query(&self, text: &str, term_weight: &dyn Fn(&str) -> f32) -> Embedding {
        let _ = term_weight;
        self.embed(text)
    }

    /// [`Embedder::embed_query`] with `extra` terms (query expansion: synonyms), each counting
    /// its own weight times `term_weight`. The default ignores them.
    fn embed_query_expanded(
        &self,
        text: &str,
        term_weight: &dyn Fn(&str) -> f32,
        extra: &[(String, f32)],
    ) -> Embedding {
        let _ = extra;
        self.embed_query(text, term_weight)
    }
}

/// The built-in embedder: signed feature hashing of stemmed terms, term bigrams and character
/// trigrams into a fixed number of dimensions, L2-normalised.
///
/// It needs no download, works offline, and is bit-for-bit deterministic natively and in wasm
/// (FNV hashing, no floating-point reductions that depend on iteration order).
#[derive(Clone, Debug)]
pub struct HashEmbedder {
    id: String,
    dim: usize,
}

impl HashEmbedder {
    pub const DEFAULT_DIM: usize = 384;

    pub fn new(dim: usize) -> Self {
        assert!(dim > 0, "an embedding needs at least one dimension");
        HashEmbedder { id: format!("hash-ngram-v1-{dim}"), dim }
    }

    fn add(&self, vector: &mut [f32], feature: &str, weight: f32) {
        let hash = fnv1a64(feature.as_bytes());
        let slot = (hash % self.dim as u64) as usize;
        let sign = if hash >> 63 == 0 { 1.0 } else { -1.0 };
        vector[slot] += sign * weight;
    }
}

impl Default for HashEmbedder {
    fn default() -> Self {
        HashEmbedder::new(Self::DEFAULT_DIM)
    }
}

impl Embedder for HashEmbedder {
    fn id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, text: &str) -> Embedding {
        self.embed_query(text, &|_| 1.0)
    }

    fn embed_query(&self, text: &str, term_weight: &dyn Fn(&str) -> f32) -> Embedding {
        self.embed_query_expanded(text, term_weight, &[])
    }

    fn embed_query_expanded(
        &self,
        text: &str,
        term_weight: &dyn Fn(&str) -> f32,
        extra: &[(String, f32)],
    ) -> Embedding {
        let mut vector = vec![0.0f32; self.dim];
        let terms = terms(text);
        let weights: Vec<f32> = terms.iter().map(|t| term_weight(t)).collect();
        let extra = extra.iter().map(|(term, weight)| (term, weight * term_weight(term)));
        for (term, weight) in terms.iter().zip(weights.iter().copied()).chain(extra) {
            self.add(&mut vector, &format!("w:{term}"), weight);
            let padded: Vec<char> = format!("<{term}>").chars().collect();
            for trigram in padded.windows(3) {
                let trigram: String = trigram.iter().collect();
                self.add(&mut vector, &format!("c:{trigram}"), 0.25 * weight);
            }
        }
        for (pair, w) in terms.windows(2).zip(weights.windows(2)) {
            self.add(&mut vector, &format!("b:{} {}", pair[0], pair[1]), 0.5 * (w[0] * w[1]).sqrt());
        }
        normalize(&mut vector);
        Embedding { embedder: self.id.clone(), vector }
    }
}

/// Scales `vector` to unit length (a zero vector stays zero).
pub fn normalize(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Defines `$name` as `$portable` compiled twice: as is, and for AVX2, picked at run time on
/// x86-64 CPUs that have it (wider registers; the same operations in the same order, and no FMA
/// contraction, so results are bit-identical either way).
macro_rules! dispatch_avx2 {
    ($(#[$doc:meta])* $name:ident = $portable:ident ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) -> $ret {
                    $portable($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, checked just above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            $portable($($arg),*)
        }
    };
}
pub(crate) use dispatch_avx2;

dispatch_avx2! {
    /// Dot product; for unit vectors, the cosine similarity.
    ///
    /// Eight independent accumulators let the compiler vectorise the loop (a plain `sum()` must
    /// keep the sequential order of float additions and runs one lane at a time). The summation
    /// order is fixed, so results are identical natively and in wasm.
    dot = dot_portable(a: &[f32], b: &[f32]) -> f32
}

#[inline(always)]
fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut lanes = [0.0f32; 8];
    let mut chunks_a = a.chunks_exact(8);
    let mut chunks_b = b.chunks_exact(8);
    for (x, y) in (&mut chunks_a).zip(&mut chunks_b) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    let mut tail = 0.0f32;
    for (x, y) in chunks_a.remainder().iter().zip(chunks_b.remainder()) {
        tail += x * y;
    }
    ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])) + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dispatched_dot_equals_the_portable_one_bit_for_bit() {
        let embedder = HashEmbedder::default();
        let a = embedder.embed("Cash flow is the money moving in and out of the till.").vector;
        let b = embedder.embed("Money in, money out: the till every week.").vector;
        for len in [0, 1, 7, 8, 9, 100, 384] {
            assert_eq!(dot(&a[..len], &b[..len]).to_bits(), dot_portable(&a[..len], &b[..len]).to_bits(), "len {len}");
        }
    }

    #[test]
    fn vectors_are_unit_length_and_deterministic() {
        let embedder = HashEmbedder::default();
        let a = embedder.embed("Conduct market research before writing a plan.");
        assert_eq!(a.vector.len(), 384);
        assert!((dot(&a.vector, &a.vector) - 1.0).abs() < 1e-5);
        assert_eq!(a, embedder.embed("Conduct market research before writing a plan."));
        assert_eq!(a.embedder, "hash-ngram-v1-384");
    }

    #[test]
    fn related_text_scores_higher_than_unrelated_text() {
        let embedder = HashEmbedder::default();
        let query = embedder.embed("How much faster do businesses with a plan grow?");
        let related = embedder.embed("Businesses with a formal plan grew faster than those without one.");
        let unrelated = embedder.embed("Hiring your first employee means payroll and contracts.");
        assert!(dot(&query.vector, &related.vector) > dot(&query.vector, &unrelated.vector) + 0.1);
    }

    #[test]
    fn dot_matches_the_naive_sum_for_any_length() {
        for len in [0, 1, 7, 8, 9, 384, 385] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() < 1e-4, "len {len}");
        }
    }

    #[test]
    fn empty_text_gives_a_zero_vector() {
        let embedding = HashEmbedder::new(8).embed("the and of");
        assert!(embedding.vector.iter().all(|x| *x == 0.0));
    }
}

#[cfg(test)]
mod fingerprint {
    use super::*;

    /// The same number is asserted by the browser test in `persona-idb`: it proves the wasm
    /// build embeds bit-for-bit like the native one.
    pub const FINGERPRINT_TEXT: &str = "Businesses with a formal written plan grew 30% faster.";

    #[test]
    fn embedding_fingerprint_is_stable() {
        assert_eq!(fingerprint(&HashEmbedder::default().embed(FINGERPRINT_TEXT)), 9_292_410_449_696_314_209);
    }
}

/// A platform-independent checksum of a vector's exact bits (FNV-1a over the little-endian
/// bytes), for checking that two builds embed identically.
pub fn fingerprint(embedding: &Embedding) -> u64 {
    let bytes: Vec<u8> = embedding.vector.iter().flat_map(|x| x.to_le_bytes()).collect();
    fnv1a64(&bytes)
}

/// Why a batch could not be embedded.
#[derive(Debug, Error, PartialEq, Eq, Clone)]
pub enum EmbedError {
    /// The embedding service failed (network, HTTP error, malformed answer).
    #[error("the embedding service failed: {0}")]
    Service(String),
    /// The service returned vectors of another length than the embedder declares.
    #[error("the embedding service returned {found}-dimensional vectors, expected {expected}")]
    WrongDimension { expected: usize, found: usize },
    /// The service returned another number of vectors than texts were sent.
    #[error("the embedding service returned {found} vectors for {expected} texts")]
    WrongCount { expected: usize, found: usize },
}

/// Embeds batches of texts, possibly remotely (an OpenAI-compatible `/v1/embeddings`
/// endpoint). Every local [`Embedder`] is one too. Vectors come back unit-length, in input order,
/// each tagged with [`BatchEmbedder::id`].
pub trait BatchEmbedder {
    fn id(&self) -> &str;
    fn dim(&self) -> usize;
    fn embed_batch(&self, texts: &[String]) -> impl std::future::Future<Output = Result<Vec<Embedding>, EmbedError>>;

    /// The vector of `text` right now, when this embedder is local (and so deterministic: the
    /// same text always gives the same vector); `None` for one that has to ask a server. The
    /// knowledge base uses it to re-rank exactly while a restored index still waits for its
    /// stored exact vectors.
    fn embed_now(&self, text: &str) -> Option<Embedding> {
        let _ = text;
        None
    }
}

impl<E: Embedder> BatchEmbedder for E {
    fn id(&self) -> &str {
        Embedder::id(self)
    }

    fn dim(&self) -> usize {
        Embedder::dim(self)
    }

    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Embedding>, EmbedError> {
        Ok(texts.iter().map(|t| self.embed(t)).collect())
    }

    fn embed_now(&self, text: &str) -> Option<Embedding> {
        Some(self.embed(text))
    }
}
