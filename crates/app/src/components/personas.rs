//! The personas panel: create, edit, duplicate and delete personas (each with its own memory
//! and conversations), choose an avatar, and import or export Character Cards (V2/V3, JSON or
//! PNG). A card that does not read is refused with the reason, and nothing changes.

use base64::Engine as _;
use persona_core::card::{export_card_json, export_card_png, import_card, CardFormat};
use persona_core::library::{slug, PersonaRecord};
use persona_core::persona::{CardData, CharacterCard, Persona, PersonaProfile};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::confirm::Confirm;
use crate::components::download::download;
use crate::engine::EngineRef;

#[derive(Properties, PartialEq)]
pub struct PersonasProps {
    pub engine: EngineRef,
    /// A persona was opened, changed or deleted: `Some(id)` asks the app to open it.
    pub on_changed: Callback<Option<String>>,
}

/// The avatar of a card PNG, or of an image file, as a `data:` URL.
fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!("data:{mime};base64,{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// The bytes of a `data:image/png;base64,…` avatar (a PNG card is written into it).
fn png_of(avatar: &Option<String>) -> Option<Vec<u8>> {
    let data = avatar.as_deref()?.strip_prefix("data:image/png;base64,")?;
    base64::engine::general_purpose::STANDARD.decode(data).ok()
}

async fn file_bytes(file: &web_sys::File) -> Option<Vec<u8>> {
    let buffer = JsFuture::from(file.array_buffer()).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A fresh persona with just a name.
fn blank(name: &str) -> Persona {
    Persona {
        card: CharacterCard {
            spec: "chara_card_v3".into(),
            spec_version: "3.0".into(),
            data: CardData { name: name.into(), ..CardData::default() },
            extra: Default::default(),
        },
        profile: PersonaProfile::default(),
    }
}

/// The form's fields: read from a persona, written back onto it (other fields untouched).
#[derive(Clone, Debug, Default, PartialEq)]
struct Form {
    name: String,
    occupation: String,
    age: String,
    description: String,
    personality: String,
    backstory: String,
    greeting: String,
    style: String,
    /// One per line.
    memories: String,
    opinions: String,
}

/// Non-empty lines, trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

impl Form {
    fn of(p: &Persona) -> Form {
        Form {
            name: p.card.data.name.clone(),
            occupation: p.profile.occupation.clone(),
            age: p.profile.age.map(|a| a.to_string()).unwrap_or_default(),
            description: p.card.data.description.clone(),
            personality: p.card.data.personality.clone(),
            backstory: p.profile.backstory.clone(),
            greeting: p.card.data.first_mes.clone(),
            style: p.profile.voice.style.clone(),
            memories: p.profile.memories.join("\n"),
            opinions: p.profile.opinions.join("\n"),
        }
    }

    fn apply(&self, p: &mut Persona) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("A persona needs a name.".into());
        }
        let age = match self.age.trim() {
            "" => None,
            text => Some(text.parse::<u32>().map_err(|_| format!("The age `{text}` is not a whole number."))?),
        };
        p.card.data.name = self.name.trim().to_string();
        p.card.data.description = self.description.clone();
        p.card.data.personality = self.personality.clone();
        p.card.data.first_mes = self.greeting.clone();
        p.profile.occupation = self.occupation.trim().to_string();
        p.profile.age = age;
        p.profile.backstory = self.backstory.clone();
        p.profile.voice.style = self.style.clone();
        p.profile.memories = lines(&self.memories);
        p.profile.opinions = lines(&self.opinions);
        Ok(())
    }
}

#[function_component(PersonasPanel)]
pub fn personas_panel(props: &PersonasProps) -> Html {
    let engine = props.engine.clone();
    // The persona being edited: its id (None: a new one), the persona, the form and avatar.
    let editing = use_state(|| None::<(Option<String>, Persona, Form, Option<String>)>);
    let status = use_state(|| None::<(bool, String)>);
    let confirming = use_state(|| None::<String>);
    let revision = use_state(|| 0u32);

    let store_record = {
        let engine = engine.clone();
        let status = status.clone();
        let revision = revision.clone();
        let on_changed = props.on_changed.clone();
        Callback::from(move |(record, message): (PersonaRecord, String)| {
            let (engine, status, revision, on_changed) = (engine.clone(), status.clone(), revision.clone(), on_changed.clone());
            spawn_local(async move {
                match engine.save_persona(record).await {
                    Ok(()) => status.set(Some((true, message))),
                    Err(error) => status.set(Some((false, format!("Not saved: {error}")))),
                }
                revision.set(*revision + 1);
                on_changed.emit(None);
            });
        })
    };
    // A new persona's id: from its name, unique among the stored ones.
    let new_id = {
        let engine = engine.clone();
        move |name: &str| {
            let taken: Vec<String> = engine.personas.borrow().iter().map(|p| p.id.clone()).collect();
            slug(name, "persona", &taken)
        }
    };

    let on_import = {
        let status = status.clone();
        let store_record = store_record.clone();
        let new_id = new_id.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
            input.set_value("");
            let (status, store_record, new_id) = (status.clone(), store_record.clone(), new_id.clone());
            spawn_local(async move {
                let name = file.name();
                let Some(bytes) = file_bytes(&file).await else {
                    status.set(Some((false, format!("`{name}` could not be read."))));
                    return;
                };
                match import_card(&bytes) {
                    Ok(persona) => {
                        let id = new_id(persona.name());
                        let avatar = bytes.starts_with(b"\x89PNG").then(|| data_url("image/png", &bytes));
                        let message = format!("Imported {} from `{name}`.", persona.name());
                        store_record.emit((PersonaRecord::new(id, &persona, avatar), message));
                    }
                    // A malformed card changes nothing; the message names the problem.
                    Err(error) => status.set(Some((false, format!("`{name}` was not imported: {error}")))),
                }
            });
        })
    };
    let on_new = {
        let editing = editing.clone();
        Callback::from(move |_: MouseEvent| {
            let persona = blank("");
            editing.set(Some((None, persona.clone(), Form::of(&persona), None)))
        })
    };

    let personas = engine.personas.borrow().clone();
    let active = engine.persona_id.borrow().clone();
    let only_one = personas.len() <= 1;

    let editor = editing.as_ref().map(|(id, persona, form, avatar)| {
        let field = |key: &'static str, label: &'static str, value: &str, multiline: bool| {
            let editing = editing.clone();
            let oninput = Callback::from(move |e: InputEvent| {
                let value = e.target_dyn_into::<HtmlInputElement>().map(|i| i.value())
                    .or_else(|| e.target_dyn_into::<HtmlTextAreaElement>().map(|t| t.value()))
                    .unwrap_or_default();
                if let Some((id, persona, mut form, avatar)) = (*editing).clone() {
                    match key {
                        "name" => form.name = value,
                        "occupation" => form.occupation = value,
                        "age" => form.age = value,
                        "description" => form.description = value,
                        "personality" => form.personality = value,
                        "backstory" => form.backstory = value,
                        "greeting" => form.greeting = value,
                        "memories" => form.memories = value,
                        "opinions" => form.opinions = value,
                        _ => form.style = value,
                    }
                    editing.set(Some((id, persona, form, avatar)));
                }
            });
            let input_id = format!("persona-{key}");
            html! {
                <>
                    <label for={input_id.clone()}>{ label }</label>
                    if multiline {
                        <textarea id={input_id} rows="3" value={value.to_string()} {oninput} />
                    } else {
                        <input id={input_id} value={value.to_string()} {oninput} />
                    }
                </>
            }
        };
        let on_avatar = {
            let editing = editing.clone();
            let status = status.clone();
            Callback::from(move |event: Event| {
                let input: HtmlInputElement = event.target_unchecked_into();
                let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
                let (editing, status) = (editing.clone(), status.clone());
                spawn_local(async move {
                    let mime = file.type_();
                    if !mime.starts_with("image/") {
                        status.set(Some((false, "An avatar must be an image.".into())));
                        return;
                    }
                    if let (Some(bytes), Some((id, persona, form, _))) = (file_bytes(&file).await, (*editing).clone()) {
                        editing.set(Some((id, persona, form, Some(data_url(&mime, &bytes)))));
                    }
                });
            })
        };
        let on_save = {
            let editing = editing.clone();
            let status = status.clone();
            let store_record = store_record.clone();
            let new_id = new_id.clone();
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let Some((id, mut persona, form, avatar)) = (*editing).clone() else { return };
                if let Err(problem) = form.apply(&mut persona) {
                    status.set(Some((false, problem)));
                    return;
                }
                let id = id.unwrap_or_else(|| new_id(persona.name()));
                let message = format!("Saved {}.", persona.name());
                store_record.emit((PersonaRecord::new(id, &persona, avatar), message));
                editing.set(None);
            })
        };
        html! {
            <form class="persona-editor" onsubmit={on_save} aria-label={if id.is_some() { "Edit persona" } else { "New persona" }}>
                <h3>{ if id.is_some() { format!("Edit {}", persona.name()) } else { "New persona".to_string() } }</h3>
                { field("name", "Name", &form.name, false) }
                { field("occupation", "Occupation", &form.occupation, false) }
                { field("age", "Age", &form.age, false) }
                { field("description", "Description", &form.description, true) }
                { field("personality", "Personality", &form.personality, true) }
                { field("backstory", "Backstory", &form.backstory, true) }
                { field("greeting", "Greeting (first message)", &form.greeting, true) }
                { field("style", "Voice", &form.style, false) }
                { field("memories", "Memories (one per line; what she may say she has done)", &form.memories, true) }
                { field("opinions", "Opinions (one per line)", &form.opinions, true) }
                <label for="persona-avatar">{ "Avatar" }</label>
                <div class="avatar-row">
                    if let Some(src) = avatar { <img class="avatar" src={src.clone()} alt="" /> }
                    <input id="persona-avatar" type="file" accept="image/png,image/jpeg,image/webp" onchange={on_avatar} />
                </div>
                <div class="form-actions">
                    <button type="submit">{ "Save persona" }</button>
                    <button type="button" class="secondary" onclick={{ let editing = editing.clone(); move |_: MouseEvent| editing.set(None) }}>{ "Cancel" }</button>
                </div>
            </form>
        }
    });

    html! {
        <section class="panel personas-panel" aria-labelledby="personas-heading">
            <h2 id="personas-heading">{ "Personas" }</h2>
            <p class="hint">{ "Each persona keeps its own memory and conversations. Cards follow the Character Card V2/V3 format (JSON or PNG)." }</p>
            <div class="form-actions">
                <button type="button" onclick={on_new}>{ "New persona" }</button>
                <label class="file-button secondary">
                    { "Import card…" }
                    <input id="import-card" class="visually-hidden" type="file" accept=".json,.png,application/json,image/png" onchange={on_import} />
                </label>
            </div>
            if let Some((ok, text)) = &*status {
                <p class={classes!("persona-status", (!ok).then_some("card-error"))} role={if *ok { "status" } else { "alert" }}>{ text.clone() }</p>
            }
            { editor.unwrap_or_default() }
            <ul class="persona-list">
                { for personas.iter().map(|record| {
                    let Ok(persona) = record.persona() else { return Html::default() };
                    let id = record.id.clone();
                    let name = persona.name().to_string();
                    let export = |format: CardFormat, png: bool| {
                        let persona = persona.clone();
                        let avatar = record.avatar.clone();
                        let id = id.clone();
                        let status = status.clone();
                        move |_: MouseEvent| {
                            let result = if png {
                                export_card_png(&persona, format, png_of(&avatar).as_deref())
                                    .map_err(|e| e.to_string())
                                    .and_then(|bytes| download(&format!("{id}.png"), "image/png", &bytes).map_err(|e| format!("{e:?}")))
                            } else {
                                let json = export_card_json(&persona, format);
                                let suffix = if format == CardFormat::V3 { "v3" } else { "v2" };
                                download(&format!("{id}.{suffix}.json"), "application/json", &json).map_err(|e| format!("{e:?}"))
                            };
                            if let Err(error) = result {
                                status.set(Some((false, format!("Not exported: {error}"))));
                            }
                        }
                    };
                    let edit = {
                        let editing = editing.clone(); let id = id.clone(); let persona = persona.clone(); let avatar = record.avatar.clone();
                        move |_: MouseEvent| editing.set(Some((Some(id.clone()), persona.clone(), Form::of(&persona), avatar.clone())))
                    };
                    let duplicate = {
                        let store_record = store_record.clone(); let persona = persona.clone(); let avatar = record.avatar.clone(); let new_id = new_id.clone();
                        move |_: MouseEvent| {
                            let mut copy = persona.clone();
                            copy.card.data.name = format!("{} (copy)", persona.name());
                            let id = new_id(copy.name());
                            let message = format!("Made {}.", copy.name());
                            store_record.emit((PersonaRecord::new(id, &copy, avatar.clone()), message));
                        }
                    };
                    let open = { let cb = props.on_changed.clone(); let id = id.clone(); move |_: MouseEvent| cb.emit(Some(id.clone())) };
                    html! {
                        <li class={classes!("persona", (id == active).then_some("current"))} key={id.clone()} data-persona={id.clone()}>
                            <div class="persona-head">
                                if let Some(src) = &record.avatar {
                                    <img class="avatar" src={src.clone()} alt="" />
                                } else {
                                    <div class="avatar" aria-hidden="true">{ name.chars().next().unwrap_or('?') }</div>
                                }
                                <div>
                                    <strong class="persona-name">{ name.clone() }</strong>
                                    <p class="subtitle">{ persona.profile.occupation.clone() }</p>
                                </div>
                            </div>
                            if confirming.as_deref() == Some(id.as_str()) {
                                <Confirm question={format!("Delete {name} with all conversations and memories?")}
                                    on_cancel={{ let confirming = confirming.clone(); Callback::from(move |()| confirming.set(None)) }}
                                    on_confirm={{
                                        let engine = engine.clone(); let id = id.clone(); let confirming = confirming.clone();
                                        let status = status.clone(); let revision = revision.clone(); let on_changed = props.on_changed.clone();
                                        Callback::from(move |()| {
                                            confirming.set(None);
                                            let (engine, id, status, revision, on_changed) = (engine.clone(), id.clone(), status.clone(), revision.clone(), on_changed.clone());
                                            spawn_local(async move {
                                                match engine.delete_persona(&id).await {
                                                    Ok(_) => status.set(Some((true, "Deleted.".into()))),
                                                    Err(error) => status.set(Some((false, format!("Not deleted: {error}")))),
                                                }
                                                revision.set(*revision + 1);
                                                on_changed.emit(None);
                                            });
                                        })
                                    }} />
                            } else {
                                <div class="persona-actions">
                                    <button type="button" class="small" onclick={open} disabled={id == active}>{ "Chat" }</button>
                                    <button type="button" class="link-button" onclick={edit} aria-label={format!("Edit {name}")}>{ "Edit" }</button>
                                    <button type="button" class="link-button" onclick={duplicate} aria-label={format!("Duplicate {name}")}>{ "Duplicate" }</button>
                                    <button type="button" class="link-button" onclick={export(CardFormat::V2, false)} aria-label={format!("Export {name} as V2 JSON")}>{ "V2 JSON" }</button>
                                    <button type="button" class="link-button" onclick={export(CardFormat::V3, false)} aria-label={format!("Export {name} as V3 JSON")}>{ "V3 JSON" }</button>
                                    <button type="button" class="link-button" onclick={export(CardFormat::V3, true)} aria-label={format!("Export {name} as PNG card")}>{ "PNG" }</button>
                                    <button type="button" class="link-button" disabled={only_one} aria-label={format!("Delete {name}")}
                                        onclick={{ let confirming = confirming.clone(); let id = id.clone(); move |_: MouseEvent| confirming.set(Some(id.clone())) }}>{ "Delete" }</button>
                                </div>
                            }
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
