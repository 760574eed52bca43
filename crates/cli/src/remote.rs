//! `persona ask --endpoint`: one grounded reply from a real model.
//!
//! This is the single-call precursor of the staged pipeline: retrieval from both memories,
//! numbered facts, the system prompt from [`persona_core::prompt`], one completion. The reply's
//! `[n]` citations are resolved against the facts the model was given.

use persona_core::chat::Reply;
use persona_core::embed::Embedder;
use persona_core::facts::number_facts;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::model::{ChatModel, CompletionRequest};
use persona_core::offline::classify;
use persona_core::persona::Persona;
use persona_core::prompt::{persona_messages, persona_system_prompt};
use persona_core::turn::{retrieve, RetrievalConfig, TurnTrace};
use persona_model::{EndpointConfig, OpenAiChatModel};

pub fn ask<E: Embedder, M: Embedder>(
    persona: &Persona,
    knowledge: &KnowledgeBase<E>,
    memory: &MemoryBank<M>,
    question: &str,
    config: EndpointConfig,
) -> Result<(Reply, TurnTrace), String> {
    let retrieval = retrieve(knowledge, memory, question, &RetrievalConfig::default()).map_err(|e| e.to_string())?;
    let facts = number_facts(retrieval.knowledge.iter().map(|r| &r.chunk));
    let memories: Vec<String> = retrieval.memories.iter().map(|(m, _)| m.clone()).collect();
    let system = persona_system_prompt(persona, &facts, &memories);
    let request = CompletionRequest {
        model: config.model.clone(),
        messages: persona_messages(system, &[], question),
        temperature: Some(0.7),
        max_tokens: Some(600),
    };
    let model = OpenAiChatModel::new(config).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let completion = runtime.block_on(model.complete(&request)).map_err(|e| e.to_string())?;

    let cited: Vec<_> =
        facts.iter().filter(|f| completion.text.contains(&format!("[{}]", f.number))).cloned().collect();
    let trace = TurnTrace {
        kind: classify(question),
        knowledge_retrieved: retrieval.knowledge.len(),
        memory_retrieved: retrieval.memories.len(),
        chunk_ids: retrieval.knowledge.iter().map(|r| r.chunk.id.clone()).collect(),
        facts_cited: cited.iter().map(|f| f.number).collect(),
        backend: format!("model {}", completion.model),
    };
    Ok((Reply { text: completion.text, facts: cited }, trace))
}
