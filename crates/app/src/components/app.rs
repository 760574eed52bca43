use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::JsCast;

use persona_core::store::StoreError;

use persona_core::backup;
use persona_core::chat::{Action, Status, Transcript};
use persona_core::turn::history_messages;
use persona_idb::DATABASE_NAME;
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::composer::Composer;
use crate::components::download::download;
use crate::components::inspector::Inspector;
use crate::components::knowledge::KnowledgePanel;
use crate::components::message::MessageView;
use crate::components::personas::PersonasPanel;
use crate::components::settings::SettingsPanel;
use crate::components::sidebar::{ConversationItem, Sidebar};
use crate::engine::{run_turn, Engine, EngineRef};
use crate::state::{ChatAction, ChatState};

/// What opening a persona or a conversation awaits.
type Loading = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Transcript, StoreError>>>>;

/// The app's screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    Chat,
    Knowledge,
    Personas,
    Settings,
}

impl View {
    const ALL: [View; 4] = [View::Chat, View::Knowledge, View::Personas, View::Settings];

    fn label(self) -> &'static str {
        match self {
            View::Chat => "Chat",
            View::Knowledge => "Knowledge",
            View::Personas => "Personas",
            View::Settings => "Settings",
        }
    }
}

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
    let view = use_state(|| View::Chat);
    // Bumped after the engine's lists (personas, conversations, articles) change.
    let revision = use_state(|| 0u64);
    let inspecting = use_state(|| None::<(String, persona_core::turn::TurnTrace)>);
    let bump = {
        let revision = revision.clone();
        Callback::from(move |()| revision.set(*revision + 1))
    };

    // Open the database and restore the saved knowledge, personas and conversation.
    {
        let state = state.clone();
        let engine = engine.clone();
        let bump = bump.clone();
        use_effect_with((), move |_| {
            spawn_local(async move {
                match engine.open_store(DATABASE_NAME).await {
                    Ok(saved) => {
                        state.dispatch(ChatAction::Loaded(saved));
                        bump.emit(());
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

    // What the visitor typed and has no answer to yet (draft, failed messages) is kept, so a
    // reload loses none of it. Only after the load: before it, the screen holds nothing of theirs.
    {
        let engine = engine.clone();
        let unsent = persona_core::library::Unsent::of(&state.transcript);
        let loaded = state.loaded;
        use_effect_with((unsent, loaded), move |(unsent, loaded)| {
            if *loaded {
                let unsent = unsent.clone();
                spawn_local(async move { engine.save_unsent(&unsent).await });
            }
        });
    }

    // Keep the newest message in view when one is added or a reply streams in (a reader who
    // scrolled up to read is left alone).
    let transcript_ref = use_node_ref();
    {
        let transcript_ref = transcript_ref.clone();
        let streamed: usize = state.progress.values().map(|p| p.partial.len()).sum();
        use_effect_with((state.transcript.messages.len(), streamed, *view), move |_| {
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
    let on_inspect = {
        let engine = engine.clone();
        let inspecting = inspecting.clone();
        let state = state.clone();
        Callback::from(move |id: String| {
            let (engine, inspecting, state) = (engine.clone(), inspecting.clone(), state.clone());
            spawn_local(async move {
                match engine.trace_of(&id).await {
                    Some(trace) => inspecting.set(Some((id, trace))),
                    None => state.dispatch(ChatAction::Notice("This turn's trace was not kept.".into())),
                }
            });
        })
    };

    // Opening another conversation or persona replaces the transcript on screen.
    let replace_with = {
        let state = state.clone();
        let bump = bump.clone();
        move |result: Result<Transcript, StoreError>| match result {
            Ok(transcript) => {
                state.dispatch(ChatAction::Replace(transcript));
                bump.emit(());
            }
            Err(error) => state.dispatch(ChatAction::Notice(format!("That could not be opened: {error}"))),
        }
    };
    // Opens what `load` returns (a persona's newest conversation, or a conversation) on the chat.
    let opener = |load: fn(Rc<Engine>, String) -> Loading| {
        let engine = engine.clone();
        let replace_with = replace_with.clone();
        let view = view.clone();
        Callback::from(move |id: String| {
            let (engine, replace_with, view) = (engine.clone(), replace_with.clone(), view.clone());
            spawn_local(async move {
                replace_with(load(engine, id).await);
                view.set(View::Chat);
            });
        })
    };
    let on_persona = opener(|engine, id| Box::pin(async move { engine.open_persona(&id).await }));
    let on_open = opener(|engine, id| Box::pin(async move { engine.open_conversation(&id).await }));
    let on_new = {
        let engine = engine.clone();
        let replace_with = replace_with.clone();
        let view = view.clone();
        Callback::from(move |()| {
            replace_with(Ok(engine.new_conversation()));
            view.set(View::Chat);
        })
    };
    let on_rename = {
        let engine = engine.clone();
        let bump = bump.clone();
        let state = state.clone();
        Callback::from(move |(id, title): (String, String)| {
            let (engine, bump, state) = (engine.clone(), bump.clone(), state.clone());
            spawn_local(async move {
                if let Err(error) = engine.rename_conversation(&id, &title).await {
                    state.dispatch(ChatAction::Notice(format!("Not renamed: {error}")));
                }
                bump.emit(());
            });
        })
    };
    let on_delete = {
        let engine = engine.clone();
        let bump = bump.clone();
        let state = state.clone();
        Callback::from(move |id: String| {
            let (engine, bump, state) = (engine.clone(), bump.clone(), state.clone());
            spawn_local(async move {
                match engine.delete_conversation(&id).await {
                    Ok(Some(transcript)) => state.dispatch(ChatAction::Replace(transcript)),
                    Ok(None) => {}
                    Err(error) => state.dispatch(ChatAction::Notice(format!("Not deleted: {error}"))),
                }
                bump.emit(());
            });
        })
    };
    let on_export_conversation = {
        let engine = engine.clone();
        let state = state.clone();
        Callback::from(move |id: String| {
            let (engine, state) = (engine.clone(), state.clone());
            spawn_local(async move {
                let header = engine.conversation_list.borrow().iter().find(|c| c.id == id).cloned();
                let transcript = match engine.db() {
                    Some(db) => persona_core::persist::load_conversation(&*db, &id).await.ok().flatten().map(|(_, t)| t),
                    None => None,
                };
                let (Some(header), Some(transcript)) = (header, transcript) else {
                    state.dispatch(ChatAction::Notice("Only saved conversations can be exported.".into()));
                    return;
                };
                let name = engine.persona.borrow().name().to_string();
                let json = persona_core::library::export_conversation(&name, &header, &transcript);
                if let Err(error) = download(&format!("conversation-{id}.json"), "application/json", &json) {
                    state.dispatch(ChatAction::Notice(format!("The conversation could not be downloaded: {error:?}")));
                }
            });
        })
    };

    let on_export = {
        let engine = engine.clone();
        let state = state.clone();
        Callback::from(move |()| {
            let engine = engine.clone();
            let state = state.clone();
            spawn_local(async move {
                let Some(db) = engine.db() else {
                    state.dispatch(ChatAction::Notice(
                        "The local database is not open: there is nothing to export.".into(),
                    ));
                    return;
                };
                match backup::export(&*db).await {
                    Ok(text) => {
                        if let Err(error) = download("persona-engine-backup.json", "application/json", &text) {
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
                let Some(db) = engine.db() else {
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
    let on_settings = {
        let engine = engine.clone();
        let state = state.clone();
        let bump = bump.clone();
        Callback::from(move |settings: persona_core::settings::AppSettings| {
            let (engine, state, bump) = (engine.clone(), state.clone(), bump.clone());
            spawn_local(async move {
                if let Err(error) = engine.save_settings(settings).await {
                    state.dispatch(ChatAction::Notice(format!("The settings could not be saved: {error}")));
                }
                bump.emit(());
            });
        })
    };
    let on_go_offline = {
        let engine = engine.clone();
        let state = state.clone();
        let on_settings = on_settings.clone();
        Callback::from(move |_: MouseEvent| {
            state.dispatch(ChatAction::Unreachable(None));
            let mut settings = engine.settings.borrow().clone();
            settings.offline = true;
            on_settings.emit(settings);
        })
    };
    let close_settings = {
        let view = view.clone();
        Callback::from(move |()| view.set(View::Chat))
    };
    let on_personas_changed = {
        let on_persona = on_persona.clone();
        let bump = bump.clone();
        Callback::from(move |open: Option<String>| match open {
            Some(id) => on_persona.emit(id),
            None => bump.emit(()),
        })
    };
    let on_knowledge_changed = bump.clone();

    let persona = engine.persona.borrow().clone();
    let avatar = engine.avatar.borrow().clone();
    let personas: Vec<(String, String)> = engine
        .personas
        .borrow()
        .iter()
        .map(|r| (r.id.clone(), r.persona().map(|p| p.name().to_string()).unwrap_or_else(|_| r.id.clone())))
        .collect();
    let current = engine.conversation.borrow().clone();
    let mut conversations: Vec<ConversationItem> = engine
        .conversation_list
        .borrow()
        .iter()
        .map(|c| ConversationItem { id: c.id.clone(), title: persona_core::library::display_title(c, None) })
        .collect();
    if !conversations.iter().any(|c| c.id == current.id) {
        let title = persona_core::library::display_title(&current, None);
        conversations.insert(0, ConversationItem { id: current.id.clone(), title });
    }
    let busy = state.transcript.messages.iter().any(|m| m.status == Status::Pending);
    let tabs = View::ALL.iter().map(|v| {
        let selected = *view == *v;
        let onclick = {
            let view = view.clone();
            let v = *v;
            Callback::from(move |_: MouseEvent| view.set(v))
        };
        html! {
            <button type="button" role="tab" class="tab" id={format!("tab-{}", v.label().to_lowercase())}
                aria-selected={selected.to_string()} aria-controls="screen" tabindex={if selected { "0" } else { "-1" }}
                {onclick}>{ v.label() }</button>
        }
    });
    // Arrow keys, Home and End move between the tabs (the tablist pattern); Tab leaves them.
    let on_tab_key = {
        let view = view.clone();
        Callback::from(move |e: KeyboardEvent| {
            let at = View::ALL.iter().position(|v| *v == *view).unwrap_or(0);
            let next = match e.key().as_str() {
                "ArrowRight" => (at + 1) % View::ALL.len(),
                "ArrowLeft" => (at + View::ALL.len() - 1) % View::ALL.len(),
                "Home" => 0,
                "End" => View::ALL.len() - 1,
                _ => return,
            };
            e.prevent_default();
            view.set(View::ALL[next]);
            let id = format!("tab-{}", View::ALL[next].label().to_lowercase());
            if let Some(tab) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&id)) {
                if let Ok(tab) = tab.dyn_into::<web_sys::HtmlElement>() {
                    let _ = tab.focus();
                }
            }
        })
    };
    let _ = *revision;
    html! {
        <div class="layout">
            <Sidebar {personas} persona_id={engine.persona_id.borrow().clone()} {conversations}
                conversation_id={current.id.clone()} {busy} {on_persona} {on_new} {on_open} {on_rename}
                {on_export_conversation} {on_delete} {on_export} {on_import} />
            <main class="chat" aria-label={format!("Chat with {}", persona.name())}>
                <header class="chat-header">
                    if let Some(src) = &avatar {
                        <img class="avatar" src={src.clone()} alt="" />
                    } else {
                        <div class="avatar" aria-hidden="true">{ persona.name().chars().next().unwrap_or('?') }</div>
                    }
                    <div>
                        <h1>{ persona.name() }</h1>
                        <p class="subtitle">{ persona.profile.occupation.clone() }</p>
                    </div>
                    <span class="badge" data-backend={engine.backend_label()}>{ engine.backend_label() }</span>
                </header>
                <nav class="tabs" role="tablist" aria-label="Screens" onkeydown={on_tab_key}>{ for tabs }</nav>
                if let Some(notice) = &state.notice {
                    <p class="notice" role="status">{ notice.clone() }</p>
                }
                if let Some(why) = &state.unreachable {
                    <div class="notice unreachable" role="alert">
                        <p>{ format!("The model endpoint can't be reached ({why}). You can keep chatting with the offline backend, which answers from the articles alone.") }</p>
                        <button type="button" class="secondary" onclick={on_go_offline}>{ "Answer offline instead" }</button>
                    </div>
                }
                <div id="screen" class="screen" role="tabpanel"
                    aria-labelledby={format!("tab-{}", view.label().to_lowercase())}>
                if *view == View::Chat {
                    <ol class="transcript" ref={transcript_ref} aria-live="polite" data-loaded={state.loaded.to_string()}
                        data-conversation={current.id.clone()}>
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
                                on_inspect={on_inspect.clone()}
                            />
                        }) }
                    </ol>
                    <Composer draft={state.transcript.draft.clone()} {busy} {on_send} {on_draft} />
                } else if *view == View::Knowledge {
                    <KnowledgePanel engine={EngineRef(engine.clone())} on_changed={on_knowledge_changed} />
                } else if *view == View::Personas {
                    <PersonasPanel engine={EngineRef(engine.clone())} on_changed={on_personas_changed} />
                } else {
                    <SettingsPanel settings={engine.settings.borrow().clone()} on_save={on_settings} on_close={close_settings} />
                }
                </div>
            </main>
            if let Some((id, trace)) = &*inspecting {
                <div class="inspector-layer">
                    <Inspector trace={trace.clone()} message_id={id.clone()}
                        on_close={{ let inspecting = inspecting.clone(); Callback::from(move |()| inspecting.set(None)) }} />
                </div>
            }
        </div>
    }
}
