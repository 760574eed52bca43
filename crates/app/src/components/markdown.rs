//! Renders a parsed Markdown document ([`persona_core::markdown`]) into yew nodes.
//!
//! Every piece of text is a text node (`{ text }`, escaped by yew) and every element is one of a
//! fixed set written here; nothing is ever set through `innerHTML`. Links are only those the
//! core's `safe_href` let through, and open in a new tab without an opener or referrer.

use persona_core::markdown::{Block, Inline};
use yew::prelude::*;

/// `blocks` as HTML. A citation is a button that calls `on_cite` with its fact number.
pub fn render(blocks: &[Block], on_cite: Callback<u32>) -> Html {
    render_blocks(blocks, &on_cite)
}

fn render_blocks(blocks: &[Block], on_cite: &Callback<u32>) -> Html {
    html! { { for blocks.iter().map(|block| render_block(block, on_cite)) } }
}

fn render_block(block: &Block, on_cite: &Callback<u32>) -> Html {
    match block {
        Block::Paragraph(content) => html! { <p>{ render_inlines(content, on_cite) }</p> },
        Block::Heading { level, content } => {
            let tag = format!("h{}", (*level).clamp(1, 6));
            html! { <@{tag}>{ render_inlines(content, on_cite) }</@> }
        }
        Block::List { ordered: None, items } => html! {
            <ul>{ for items.iter().map(|item| html! { <li>{ render_blocks(item, on_cite) }</li> }) }</ul>
        },
        Block::List { ordered: Some(start), items } => {
            let start = (*start != 1).then(|| start.to_string());
            html! {
                <ol start={start}>
                    { for items.iter().map(|item| html! { <li>{ render_blocks(item, on_cite) }</li> }) }
                </ol>
            }
        }
        Block::Quote(blocks) => html! { <blockquote>{ render_blocks(blocks, on_cite) }</blockquote> },
        Block::Code { lang, text } => {
            // The language only ever names a class, and only from a plain word.
            let class = lang
                .as_deref()
                .filter(|l| l.len() <= 32 && l.chars().all(|c| c.is_ascii_alphanumeric() || "+-_#.".contains(c)))
                .map(|l| format!("language-{l}"));
            html! { <pre><code class={class}>{ text.clone() }</code></pre> }
        }
        Block::Rule => html! { <hr /> },
        Block::Table { head, rows } => html! {
            <div class="table-scroll">
                <table>
                    if !head.is_empty() {
                        <thead><tr>
                            { for head.iter().map(|cell| html! { <th>{ render_inlines(cell, on_cite) }</th> }) }
                        </tr></thead>
                    }
                    <tbody>
                        { for rows.iter().map(|row| html! {
                            <tr>{ for row.iter().map(|cell| html! { <td>{ render_inlines(cell, on_cite) }</td> }) }</tr>
                        }) }
                    </tbody>
                </table>
            </div>
        },
    }
}

fn render_inlines(content: &[Inline], on_cite: &Callback<u32>) -> Html {
    html! { { for content.iter().map(|inline| render_inline(inline, on_cite)) } }
}

fn render_inline(inline: &Inline, on_cite: &Callback<u32>) -> Html {
    match inline {
        Inline::Text(text) => html! { { text.clone() } },
        Inline::Emphasis(content) => html! { <em>{ render_inlines(content, on_cite) }</em> },
        Inline::Strong(content) => html! { <strong>{ render_inlines(content, on_cite) }</strong> },
        Inline::Strike(content) => html! { <del>{ render_inlines(content, on_cite) }</del> },
        Inline::Code(code) => html! { <code>{ code.clone() }</code> },
        Inline::Link { href, content } => html! {
            <a href={href.clone()} rel="noopener noreferrer nofollow" target="_blank">
                { render_inlines(content, on_cite) }
            </a>
        },
        Inline::Citation(n) => {
            let n = *n;
            let onclick = on_cite.reform(move |_: MouseEvent| n);
            html! {
                <button type="button" class="cite" aria-label={format!("Source {n}")} {onclick}>
                    { format!("[{n}]") }
                </button>
            }
        }
        Inline::LineBreak => html! { <br /> },
    }
}
