//! The persona engine's core.
//!
//! Everything here is plain Rust: no IO, no clocks, no browser types. Storage, HTTP and the UI
//! are adapters in sibling crates that implement the traits defined here ([`store::Store`],
//! [`model::ChatModel`], [`embed::Embedder`]). That keeps the logic that decides what a persona
//! says — retrieval, the turn state machine, the offline backend — testable natively and fast.
//!
//! Module map:
//! - [`persona`]: the persona profile, read from a Character Card V2 JSON.
//! - [`card`]: Character Card V1/V2/V3 files, JSON or PNG: import with clear errors, export.
//! - [`chunk`]: Markdown/plain text → chunks with heading path, offsets and a content-hash id.
//! - [`markdown`]: Markdown → a small, closed, safe document tree (no raw HTML, safe links, citations).
//! - [`facts`]: a chunk → numbered, atomic facts (what grounding rebuilds answers from).
//! - [`grounding`]: deterministic checks on replies: citations, figures, invented experience, leaks.
//! - [`embed`]: the [`embed::Embedder`] trait and the built-in offline hashing embedder.
//! - [`index`]: the HNSW vector index on `instant-distance`.
//! - [`lexicon`]: synonym groups for query expansion.
//! - [`knowledge`]: articles + chunks + index kept in step; retrieval.
//! - [`chat`]: the optimistic chat state machine (pending → sent | failed).
//! - [`offline`]: the built-in offline backend that answers from retrieved text alone.
//! - [`turn`]: retrieval from both memories, the turn's trace, the single-call helpers.
//! - [`pipeline`]: the seven stages, their scheduler, retries, and the turn state machine.
//! - [`structured`]: JSON stage outputs parsed into types, with one repair call.
//! - [`model`]: the chat-model trait the HTTP client implements.
//! - [`prompt`]: prompt assembly in a designed, tested order.
//! - [`store`]: the storage trait (tables of records, atomic batches) and an in-memory store.
//! - [`backup`]: everything in a store as one versioned JSON file, and back.
//! - [`bundle`]: a persona and its articles with a prebuilt index as one versioned JSON file, and back.
//! - [`persist`]: what each engine operation writes, as one batch; reading it back.
//! - [`settings`]: the user's settings (endpoint, key, models per stage, retrieval depth, offline), validated in plain words.
//! - [`library`]: personas, their conversations and drafts: writes as batches, reads.
//! - [`vet`]: Vet's deterministic first layer: obfuscation folded away, manipulation techniques recognised.

pub mod backup;
pub mod bm25;
pub mod bundle;
pub mod card;
pub mod chat;
pub mod chunk;
pub mod embed;
pub mod facts;
pub mod grounding;
pub mod index;
pub mod knowledge;
pub mod lexicon;
pub mod library;
pub mod markdown;
pub mod model;
pub mod offline;
pub mod persist;
pub mod persona;
pub mod pipeline;
pub mod prompt;
pub mod settings;
pub mod store;
pub mod structured;
pub mod text;
pub mod turn;
pub mod vet;
