//! Splits an article (Markdown or plain text) into retrieval chunks.
//!
//! The article is read as a sequence of blocks — headings, paragraphs, list items, fenced code —
//! with their byte offsets. Blocks are packed into chunks under one heading path, up to
//! [`ChunkConfig::max_chars`]. A list item or a code block is never split; a paragraph longer
//! than the limit is split at sentence boundaries. Each chunk keeps its article id, title,
//! heading path and the byte range it came from, and its id is a hash of its content, so an
//! unchanged passage keeps its id when the article around it is edited.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::text::{content_id, sentences};

/// The largest article accepted, in bytes of UTF-8 (about 2 MiB: a long book chapter).
pub const MAX_ARTICLE_BYTES: usize = 2 * 1024 * 1024;

/// Why bytes are not an article.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ContentError {
    /// No text at all (or only whitespace).
    #[error("the file is empty")]
    Empty,
    /// Not UTF-8.
    #[error("the file is not UTF-8 text (invalid byte at offset {offset}); save it as UTF-8 and try again")]
    NotUtf8 { offset: usize },
    /// NUL bytes: an image, a PDF, a word-processor file.
    #[error("the file looks binary, not text (it contains NUL bytes); only Markdown and plain text can be added")]
    Binary,
    /// Over [`MAX_ARTICLE_BYTES`].
    #[error("the file is {bytes} bytes; articles are limited to {limit} bytes")]
    TooLarge { bytes: usize, limit: usize },
}

/// Checks and decodes an uploaded file into article text: UTF-8 only (a leading byte-order mark
/// is dropped), no NUL bytes, at most [`MAX_ARTICLE_BYTES`], not blank. Line endings become `\n`.
pub fn decode_text(bytes: &[u8]) -> Result<String, ContentError> {
    if bytes.len() > MAX_ARTICLE_BYTES {
        return Err(ContentError::TooLarge { bytes: bytes.len(), limit: MAX_ARTICLE_BYTES });
    }
    if bytes.contains(&0) {
        return Err(ContentError::Binary);
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| ContentError::NotUtf8 { offset: e.valid_up_to() })?;
    if text.trim().is_empty() {
        return Err(ContentError::Empty);
    }
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

/// How big chunks may grow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkConfig {
    /// Upper bound on a chunk body, in characters (a single block larger than this, such as a
    /// long code block or list item, still becomes one chunk of its own).
    pub max_chars: usize,
}

impl Default for ChunkConfig {
    fn default() -> Self {
        ChunkConfig { max_chars: 800 }
    }
}

/// One retrievable passage of an article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Content hash of article id, heading path and body.
    pub id: String,
    pub article_id: String,
    pub article_title: String,
    /// Headings above this passage, outermost first (the article title excluded).
    pub headings: Vec<String>,
    /// The passage, as Markdown source.
    pub body: String,
    /// Byte range of the passage in the article source.
    pub start: usize,
    pub end: usize,
}

impl Chunk {
    /// Rebuilds a chunk from its place in its article's `source` — what a store keeps of it —
    /// checking the content against the id (a content hash). `None` if the range does not fit
    /// the source or the text there no longer hashes to `id`.
    pub fn from_source(
        id: &str,
        article_id: &str,
        article_title: &str,
        headings: Vec<String>,
        source: &str,
        start: usize,
        end: usize,
    ) -> Option<Chunk> {
        let body = source.get(start..end)?.trim();
        let expected = content_id(&format!("{article_id}\u{1f}{}\u{1f}{body}", headings.join("\u{1e}")));
        (expected == id).then(|| Chunk {
            id: id.to_string(),
            article_id: article_id.to_string(),
            article_title: article_title.to_string(),
            headings,
            body: body.to_string(),
            start,
            end,
        })
    }

    /// The text that is embedded and searched: title and headings give the passage context.
    pub fn search_text(&self) -> String {
        let mut text = self.article_title.clone();
        for heading in &self.headings {
            text.push_str(" — ");
            text.push_str(heading);
        }
        text.push('\n');
        text.push_str(&self.body);
        text
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlockKind {
    Heading(usize),
    Paragraph,
    ListItem,
    Code,
    Table,
}

#[derive(Clone, Debug)]
struct Block {
    kind: BlockKind,
    start: usize,
    end: usize,
}

/// The article title: the first level-one heading, else the first non-empty line.
pub fn title_of(source: &str) -> String {
    for line in source.lines() {
        if let Some(title) = line.trim().strip_prefix("# ") {
            return title.trim().to_string();
        }
    }
    source.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("Untitled").to_string()
}

/// Splits `source` into chunks.
pub fn chunk_article(article_id: &str, source: &str, config: &ChunkConfig) -> Vec<Chunk> {
    let title = title_of(source);
    let mut chunks = Vec::new();
    let mut headings: Vec<(usize, String)> = Vec::new();
    let mut open: Option<(usize, usize)> = None; // byte range of the chunk being packed

    let flush = |open: &mut Option<(usize, usize)>, headings: &[(usize, String)], chunks: &mut Vec<Chunk>| {
        if let Some((start, end)) = open.take() {
            let body = source[start..end].trim();
            if !body.is_empty() {
                let heading_path: Vec<String> = headings.iter().map(|(_, h)| h.clone()).collect();
                let id = content_id(&format!("{article_id}\u{1f}{}\u{1f}{body}", heading_path.join("\u{1e}")));
                chunks.push(Chunk {
                    id,
                    article_id: article_id.to_string(),
                    article_title: title.clone(),
                    headings: heading_path,
                    body: body.to_string(),
                    start,
                    end,
                });
            }
        }
    };

    for block in blocks(source) {
        match block.kind {
            BlockKind::Heading(level) => {
                flush(&mut open, &headings, &mut chunks);
                let text = source[block.start..block.end].trim_start_matches('#').trim().to_string();
                headings.retain(|(l, _)| *l < level);
                if level > 1 {
                    headings.push((level, text));
                }
            }
            _ => {
                let pieces = if block.kind == BlockKind::Paragraph && block.end - block.start > config.max_chars {
                    split_paragraph(source, block.start, block.end, config.max_chars)
                } else {
                    vec![(block.start, block.end)]
                };
                for (start, end) in pieces {
                    if let Some((open_start, _)) = open {
                        if source[open_start..end].chars().count() > config.max_chars {
                            flush(&mut open, &headings, &mut chunks);
                        }
                    }
                    open = Some((open.map_or(start, |(s, _)| s), end));
                }
            }
        }
    }
    flush(&mut open, &headings, &mut chunks);
    chunks
}

/// Packs a long paragraph's sentences into pieces of at most `max` characters.
fn split_paragraph(source: &str, start: usize, end: usize, max: usize) -> Vec<(usize, usize)> {
    let text = &source[start..end];
    let mut pieces = Vec::new();
    let mut piece: Option<(usize, usize)> = None;
    for sentence in sentences(text) {
        let s_start = start + (sentence.as_ptr() as usize - text.as_ptr() as usize);
        let s_end = s_start + sentence.len();
        piece = match piece {
            Some((p_start, _)) if source[p_start..s_end].chars().count() > max => {
                pieces.extend(piece);
                Some((s_start, s_end))
            }
            Some((p_start, _)) => Some((p_start, s_end)),
            None => Some((s_start, s_end)),
        };
    }
    pieces.extend(piece);
    pieces
}

fn is_list_marker(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") {
        return true;
    }
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
}

/// Reads the block structure with byte offsets. Lines are kept with their offsets so a block's
/// range points back into the source exactly.
fn blocks(source: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut offset = 0;
    let mut current: Option<Block> = None;
    let mut in_code = false;
    for raw_line in source.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let line_end = line_start + line.len();
        let trimmed = line.trim_start();

        if in_code {
            if let Some(block) = current.as_mut() {
                block.end = line_end;
            }
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                in_code = false;
                out.extend(current.take());
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            out.extend(current.take());
            in_code = true;
            current = Some(Block { kind: BlockKind::Code, start: line_start, end: line_end });
            continue;
        }
        if trimmed.is_empty() {
            out.extend(current.take());
            continue;
        }
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) && trimmed[hashes..].starts_with(' ') {
            out.extend(current.take());
            out.push(Block { kind: BlockKind::Heading(hashes), start: line_start, end: line_end });
            continue;
        }
        // A table (`| a | b |` rows) is one block: never split between rows.
        if trimmed.starts_with('|') {
            match current.as_mut() {
                Some(block) if block.kind == BlockKind::Table => block.end = line_end,
                _ => {
                    out.extend(current.take());
                    current = Some(Block { kind: BlockKind::Table, start: line_start, end: line_end });
                }
            }
            continue;
        }
        if current.as_ref().is_some_and(|b| b.kind == BlockKind::Table) {
            out.extend(current.take());
        }
        if is_list_marker(line) && line.len() - trimmed.len() < 2 {
            out.extend(current.take());
            current = Some(Block { kind: BlockKind::ListItem, start: line_start, end: line_end });
            continue;
        }
        match current.as_mut() {
            // Continuation lines (wrapped paragraphs, indented list-item text, nested items).
            Some(block) => block.end = line_end,
            None => current = Some(Block { kind: BlockKind::Paragraph, start: line_start, end: line_end }),
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = "# Planning\n\nIntro paragraph here.\n\n## Steps\n\n1. Conduct market research.\n2. Know your costs,\n   all of them.\n\n```\ncode stays\n\nwhole\n```\n\n## Numbers\n\nPlans helped 16% of firms.\n";

    #[test]
    fn chunks_carry_title_headings_and_exact_offsets() {
        let chunks = chunk_article("plan", ARTICLE, &ChunkConfig::default());
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].article_title, "Planning");
        assert!(chunks[0].headings.is_empty());
        assert_eq!(chunks[1].headings, ["Steps"]);
        assert_eq!(chunks[2].headings, ["Numbers"]);
        for chunk in &chunks {
            assert_eq!(ARTICLE[chunk.start..chunk.end].trim(), chunk.body);
            let c = chunk.clone();
            let rebuilt = Chunk::from_source(&c.id, "plan", "Planning", c.headings, ARTICLE, c.start, c.end);
            assert_eq!(rebuilt.as_ref(), Some(chunk), "a chunk is rebuilt from its offsets");
        }
        assert!(chunks[1].body.contains("all of them.") && chunks[1].body.contains("whole\n```"));
        let edited = ARTICLE.replace("all of them", "most of them");
        let c = chunks[1].clone();
        assert_eq!(Chunk::from_source(&c.id, "plan", "Planning", c.headings.clone(), &edited, c.start, c.end), None);
        assert_eq!(Chunk::from_source(&c.id, "plan", "Planning", c.headings, ARTICLE, 0, ARTICLE.len() + 1), None);
    }

    #[test]
    fn small_limit_never_splits_list_items_or_code() {
        let chunks = chunk_article("plan", ARTICLE, &ChunkConfig { max_chars: 10 });
        let bodies: Vec<&str> = chunks.iter().map(|c| c.body.as_str()).collect();
        assert!(bodies.contains(&"2. Know your costs,\n   all of them."));
        assert!(bodies.contains(&"```\ncode stays\n\nwhole\n```"));
    }

    #[test]
    fn long_paragraphs_split_at_sentences_within_the_limit() {
        let sentence = "Cash is a promise you can keep. ";
        let source = format!("# T\n\n{}", sentence.repeat(40));
        let chunks = chunk_article("a", &source, &ChunkConfig { max_chars: 200 });
        assert!(chunks.len() >= 6);
        for chunk in &chunks {
            assert!(chunk.body.chars().count() <= 200, "{}", chunk.body.len());
            assert!(chunk.body.ends_with('.'));
        }
    }

    #[test]
    fn unchanged_passages_keep_their_ids_after_an_edit() {
        let before = chunk_article("plan", ARTICLE, &ChunkConfig::default());
        let edited = ARTICLE.replace("Intro paragraph here.", "A new intro, rewritten.");
        let after = chunk_article("plan", &edited, &ChunkConfig::default());
        assert_ne!(before[0].id, after[0].id);
        assert_eq!(before[1].id, after[1].id);
        assert_eq!(before[2].id, after[2].id);
    }

    #[test]
    fn tables_stay_whole_and_separate_from_the_text_around_them() {
        let source =
            "# Prices\n\nOur list:\n| item | price |\n|---|---|\n| loaf | 4.50 |\n| bun | 1.20 |\nAfter the table.\n";
        let chunks = chunk_article("p", source, &ChunkConfig { max_chars: 20 });
        let bodies: Vec<&str> = chunks.iter().map(|c| c.body.as_str()).collect();
        assert!(bodies.contains(&"| item | price |\n|---|---|\n| loaf | 4.50 |\n| bun | 1.20 |"), "{bodies:#?}");
        assert!(bodies.contains(&"After the table."));
    }

    #[test]
    fn empty_and_headings_only_articles_have_no_chunks() {
        assert!(chunk_article("e", "", &ChunkConfig::default()).is_empty());
        assert!(chunk_article("e", "  \n\n ", &ChunkConfig::default()).is_empty());
        assert!(chunk_article("h", "# Title\n\n## One\n\n### Two\n", &ChunkConfig::default()).is_empty());
    }

    #[test]
    fn a_huge_article_chunks_within_the_limit() {
        let paragraph = "Cash flow is the money that moves through the business each week, and it matters. ";
        let source =
            format!("# Big\n\n{}", (0..3000).map(|i| format!("{}{}\n\n", paragraph.repeat(3), i)).collect::<String>());
        let chunks = chunk_article("big", &source, &ChunkConfig::default());
        assert!(chunks.len() > 900, "{}", chunks.len());
        assert!(chunks.iter().all(|c| c.body.chars().count() <= 800));
        let ids: std::collections::BTreeSet<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids.len(), chunks.len(), "ids are unique");
    }

    #[test]
    fn numbers_stay_with_their_units_when_a_paragraph_is_split() {
        let sentence = "Margins rose to 3.5 % in May, rent was 1,200 dollars and the loan ran 90 days. ";
        let source = format!("# N\n\n{}", sentence.repeat(30));
        for chunk in chunk_article("n", &source, &ChunkConfig { max_chars: 200 }) {
            assert_eq!(chunk.body.matches("3.5 %").count(), chunk.body.matches("Margins").count());
            assert_eq!(chunk.body.matches("1,200 dollars").count(), chunk.body.matches("rent").count());
            assert_eq!(chunk.body.matches("90 days").count(), chunk.body.matches("loan").count());
        }
    }

    #[test]
    fn uploads_are_decoded_or_rejected_clearly() {
        assert_eq!(decode_text(b"\xef\xbb\xbf# T\r\n\r\nText\r\n").unwrap(), "# T\n\nText\n");
        assert_eq!(decode_text(b"caf\xe9 au lait"), Err(ContentError::NotUtf8 { offset: 3 }));
        assert_eq!(decode_text(b"\x89PNG\r\n\x1a\n\0\0"), Err(ContentError::Binary));
        assert_eq!(decode_text(b" \n\t"), Err(ContentError::Empty));
        let huge = vec![b'a'; MAX_ARTICLE_BYTES + 1];
        assert_eq!(
            decode_text(&huge),
            Err(ContentError::TooLarge { bytes: MAX_ARTICLE_BYTES + 1, limit: MAX_ARTICLE_BYTES })
        );
        assert!(decode_text(b"\xff").unwrap_err().to_string().contains("not UTF-8"));
    }

    #[test]
    fn plain_text_without_headings_is_chunked() {
        let chunks = chunk_article("note", "just one line of text", &ChunkConfig::default());
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].article_title, "just one line of text");
    }
}
