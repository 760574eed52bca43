//! The HTTP surface: the router, its layers and OpenAI's error body.
//!
//! Each OpenAI endpoint lives in its own module so later endpoints slot in beside them.

mod chat;
mod embeddings;
mod models;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{HeaderName, AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tower_http::cors::{AllowHeaders, Any, CorsLayer};

use crate::record;
#[cfg(doc)]
use crate::script::Reply;
use crate::state::AppState;

/// Builds the application: routes, the API-key check, CORS, and the request recorder
/// outermost (so preflights are answered before the key check, and 401s carry CORS headers).
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let mut router = Router::new()
        .route("/v1/chat/completions", post(chat::completions))
        .route("/v1/embeddings", post(embeddings::create));
    if !state.hide_models {
        router = router.route("/v1/models", get(models::list)).route("/v1/models/{*id}", get(models::retrieve));
    }
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&state), require_api_key))
        .layer(cors())
        .layer(middleware::from_fn_with_state(Arc::clone(&state), record::record))
        .with_state(state)
}

/// Middleware: when the script sets `api_key`, answers 401 in OpenAI's words unless the
/// request carries `Authorization: Bearer <api_key>`.
async fn require_api_key(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let Some(expected) = state.api_key.as_deref() else { return next.run(request).await };
    let bearer = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    match bearer {
        Some(token) if token == expected => next.run(request).await,
        Some(_) => ApiError::new(StatusCode::UNAUTHORIZED, "Incorrect API key provided")
            .with_code("invalid_api_key")
            .into_response(),
        None => ApiError::new(
            StatusCode::UNAUTHORIZED,
            "You didn't provide an API key. You need to provide your API key in an Authorization header \
             using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
        .with_code("invalid_api_key")
        .into_response(),
    }
}

/// Permissive CORS, so a page served from another local origin can call the server.
///
/// Allowed request headers mirror the preflight's `Access-Control-Request-Headers`: the
/// wildcard `*` would not do, because browsers never let it cover `Authorization`.
/// `Retry-After` is exposed so browser code can honour rate limits.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([RETRY_AFTER, HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600))
}

async fn not_found(request: Request) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("Invalid URL ({} {})", request.method(), request.uri().path()))
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("Method {} is not allowed for {}", request.method(), request.uri().path()),
    )
}

/// An error answered in OpenAI's shape:
/// `{"error": {"message": …, "type": …, "param": null, "code": …}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
    error_type: String,
    code: Option<String>,
    retry_after_secs: Option<u64>,
}

impl ApiError {
    /// An error with the `type` OpenAI uses for the status class.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let error_type = if status.is_server_error() { "server_error" } else { "invalid_request_error" };
        ApiError {
            status,
            message: message.into(),
            error_type: error_type.to_owned(),
            code: None,
            retry_after_secs: None,
        }
    }

    /// HTTP 400 `invalid_request_error`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// Overrides `error.type`.
    pub fn with_type(mut self, error_type: impl Into<String>) -> Self {
        self.error_type = error_type.into();
        self
    }

    /// Sets `error.code`.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Adds a `Retry-After: <seconds>` header.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_secs = Some(seconds);
        self
    }

    /// The answer of a scripted [`Reply::Error`], on any route.
    pub fn scripted(status: u16, message: String, error_type: Option<String>, code: Option<String>) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut error = ApiError::new(status, message);
        if let Some(error_type) = error_type {
            error = error.with_type(error_type);
        }
        if let Some(code) = code {
            error = error.with_code(code);
        }
        error
    }

    /// The answer of a scripted [`Reply::RateLimited`], on any route: OpenAI's rate-limit error.
    pub fn rate_limited(retry_after_secs: Option<u64>, message: Option<String>) -> Self {
        let message = message.unwrap_or_else(|| "Rate limit reached for requests. Please try again later.".to_owned());
        let error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message)
            .with_type("requests")
            .with_code("rate_limit_exceeded");
        match retry_after_secs {
            Some(seconds) => error.with_retry_after(seconds),
            None => error,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": null,
                "code": self.code,
            }
        });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_secs {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Seconds since the Unix epoch, for `created` fields.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|elapsed| elapsed.as_secs()).unwrap_or(0)
}

/// The server's stand-in for a tokenizer: whitespace-separated words.
pub(crate) fn count_tokens(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}
