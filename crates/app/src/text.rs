//! Text helpers for rendering (plain Rust, tested natively).

/// Splits text on `[n]` citation markers: `(text, Some(n))` for a marker, `(text, None)` else.
pub fn citation_parts(text: &str) -> Vec<(String, Option<usize>)> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let digits = after.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && after[digits..].starts_with(']') {
            push_text(&mut parts, &rest[..open]);
            let number = after[..digits].parse().ok();
            parts.push((rest[open..open + digits + 2].to_string(), number));
            rest = &after[digits + 1..];
        } else {
            push_text(&mut parts, &rest[..open + 1]);
            rest = after;
        }
    }
    push_text(&mut parts, rest);
    parts
}

/// Appends plain text, merging it into a preceding plain-text part.
fn push_text(parts: &mut Vec<(String, Option<usize>)>, text: &str) {
    if text.is_empty() {
        return;
    }
    match parts.last_mut() {
        Some((last, None)) => last.push_str(text),
        _ => parts.push((text.to_string(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::citation_parts;

    #[test]
    fn citations_are_split_out_and_other_brackets_stay_text() {
        assert_eq!(
            citation_parts("Plans help [1] and [x] grow [12]."),
            vec![
                ("Plans help ".to_string(), None),
                ("[1]".to_string(), Some(1)),
                (" and [x] grow ".to_string(), None),
                ("[12]".to_string(), Some(12)),
                (".".to_string(), None),
            ]
        );
    }
}
