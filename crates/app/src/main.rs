//! The persona engine's web app (built with `trunk`).
//!
//! A thin yew shell around the engine core: [`state`] wraps the core's chat state machine in a
//! yew reducer, [`engine`] runs turns (off the render path, dispatching results by message id),
//! and [`components`] render. Persistence happens in effects after a commit, never inside the
//! reducer.

//!
//! The browser-only modules compile for wasm32 alone; [`state`] and [`timeline`] are plain Rust and
//! are unit-tested natively by `cargo test --workspace`.

#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod engine;
#[allow(dead_code)]
mod state;
#[allow(dead_code)]
mod timeline;

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<components::app::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("persona-app is a web app: build it with `trunk build` or run `./scripts/serve.sh`.");
    std::process::exit(2);
}
