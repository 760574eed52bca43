//! OpenAI-compatible chat-completions and embeddings clients for the persona engine.
//!
//! [`OpenAiChatModel`] implements [`persona_core::model::ChatModel`] against any server that
//! speaks OpenAI's `POST /v1/chat/completions`: OpenAI itself, Ollama, the llama.cpp server,
//! vLLM, LM Studio. [`OpenAiEmbedder`] implements [`persona_core::embed::BatchEmbedder`]
//! against the same servers' `POST /v1/embeddings`. Both are configured with an
//! [`EndpointConfig`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use persona_core::model::{ChatMessage, ChatModel, CompletionRequest};
//! use persona_model::{EndpointConfig, OpenAiChatModel};
//!
//! let model = OpenAiChatModel::new(EndpointConfig::new("http://127.0.0.1:11434/v1", "llama3.2"))?;
//! let request = CompletionRequest {
//!     model: String::new(), // empty: use the endpoint's model
//!     messages: vec![ChatMessage::user("Hello!")],
//!     temperature: Some(0.7),
//!     max_tokens: None,
//! };
//! let completion = model.complete(&request).await?;
//! println!("{}", completion.text);
//! # Ok(()) }
//! ```
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use persona_core::embed::BatchEmbedder;
//! use persona_model::{EndpointConfig, OpenAiEmbedder};
//!
//! let config = EndpointConfig::new("http://127.0.0.1:11434/v1", "nomic-embed-text");
//! let embedder = OpenAiEmbedder::new(config, 768)?.with_batch_size(32);
//! assert_eq!(embedder.id(), "openai:nomic-embed-text:768");
//! let embeddings = embedder.embed_batch(&["first text".to_owned(), "second text".to_owned()]).await?;
//! assert_eq!(embeddings[1].vector.len(), 768);
//! # Ok(()) }
//! ```
//!
//! Design decisions:
//! - **One transport for native and browser.** `reqwest` uses hyper + rustls natively and
//!   the browser's `fetch` on `wasm32-unknown-unknown`, so the same code serves the CLI, the
//!   tests and the web app. Futures are not `Send`, as the core trait allows, because `fetch`
//!   futures are not.
//! - **Wire types apart from domain types.** [`wire`] holds serde types of OpenAI's documented
//!   JSON (including the streaming chunk), separate from the core's `CompletionRequest` and
//!   `Completion`, so the format can grow (streaming, tools) without touching the core.
//! - **Pure error mapping.** Status, headers and body are mapped to
//!   [`ModelError`](persona_core::model::ModelError) by plain functions, tested without a
//!   network: no HTTP answer → `Network`; 429 → `RateLimited` (from `retry-after-ms` or
//!   `Retry-After` delta-seconds); other non-2xx → `Http` with OpenAI's `error.message` or
//!   the start of the body; a 2xx that is not a chat completion → `Malformed`.
//! - **One HTTP step for both clients.** Chat and embeddings share the request (headers,
//!   bearer token, timeout) and the error mapping above. The embedder reports a failed request
//!   as [`EmbedError::Service`](persona_core::embed::EmbedError::Service) carrying the same
//!   words as the chat client's error (a 2xx that is not an embedding list says so).
//! - **The API key stays secret.** It is sent only as `Authorization: Bearer …` to the
//!   configured endpoint, shown as `[redacted]` by `Debug`, and scrubbed from every error
//!   message; nothing is logged.
//! - **Embeddings are checked, never trusted.** The embedder's id is `openai:<model>:<dim>`, so
//!   vectors of different models or dimensions never share an index. Texts go out in batches of
//!   at most [`DEFAULT_BATCH_SIZE`] (configurable), one request after another; each answer is
//!   put back in input order by the items' `index` (not by their order in the body), must hold
//!   exactly one vector per text (else `WrongCount`) of the declared length (else
//!   `WrongDimension`), and is scaled to unit length. `dimensions` is sent only when asked for
//!   ([`OpenAiEmbedder::with_send_dimensions`]): Ollama and llama.cpp may reject or ignore it.
//!   An empty input makes no request.
//! - **Ready for streaming.** Requests go through one `post` step that returns the raw
//!   response, so a streaming variant only adds `stream: true`, `Accept: text/event-stream`
//!   and an event parser over [`wire::ChatCompletionChunk`]. Only non-streaming completion
//!   is implemented for now; retries and cancellation are the caller's business.
//!
//! On wasm, the browser enforces CORS: the endpoint must allow the page's origin and the
//! `authorization` and `content-type` headers, and expose `Retry-After` for rate-limit hints
//! to arrive. A CORS refusal looks like any other network failure (`Network`, or `Service`
//! from the embedder).

mod client;
mod config;
mod embedder;
mod response;
mod transport;
pub mod wire;

pub use client::OpenAiChatModel;
pub use config::{ConfigError, EndpointConfig};
pub use embedder::{OpenAiEmbedder, DEFAULT_BATCH_SIZE};
