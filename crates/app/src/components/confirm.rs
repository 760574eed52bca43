//! An inline confirmation for destructive actions: the question, a red "Delete" and "Keep".

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ConfirmProps {
    pub question: AttrValue,
    pub on_confirm: Callback<()>,
    pub on_cancel: Callback<()>,
}

#[function_component(Confirm)]
pub fn confirm(props: &ConfirmProps) -> Html {
    let confirm = props.on_confirm.reform(|_: MouseEvent| ());
    let cancel = props.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <span class="confirm" role="alertdialog" aria-label="Confirm deletion">
            <span>{ props.question.clone() }</span>
            <button type="button" class="danger small" onclick={confirm}>{ "Delete" }</button>
            <button type="button" class="secondary small" onclick={cancel}>{ "Keep" }</button>
        </span>
    }
}
