//! The sidebar: which persona, its conversations (open, new, rename, export, delete), and the
//! visitor's data (backup export and import).

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::components::confirm::Confirm;

/// A conversation as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationItem {
    pub id: String,
    pub title: String,
}

#[derive(Properties, PartialEq)]
pub struct SidebarProps {
    /// `(id, name)` of every persona.
    pub personas: Vec<(String, String)>,
    pub persona_id: String,
    pub conversations: Vec<ConversationItem>,
    pub conversation_id: String,
    /// A turn is running: switching and deleting wait.
    pub busy: bool,
    pub on_persona: Callback<String>,
    pub on_new: Callback<()>,
    pub on_open: Callback<String>,
    pub on_rename: Callback<(String, String)>,
    pub on_export_conversation: Callback<String>,
    pub on_delete: Callback<String>,
    /// Export everything as one JSON file.
    pub on_export: Callback<()>,
    /// Import a backup file (replaces everything).
    pub on_import: Callback<web_sys::File>,
}

#[function_component(Sidebar)]
pub fn sidebar(props: &SidebarProps) -> Html {
    // The conversation being renamed, and the one whose deletion awaits confirmation.
    let renaming = use_state(|| None::<String>);
    let confirming = use_state(|| None::<String>);
    let on_export = {
        let on_export = props.on_export.clone();
        Callback::from(move |_: MouseEvent| on_export.emit(()))
    };
    let on_import = {
        let on_import = props.on_import.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            if let Some(file) = input.files().and_then(|files| files.get(0)) {
                on_import.emit(file);
            }
            input.set_value("");
        })
    };
    let on_persona = {
        let cb = props.on_persona.clone();
        Callback::from(move |event: Event| {
            let select: web_sys::HtmlSelectElement = event.target_unchecked_into();
            cb.emit(select.value());
        })
    };
    let on_new = {
        let cb = props.on_new.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    html! {
        <aside class="sidebar" aria-label="Conversations">
            <label class="field-label" for="persona-select">{ "Talking to" }</label>
            <select id="persona-select" onchange={on_persona} disabled={props.busy}>
                { for props.personas.iter().map(|(id, name)| html! {
                    <option value={id.clone()} selected={*id == props.persona_id}>{ name.clone() }</option>
                }) }
            </select>
            <div class="section-head">
                <h2>{ "Conversations" }</h2>
                <button type="button" class="secondary small" onclick={on_new} disabled={props.busy}>{ "New" }</button>
            </div>
            <ul class="conversations">
                { for props.conversations.iter().map(|c| {
                    let current = c.id == props.conversation_id;
                    let id = c.id.clone();
                    if renaming.as_deref() == Some(c.id.as_str()) {
                        let on_rename = props.on_rename.clone();
                        let onsubmit = { let renaming = renaming.clone(); Callback::from(move |e: SubmitEvent| {
                            e.prevent_default();
                            let form: web_sys::HtmlFormElement = e.target_unchecked_into();
                            let input: Option<HtmlInputElement> = form.elements().named_item("title").and_then(|el| wasm_bindgen::JsCast::dyn_into(el).ok());
                            if let Some(input) = input {
                                on_rename.emit((id.clone(), input.value()));
                            }
                            renaming.set(None);
                        }) };
                        let cancel = { let renaming = renaming.clone(); move |_: MouseEvent| renaming.set(None) };
                        return html! {
                            <li class="conversation renaming" key={c.id.clone()}>
                                <form class="rename" {onsubmit}>
                                    <label class="visually-hidden" for={format!("rename-{}", c.id)}>{ "New title" }</label>
                                    <input id={format!("rename-{}", c.id)} name="title" value={c.title.clone()} maxlength="120" autofocus=true />
                                    <button type="submit" class="small">{ "Save" }</button>
                                    <button type="button" class="secondary small" onclick={cancel}>{ "Cancel" }</button>
                                </form>
                            </li>
                        };
                    }
                    let open = { let cb = props.on_open.clone(); let id = id.clone(); move |_: MouseEvent| cb.emit(id.clone()) };
                    let rename = { let renaming = renaming.clone(); let id = id.clone(); move |_: MouseEvent| renaming.set(Some(id.clone())) };
                    let export = { let cb = props.on_export_conversation.clone(); let id = id.clone(); move |_: MouseEvent| cb.emit(id.clone()) };
                    let ask = { let confirming = confirming.clone(); let id = id.clone(); move |_: MouseEvent| confirming.set(Some(id.clone())) };
                    html! {
                        <li class={classes!("conversation", current.then_some("current"))} key={c.id.clone()} data-conversation={c.id.clone()}>
                            <button type="button" class="conversation-title" aria-current={current.then_some("true")}
                                onclick={open} disabled={props.busy && !current}>{ c.title.clone() }</button>
                            if confirming.as_deref() == Some(c.id.as_str()) {
                                <Confirm question="Delete this conversation?"
                                    on_cancel={{ let confirming = confirming.clone(); Callback::from(move |()| confirming.set(None)) }}
                                    on_confirm={{
                                        let cb = props.on_delete.clone(); let id = id.clone(); let confirming = confirming.clone();
                                        Callback::from(move |()| { confirming.set(None); cb.emit(id.clone()) })
                                    }} />
                            } else {
                                <div class="conversation-actions">
                                    <button type="button" class="link-button" onclick={rename} aria-label={format!("Rename {}", c.title)}>{ "Rename" }</button>
                                    <button type="button" class="link-button" onclick={export} aria-label={format!("Export {}", c.title)}>{ "Export" }</button>
                                    <button type="button" class="link-button" onclick={ask} disabled={props.busy} aria-label={format!("Delete {}", c.title)}>{ "Delete" }</button>
                                </div>
                            }
                        </li>
                    }
                }) }
            </ul>
            <h2>{ "Your data" }</h2>
            <p class="hint">{ "Everything stays in this browser. A backup moves it to another browser or brings it back." }</p>
            <div class="data-actions">
                <button type="button" class="secondary" onclick={on_export}>{ "Export backup" }</button>
                <label class="secondary file-button">
                    { "Import backup…" }
                    <input id="import-backup" class="visually-hidden" type="file" accept=".json,application/json" onchange={on_import} />
                </label>
            </div>
        </aside>
    }
}
