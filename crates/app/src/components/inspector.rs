//! The turn inspector: one turn's stage timeline, what it retrieved and decided, the numbered
//! facts it used, its warnings, and the trace exported as JSON. Layout and wording come from
//! [`crate::timeline`]; this only renders them, every string as a text node.

use persona_core::turn::TurnTrace;
use yew::prelude::*;

use super::download::download;
use crate::timeline::{self, Bar};

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The turn's trace.
    pub trace: TurnTrace,
    /// The message whose turn this is (names the export, `trace-<id>.json`).
    pub message_id: String,
    pub on_close: Callback<()>,
}

/// Every outcome word [`timeline::outcome_class`] gives, in legend order.
const OUTCOMES: [(&str, &str); 9] = [
    ("ok", "ok"),
    ("retry", "sent back for a retry"),
    ("capped", "retry wanted, none left"),
    ("fallback", "fell back"),
    ("flagged", "flagged"),
    ("failed", "failed"),
    ("discarded", "discarded"),
    ("skipped", "skipped"),
    ("cancelled", "cancelled"),
];

fn bar_row(bar: &Bar) -> Html {
    let style = format!("left: {:.3}%; width: {:.3}%", bar.left_pct, bar.width_pct);
    html! {
        <div class={classes!("bar-row", bar.retry.then_some("retry"))} role="listitem">
            <span class="bar-label">
                <span class="bar-name">{ bar.label }</span>
                if bar.retry {
                    <span class="bar-attempt" title={format!("attempt {}", bar.attempt)}>{ format!("#{}", bar.attempt) }</span>
                }
                <span class="bar-duration">{ timeline::format_ms(bar.duration_ms) }</span>
            </span>
            <div class="bar-track">
                <div
                    class={classes!("bar", bar.retry.then_some("retry"))}
                    data-stage={bar.label}
                    data-attempt={bar.attempt.to_string()}
                    data-outcome={bar.outcome}
                    style={style}
                    title={bar.detail.clone()}
                ></div>
            </div>
            <span class="visually-hidden">{ format!("{}: {}", bar.outcome, bar.detail) }</span>
        </div>
    }
}

fn summary_item(trace: &TurnTrace, key: &'static str, value: String) -> Html {
    let dd = match key {
        timeline::DECISION => html! {
            <dd class="decision" data-kind={timeline::decision(trace)}>{ value }</dd>
        },
        timeline::VET => html! {
            <dd class="vet-verdict" data-verdict={timeline::vet_verdict(trace)}>{ value }</dd>
        },
        timeline::RETRIEVED => html! {
            <dd
                class="retrieved"
                data-knowledge={trace.knowledge_retrieved.to_string()}
                data-memory={trace.memory_retrieved.to_string()}
            >{ value }</dd>
        },
        _ => html! { <dd>{ value }</dd> },
    };
    html! { <><dt>{ key }</dt>{ dd }</> }
}

#[function_component(Inspector)]
pub fn inspector(props: &InspectorProps) -> Html {
    let export_error = use_state(|| None::<String>);
    let trace = &props.trace;
    let bars = timeline::bars(trace);
    let ticks = timeline::axis_ticks(timeline::scale_ms(trace));
    let present: Vec<(&str, &str)> =
        OUTCOMES.iter().copied().filter(|(outcome, _)| bars.iter().any(|b| b.outcome == *outcome)).collect();

    let on_close = {
        let on_close = props.on_close.clone();
        Callback::from(move |_: MouseEvent| on_close.emit(()))
    };
    let on_keydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                event.prevent_default();
                on_close.emit(());
            }
        })
    };
    let on_export = {
        let trace = props.trace.clone();
        let name = timeline::export_file_name(&props.message_id);
        let export_error = export_error.clone();
        Callback::from(move |_: MouseEvent| {
            let json = timeline::export_json(&trace);
            match download(&name, "application/json", json.as_str()) {
                Ok(()) => export_error.set(None),
                Err(error) => {
                    let error = error.as_string().unwrap_or_else(|| format!("{error:?}"));
                    export_error.set(Some(format!("The trace could not be exported: {error}")));
                }
            }
        })
    };

    html! {
        <section class="inspector" aria-label="Turn inspector" data-inspects={props.message_id.clone()} onkeydown={on_keydown}>
            <header class="inspector-header">
                <h2>{ "Turn inspector" }</h2>
                <p class="inspector-meta">
                    { format!("{} · {}", trace.backend, timeline::format_ms(trace.total_ms)) }
                </p>
                <div class="inspector-actions">
                    <button type="button" class="secondary export" onclick={on_export}>{ "Export JSON" }</button>
                    <button type="button" class="close" aria-label="Close inspector" onclick={on_close}>{ "×" }</button>
                </div>
            </header>
            if let Some(error) = &*export_error {
                <p class="export-error" role="alert">{ error.clone() }</p>
            }

            <h3>{ "Timeline" }</h3>
            <div class="timeline-scroll" role="region" aria-label="Stage timeline" tabindex="0">
                <div class="timeline" role="list">
                    { for bars.iter().map(bar_row) }
                </div>
                if bars.is_empty() {
                    <p class="timeline-empty">{ "No stage runs were recorded for this turn." }</p>
                }
                <div class="axis" aria-hidden="true">
                    <span class="axis-spacer"></span>
                    <div class="axis-track">
                        { for ticks.iter().map(|(pct, label)| html! {
                            <span class="tick" style={format!("left: {pct:.3}%")}>{ label.clone() }</span>
                        }) }
                    </div>
                </div>
            </div>
            if !present.is_empty() {
                <ul class="legend" aria-label="Outcomes">
                    { for present.iter().map(|(outcome, words)| html! {
                        <li><span class="swatch" data-outcome={*outcome}></span>{ *words }</li>
                    }) }
                    if bars.iter().any(|b| b.retry) {
                        <li><span class="swatch retry" data-outcome="ok"></span>{ "a stage's second or later run" }</li>
                    }
                </ul>
            }

            <h3>{ "What the turn decided" }</h3>
            <dl class="trace-summary">
                { for timeline::summary(trace).into_iter().map(|(key, value)| summary_item(trace, key, value)) }
            </dl>

            <h3>{ "Facts used" }</h3>
            <ol class="facts">
                { for trace.facts.iter().map(|fact| html! {
                    <li value={fact.number.to_string()}>
                        <q class="fact-text">{ fact.text.clone() }</q>
                        <span class="fact-source">
                            { match &fact.heading {
                                Some(heading) if !heading.is_empty() => format!(" — {} › {heading}", fact.article_title),
                                _ => format!(" — {}", fact.article_title),
                            } }
                        </span>
                    </li>
                }) }
            </ol>
            if trace.facts.is_empty() {
                <p class="facts-empty">{ "The reply used no numbered facts." }</p>
            }

            if !trace.warnings.is_empty() {
                <h3>{ "Warnings" }</h3>
                <ul class="warnings">
                    { for trace.warnings.iter().map(|warning| html! { <li>{ warning.clone() }</li> }) }
                </ul>
            }
        </section>
    }
}
