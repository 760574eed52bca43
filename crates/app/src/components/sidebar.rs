use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct SidebarProps {
    /// `(title, chunk count)` of each article in the knowledge base.
    pub articles: Vec<(String, usize)>,
    /// Export everything as one JSON file.
    pub on_export: Callback<()>,
    /// Import a backup file (replaces everything).
    pub on_import: Callback<web_sys::File>,
}

/// The knowledge the persona can draw on, and the visitor's data.
#[function_component(Sidebar)]
pub fn sidebar(props: &SidebarProps) -> Html {
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
    html! {
        <aside class="sidebar" aria-label="Knowledge">
            <h2>{ "Articles" }</h2>
            <ul class="articles">
                { for props.articles.iter().map(|(title, chunks)| html! {
                    <li>
                        <span class="article-title">{ title.clone() }</span>
                        <span class="chunk-count">{ format!("{chunks} passages") }</span>
                    </li>
                }) }
            </ul>
            <p class="hint">{ "Ask about anything in these articles. Answers cite the passages they come from." }</p>
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
