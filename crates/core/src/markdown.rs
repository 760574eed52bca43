//! Markdown → a small, closed, safe document tree, for replies and article text.
//!
//! The app renders [`Block`]s into DOM nodes itself (text nodes are escaped by construction), so
//! nothing here is ever HTML. What the tree can hold is the whole safety argument:
//!
//! - Raw HTML, block or inline, becomes literal [`Inline::Text`]: shown as typed, never markup,
//!   never dropped silently.
//! - Images are never images (a reply could embed a tracking pixel): one with a safe URL becomes
//!   a link to it labelled with its alt text; otherwise just the alt text.
//! - Links keep only `http:`, `https:`, `mailto:` and relative/fragment URLs ([`safe_href`]);
//!   any other link becomes its plain content.
//! - Our citation markers `[1]`, `[1][3]`, `[2, 3]` become [`Inline::Citation`] — outside code,
//!   and not where the brackets are a real Markdown link.
//! - Nesting is capped at [`MAX_DEPTH`] containers; anything deeper is flattened into text, so a
//!   hostile reply cannot blow the stack of whoever walks the tree. The builder itself is a loop
//!   over pulldown-cmark's events with an explicit stack: no recursion on input depth.
//!
//! [`parse`] is called on every prefix of a reply while it streams in; it never panics.

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag};

/// The most containers (blocks and inlines together) nested inside one another in a parsed
/// document. Deeper content is flattened into the innermost container that fits.
pub const MAX_DEPTH: usize = 32;

/// A block of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Paragraph(Vec<Inline>),
    /// `level` is 1 to 6.
    Heading {
        level: u8,
        content: Vec<Inline>,
    },
    /// `ordered` is the first number of an ordered list, `None` for a bullet list.
    List {
        ordered: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Quote(Vec<Block>),
    /// A fenced or indented code block; `lang` is the first word of the fence's info string.
    Code {
        lang: Option<String>,
        text: String,
    },
    Rule,
    /// Header cells, then rows of cells.
    Table {
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
}

/// Inline content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    /// Plain text, to be shown as is (escaped by the renderer). May hold `\n` (soft breaks).
    Text(String),
    Emphasis(Vec<Inline>),
    Strong(Vec<Inline>),
    Strike(Vec<Inline>),
    Code(String),
    /// `href` passed [`safe_href`]. `content` holds no links and no citations.
    Link {
        href: String,
        content: Vec<Inline>,
    },
    /// A `[n]` citation of numbered fact `n` (n ≥ 1).
    Citation(u32),
    LineBreak,
}

/// Parses Markdown (CommonMark plus tables and strikethrough) into the safe tree.
pub fn parse(text: &str) -> Vec<Block> {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut builder = Builder::new();
    for event in Parser::new_ext(text, options) {
        builder.event(event);
    }
    builder.finish()
}

/// The distinct citation numbers in `blocks`, in order of first appearance.
pub fn citations(blocks: &[Block]) -> Vec<u32> {
    fn inlines(content: &[Inline], out: &mut Vec<u32>) {
        for inline in content {
            match inline {
                Inline::Citation(n) if !out.contains(n) => out.push(*n),
                Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) => inlines(c, out),
                Inline::Link { content, .. } => inlines(content, out),
                _ => {}
            }
        }
    }
    fn walk(blocks: &[Block], out: &mut Vec<u32>) {
        for block in blocks {
            match block {
                Block::Paragraph(c) | Block::Heading { content: c, .. } => inlines(c, out),
                Block::List { items, .. } => items.iter().for_each(|item| walk(item, out)),
                Block::Quote(b) => walk(b, out),
                Block::Table { head, rows } => {
                    head.iter().chain(rows.iter().flatten()).for_each(|cell| inlines(cell, out))
                }
                Block::Code { .. } | Block::Rule => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(blocks, &mut out);
    out
}

/// `url` if a browser following it can only load a page or open a mail client: `http:`,
/// `https:` and `mailto:` URLs, and relative URLs (paths, `?query`, `#fragment`). `None` for any
/// other scheme (`javascript:`, `data:`, `vbscript:`, `file:`…), for obfuscated forms of them
/// (any case, tabs, newlines, control characters, whitespace, HTML character references such as
/// `&#106;avascript:` or `javascript&colon;`), and for an empty URL.
///
/// The check is conservative: a `:` before the first `/`, `?` or `#` must end an allowed scheme,
/// whatever a browser would make of it. The URL returned is `url` as a browser reads it: leading
/// and trailing spaces and control characters trimmed, tabs and line breaks removed.
pub fn safe_href(url: &str) -> Option<String> {
    let href: String =
        url.trim_matches(|c: char| c <= ' ').chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    if href.is_empty() || !scheme_allowed(&href) || !scheme_allowed(&decode_references(&href)) {
        return None;
    }
    Some(href)
}

/// Whether `url`, with every whitespace, control and invisible formatting character removed,
/// either has no scheme or has an allowed one.
fn scheme_allowed(url: &str) -> bool {
    let squeezed: String = url.chars().filter(|c| !(c.is_whitespace() || c.is_control() || is_invisible(*c))).collect();
    match squeezed.find([':', '/', '?', '#']) {
        Some(at) if squeezed[at..].starts_with(':') => {
            matches!(squeezed[..at].to_ascii_lowercase().as_str(), "http" | "https" | "mailto")
        }
        _ => true,
    }
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Decodes numeric character references (`&#106;`, `&#x6A;`, with or without the `;`) and the
/// named ones that can hide URL syntax. Only used to check a URL, never to build one.
fn decode_references(text: &str) -> String {
    const NAMED: &[(&str, char)] = &[
        ("colon", ':'),
        ("tab", '\t'),
        ("newline", '\n'),
        ("sol", '/'),
        ("quest", '?'),
        ("num", '#'),
        ("amp", '&'),
        ("nbsp", '\u{A0}'),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (decoded, used) = if let Some(number) = after.strip_prefix('#') {
            let (digits, radix, prefix) = match number.strip_prefix(['x', 'X']) {
                Some(hex) => (hex.chars().take_while(char::is_ascii_hexdigit).count(), 16, 1),
                None => (number.chars().take_while(char::is_ascii_digit).count(), 10, 0),
            };
            let value = &number[prefix..prefix + digits];
            let c = u32::from_str_radix(&value[..value.len().min(8)], radix)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}');
            if digits == 0 {
                (None, 0)
            } else {
                let semicolon = usize::from(number[prefix + digits..].starts_with(';'));
                (Some(c), 1 + prefix + digits + semicolon)
            }
        } else {
            let name_len = after.chars().take_while(char::is_ascii_alphanumeric).count();
            let name = after[..name_len].to_ascii_lowercase();
            match NAMED.iter().find(|(n, _)| *n == name) {
                Some((_, c)) => (Some(*c), name_len + usize::from(after[name_len..].starts_with(';'))),
                None => (None, 0),
            }
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push('&'),
        }
        rest = &after[used..];
    }
    out.push_str(rest);
    out
}

/// What an open container turns into when it closes.
enum Frame {
    /// A container beyond the depth cap, or one we do not keep (a link inside a link): its
    /// content goes to the nearest kept container.
    Skip(Separator),
    /// Root, block quote or list item. Inlines arriving directly (tight list items, flattened
    /// content) collect in `pending` and become a paragraph.
    Blocks {
        kind: BlocksKind,
        blocks: Vec<Block>,
        pending: Vec<Inline>,
    },
    List {
        ordered: Option<u64>,
        items: Vec<Vec<Block>>,
    },
    Inlines {
        kind: InlinesKind,
        content: Vec<Inline>,
    },
    Code {
        lang: Option<String>,
        text: String,
    },
    /// A raw HTML block, collected as text.
    Html(String),
    Table {
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    Row {
        head: bool,
        cells: Vec<Vec<Inline>>,
    },
}

#[derive(Clone, Copy, PartialEq)]
enum BlocksKind {
    Root,
    Quote,
    Item,
}

#[derive(Clone, PartialEq)]
enum InlinesKind {
    Paragraph,
    Heading(u8),
    Cell,
    Emphasis,
    Strong,
    Strike,
    /// The link's URL when it is safe.
    Link(Option<String>),
    Image(Option<String>),
}

/// How a skipped container's content is kept apart from its neighbours.
#[derive(Clone, Copy, PartialEq)]
enum Separator {
    None,
    Block,
    Cell,
}

struct Builder {
    /// Never empty: the root is at the bottom and never closes before [`Builder::finish`].
    stack: Vec<Frame>,
    /// For each frame on the stack, the position of the innermost frame at or below it that
    /// takes content directly, and of the innermost block container: finding where content
    /// goes is O(1) however many skipped frames are open.
    content_at: Vec<usize>,
    blocks_at: Vec<usize>,
    /// Kept (non-skip) frames on the stack, the root excluded.
    depth: usize,
    /// Kept links and images on the stack.
    links: usize,
}

impl Builder {
    fn new() -> Self {
        let root = Frame::Blocks { kind: BlocksKind::Root, blocks: Vec::new(), pending: Vec::new() };
        Builder { stack: vec![root], content_at: vec![0], blocks_at: vec![0], depth: 0, links: 0 }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(_) => self.end(),
            Event::Text(text) => self.push_inline(Inline::Text(text.into_string())),
            Event::Code(code) => self.push_inline(Inline::Code(code.into_string())),
            Event::InlineMath(math) => self.push_inline(Inline::Text(format!("${math}$"))),
            Event::DisplayMath(math) => self.push_inline(Inline::Text(format!("$${math}$$"))),
            Event::Html(html) | Event::InlineHtml(html) => self.push_inline(Inline::Text(html.into_string())),
            Event::FootnoteReference(label) => self.push_inline(Inline::Text(format!("[^{label}]"))),
            Event::SoftBreak => self.push_inline(Inline::Text("\n".to_string())),
            Event::HardBreak => self.push_inline(Inline::LineBreak),
            Event::Rule => self.push_block(Block::Rule),
            Event::TaskListMarker(done) => {
                self.push_inline(Inline::Text(if done { "[x] " } else { "[ ] " }.to_string()))
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        let top_is = |builder: &Self, f: fn(&Frame) -> bool| builder.stack.last().is_some_and(f);
        let frame = match tag {
            Tag::Paragraph => self.fit(1, Separator::Block, || Frame::inlines(InlinesKind::Paragraph)),
            Tag::Heading { level, .. } => {
                self.fit(1, Separator::Block, || Frame::inlines(InlinesKind::Heading(level as u8)))
            }
            // A quote or list item reserves a level for the paragraph that flattened content forms.
            Tag::BlockQuote(_) => self.fit(2, Separator::Block, || Frame::Blocks {
                kind: BlocksKind::Quote,
                blocks: Vec::new(),
                pending: Vec::new(),
            }),
            Tag::CodeBlock(kind) => self.fit(1, Separator::Block, || Frame::Code {
                lang: match kind {
                    CodeBlockKind::Fenced(info) => info.split_whitespace().next().map(str::to_string),
                    CodeBlockKind::Indented => None,
                },
                text: String::new(),
            }),
            Tag::HtmlBlock => self.fit(1, Separator::Block, || Frame::Html(String::new())),
            // A list and its item, a table, its row and its cell are kept together or not at all.
            Tag::List(ordered) => self.fit(3, Separator::Block, || Frame::List { ordered, items: Vec::new() }),
            Tag::Item if top_is(self, |f| matches!(f, Frame::List { .. })) => {
                Frame::Blocks { kind: BlocksKind::Item, blocks: Vec::new(), pending: Vec::new() }
            }
            Tag::Table(_) => self.fit(3, Separator::Block, || Frame::Table { head: Vec::new(), rows: Vec::new() }),
            Tag::TableHead | Tag::TableRow if top_is(self, |f| matches!(f, Frame::Table { .. })) => {
                Frame::Row { head: matches!(tag, Tag::TableHead), cells: Vec::new() }
            }
            Tag::TableCell if top_is(self, |f| matches!(f, Frame::Row { .. })) => Frame::inlines(InlinesKind::Cell),
            Tag::TableCell => Frame::Skip(Separator::Cell),
            Tag::Emphasis => self.fit(1, Separator::None, || Frame::inlines(InlinesKind::Emphasis)),
            Tag::Strong => self.fit(1, Separator::None, || Frame::inlines(InlinesKind::Strong)),
            Tag::Strikethrough => self.fit(1, Separator::None, || Frame::inlines(InlinesKind::Strike)),
            Tag::Link { link_type, dest_url, .. } if self.links == 0 => {
                let href = match link_type {
                    LinkType::Email => safe_href(&format!("mailto:{dest_url}")),
                    _ => safe_href(&dest_url),
                };
                self.fit(1, Separator::None, || Frame::inlines(InlinesKind::Link(href)))
            }
            Tag::Image { dest_url, .. } if self.links == 0 => {
                let href = safe_href(&dest_url);
                self.fit(1, Separator::None, || Frame::inlines(InlinesKind::Image(href)))
            }
            Tag::Link { .. } | Tag::Image { .. } | Tag::Superscript | Tag::Subscript => Frame::Skip(Separator::None),
            // Items, rows outside their container; extensions we do not enable.
            Tag::Item
            | Tag::TableHead
            | Tag::TableRow
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_) => Frame::Skip(Separator::Block),
        };
        match &frame {
            Frame::Skip(Separator::Block) => self.separate(),
            Frame::Skip(_) => {}
            Frame::Inlines { kind: InlinesKind::Link(_) | InlinesKind::Image(_), .. } => {
                self.depth += 1;
                self.links += 1;
            }
            _ => self.depth += 1,
        }
        let at = self.stack.len();
        let below = |v: &[usize]| v.last().copied().unwrap_or(0);
        let takes_content =
            !matches!(frame, Frame::Skip(_) | Frame::List { .. } | Frame::Table { .. } | Frame::Row { .. });
        self.content_at.push(if takes_content { at } else { below(&self.content_at) });
        self.blocks_at.push(if matches!(frame, Frame::Blocks { .. }) { at } else { below(&self.blocks_at) });
        self.stack.push(frame);
    }

    /// `make()` if `levels` more kept containers fit under the cap, else a skip frame.
    fn fit(&self, levels: usize, separator: Separator, make: impl FnOnce() -> Frame) -> Frame {
        if self.depth + levels <= MAX_DEPTH {
            make()
        } else {
            Frame::Skip(separator)
        }
    }

    fn end(&mut self) {
        if self.stack.len() < 2 {
            return; // An unbalanced end: nothing of ours to close.
        }
        let Some(frame) = self.stack.pop() else { return };
        self.content_at.pop();
        self.blocks_at.pop();
        match &frame {
            Frame::Skip(_) => {}
            Frame::Inlines { kind: InlinesKind::Link(_) | InlinesKind::Image(_), .. } => {
                self.depth -= 1;
                self.links -= 1;
            }
            _ => self.depth -= 1,
        }
        self.close(frame);
    }

    fn close(&mut self, frame: Frame) {
        match frame {
            Frame::Skip(Separator::Block) => self.separate(),
            Frame::Skip(Separator::Cell) => self.push_inline(Inline::Text(" ".to_string())),
            Frame::Skip(Separator::None) => {}
            Frame::Blocks { kind, mut blocks, mut pending } => {
                flush(&mut blocks, &mut pending);
                match kind {
                    BlocksKind::Quote => self.push_block(Block::Quote(blocks)),
                    BlocksKind::Item => match self.stack.last_mut() {
                        Some(Frame::List { items, .. }) => items.push(blocks),
                        _ => blocks.into_iter().for_each(|b| self.push_block(b)),
                    },
                    // Only `finish` closes the root; it never comes here.
                    BlocksKind::Root => blocks.into_iter().for_each(|b| self.push_block(b)),
                }
            }
            Frame::List { ordered, items } => self.push_block(Block::List { ordered, items }),
            Frame::Inlines { kind, content } => match kind {
                InlinesKind::Paragraph => {
                    let content = finish_inlines(content);
                    if !content.is_empty() {
                        self.push_block(Block::Paragraph(content));
                    }
                }
                InlinesKind::Heading(level) => {
                    self.push_block(Block::Heading { level, content: finish_inlines(content) })
                }
                InlinesKind::Cell => {
                    let content = finish_inlines(content);
                    match self.stack.last_mut() {
                        Some(Frame::Row { cells, .. }) => cells.push(content),
                        _ => content.into_iter().for_each(|i| self.push_inline(i)),
                    }
                }
                InlinesKind::Emphasis if !content.is_empty() => self.push_inline(Inline::Emphasis(content)),
                InlinesKind::Strong if !content.is_empty() => self.push_inline(Inline::Strong(content)),
                InlinesKind::Strike if !content.is_empty() => self.push_inline(Inline::Strike(content)),
                InlinesKind::Emphasis | InlinesKind::Strong | InlinesKind::Strike => {}
                InlinesKind::Link(Some(href)) => {
                    let mut content = merge_text(content);
                    if content.is_empty() {
                        content.push(Inline::Text(href.clone()));
                    }
                    self.push_inline(Inline::Link { href, content });
                }
                InlinesKind::Link(None) => content.into_iter().for_each(|i| self.push_inline(i)),
                InlinesKind::Image(href) => {
                    let mut alt = String::new();
                    plain_text(&content, &mut alt);
                    match href {
                        Some(href) => {
                            let label = if alt.trim().is_empty() { href.clone() } else { alt };
                            self.push_inline(Inline::Link { href, content: vec![Inline::Text(label)] });
                        }
                        None if !alt.is_empty() => self.push_inline(Inline::Text(alt)),
                        None => {}
                    }
                }
            },
            Frame::Code { lang, text } => self.push_block(Block::Code { lang, text }),
            Frame::Html(html) => {
                let mut content = Vec::new();
                for (i, line) in html.trim_end_matches(['\n', '\r']).lines().enumerate() {
                    if i > 0 {
                        content.push(Inline::LineBreak);
                    }
                    content.push(Inline::Text(line.to_string()));
                }
                let content = finish_inlines(content);
                if !content.is_empty() {
                    self.push_block(Block::Paragraph(content));
                }
            }
            Frame::Table { head, rows } => self.push_block(Block::Table { head, rows }),
            Frame::Row { head, cells } => match self.stack.last_mut() {
                Some(Frame::Table { head: table_head, .. }) if head => *table_head = cells,
                Some(Frame::Table { rows, .. }) => rows.push(cells),
                _ => cells.into_iter().flatten().for_each(|i| self.push_inline(i)),
            },
        }
    }

    /// The innermost frame that takes content directly (skip, list, table and row frames do
    /// not). The root always does.
    fn content_frame(&mut self) -> &mut Frame {
        let at = self.content_at.last().copied().unwrap_or(0);
        &mut self.stack[at]
    }

    fn push_inline(&mut self, inline: Inline) {
        match self.content_frame() {
            Frame::Blocks { pending: content, .. } | Frame::Inlines { content, .. } => content.push(inline),
            Frame::Code { text, .. } | Frame::Html(text) => match inline {
                Inline::LineBreak => text.push('\n'),
                other => plain_text(std::slice::from_ref(&other), text),
            },
            Frame::Skip(_) | Frame::List { .. } | Frame::Table { .. } | Frame::Row { .. } => {}
        }
    }

    fn push_block(&mut self, block: Block) {
        let at = self.blocks_at.last().copied().unwrap_or(0);
        if let Frame::Blocks { blocks, pending, .. } = &mut self.stack[at] {
            flush(blocks, pending);
            blocks.push(block);
        }
    }

    /// Ends the current run of flattened content, as a paragraph or line break would.
    fn separate(&mut self) {
        match self.content_frame() {
            Frame::Blocks { blocks, pending, .. } => flush(blocks, pending),
            Frame::Inlines { content, .. } => {
                if content.last().is_some_and(|last| *last != Inline::LineBreak) {
                    content.push(Inline::LineBreak);
                }
            }
            Frame::Code { text, .. } | Frame::Html(text) => {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
            }
            Frame::Skip(_) | Frame::List { .. } | Frame::Table { .. } | Frame::Row { .. } => {}
        }
    }

    fn finish(mut self) -> Vec<Block> {
        while self.stack.len() > 1 {
            self.end();
        }
        match self.stack.pop() {
            Some(Frame::Blocks { mut blocks, mut pending, .. }) => {
                flush(&mut blocks, &mut pending);
                blocks
            }
            _ => Vec::new(),
        }
    }
}

impl Frame {
    fn inlines(kind: InlinesKind) -> Frame {
        Frame::Inlines { kind, content: Vec::new() }
    }
}

/// Turns inlines collected directly in a block container into a paragraph.
fn flush(blocks: &mut Vec<Block>, pending: &mut Vec<Inline>) {
    if pending.is_empty() {
        return;
    }
    let content = finish_inlines(std::mem::take(pending));
    if !content.is_empty() {
        blocks.push(Block::Paragraph(content));
    }
}

/// Merges adjacent text, then turns citation markers in text into [`Inline::Citation`] —
/// recursing into emphasis, not into links or code.
fn finish_inlines(content: Vec<Inline>) -> Vec<Inline> {
    let mut out = Vec::with_capacity(content.len());
    for inline in merge_text(content) {
        match inline {
            Inline::Text(text) => split_citations(&text, &mut out),
            Inline::Emphasis(c) => out.push(Inline::Emphasis(finish_inlines(c))),
            Inline::Strong(c) => out.push(Inline::Strong(finish_inlines(c))),
            Inline::Strike(c) => out.push(Inline::Strike(finish_inlines(c))),
            other => out.push(other),
        }
    }
    out
}

/// Joins adjacent [`Inline::Text`]s (pulldown-cmark splits text around brackets and entities)
/// and drops empty ones.
fn merge_text(content: Vec<Inline>) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::with_capacity(content.len());
    for inline in content {
        match (out.last_mut(), inline) {
            (_, Inline::Text(text)) if text.is_empty() => {}
            (Some(Inline::Text(last)), Inline::Text(text)) => last.push_str(&text),
            (_, other) => out.push(other),
        }
    }
    out
}

/// Appends `text` to `out`, with every citation marker (`[1]`, `[2, 3]`) as citations.
fn split_citations(text: &str, out: &mut Vec<Inline>) {
    let mut rest = text;
    let mut plain = String::new();
    while let Some(open) = rest.find('[') {
        plain.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match citation_marker(after) {
            Some((numbers, used)) => {
                if !plain.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut plain)));
                }
                out.extend(numbers.into_iter().map(Inline::Citation));
                rest = &after[used..];
            }
            None => {
                plain.push('[');
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
}

/// Reads `1]`, `2, 3]` (the text after a `[`): the numbers and the bytes used, `]` included.
fn citation_marker(text: &str) -> Option<(Vec<u32>, usize)> {
    let mut numbers = Vec::new();
    let mut at = 0;
    loop {
        at += text[at..].len() - text[at..].trim_start_matches(' ').len();
        let digits = text[at..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 6 {
            return None;
        }
        let n: u32 = text[at..at + digits].parse().ok()?;
        if n == 0 {
            return None;
        }
        numbers.push(n);
        at += digits;
        at += text[at..].len() - text[at..].trim_start_matches(' ').len();
        match text[at..].bytes().next() {
            Some(b']') => return Some((numbers, at + 1)),
            Some(b',') => at += 1,
            _ => return None,
        }
    }
}

/// The text of `content`, markup dropped (citations as `[n]`).
fn plain_text(content: &[Inline], out: &mut String) {
    for inline in content {
        match inline {
            Inline::Text(text) | Inline::Code(text) => out.push_str(text),
            Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) | Inline::Link { content: c, .. } => {
                plain_text(c, out)
            }
            Inline::Citation(n) => out.push_str(&format!("[{n}]")),
            Inline::LineBreak => out.push('\n'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.to_string())
    }

    /// Every piece of text in `blocks`, in order, markup dropped.
    fn all_text(blocks: &[Block]) -> String {
        let mut out = String::new();
        for block in blocks {
            match block {
                Block::Paragraph(c) | Block::Heading { content: c, .. } => plain_text(c, &mut out),
                Block::List { items, .. } => items.iter().for_each(|i| out.push_str(&all_text(i))),
                Block::Quote(b) => out.push_str(&all_text(b)),
                Block::Code { text, .. } => out.push_str(text),
                Block::Rule => {}
                Block::Table { head, rows } => {
                    head.iter().chain(rows.iter().flatten()).for_each(|c| plain_text(c, &mut out))
                }
            }
            out.push('\n');
        }
        out
    }

    /// Every link target in `blocks`.
    fn hrefs(blocks: &[Block]) -> Vec<String> {
        fn inlines(content: &[Inline], out: &mut Vec<String>) {
            for inline in content {
                match inline {
                    Inline::Link { href, content } => {
                        out.push(href.clone());
                        inlines(content, out);
                    }
                    Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) => inlines(c, out),
                    _ => {}
                }
            }
        }
        let mut out = Vec::new();
        for block in blocks {
            match block {
                Block::Paragraph(c) | Block::Heading { content: c, .. } => inlines(c, &mut out),
                Block::List { items, .. } => items.iter().for_each(|i| out.extend(hrefs(i))),
                Block::Quote(b) => out.extend(hrefs(b)),
                Block::Table { head, rows } => {
                    head.iter().chain(rows.iter().flatten()).for_each(|c| inlines(c, &mut out))
                }
                Block::Code { .. } | Block::Rule => {}
            }
        }
        out
    }

    /// The deepest nesting of containers in `blocks`, counted without recursion.
    fn depth(blocks: &[Block]) -> usize {
        enum Node<'a> {
            B(&'a Block),
            I(&'a Inline),
        }
        let mut deepest = 0;
        let mut todo: Vec<(Node, usize)> = blocks.iter().map(|b| (Node::B(b), 1)).collect();
        while let Some((node, d)) = todo.pop() {
            deepest = deepest.max(d);
            match node {
                Node::B(Block::Paragraph(c) | Block::Heading { content: c, .. }) => {
                    todo.extend(c.iter().map(|i| (Node::I(i), d + 1)))
                }
                Node::B(Block::List { items, .. }) => todo.extend(items.iter().flatten().map(|b| (Node::B(b), d + 2))),
                Node::B(Block::Quote(b)) => todo.extend(b.iter().map(|b| (Node::B(b), d + 1))),
                Node::B(Block::Table { head, rows }) => {
                    todo.extend(head.iter().chain(rows.iter().flatten()).flatten().map(|i| (Node::I(i), d + 3)))
                }
                Node::I(
                    Inline::Emphasis(c) | Inline::Strong(c) | Inline::Strike(c) | Inline::Link { content: c, .. },
                ) => todo.extend(c.iter().map(|i| (Node::I(i), d + 1))),
                _ => {}
            }
        }
        deepest
    }

    #[test]
    fn paragraphs_emphasis_headings_lists_code_and_rules() {
        let doc = "# Title\n\nSome *em*, **strong**, ~~gone~~ and `x < y`.\nNext line  \nhard.\n\n\
                   - a\n- b\n\n3. three\n4. four\n\n```rust title\nfn main() {}\n```\n\n    indented\n\n---\n\n> quoted";
        assert_eq!(
            parse(doc),
            vec![
                Block::Heading { level: 1, content: vec![text("Title")] },
                Block::Paragraph(vec![
                    text("Some "),
                    Inline::Emphasis(vec![text("em")]),
                    text(", "),
                    Inline::Strong(vec![text("strong")]),
                    text(", "),
                    Inline::Strike(vec![text("gone")]),
                    text(" and "),
                    Inline::Code("x < y".to_string()),
                    text(".\nNext line"),
                    Inline::LineBreak,
                    text("hard."),
                ]),
                Block::List {
                    ordered: None,
                    items: vec![vec![Block::Paragraph(vec![text("a")])], vec![Block::Paragraph(vec![text("b")])]],
                },
                Block::List {
                    ordered: Some(3),
                    items: vec![
                        vec![Block::Paragraph(vec![text("three")])],
                        vec![Block::Paragraph(vec![text("four")])],
                    ],
                },
                Block::Code { lang: Some("rust".to_string()), text: "fn main() {}\n".to_string() },
                Block::Code { lang: None, text: "indented\n".to_string() },
                Block::Rule,
                Block::Quote(vec![Block::Paragraph(vec![text("quoted")])]),
            ]
        );
    }

    #[test]
    fn loose_list_items_and_nested_lists_keep_their_blocks() {
        assert_eq!(
            parse("- one\n\n  more\n- two\n  - inner"),
            vec![Block::List {
                ordered: None,
                items: vec![
                    vec![Block::Paragraph(vec![text("one")]), Block::Paragraph(vec![text("more")])],
                    vec![
                        Block::Paragraph(vec![text("two")]),
                        Block::List { ordered: None, items: vec![vec![Block::Paragraph(vec![text("inner")])]] },
                    ],
                ],
            }]
        );
    }

    #[test]
    fn tables_have_a_head_and_rows_of_cells() {
        assert_eq!(
            parse("| a | b |\n|---|:-:|\n| 1 | *2* [3] |\n| x |"),
            vec![Block::Table {
                head: vec![vec![text("a")], vec![text("b")]],
                rows: vec![
                    vec![vec![text("1")], vec![Inline::Emphasis(vec![text("2")]), text(" "), Inline::Citation(3)],],
                    vec![vec![text("x")], vec![]],
                ],
            }]
        );
    }

    #[test]
    fn inline_html_is_literal_text() {
        assert_eq!(
            parse("Hi <script>alert(1)</script> and <img src=x onerror=alert(1)> and <a href=\"javascript:alert(1)\">x</a>."),
            vec![Block::Paragraph(vec![text(
                "Hi <script>alert(1)</script> and <img src=x onerror=alert(1)> and <a href=\"javascript:alert(1)\">x</a>."
            )])]
        );
    }

    #[test]
    fn block_html_is_literal_text_line_by_line() {
        let blocks = parse("<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n<div>\n<a href=\"javascript:alert(1)\">x</a>\n</div>\n\nafter");
        assert_eq!(
            blocks,
            vec![
                Block::Paragraph(vec![text("<script>alert(1)</script>")]),
                Block::Paragraph(vec![text("<img src=x onerror=alert(1)>")]),
                Block::Paragraph(vec![
                    text("<div>"),
                    Inline::LineBreak,
                    text("<a href=\"javascript:alert(1)\">x</a>"),
                    Inline::LineBreak,
                    text("</div>"),
                ]),
                Block::Paragraph(vec![text("after")]),
            ]
        );
        assert!(hrefs(&blocks).is_empty());
    }

    #[test]
    fn images_become_links_or_alt_text_never_images() {
        assert_eq!(
            parse(
                "![a chart](https://example.com/c.png) ![pixel](javascript:alert(1)) ![](data:image/png;base64,AAAA)"
            ),
            vec![Block::Paragraph(vec![
                Inline::Link { href: "https://example.com/c.png".to_string(), content: vec![text("a chart")] },
                text(" pixel "),
            ])]
        );
        // An image inside a link: one link, labelled with the alt text, no link inside a link.
        assert_eq!(
            parse("[![logo](https://e.com/l.png)](https://e.com)"),
            vec![Block::Paragraph(vec![Inline::Link {
                href: "https://e.com".to_string(),
                content: vec![text("logo")]
            }])]
        );
    }

    #[test]
    fn safe_hrefs_are_kept() {
        for url in [
            "http://example.com",
            "HTTPS://example.com/a?b=1&c=2#d",
            "mailto:jane@example.com",
            "/docs/a",
            "docs/a:b",
            "../x",
            "#top",
            "?q=1:2",
            "//example.com/x",
        ] {
            assert_eq!(safe_href(url).as_deref(), Some(url), "{url}");
        }
        assert_eq!(safe_href("  https://e.com/\n ").as_deref(), Some("https://e.com/"));
        assert_eq!(safe_href("ht\ttps://e.com").as_deref(), Some("https://e.com"));
    }

    #[test]
    fn unsafe_and_obfuscated_hrefs_are_refused() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "java\rscript:alert(1)",
            "\u{1}javascript:alert(1)",
            "java\u{0}script:alert(1)",
            "java script:alert(1)",
            "java\u{200B}script:alert(1)",
            "&#106;avascript:alert(1)",
            "&#x6A;avascript:alert(1)",
            "&#0000106avascript:alert(1)",
            "javascript&colon;alert(1)",
            "javascript&#58;alert(1)",
            "javascript&#x3a;alert(1)",
            "java&Tab;script:alert(1)",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "javascript%3Aalert(1)x:y",
            "",
            " \t ",
        ] {
            assert_eq!(safe_href(url), None, "{url:?}");
        }
    }

    #[test]
    fn unsafe_links_become_their_text() {
        let doc = "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](&#106;avascript:alert(1)) \
                   [d](<java\tscript:alert(1)>) [e](data:text/html,x) [f](vbscript:x) [g](javascript&colon;x) \
                   <javascript:alert(1)> [h](\\javascript:x)";
        let blocks = parse(doc);
        let hrefs = hrefs(&blocks);
        assert!(
            hrefs.iter().all(|h| !h.to_ascii_lowercase().contains("script") && !h.starts_with("data")),
            "{hrefs:?}"
        );
        let all = all_text(&blocks);
        for label in ["a", "b", "c", "d", "e", "f", "g", "javascript:alert(1)", "h"] {
            assert!(all.contains(label), "{label} missing from {all:?}");
        }
        // `\javascript:x` is a relative path to a browser, yet refused by the conservative check.
        assert!(hrefs.is_empty(), "{hrefs:?}");
    }

    #[test]
    fn safe_links_are_kept() {
        let blocks = parse(
            "[site](https://example.com/a?b=1) <https://example.com> <jane@example.com> [rel](/docs#x) [top](#top) [ref][r]\n\n[r]: http://example.com/r",
        );
        assert_eq!(
            hrefs(&blocks),
            vec![
                "https://example.com/a?b=1",
                "https://example.com",
                "mailto:jane@example.com",
                "/docs#x",
                "#top",
                "http://example.com/r"
            ]
        );
        assert_eq!(
            blocks[0],
            Block::Paragraph(vec![
                Inline::Link { href: "https://example.com/a?b=1".to_string(), content: vec![text("site")] },
                text(" "),
                Inline::Link { href: "https://example.com".to_string(), content: vec![text("https://example.com")] },
                text(" "),
                Inline::Link { href: "mailto:jane@example.com".to_string(), content: vec![text("jane@example.com")] },
                text(" "),
                Inline::Link { href: "/docs#x".to_string(), content: vec![text("rel")] },
                text(" "),
                Inline::Link { href: "#top".to_string(), content: vec![text("top")] },
                text(" "),
                Inline::Link { href: "http://example.com/r".to_string(), content: vec![text("ref")] },
            ])
        );
    }

    #[test]
    fn citations_in_text_are_recognised() {
        let blocks = parse("Plans help [1] and grow [2][3], see [2, 3] and [4,5].");
        assert_eq!(
            blocks,
            vec![Block::Paragraph(vec![
                text("Plans help "),
                Inline::Citation(1),
                text(" and grow "),
                Inline::Citation(2),
                Inline::Citation(3),
                text(", see "),
                Inline::Citation(2),
                Inline::Citation(3),
                text(" and "),
                Inline::Citation(4),
                Inline::Citation(5),
                text("."),
            ])]
        );
        assert_eq!(citations(&blocks), vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn citations_inside_markup_headings_lists_and_quotes() {
        let blocks = parse("## Why [7]\n\n*true [4]* **bold [1]**\n\n- item [2]\n\n> quoted [9]\n\nend [4]");
        assert_eq!(
            blocks[1],
            Block::Paragraph(vec![
                Inline::Emphasis(vec![text("true "), Inline::Citation(4)]),
                text(" "),
                Inline::Strong(vec![text("bold "), Inline::Citation(1)]),
            ])
        );
        assert_eq!(citations(&blocks), vec![7, 4, 1, 2, 9]);
    }

    #[test]
    fn citations_are_not_read_in_code_links_or_other_brackets() {
        let blocks =
            parse("`[1]` and\n\n```\n[2]\n```\n\n    [3]\n\n[4](http://x) [x] [0] [1 [ ] [1,] [,1] [1a] [1234567]");
        assert_eq!(citations(&blocks), Vec::<u32>::new());
        assert_eq!(hrefs(&blocks), vec!["http://x"]);
        assert!(all_text(&blocks).contains("[x] [0] [1 [ ] [1,] [,1] [1a] [1234567]"));
        // A reference definition makes `[5]` a real link, not a citation.
        let blocks = parse("See [5].\n\n[5]: https://example.com/five");
        assert_eq!(citations(&blocks), Vec::<u32>::new());
        assert_eq!(hrefs(&blocks), vec!["https://example.com/five"]);
        // A citation inside a link's text stays text: no button inside an anchor.
        let blocks = parse("[see [6]](https://e.com) [6]");
        assert_eq!(
            blocks,
            vec![Block::Paragraph(vec![
                Inline::Link { href: "https://e.com".to_string(), content: vec![text("see [6]")] },
                text(" "),
                Inline::Citation(6),
            ])]
        );
    }

    #[test]
    fn a_delinked_link_is_plain_text_and_raw_html_may_carry_citations() {
        assert_eq!(
            parse("[x](javascript:y) [1] <b>[2]</b>"),
            vec![Block::Paragraph(vec![
                text("x "),
                Inline::Citation(1),
                text(" <b>"),
                Inline::Citation(2),
                text("</b>"),
            ])]
        );
    }

    const TRICKY: &str = "# Héllo *wörld* [1]\n\nA **bold _and [2, 3] em_** ~~st~~ `co[4]de` [l](https://e.com \"t\") \
        ![i](data:x) <b>raw</b> &amp; &#106;\n\n> - q [5]\n>   1. n\n>\n> ```py\n> x = [6]\n> ```\n\n\
        | a | b 🎉 |\n|---|---|\n| [7] | c |\n\n<div>\n*x*\n</div>\n\n[r]: http://r\n\n- [ref][r] \\[8\\]  \nend — ✓ [9]";

    #[test]
    fn every_prefix_parses() {
        let mut boundaries: Vec<usize> = TRICKY.char_indices().map(|(i, _)| i).collect();
        boundaries.push(TRICKY.len());
        for end in boundaries {
            let blocks = parse(&TRICKY[..end]);
            assert!(depth(&blocks) <= MAX_DEPTH + 1);
            let _ = citations(&blocks);
        }
        let blocks = parse(TRICKY);
        assert_eq!(citations(&blocks), vec![1, 2, 3, 5, 7, 8, 9]);
        assert_eq!(hrefs(&blocks), vec!["https://e.com", "http://r"]);
    }

    #[test]
    fn deep_nesting_is_flattened_not_recursed() {
        let quotes = format!("{} deep [1]", ">".repeat(10_000));
        let lists = format!("{}deep [2]", "- ".repeat(10_000));
        let mixed = format!("{}deep [3]", "> 1. ".repeat(3_000));
        let emphasis = format!("{}deep [4]{}", "*".repeat(5_000), "*".repeat(5_000));
        let links = format!("{}deep [5]{}", "[".repeat(5_000), "](http://x)".repeat(5_000));
        let strong = format!("{}deep [6]{}", "**a ".repeat(3_000), " b**".repeat(3_000));
        for (doc, n) in [(quotes, 1), (lists, 2), (mixed, 3), (emphasis, 4), (links, 5), (strong, 6)] {
            let blocks = parse(&doc);
            assert!(depth(&blocks) <= MAX_DEPTH + 1, "case {n}: depth {}", depth(&blocks));
            assert!(all_text(&blocks).contains("deep"));
            if n != 5 {
                assert_eq!(citations(&blocks), vec![n]);
            }
            // Cloning, comparing and dropping recurse on the tree: bounded by the cap.
            assert_eq!(blocks.clone(), blocks);
        }
    }

    #[test]
    fn flattened_containers_stay_apart() {
        // Past the cap, sibling items still read as separate paragraphs, not run together.
        let doc = format!("{}- one\n{}- two", "> ".repeat(40), "> ".repeat(40));
        let blocks = parse(&doc);
        let all = all_text(&blocks);
        assert!(all.contains("one\n") && all.contains("two"), "{all:?}");
        assert!(!all.contains("onetwo"));
    }
}
