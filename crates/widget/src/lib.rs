//! The embeddable chat widget's engine.
//!
//! A site owner adds one script (`www/widget/persona-chat.js`) and a
//! `<persona-chat knowledge="/path/bundle.json">` element to any page; the script loads this
//! crate's wasm (built by `scripts/build-widget.sh`) and drives it through the JS API in
//! [`boundary`]: `PersonaEngine.load(url)` fetches a knowledge bundle (`persona_core::bundle`:
//! the persona and its articles, usually with a prebuilt index), and `engine.ask(question,
//! onProgress)` runs one turn through the core's staged pipeline — offline by default, or on an
//! OpenAI-compatible endpoint (feature `remote`, on by default).
//!
//! No UI framework: the wasm holds the engine only, and the UI is plain DOM in the script.
//!
//! - [`engine`]: plain Rust, native-tested: the persona, the knowledge and one conversation.
//! - [`boundary`] (wasm only): the wasm-bindgen exports; `JsValue` stays there.

#[cfg(target_arch = "wasm32")]
pub mod boundary;
pub mod engine;

pub use engine::{Answer, CitedFact, Engine};
