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
//!     json_schema: None,
//! };
//! let completion = model.complete(&request).await?;
//! println!("{}", completion.text);
//! # Ok(()) }
//! ```
//!
//! Streaming, with retries and cancellation:
//!
//! ```no_run
//! # async fn demo(request: persona_core::model::CompletionRequest) -> Result<(), Box<dyn std::error::Error>> {
//! use persona_core::model::{CancelToken, ChatModel};
//! use persona_model::{EndpointConfig, OpenAiChatModel, RetryPolicy};
//!
//! let config = EndpointConfig::new("http://127.0.0.1:11434/v1", "llama3.2").with_timeout_ms(60_000);
//! let model = OpenAiChatModel::new(config)?.with_retry_policy(RetryPolicy::default());
//! let cancel = CancelToken::new(); // keep a clone; `cancel.cancel()` aborts the request
//! let outcome = model.complete_streaming(&request, &mut |piece| print!("{piece}"), &cancel).await?;
//! println!("\n({} attempt(s))", outcome.attempts);
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
//!   message (including the last error inside `RetriesExhausted` and errors reported
//!   mid-stream); nothing is logged.
//! - **Embeddings are checked, never trusted.** The embedder's id is `openai:<model>:<dim>`, so
//!   vectors of different models or dimensions never share an index. Texts go out in batches of
//!   at most [`DEFAULT_BATCH_SIZE`] (configurable), one request after another; each answer is
//!   put back in input order by the items' `index` (not by their order in the body), must hold
//!   exactly one vector per text (else `WrongCount`) of the declared length (else
//!   `WrongDimension`), and is scaled to unit length. `dimensions` is sent only when asked for
//!   ([`OpenAiEmbedder::with_send_dimensions`]): Ollama and llama.cpp may reject or ignore it.
//!   An empty input makes no request.
//! - **Streaming.** [`ChatModel::complete_streaming`](persona_core::model::ChatModel::complete_streaming)
//!   sends `stream: true` with `stream_options: {"include_usage": true}` and
//!   `Accept: text/event-stream`, reads the body with reqwest's `bytes_stream` (hyper natively,
//!   a `ReadableStream` in the browser) through our incremental [`sse::SseParser`] (no SSE
//!   crate fits both targets without pulling in more; ours handles events split across
//!   network chunks, `\r\n`/`\r`, comments and unknown fields), and folds the
//!   `chat.completion.chunk`s' `choices[0].delta.content` into the text, handing each piece to
//!   the callback in order. Usage comes from the final chunk when the server sends it. A
//!   stream that breaks off or ends without `data: [DONE]` is `ModelError::Interrupted`, never
//!   a partial success; a mid-stream `{"error": …}` event is too. A server that ignores
//!   `stream` and answers with plain JSON is accepted (the text is one piece).
//! - **Retries.** [`RetryPolicy`] (default: 3 attempts, 500 ms doubling to at most 8 s)
//!   retries network errors, streams cut before any text was handed on, 5xx and 408; 429
//!   waits for `Retry-After` (`retry-after-ms`, seconds or an HTTP-date) when given, unless it
//!   is longer than `max_retry_after_ms` (30 s), which fails at once with the wait it asked
//!   for. Other 4xx, malformed bodies, time-outs and cancellation are final; text already
//!   streamed is never requested again. Waits go through a [`Sleeper`] (tokio natively,
//!   `setTimeout` in wasm; [`RecordingSleeper`] in tests). A call reports its attempts in
//!   [`CompletionOutcome`](persona_core::model::CompletionOutcome); running out is
//!   `ModelError::RetriesExhausted { attempts, last }`. The required
//!   [`ChatModel::complete`](persona_core::model::ChatModel::complete) stays one plain attempt,
//!   as before.
//! - **Cancellation.** `complete_cancellable` and `complete_streaming` take the core's
//!   [`CancelToken`](persona_core::model::CancelToken); when it fires, the call resolves to
//!   `ModelError::Cancelled` at once and drops the request future, which closes the connection
//!   natively and aborts the `fetch` (reqwest's `AbortController`) in the browser.
//! - **Per-stage settings.** Each stage gets its own [`EndpointConfig`]: base URL, key, model,
//!   `temperature`, `max_tokens` (defaults for requests that set none) and `timeout`, a limit
//!   on the whole call (attempts and waits included) that ends it with `ModelError::Timeout`
//!   (a timer race on both targets, plus reqwest's own timeout per request).
//! - **Structured output.** [`OpenAiChatModel::complete_json`] asks for JSON matching a schema
//!   (`response_format` `json_schema`, `strict: true`, or an instruction in words when
//!   [`EndpointConfig::json_schema`] is off), parses it into any `DeserializeOwned` type
//!   (tolerating a Markdown fence), and makes one repair call with the parse error before
//!   failing with `ModelError::Malformed`.
//!
//! On wasm, the browser enforces CORS: the endpoint must allow the page's origin and the
//! `authorization` and `content-type` headers, and expose `Retry-After` for rate-limit hints
//! to arrive. A CORS refusal looks like any other network failure (`Network`, or `Service`
//! from the embedder).

mod client;
mod config;
mod embedder;
mod probe;
mod response;
mod retry;
pub mod sse;
mod structured;
mod transport;
pub mod wire;

pub use client::OpenAiChatModel;
pub use config::{ConfigError, EndpointConfig};
pub use embedder::{OpenAiEmbedder, DEFAULT_BATCH_SIZE};
pub use probe::{test_connection, ConnectionProblem, ConnectionReport, PROBE_TIMEOUT};
pub use retry::{is_retryable, PlatformSleeper, RecordingSleeper, RetryPolicy, Sleeper};
pub use structured::Structured;
