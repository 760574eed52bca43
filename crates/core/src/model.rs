//! The chat-model interface that every stage calls.
//!
//! The core only knows this trait and these plain types; the OpenAI-compatible wire format and
//! the HTTP transports live in the `persona-model` crate. Methods return futures without a
//! `Send` bound so the browser implementation (single-threaded, `fetch`) fits.
//!
//! A call can stream its tokens and be cancelled: [`ChatModel::complete_streaming`] hands each
//! piece of text to a callback as it arrives, and a [`CancelToken`] (owned by whoever runs the
//! turn) stops it. A cancelled call resolves promptly to [`ModelError::Cancelled`] and drops its
//! in-flight work, which for an HTTP client closes the request. The token does no IO: it is a
//! flag and a list of wakers, so the core can hold one without a runtime.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// One message of a chat-completion request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage { role: "system".into(), content: content.into() }
    }
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage { role: "user".into(), content: content.into() }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage { role: "assistant".into(), content: content.into() }
    }
}

/// A request for one completion.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CompletionRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    /// Asks for JSON matching this schema (structured stage output). A client sends it as
    /// `response_format: {"type": "json_schema", …}` where the endpoint supports that, and as
    /// an instruction in the system message where not; see [`crate::structured`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<JsonSchemaSpec>,
}

/// A named JSON Schema for a structured answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JsonSchemaSpec {
    /// `[a-zA-Z0-9_-]{1,64}`, as OpenAI requires.
    pub name: String,
    pub schema: serde_json::Value,
}

/// The model's answer and what it cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    pub text: String,
    /// The model that answered, as the endpoint reports it.
    pub model: String,
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
}

/// Why a completion failed.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ModelError {
    /// The request never got an HTTP answer (DNS, refused connection, CORS, offline).
    #[error("could not reach the model endpoint: {0}")]
    Network(String),
    /// The endpoint answered with an error status.
    #[error("the model endpoint answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// HTTP 429; `retry_after_ms` from the `Retry-After` header when present.
    #[error("the model endpoint is rate-limiting requests")]
    RateLimited { retry_after_ms: Option<u64> },
    /// The body could not be read as a chat completion (or, for structured output, the reply
    /// was not the JSON asked for, even after a repair attempt).
    #[error("the model endpoint sent a response that is not a chat completion: {0}")]
    Malformed(String),
    /// A streamed answer broke off: the connection closed, or the stream ended without its
    /// final `[DONE]` event. What arrived before is not an answer.
    #[error("the model's streamed answer broke off: {0}")]
    Interrupted(String),
    /// No complete answer within the configured time limit.
    #[error("the model endpoint did not answer within {after_ms} ms")]
    Timeout { after_ms: u64 },
    /// The call was cancelled (a [`CancelToken`] fired) before it finished.
    #[error("the model call was cancelled")]
    Cancelled,
    /// Every attempt the retry policy allows failed with a retryable error; `last` is the
    /// last attempt's.
    #[error("the model endpoint failed {attempts} times; last: {last}")]
    RetriesExhausted { attempts: u32, last: Box<ModelError> },
}

impl ModelError {
    /// The error behind a [`ModelError::RetriesExhausted`], or this error itself.
    pub fn root(&self) -> &ModelError {
        match self {
            ModelError::RetriesExhausted { last, .. } => last.root(),
            other => other,
        }
    }

    /// True when the endpoint could not be reached at all (no HTTP answer: offline, DNS,
    /// refused, CORS), retries included: the case where answering offline is the way on.
    pub fn is_unreachable(&self) -> bool {
        matches!(self.root(), ModelError::Network(_))
    }
}

/// A completion and how the call went, for the turn's trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompletionOutcome {
    pub completion: Completion,
    /// HTTP attempts made, retries included (1 when the first succeeded).
    #[serde(default = "one")]
    pub attempts: u32,
}

fn one() -> u32 {
    1
}

/// A cancellation signal shared between whoever runs a call and the call itself.
///
/// Clones share one flag. [`CancelToken::cancel`] sets it for good and wakes every future
/// waiting in [`CancelToken::cancelled`] or [`CancelToken::run`]. No IO, no timers.
#[derive(Clone, Default)]
pub struct CancelToken {
    inner: Arc<CancelInner>,
}

#[derive(Default)]
struct CancelInner {
    cancelled: AtomicBool,
    next_id: AtomicU64,
    waiters: Mutex<Vec<(u64, Waker)>>,
}

impl CancelInner {
    fn waiters(&self) -> MutexGuard<'_, Vec<(u64, Waker)>> {
        self.waiters.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for CancelToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CancelToken").field("cancelled", &self.is_cancelled()).finish()
    }
}

impl CancelToken {
    /// A token that has not fired.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Fires the token: every call it guards stops. Idempotent.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let waiters = std::mem::take(&mut *self.inner.waiters());
        for (_, waker) in waiters {
            waker.wake();
        }
    }

    /// Whether the token has fired.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// A future that resolves once the token fires.
    pub fn cancelled(&self) -> Cancelled<'_> {
        Cancelled { token: self, id: None }
    }

    /// Runs `future` until it finishes (`Ok`) or the token fires (`Err(ModelError::Cancelled)`),
    /// whichever comes first; on cancellation `future` is dropped at once, which aborts whatever
    /// it was doing (an HTTP client closes its request). A token that has already fired does not
    /// poll `future` at all.
    pub async fn run<F: Future>(&self, future: F) -> Result<F::Output, ModelError> {
        let mut future = pin!(future);
        let mut cancelled = pin!(self.cancelled());
        std::future::poll_fn(|cx| {
            if cancelled.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Err(ModelError::Cancelled));
            }
            future.as_mut().poll(cx).map(Ok)
        })
        .await
    }
}

/// The future of [`CancelToken::cancelled`].
pub struct Cancelled<'a> {
    token: &'a CancelToken,
    id: Option<u64>,
}

impl Future for Cancelled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let inner = &self.token.inner;
        if inner.cancelled.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        let mut waiters = inner.waiters();
        // Checked again under the lock: `cancel` sets the flag before taking the waiters.
        if inner.cancelled.load(Ordering::SeqCst) {
            return Poll::Ready(());
        }
        match self.id.and_then(|id| waiters.iter_mut().find(|(key, _)| *key == id)) {
            Some((_, waker)) => waker.clone_from(cx.waker()),
            None => {
                let id = inner.next_id.fetch_add(1, Ordering::Relaxed);
                waiters.push((id, cx.waker().clone()));
                drop(waiters);
                self.id = Some(id);
            }
        }
        Poll::Pending
    }
}

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.token.inner.waiters().retain(|(key, _)| *key != id);
        }
    }
}

/// Something that completes chats: a remote endpoint, or a scripted model in tests.
///
/// Only [`ChatModel::complete`] is required. The other methods have defaults built on it (no
/// retries, the whole text as one token); a remote client overrides them to retry, stream and
/// abort its request.
pub trait ChatModel {
    /// One completion, one attempt.
    fn complete(&self, request: &CompletionRequest) -> impl Future<Output = Result<Completion, ModelError>>;

    /// A completion that stops with [`ModelError::Cancelled`] as soon as `cancel` fires.
    fn complete_cancellable(
        &self,
        request: &CompletionRequest,
        cancel: &CancelToken,
    ) -> impl Future<Output = Result<CompletionOutcome, ModelError>> {
        async move {
            let completion = cancel.run(self.complete(request)).await??;
            Ok(CompletionOutcome { completion, attempts: 1 })
        }
    }

    /// A cancellable completion whose text is also handed to `on_token` piece by piece as it
    /// arrives; the final text is the concatenation of the pieces.
    fn complete_streaming(
        &self,
        request: &CompletionRequest,
        on_token: &mut dyn FnMut(&str),
        cancel: &CancelToken,
    ) -> impl Future<Output = Result<CompletionOutcome, ModelError>> {
        async move {
            let outcome = self.complete_cancellable(request, cancel).await?;
            if !outcome.completion.text.is_empty() {
                on_token(&outcome.completion.text);
            }
            Ok(outcome)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;
    use std::task::Wake;

    struct CountingWaker(std::sync::atomic::AtomicUsize);
    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn poll_once<F: Future>(future: Pin<&mut F>, waker: &Arc<CountingWaker>) -> Poll<F::Output> {
        let waker = Waker::from(waker.clone());
        future.poll(&mut Context::from_waker(&waker))
    }

    /// A future that never finishes and records whether it was dropped.
    struct Forever(Rc<Cell<bool>>);
    impl Future for Forever {
        type Output = u32;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u32> {
            Poll::Pending
        }
    }
    impl Drop for Forever {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }

    #[test]
    fn cancel_wakes_the_waiter_and_drops_the_future() {
        let token = CancelToken::new();
        let dropped = Rc::new(Cell::new(false));
        let waker = Arc::new(CountingWaker(Default::default()));
        let mut run = pin!(token.run(Forever(dropped.clone())));
        assert!(poll_once(run.as_mut(), &waker).is_pending());
        assert!(poll_once(run.as_mut(), &waker).is_pending());
        assert_eq!(token.inner.waiters().len(), 1, "re-polling replaces the waker");
        token.clone().cancel();
        assert_eq!(waker.0.load(Ordering::SeqCst), 1);
        assert_eq!(poll_once(run.as_mut(), &waker), Poll::Ready(Err(ModelError::Cancelled)));
        assert!(dropped.get(), "the guarded future is dropped once cancelled");
        assert!(token.is_cancelled());
    }

    #[test]
    fn a_finished_future_wins_and_unregisters() {
        let token = CancelToken::new();
        let waker = Arc::new(CountingWaker(Default::default()));
        {
            let mut run = pin!(token.run(std::future::ready(7)));
            assert_eq!(poll_once(run.as_mut(), &waker), Poll::Ready(Ok(7)));
        }
        assert!(token.inner.waiters().is_empty());
        token.cancel();
        let mut late = pin!(token.run(std::future::ready(8)));
        assert_eq!(poll_once(late.as_mut(), &waker), Poll::Ready(Err(ModelError::Cancelled)));
    }

    struct Echo;
    impl ChatModel for Echo {
        async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
            Ok(Completion {
                text: request.messages[0].content.clone(),
                model: "echo".into(),
                prompt_tokens: None,
                completion_tokens: None,
            })
        }
    }

    #[test]
    fn default_streaming_emits_the_whole_text_once() {
        let request = CompletionRequest { messages: vec![ChatMessage::user("hello there")], ..Default::default() };
        let mut tokens = Vec::new();
        let token = CancelToken::new();
        let waker = Arc::new(CountingWaker(Default::default()));
        let mut on_token = |piece: &str| tokens.push(piece.to_owned());
        let outcome = {
            let mut call = pin!(Echo.complete_streaming(&request, &mut on_token, &token));
            let Poll::Ready(outcome) = poll_once(call.as_mut(), &waker) else { panic!("ready at once") };
            outcome
        };
        assert_eq!(outcome.unwrap().attempts, 1);
        assert_eq!(tokens, ["hello there"]);
    }

    #[test]
    fn retries_exhausted_has_a_root() {
        let error = ModelError::RetriesExhausted {
            attempts: 3,
            last: Box::new(ModelError::Http { status: 503, message: "busy".into() }),
        };
        assert_eq!(error.root(), &ModelError::Http { status: 503, message: "busy".into() });
        assert!(error.to_string().contains("3 times"));
    }
}
