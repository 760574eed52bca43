//! `persona ask --endpoint`: one grounded reply from a real model.
//!
//! This is the single-call precursor of the staged pipeline: retrieval from both memories,
//! numbered facts, the system prompt from [`persona_core::prompt`], one completion. The reply's
//! `[n]` citations are resolved against the facts the model was given.

use persona_core::chat::Reply;
use persona_core::embed::{BatchEmbedder, EmbedError, Embedder, Embedding};
use persona_core::knowledge::KnowledgeBase;
use persona_core::model::ChatModel;
use persona_core::persona::Persona;
use persona_core::turn::{model_reply, model_request, retrieve, PersonaMemory, RetrievalConfig, TurnTrace};
use persona_model::{EndpointConfig, OpenAiChatModel, OpenAiEmbedder};

use crate::eval::QueryEmbedder;

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())
}

/// An OpenAI-compatible `/v1/embeddings` embedder, driven from blocking code.
pub struct RemoteEmbedder {
    inner: OpenAiEmbedder,
    runtime: tokio::runtime::Runtime,
}

impl RemoteEmbedder {
    pub fn new(config: EndpointConfig, dim: usize) -> Result<Self, String> {
        Ok(RemoteEmbedder { inner: OpenAiEmbedder::new(config, dim).map_err(|e| e.to_string())?, runtime: runtime()? })
    }
}

impl BatchEmbedder for RemoteEmbedder {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn dim(&self) -> usize {
        self.inner.dim()
    }

    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Embedding>, EmbedError> {
        self.inner.embed_batch(texts).await
    }
}

impl QueryEmbedder for RemoteEmbedder {
    fn embed_chunks(&self, texts: &[String]) -> Result<Vec<Embedding>, String> {
        self.runtime.block_on(self.inner.embed_batch(texts)).map_err(|e| e.to_string())
    }

    fn embed_queries(knowledge: &KnowledgeBase<Self>, texts: &[String]) -> Result<Vec<Embedding>, String> {
        knowledge.embedder().embed_chunks(texts)
    }
}

pub fn ask<E: Embedder, M: Embedder>(
    persona: &Persona,
    knowledge: &KnowledgeBase<E>,
    memory: &PersonaMemory<'_, M>,
    question: &str,
    config: EndpointConfig,
) -> Result<(Reply, TurnTrace), String> {
    let retrieval = retrieve(knowledge, memory, question, &RetrievalConfig::default()).map_err(|e| e.to_string())?;
    let (request, facts) = model_request(persona, question, &retrieval, &[], &config.model);
    let model = OpenAiChatModel::new(config).map_err(|e| e.to_string())?;
    let completion = runtime()?.block_on(model.complete(&request)).map_err(|e| e.to_string())?;
    Ok(model_reply(question, &retrieval, &facts, completion))
}
