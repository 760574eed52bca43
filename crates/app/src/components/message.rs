use persona_core::chat::{Message, Role, Status};
use yew::prelude::*;

use persona_core::pipeline::Stage;

use crate::state::{label, TurnProgress};
use crate::text::citation_parts;

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
}

/// Renders text as paragraphs with citation markers. Everything is a text node: no markup from
/// the model or the articles ever reaches the DOM as HTML.
fn render_text(text: &str, id: &str) -> Html {
    html! {
        { for text.split("\n\n").map(|paragraph| html! {
            <p>
                { for citation_parts(paragraph).into_iter().map(|(part, number)| match number {
                    Some(n) => html! { <a class="cite" href={format!("#{id}-fact-{n}")}>{ part }</a> },
                    None => html! { { part } },
                }) }
            </p>
        }) }
    }
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
                <div class="body">{ render_text(&m.text, &m.id) }</div>
                if !m.facts.is_empty() {
                    <ol class="sources" aria-label="Sources">
                        { for m.facts.iter().map(|fact| html! {
                            <li id={format!("{}-fact-{}", m.id, fact.number)} value={fact.number.to_string()}>
                                <q>{ fact.text.clone() }</q>
                                <span class="source-title">{ format!(" — {}", fact.article_title) }</span>
                            </li>
                        }) }
                    </ol>
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
                        { render_text(props.progress.as_ref().map_or("", |p| p.partial.as_str()), &format!("{}-draft", m.id)) }
                    </div>
                    <div class="actions">{ button("Stop", &props.on_stop) }</div>
                </li>
            }
        </>
    }
}
