//! Turns retrieved chunks into numbered, atomic facts.
//!
//! DESIGN.md, bug 3: asking a model to delete ungrounded sentences failed; rebuilding the answer
//! from a numbered list of facts worked. A fact is one sentence or one list item, with inline
//! Markdown removed, numbers and units untouched, and the heading it sat under kept as context.

use serde::{Deserialize, Serialize};

use crate::chunk::Chunk;
use crate::text::{sentences, squash_whitespace, strip_inline_markdown};

/// One atomic statement taken from an article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// 1-based number, as cited: `[n]`.
    pub number: usize,
    pub text: String,
    pub chunk_id: String,
    pub article_title: String,
    /// The innermost heading the fact sat under, if any.
    pub heading: Option<String>,
}

/// Numbers the facts of `chunks` in order, skipping duplicates.
pub fn number_facts<'a>(chunks: impl IntoIterator<Item = &'a Chunk>) -> Vec<Fact> {
    let mut facts: Vec<Fact> = Vec::new();
    for chunk in chunks {
        for text in atomic_statements(&chunk.body) {
            if facts.iter().any(|f| f.text == text) {
                continue;
            }
            facts.push(Fact {
                number: facts.len() + 1,
                text,
                chunk_id: chunk.id.clone(),
                article_title: chunk.article_title.clone(),
                heading: chunk.headings.last().cloned(),
            });
        }
    }
    facts
}

/// The atomic statements of a Markdown passage: each list item whole (its marker kept, so
/// "1. Conduct market research." and "- Talk to customers." stay recognisable), each paragraph split into sentences.
/// Code blocks are kept whole.
pub fn atomic_statements(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut paragraph = String::new();
    let mut item: Option<String> = None;
    let mut in_code: Option<String> = None;

    let flush_paragraph = |paragraph: &mut String, out: &mut Vec<String>| {
        let clean = squash_whitespace(&strip_inline_markdown(paragraph));
        out.extend(sentences(&clean).into_iter().map(str::to_string));
        paragraph.clear();
    };
    let flush_item = |item: &mut Option<String>, out: &mut Vec<String>| {
        if let Some(text) = item.take() {
            // The marker stays, like "1." on numbered items: a list item reads as one.
            let clean = squash_whitespace(&strip_inline_markdown(&text));
            if !clean.is_empty() {
                out.push(clean);
            }
        }
    };

    for line in body.lines() {
        let trimmed = line.trim();
        if let Some(code) = in_code.as_mut() {
            code.push('\n');
            code.push_str(line);
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                out.push(in_code.take().unwrap_or_default());
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush_paragraph(&mut paragraph, &mut out);
            flush_item(&mut item, &mut out);
            in_code = Some(line.to_string());
            continue;
        }
        if trimmed.is_empty() {
            flush_paragraph(&mut paragraph, &mut out);
            flush_item(&mut item, &mut out);
            continue;
        }
        let is_item = trimmed.starts_with("- ") || trimmed.starts_with("* ") || trimmed.starts_with("+ ") || {
            let digits = trimmed.chars().take_while(|c| c.is_ascii_digit()).count();
            digits > 0 && trimmed[digits..].starts_with(". ")
        };
        if is_item {
            flush_paragraph(&mut paragraph, &mut out);
            flush_item(&mut item, &mut out);
            // Bullets are normalised to "- " ("*" would be taken for emphasis and stripped).
            let normalised = match trimmed.get(..2) {
                Some("* " | "+ ") => format!("- {}", &trimmed[2..]),
                _ => trimmed.to_string(),
            };
            item = Some(normalised);
        } else if let Some(text) = item.as_mut() {
            text.push(' ');
            text.push_str(trimmed);
        } else {
            paragraph.push(' ');
            paragraph.push_str(trimmed);
        }
    }
    flush_paragraph(&mut paragraph, &mut out);
    flush_item(&mut item, &mut out);
    out.extend(in_code);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::{chunk_article, ChunkConfig};

    #[test]
    fn list_items_and_sentences_become_numbered_facts() {
        let source = "# Plan\n\n## Before you start\n\nMost owners skip this. One survey found **16%** more reached viability.\n\n1. Conduct market research.\n2. Know your costs,\n   every one.\n- Talk to *customers*.\n";
        let chunks = chunk_article("plan", source, &ChunkConfig::default());
        let facts = number_facts(&chunks);
        let texts: Vec<&str> = facts.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Most owners skip this.",
                "One survey found 16% more reached viability.",
                "1. Conduct market research.",
                "2. Know your costs, every one.",
                "- Talk to customers.",
            ]
        );
        assert_eq!(facts.iter().map(|f| f.number).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert!(facts.iter().all(|f| f.heading.as_deref() == Some("Before you start")));
    }

    #[test]
    fn duplicate_statements_are_numbered_once() {
        let a = chunk_article("a", "# A\n\nSame line.\n", &ChunkConfig::default());
        let b = chunk_article("b", "# B\n\nSame line.\n", &ChunkConfig::default());
        assert_eq!(number_facts(a.iter().chain(&b)).len(), 1);
    }
}
