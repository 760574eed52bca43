//! The JavaScript API (wasm-bindgen). `JsValue` and the browser types stay in this module:
//! everything below it is the plain-Rust [`Engine`].

use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect, JSON};
use persona_core::pipeline::{Backends, Clock, Event, NoModel, StageOutcome};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::engine::{Answer, Engine};

/// A persona with its knowledge bundle and one visitor's conversation.
///
/// ```js
/// import init, { PersonaEngine } from './persona_widget.js';
/// await init();
/// const engine = await PersonaEngine.load('/demo/bundle.json');
/// const reply = await engine.ask('How much faster do businesses with a plan grow?', (event) => {
///   if (event.token) console.log('streamed:', event.token);
///   else console.log(event.stage, event.state); // "vet" "started", …
/// });
/// console.log(reply.text, reply.facts, reply.kind);
/// ```
#[wasm_bindgen]
pub struct PersonaEngine {
    inner: Rc<Engine>,
}

#[wasm_bindgen]
impl PersonaEngine {
    /// Fetches the knowledge bundle at `bundleUrl` (resolved against the page) and loads it.
    /// Rejects with an `Error` whose message says in plain words what is wrong: the bundle could
    /// not be fetched, or it is not a bundle this version reads (e.g. "This knowledge bundle was
    /// made by a newer version…").
    pub async fn load(bundle_url: String) -> Result<PersonaEngine, JsError> {
        let json = fetch_text(&bundle_url).await.map_err(|e| JsError::new(&e))?;
        PersonaEngine::from_json(&json)
    }

    /// Loads a knowledge bundle from its JSON text. Throws an `Error` in plain words when the
    /// text is not a bundle this version reads.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str) -> Result<PersonaEngine, JsError> {
        match Engine::from_json(json) {
            Ok(engine) => Ok(PersonaEngine { inner: Rc::new(engine) }),
            Err(error) => Err(JsError::new(&error.to_string())),
        }
    }

    /// The persona's name ("Jane").
    #[wasm_bindgen(getter, js_name = personaName)]
    pub fn persona_name(&self) -> String {
        self.inner.persona_name().to_string()
    }

    /// The persona's greeting, the conversation's first message.
    #[wasm_bindgen(getter)]
    pub fn greeting(&self) -> String {
        self.inner.greeting()
    }

    /// How many passages the knowledge holds.
    #[wasm_bindgen(getter, js_name = chunkCount)]
    pub fn chunk_count(&self) -> usize {
        self.inner.chunk_count()
    }

    /// Whether the bundle carried a prebuilt index (nothing was indexed in the page).
    #[wasm_bindgen(getter)]
    pub fn prebuilt(&self) -> bool {
        self.inner.prebuilt()
    }

    /// How many exchanges the conversation holds (committed question + reply pairs).
    #[wasm_bindgen(getter, js_name = exchangeCount)]
    pub fn exchange_count(&self) -> usize {
        self.inner.exchange_count()
    }

    /// Runs one turn: `Promise<{ text, facts: [{ number, text, article }], kind }>`.
    ///
    /// `onProgress(event)` (optional) gets `{ stage, state: "started", attempt }` and
    /// `{ stage, state: "finished", attempt, outcome, ms }` for each stage run
    /// (`outcome`: "ok", "failed", "skipped", "discarded" or "cancelled"), `{ token }` for each
    /// piece of the reply as it streams, and `{ discarded: true, feedback }` when Validate sends
    /// a draft back (drop the text streamed so far). `options` (optional):
    /// `{ endpoint, model }` runs every stage on an OpenAI-compatible endpoint (absolute URL, no
    /// key: put a proxy that adds one in front of a hosted API) instead of the offline backend.
    ///
    /// Turns run one after another; committed exchanges are history for the next. A turn that
    /// fails rejects with an `Error` in plain words and leaves the conversation as it was.
    pub fn ask(&self, question: String, on_progress: JsValue, options: JsValue) -> Promise {
        let engine = self.inner.clone();
        let on_progress = on_progress.dyn_into::<Function>().ok();
        let endpoint = string_option(&options, "endpoint");
        let model = string_option(&options, "model").unwrap_or_default();
        future_to_promise(async move {
            let clock = PageClock(web_sys::window().and_then(|w| w.performance()));
            let report = |event: &Event<'_>| {
                if let Some(callback) = &on_progress {
                    // A throwing callback must not break the turn.
                    let _ = callback.call1(&JsValue::UNDEFINED, &progress_object(event));
                }
            };
            let result = match endpoint {
                None => engine.ask(&question, &Backends::<NoModel>::offline(), &clock, &report).await,
                Some(endpoint) => remote::ask(&engine, &question, &endpoint, &model, &clock, &report).await,
            };
            match result {
                Ok(answer) => answer_object(&answer),
                Err(message) => Err(js_sys::Error::new(&message).into()),
            }
        })
    }

    /// Stops the running turn (its promise rejects with "You stopped this reply.").
    pub fn stop(&self) {
        self.inner.stop();
    }

    /// Starts the conversation afresh (forgets the exchanges so far).
    pub fn reset(&self) {
        self.inner.reset();
    }
}

#[cfg(feature = "remote")]
mod remote {
    use persona_core::pipeline::{Backends, Clock, Event, Stage, StageSettings};
    use persona_model::{EndpointConfig, OpenAiChatModel};

    use crate::engine::{Answer, Engine};

    /// How long one model call may take, retries included.
    const CALL_LIMIT_MS: u64 = 60_000;

    /// A turn with every stage on the endpoint.
    pub async fn ask(
        engine: &Engine,
        question: &str,
        endpoint: &str,
        model: &str,
        clock: &dyn Clock,
        report: &dyn Fn(&Event<'_>),
    ) -> Result<Answer, String> {
        let config = EndpointConfig::new(endpoint, model).with_timeout_ms(CALL_LIMIT_MS);
        let client = OpenAiChatModel::new(config).map_err(|e| format!("The endpoint is not usable: {e}."))?;
        let backends = Backends::all(&client, |stage: Stage| StageSettings::default_for(stage, model));
        engine.ask(question, &backends, clock, report).await
    }
}

#[cfg(not(feature = "remote"))]
mod remote {
    use persona_core::pipeline::{Clock, Event};

    use crate::engine::{Answer, Engine};

    pub async fn ask(
        _: &Engine,
        _: &str,
        _: &str,
        _: &str,
        _: &dyn Clock,
        _: &dyn Fn(&Event<'_>),
    ) -> Result<Answer, String> {
        Err("This build of the widget is offline only: it cannot use an endpoint.".into())
    }
}

/// The page's monotonic clock, for stage timings.
struct PageClock(Option<web_sys::Performance>);

impl Clock for PageClock {
    fn now_ms(&self) -> f64 {
        self.0.as_ref().map_or_else(js_sys::Date::now, web_sys::Performance::now)
    }
}

/// `options[key]` as a non-empty string.
fn string_option(options: &JsValue, key: &str) -> Option<String> {
    if !options.is_object() {
        return None;
    }
    let value = Reflect::get(options, &JsValue::from_str(key)).ok()?.as_string()?;
    let value = value.trim().to_string();
    (!value.is_empty()).then_some(value)
}

/// The text at `url`, or why not, in plain words.
async fn fetch_text(url: &str) -> Result<String, String> {
    let unreachable = |why: String| format!("The knowledge bundle could not be loaded from {url}: {why}");
    let window = web_sys::window().ok_or_else(|| unreachable("there is no window to fetch from".into()))?;
    let response = JsFuture::from(window.fetch_with_str(url)).await.map_err(|e| unreachable(js_message(&e)))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| unreachable("no response".into()))?;
    if !response.ok() {
        let status = format!("{} {}", response.status(), response.status_text());
        return Err(unreachable(format!("the server answered {}", status.trim())));
    }
    let text = response.text().map_err(|e| unreachable(js_message(&e)))?;
    let text = JsFuture::from(text).await.map_err(|e| unreachable(js_message(&e)))?;
    text.as_string().ok_or_else(|| unreachable("the answer is not text".into()))
}

/// The message of a thrown JS value.
fn js_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "the request failed".into())
}

/// A plain JS object from `(key, value)` pairs.
fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&object, &JsValue::from_str(key), value);
    }
    object.into()
}

fn progress_object(event: &Event<'_>) -> JsValue {
    match event {
        Event::StageStarted { stage, attempt } => {
            object(&[("stage", stage.name().into()), ("state", "started".into()), ("attempt", (*attempt).into())])
        }
        Event::StageFinished { stage, attempt, outcome, duration_ms } => object(&[
            ("stage", stage.name().into()),
            ("state", "finished".into()),
            ("attempt", (*attempt).into()),
            ("outcome", outcome_name(outcome).into()),
            ("ms", (*duration_ms).into()),
        ]),
        Event::Token(piece) => object(&[("token", (*piece).into())]),
        Event::DraftDiscarded { feedback } => object(&[("discarded", true.into()), ("feedback", (*feedback).into())]),
    }
}

fn outcome_name(outcome: &StageOutcome) -> &'static str {
    match outcome {
        StageOutcome::Ok => "ok",
        StageOutcome::Failed { .. } => "failed",
        StageOutcome::Skipped { .. } => "skipped",
        StageOutcome::Discarded => "discarded",
        StageOutcome::Cancelled => "cancelled",
    }
}

fn answer_object(answer: &Answer) -> Result<JsValue, JsValue> {
    let json = serde_json::to_string(answer).map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))?;
    JSON::parse(&json)
}
