//! One turn, end to end, with its trace: offline, or as a single model call.
//!
//! This is the first slice of the staged pipeline (DESIGN.md): retrieval from both memories,
//! classification, and an answer from the offline backend. The model-backed stages arrive with
//! the pipeline issue; the trace format already records what DESIGN.md asks every turn to log —
//! how many knowledge chunks and memory items were retrieved.

use serde::{Deserialize, Serialize};

use crate::chat::Reply;
use crate::embed::{Embedder, EmbeddingError};
use crate::facts::{number_facts, Fact};
use crate::knowledge::{KnowledgeBase, MemoryBank, Retrieved};
use crate::model::{ChatMessage, Completion, CompletionRequest};
use crate::offline::{answer, classify, QuestionKind};
use crate::persona::Persona;
use crate::pipeline::{Objectives, StageRecord, Understanding, Verdict};
use crate::prompt::{persona_messages, persona_system_prompt};

/// Retrieval depth for both memories.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrievalConfig {
    pub knowledge_k: usize,
    pub memory_k: usize,
    /// A hit brings the rest of its section when the section has at most this many chunks.
    pub max_section_chunks: usize,
}

impl Default for RetrievalConfig {
    fn default() -> Self {
        // Deep enough that the needed fact is present (DESIGN.md, bug 4).
        RetrievalConfig { knowledge_k: 8, memory_k: 5, max_section_chunks: 3 }
    }
}

/// What one turn did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TurnTrace {
    pub kind: QuestionKind,
    /// Knowledge chunks retrieved (0 is the symptom of DESIGN.md's bug 1, and is logged).
    pub knowledge_retrieved: usize,
    /// Persona memory items retrieved.
    pub memory_retrieved: usize,
    /// Chunk ids retrieved, best first.
    pub chunk_ids: Vec<String>,
    /// Numbers of the facts the reply cites.
    pub facts_cited: Vec<usize>,
    /// Which backend answered.
    pub backend: String,
    /// Every stage run, in start order (the pipeline's timeline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageRecord>,
    /// Times Validate sent the turn back (at most [`crate::pipeline::MAX_RETRIES`]).
    #[serde(default)]
    pub retries: u32,
    /// Time spent retrieving from both memories, in milliseconds.
    #[serde(default)]
    pub retrieval_ms: f64,
    /// The whole turn, in milliseconds.
    #[serde(default)]
    pub total_ms: f64,
    /// The numbered facts the reply cites.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub facts: Vec<Fact>,
    /// Memory items the turn commits.
    #[serde(default)]
    pub memory_updates: usize,
    /// Vet's verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vet: Option<Verdict>,
    /// Establish's understanding (the personal/factual decision is its `kind`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub understanding: Option<Understanding>,
    /// The objectives the reply was written for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<Objectives>,
    /// What the output guard did (a leaked instruction replaced), if anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<String>,
    /// Problems worth a look, such as a factual question that retrieved nothing (DESIGN.md,
    /// bug 1: an index that was never updated shows up here, turn after turn).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl TurnTrace {
    /// The trace of a turn that retrieved `retrieval` and cited `cited`.
    fn new(kind: QuestionKind, retrieval: &Retrieval, cited: &[Fact], backend: String) -> TurnTrace {
        TurnTrace {
            kind,
            knowledge_retrieved: retrieval.knowledge.len(),
            memory_retrieved: retrieval.memories.len() + retrieval.conversations.len(),
            chunk_ids: retrieval.knowledge.iter().map(|r| r.chunk.id.clone()).collect(),
            facts_cited: cited.iter().map(|f| f.number).collect(),
            backend,
            stages: Vec::new(),
            retries: 0,
            retrieval_ms: 0.0,
            total_ms: 0.0,
            facts: cited.to_vec(),
            memory_updates: 0,
            vet: None,
            understanding: None,
            objectives: None,
            guard: None,
            warnings: Vec::new(),
        }
    }
}

/// What both memories returned for one question.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Retrieval {
    /// Article passages, best first (with their small sections, see
    /// [`KnowledgeBase::search_with_sections`]).
    pub knowledge: Vec<Retrieved>,
    /// The persona's own memories and profile statements, with similarity, best first.
    pub memories: Vec<(String, f32)>,
    /// Earlier exchanges with this visitor, with similarity, best first.
    pub conversations: Vec<(String, f32)>,
}

/// The persona's side of retrieval: who she is and what she remembers of this visitor.
pub struct PersonaMemory<'a, M: Embedder = crate::embed::HashEmbedder> {
    /// Profile statements and long-term memories.
    pub own: &'a MemoryBank<M>,
    /// Earlier exchanges with this visitor (see [`conversation_memories`]).
    pub conversations: &'a MemoryBank<M>,
}

/// Both retrievals for `question`: project knowledge, and the persona's own memory.
pub fn retrieve<E: Embedder, M: Embedder>(
    knowledge: &KnowledgeBase<E>,
    memory: &PersonaMemory<'_, M>,
    question: &str,
    config: &RetrievalConfig,
) -> Result<Retrieval, EmbeddingError> {
    Ok(Retrieval {
        knowledge: knowledge.search_with_sections(question, config.knowledge_k, config.max_section_chunks)?,
        memories: memory.own.search(question, config.memory_k),
        conversations: memory.conversations.search(question, config.memory_k),
    })
}

/// The longest excerpt of either side of an exchange kept in conversation memory.
const EXCHANGE_EXCERPT_CHARS: usize = 280;

/// Conversation memory derived from a committed transcript: one statement per exchange (the
/// visitor's message and the persona's reply, each cut to a short excerpt). Derived, never
/// stored on its own, so it always matches what was committed — a rolled-back turn leaves no
/// memory behind.
pub fn conversation_memories(transcript: &crate::chat::Transcript, persona_name: &str) -> Vec<String> {
    let excerpt = |text: &str| {
        let text = crate::text::squash_whitespace(text);
        if text.chars().count() <= EXCHANGE_EXCERPT_CHARS {
            text
        } else {
            format!("{}…", text.chars().take(EXCHANGE_EXCERPT_CHARS).collect::<String>())
        }
    };
    let history: Vec<&crate::chat::Message> = transcript.history().collect();
    history
        .windows(2)
        .filter(|pair| pair[0].role == crate::chat::Role::User && pair[1].role == crate::chat::Role::Assistant)
        .map(|pair| {
            format!(
                "The visitor asked: \"{}\" {persona_name} answered: \"{}\"",
                excerpt(&pair[0].text),
                excerpt(&pair[1].text)
            )
        })
        .collect()
}

/// Answers from what [`retrieve`] returned, with no model.
pub fn answer_offline(persona: &Persona, question: &str, retrieval: &Retrieval) -> (Reply, TurnTrace) {
    let Retrieval { knowledge, memories, .. } = retrieval;
    let (kind, reply) = answer(persona, question, knowledge, memories);
    let trace = TurnTrace::new(kind, retrieval, &reply.facts, "offline".to_string());
    (reply, trace)
}

/// A whole offline turn: retrieve, then answer.
pub fn offline_turn<E: Embedder, M: Embedder>(
    persona: &Persona,
    knowledge: &KnowledgeBase<E>,
    memory: &PersonaMemory<'_, M>,
    question: &str,
    config: &RetrievalConfig,
) -> Result<(Reply, TurnTrace), EmbeddingError> {
    let retrieval = retrieve(knowledge, memory, question, config)?;
    Ok(answer_offline(persona, question, &retrieval))
}

/// The single-call model turn, step one: the completion request for `question`, and the
/// numbered facts the prompt gives the model (to resolve its `[n]` citations afterwards).
pub fn model_request(
    persona: &Persona,
    question: &str,
    retrieval: &Retrieval,
    history: &[ChatMessage],
    model: &str,
) -> (CompletionRequest, Vec<Fact>) {
    let facts = number_facts(retrieval.knowledge.iter().map(|r| &r.chunk));
    let memories: Vec<String> = retrieval.memories.iter().map(|(m, _)| m.clone()).collect();
    let conversations: Vec<String> = retrieval.conversations.iter().map(|(m, _)| m.clone()).collect();
    let system = persona_system_prompt(persona, &facts, &memories, &conversations);
    let request = CompletionRequest {
        model: model.to_string(),
        messages: persona_messages(system, history, question),
        temperature: Some(0.7),
        max_tokens: Some(600),
        json_schema: None,
    };
    (request, facts)
}

/// The single-call model turn, step two: the reply and trace from the model's completion. Only
/// citations of facts the model was actually given are kept.
pub fn model_reply(
    question: &str,
    retrieval: &Retrieval,
    facts: &[Fact],
    completion: Completion,
) -> (Reply, TurnTrace) {
    let cited: Vec<Fact> =
        facts.iter().filter(|f| completion.text.contains(&format!("[{}]", f.number))).cloned().collect();
    let trace = TurnTrace::new(classify(question), retrieval, &cited, format!("model {}", completion.model));
    (Reply { text: completion.text, facts: cited }, trace)
}

/// The committed part of a transcript as model history (greeting and replies as `assistant`).
pub fn history_messages(transcript: &crate::chat::Transcript) -> Vec<ChatMessage> {
    transcript
        .history()
        .map(|m| match m.role {
            crate::chat::Role::User => ChatMessage::user(m.text.clone()),
            crate::chat::Role::Assistant => ChatMessage::assistant(m.text.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Action, Reply, Transcript};
    use crate::embed::HashEmbedder;
    use crate::knowledge::Article;

    fn setup() -> (Persona, KnowledgeBase, MemoryBank, MemoryBank) {
        let persona = Persona::from_card_json(
            r#"{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"Jane",
            "extensions":{"persona_engine":{"memories":["She once waited ninety days to be paid."]}}}}"#,
        )
        .unwrap();
        let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
        knowledge
            .upsert_articles([Article::new("plan", "# Plans\n\nFirms with a formal written plan grew 30% faster.\n")])
            .unwrap();
        let memory = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
        (persona, knowledge, memory, MemoryBank::new(HashEmbedder::default(), []))
    }

    #[test]
    fn model_turn_puts_facts_in_the_prompt_and_keeps_only_real_citations() {
        let (persona, knowledge, own, conversations) = setup();
        let memory = PersonaMemory { own: &own, conversations: &conversations };
        let question = "How much faster did firms with a written plan grow?";
        let retrieval = retrieve(&knowledge, &memory, question, &RetrievalConfig::default()).unwrap();
        let mut history = Transcript::with_greeting("Hi!");
        history.apply(Action::Send { id: "m1".into(), text: "pending, not history".into() }).unwrap();
        let (request, facts) = model_request(&persona, question, &retrieval, &history_messages(&history), "m");
        assert_eq!(request.model, "m");
        let roles: Vec<&str> = request.messages.iter().map(|m| m.role.as_str()).collect();
        assert_eq!(roles, ["system", "assistant", "user"]);
        assert!(request.messages[0].content.contains("[1] Firms with a formal written plan grew 30% faster."));

        let completion = Completion {
            text: "They grew 30% faster [1], trust me [7].".into(),
            model: "m-1".into(),
            prompt_tokens: Some(10),
            completion_tokens: Some(5),
        };
        let (reply, trace) = model_reply(question, &retrieval, &facts, completion);
        assert_eq!(reply.facts.len(), 1, "[7] names no fact the model was given");
        assert_eq!(trace.facts_cited, [1]);
        assert_eq!(trace.backend, "model m-1");
        assert_eq!(trace.knowledge_retrieved, 1);
    }

    #[test]
    fn offline_turn_logs_retrieval_counts() {
        let (persona, knowledge, own, conversations) = setup();
        let memory = PersonaMemory { own: &own, conversations: &conversations };
        let (_, trace) =
            offline_turn(&persona, &knowledge, &memory, "Were you ever paid late?", &RetrievalConfig::default())
                .unwrap();
        assert_eq!(trace.backend, "offline");
        assert_eq!(trace.knowledge_retrieved, 1);
        assert!(trace.memory_retrieved >= 1);
    }

    #[test]
    fn conversation_memory_is_derived_from_committed_exchanges_only() {
        let mut transcript = Transcript::with_greeting("Hi, I'm Jane.");
        transcript.apply(Action::Send { id: "m1".into(), text: "Do you sell sourdough?".into() }).unwrap();
        transcript
            .apply(Action::Commit { id: "m1".into(), reply: Reply { text: "Every morning.".into(), facts: vec![] } })
            .unwrap();
        transcript.apply(Action::Send { id: "m2".into(), text: "rolled back".into() }).unwrap();
        transcript.apply(Action::Fail { id: "m2".into(), error: "503".into() }).unwrap();
        transcript.apply(Action::Send { id: "m3".into(), text: "x".repeat(1000) }).unwrap();
        transcript
            .apply(Action::Commit { id: "m3".into(), reply: Reply { text: "ok".into(), facts: vec![] } })
            .unwrap();
        let memories = conversation_memories(&transcript, "Jane");
        assert_eq!(memories.len(), 2, "{memories:#?}");
        assert_eq!(memories[0], "The visitor asked: \"Do you sell sourdough?\" Jane answered: \"Every morning.\"");
        assert!(memories[1].chars().count() < 400, "long messages are cut to excerpts");

        let (persona, knowledge, own, mut conversations) = setup();
        for memory in memories {
            conversations.remember(memory);
        }
        let memory = PersonaMemory { own: &own, conversations: &conversations };
        let retrieval =
            retrieve(&knowledge, &memory, "what did I ask about sourdough?", &RetrievalConfig::default()).unwrap();
        assert_eq!(retrieval.conversations.len(), 1);
        let (request, _) = model_request(&persona, "and on Sundays?", &retrieval, &[], "m");
        assert!(request.messages[0].content.contains("Earlier in your conversations with this visitor"));
        let (_, trace) = answer_offline(&persona, "what did I ask about sourdough?", &retrieval);
        assert_eq!(trace.memory_retrieved, retrieval.memories.len() + 1, "both kinds of memory are counted");
    }
}
