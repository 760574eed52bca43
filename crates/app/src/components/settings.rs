//! The settings panel: endpoint, API key, models (one default, optionally one per stage),
//! retrieval depth and offline mode, with a "Test connection" that says in plain words what
//! failed. Styles: `www/css/settings.css` (everything under `.settings-panel`).
//!
//! The form keeps its own copy of the settings (seeded from the props, and reseeded when they
//! change) and hands the whole thing to `on_save`; nothing is stored here. The connection test
//! uses the form's current endpoint, key and default model, saved or not.

use persona_core::pipeline::Stage;
use persona_core::settings::{AppSettings, DEFAULT_MODEL, RETRIEVAL_DEPTH_RANGE};
use persona_model::{test_connection, ConnectionProblem, ConnectionReport, EndpointConfig};
use web_sys::HtmlInputElement;
use yew::platform::spawn_local;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SettingsPanelProps {
    /// The saved settings the form starts from.
    pub settings: AppSettings,
    /// Called with the whole form when it is saved (only when it has no problems).
    pub on_save: Callback<AppSettings>,
    pub on_close: Callback<()>,
}

/// Where the connection test is.
#[derive(Clone, Debug, PartialEq)]
enum TestState {
    Idle,
    Testing,
    Done(ConnectionReport),
}

/// What each stage does, for its label.
fn stage_label(stage: Stage) -> &'static str {
    match stage {
        Stage::Establish => "Establish (understand the message)",
        Stage::Vet => "Vet (screen for manipulation)",
        Stage::Objectives => "Objectives (plan the reply)",
        Stage::Enrich => "Enrich (notes and memories)",
        Stage::Generate => "Generate (write the reply)",
        Stage::Validate => "Validate (check the draft)",
        Stage::Ground => "Ground (tie facts to sources)",
    }
}

/// The form's settings with surrounding spaces removed from what was typed.
fn tidy(form: &AppSettings) -> AppSettings {
    let mut settings = form.clone();
    settings.endpoint = form.endpoint.trim().to_owned();
    settings.api_key = form.api_key.trim().to_owned();
    settings.model = form.model.trim().to_owned();
    settings.stage_models.clear();
    for stage in Stage::ALL {
        if let Some(model) = form.stage_models.get(stage.name()) {
            settings.set_stage_model(stage, model);
        }
    }
    settings
}

/// The endpoint configuration the connection test uses.
fn endpoint_config(settings: &AppSettings) -> EndpointConfig {
    let config = EndpointConfig::new(settings.endpoint.clone(), settings.model.clone());
    if settings.api_key.is_empty() {
        config
    } else {
        config.with_api_key(settings.api_key.clone())
    }
}

#[function_component(SettingsPanel)]
pub fn settings_panel(props: &SettingsPanelProps) -> Html {
    let form = use_state(|| props.settings.clone());
    // The depth as typed, so that clearing the box to type another number does not snap back.
    let depth_text = use_state(|| props.settings.retrieval_depth.to_string());
    let show_key = use_state(|| false);
    let test = use_state(|| TestState::Idle);
    // The server's model list from the last test, offered as suggestions in the model boxes.
    let offered = use_state(Vec::<String>::new);
    // Bumped by every test and every change to what a test uses: a late result of an earlier
    // test is dropped instead of shown for values it did not test.
    let generation = use_mut_ref(|| 0u64);

    {
        // New saved settings (e.g. after saving): start over from them.
        let form = form.clone();
        let depth_text = depth_text.clone();
        use_effect_with(props.settings.clone(), move |settings| {
            form.set(settings.clone());
            depth_text.set(settings.retrieval_depth.to_string());
        });
    }

    // A change to the endpoint, key or model makes an earlier test result stale.
    let forget_test = {
        let test = test.clone();
        let generation = generation.clone();
        move || {
            *generation.borrow_mut() += 1;
            test.set(TestState::Idle);
        }
    };
    // The endpoint, key and model boxes: each change also forgets an earlier test's result.
    let text_input = |apply: fn(&mut AppSettings, String)| {
        let form = form.clone();
        let forget_test = forget_test.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let mut next = (*form).clone();
            apply(&mut next, input.value());
            form.set(next);
            forget_test();
        })
    };
    let on_endpoint = text_input(|settings, value| settings.endpoint = value);
    let on_key = text_input(|settings, value| settings.api_key = value);
    let on_model = text_input(|settings, value| settings.model = value);
    let on_depth = {
        let form = form.clone();
        let depth_text = depth_text.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let text = input.value();
            let mut next = (*form).clone();
            // Anything but a whole number is 0, which `problems()` reports as out of range.
            next.retrieval_depth = text.trim().parse().unwrap_or(0);
            form.set(next);
            depth_text.set(text);
        })
    };
    let on_offline = {
        let form = form.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let mut next = (*form).clone();
            next.offline = input.checked();
            form.set(next);
        })
    };
    let on_toggle_key = {
        let show_key = show_key.clone();
        Callback::from(move |_: MouseEvent| show_key.set(!*show_key))
    };
    let on_test = {
        let form = form.clone();
        let test = test.clone();
        let offered = offered.clone();
        let generation = generation.clone();
        Callback::from(move |_: MouseEvent| {
            let settings = tidy(&form);
            if settings.endpoint.is_empty() {
                test.set(TestState::Done(ConnectionReport {
                    ok: false,
                    problem: Some(ConnectionProblem::BadUrl),
                    message: "Enter an endpoint URL first, for example http://127.0.0.1:11434/v1.".to_owned(),
                    models: Vec::new(),
                }));
                return;
            }
            *generation.borrow_mut() += 1;
            let this_test = *generation.borrow();
            test.set(TestState::Testing);
            let test = test.clone();
            let offered = offered.clone();
            let generation = generation.clone();
            spawn_local(async move {
                let report = test_connection(&endpoint_config(&settings)).await;
                if *generation.borrow() != this_test {
                    return; // the form changed meanwhile: this result no longer applies
                }
                if !report.models.is_empty() {
                    offered.set(report.models.clone());
                }
                test.set(TestState::Done(report));
            });
        })
    };
    let on_submit = {
        let form = form.clone();
        let on_save = props.on_save.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let settings = tidy(&form);
            if settings.problems().is_empty() {
                on_save.emit(settings);
            }
        })
    };
    let on_close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };

    let current = tidy(&form);
    let problems = current.problems();
    let warning = current.endpoint_warning();
    let saved_key = props.settings.masked_key();
    let testing = *test == TestState::Testing;
    let default_model = if current.model.is_empty() { DEFAULT_MODEL.to_owned() } else { current.model.clone() };
    let endpoint_described =
        if warning.is_some() { "settings-endpoint-hint settings-endpoint-warning" } else { "settings-endpoint-hint" };
    let models_list = (!offered.is_empty()).then_some("settings-offered-models");

    let stage_inputs = Stage::ALL.into_iter().map(|stage| {
        let id = format!("settings-model-{}", stage.name().to_lowercase());
        let value = form.stage_models.get(stage.name()).cloned().unwrap_or_default();
        let oninput = {
            let form = form.clone();
            Callback::from(move |event: InputEvent| {
                let input: HtmlInputElement = event.target_unchecked_into();
                let mut next = (*form).clone();
                // Kept as typed (even blank) while editing; `tidy` drops blank ones on save.
                next.stage_models.insert(stage.name().to_owned(), input.value());
                form.set(next);
            })
        };
        html! {
            <div class="settings-field settings-stage" key={stage.name()}>
                <label for={id.clone()}>{ stage_label(stage) }</label>
                <input id={id} type="text" autocomplete="off" spellcheck="false" autocapitalize="off"
                    list={models_list} placeholder={default_model.clone()} {value} {oninput} />
            </div>
        }
    });

    let (result_text, result_ok, result_problem) = match &*test {
        TestState::Idle => (String::new(), None, None),
        TestState::Testing => ("Testing…".to_owned(), None, None),
        TestState::Done(report) => (
            report.message.clone(),
            Some(if report.ok { "true" } else { "false" }),
            report.problem.map(ConnectionProblem::code),
        ),
    };

    html! {
        <section class="panel settings-panel" aria-labelledby="settings-title">
            <h2 id="settings-title" class="settings-title">{ "Settings" }</h2>
            <form class="settings-form" onsubmit={on_submit} novalidate=true>
                <fieldset class="settings-group">
                    <legend>{ "Language model" }</legend>
                    <div class="settings-field">
                        <label for="settings-endpoint">{ "Endpoint URL" }</label>
                        <input id="settings-endpoint" type="url" inputmode="url" autocomplete="off" spellcheck="false"
                            autocapitalize="off" placeholder="http://127.0.0.1:11434/v1"
                            aria-describedby={endpoint_described} aria-invalid={problems.iter().any(|p| p.starts_with("The endpoint")).then_some("true")}
                            value={form.endpoint.clone()} oninput={on_endpoint} />
                        <p class="settings-hint" id="settings-endpoint-hint">
                            { "The API root of any OpenAI-compatible server: OpenAI (https://api.openai.com/v1), Ollama, llama.cpp, vLLM." }
                        </p>
                        if let Some(warning) = warning {
                            <p class="settings-warning" id="settings-endpoint-warning" role="alert">{ warning }</p>
                        }
                    </div>
                    <div class="settings-field">
                        <label for="settings-api-key">{ "API key" }</label>
                        <div class="settings-key-row">
                            <input id="settings-api-key" type={if *show_key { "text" } else { "password" }}
                                autocomplete="off" spellcheck="false" autocapitalize="off"
                                aria-describedby="settings-api-key-note"
                                value={form.api_key.clone()} oninput={on_key} />
                            <button type="button" class="secondary settings-show-key" aria-controls="settings-api-key"
                                aria-pressed={if *show_key { "true" } else { "false" }} aria-label="Show API key"
                                onclick={on_toggle_key}>{ "Show" }</button>
                        </div>
                        <p class="settings-hint" id="settings-api-key-note">
                            { "Stored only in this browser." }
                            if !saved_key.is_empty() {
                                { " Saved key: " }<span class="settings-saved-key">{ saved_key }</span>{ "." }
                            }
                            { " Local servers such as Ollama need none." }
                        </p>
                    </div>
                    <div class="settings-field">
                        <label for="settings-model">{ "Default model" }</label>
                        <input id="settings-model" type="text" autocomplete="off" spellcheck="false" autocapitalize="off"
                            list={models_list} placeholder={DEFAULT_MODEL}
                            value={form.model.clone()} oninput={on_model} />
                    </div>
                    <details class="settings-stages">
                        <summary>{ "Model per stage" }</summary>
                        <p class="settings-hint">{ "Leave a stage empty to use the default model." }</p>
                        <div class="settings-stage-grid">{ for stage_inputs }</div>
                    </details>
                    if let Some(id) = models_list {
                        <datalist {id}>
                            { for offered.iter().map(|model| html! { <option value={model.clone()} /> }) }
                        </datalist>
                    }
                </fieldset>
                <fieldset class="settings-group">
                    <legend>{ "Answers" }</legend>
                    <div class="settings-field">
                        <label for="settings-depth">{ "Retrieval depth" }</label>
                        <input id="settings-depth" type="number" inputmode="numeric"
                            min={RETRIEVAL_DEPTH_RANGE.start().to_string()} max={RETRIEVAL_DEPTH_RANGE.end().to_string()} step="1"
                            aria-describedby="settings-depth-hint"
                            value={(*depth_text).clone()} oninput={on_depth} />
                        <p class="settings-hint" id="settings-depth-hint">
                            { "Article passages read for each answer (1 to 20). More finds more, but makes each prompt longer." }
                        </p>
                    </div>
                    <div class="settings-check">
                        <input id="settings-offline" type="checkbox" checked={form.offline}
                            aria-describedby="settings-offline-hint" onchange={on_offline} />
                        <label for="settings-offline">{ "Answer offline, from the articles alone" }</label>
                    </div>
                    <p class="settings-hint" id="settings-offline-hint">
                        { "No model is called, even with an endpoint set. Works without a network." }
                    </p>
                </fieldset>
                if !problems.is_empty() {
                    <ul class="settings-problems" id="settings-problems">
                        { for problems.iter().map(|problem| html! { <li>{ problem.clone() }</li> }) }
                    </ul>
                }
                <div class="settings-actions">
                    <button type="button" class="secondary settings-test" onclick={on_test} disabled={testing}
                        aria-describedby="settings-connection-result">{ "Test connection" }</button>
                    <button type="submit" class="settings-save" disabled={!problems.is_empty()}
                        aria-describedby={(!problems.is_empty()).then_some("settings-problems")}>{ "Save settings" }</button>
                    <button type="button" class="secondary settings-close" onclick={on_close}>{ "Close" }</button>
                </div>
                <p class="connection-result" id="settings-connection-result" role="status"
                    data-ok={result_ok} data-problem={result_problem}>
                    { result_text }
                </p>
            </form>
        </section>
    }
}
