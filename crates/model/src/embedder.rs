//! The embeddings client: [`OpenAiEmbedder`].

use persona_core::embed::{BatchEmbedder, EmbedError, Embedding};

use crate::config::{ConfigError, EndpointConfig};
use crate::response::{embed_error, redact_embed, vectors_from_body};
use crate::transport::Transport;
use crate::wire::{EmbeddingRequest, ENCODING_FLOAT};

/// How many texts [`OpenAiEmbedder`] sends per request unless told otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 64;

/// A [`BatchEmbedder`] backed by an OpenAI-compatible `/embeddings` endpoint.
///
/// Texts go out in batches of at most [`batch_size`](OpenAiEmbedder::batch_size), one request
/// after the other; the vectors come back in input order (by each item's `index`, whatever order
/// the server sends them in), scaled to unit length and tagged with [`id`](BatchEmbedder::id),
/// `openai:<model>:<dim>`. The first failed batch fails the whole call; the counts of an
/// [`EmbedError::WrongCount`] are that batch's.
///
/// Works natively (tokio, rustls) and in the browser (`fetch`); cloning is cheap and shares
/// the connection pool. The endpoint's timeout applies to each request.
#[derive(Clone, Debug)]
pub struct OpenAiEmbedder {
    transport: Transport,
    id: String,
    dim: usize,
    batch_size: usize,
    send_dimensions: bool,
}

impl OpenAiEmbedder {
    /// An embedder for `config`, whose `model` is the embedding model, expecting vectors of
    /// `dim` numbers; with its own connection pool.
    pub fn new(config: EndpointConfig, dim: usize) -> Result<Self, ConfigError> {
        OpenAiEmbedder::with_client(config, dim, Transport::default_client()?)
    }

    /// An embedder for `config` that shares an existing `reqwest::Client` (and its pool).
    pub fn with_client(config: EndpointConfig, dim: usize, client: reqwest::Client) -> Result<Self, ConfigError> {
        if dim == 0 {
            return Err(ConfigError::ZeroDimension);
        }
        if config.model.trim().is_empty() {
            return Err(ConfigError::MissingModel);
        }
        let url = config.embeddings_url()?;
        let id = format!("openai:{}:{dim}", config.model);
        Ok(OpenAiEmbedder {
            transport: Transport::new(config, url, client)?,
            id,
            dim,
            batch_size: DEFAULT_BATCH_SIZE,
            send_dimensions: false,
        })
    }

    /// Sends at most `batch_size` texts per request (builder style); 0 counts as 1.
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// Whether requests carry `"dimensions": dim` (builder style; off by default).
    ///
    /// Turn it on for models that can shorten their vectors (OpenAI's `text-embedding-3-*`).
    /// Leave it off for servers that reject the field or ignore it (Ollama, llama.cpp): the
    /// vectors' length is checked either way.
    pub fn with_send_dimensions(mut self, send: bool) -> Self {
        self.send_dimensions = send;
        self
    }

    /// The endpoint this embedder talks to.
    pub fn config(&self) -> &EndpointConfig {
        self.transport.config()
    }

    /// The most texts sent in one request.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Whether requests carry `dimensions`.
    pub fn sends_dimensions(&self) -> bool {
        self.send_dimensions
    }

    /// The wire request for one batch of `texts`.
    pub fn wire_request(&self, texts: &[String]) -> EmbeddingRequest {
        EmbeddingRequest {
            model: self.config().model.clone(),
            input: texts.to_vec(),
            encoding_format: Some(ENCODING_FLOAT.to_owned()),
            dimensions: self.send_dimensions.then_some(self.dim),
        }
    }

    /// One request for one batch: its vectors, unit-length and in input order.
    async fn embed_one_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let body = self.wire_request(texts);
        let bytes = self.transport.post_json(&body).await.map_err(embed_error)?;
        vectors_from_body(&bytes, texts.len(), self.dim)
    }

    async fn embed_all(&self, texts: &[String]) -> Result<Vec<Embedding>, EmbedError> {
        let mut embeddings = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.batch_size) {
            let vectors = self.embed_one_batch(batch).await?;
            embeddings.extend(vectors.into_iter().map(|vector| Embedding { embedder: self.id.clone(), vector }));
        }
        Ok(embeddings)
    }
}

impl BatchEmbedder for OpenAiEmbedder {
    /// `openai:<model>:<dim>`, so vectors of different models or dimensions never mix.
    fn id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    /// Embeds `texts` in batches; no request at all for an empty slice.
    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Embedding>, EmbedError> {
        self.embed_all(texts).await.map_err(|error| redact_embed(error, self.transport.secret()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn embedder() -> OpenAiEmbedder {
        OpenAiEmbedder::new(EndpointConfig::new("http://127.0.0.1:1/v1", "nomic-embed-text"), 768).unwrap()
    }

    #[test]
    fn id_names_model_and_dimension() {
        let embedder = embedder();
        assert_eq!(BatchEmbedder::id(&embedder), "openai:nomic-embed-text:768");
        assert_eq!(BatchEmbedder::dim(&embedder), 768);
        assert_eq!(embedder.batch_size(), DEFAULT_BATCH_SIZE);
        assert!(!embedder.sends_dimensions());
    }

    #[test]
    fn wire_request_sends_dimensions_only_when_asked() {
        let texts = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            serde_json::to_value(embedder().wire_request(&texts)).unwrap(),
            json!({"model": "nomic-embed-text", "input": ["a", "b"], "encoding_format": "float"})
        );
        let asked = embedder().with_send_dimensions(true).wire_request(&texts);
        assert_eq!(asked.dimensions, Some(768));
    }

    #[test]
    fn batch_size_is_at_least_one() {
        assert_eq!(embedder().with_batch_size(0).batch_size(), 1);
        assert_eq!(embedder().with_batch_size(10).batch_size(), 10);
    }

    #[test]
    fn unusable_configurations_are_rejected() {
        let config = EndpointConfig::new("http://127.0.0.1:1/v1", "e");
        assert_eq!(OpenAiEmbedder::new(config.clone(), 0).unwrap_err(), ConfigError::ZeroDimension);
        let no_model = EndpointConfig::new("http://127.0.0.1:1/v1", " ");
        assert_eq!(OpenAiEmbedder::new(no_model, 8).unwrap_err(), ConfigError::MissingModel);
        assert!(matches!(
            OpenAiEmbedder::new(EndpointConfig::new("ftp://h/v1", "e"), 8),
            Err(ConfigError::UnsupportedScheme(_))
        ));
        assert_eq!(OpenAiEmbedder::new(config.with_api_key("sk-\n"), 8).unwrap_err(), ConfigError::InvalidApiKey);
    }
}
