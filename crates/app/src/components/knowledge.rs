//! The knowledge panel: the articles the persona answers from — add (paste, choose files, or
//! drop them), edit, delete — with a progress bar while they are chunked and indexed, and a
//! search box that shows exactly what retrieval returns for a query.

use persona_core::knowledge::Article;
use persona_core::library::slug;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::platform::spawn_local;
use yew::prelude::*;

use crate::components::confirm::Confirm;
use crate::engine::{EngineRef, SearchResults};

#[derive(Properties, PartialEq)]
pub struct KnowledgeProps {
    pub engine: EngineRef,
    /// Called after the articles changed (the app re-renders what depends on them).
    pub on_changed: Callback<()>,
}

/// An article from a file: its id from the file name (the same file again replaces it), its
/// title from its first `# ` heading or else the file name.
fn article_from_file(name: &str, text: String) -> Article {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let id = slug(stem, "article", &[] as &[&str]);
    if text.trim_start().starts_with("# ") {
        Article::new(id, text)
    } else {
        Article::with_title(id, stem.replace(['-', '_'], " "), text)
    }
}

/// The files of a file list, taken at once (the list is live: clearing the input empties it).
fn files_of(list: &web_sys::FileList) -> Vec<web_sys::File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// Reads the chosen or dropped `.md`/`.txt` files; others are named in the second list.
async fn read_files(files: Vec<web_sys::File>) -> (Vec<Article>, Vec<String>) {
    let mut articles = Vec::new();
    let mut skipped = Vec::new();
    for file in files {
        let name = file.name();
        let lower = name.to_lowercase();
        if !(lower.ends_with(".md") || lower.ends_with(".markdown") || lower.ends_with(".txt")) {
            skipped.push(name);
            continue;
        }
        match JsFuture::from(file.text()).await.ok().and_then(|t| t.as_string()) {
            Some(text) if !text.trim().is_empty() => articles.push(article_from_file(&name, text)),
            _ => skipped.push(name),
        }
    }
    (articles, skipped)
}

#[function_component(KnowledgePanel)]
pub fn knowledge_panel(props: &KnowledgeProps) -> Html {
    let engine = props.engine.clone();
    // (done, total) while indexing.
    let progress = use_state(|| None::<(usize, usize)>);
    let status = use_state(|| None::<String>);
    let editing = use_state(|| None::<String>);
    let confirming = use_state(|| None::<String>);
    let dragging = use_state(|| false);
    let results = use_state(|| None::<(String, SearchResults)>);
    let revision = use_state(|| 0u32);
    let title_ref = use_node_ref();
    let text_ref = use_node_ref();

    let add = {
        let engine = engine.clone();
        let progress = progress.clone();
        let status = status.clone();
        let revision = revision.clone();
        let on_changed = props.on_changed.clone();
        Callback::from(move |(articles, skipped): (Vec<Article>, Vec<String>)| {
            if articles.is_empty() {
                status.set(Some(match skipped.is_empty() {
                    true => "Nothing to add.".to_string(),
                    false => format!("Not added (only non-empty .md and .txt files are read): {}", skipped.join(", ")),
                }));
                return;
            }
            let engine = engine.clone();
            let progress = progress.clone();
            let status = status.clone();
            let revision = revision.clone();
            let on_changed = on_changed.clone();
            spawn_local(async move {
                let total = articles.len();
                progress.set(Some((0, total)));
                let report = {
                    let progress = progress.clone();
                    engine.add_articles(articles, &move |done, total| progress.set(Some((done, total)))).await
                };
                progress.set(None);
                let mut text = match report {
                    Ok(chunks) => format!("Added {total} article{} ({chunks} new passages).", if total == 1 { "" } else { "s" }),
                    Err(error) => format!("Not added: {error}"),
                };
                if !skipped.is_empty() {
                    text.push_str(&format!(" Skipped (only .md and .txt files are read): {}.", skipped.join(", ")));
                }
                status.set(Some(text));
                revision.set(*revision + 1);
                on_changed.emit(());
            });
        })
    };

    let on_files = {
        let add = add.clone();
        Callback::from(move |event: Event| {
            let input: HtmlInputElement = event.target_unchecked_into();
            let Some(files) = input.files().map(|list| files_of(&list)) else { return };
            let add = add.clone();
            spawn_local(async move { add.emit(read_files(files).await) });
            input.set_value("");
        })
    };
    let on_drop = {
        let add = add.clone();
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
            let Some(files) = event.data_transfer().and_then(|d| d.files()).map(|list| files_of(&list)) else { return };
            let add = add.clone();
            spawn_local(async move { add.emit(read_files(files).await) });
        })
    };
    let on_dragover = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let on_dragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let on_paste_submit = {
        let add = add.clone();
        let editing = editing.clone();
        let title_ref = title_ref.clone();
        let text_ref = text_ref.clone();
        let engine = engine.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (Some(title), Some(text)) =
                (title_ref.cast::<HtmlInputElement>(), text_ref.cast::<HtmlTextAreaElement>())
            else {
                return;
            };
            let (name, source) = (title.value().trim().to_string(), text.value());
            if source.trim().is_empty() {
                return;
            }
            let id = match &*editing {
                Some(id) => id.clone(),
                None => {
                    let knowledge = engine.knowledge.borrow();
                    let taken: Vec<String> = knowledge.articles().map(|a| a.id.clone()).collect();
                    slug(&name, "article", &taken)
                }
            };
            let article = if name.is_empty() { Article::new(id, source) } else { Article::with_title(id, name, source) };
            add.emit((vec![article], Vec::new()));
            title.set_value("");
            text.set_value("");
            editing.set(None);
        })
    };
    let on_search = {
        let engine = engine.clone();
        let results = results.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let form: web_sys::HtmlFormElement = event.target_unchecked_into();
            let query = form
                .elements()
                .named_item("query")
                .and_then(|el| el.dyn_into::<HtmlInputElement>().ok())
                .map(|input| input.value())
                .unwrap_or_default();
            if !query.trim().is_empty() {
                results.set(Some((query.clone(), engine.search(&query))));
            }
        })
    };

    // While an article is being saved the knowledge base is borrowed for writing: the list
    // shown is then the last one read.
    let shown = use_mut_ref(Vec::<(String, String, usize)>::new);
    let articles: Vec<(String, String, usize)> = match engine.knowledge.try_borrow() {
        Ok(knowledge) => {
            let mut list: Vec<(String, String, usize)> = knowledge
                .articles()
                .map(|a| (a.id.clone(), a.title.clone(), knowledge.chunks_of(&a.id).count()))
                .collect();
            list.sort_by_key(|a| a.1.to_lowercase());
            *shown.borrow_mut() = list.clone();
            list
        }
        Err(_) => shown.borrow().clone(),
    };
    let busy = progress.is_some();

    html! {
        <section class="panel knowledge-panel" aria-labelledby="knowledge-heading">
            <h2 id="knowledge-heading">{ "Knowledge" }</h2>
            <p class="hint">{ format!("{} articles, {} passages. The persona answers from these and cites them.",
                articles.len(), articles.iter().map(|a| a.2).sum::<usize>()) }</p>
            <ul class="article-list">
                { for articles.iter().map(|(id, title, chunks)| {
                    let edit = {
                        let engine = engine.clone(); let editing = editing.clone(); let id = id.clone();
                        let title_ref = title_ref.clone(); let text_ref = text_ref.clone();
                        move |_: MouseEvent| {
                            let knowledge = engine.knowledge.borrow();
                            if let (Some(article), Some(t), Some(x)) = (knowledge.article(&id), title_ref.cast::<HtmlInputElement>(), text_ref.cast::<HtmlTextAreaElement>()) {
                                t.set_value(&article.title);
                                x.set_value(&article.source);
                                let _ = x.focus();
                            }
                            editing.set(Some(id.clone()));
                        }
                    };
                    html! {
                        <li class="article" key={id.clone()} data-article={id.clone()}>
                            <span class="article-title">{ title.clone() }</span>
                            <span class="chunk-count" data-chunks={chunks.to_string()}>{ format!("{chunks} passage{}", if *chunks == 1 { "" } else { "s" }) }</span>
                            if confirming.as_deref() == Some(id.as_str()) {
                                <Confirm question="Delete this article?"
                                    on_cancel={{ let confirming = confirming.clone(); Callback::from(move |()| confirming.set(None)) }}
                                    on_confirm={{
                                        let engine = engine.clone(); let id = id.clone(); let confirming = confirming.clone();
                                        let status = status.clone(); let revision = revision.clone(); let on_changed = props.on_changed.clone();
                                        Callback::from(move |()| {
                                            confirming.set(None);
                                            let (engine, id, status, revision, on_changed) = (engine.clone(), id.clone(), status.clone(), revision.clone(), on_changed.clone());
                                            spawn_local(async move {
                                                if let Err(error) = engine.delete_article(&id).await {
                                                    status.set(Some(format!("Not deleted: {error}")));
                                                }
                                                revision.set(*revision + 1);
                                                on_changed.emit(());
                                            });
                                        })
                                    }} />
                            } else {
                                <span class="article-actions">
                                    <button type="button" class="link-button" onclick={edit} aria-label={format!("Edit {title}")}>{ "Edit" }</button>
                                    <button type="button" class="link-button" aria-label={format!("Delete {title}")}
                                        onclick={{ let confirming = confirming.clone(); let id = id.clone(); move |_: MouseEvent| confirming.set(Some(id.clone())) }}>{ "Delete" }</button>
                                </span>
                            }
                        </li>
                    }
                }) }
            </ul>

            if let Some((done, total)) = *progress {
                <div class="indexing" role="status">
                    <label for="indexing-progress">{ format!("Chunking and indexing: {done} of {total}") }</label>
                    <progress id="indexing-progress" max={total.to_string()} value={done.to_string()} />
                </div>
            }
            if let Some(text) = &*status {
                <p class="knowledge-status" role="status">{ text.clone() }</p>
            }

            <h3>{ "Add articles" }</h3>
            <div class={classes!("dropzone", dragging.then_some("dragging"))}
                ondragover={on_dragover} ondragleave={on_dragleave} ondrop={on_drop}>
                <p>{ "Drop .md or .txt files here, or " }
                    <label class="file-button secondary">
                        { "choose files…" }
                        <input id="article-files" class="visually-hidden" type="file" multiple=true
                            accept=".md,.markdown,.txt,text/markdown,text/plain" onchange={on_files} disabled={busy} />
                    </label>
                </p>
            </div>
            <form class="paste-article" onsubmit={on_paste_submit}>
                <label for="article-title">{ if editing.is_some() { "Title (editing)" } else { "Title" } }</label>
                <input id="article-title" ref={title_ref} placeholder="Taken from the first # heading if empty" />
                <label for="article-text">{ "Text (Markdown)" }</label>
                <textarea id="article-text" ref={text_ref} rows="6" placeholder="Paste an article…" />
                <div class="form-actions">
                    <button type="submit" disabled={busy}>{ if editing.is_some() { "Save article" } else { "Add article" } }</button>
                    if editing.is_some() {
                        <button type="button" class="secondary" onclick={{ let editing = editing.clone(); move |_: MouseEvent| editing.set(None) }}>{ "Cancel edit" }</button>
                    }
                </div>
            </form>

            <h3>{ "What retrieval returns" }</h3>
            <form class="retrieval-search" role="search" onsubmit={on_search}>
                <label for="retrieval-query" class="visually-hidden">{ "Search query" }</label>
                <input id="retrieval-query" name="query" type="search" placeholder="A question a visitor might ask" />
                <button type="submit">{ "Search" }</button>
            </form>
            if let Some((query, found)) = &*results {
                <div class="retrieval-results" aria-label={format!("Results for {query}")}>
                    <h4>{ format!("Articles: {} passages", found.passages.len()) }</h4>
                    if found.passages.is_empty() {
                        <p class="warning" role="alert">{ "Nothing retrieved from the articles: the persona would have no facts to answer from." }</p>
                    }
                    <ol class="hits">
                        { for found.passages.iter().map(|(text, title, score)| html! {
                            <li class="hit" data-memory="articles" data-score={format!("{score:.3}")}>
                                <span class="hit-meta">{ format!("{title} · score {score:.3}") }</span>
                                <p>{ text.clone() }</p>
                            </li>
                        }) }
                    </ol>
                    <h4>{ format!("Persona memory: {} items", found.memories.len() + found.exchanges.len()) }</h4>
                    <ol class="hits">
                        { for found.memories.iter().map(|(text, score)| html! {
                            <li class="hit" data-memory="persona" data-score={format!("{score:.3}")}>
                                <span class="hit-meta">{ format!("her memory · score {score:.3}") }</span>
                                <p>{ text.clone() }</p>
                            </li>
                        }) }
                        { for found.exchanges.iter().map(|(text, score)| html! {
                            <li class="hit" data-memory="conversation" data-score={format!("{score:.3}")}>
                                <span class="hit-meta">{ format!("this conversation · score {score:.3}") }</span>
                                <p>{ text.clone() }</p>
                            </li>
                        }) }
                    </ol>
                </div>
            }
        </section>
    }
}
