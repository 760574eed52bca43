//! The built-in offline backend: answers from retrieved text alone, with no model.
//!
//! It follows the same rules the model pipeline will: a personal question is answered from the
//! persona's own profile and memories; a factual question is answered only with numbered facts
//! taken from retrieved passages, each cited as `[n]`; when nothing relevant was retrieved it
//! says so rather than inventing an answer.

use serde::{Deserialize, Serialize};

use crate::chat::Reply;
use crate::facts::{number_facts, Fact};
use crate::knowledge::Retrieved;
use crate::persona::Persona;
use crate::text::{terms, words};

/// What kind of message this is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    /// Hello, thanks, goodbye.
    Social,
    /// About the persona herself.
    Personal,
    /// About the content.
    #[default]
    Factual,
    /// Both: only the factual part is grounded.
    Mixed,
}

impl QuestionKind {
    /// The kind's name, as it serialises: `social`, `personal`, `factual` or `mixed`.
    pub fn name(self) -> &'static str {
        match self {
            QuestionKind::Social => "social",
            QuestionKind::Personal => "personal",
            QuestionKind::Factual => "factual",
            QuestionKind::Mixed => "mixed",
        }
    }
}

const SOCIAL: &[&str] = &[
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank",
    "cheers",
    "bye",
    "goodbye",
    "morning",
    "evening",
    "afternoon",
    "ok",
    "okay",
];

/// Phrases that make a clause about the persona herself.
const PERSONAL: &[&str] = &[
    " you personally ",
    " have you ",
    " did you ",
    " do you ",
    " were you ",
    " are you ",
    " your own ",
    " yourself ",
    " your business ",
    " your café ",
    " your cafe ",
    " your bakery ",
    " your shop ",
    " your team ",
    " your staff ",
    " your customers ",
    " about you ",
    " your life ",
    " your story ",
    " your experience ",
    " you ever ",
    " who are you ",
    " your favourite ",
    " your favorite ",
    " you like ",
    " you love ",
    " you feel ",
    " you think ",
    " you believe ",
    " your first ",
    " was your ",
    " is your ",
    " were your ",
    " your view ",
    " your opinion ",
    " would you ",
    " how did you ",
    " you had ",
    " you've ",
];

/// Openings that use "you" generically ("how do you calculate a markup?" asks a fact).
const GENERIC_YOU: &[&str] = &[
    " how do you ",
    " how should you ",
    " how can you ",
    " what do you need ",
    " what do you do when ",
    " what do you do if ",
    " when should you ",
    " should you ",
    " do you need ",
    " do you have to ",
    " can you deduct ",
];

/// Words after a generic-sounding opening that make it personal after all.
const PERSONAL_AFTER_GENERIC: &[&str] =
    &[" you feel ", " you like ", " you personally ", " you yourself ", " your own "];

/// Words that ask for information.
const ASKING: &[&str] = &[
    "what",
    "how",
    "why",
    "when",
    "where",
    "which",
    "who",
    "should",
    "can",
    "could",
    "is",
    "are",
    "does",
    "do",
    "tell",
    "explain",
    "give",
    "list",
    "describe",
    "summarise",
    "summarize",
    "compare",
    "any",
];

/// Verbs that make "can you …" a request for information rather than a question about her.
const REQUEST_VERBS: &[&str] = &[
    "explain",
    "tell",
    "give",
    "list",
    "describe",
    "summarise",
    "summarize",
    "help",
    "show",
    "define",
    "walk",
    "break",
    "outline",
    "clarify",
    "remind",
    "recap",
    "compare",
    "suggest",
    "share",
];

/// Whether a clause is about the persona herself: it speaks of something of hers ("your
/// cakes", "yours"), or addresses her as "you" other than generically ("how do you calculate
/// a markup?") or to ask for information ("can you explain…").
fn personal_clause(text: &str) -> bool {
    if [" your ", " yours ", " yourself "].iter().any(|p| text.contains(p)) {
        return true;
    }
    if !text.contains(" you ") {
        return PERSONAL.iter().any(|p| text.contains(p));
    }
    let generic =
        GENERIC_YOU.iter().any(|g| text.contains(g)) && !PERSONAL_AFTER_GENERIC.iter().any(|p| text.contains(p));
    let request = [" can you ", " could you ", " would you ", " will you "].iter().any(|opening| {
        text.match_indices(opening).any(|(at, _)| {
            let after = &text[at + opening.len()..];
            REQUEST_VERBS.iter().any(|verb| after.starts_with(verb)) || after.starts_with("please ")
        })
    });
    !generic && !request
}

/// Whether a clause asks about the content: an asking word and at least two content words.
fn factual_clause(clause_words: &[String]) -> bool {
    let content = clause_words.iter().filter(|w| !crate::text::is_stopword(w) && w.len() > 2).count();
    content >= 2 && clause_words.iter().any(|w| ASKING.contains(&w.as_str()))
}

/// Decides whether a message is social, personal, factual or mixed, by rules: each clause
/// (sentences, split again at "and" / "but" / "also") is personal when it asks about the
/// persona, factual when it asks about anything else with some content; a message with both
/// is mixed.
pub fn classify(message: &str) -> QuestionKind {
    let words = words(message);
    if !words.is_empty() && words.len() <= 4 && words.iter().any(|w| SOCIAL.contains(&w.as_str())) {
        return QuestionKind::Social;
    }
    let (mut personal, mut factual) = (false, false);
    for sentence in crate::text::sentences(message) {
        let sentence_words = crate::text::words(sentence);
        let mut clause: Vec<String> = Vec::new();
        let mut clauses: Vec<Vec<String>> = Vec::new();
        for word in sentence_words {
            if matches!(word.as_str(), "and" | "but" | "also" | "plus") && clause.len() >= 3 {
                clauses.push(std::mem::take(&mut clause));
            } else {
                clause.push(word);
            }
        }
        clauses.push(clause);
        for clause in clauses.iter().filter(|c| !c.is_empty()) {
            let text = format!(" {} ", clause.join(" "));
            if personal_clause(&text) {
                personal = true;
            } else if factual_clause(clause) {
                factual = true;
            }
        }
    }
    match (personal, factual) {
        (true, true) => QuestionKind::Mixed,
        (true, false) => QuestionKind::Personal,
        _ => QuestionKind::Factual,
    }
}

/// Words of a personal question that say nothing about its topic.
const PERSONAL_WORDS: &[&str] =
    &["personally", "ever", "own", "yourself", "experience", "business", "like", "feel", "think", "really"];

/// How many facts a factual answer may use.
const MAX_FACTS: usize = 3;
/// How many items of a numbered list an answer may quote.
const MAX_LIST_ITEMS: usize = 10;
/// A fact joins the answer only if it scores at least this share of the best fact.
const CLOSE_TO_BEST: f32 = 0.8;

/// Answers `question` with no model.
pub fn answer(
    persona: &Persona,
    question: &str,
    knowledge: &[Retrieved],
    memories: &[(String, f32)],
) -> (QuestionKind, Reply) {
    let kind = classify(question);
    let reply = match kind {
        QuestionKind::Social => social_reply(persona, question),
        QuestionKind::Personal => personal_reply(persona, question, memories),
        QuestionKind::Factual => factual_reply(persona, question, knowledge),
        QuestionKind::Mixed => mixed_reply(persona, question, knowledge, memories),
    };
    (kind, reply)
}

fn social_reply(persona: &Persona, question: &str) -> Reply {
    let words = words(question);
    let text = if words.iter().any(|w| w.starts_with("thank") || w == "cheers") {
        "You're very welcome. Ask me anything else about the articles whenever you like.".to_string()
    } else if words.iter().any(|w| w == "bye" || w == "goodbye") {
        "Take care, and good luck with the business!".to_string()
    } else {
        let greeting = persona.greeting();
        if greeting.is_empty() {
            format!("Hi, I'm {}.", persona.name())
        } else {
            greeting
        }
    };
    Reply { text, facts: Vec::new() }
}

pub(crate) fn personal_reply(persona: &Persona, question: &str, memories: &[(String, f32)]) -> Reply {
    // "you", "your" and the like are not content; a memory must share a real topic word.
    let question_terms: Vec<String> =
        terms(question).into_iter().filter(|t| !PERSONAL_WORDS.contains(&t.as_str())).collect();
    let shared = |memory: &str| terms(memory).iter().filter(|t| question_terms.iter().any(|q| same_term(q, t))).count();
    let relevant = memories
        .iter()
        .map(|m| (shared(&m.0), m))
        .filter(|(n, _)| *n > 0)
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1 .1.total_cmp(&a.1 .1).reverse()))
        .map(|(_, m)| m);
    let text = match relevant {
        Some((memory, _)) => format!("Speaking for myself: {}", first_person(persona, memory)),
        None => "That's not something I can really speak to from my own experience, I'm afraid. \
                 I'm happy to tell you what the articles here say, though."
            .to_string(),
    };
    Reply { text, facts: Vec::new() }
}

/// A mixed question: the persona's own side from her memories, then the facts.
pub(crate) fn mixed_reply(
    persona: &Persona,
    question: &str,
    knowledge: &[Retrieved],
    memories: &[(String, f32)],
) -> Reply {
    let personal = personal_reply(persona, question, memories);
    let factual = factual_reply(persona, question, knowledge);
    Reply { text: format!("{}\n\n{}", factual.text, personal.text), facts: factual.facts }
}

pub(crate) fn factual_reply(persona: &Persona, question: &str, knowledge: &[Retrieved]) -> Reply {
    let facts = number_facts(knowledge.iter().map(|r| &r.chunk));
    let chosen = select_facts(question, &facts);

    if chosen.is_empty() {
        let text = match knowledge.first() {
            None => "I couldn't find anything about that in the articles here, so I'd rather not guess.".to_string(),
            Some(closest) => format!(
                "I couldn't find that in the articles here, so I'd rather not guess. The closest thing I have read is \"{}\".",
                closest.chunk.article_title
            ),
        };
        return Reply { text, facts: Vec::new() };
    }

    let title = &chosen[0].article_title;
    let cited: Vec<String> = chosen.iter().map(|fact| format!("{} [{}]", fact.text, fact.number)).collect();
    let joiner = if chosen.iter().any(|f| is_list_item(&f.text)) { "\n" } else { " " };
    let mut text =
        format!("Here's what \"{title}\" says:{}{}", if joiner == "\n" { "\n\n" } else { " " }, cited.join(joiner));
    if !persona.name().is_empty() {
        text.push_str("\n\nThat's straight from the article, not from my own till.");
    }
    Reply { text, facts: chosen.into_iter().cloned().collect() }
}

/// Picks the facts that answer `question`.
///
/// Each fact scores the question terms it shares, weighted by how rare the term is among the
/// candidate facts (so "faster" outweighs "plan" when every fact mentions plans); a fact with a
/// figure gets a small boost when the question asks for one. Only facts scoring close to the
/// best are kept — quoting a second, different percentage is DESIGN.md's bug 4. When the best
/// fact is an item of a numbered list, the whole list is the answer.
fn select_facts<'a>(question: &str, facts: &'a [Fact]) -> Vec<&'a Fact> {
    let question_terms: Vec<String> = {
        let mut t = terms(question);
        t.sort();
        t.dedup();
        t
    };
    // A fact is matched with the heading it sat under as context.
    let fact_terms: Vec<Vec<String>> =
        facts.iter().map(|f| terms(&format!("{} {}", f.heading.as_deref().unwrap_or(""), f.text))).collect();
    let has = |ft: &Vec<String>, term: &String| ft.iter().any(|t| same_term(t, term));
    let n = facts.len() as f32;
    let idf = |term: &String| {
        let df = fact_terms.iter().filter(|ft| has(ft, term)).count() as f32;
        if df == 0.0 {
            0.0
        } else {
            (1.0 + n / df).ln()
        }
    };
    let weights: Vec<(String, f32)> = question_terms.iter().map(|t| (t.clone(), idf(t))).collect();
    let wants_number = words(question).iter().any(|w| {
        matches!(
            w.as_str(),
            "percent" | "percentage" | "much" | "many" | "number" | "figure" | "rate" | "likely" | "faster"
        ) || w.ends_with('%')
    });

    let has_figure = |fact: &Fact| {
        words(&fact.text)
            .iter()
            .enumerate()
            .any(|(i, w)| w.chars().any(|c| c.is_ascii_digit()) && !(i == 0 && list_number(&fact.text).is_some()))
    };
    let mut scored: Vec<(f32, &Fact)> = facts
        .iter()
        .zip(&fact_terms)
        .map(|(fact, ft)| {
            let matched: Vec<&(String, f32)> = weights.iter().filter(|(t, _)| has(ft, t)).collect();
            let mut score: f32 = matched.iter().map(|(_, w)| w).sum();
            if wants_number && has_figure(fact) {
                score *= 1.25;
            }
            // A single shared common word is not an answer.
            if matched.len() < 2 && weights.len() > 1 {
                score = 0.0;
            }
            (score, fact)
        })
        .filter(|(score, _)| *score > 0.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.number.cmp(&b.1.number)));
    let Some(&(best, _)) = scored.first() else { return Vec::new() };

    let mut chosen: Vec<&Fact> = scored
        .iter()
        .take_while(|(score, _)| *score >= best * CLOSE_TO_BEST)
        .take(MAX_FACTS)
        .map(|(_, fact)| *fact)
        .collect();

    // A question after a figure gets one figure: the best-scoring fact that has one. Quoting a
    // second, different figure beside it is exactly DESIGN.md's bug 4.
    if wants_number {
        if let Some(position) = chosen.iter().position(|f| has_figure(f)) {
            let best_figure = chosen[position].number;
            chosen.retain(|f| f.number == best_figure || !has_figure(f));
        }
    }

    // A list item, or a sentence introducing a list ("…work through these steps:"), among the
    // best facts means the answer is the whole list it belongs to.
    let list_anchor = chosen.iter().find(|f| is_list_item(&f.text) || f.text.ends_with(':'));
    if let Some(anchor) = list_anchor {
        // The list may continue in a sibling chunk of the same section. Numbered items are put
        // in their order; bullets keep the order they were read in.
        let same_section = |f: &&Fact| f.article_title == anchor.article_title && f.heading == anchor.heading;
        let mut list: Vec<&Fact> = facts.iter().filter(same_section).filter(|f| is_list_item(&f.text)).collect();
        if list.iter().all(|f| list_number(&f.text).is_some()) {
            list.sort_by_key(|f| list_number(&f.text));
            list.dedup_by_key(|f| list_number(&f.text));
        }
        list.truncate(MAX_LIST_ITEMS);
        if list.len() > 1 {
            let intro = facts.iter().filter(same_section).find(|f| f.text.ends_with(':'));
            return intro.into_iter().chain(list).collect();
        }
    }

    chosen.sort_by_key(|fact| fact.number);
    chosen
}

/// Terms match when equal, or when one is a short extension of the other ("writ" from
/// "writing" and "write"): the light stemmer leaves such pairs apart.
fn same_term(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 4 && long.len() - short.len() <= 2 && long.starts_with(short)
}

/// A numbered ("3. …") or bulleted ("- …") list item.
fn is_list_item(text: &str) -> bool {
    list_number(text).is_some() || text.starts_with("- ")
}

/// The number of a numbered list item ("3. Test your offer…" → 3).
fn list_number(text: &str) -> Option<usize> {
    let digits = text.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && text[digits..].starts_with(". ") {
        text[..digits].parse().ok()
    } else {
        None
    }
}

/// Rewrites a third-person profile statement ("She opened the café…") in the first person.
pub fn first_person(persona: &Persona, statement: &str) -> String {
    let name = persona.name();
    let mut out: Vec<String> = Vec::new();
    let tokens: Vec<&str> = statement.split(' ').collect();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        let (core, tail) = split_punct(token);
        let lower = core.to_lowercase();
        let next = tokens.get(i + 1).map(|t| split_punct(t).0.to_lowercase()).unwrap_or_default();
        let is_subject = lower == "she" || core == name;
        // "Jane Okafor-Reyes is …": the surname goes with the name.
        let skip_surname = core == name
            && tokens
                .get(i + 1)
                .is_some_and(|t| t.chars().next().is_some_and(char::is_uppercase) && !t.ends_with(['.', ',']));
        if skip_surname {
            i += 1;
        }
        let next = if skip_surname {
            tokens.get(i + 1).map(|t| split_punct(t).0.to_lowercase()).unwrap_or_default()
        } else {
            next
        };
        let replacement: Option<(String, bool)> = if is_subject {
            match next.as_str() {
                "is" => Some(("I am".into(), true)),
                "was" => Some(("I was".into(), true)),
                "has" => Some(("I have".into(), true)),
                "does" => Some(("I do".into(), true)),
                _ => Some(("I".into(), false)),
            }
        } else {
            match lower.as_str() {
                "she's" => Some(("I'm".into(), false)),
                "her" => {
                    let object = matches!(
                        tokens.get(i.wrapping_sub(1)).map(|t| t.to_lowercase()).as_deref(),
                        Some(
                            "to" | "for"
                                | "with"
                                | "told"
                                | "asked"
                                | "gave"
                                | "taught"
                                | "helped"
                                | "made"
                                | "let"
                                | "cost"
                                | "took"
                                | "left"
                                | "kept"
                                | "sent"
                                | "paid"
                                | "owed"
                        )
                    ) || next.is_empty();
                    Some((if object { "me" } else { "my" }.into(), false))
                }
                "herself" => Some(("myself".into(), false)),
                "hers" => Some(("mine".into(), false)),
                _ if lower == format!("{}'s", name.to_lowercase()) => Some(("my".into(), false)),
                _ => None,
            }
        };
        match replacement {
            Some((text, consumed_next)) => {
                let tail = if consumed_next { split_punct(tokens[i + 1]).1 } else { tail };
                out.push(format!("{text}{tail}"));
                i += if consumed_next { 2 } else { 1 };
            }
            None => {
                out.push(token.to_string());
                i += 1;
            }
        }
    }
    agree_with_i(&mut out);
    let mut text = out.join(" ").replace(" and is ", " and am ").replace(" and has ", " and have ");
    if let Some(first) = text.get(0..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text
}

/// Adverbs that may sit between "I" and its verb ("I still open…").
const ADVERBS: &[&str] = &[
    "still",
    "also",
    "often",
    "always",
    "usually",
    "never",
    "sometimes",
    "really",
    "just",
    "only",
    "even",
    "now",
    "rarely",
    "regularly",
    "mostly",
    "personally",
];

/// Puts the verb after each "I" in the first person: "I still opens" → "I still open".
fn agree_with_i(tokens: &mut [String]) {
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "I" {
            let mut j = i + 1;
            while j < tokens.len() && ADVERBS.contains(&tokens[j].to_lowercase().as_str()) {
                j += 1;
            }
            if let Some(token) = tokens.get_mut(j) {
                let (core, tail) = split_punct(token);
                if let Some(base) = base_form(core) {
                    *token = format!("{base}{tail}");
                }
            }
        }
        i += 1;
    }
}

/// The base form of a third-person-singular verb ("opens" → "open", "tries" → "try",
/// "watches" → "watch"); `None` for words that do not look like one.
fn base_form(word: &str) -> Option<String> {
    let lower = word.to_lowercase();
    if word.chars().next().is_some_and(char::is_uppercase) || lower.len() < 3 || lower.ends_with("ss") {
        return None;
    }
    if matches!(lower.as_str(), "is" | "was" | "has" | "does" | "always" | "perhaps" | "sometimes" | "thus") {
        return None;
    }
    if let Some(stem) = lower.strip_suffix("ies") {
        return Some(format!("{stem}y"));
    }
    for ending in ["ches", "shes", "sses", "xes", "zes", "oes"] {
        if lower.ends_with(ending) {
            return Some(lower[..lower.len() - 2].to_string());
        }
    }
    lower.strip_suffix('s').map(str::to_string)
}

fn split_punct(token: &str) -> (&str, &str) {
    let end = token.trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '\'').len();
    token.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_the_serialised_names() {
        for kind in [QuestionKind::Social, QuestionKind::Personal, QuestionKind::Factual, QuestionKind::Mixed] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.name());
        }
    }
    use crate::embed::HashEmbedder;
    use crate::knowledge::{Article, KnowledgeBase};

    fn jane() -> Persona {
        Persona::from_card_json(
            r#"{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"Jane","first_mes":"Hi, I'm {{char}}.",
            "extensions":{"persona_engine":{"memories":["In her second year, a broken oven nearly closed her café for a week."]}}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn classifies_social_personal_and_factual_messages() {
        assert_eq!(classify("Hello!"), QuestionKind::Social);
        assert_eq!(classify("thanks a lot"), QuestionKind::Social);
        assert_eq!(classify("Have you personally done market research?"), QuestionKind::Personal);
        assert_eq!(classify("What was the hardest moment in your business?"), QuestionKind::Personal);
        assert_eq!(classify("How much faster do businesses with a plan grow?"), QuestionKind::Factual);
        assert_eq!(classify("Hello, what should I do before writing a business plan?"), QuestionKind::Factual);
    }

    #[test]
    fn factual_answers_cite_only_retrieved_facts() {
        let mut kb = KnowledgeBase::new(HashEmbedder::default());
        kb.upsert_articles([Article::new(
            "plan",
            "# Plans\n\nFirms with a formal written plan were 16% more likely to reach viability. \
             Firms with a formal written plan grew 30% faster. Weather was mild.\n",
        )])
        .unwrap();
        let question = "How much faster did firms with a written plan grow?";
        let hits = kb.search(question, 4).unwrap();
        let (_, other) =
            answer(&jane(), "How much more likely were firms with a written plan to reach viability?", &hits, &[]);
        assert!(other.text.contains("16%") && !other.text.contains("30%"), "{}", other.text);
        let (kind, reply) = answer(&jane(), question, &hits, &[]);
        assert_eq!(kind, QuestionKind::Factual);
        assert!(reply.text.contains("30% faster"), "{}", reply.text);
        assert!(!reply.text.contains("16%"), "the other percentage is not quoted: {}", reply.text);
        assert!(!reply.text.contains("Weather"));
        for fact in &reply.facts {
            assert!(reply.text.contains(&format!("[{}]", fact.number)));
        }
    }

    #[test]
    fn a_question_about_a_list_gets_the_whole_list() {
        let mut kb = KnowledgeBase::new(HashEmbedder::default());
        kb.upsert_articles([Article::new(
            "plan",
            "# Plans\n\n## Steps before the plan\n\n1. Conduct market research.\n2. Work out your costs.\n3. Test your offer.\n",
        )])
        .unwrap();
        let question = "What steps should I take before the plan?";
        let (_, reply) = answer(&jane(), question, &kb.search(question, 3).unwrap(), &[]);
        let numbers: Vec<usize> = reply.facts.iter().map(|f| f.number).collect();
        assert_eq!(numbers, [1, 2, 3], "{}", reply.text);
        assert!(reply.text.contains("1. Conduct market research. [1]\n2. Work out your costs. [2]"), "{}", reply.text);
    }

    #[test]
    fn a_bulleted_list_is_answered_whole_with_its_introduction() {
        let mut kb = KnowledgeBase::new(HashEmbedder::default());
        kb.upsert_articles([Article::new(
            "price",
            "# Pricing\n\n## Signs you should raise your prices\n\nWatch for these signs:\n\n- You are always busy.\n* Costs have risen.\n+ Nobody pushes back.\n\n## Other\n\nWeather talk.\n",
        )])
        .unwrap();
        let question = "What are the signs I should raise my prices?";
        let (_, reply) = answer(&jane(), question, &kb.search(question, 3).unwrap(), &[]);
        let texts: Vec<&str> = reply.facts.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Watch for these signs:", "- You are always busy.", "- Costs have risen.", "- Nobody pushes back."],
            "{}",
            reply.text
        );
    }

    #[test]
    fn nothing_retrieved_means_no_invented_answer() {
        let (_, reply) = answer(&jane(), "What is the capital of Peru?", &[], &[]);
        assert!(reply.facts.is_empty());
        assert!(reply.text.contains("couldn't find"));
    }

    #[test]
    fn personal_answers_come_from_memories_in_the_first_person() {
        let memories = vec![("In her second year, a broken oven nearly closed her café for a week.".to_string(), 0.5)];
        let (kind, reply) = answer(&jane(), "Did you ever nearly close your café?", &[], &memories);
        assert_eq!(kind, QuestionKind::Personal);
        assert_eq!(
            reply.text,
            "Speaking for myself: In my second year, a broken oven nearly closed my café for a week."
        );
    }

    #[test]
    fn personal_questions_without_a_matching_memory_get_no_invented_experience() {
        let memories = vec![("In her second year, a broken oven nearly closed her café for a week.".to_string(), 0.2)];
        let (kind, reply) = answer(&jane(), "Have you personally done market research?", &[], &memories);
        assert_eq!(kind, QuestionKind::Personal);
        assert!(reply.text.contains("not something I can really speak to"), "{}", reply.text);
    }

    #[test]
    fn first_person_rewrites_subject_and_verbs() {
        let jane = jane();
        assert_eq!(
            first_person(&jane, "She has nine staff and she is proud of them."),
            "I have nine staff and I am proud of them."
        );
        assert_eq!(first_person(&jane, "Jane's mother taught her to bake."), "My mother taught me to bake.");
        assert_eq!(first_person(&jane, "Jane Okafor-Reyes is a baker and is happy."), "I am a baker and am happy.");
        assert_eq!(first_person(&jane, "It took her months."), "It took me months.");
        assert_eq!(
            first_person(&jane, "She still opens the shop herself because she likes the regulars."),
            "I still open the shop myself because I like the regulars."
        );
        assert_eq!(first_person(&jane, "She tries hard and she opened early."), "I try hard and I opened early.");
    }
}
