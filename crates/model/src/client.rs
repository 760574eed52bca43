//! The HTTP client: [`OpenAiChatModel`].

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use persona_core::model::{CancelToken, ChatModel, Completion, CompletionOutcome, CompletionRequest, ModelError};
use reqwest::header::CONTENT_TYPE;

use crate::config::{ConfigError, EndpointConfig};
use crate::response::{completion_from_body, error_from_status, redact};
use crate::retry::{platform_sleep, Next, PlatformSleeper, RetryPolicy, SharedSleeper, Sleeper};
use crate::sse::{SseParser, StreamFold};
use crate::transport::Transport;
use crate::wire::{ChatCompletionRequest, ChatMessage, StreamOptions};

/// A [`ChatModel`] backed by an OpenAI-compatible `/chat/completions` endpoint.
///
/// Works natively (tokio, rustls) and in the browser (`fetch`); cloning is cheap and shares
/// the connection pool.
///
/// [`ChatModel::complete`] makes one plain attempt. [`ChatModel::complete_cancellable`] and
/// [`ChatModel::complete_streaming`] retry by the client's [`RetryPolicy`], stream
/// (`stream: true`, server-sent events) in the latter case, stop at once when their
/// [`CancelToken`] fires (dropping the HTTP request, which closes it), and report the
/// attempts made. The endpoint's `timeout` bounds every call as a whole.
#[derive(Clone, Debug)]
pub struct OpenAiChatModel {
    transport: Transport,
    retry: RetryPolicy,
    sleeper: SharedSleeper,
}

impl OpenAiChatModel {
    /// A client for `config`, with its own connection pool and the default [`RetryPolicy`].
    pub fn new(config: EndpointConfig) -> Result<Self, ConfigError> {
        OpenAiChatModel::with_client(config, Transport::default_client()?)
    }

    /// A client for `config` that shares an existing `reqwest::Client` (and its pool).
    pub fn with_client(config: EndpointConfig, client: reqwest::Client) -> Result<Self, ConfigError> {
        let url = config.chat_completions_url()?;
        Ok(OpenAiChatModel {
            transport: Transport::new(config, url, client)?,
            retry: RetryPolicy::default(),
            sleeper: SharedSleeper(Arc::new(PlatformSleeper)),
        })
    }

    /// Replaces the retry policy (builder style).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Replaces what waits between attempts (builder style); tests pass a
    /// [`RecordingSleeper`](crate::RecordingSleeper).
    pub fn with_sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = SharedSleeper(sleeper);
        self
    }

    /// The endpoint this client talks to.
    pub fn config(&self) -> &EndpointConfig {
        self.transport.config()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The wire request for `request`: its model, temperature and token limit, or the
    /// endpoint's where it sets none.
    pub fn wire_request(&self, request: &CompletionRequest) -> ChatCompletionRequest {
        let config = self.config();
        let model = if request.model.is_empty() { &config.model } else { &request.model };
        let mut body = ChatCompletionRequest {
            model: model.clone(),
            messages: request.messages.iter().map(ChatMessage::from).collect(),
            temperature: request.temperature.or(config.temperature),
            max_tokens: request.max_tokens.or(config.max_tokens),
            stream: None,
            stream_options: None,
            response_format: None,
        };
        if let Some(spec) = &request.json_schema {
            crate::structured::ask_for_json(&mut body, spec, config.json_schema);
        }
        body
    }

    /// Sends `body` (retrying by the policy) under the time limit and `cancel`; with
    /// `on_token`, as a stream. Errors are scrubbed of the API key.
    pub(crate) async fn call(
        &self,
        body: &ChatCompletionRequest,
        on_token: Option<&mut dyn FnMut(&str)>,
        cancel: &CancelToken,
    ) -> Result<CompletionOutcome, ModelError> {
        let result = match cancel.run(self.timed(self.with_retries(body, on_token))).await {
            Ok(result) => result,
            Err(cancelled) => Err(cancelled),
        };
        result.map_err(|error| redact(error, self.transport.secret()))
    }

    /// `future`, or [`ModelError::Timeout`] once the endpoint's time limit has passed (the
    /// future is then dropped, which aborts its request).
    async fn timed<T>(&self, future: impl Future<Output = Result<T, ModelError>>) -> Result<T, ModelError> {
        let Some(after_ms) = self.transport.timeout_ms() else { return future.await };
        let mut future = pin!(future);
        let mut timer = platform_sleep(Duration::from_millis(after_ms));
        std::future::poll_fn(|cx| {
            if let std::task::Poll::Ready(result) = future.as_mut().poll(cx) {
                return std::task::Poll::Ready(result);
            }
            timer.as_mut().poll(cx).map(|()| Err(ModelError::Timeout { after_ms }))
        })
        .await
    }

    /// The attempts: each failure is retried or final by the policy; a stream that has handed
    /// text on is never retried (the caller has shown it).
    async fn with_retries(
        &self,
        body: &ChatCompletionRequest,
        mut on_token: Option<&mut dyn FnMut(&str)>,
    ) -> Result<CompletionOutcome, ModelError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut emitted = false;
            let result = match on_token.as_deref_mut() {
                Some(on_token) => self.attempt_stream(body, on_token, &mut emitted).await,
                None => self.attempt_plain(body).await,
            };
            let error = match result {
                Ok(completion) => return Ok(CompletionOutcome { completion, attempts: attempt }),
                Err(error) if emitted => return Err(error),
                Err(error) => error,
            };
            match self.retry.next(&error, attempt) {
                Next::RetryAfter(ms) => self.sleeper.0.sleep(Duration::from_millis(ms)).await,
                Next::GiveUp => return Err(error),
                Next::Exhausted if attempt == 1 => return Err(error),
                Next::Exhausted => {
                    return Err(ModelError::RetriesExhausted { attempts: attempt, last: Box::new(error) })
                }
            }
        }
    }

    /// One non-streaming attempt.
    async fn attempt_plain(&self, body: &ChatCompletionRequest) -> Result<Completion, ModelError> {
        let bytes = self.transport.post_json(body).await?;
        completion_from_body(&bytes, &body.model)
    }

    /// One streaming attempt; `emitted` turns true once a piece has gone to `on_token`.
    async fn attempt_stream(
        &self,
        body: &ChatCompletionRequest,
        on_token: &mut dyn FnMut(&str),
        emitted: &mut bool,
    ) -> Result<Completion, ModelError> {
        let mut streaming = body.clone();
        streaming.stream = Some(true);
        streaming.stream_options = Some(StreamOptions { include_usage: true });
        let response = self.transport.post(&streaming, "text/event-stream").await?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let bytes = response.bytes().await.unwrap_or_default();
            return Err(error_from_status(status.as_u16(), &headers, &bytes));
        }
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.trim_start().starts_with("application/json"));
        if is_json {
            // A server that ignores `stream: true` answers with one plain completion.
            let bytes = response.bytes().await.map_err(|error| self.transport.body_error(error))?;
            let completion = completion_from_body(&bytes, &body.model)?;
            if !completion.text.is_empty() {
                *emitted = true;
                on_token(&completion.text);
            }
            return Ok(completion);
        }
        let mut parser = SseParser::new();
        let mut fold = StreamFold::new(&body.model);
        let mut chunks = response.bytes_stream();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|error| self.transport.body_error(error))?;
            for data in parser.push(&chunk) {
                if let Some(piece) = fold.event(&data)? {
                    *emitted = true;
                    on_token(&piece);
                }
            }
            if fold.is_done() {
                break;
            }
        }
        fold.finish(&parser)
    }
}

impl ChatModel for OpenAiChatModel {
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
        let body = self.wire_request(request);
        let result = self.timed(self.attempt_plain(&body)).await;
        result.map_err(|error| redact(error, self.transport.secret()))
    }

    async fn complete_cancellable(
        &self,
        request: &CompletionRequest,
        cancel: &CancelToken,
    ) -> Result<CompletionOutcome, ModelError> {
        self.call(&self.wire_request(request), None, cancel).await
    }

    async fn complete_streaming(
        &self,
        request: &CompletionRequest,
        on_token: &mut dyn FnMut(&str),
        cancel: &CancelToken,
    ) -> Result<CompletionOutcome, ModelError> {
        self.call(&self.wire_request(request), Some(on_token), cancel).await
    }
}
