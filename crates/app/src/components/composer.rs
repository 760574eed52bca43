use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ComposerProps {
    pub draft: String,
    /// A turn is running (sending is still allowed; this only changes the hint).
    pub busy: bool,
    pub on_send: Callback<String>,
    pub on_draft: Callback<String>,
}

/// The message box. Enter sends, Shift+Enter starts a new line. The text lives in the
/// transcript's draft, so Edit can hand a failed message back here.
#[function_component(Composer)]
pub fn composer(props: &ComposerProps) -> Html {
    let send = {
        let on_send = props.on_send.clone();
        let draft = props.draft.clone();
        move || {
            if !draft.trim().is_empty() {
                on_send.emit(draft.trim().to_string());
            }
        }
    };
    let oninput = {
        let on_draft = props.on_draft.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            on_draft.emit(area.value());
        })
    };
    let onkeydown = {
        let send = send.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                e.prevent_default();
                send();
            }
        })
    };
    let onsubmit = Callback::from(move |e: SubmitEvent| {
        e.prevent_default();
        send();
    });
    html! {
        <form class="composer" {onsubmit}>
            <label for="message" class="visually-hidden">{ "Your message" }</label>
            <textarea id="message" rows="2" placeholder="Ask about the articles…"
                value={props.draft.clone()} {oninput} {onkeydown} />
            <button type="submit" disabled={props.draft.trim().is_empty()}>{ "Send" }</button>
            if props.busy { <span class="visually-hidden" role="status">{ "Working on a reply" }</span> }
        </form>
    }
}
