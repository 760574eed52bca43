use std::cell::Cell;

use persona_core::backup;
use persona_core::chat::{Action, Status, Transcript};
use persona_core::turn::history_messages;
use persona_idb::DATABASE_NAME;
use wasm_bindgen::JsCast;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::composer::Composer;
use crate::components::message::MessageView;
use crate::components::sidebar::Sidebar;
use crate::engine::{run_turn, Engine};
use crate::state::{ChatAction, ChatState};

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// A fresh local message id (time-based, so ids stay unique across reloads).
fn local_id() -> String {
    let n = NEXT_ID.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    format!("m{}-{n}", js_sys::Date::now() as u64)
}

#[function_component(App)]
pub fn app() -> Html {
    let engine = use_memo((), |_| {
        let query = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        Engine::demo(&query)
    });
    let state = {
        let notice = engine.notice.clone();
        use_reducer(move || ChatState {
            transcript: Transcript::with_greeting(&persona_demo::jane().greeting()),
            notice,
            ..ChatState::default()
        })
    };
    // Open the database and restore the saved knowledge and conversation.
    {
        let state = state.clone();
        let engine = engine.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match engine.open_store(DATABASE_NAME).await {
                    Ok(saved) => {
                        state.dispatch(ChatAction::Loaded(saved));
                        if let Err(error) = engine.finish_restore().await {
                            web_sys::console::warn_1(&format!("exact vectors not loaded: {error}").into());
                        }
                    }
                    Err(error) => {
                        state.dispatch(ChatAction::Loaded(None));
                        state.dispatch(ChatAction::Notice(format!("{error} This conversation will not be saved.")));
                    }
                }
            });
        });
    }

    // Conversation memory follows the committed transcript (on load and after each commit).
    {
        let engine = engine.clone();
        let transcript = state.transcript.clone();
        use_effect_with((state.commits, state.loaded), move |_| engine.remember_conversation(&transcript));
    }

    // Keep the newest message in view when one is added (a reader scrolled far up is left alone).
    let transcript_ref = use_node_ref();
    {
        let transcript_ref = transcript_ref.clone();
        use_effect_with(state.transcript.messages.len(), move |_| {
            if let Some(list) = transcript_ref.cast::<web_sys::Element>() {
                let distance_from_bottom = list.scroll_height() - list.scroll_top() - list.client_height();
                if distance_from_bottom < 400 {
                    list.set_scroll_top(list.scroll_height());
                }
            }
        });
    }

    let start_turn = {
        let state = state.clone();
        let engine = engine.clone();
        Callback::from(move |(id, text): (String, String)| {
            let dispatcher = state.dispatcher();
            let history = history_messages(&state.transcript);
            spawn_local(run_turn(engine.clone(), id, text, history, move |action| dispatcher.dispatch(action)));
        })
    };

    let on_send = {
        let state = state.clone();
        let start_turn = start_turn.clone();
        Callback::from(move |text: String| {
            let id = local_id();
            state.dispatch(ChatAction::Core(Action::Send { id: id.clone(), text: text.clone() }));
            start_turn.emit((id, text));
        })
    };
    let on_draft = {
        let state = state.clone();
        Callback::from(move |text: String| state.dispatch(ChatAction::Draft(text)))
    };
    let on_retry = {
        let state = state.clone();
        Callback::from(move |id: String| {
            let Some(text) = state.transcript.get(&id).map(|m| m.text.clone()) else { return };
            state.dispatch(ChatAction::Core(Action::Retry { id: id.clone() }));
            start_turn.emit((id, text));
        })
    };
    let on_edit = {
        let state = state.clone();
        Callback::from(move |id: String| state.dispatch(ChatAction::Core(Action::Edit { id })))
    };
    let on_stop = {
        let engine = engine.clone();
        Callback::from(move |id: String| engine.stop(&id))
    };
    let on_discard = {
        let state = state.clone();
        Callback::from(move |id: String| state.dispatch(ChatAction::Core(Action::Discard { id })))
    };

    let on_export = {
        let engine = engine.clone();
        let state = state.clone();
        Callback::from(move |()| {
            let engine = engine.clone();
            let state = state.clone();
            spawn_local(async move {
                let Some(db) = engine.store.borrow().clone() else {
                    state.dispatch(ChatAction::Notice(
                        "The local database is not open: there is nothing to export.".into(),
                    ));
                    return;
                };
                match backup::export(&*db).await {
                    Ok(text) => {
                        if let Err(error) = download("persona-engine-backup.json", &text) {
                            state
                                .dispatch(ChatAction::Notice(format!("The backup could not be downloaded: {error:?}")));
                        }
                    }
                    Err(error) => state.dispatch(ChatAction::Notice(format!("The backup could not be made: {error}"))),
                }
            });
        })
    };
    let on_import = {
        let engine = engine.clone();
        let state = state.clone();
        Callback::from(move |file: web_sys::File| {
            let engine = engine.clone();
            let state = state.clone();
            spawn_local(async move {
                let Some(db) = engine.store.borrow().clone() else {
                    state.dispatch(ChatAction::Notice("The local database is not open: nothing was imported.".into()));
                    return;
                };
                let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    Ok(text) => text.as_string().unwrap_or_default(),
                    Err(_) => {
                        state.dispatch(ChatAction::Notice("The file could not be read.".into()));
                        return;
                    }
                };
                match backup::import(&*db, &text).await {
                    // Start again from what was imported.
                    Ok(()) => {
                        if let Some(window) = web_sys::window() {
                            let _ = window.location().reload();
                        }
                    }
                    Err(error) => {
                        state.dispatch(ChatAction::Notice(format!("Nothing was imported: {error}")));
                    }
                }
            });
        })
    };

    let persona = &engine.persona;
    let articles: Vec<(String, usize)> = {
        let knowledge = engine.knowledge.borrow();
        knowledge.articles().map(|a| (a.title.clone(), knowledge.chunks_of(&a.id).count())).collect()
    };
    let busy = state.transcript.messages.iter().any(|m| m.status == Status::Pending);
    html! {
        <div class="layout">
            <Sidebar {articles} {on_export} {on_import} />
            <main class="chat" aria-label={format!("Chat with {}", persona.name())}>
                <header class="chat-header">
                    <div class="avatar" aria-hidden="true">{ persona.name().chars().next().unwrap_or('?') }</div>
                    <div>
                        <h1>{ persona.name() }</h1>
                        <p class="subtitle">{ persona.profile.occupation.clone() }</p>
                    </div>
                    <span class="badge" data-backend={engine.backend_label()}>{ engine.backend_label() }</span>
                </header>
                if let Some(notice) = &state.notice {
                    <p class="notice" role="status">{ notice.clone() }</p>
                }
                <ol class="transcript" ref={transcript_ref} aria-live="polite" data-loaded={state.loaded.to_string()}>
                    { for state.transcript.messages.iter().map(|m| html! {
                        <MessageView
                            key={m.id.clone()}
                            message={m.clone()}
                            persona_name={persona.name().to_string()}
                            progress={state.progress.get(&m.id).cloned()}
                            on_stop={on_stop.clone()}
                            on_retry={on_retry.clone()}
                            on_edit={on_edit.clone()}
                            on_discard={on_discard.clone()}
                        />
                    }) }
                </ol>
                <Composer draft={state.transcript.draft.clone()} {busy} {on_send} {on_draft} />
            </main>
        </div>
    }
}

/// Hands `text` to the browser as a file download named `name`.
fn download(name: &str, text: &str) -> Result<(), wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)
}
