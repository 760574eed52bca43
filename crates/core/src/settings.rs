//! The user's settings: which OpenAI-compatible endpoint to call (if any), with which key and
//! models, how many passages to retrieve, and whether to answer offline.
//!
//! Plain data, serialised as JSON into the browser's own storage by the app. Every field has a
//! default and unknown fields are ignored, so settings saved by an older or newer version still
//! load. The API key is part of the data (it has to be stored to be used) but never of `Debug`
//! output, and [`AppSettings::masked_key`] is the only form meant for display.
//!
//! Validation is in words a user can act on ([`AppSettings::problems`],
//! [`AppSettings::endpoint_warning`]); the core does no IO, so whether the endpoint actually
//! answers is the model adapter's business (`persona_model::test_connection`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::pipeline::Stage;
use crate::turn::RetrievalConfig;

/// The model used when none is set (OpenAI's small, cheap chat model).
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

/// The smallest and largest retrieval depth the settings accept (knowledge passages per turn).
pub const RETRIEVAL_DEPTH_RANGE: std::ops::RangeInclusive<usize> = 1..=20;

/// The user's settings.
///
/// Missing fields take their [`Default`] (container-level `#[serde(default)]`), so settings
/// saved before a field existed load unchanged; unknown fields are ignored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSettings {
    /// The OpenAI-compatible API root, e.g. `http://127.0.0.1:11434/v1`; empty for none.
    pub endpoint: String,
    /// The bearer token; empty for none (local servers need none). Stored only locally.
    pub api_key: String,
    /// The model every stage uses unless [`AppSettings::stage_models`] names another.
    pub model: String,
    /// A model per pipeline stage, keyed by the stage's serialised name (`establish`, `vet`,
    /// `objectives`, `enrich`, `generate`, `validate`, `ground`); a missing or empty entry
    /// means [`AppSettings::model`].
    pub stage_models: BTreeMap<String, String>,
    /// Knowledge passages retrieved per turn ([`RetrievalConfig::knowledge_k`]), 1 to 20.
    pub retrieval_depth: usize,
    /// Answer with the offline backend (from the articles alone) even when an endpoint is set.
    /// On by default: a fresh install needs no endpoint.
    pub offline: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            endpoint: String::new(),
            api_key: String::new(),
            model: DEFAULT_MODEL.to_owned(),
            stage_models: BTreeMap::new(),
            retrieval_depth: RetrievalConfig::default().knowledge_k,
            offline: true,
        }
    }
}

impl AppSettings {
    /// Whether turns go to a model: offline mode is off and an endpoint is set.
    pub fn uses_model(&self) -> bool {
        !self.offline && !self.endpoint.trim().is_empty()
    }

    /// The model `stage` uses: its own when set (non-blank), else the default model. Trimmed.
    pub fn model_for(&self, stage: Stage) -> &str {
        self.stage_models
            .get(stage.name())
            .map(|model| model.trim())
            .filter(|model| !model.is_empty())
            .unwrap_or_else(|| self.model.trim())
    }

    /// Sets `stage`'s own model; a blank name removes it (the stage then uses the default).
    pub fn set_stage_model(&mut self, stage: Stage, model: &str) {
        let model = model.trim();
        if model.is_empty() {
            self.stage_models.remove(stage.name());
        } else {
            self.stage_models.insert(stage.name().to_owned(), model.to_owned());
        }
    }

    /// The retrieval configuration these settings ask for: the default one with
    /// [`AppSettings::retrieval_depth`] knowledge passages.
    pub fn retrieval_config(&self) -> RetrievalConfig {
        RetrievalConfig { knowledge_k: self.retrieval_depth, ..RetrievalConfig::default() }
    }

    /// A warning when the endpoint is plain `http://` to a host other than this computer: the
    /// key and every message would cross the network unencrypted. `None` for `https://`, for
    /// local hosts (`localhost`, `*.localhost`, `127.x.x.x`, `::1`) and for no endpoint.
    pub fn endpoint_warning(&self) -> Option<String> {
        let url = parse_endpoint(&self.endpoint).ok()?;
        if url.scheme != "http" || is_local_host(&url.host) {
            return None;
        }
        let what = if self.api_key.trim().is_empty() { "your messages" } else { "your API key and messages" };
        Some(format!(
            "This endpoint uses plain http:// to {host}, so {what} travel unencrypted and anyone on \
             the network can read them. Use https://, or a server on this computer (localhost).",
            host = url.host
        ))
    }

    /// What must be fixed before these settings can be saved, in plain words; empty when
    /// nothing. Checked: the endpoint is an `http(s)://` URL (when set), offline mode is on
    /// or an endpoint is set, the retrieval depth is within 1 to 20, and a default model is
    /// named when a model is used.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let endpoint = self.endpoint.trim();
        if !endpoint.is_empty() {
            if let Err(why) = parse_endpoint(endpoint) {
                problems.push(format!(
                    "The endpoint is not a usable URL ({why}). Enter something like http://127.0.0.1:11434/v1."
                ));
            }
        } else if !self.offline {
            problems.push("Enter an endpoint URL, or turn offline mode back on.".to_owned());
        }
        if !RETRIEVAL_DEPTH_RANGE.contains(&self.retrieval_depth) {
            problems.push(format!(
                "Retrieval depth must be between {} and {} passages, not {}.",
                RETRIEVAL_DEPTH_RANGE.start(),
                RETRIEVAL_DEPTH_RANGE.end(),
                self.retrieval_depth
            ));
        }
        if self.uses_model() && self.model.trim().is_empty() {
            problems.push("Enter a default model name (for example gpt-4o-mini or llama3.2).".to_owned());
        }
        problems
    }

    /// The API key for display: its prefix (`sk-`, `sk-proj-`) and last four characters around
    /// an ellipsis, e.g. `sk-…1234`. Short keys show less (never more than a third of the key,
    /// and a key under 12 characters shows only `…`); no key is the empty string.
    pub fn masked_key(&self) -> String {
        mask_key(self.api_key.trim())
    }
}

impl fmt::Debug for AppSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = if self.api_key.is_empty() { "" } else { "[redacted]" };
        f.debug_struct("AppSettings")
            .field("endpoint", &self.endpoint)
            .field("api_key", &key)
            .field("model", &self.model)
            .field("stage_models", &self.stage_models)
            .field("retrieval_depth", &self.retrieval_depth)
            .field("offline", &self.offline)
            .finish()
    }
}

/// See [`AppSettings::masked_key`].
fn mask_key(key: &str) -> String {
    const TAIL: usize = 4;
    let chars: Vec<char> = key.chars().collect();
    if chars.is_empty() {
        return String::new();
    }
    if chars.len() < 12 {
        return "…".to_owned();
    }
    // A vendor prefix: up to two runs of ASCII letters each ending in '-' ("sk-", "sk-proj-").
    let mut prefix = 0;
    for _ in 0..2 {
        let letters = chars[prefix..].iter().take_while(|c| c.is_ascii_alphabetic()).count();
        if letters > 0 && chars.get(prefix + letters) == Some(&'-') {
            prefix += letters + 1;
        } else {
            break;
        }
    }
    // Whatever is shown stays within a third of the key.
    if (prefix + TAIL) * 3 > chars.len() {
        prefix = 0;
    }
    let head: String = chars[..prefix].iter().collect();
    let tail: String = chars[chars.len() - TAIL..].iter().collect();
    format!("{head}…{tail}")
}

/// The parts of an endpoint URL the settings look at.
#[derive(Debug, PartialEq, Eq)]
struct EndpointUrl {
    /// `http` or `https`, lower case.
    scheme: String,
    /// The host, lower case, without brackets around an IPv6 address or a trailing dot.
    host: String,
}

/// Checks that `endpoint` is an absolute `http(s)://host[:port][/path][?query]` URL, without
/// the URL crate (the core stays small); the HTTP client parses it again, strictly.
fn parse_endpoint(endpoint: &str) -> Result<EndpointUrl, &'static str> {
    let endpoint = endpoint.trim();
    if endpoint.is_empty() {
        return Err("it is empty");
    }
    if endpoint.chars().any(char::is_whitespace) {
        return Err("it contains spaces");
    }
    let (scheme, rest) = endpoint.split_once("://").ok_or("it must start with http:// or https://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err("it must start with http:// or https://");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Credentials in the URL (user:password@) are allowed but not part of the host.
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or("its IPv6 address lacks a closing ]")?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("its IPv6 address is not valid");
        }
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':').ok_or("it has text after the IPv6 address")?)),
        }
    } else {
        let (host, port) = match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        };
        if host.is_empty() {
            return Err("it has no host name");
        }
        if !host.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_')) {
            return Err("its host name has characters a host name cannot have");
        }
        (host, port)
    };
    if let Some(port) = port {
        if port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()) || port.parse::<u16>().is_err() {
            return Err("its port is not a number from 0 to 65535");
        }
    }
    Ok(EndpointUrl { scheme, host: host.trim_end_matches('.').to_lowercase() })
}

/// Whether `host` (lower case, IPv6 without brackets) is this computer: `localhost`,
/// `*.localhost`, `127.0.0.0/8` or `::1`.
fn is_local_host(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_endpoint(endpoint: &str) -> AppSettings {
        AppSettings { endpoint: endpoint.to_owned(), offline: false, ..AppSettings::default() }
    }

    #[test]
    fn defaults_are_offline_with_the_default_model_and_retrieval_depth() {
        let settings = AppSettings::default();
        assert!(settings.offline);
        assert!(!settings.uses_model());
        assert_eq!(settings.model, DEFAULT_MODEL);
        assert_eq!(settings.retrieval_depth, RetrievalConfig::default().knowledge_k);
        assert_eq!(settings.retrieval_config(), RetrievalConfig::default());
        assert!(settings.problems().is_empty(), "{:?}", settings.problems());
        assert_eq!(settings.endpoint_warning(), None);
        assert_eq!(settings.masked_key(), "");
    }

    #[test]
    fn older_and_partial_saved_settings_load_with_defaults() {
        assert_eq!(serde_json::from_str::<AppSettings>("{}").unwrap(), AppSettings::default());
        let old: AppSettings =
            serde_json::from_str(r#"{"endpoint": "http://127.0.0.1:11434/v1", "model": "llama3.2", "theme": "dark"}"#)
                .unwrap();
        assert_eq!(old.endpoint, "http://127.0.0.1:11434/v1");
        assert_eq!(old.model, "llama3.2");
        assert!(old.offline, "missing → the default, not bool's false");
        assert_eq!(old.retrieval_depth, 8);
        assert!(old.stage_models.is_empty() && old.api_key.is_empty());
    }

    #[test]
    fn round_trips_through_json() {
        let mut settings = with_endpoint("https://api.openai.com/v1");
        settings.api_key = "sk-abcdefghijklmnop1234".into();
        settings.set_stage_model(Stage::Generate, "gpt-4o");
        settings.retrieval_depth = 12;
        let json = serde_json::to_string(&settings).unwrap();
        assert!(json.contains(r#""stage_models":{"generate":"gpt-4o"}"#), "{json}");
        assert_eq!(serde_json::from_str::<AppSettings>(&json).unwrap(), settings);
    }

    #[test]
    fn stage_model_keys_are_the_stages_serde_names() {
        for stage in Stage::ALL {
            assert_eq!(serde_json::to_value(stage).unwrap(), serde_json::Value::String(stage.name().to_owned()));
        }
    }

    #[test]
    fn uses_model_needs_an_endpoint_and_offline_off() {
        assert!(with_endpoint("http://127.0.0.1:11434/v1").uses_model());
        assert!(!with_endpoint("   ").uses_model());
        let offline = AppSettings { offline: true, ..with_endpoint("http://127.0.0.1:11434/v1") };
        assert!(!offline.uses_model());
    }

    #[test]
    fn model_for_falls_back_to_the_default_model() {
        let mut settings = AppSettings { model: " llama3.2 ".into(), ..AppSettings::default() };
        settings.set_stage_model(Stage::Generate, "llama3.1:70b");
        settings.stage_models.insert("vet".into(), "  ".into());
        assert_eq!(settings.model_for(Stage::Generate), "llama3.1:70b");
        assert_eq!(settings.model_for(Stage::Vet), "llama3.2", "blank entry = default");
        assert_eq!(settings.model_for(Stage::Ground), "llama3.2", "missing entry = default");
        settings.set_stage_model(Stage::Generate, "");
        assert!(!settings.stage_models.contains_key("generate"));
        assert_eq!(settings.model_for(Stage::Generate), "llama3.2");
    }

    #[test]
    fn plain_http_to_another_host_is_warned_about() {
        let mut settings = with_endpoint("http://models.example.com:8000/v1");
        let warning = settings.endpoint_warning().expect("a warning");
        assert!(warning.contains("models.example.com") && warning.contains("unencrypted"), "{warning}");
        assert!(!warning.contains("API key"), "no key set: {warning}");
        settings.api_key = "sk-secret-key-000000".into();
        let warning = settings.endpoint_warning().unwrap();
        assert!(warning.contains("API key") && !warning.contains("sk-secret"), "{warning}");
        assert!(with_endpoint("HTTP://192.168.1.20:11434/v1").endpoint_warning().is_some());
        assert!(with_endpoint("http://127.0.0.2.example.com/v1").endpoint_warning().is_some());
        assert!(with_endpoint("http://[fe80::1]:8080/v1").endpoint_warning().is_some());
    }

    #[test]
    fn https_and_local_hosts_are_not_warned_about() {
        for endpoint in [
            "https://api.openai.com/v1",
            "http://127.0.0.1:11434/v1",
            "http://127.8.9.10/v1",
            "http://localhost:8080/v1",
            "http://LOCALHOST./v1",
            "http://ollama.localhost/v1",
            "http://[::1]:8000/v1",
            "http://user:pw@localhost/v1",
            "",
            "not a url",
        ] {
            assert_eq!(with_endpoint(endpoint).endpoint_warning(), None, "{endpoint}");
        }
    }

    #[test]
    fn problems_name_what_to_fix() {
        assert!(with_endpoint("http://127.0.0.1:11434/v1").problems().is_empty());
        assert!(with_endpoint("https://x.example/openai/v1?api-version=2").problems().is_empty());
        for bad in [
            "127.0.0.1:11434/v1",
            "ftp://host/v1",
            "http://",
            "http://exa mple.com",
            "http://host:99999/v1",
            "http://[::1/v1",
        ] {
            let problems = with_endpoint(bad).problems();
            assert_eq!(problems.len(), 1, "{bad}: {problems:?}");
            assert!(problems[0].starts_with("The endpoint is not a usable URL"), "{bad}: {problems:?}");
        }
        // An endpoint that is set is checked even in offline mode.
        let offline = AppSettings { offline: true, ..with_endpoint("nonsense") };
        assert_eq!(offline.problems().len(), 1);

        assert_eq!(with_endpoint("").problems(), ["Enter an endpoint URL, or turn offline mode back on."]);

        for depth in [0, 21] {
            let settings = AppSettings { retrieval_depth: depth, ..AppSettings::default() };
            assert_eq!(
                settings.problems(),
                [format!("Retrieval depth must be between 1 and 20 passages, not {depth}.")]
            );
        }
        for depth in [1, 20] {
            assert!(AppSettings { retrieval_depth: depth, ..AppSettings::default() }.problems().is_empty());
        }

        let no_model = AppSettings { model: " ".into(), ..with_endpoint("http://127.0.0.1:11434/v1") };
        assert_eq!(no_model.problems().len(), 1);
        assert!(no_model.problems()[0].contains("default model"));
        let offline_no_model = AppSettings { model: String::new(), ..AppSettings::default() };
        assert!(offline_no_model.problems().is_empty(), "no model needed offline");
    }

    #[test]
    fn masked_key_shows_at_most_prefix_and_last_four() {
        let masked = |key: &str| AppSettings { api_key: key.into(), ..AppSettings::default() }.masked_key();
        assert_eq!(masked("sk-abcdefghijklmnop1234"), "sk-…1234");
        assert_eq!(masked("sk-proj-abcdefghijklmnopqrstuvwxyz5678"), "sk-proj-…5678");
        assert_eq!(masked("0123456789abcdef"), "…cdef");
        assert_eq!(masked("sk-abcdefgh12"), "…gh12", "prefix dropped: it would show too much");
        assert_eq!(masked("short-key"), "…");
        assert_eq!(masked(""), "");
        let key = "sk-ünïcødé-kéy-with-many-chars-9999";
        assert!(!masked(key).contains("kéy") && masked(key).ends_with("9999"));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let settings = AppSettings { api_key: "sk-very-secret-key-4321".into(), ..with_endpoint("https://h/v1") };
        let shown = format!("{settings:?} {settings:#?}");
        assert!(!shown.contains("sk-very-secret-key-4321") && !shown.contains("4321"), "{shown}");
        assert!(shown.contains("[redacted]") && shown.contains("https://h/v1"), "{shown}");
        assert!(format!("{:?}", AppSettings::default()).contains(r#"api_key: """#));
    }
}
