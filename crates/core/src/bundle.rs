//! Knowledge bundles: a persona and its articles, with a prebuilt search index, as one JSON file.
//!
//! A site owner builds a bundle once (`persona bundle build`) and ships it with the site; a
//! visitor's browser then loads it without chunking, embedding or indexing anything (the
//! articles are only re-chunked, which is cheap, to check the index against them).
//!
//! The format, version [`VERSION`]:
//!
//! ```json
//! {
//!   "format": "persona-engine-bundle",
//!   "version": 1,
//!   "embedder": "hash-ngram-v1-384",
//!   "dim": 384,
//!   "persona": { "spec": "chara_card_v3", "…": "the Character Card, as card::export_card_json writes it" },
//!   "articles": [{ "id": "…", "title": "…", "source": "…Markdown…" }],
//!   "index": null | {
//!     "vector": "<base64 of VectorIndex::to_bytes(), a merged base>",
//!     "lexical": "<base64 of the postcard BM25 snapshot>",
//!     "chunks": 42,
//!     "bytes": 123456,
//!     "vector_fnv1a64": "<16 hex digits>",
//!     "lexical_fnv1a64": "<16 hex digits>"
//!   },
//!   "sizes": { "articles": 4, "chunks": 42 }
//! }
//! ```
//!
//! `bytes` is the decoded length of `vector`. The two checksums (FNV-1a 64 of the decoded
//! bytes) are always written and checked when present, so a bundle edited or damaged after it
//! was built is refused rather than answering from a silently changed index. [`load_bundle`]
//! checks everything before building anything, and says what is wrong in words a site owner
//! can act on ([`BundleError`]); it never repairs a bundle whose index does not match its
//! articles behind the owner's back.

use std::collections::{BTreeMap, BTreeSet};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::bm25::{Bm25Index, Bm25Snapshot};
use crate::card::{export_card_json, import_card, CardFormat, CardImportError};
use crate::chunk::{chunk_article, Chunk, ChunkConfig};
use crate::embed::{Embedder, HashEmbedder};
use crate::index::VectorIndex;
use crate::knowledge::{Article, ConsistencyReport, KnowledgeBase, SearchConfig};
use crate::persona::Persona;
use crate::text::fnv1a64;

/// The value of a bundle's `format` field.
pub const FORMAT: &str = "persona-engine-bundle";
/// The bundle format version this build writes and reads.
pub const VERSION: u64 = 1;

/// Why a bundle could not be built or loaded. Each message names the problem in plain words.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum BundleError {
    /// The text is not JSON at all (or is cut short).
    #[error("the bundle is not valid JSON (line {line}, column {column}): {message}")]
    NotJson { line: usize, column: usize, message: String },
    /// JSON, but not a bundle: no `format` field, or another one.
    #[error("this file is not a persona-engine bundle: {0}")]
    NotABundle(String),
    /// Made by a newer release of the engine.
    #[error("this bundle was made by a newer version ({found}); this build reads version {supported}")]
    NewerVersion { found: u64, supported: u64 },
    /// The `version` field is missing or not a version this build knows.
    #[error("the bundle's version is {0}, but this build reads version 1")]
    UnknownVersion(String),
    /// A field is missing or has the wrong type.
    #[error("the bundle's field `{path}` is missing or invalid: {message}")]
    Malformed { path: String, message: String },
    /// Built with another embedder: its vectors mean nothing to this build.
    #[error("this bundle was built with embedder `{found}`, this build uses `{expected}`: build the bundle again")]
    WrongEmbedder { found: String, expected: String },
    /// Built with vectors of another size.
    #[error("this bundle was built with {found}-dimension vectors, this build uses {expected}: build it again")]
    WrongDimension { found: usize, expected: usize },
    /// A declared size does not match what the bundle holds.
    #[error("the bundle's {what} says {declared}, but it holds {found}")]
    SizeMismatch { what: String, declared: usize, found: usize },
    /// A base64 field does not decode.
    #[error("the bundle's `{field}` is not valid base64 (the file was changed or cut after it was built)")]
    BadBase64 { field: String },
    /// The prebuilt index cannot be read.
    #[error("the bundle's prebuilt search index cannot be read: {0}")]
    DamagedIndex(String),
    /// The persona card is not a valid card (the card importer's message).
    #[error("the bundle's persona card cannot be read: {0}")]
    Persona(CardImportError),
    /// An article has no id.
    #[error("article number {position} has an empty id")]
    EmptyArticleId { position: usize },
    /// Two articles share an id.
    #[error("two articles have the same id `{0}`")]
    DuplicateArticleId(String),
    /// The prebuilt index was made for other articles.
    #[error("the bundle's search index does not match its articles ({0}): build the bundle again")]
    IndexMismatch(String),
    /// Building the index failed.
    #[error("the articles could not be indexed: {0}")]
    Build(String),
}

/// A loaded bundle: the persona and its knowledge, ready to search.
pub struct LoadedBundle {
    pub persona: Persona,
    /// Built with [`HashEmbedder::default`].
    pub knowledge: KnowledgeBase,
    /// True when the index came from the bundle (nothing was embedded or indexed at load).
    pub prebuilt: bool,
}

impl std::fmt::Debug for LoadedBundle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedBundle")
            .field("persona", &self.persona.name())
            .field("articles", &self.knowledge.articles().count())
            .field("chunks", &self.knowledge.chunk_count())
            .field("prebuilt", &self.prebuilt)
            .finish()
    }
}

#[derive(Serialize, Deserialize)]
struct BundleFile {
    format: String,
    version: u64,
    embedder: String,
    dim: usize,
    persona: Value,
    articles: Vec<Article>,
    index: Option<IndexFile>,
    sizes: Sizes,
}

#[derive(Serialize, Deserialize)]
struct IndexFile {
    vector: String,
    lexical: String,
    chunks: usize,
    bytes: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vector_fnv1a64: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lexical_fnv1a64: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Sizes {
    articles: usize,
    chunks: usize,
}

/// Builds a bundle's JSON: the persona as a V3 card and the articles, with (`with_index`) the
/// prebuilt, merged search index of [`HashEmbedder::default`].
pub fn build_bundle(persona: &Persona, articles: Vec<Article>, with_index: bool) -> Result<String, BundleError> {
    check_article_ids(&articles)?;
    let embedder = HashEmbedder::default();
    let (id, dim) = (embedder.id().to_string(), embedder.dim());
    let card: Value =
        serde_json::from_str(&export_card_json(persona, CardFormat::V3)).expect("an exported card is JSON");
    let (index, chunks) = if with_index {
        let mut knowledge = KnowledgeBase::new(embedder);
        knowledge.upsert_articles(articles.clone()).map_err(|e| BundleError::Build(e.to_string()))?;
        knowledge.merge_index();
        let vector = knowledge.vector_index().to_bytes();
        let lexical = postcard::to_allocvec(&knowledge.lexical_index().snapshot()).expect("a snapshot serialises");
        let chunks = knowledge.chunk_count();
        let index = IndexFile {
            vector: STANDARD.encode(&vector),
            lexical: STANDARD.encode(&lexical),
            chunks,
            bytes: vector.len(),
            vector_fnv1a64: Some(checksum(&vector)),
            lexical_fnv1a64: Some(checksum(&lexical)),
        };
        (Some(index), chunks)
    } else {
        (None, chunk_all(&articles).len())
    };
    let file = BundleFile {
        format: FORMAT.into(),
        version: VERSION,
        embedder: id,
        dim,
        persona: card,
        sizes: Sizes { articles: articles.len(), chunks },
        articles,
        index,
    };
    Ok(serde_json::to_string(&file).expect("a bundle serialises"))
}

/// Reads a bundle: checks format, version, embedder, sizes, the persona card and the article
/// ids, then restores the prebuilt index (checked against the articles) or, without one,
/// builds it.
pub fn load_bundle(json: &str) -> Result<LoadedBundle, BundleError> {
    let file = parse(json)?;
    let embedder = HashEmbedder::default();
    if file.embedder != embedder.id() {
        return Err(BundleError::WrongEmbedder { found: file.embedder, expected: embedder.id().into() });
    }
    if file.dim != embedder.dim() {
        return Err(BundleError::WrongDimension { found: file.dim, expected: embedder.dim() });
    }
    size("article count (`sizes.articles`)", file.sizes.articles, file.articles.len())?;
    check_article_ids(&file.articles)?;
    let card = serde_json::to_string(&file.persona).expect("a JSON value serialises");
    let persona = import_card(card.as_bytes()).map_err(BundleError::Persona)?;
    let chunks = chunk_all(&file.articles);
    size("chunk count (`sizes.chunks`)", file.sizes.chunks, chunks.len())?;

    let Some(index) = file.index else {
        let mut knowledge = KnowledgeBase::new(embedder);
        knowledge.upsert_articles(file.articles).map_err(|e| BundleError::Build(e.to_string()))?;
        knowledge.merge_index();
        return Ok(LoadedBundle { persona, knowledge, prebuilt: false });
    };

    let vector = decode("index.vector", &index.vector)?;
    let lexical = decode("index.lexical", &index.lexical)?;
    size("vector index size in bytes (`index.bytes`)", index.bytes, vector.len())?;
    verify("vector", index.vector_fnv1a64.as_deref(), &vector)?;
    verify("word", index.lexical_fnv1a64.as_deref(), &lexical)?;
    let vectors = VectorIndex::from_bytes(&vector).map_err(|e| BundleError::DamagedIndex(e.to_string()))?;
    drop(vector);
    if vectors.embedder() != embedder.id() {
        return Err(BundleError::WrongEmbedder { found: vectors.embedder().into(), expected: embedder.id().into() });
    }
    if vectors.dim() != embedder.dim() {
        return Err(BundleError::WrongDimension { found: vectors.dim(), expected: embedder.dim() });
    }
    size("index chunk count (`index.chunks`)", index.chunks, vectors.len())?;
    let snapshot: Bm25Snapshot = postcard::from_bytes(&lexical)
        .map_err(|e| BundleError::DamagedIndex(format!("the word index cannot be decoded ({e})")))?;
    let words = Bm25Index::from_snapshot(snapshot)
        .map_err(|e| BundleError::DamagedIndex(format!("the word index is inconsistent: {e}")))?;

    let knowledge = KnowledgeBase::from_parts(
        embedder,
        ChunkConfig::default(),
        SearchConfig::default(),
        file.articles,
        chunks.into_values().collect(),
        vectors,
        words,
    );
    let report = knowledge.check_consistency();
    if !report.is_consistent() {
        return Err(BundleError::IndexMismatch(describe(&report)));
    }
    Ok(LoadedBundle { persona, knowledge, prebuilt: true })
}

/// JSON → the bundle's fields, format and version checked first (so a newer bundle with other
/// fields is reported as newer, not as malformed).
fn parse(json: &str) -> Result<BundleFile, BundleError> {
    let value: Value = serde_json::from_str(json.strip_prefix('\u{feff}').unwrap_or(json)).map_err(json_error)?;
    let Value::Object(root) = &value else {
        return Err(BundleError::NotABundle(format!("it holds a JSON {}, not an object", kind(&value))));
    };
    match root.get("format") {
        None => return Err(BundleError::NotABundle("it has no `format` field".into())),
        Some(Value::String(format)) if format == FORMAT => {}
        Some(other) => {
            return Err(BundleError::NotABundle(format!("its `format` is {other}, not \"{FORMAT}\"")));
        }
    }
    match root.get("version") {
        None => return Err(BundleError::UnknownVersion("missing".into())),
        Some(version) => match version.as_u64() {
            Some(VERSION) => {}
            Some(found) if found > VERSION => {
                return Err(BundleError::NewerVersion { found, supported: VERSION });
            }
            _ => return Err(BundleError::UnknownVersion(version.to_string())),
        },
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let message = message.split(" at line ").next().unwrap_or(&message).to_string();
        BundleError::Malformed { path, message }
    })
}

fn json_error(error: serde_json::Error) -> BundleError {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let message = full.strip_suffix(&format!(" at line {line} column {column}")).unwrap_or(&full);
    let message = match message.strip_prefix("EOF while parsing ") {
        Some(what) => format!("the text ends in the middle of {what} (is the file complete?)"),
        None => message.to_string(),
    };
    BundleError::NotJson { line, column, message }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn check_article_ids(articles: &[Article]) -> Result<(), BundleError> {
    let mut seen = BTreeSet::new();
    for (position, article) in articles.iter().enumerate() {
        if article.id.trim().is_empty() {
            return Err(BundleError::EmptyArticleId { position: position + 1 });
        }
        if !seen.insert(article.id.as_str()) {
            return Err(BundleError::DuplicateArticleId(article.id.clone()));
        }
    }
    Ok(())
}

/// Every chunk the articles make, by id (a knowledge base keeps one chunk per id).
fn chunk_all(articles: &[Article]) -> BTreeMap<String, Chunk> {
    let config = ChunkConfig::default();
    articles.iter().flat_map(|a| chunk_article(&a.id, &a.source, &config)).map(|c| (c.id.clone(), c)).collect()
}

fn size(what: &str, declared: usize, found: usize) -> Result<(), BundleError> {
    if declared == found {
        Ok(())
    } else {
        Err(BundleError::SizeMismatch { what: what.into(), declared, found })
    }
}

fn decode(field: &str, text: &str) -> Result<Vec<u8>, BundleError> {
    STANDARD.decode(text).map_err(|_| BundleError::BadBase64 { field: field.into() })
}

fn checksum(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a64(bytes))
}

fn verify(which: &str, expected: Option<&str>, bytes: &[u8]) -> Result<(), BundleError> {
    match expected {
        Some(expected) if !expected.eq_ignore_ascii_case(&checksum(bytes)) => Err(BundleError::DamagedIndex(format!(
            "the {which} index was changed or damaged after the bundle was built (its checksum does not match)"
        ))),
        _ => Ok(()),
    }
}

fn describe(report: &ConsistencyReport) -> String {
    let mut parts = Vec::new();
    let mut add = |n: usize, what: &str| {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    };
    add(report.missing_from_index, "passages of the articles are missing from the vector index");
    add(report.stale_in_index, "vector index entries belong to no article");
    add(report.missing_from_lexical, "passages of the articles are missing from the word index");
    add(report.stale_in_lexical, "word index entries belong to no article");
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const JANE: &str = include_str!("../../../www/demo/jane.json");
    const DEMO: &[(&str, &str)] = &[
        ("business-plan", include_str!("../../../www/demo/articles/business-plan.md")),
        ("cash-flow", include_str!("../../../www/demo/articles/cash-flow.md")),
        ("pricing", include_str!("../../../www/demo/articles/pricing.md")),
        ("first-hire", include_str!("../../../www/demo/articles/first-hire.md")),
    ];
    const QUERIES: &[&str] = &[
        "How much faster did businesses with a formal written plan grow?",
        "how far ahead should I forecast cash",
        "when should I raise my prices",
        "what paperwork do I need before hiring my first employee",
        "late paying customers invoices",
        "sourdough",
    ];

    fn jane() -> Persona {
        Persona::from_card_json(JANE).unwrap()
    }

    fn articles() -> Vec<Article> {
        DEMO.iter().map(|(id, source)| Article::new(*id, *source)).collect()
    }

    fn direct(articles: Vec<Article>) -> KnowledgeBase {
        let mut kb = KnowledgeBase::new(HashEmbedder::default());
        kb.upsert_articles(articles).unwrap();
        kb.merge_index();
        kb
    }

    fn ids(kb: &KnowledgeBase, query: &str) -> Vec<(String, f32)> {
        kb.search(query, 8).unwrap().into_iter().map(|r| (r.chunk.id, r.score)).collect()
    }

    fn edit(json: &str, change: impl FnOnce(&mut Value)) -> String {
        let mut value: Value = serde_json::from_str(json).unwrap();
        change(&mut value);
        serde_json::to_string(&value).unwrap()
    }

    fn error(json: &str) -> BundleError {
        load_bundle(json).unwrap_err()
    }

    #[test]
    fn a_prebuilt_bundle_loads_without_rebuilding_and_searches_like_a_direct_build() {
        let json = build_bundle(&jane(), articles(), true).unwrap();
        let loaded = load_bundle(&json).unwrap();
        assert!(loaded.prebuilt);
        assert_eq!(loaded.persona.name(), "Jane");
        assert_eq!(loaded.persona.profile, jane().profile);
        let kb = &loaded.knowledge;
        let expected = direct(articles());
        assert_eq!(kb.chunk_count(), expected.chunk_count());
        assert!(kb.chunk_count() > 10);
        assert_eq!(kb.vector_index().segments(), (kb.chunk_count(), 0, 0), "a merged base, nothing to merge");
        for query in QUERIES {
            let hits = ids(kb, query);
            assert!(!hits.is_empty(), "{query}");
            assert_eq!(hits, ids(&expected, query), "{query}");
        }
        // The index is the bundle's, byte for byte.
        let value: Value = serde_json::from_str(&json).unwrap();
        let stored = STANDARD.decode(value["index"]["vector"].as_str().unwrap()).unwrap();
        assert_eq!(kb.vector_index().to_bytes(), stored);
        assert_eq!(value["index"]["bytes"].as_u64().unwrap() as usize, stored.len());
        assert_eq!(value["sizes"]["chunks"].as_u64().unwrap() as usize, kb.chunk_count());
        assert_eq!(value["sizes"]["articles"], 4);
        assert_eq!(value["persona"]["spec"], "chara_card_v3");
        assert_eq!(
            postcard::to_allocvec(&kb.lexical_index().snapshot()).unwrap(),
            STANDARD.decode(value["index"]["lexical"].as_str().unwrap()).unwrap()
        );
        assert!(kb.check_consistency().is_consistent());
    }

    #[test]
    fn a_bundle_without_index_is_indexed_at_load() {
        let json = build_bundle(&jane(), articles(), false).unwrap();
        let with = build_bundle(&jane(), articles(), true).unwrap();
        assert!(json.len() * 2 < with.len(), "no index, a much smaller file");
        let value: Value = serde_json::from_str(&json).unwrap();
        assert!(value["index"].is_null());
        let loaded = load_bundle(&json).unwrap();
        assert!(!loaded.prebuilt);
        let expected = direct(articles());
        assert_eq!(value["sizes"]["chunks"].as_u64().unwrap() as usize, expected.chunk_count());
        assert_eq!(loaded.knowledge.vector_index().segments(), (expected.chunk_count(), 0, 0));
        for query in QUERIES {
            assert_eq!(ids(&loaded.knowledge, query), ids(&expected, query), "{query}");
        }
    }

    #[test]
    fn an_empty_bundle_loads() {
        for with_index in [true, false] {
            let loaded = load_bundle(&build_bundle(&jane(), vec![], with_index).unwrap()).unwrap();
            assert_eq!(loaded.knowledge.chunk_count(), 0);
            assert!(loaded.knowledge.search("cash", 3).unwrap().is_empty());
        }
    }

    #[test]
    fn building_refuses_empty_and_duplicate_ids() {
        let mut twice = articles();
        twice.push(Article::new("pricing", "# Again\n\nText.\n"));
        assert_eq!(build_bundle(&jane(), twice, true).unwrap_err(), BundleError::DuplicateArticleId("pricing".into()));
        let empty = vec![Article::new("a", "# A\n\nx\n"), Article::new(" ", "# B\n\ny\n")];
        assert_eq!(build_bundle(&jane(), empty, false).unwrap_err(), BundleError::EmptyArticleId { position: 2 });
    }

    #[test]
    fn a_truncated_file_is_not_json_with_its_position() {
        let json = build_bundle(&jane(), articles(), false).unwrap();
        let cut = &json[..json.len() / 2];
        let err = error(cut);
        assert!(matches!(err, BundleError::NotJson { line: 1, column, .. } if column == cut.len()), "{err:?}");
        assert!(err.to_string().contains("ends in the middle of"), "{err}");
        assert!(err.to_string().starts_with("the bundle is not valid JSON (line 1, column "), "{err}");
    }

    #[test]
    fn other_json_is_not_a_bundle() {
        assert_eq!(error("[1, 2]"), BundleError::NotABundle("it holds a JSON list, not an object".into()));
        assert_eq!(error(JANE), BundleError::NotABundle("it has no `format` field".into()));
        let other = edit(&build_bundle(&jane(), vec![], false).unwrap(), |v| v["format"] = "zip".into());
        assert_eq!(
            error(&other).to_string(),
            "this file is not a persona-engine bundle: its `format` is \"zip\", not \"persona-engine-bundle\""
        );
    }

    #[test]
    fn versions_newer_or_unknown_are_refused() {
        let json = build_bundle(&jane(), articles(), true).unwrap();
        let newer = edit(&json, |v| {
            v["version"] = 2.into();
            v["articles"] = "a newer layout".into();
        });
        let err = error(&newer);
        assert_eq!(err, BundleError::NewerVersion { found: 2, supported: 1 });
        assert_eq!(err.to_string(), "this bundle was made by a newer version (2); this build reads version 1");
        assert_eq!(error(&edit(&json, |v| v["version"] = 0.into())), BundleError::UnknownVersion("0".into()));
        let missing = edit(&json, |v| {
            v.as_object_mut().unwrap().remove("version");
        });
        assert_eq!(error(&missing).to_string(), "the bundle's version is missing, but this build reads version 1");
    }

    #[test]
    fn a_missing_field_is_named() {
        let json = build_bundle(&jane(), articles(), false).unwrap();
        let err = error(&edit(&json, |v| {
            v["articles"][2].as_object_mut().unwrap().remove("source");
        }));
        assert!(
            matches!(&err, BundleError::Malformed { path, message } if path == "articles[2]" && message.contains("`source`")),
            "{err:?}"
        );
    }

    #[test]
    fn another_embedder_is_refused() {
        let json = build_bundle(&jane(), articles(), true).unwrap();
        let err = error(&edit(&json, |v| v["embedder"] = "openai:text-embedding-3-small:1536".into()));
        assert_eq!(
            err.to_string(),
            "this bundle was built with embedder `openai:text-embedding-3-small:1536`, this build uses \
             `hash-ngram-v1-384`: build the bundle again"
        );
        assert_eq!(
            error(&edit(&json, |v| v["dim"] = 256.into())),
            BundleError::WrongDimension { found: 256, expected: 384 }
        );
    }

    #[test]
    fn declared_sizes_must_match() {
        let json = build_bundle(&jane(), articles(), true).unwrap();
        let chunks = direct(articles()).chunk_count();
        let err = error(&edit(&json, |v| v["sizes"]["chunks"] = (chunks + 1).into()));
        assert_eq!(
            err,
            BundleError::SizeMismatch {
                what: "chunk count (`sizes.chunks`)".into(),
                declared: chunks + 1,
                found: chunks
            }
        );
        assert!(err.to_string().contains(&format!("says {}, but it holds {chunks}", chunks + 1)), "{err}");
        let err = error(&edit(&json, |v| v["index"]["chunks"] = 3.into()));
        assert!(
            matches!(&err, BundleError::SizeMismatch { what, declared: 3, found } if what.contains("index.chunks") && *found == chunks),
            "{err:?}"
        );
        let err = error(&edit(&json, |v| v["sizes"]["articles"] = 5.into()));
        assert!(matches!(&err, BundleError::SizeMismatch { declared: 5, found: 4, .. }), "{err:?}");
        let err = error(&edit(&json, |v| {
            let bytes = v["index"]["bytes"].as_u64().unwrap();
            v["index"]["bytes"] = (bytes - 1).into();
        }));
        assert!(matches!(&err, BundleError::SizeMismatch { what, .. } if what.contains("index.bytes")), "{err:?}");
        // Without an index the chunk count is still checked.
        let plain = build_bundle(&jane(), articles(), false).unwrap();
        let err = error(&edit(&plain, |v| v["sizes"]["chunks"] = 1.into()));
        assert!(matches!(err, BundleError::SizeMismatch { declared: 1, .. }), "{err:?}");
    }

    /// `text` with the character at `at` replaced by another base64 character.
    fn flip(text: &str, at: usize) -> String {
        let mut bytes = text.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_damaged_index_is_refused() {
        let json = build_bundle(&jane(), articles(), true).unwrap();
        let value: Value = serde_json::from_str(&json).unwrap();
        let vector = value["index"]["vector"].as_str().unwrap().to_string();

        // One changed character in the middle of the vector index: it decodes, the checksum fails.
        let flipped = edit(&json, |v| v["index"]["vector"] = flip(&vector, vector.len() / 2).into());
        let err = error(&flipped);
        assert_eq!(
            err.to_string(),
            "the bundle's prebuilt search index cannot be read: the vector index was changed or damaged after \
             the bundle was built (its checksum does not match)"
        );
        let lexical = value["index"]["lexical"].as_str().unwrap().to_string();
        let err = error(&edit(&json, |v| v["index"]["lexical"] = flip(&lexical, lexical.len() / 3).into()));
        assert!(err.to_string().contains("the word index was changed or damaged"), "{err}");

        // Not base64 at all.
        let err = error(&edit(&json, |v| v["index"]["vector"] = format!("{}!{}", &vector[..8], &vector[9..]).into()));
        assert_eq!(err, BundleError::BadBase64 { field: "index.vector".into() });
        assert!(err.to_string().contains("`index.vector` is not valid base64"), "{err}");

        // Without checksums the index's own format checks speak (IndexFormatError's text).
        let mut bytes = STANDARD.decode(&vector).unwrap();
        bytes[0] = b'X';
        let unchecked = edit(&json, |v| {
            let index = v["index"].as_object_mut().unwrap();
            index.remove("vector_fnv1a64");
            index.insert("vector".into(), STANDARD.encode(&bytes).into());
        });
        assert_eq!(
            error(&unchecked).to_string(),
            "the bundle's prebuilt search index cannot be read: these bytes are not a persona-engine vector index"
        );
        let cut = STANDARD.decode(&vector).unwrap()[..100].to_vec();
        let truncated = edit(&json, |v| {
            let index = v["index"].as_object_mut().unwrap();
            index.remove("vector_fnv1a64");
            index.insert("vector".into(), STANDARD.encode(&cut).into());
            index.insert("bytes".into(), 100.into());
        });
        assert_eq!(error(&truncated), BundleError::DamagedIndex("the vector index is damaged: truncated".into()));
        let garbage = edit(&json, |v| {
            let index = v["index"].as_object_mut().unwrap();
            index.remove("lexical_fnv1a64");
            index.insert("lexical".into(), STANDARD.encode([0xff; 5]).into());
        });
        assert!(error(&garbage).to_string().contains("the word index cannot be decoded"), "{}", error(&garbage));
    }

    #[test]
    fn a_broken_persona_card_gives_the_card_error() {
        let json = build_bundle(&jane(), articles(), false).unwrap();
        let err = error(&edit(&json, |v| v["persona"]["data"]["name"] = " ".into()));
        assert_eq!(err, BundleError::Persona(CardImportError::EmptyName("data.name".into())));
        assert_eq!(
            err.to_string(),
            format!("the bundle's persona card cannot be read: {}", CardImportError::EmptyName("data.name".into()))
        );
        let err = error(&edit(&json, |v| v["persona"]["spec"] = "chara_card_v9".into()));
        assert_eq!(err, BundleError::Persona(CardImportError::UnsupportedSpec("chara_card_v9".into())));
        let err = error(&edit(&json, |v| v["persona"]["data"]["tags"] = 7.into()));
        assert!(matches!(err, BundleError::Persona(CardImportError::WrongType { .. })), "{err:?}");
    }

    #[test]
    fn article_ids_must_be_unique_and_present() {
        let json = build_bundle(&jane(), articles(), true).unwrap();
        let err = error(&edit(&json, |v| v["articles"][3]["id"] = "cash-flow".into()));
        assert_eq!(err, BundleError::DuplicateArticleId("cash-flow".into()));
        assert_eq!(err.to_string(), "two articles have the same id `cash-flow`");
        let err = error(&edit(&json, |v| v["articles"][0]["id"] = "".into()));
        assert_eq!(err, BundleError::EmptyArticleId { position: 1 });
    }

    #[test]
    fn another_bundles_index_is_refused_not_rebuilt() {
        let json = build_bundle(&jane(), articles(), true).unwrap();
        // Another site's bundle with the same number of passages (the same texts under other
        // article ids, so every passage id differs).
        let mut others = articles();
        for article in &mut others {
            article.id = format!("other-{}", article.id);
        }
        let other = build_bundle(&jane(), others, true).unwrap();
        let other: Value = serde_json::from_str(&other).unwrap();
        let mine: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(other["index"]["chunks"], mine["index"]["chunks"]);
        let swapped = edit(&json, |v| v["index"] = other["index"].clone());
        let err = error(&swapped);
        let BundleError::IndexMismatch(details) = &err else { panic!("{err:?}") };
        assert!(details.contains("passages of the articles are missing from the vector index"), "{details}");
        assert!(details.contains("word index entries belong to no article"), "{details}");
        assert!(err.to_string().ends_with("build the bundle again"), "{err}");

        // An index for one article fewer.
        let fewer = build_bundle(&jane(), articles()[..3].to_vec(), true).unwrap();
        let fewer: Value = serde_json::from_str(&fewer).unwrap();
        let err = error(&edit(&json, |v| v["index"] = fewer["index"].clone()));
        assert!(matches!(err, BundleError::IndexMismatch(_)), "{err:?}");
    }
}
