//! Small text utilities shared by chunking, embedding and the offline backend.
//!
//! Everything here is deterministic and platform-independent: the same input gives the same
//! output natively and in wasm (no `HashMap` iteration order, no platform hashing).

/// 64-bit FNV-1a. Stable across platforms and releases, unlike `std`'s `DefaultHasher`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A short, stable hexadecimal content id.
pub fn content_id(text: &str) -> String {
    format!("{:016x}", fnv1a64(text.as_bytes()))
}

/// English function words that carry no topic. Kept short on purpose: numbers and domain words
/// must never be dropped.
const STOPWORDS: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been", "being", "but",
    "by", "can", "could", "did", "do", "does", "doing", "for", "from", "had", "has", "have", "having", "he", "her",
    "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more", "most", "my", "no",
    "not", "of", "on", "or", "our", "out", "over", "she", "should", "so", "some", "than", "that", "the", "their",
    "them", "then", "there", "these", "they", "this", "those", "to", "too", "up", "us", "very", "was", "we", "were",
    "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours",
];

/// True for words that carry no topic.
pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// Lower-cased word tokens: runs of alphanumerics, keeping `%` and inner `.`/`,` of numbers
/// attached ("16%", "3.5") so numbers stay searchable with their unit.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let inner_number_punct = (c == '.' || c == ',')
            && current.chars().last().is_some_and(|p| p.is_ascii_digit())
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if c.is_alphanumeric() || inner_number_punct || c == '\'' && !current.is_empty() {
            current.extend(c.to_lowercase());
        } else if c == '%' && current.chars().last().is_some_and(|p| p.is_ascii_digit()) {
            current.push('%');
            out.push(std::mem::take(&mut current));
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    for word in &mut out {
        while word.ends_with('\'') {
            word.pop();
        }
        if let Some(stripped) = word.strip_suffix("'s") {
            *word = stripped.to_string();
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

/// Topic words: [`words`] without stopwords, lightly stemmed so "plans" meets "plan".
pub fn terms(text: &str) -> Vec<String> {
    words(text).into_iter().filter(|w| !is_stopword(w)).map(|w| stem(&w)).collect()
}

/// The English Snowball (Porter2) stem of a lower-case word, from the `rust-stemmers` crate
/// (the stemmer tantivy uses). Words with digits ("16%", "2024") are kept as they are.
pub fn stem(word: &str) -> String {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return word.to_string();
    }
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    stemmer.stem(word).into_owned()
}

/// Splits prose into sentences. A sentence ends at `.`, `!` or `?` followed by whitespace and
/// an upper-case letter, digit or quote — so "3.5", "e.g. this" and "U.S. firms" stay whole.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'.' | b'!' | b'?') {
            let mut j = i + 1;
            while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b')' | b'*' | b'_') {
                j += 1;
            }
            let ws_start = j;
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let next_starts_sentence = j < bytes.len()
                && (bytes[j].is_ascii_uppercase()
                    || bytes[j].is_ascii_digit()
                    || matches!(bytes[j], b'"' | b'*' | b'_' | b'('));
            let abbreviation = is_abbreviation(&text[start..i]);
            if j > ws_start && next_starts_sentence && !abbreviation {
                let sentence = text[start..ws_start].trim();
                if !sentence.is_empty() {
                    out.push(sentence);
                }
                start = j;
                i = j;
                continue;
            }
        }
        i += 1;
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

fn is_abbreviation(before_dot: &str) -> bool {
    let last = before_dot.rsplit(|c: char| c.is_whitespace()).next().unwrap_or("");
    let last = last.trim_start_matches(['(', '"']).to_ascii_lowercase();
    matches!(last.as_str(), "e.g" | "i.e" | "etc" | "vs" | "mr" | "mrs" | "ms" | "dr" | "st" | "no")
        || (last.len() == 1 && last.chars().all(|c| c.is_ascii_alphabetic()))
        || last.contains('.')
}

/// Collapses runs of whitespace to single spaces.
pub fn squash_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes inline Markdown emphasis and code markers, and turns `[text](url)` into `text`.
pub fn strip_inline_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '`' => {}
            '_' if out.ends_with(|p: char| !p.is_alphanumeric()) || out.is_empty() => {}
            '_' if chars.peek().is_none_or(|n| !n.is_alphanumeric()) => {}
            '[' => {
                let mut label = String::new();
                let mut closed = false;
                for n in chars.by_ref() {
                    if n == ']' {
                        closed = true;
                        break;
                    }
                    label.push(n);
                }
                if closed && chars.peek() == Some(&'(') {
                    for n in chars.by_ref() {
                        if n == ')' {
                            break;
                        }
                    }
                }
                out.push_str(&label);
                if !closed {
                    out.insert(out.len() - label.len(), '[');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        let mut sorted = STOPWORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOPWORDS);
    }

    #[test]
    fn words_keep_numbers_with_units_and_decimals() {
        assert_eq!(
            words("Firms with a plan grew 30% faster; 3.5 times, 1,200 owners."),
            ["firms", "with", "a", "plan", "grew", "30%", "faster", "3.5", "times", "1,200", "owners"]
        );
        assert_eq!(words("Jane's café"), ["jane", "café"]);
    }

    #[test]
    fn terms_drop_stopwords_and_stem() {
        assert_eq!(terms("What are the plans for businesses?"), ["plan", "busi"]);
        assert_eq!(terms("companies hiring hire hired"), ["compani", "hire", "hire", "hire"]);
        assert_eq!(terms("charging charges 30%"), ["charg", "charg", "30%"]);
    }

    #[test]
    fn sentences_split_on_terminal_punctuation_only() {
        let text = "Growth was 3.5 times higher. Owners, e.g. bakers, agreed! Did it work? Yes.";
        assert_eq!(
            sentences(text),
            ["Growth was 3.5 times higher.", "Owners, e.g. bakers, agreed!", "Did it work?", "Yes."]
        );
    }

    #[test]
    fn inline_markdown_is_stripped_but_text_kept() {
        assert_eq!(
            strip_inline_markdown("**Know** your `costs` and read [the guide](http://x.test)."),
            "Know your costs and read the guide."
        );
        assert_eq!(strip_inline_markdown("snake_case stays"), "snake_case stays");
    }

    #[test]
    fn content_id_is_stable() {
        assert_eq!(content_id("hello"), "a430d84680aabd0b");
        assert_ne!(content_id("hello"), content_id("hello "));
    }
}
