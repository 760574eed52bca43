//! Query expansion from a built-in synonym lexicon.
//!
//! Both offline rankings are lexical at heart (BM25 over stems; the hashing embedder over stems,
//! bigrams and trigrams), so a visitor who writes "staff" finds nothing that says "employee".
//! [`Lexicon`] maps a stem to the stems of its near-synonyms, from `synonyms.txt` (groups of
//! interchangeable words we wrote for this project, one group per line); [`Lexicon::expand`]
//! turns query terms into weighted terms: each original at weight 1, each synonym the query
//! does not already hold at a lower weight, so an exact match still beats a synonym match.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use crate::text::{is_stopword, stem};

/// The built-in groups.
const BUILTIN: &str = include_str!("synonyms.txt");

/// Stems and the stems they may stand in for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lexicon {
    synonyms: BTreeMap<String, BTreeSet<String>>,
}

impl Lexicon {
    /// Reads groups: one per line, words separated by commas, `#` starts a comment line.
    /// Words are lower-cased and stemmed; stop words and words that stem alike are dropped from
    /// a group (they would expand to nothing new).
    pub fn parse(text: &str) -> Lexicon {
        let mut synonyms: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let group: BTreeSet<String> = line
                .split(',')
                .map(|w| w.trim().to_lowercase())
                .filter(|w| !w.is_empty() && !is_stopword(w))
                .map(|w| stem(&w))
                .collect();
            for member in &group {
                let mates = synonyms.entry(member.clone()).or_default();
                mates.extend(group.iter().filter(|m| *m != member).cloned());
            }
        }
        synonyms.retain(|_, mates| !mates.is_empty());
        Lexicon { synonyms }
    }

    /// The lexicon shipped with the engine (parsed once).
    pub fn builtin() -> &'static Lexicon {
        static LEXICON: OnceLock<Lexicon> = OnceLock::new();
        LEXICON.get_or_init(|| Lexicon::parse(BUILTIN))
    }

    /// How many stems have synonyms.
    pub fn len(&self) -> usize {
        self.synonyms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.synonyms.is_empty()
    }

    /// The synonyms of a stem (a [`crate::text::terms`] token).
    pub fn synonyms(&self, stem: &str) -> impl Iterator<Item = &str> {
        self.synonyms.get(stem).into_iter().flatten().map(String::as_str)
    }

    /// `terms` with weight 1 (duplicates once), then [`Lexicon::expansions`].
    pub fn expand(&self, terms: &[String], synonym_weight: f32) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = Vec::with_capacity(terms.len() * 2);
        for term in terms {
            if !out.iter().any(|(t, _)| t == term) {
                out.push((term.clone(), 1.0));
            }
        }
        out.extend(self.expansions(terms, synonym_weight));
        out
    }

    /// Each synonym of `terms` that is not itself among them, once, with `synonym_weight`, in
    /// first-seen order. A weight of 0 adds nothing.
    pub fn expansions(&self, terms: &[String], synonym_weight: f32) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = Vec::new();
        if synonym_weight <= 0.0 {
            return out;
        }
        for term in terms {
            for synonym in self.synonyms(term) {
                if !terms.iter().any(|t| t == synonym) && !out.iter().any(|(t, _)| t == synonym) {
                    out.push((synonym.to_string(), synonym_weight));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::terms;

    #[test]
    fn groups_link_every_member_to_the_others_by_stem() {
        let lexicon = Lexicon::parse("# people\ncustomer, client, buyer\n\nstaff, employee, the\n");
        let mates: Vec<&str> = lexicon.synonyms("custom").collect();
        assert_eq!(mates, ["buyer", "client"]);
        assert_eq!(lexicon.synonyms("employe").collect::<Vec<_>>(), ["staff"], "stop words are dropped");
        assert_eq!(lexicon.synonyms("plan").count(), 0);
    }

    #[test]
    fn expansion_keeps_originals_at_full_weight_and_adds_synonyms_once() {
        let lexicon = Lexicon::parse("customer, client, buyer\nbuyer, purchaser\n");
        let expanded = lexicon.expand(&terms("Do clients and customers pay?"), 0.4);
        assert_eq!(expanded[..3], [("client".into(), 1.0), ("custom".into(), 1.0), ("pay".into(), 1.0)]);
        assert_eq!(expanded[3..], [("buyer".into(), 0.4)], "each synonym once, one hop, originals never demoted");
        let buyers = lexicon.expand(&terms("buyers"), 0.4);
        let added: Vec<&str> = buyers[1..].iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(added, ["client", "custom", "purchas"]);
        assert_eq!(lexicon.expand(&terms("clients"), 0.0), [("client".to_string(), 1.0)]);
    }

    #[test]
    fn the_builtin_lexicon_is_substantial_and_well_formed() {
        let lexicon = Lexicon::builtin();
        assert!(lexicon.len() > 500, "{} stems", lexicon.len());
        assert!(lexicon.synonyms(&stem("employee")).any(|s| s == stem("staff")));
        for line in BUILTIN.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')) {
            for word in line.split(',') {
                let word = word.trim();
                assert!(
                    !word.is_empty() && word.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c == '\''),
                    "{word:?} in {line:?}"
                );
            }
        }
    }
}
