//! One offline turn, end to end, with its trace.
//!
//! This is the first slice of the staged pipeline (DESIGN.md): retrieval from both memories,
//! classification, and an answer from the offline backend. The model-backed stages arrive with
//! the pipeline issue; the trace format already records what DESIGN.md asks every turn to log —
//! how many knowledge chunks and memory items were retrieved.

use serde::{Deserialize, Serialize};

use crate::chat::Reply;
use crate::embed::{Embedder, EmbeddingError};
use crate::knowledge::{KnowledgeBase, MemoryBank, Retrieved};
use crate::offline::{answer, QuestionKind};
use crate::persona::Persona;

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
        RetrievalConfig { knowledge_k: 6, memory_k: 5, max_section_chunks: 3 }
    }
}

/// What one turn did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// What both memories returned for one question.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Retrieval {
    /// Article passages, best first (with their small sections, see
    /// [`KnowledgeBase::search_with_sections`]).
    pub knowledge: Vec<Retrieved>,
    /// The persona's own memories and profile statements, with similarity, best first.
    pub memories: Vec<(String, f32)>,
}

/// Both retrievals for `question`.
pub fn retrieve<E: Embedder, M: Embedder>(
    knowledge: &KnowledgeBase<E>,
    memory: &MemoryBank<M>,
    question: &str,
    config: &RetrievalConfig,
) -> Result<Retrieval, EmbeddingError> {
    Ok(Retrieval {
        knowledge: knowledge.search_with_sections(question, config.knowledge_k, config.max_section_chunks)?,
        memories: memory.search(question, config.memory_k),
    })
}

/// Answers from what [`retrieve`] returned, with no model.
pub fn answer_offline(persona: &Persona, question: &str, retrieval: &Retrieval) -> (Reply, TurnTrace) {
    let Retrieval { knowledge, memories } = retrieval;
    let (kind, reply) = answer(persona, question, knowledge, memories);
    let trace = TurnTrace {
        kind,
        knowledge_retrieved: knowledge.len(),
        memory_retrieved: memories.len(),
        chunk_ids: knowledge.iter().map(|r| r.chunk.id.clone()).collect(),
        facts_cited: reply.facts.iter().map(|f| f.number).collect(),
        backend: "offline".to_string(),
    };
    (reply, trace)
}

/// A whole offline turn: retrieve, then answer.
pub fn offline_turn<E: Embedder, M: Embedder>(
    persona: &Persona,
    knowledge: &KnowledgeBase<E>,
    memory: &MemoryBank<M>,
    question: &str,
    config: &RetrievalConfig,
) -> Result<(Reply, TurnTrace), EmbeddingError> {
    let retrieval = retrieve(knowledge, memory, question, config)?;
    Ok(answer_offline(persona, question, &retrieval))
}
