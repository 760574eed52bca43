use persona_core::chat::{Message, Role, Status};
use yew::prelude::*;

use persona_core::pipeline::Stage;

use crate::components::markdown;
use crate::state::{label, TurnProgress};

#[derive(Properties, PartialEq)]
pub struct MessageProps {
    pub message: Message,
    pub persona_name: String,
    /// The turn's progress, while it is in flight.
    pub progress: Option<TurnProgress>,
    pub on_stop: Callback<String>,
    pub on_retry: Callback<String>,
    pub on_edit: Callback<String>,
    pub on_discard: Callback<String>,
    /// Open the inspector for the turn that produced this reply (its message id).
    pub on_inspect: Callback<String>,
}

/// Renders a reply as sanitized Markdown: the core parses it into a closed tree (raw HTML
/// stays text, unsafe links lose their link) and every piece becomes a text node.
fn render_text(text: &str, on_cite: Callback<u32>) -> Html {
    markdown::render(&persona_core::markdown::parse(text), on_cite)
}

#[function_component(MessageView)]
pub fn message_view(props: &MessageProps) -> Html {
    let m = &props.message;
    let (role_class, author) = match m.role {
        Role::User => ("user", "You".to_string()),
        Role::Assistant => ("assistant", props.persona_name.clone()),
    };
    let status = match &m.status {
        Status::Pending => "pending",
        Status::Sent => "sent",
        Status::Failed { .. } => "failed",
    };
    let id = m.id.clone();
    // The source a clicked citation shows (its number), toggled by clicking again.
    let source = use_state(|| None::<u32>);
    let on_cite = {
        let source = source.clone();
        Callback::from(move |n: u32| source.set(if *source == Some(n) { None } else { Some(n) }))
    };
    let shown = (*source).and_then(|n| m.facts.iter().find(|f| f.number == n as usize));
    let turn_id = m.id.strip_suffix("/reply").map(str::to_string);
    let button = |label: &'static str, callback: &Callback<String>| {
        let callback = callback.clone();
        let id = id.clone();
        html! { <button type="button" onclick={Callback::from(move |_| callback.emit(id.clone()))}>{ label }</button> }
    };

    html! {
        <>
            <li class={classes!("message", role_class, status)} data-id={m.id.clone()} data-status={status}>
                <div class="author">{ author }
                    if m.status == Status::Pending { <span class="status-label">{ " · sending" }</span> }
                </div>
                <div class="body">{ render_text(&m.text, on_cite.clone()) }</div>
                if let Some(fact) = shown {
                    <aside class="source-passage" role="note" aria-label={format!("Source {}", fact.number)} data-fact={fact.number.to_string()}>
                        <p class="source-heading">
                            <span class="source-number">{ format!("[{}]", fact.number) }</span>
                            <cite class="source-title">{ fact.article_title.clone() }</cite>
                            if let Some(heading) = &fact.heading { <span class="source-section">{ format!(" · {heading}") }</span> }
                        </p>
                        <blockquote>{ fact.text.clone() }</blockquote>
                        <button type="button" class="link-button" onclick={{ let source = source.clone(); move |_| source.set(None) }}>{ "Close" }</button>
                    </aside>
                }
                if !m.facts.is_empty() {
                    <details class="sources">
                        <summary>{ format!("Sources ({})", m.facts.len()) }</summary>
                        <ol aria-label="Sources">
                            { for m.facts.iter().map(|fact| html! {
                                <li id={format!("{}-fact-{}", m.id, fact.number)} value={fact.number.to_string()}>
                                    <q>{ fact.text.clone() }</q>
                                    <span class="source-title">{ format!(" — {}", fact.article_title) }</span>
                                </li>
                            }) }
                        </ol>
                    </details>
                }
                if let (Some(turn), Role::Assistant) = (turn_id, &m.role) {
                    <div class="actions reply-actions">
                        <button type="button" class="link-button inspect" onclick={{ let cb = props.on_inspect.clone(); move |_| cb.emit(turn.clone()) }}>{ "Inspect" }</button>
                    </div>
                }
                if let Status::Failed { error } = &m.status {
                    <div class="failure" role="alert">
                        <p>{ format!("Not sent: {error}") }</p>
                        <div class="actions">
                            { button("Retry", &props.on_retry) }
                            { button("Edit", &props.on_edit) }
                            { button("Discard", &props.on_discard) }
                        </div>
                    </div>
                }
            </li>
            if m.status == Status::Pending {
                <li class="message assistant progress" data-progress-for={m.id.clone()} aria-label="Reply in progress">
                    <div class="author">{ props.persona_name.clone() }</div>
                    <ol class="stages" aria-label="Stages">
                        { for Stage::ALL.iter().map(|stage| {
                            let state = props.progress.as_ref().map_or("waiting", |p| p.state_of(*stage));
                            html! { <li class={classes!("stage", state)} data-stage={label(*stage)} data-state={state}>{ label(*stage) }</li> }
                        }) }
                    </ol>
                    <div class="body streaming" data-streaming-for={m.id.clone()}>
                        { render_text(props.progress.as_ref().map_or("", |p| p.partial.as_str()), Callback::noop()) }
                    </div>
                    <div class="actions">{ button("Stop", &props.on_stop) }</div>
                </li>
            }
        </>
    }
}
