//! A fake OpenAI-compatible HTTP server for tests.
//!
//! It answers the parts of the OpenAI API the persona engine uses — `POST /v1/chat/completions`
//! (plain and streamed), `GET /v1/models` and `POST /v1/embeddings` — from a [`Script`]: an
//! ordered list of [`Rule`]s, each with an optional [`Match`] and a [`Reply`] that is either a
//! text or a fault (an error status, a rate limit with `Retry-After`, a malformed body, a
//! connection cut mid-answer, or closed with no answer at all), optionally delayed; a script-wide
//! latency ([`Script::latency`]) delays every chat answer, like a real model's. Rules can be limited to `times` uses, so a
//! test can script "fail twice, then succeed". Embeddings have their own rule list
//! ([`Script::embedding_rule`]), so a chat fault never hits them by accident. Every request is recorded, so tests can check
//! what a client actually sent ([`FakeServer::requests`]).
//!
//! ```no_run
//! # async fn demo() {
//! use persona_fake_server::{FakeServer, Reply, Rule, Script};
//!
//! let script = Script::new()
//!     .rule(Rule::new(Reply::error(503, "overloaded")).times(2))
//!     .rule(Rule::new(Reply::text("Hello!")).user_contains("hi"));
//! let server = FakeServer::start(script).await;
//! // point the client under test at server.base_url() ("http://127.0.0.1:PORT/v1") …
//! assert!(server.requests().is_empty());
//! server.shutdown().await;
//! # }
//! ```
//!
//! Design decisions:
//! - **Loopback only.** The server binds 127.0.0.1 and nothing else: it exists for tests and
//!   must never be reachable from the network.
//! - **Faithful wire format, independent types.** Responses follow OpenAI's documented JSON
//!   byte for byte where it matters (`object`, `choices`, `delta`, `usage`, `[DONE]`, the error
//!   object), and the server parses requests with its own minimal types rather than the client
//!   crate's, so a bug in the client's wire types cannot be mirrored here and go unnoticed.
//! - **Script as data.** [`Script`] is serde-deserialisable, so the `fake-openai` binary (used
//!   by the browser end-to-end tests) and Rust tests share one format; unknown fields are
//!   rejected and delays are bounded by [`MAX_DELAY`] so mistakes fail fast.
//! - **Permissive CORS.** Browser tests call the server from another local origin, so it
//!   answers preflights for any origin, mirrors the requested headers (a `*` would not cover
//!   `Authorization`) and exposes `Retry-After`.
//! - **Record everything.** Recording is the outermost layer; preflights and rejected requests
//!   appear in the log as well.
//!
//! The default reply, when no rule applies, is the echo `echo: <last user message>`. Token
//! counts in `usage` are whitespace-separated words, a deterministic stand-in for a tokenizer.

mod conn;
mod record;
mod routes;
mod script;
mod server;
mod state;

pub use record::RecordedRequest;
pub use script::{
    Match, Reply, Rule, Script, ScriptError, DEFAULT_EMBEDDING_DIMENSIONS, DEFAULT_MODEL, MAX_DELAY,
    MAX_EMBEDDING_DIMENSIONS,
};
pub use server::{FakeServer, ServerError, SHUTDOWN_GRACE};
