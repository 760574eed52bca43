//! "Test connection": one cheap call to an endpoint, and what went wrong in plain words.
//!
//! [`test_connection`] asks for the model list (`GET {base}/models`, with the bearer key when
//! there is one) and judges the answer: the model is listed → fine; another list → the model
//! is not there (naming a few that are); 401/403 → the key was refused; 5xx → the server is in
//! trouble. A server without a model list (404 or 405 there) is asked instead for a one-token
//! chat completion of the configured model, judged the same way (a 404/400 that talks of an
//! unknown model → the model is not there).
//!
//! When no HTTP answer arrives, the cause is told apart as far as the platform lets us:
//! - natively, from reqwest's error chain: the name did not resolve (DNS), nothing listens on
//!   the port (connection refused), no answer in time, a TLS failure, or another network error;
//! - in the browser, `fetch` fails with the same `TypeError` whether the server is unreachable
//!   or the answer was withheld by CORS. A second `fetch` of the same URL with
//!   `mode: "no-cors"` settles it: an (opaque) response means the server is reachable, so the
//!   browser withheld the first answer — CORS; a failure means it is unreachable (the browser
//!   does not say whether DNS or the connection failed). A page served over https that calls a
//!   plain-http host is blocked as mixed content before any of this, which is said as such.
//!
//! Every message is scrubbed of the API key, and names the endpoint without credentials or
//! query string.

use std::time::Duration;

use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::config::{display_url, ConfigError, EndpointConfig};
use crate::response::scrub;
use crate::transport::Transport;

/// The time limit of a probe when the endpoint sets none.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// How many of the server's models a "model not found" message names.
const MODELS_NAMED: usize = 8;

/// How much of a server's own explanation goes into a message.
const SERVER_TEXT_CHARS: usize = 300;

/// What kind of failure a [`ConnectionReport`] describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ConnectionProblem {
    /// The endpoint is not an `http(s)://` URL.
    BadUrl,
    /// The API key cannot be sent in an HTTP header (a line break, say).
    BadKey,
    /// The host name does not resolve (native only; the browser does not tell).
    Dns,
    /// Nothing listens on that host and port (native only).
    Refused,
    /// No answer within the time limit.
    Timeout,
    /// A secure connection could not be set up (certificate, TLS version; native only).
    Tls,
    /// The server could not be reached (in the browser: DNS, refused or offline alike).
    Unreachable,
    /// The server is reachable, but the browser withheld its answer: the server does not allow
    /// this page's origin (CORS).
    Cors,
    /// An https page may not call a plain-http host (browser only).
    MixedContent,
    /// The server refused the API key, or needs one (401/403).
    KeyRefused {
        /// 401 or 403.
        status: u16,
    },
    /// The server does not offer the configured model.
    ModelNotFound,
    /// The server is limiting requests (429).
    RateLimited,
    /// The server failed (5xx).
    ServerError {
        /// The status, 500–599.
        status: u16,
    },
    /// Something else: another status, or an answer that is not an OpenAI-compatible API's.
    Unexpected,
}

impl ConnectionProblem {
    /// A stable snake-case name (`bad_url`, `key_refused`, …), e.g. for a `data-` attribute.
    pub fn code(self) -> &'static str {
        match self {
            ConnectionProblem::BadUrl => "bad_url",
            ConnectionProblem::BadKey => "bad_key",
            ConnectionProblem::Dns => "dns",
            ConnectionProblem::Refused => "refused",
            ConnectionProblem::Timeout => "timeout",
            ConnectionProblem::Tls => "tls",
            ConnectionProblem::Unreachable => "unreachable",
            ConnectionProblem::Cors => "cors",
            ConnectionProblem::MixedContent => "mixed_content",
            ConnectionProblem::KeyRefused { .. } => "key_refused",
            ConnectionProblem::ModelNotFound => "model_not_found",
            ConnectionProblem::RateLimited => "rate_limited",
            ConnectionProblem::ServerError { .. } => "server_error",
            ConnectionProblem::Unexpected => "unexpected",
        }
    }
}

/// The outcome of [`test_connection`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionReport {
    /// The endpoint answered and offers the model.
    pub ok: bool,
    /// What failed, when something did.
    pub problem: Option<ConnectionProblem>,
    /// What happened, in plain words; never contains the API key.
    pub message: String,
    /// The model ids the server lists (empty when it lists none or was not reached).
    pub models: Vec<String>,
}

impl ConnectionReport {
    fn ok(message: String, models: Vec<String>) -> Self {
        ConnectionReport { ok: true, problem: None, message, models }
    }

    fn failed(problem: ConnectionProblem, message: String) -> Self {
        ConnectionReport { ok: false, problem: Some(problem), message, models: Vec::new() }
    }

    fn with_models(mut self, models: Vec<String>) -> Self {
        self.models = models;
        self
    }
}

/// Calls the endpoint of `config` once or twice and reports whether it can be used with
/// `config.model`, and if not, why, in plain words (see the module documentation). Time limit:
/// `config.timeout`, else [`PROBE_TIMEOUT`]. Never fails: every failure is a report.
pub async fn test_connection(config: &EndpointConfig) -> ConnectionReport {
    let report = probe(config).await;
    ConnectionReport { message: scrub(report.message, config.bearer_token()), ..report }
}

async fn probe(config: &EndpointConfig) -> ConnectionReport {
    let models_url = match config.models_url() {
        Ok(url) => url,
        Err(error) => {
            let shown = config.base_url.trim();
            let why = match error {
                _ if !shown.contains("://") => "it must start with http:// or https://".to_owned(),
                ConfigError::UnsupportedScheme(scheme) => {
                    format!("it must start with http:// or https://, not {scheme}://")
                }
                other => other.to_string(),
            };
            return ConnectionReport::failed(
                ConnectionProblem::BadUrl,
                format!(
                    "The endpoint “{shown}” is not a usable URL ({why}). Enter the API root, for example \
                     http://127.0.0.1:11434/v1 (Ollama) or https://api.openai.com/v1."
                ),
            );
        }
    };
    if config.check_api_key().is_err() {
        return ConnectionReport::failed(
            ConnectionProblem::BadKey,
            "The API key contains characters that cannot be sent (a line break or a space?). Paste it again."
                .to_owned(),
        );
    }
    let client = match Transport::default_client() {
        Ok(client) => client,
        Err(error) => return ConnectionReport::failed(ConnectionProblem::Unexpected, error.to_string()),
    };
    let mut config = config.clone();
    config.timeout = Some(config.timeout.unwrap_or(PROBE_TIMEOUT));
    let base = base_shown(&models_url);
    let model = config.model.trim().to_owned();

    let transport = match Transport::new(config.clone(), models_url, client.clone()) {
        Ok(transport) => transport,
        Err(error) => return ConnectionReport::failed(ConnectionProblem::BadKey, error.to_string()),
    };
    let response = match transport.get_raw("application/json").await {
        Ok(response) => response,
        Err(error) => return network_report(&transport, "GET", error, &base).await,
    };
    let status = response.status().as_u16();
    let body = match response.bytes().await {
        Ok(body) => body.to_vec(),
        Err(error) => return network_report(&transport, "GET", error, &base).await,
    };
    match status {
        200..=299 => match model_ids(&body) {
            Some(models) => judge_model_list(&base, &model, models),
            None => ConnectionReport::failed(
                ConnectionProblem::Unexpected,
                format!(
                    "The server at {base} answered, but not like an OpenAI-compatible API: GET {} did not \
                     return a model list. Check that the endpoint is the API root, usually ending in /v1.",
                    display_url(transport.url())
                ),
            ),
        },
        // Some servers (older llama.cpp builds, proxies) have no model list: ask for one token.
        404 | 405 => chat_fallback(&config, client, &base, &model, status).await,
        _ => judge_status(&config, &base, "GET", transport.url(), status, &body),
    }
}

/// `scheme://host[:port]/path` of the API root, from its `/models` URL, for messages.
fn base_shown(models_url: &Url) -> String {
    let shown = display_url(models_url);
    shown.strip_suffix("/models").map(str::to_owned).unwrap_or(shown)
}

/// The ids of an OpenAI model list (`{"data": [{"id": …}, …]}`), or `None` when `body` is not
/// one.
fn model_ids(body: &[u8]) -> Option<Vec<String>> {
    let list: Value = serde_json::from_slice(body).ok()?;
    let data = list.get("data")?.as_array()?;
    Some(data.iter().filter_map(|item| item.get("id").and_then(Value::as_str)).map(str::to_owned).collect())
}

/// Whether the server's `listed` id names `model`; Ollama lists `name:latest` for `name`.
fn names_model(listed: &str, model: &str) -> bool {
    listed == model || listed.strip_suffix(":latest") == Some(model) || model.strip_suffix(":latest") == Some(listed)
}

fn count_models(count: usize) -> String {
    if count == 1 {
        "1 model".to_owned()
    } else {
        format!("{count} models")
    }
}

/// The verdict on a model list.
fn judge_model_list(base: &str, model: &str, models: Vec<String>) -> ConnectionReport {
    let count = count_models(models.len());
    if model.is_empty() {
        let message = format!("Connected to {base}; it offers {count}. Choose one as the default model.");
        return ConnectionReport::ok(message, models);
    }
    if models.iter().any(|listed| names_model(listed, model)) {
        return ConnectionReport::ok(format!("Connected to {base}; model `{model}` is available ({count})."), models);
    }
    let offered = if models.is_empty() {
        "The server lists no models.".to_owned()
    } else {
        let mut named: Vec<String> = models.iter().take(MODELS_NAMED).map(|id| format!("`{id}`")).collect();
        if models.len() > MODELS_NAMED {
            named.push(format!("and {} more", models.len() - MODELS_NAMED));
        }
        format!("It offers {}.", named.join(", "))
    };
    ConnectionReport::failed(
        ConnectionProblem::ModelNotFound,
        format!(
            "Connected to {base}, but the model `{model}` is not available there. {offered} Check the \
             spelling, or download the model first (Ollama: `ollama pull {model}`)."
        ),
    )
    .with_models(models)
}

/// Asks a server without a model list for a one-token completion of `model`, and judges that.
async fn chat_fallback(
    config: &EndpointConfig,
    client: reqwest::Client,
    base: &str,
    model: &str,
    models_status: u16,
) -> ConnectionReport {
    if model.is_empty() {
        return ConnectionReport::failed(
            ConnectionProblem::Unexpected,
            format!(
                "The server at {base} has no model list (HTTP {models_status}), so it can only be tested with \
                 a model name. Enter the default model and test again."
            ),
        );
    }
    let url = match config.chat_completions_url() {
        Ok(url) => url,
        Err(error) => return ConnectionReport::failed(ConnectionProblem::BadUrl, error.to_string()),
    };
    let transport = match Transport::new(config.clone(), url, client) {
        Ok(transport) => transport,
        Err(error) => return ConnectionReport::failed(ConnectionProblem::BadKey, error.to_string()),
    };
    let body = json!({
        "model": model,
        "messages": [{"role": "user", "content": "ping"}],
        "max_tokens": 1,
    });
    let response = match transport.post_raw(&body, "application/json").await {
        Ok(response) => response,
        Err(error) => return network_report(&transport, "POST", error, base).await,
    };
    let status = response.status().as_u16();
    let body = match response.bytes().await {
        Ok(body) => body.to_vec(),
        Err(error) => return network_report(&transport, "POST", error, base).await,
    };
    match status {
        200..=299 => ConnectionReport::ok(
            format!(
                "Connected to {base}; model `{model}` answered. (This server has no model list, so the test \
                 asked the model for one word.)"
            ),
            Vec::new(),
        ),
        400 | 404 if mentions_missing_model(&body) => {
            let detail = server_says(&body).map(|text| format!(" The server says: {text}")).unwrap_or_default();
            ConnectionReport::failed(
                ConnectionProblem::ModelNotFound,
                format!(
                    "Connected to {base}, but it does not know the model `{model}`.{detail} Check the spelling, \
                     or download the model first (Ollama: `ollama pull {model}`)."
                ),
            )
        }
        404 => ConnectionReport::failed(
            ConnectionProblem::Unexpected,
            format!(
                "The server at {base} answered, but has neither a model list nor chat completions there (HTTP \
                 404). Check that the endpoint is the API root, usually ending in /v1."
            ),
        ),
        _ => judge_status(config, base, "POST", transport.url(), status, &body),
    }
}

/// The verdict on an error status (not 2xx, and not a case the caller handles itself).
fn judge_status(
    config: &EndpointConfig,
    base: &str,
    method: &str,
    url: &Url,
    status: u16,
    body: &[u8],
) -> ConnectionReport {
    let says = server_says(body);
    let detail = says.as_deref().map(|text| format!(": {text}")).unwrap_or_default();
    match status {
        401 | 403 => {
            let message = match (config.bearer_token(), status) {
                (None, _) => format!(
                    "The server at {base} needs an API key ({status}{detail}), and none is set. Enter your key."
                ),
                (Some(_), 401) => format!(
                    "The server refused the API key (401{detail}). Check that the key is complete, belongs to \
                     this server, and has not been revoked."
                ),
                (Some(_), _) => format!(
                    "The server refused access with this API key (403{detail}). The key may lack permission for \
                     this model or endpoint, or your account may need attention."
                ),
            };
            ConnectionReport::failed(ConnectionProblem::KeyRefused { status }, message)
        }
        429 => ConnectionReport::failed(
            ConnectionProblem::RateLimited,
            format!(
                "The server at {base} is limiting requests (429{detail}). Wait a moment and test again; if it \
                 persists, check your plan's quota."
            ),
        ),
        500..=599 => ConnectionReport::failed(
            ConnectionProblem::ServerError { status },
            format!(
                "The server at {base} had an internal error (HTTP {status}{detail}). It may be starting up or \
                 overloaded: try again in a moment, or check its logs."
            ),
        ),
        _ => ConnectionReport::failed(
            ConnectionProblem::Unexpected,
            format!(
                "The server answered {method} {} with HTTP {status}{detail}. Check that the endpoint is the API \
                 root, usually ending in /v1.",
                display_url(url)
            ),
        ),
    }
}

/// The server's own explanation in an error body: OpenAI's `error.message`, or the
/// `error`/`message`/`detail` string other servers send (Ollama, vLLM, FastAPI); `None` for an
/// empty or HTML body. Cut to 300 characters.
fn server_says(body: &[u8]) -> Option<String> {
    let text = match serde_json::from_slice::<Value>(body) {
        Ok(value) => ["/error/message", "/error", "/message", "/detail"]
            .iter()
            .find_map(|pointer| value.pointer(pointer).and_then(Value::as_str))
            .map(str::to_owned)?,
        Err(_) => {
            let text = String::from_utf8_lossy(body).trim().to_owned();
            if text.is_empty() || text.starts_with('<') {
                return None;
            }
            text
        }
    };
    let text = text.trim();
    let text = match text.char_indices().nth(SERVER_TEXT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    };
    (!text.is_empty()).then_some(text)
}

/// Whether an error body says the model does not exist (OpenAI's `model_not_found` code, or
/// words to that effect from Ollama, vLLM, llama.cpp and proxies).
fn mentions_missing_model(body: &[u8]) -> bool {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if value.pointer("/error/code").and_then(Value::as_str) == Some("model_not_found") {
            return true;
        }
    }
    let Some(text) = server_says(body) else { return false };
    let text = text.to_lowercase();
    text.contains("model")
        && ["not found", "does not exist", "not exist", "unknown", "no such", "not available", "invalid model"]
            .iter()
            .any(|phrase| text.contains(phrase))
}

/// What a failure to get any HTTP answer means, in the terms the platform lets us tell apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// The browser tells only timeouts apart; the rest is found out by a second fetch.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
enum NetworkFailure {
    Timeout,
    Dns,
    Refused,
    Tls,
    Other,
}

/// The kind of a failure natively, from reqwest's error chain (hyper and io errors inside).
#[cfg(not(target_arch = "wasm32"))]
fn network_failure(error: &reqwest::Error) -> NetworkFailure {
    use std::error::Error as _;

    if error.is_timeout() {
        return NetworkFailure::Timeout;
    }
    if error.is_dns() {
        return NetworkFailure::Dns;
    }
    let mut source = error.source();
    let mut chain = String::new();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return NetworkFailure::Refused,
                std::io::ErrorKind::TimedOut => return NetworkFailure::Timeout,
                _ => {}
            }
        }
        chain.push_str(&cause.to_string().to_lowercase());
        chain.push('\n');
        source = cause.source();
    }
    if chain.contains("connection refused") {
        NetworkFailure::Refused
    } else if chain.contains("certificate") || chain.contains("tls") || chain.contains("handshake") {
        NetworkFailure::Tls
    } else {
        NetworkFailure::Other
    }
}

/// The report for a request that got no HTTP answer.
async fn network_report(transport: &Transport, method: &str, error: reqwest::Error, base: &str) -> ConnectionReport {
    let url = transport.url().clone();
    let timeout_s = transport.timeout_ms().map_or(0.0, |ms| ms as f64 / 1000.0);
    #[cfg(not(target_arch = "wasm32"))]
    let failure = network_failure(&error);
    #[cfg(target_arch = "wasm32")]
    let failure = if error.is_timeout() { NetworkFailure::Timeout } else { NetworkFailure::Other };
    let detail = transport.network_error_for(method, error).to_string();
    let host = host_port(&url);
    match failure {
        NetworkFailure::Timeout => ConnectionReport::failed(
            ConnectionProblem::Timeout,
            format!(
                "The server at {base} did not answer within {timeout_s} s. It may be busy (loading a model takes \
                 a while), or a firewall may be dropping the connection."
            ),
        ),
        NetworkFailure::Dns => ConnectionReport::failed(
            ConnectionProblem::Dns,
            format!(
                "Could not find the server “{}”: the name does not resolve (DNS). Check the spelling of the \
                 endpoint, and that this computer is online.",
                url.host_str().unwrap_or_default()
            ),
        ),
        NetworkFailure::Refused => ConnectionReport::failed(
            ConnectionProblem::Refused,
            format!(
                "Nothing is listening at {host}: the connection was refused. Is the server running (Ollama: \
                 `ollama serve`), and is the port right?"
            ),
        ),
        NetworkFailure::Tls => ConnectionReport::failed(
            ConnectionProblem::Tls,
            format!(
                "Could not open a secure connection to {host} ({detail}). If the server uses a self-signed \
                 certificate, use a trusted one; if it speaks plain HTTP, use http://."
            ),
        ),
        NetworkFailure::Other => unreachable_report(&url, base, &detail).await,
    }
}

/// Whether `host` (as `Url::host_str` gives it) is this computer: `localhost`, `*.localhost`,
/// `127.0.0.0/8` or `[::1]`. Browsers let https pages call these over plain http.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn is_local(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `host:port` of `url`, for messages.
fn host_port(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Natively: a network failure that is none of the known kinds, with reqwest's words.
#[cfg(not(target_arch = "wasm32"))]
async fn unreachable_report(_url: &Url, base: &str, detail: &str) -> ConnectionReport {
    ConnectionReport::failed(
        ConnectionProblem::Unreachable,
        format!("Could not reach the server at {base} ({detail})."),
    )
}

/// In the browser: mixed content, CORS or unreachable, told apart by the page's scheme and a
/// `no-cors` fetch of the same URL.
#[cfg(target_arch = "wasm32")]
async fn unreachable_report(url: &Url, base: &str, _detail: &str) -> ConnectionReport {
    let host = url.host_str().unwrap_or_default().to_owned();
    if browser::page_is_https() && url.scheme() == "http" && !is_local(&host) {
        return ConnectionReport::failed(
            ConnectionProblem::MixedContent,
            format!(
                "This page is served over https://, so the browser blocks requests to plain http:// addresses \
                 such as {host}. Use an https:// endpoint, or a server on this computer (localhost)."
            ),
        );
    }
    if browser::reachable_without_cors(url.as_str()).await {
        let origin = browser::page_origin().unwrap_or_else(|| "this page's origin".to_owned());
        return ConnectionReport::failed(
            ConnectionProblem::Cors,
            format!(
                "The server at {base} is reachable, but the browser blocked its answer (CORS): the server must \
                 allow this page's origin, {origin}. For Ollama, set OLLAMA_ORIGINS={origin} (or *) and restart \
                 `ollama serve`; other servers have a CORS or allowed-origins setting."
            ),
        );
    }
    ConnectionReport::failed(
        ConnectionProblem::Unreachable,
        format!(
            "Could not reach the server at {base}. The address may be wrong, the server may not be running, or \
             its name may not resolve (DNS); the browser does not say which. Check the endpoint and that the \
             server is up."
        ),
    )
}

/// The browser's own `fetch`, for what reqwest cannot tell (kept private: no `JsValue` leaves
/// this module).
#[cfg(target_arch = "wasm32")]
mod browser {
    use std::time::Duration;

    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    /// How long the `no-cors` fetch may take.
    const NO_CORS_TIMEOUT: Duration = Duration::from_secs(5);

    /// Whether a `no-cors` GET of `url` gets any (opaque) response: the server is reachable.
    pub(super) async fn reachable_without_cors(url: &str) -> bool {
        let init = web_sys::RequestInit::new();
        init.set_mode(web_sys::RequestMode::NoCors);
        init.set_credentials(web_sys::RequestCredentials::Omit);
        let promise = if let Some(window) = web_sys::window() {
            window.fetch_with_str_and_init(url, &init)
        } else if let Ok(worker) = js_sys::global().dyn_into::<web_sys::WorkerGlobalScope>() {
            worker.fetch_with_str_and_init(url, &init)
        } else {
            return false;
        };
        let fetched = JsFuture::from(promise);
        let timer = crate::retry::platform_sleep(NO_CORS_TIMEOUT);
        match futures::future::select(Box::pin(fetched), timer).await {
            futures::future::Either::Left((result, _)) => result.is_ok(),
            futures::future::Either::Right(((), _)) => false,
        }
    }

    /// The page's origin, e.g. `http://127.0.0.1:8080`.
    pub(super) fn page_origin() -> Option<String> {
        web_sys::window()?.location().origin().ok()
    }

    /// Whether the page was loaded over https.
    pub(super) fn page_is_https() -> bool {
        web_sys::window().and_then(|window| window.location().protocol().ok()).is_some_and(|p| p == "https:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> String {
        "http://127.0.0.1:11434/v1".to_owned()
    }

    #[test]
    fn model_lists_are_read_leniently() {
        let body = br#"{"object": "list", "data": [{"id": "a", "object": "model"}, {"id": "b"}, {"nope": 1}]}"#;
        assert_eq!(model_ids(body), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(model_ids(br#"{"data": []}"#), Some(Vec::new()));
        assert_eq!(model_ids(b"<html>hello</html>"), None);
        assert_eq!(model_ids(br#"{"models": []}"#), None);
    }

    #[test]
    fn ollama_latest_tags_count_as_the_same_model() {
        assert!(names_model("llama3.2:latest", "llama3.2"));
        assert!(names_model("llama3.2", "llama3.2:latest"));
        assert!(names_model("gpt-4o-mini", "gpt-4o-mini"));
        assert!(!names_model("llama3.2:1b", "llama3.2"));
        assert!(!names_model("gpt-4o", "gpt-4o-mini"));
    }

    #[test]
    fn a_missing_model_names_at_most_eight_offered() {
        let models: Vec<String> = (1..=11).map(|n| format!("m{n}")).collect();
        let report = judge_model_list(&base(), "gpt-4o-mini", models.clone());
        assert_eq!(report.problem, Some(ConnectionProblem::ModelNotFound));
        assert!(!report.ok);
        assert!(report.message.contains("`gpt-4o-mini` is not available"), "{}", report.message);
        assert!(report.message.contains("`m8`, and 3 more") && !report.message.contains("`m9`"), "{}", report.message);
        assert_eq!(report.models, models, "the whole list is still reported");
        let empty = judge_model_list(&base(), "x", Vec::new());
        assert!(empty.message.contains("lists no models"), "{}", empty.message);
    }

    #[test]
    fn a_listed_model_is_ok_and_counted() {
        let report = judge_model_list(&base(), "llama3.2", vec!["llama3.2:latest".into()]);
        assert!(report.ok && report.problem.is_none());
        assert_eq!(report.message, "Connected to http://127.0.0.1:11434/v1; model `llama3.2` is available (1 model).");
        let no_model = judge_model_list(&base(), "", vec!["a".into(), "b".into()]);
        assert!(no_model.ok && no_model.message.contains("offers 2 models"), "{}", no_model.message);
    }

    #[test]
    fn server_explanations_are_found_in_every_common_shape() {
        let says = |body: &str| server_says(body.as_bytes());
        assert_eq!(
            says(r#"{"error": {"message": "Incorrect API key provided"}}"#).as_deref(),
            Some("Incorrect API key provided")
        );
        assert_eq!(
            says(r#"{"error": "model \"x\" not found, try pulling it first"}"#).as_deref(),
            Some("model \"x\" not found, try pulling it first")
        );
        assert_eq!(
            says(r#"{"object": "error", "message": "The model `x` does not exist."}"#).as_deref(),
            Some("The model `x` does not exist.")
        );
        assert_eq!(says(r#"{"detail": "Not Found"}"#).as_deref(), Some("Not Found"));
        assert_eq!(says("plain text"), Some("plain text".to_owned()));
        assert_eq!(says("<html><body>502</body></html>"), None);
        assert_eq!(says(""), None);
        assert!(says(&"x".repeat(1000)).unwrap().chars().count() <= 301);
    }

    #[test]
    fn missing_model_wording_is_recognised() {
        let missing = |body: &str| mentions_missing_model(body.as_bytes());
        assert!(missing(r#"{"error": {"message": "nope", "code": "model_not_found"}}"#));
        assert!(missing(r#"{"error": "model \"llama9\" not found, try pulling it first"}"#));
        assert!(missing(r#"{"object": "error", "message": "The model `x` does not exist.", "code": 404}"#));
        assert!(!missing(r#"{"error": {"message": "Invalid URL (POST /v1/chat/completions)"}}"#));
        assert!(!missing(r#"{"error": {"message": "messages must not be empty"}}"#));
    }

    #[test]
    fn status_verdicts_speak_plainly() {
        let url = Url::parse("http://127.0.0.1:11434/v1/models").unwrap();
        let keyed = EndpointConfig::new(base(), "m").with_api_key("sk-abcdef");
        let keyless = EndpointConfig::new(base(), "m");
        let body = br#"{"error": {"message": "Incorrect API key provided"}}"#;
        let refused = judge_status(&keyed, &base(), "GET", &url, 401, body);
        assert_eq!(refused.problem, Some(ConnectionProblem::KeyRefused { status: 401 }));
        assert!(refused.message.starts_with("The server refused the API key (401: Incorrect API key provided)."));
        let needs = judge_status(&keyless, &base(), "GET", &url, 401, body);
        assert!(
            needs.message.contains("needs an API key") && needs.message.contains("none is set"),
            "{}",
            needs.message
        );
        let forbidden = judge_status(&keyed, &base(), "GET", &url, 403, b"");
        assert_eq!(forbidden.problem, Some(ConnectionProblem::KeyRefused { status: 403 }));
        let busy = judge_status(&keyed, &base(), "GET", &url, 503, br#"{"error": {"message": "overloaded"}}"#);
        assert_eq!(busy.problem, Some(ConnectionProblem::ServerError { status: 503 }));
        assert!(busy.message.contains("internal error (HTTP 503: overloaded)"), "{}", busy.message);
        let limited = judge_status(&keyed, &base(), "GET", &url, 429, b"");
        assert_eq!(limited.problem, Some(ConnectionProblem::RateLimited));
        let odd = judge_status(&keyed, &base(), "GET", &url, 418, b"");
        assert_eq!(odd.problem, Some(ConnectionProblem::Unexpected));
        assert!(odd.message.contains("GET http://127.0.0.1:11434/v1/models with HTTP 418"), "{}", odd.message);
    }

    #[test]
    fn local_hosts_are_recognised() {
        for host in ["localhost", "LOCALHOST.", "ollama.localhost", "127.0.0.1", "127.3.4.5", "[::1]"] {
            assert!(is_local(host), "{host}");
        }
        for host in ["example.com", "192.168.1.2", "[fe80::1]", "localhost.example.com", ""] {
            assert!(!is_local(host), "{host}");
        }
    }

    #[test]
    fn problem_codes_match_the_serde_tags() {
        for problem in [
            ConnectionProblem::BadUrl,
            ConnectionProblem::Cors,
            ConnectionProblem::MixedContent,
            ConnectionProblem::KeyRefused { status: 401 },
            ConnectionProblem::ModelNotFound,
            ConnectionProblem::ServerError { status: 502 },
        ] {
            assert_eq!(serde_json::to_value(problem).unwrap()["kind"], problem.code());
        }
    }

    #[test]
    fn base_is_shown_without_credentials_or_query() {
        let url = EndpointConfig::new("https://user:pw@x.example/openai/v1?key=secret", "m").models_url().unwrap();
        assert_eq!(base_shown(&url), "https://x.example/openai/v1");
    }
}
