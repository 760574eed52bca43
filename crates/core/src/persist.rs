//! What the engine stores, and the one batch each operation writes.
//!
//! Every function here builds a [`Batch`] (applied atomically by a [`Store`]) or reads records
//! back; none touches a store half-way. The schema is [`Table`]'s; [`SCHEMA_VERSION`] names it,
//! and `persona-idb` migrates older databases to it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::bm25::{Bm25Config, Bm25Index};
use crate::chat::{Message, Status, Transcript};
use crate::chunk::{title_of, Chunk, ChunkConfig};
use crate::embed::{BatchEmbedder, Embedder};
use crate::index::{IndexConfig, VectorIndex};
use crate::knowledge::{Article, KnowledgeBase, KnowledgeError, SearchConfig, UpsertReport};
use crate::store::{load_all, Batch, Store, StoreError, Table, Value};
use crate::text::fnv1a64;

/// The schema version this build writes. Version 1 stored a conversation as one record holding
/// its whole transcript as JSON text, and had a `blobs` store; version 2 is [`Table`].
pub const SCHEMA_VERSION: u32 = 2;

/// A conversation's header; its messages are records of [`Table::Messages`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRecord {
    pub id: String,
    /// The persona it is held with (`None`: the default persona, as in schema 1).
    #[serde(default)]
    pub persona_id: Option<String>,
    #[serde(default)]
    pub title: String,
    /// Committed messages so far; the next message gets this sequence number.
    pub message_count: u32,
}

impl ConversationRecord {
    pub fn new(id: impl Into<String>, persona_id: Option<String>) -> Self {
        ConversationRecord { id: id.into(), persona_id, title: String::new(), message_count: 0 }
    }
}

/// A memory the persona keeps: about itself, or about an exchange with the visitor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryRecord {
    /// `<owner>/<id>`: the owner is a persona id or a conversation id.
    pub key: String,
    pub text: String,
}

/// The key of a conversation's message number `seq`: zero-padded, so key order is message order.
pub fn message_key(conversation_id: &str, seq: u32) -> String {
    format!("{conversation_id}/{seq:08}")
}

/// The prefix of all of a conversation's keys in [`Table::Messages`] and [`Table::Traces`].
pub fn conversation_prefix(conversation_id: &str) -> String {
    format!("{conversation_id}/")
}

/// Committing a turn: the user's message and the reply (committed, `Sent`), the turn's trace
/// and any memory updates, and the conversation header, in one batch. Returns the header as
/// it will be stored. A turn that rolls back calls nothing here: it writes nothing.
pub fn commit_turn<T: Serialize>(
    conversation: &ConversationRecord,
    messages: &[&Message],
    trace: Option<(&str, &T)>,
    memories: &[MemoryRecord],
) -> (Batch, ConversationRecord) {
    let mut batch = Batch::new();
    let mut header = conversation.clone();
    for message in messages {
        let mut stored = (*message).clone();
        stored.status = Status::Sent;
        batch.put_json(Table::Messages, message_key(&header.id, header.message_count), &stored);
        header.message_count += 1;
    }
    if let Some((message_id, trace)) = trace {
        batch.put_json(Table::Traces, format!("{}{message_id}", conversation_prefix(&header.id)), trace);
    }
    for memory in memories {
        batch.put_json(Table::Memories, memory.key.clone(), memory);
    }
    batch.put_json(Table::Conversations, header.id.clone(), &header);
    (batch, header)
}

/// Saving a whole transcript's committed messages (a new conversation, an import, a migration):
/// the header and every `Sent` message, replacing whatever the conversation held.
pub fn save_conversation(conversation: &ConversationRecord, transcript: &Transcript) -> (Batch, ConversationRecord) {
    let mut batch = Batch::new();
    batch.delete_prefix(Table::Messages, conversation_prefix(&conversation.id));
    let committed: Vec<&Message> = transcript.messages.iter().filter(|m| m.status == Status::Sent).collect();
    let (turn, header) =
        commit_turn::<()>(&ConversationRecord { message_count: 0, ..conversation.clone() }, &committed, None, &[]);
    batch.extend(turn);
    (batch, header)
}

/// Deleting a conversation: header, messages, traces and the memories it owns.
pub fn delete_conversation(conversation_id: &str) -> Batch {
    let prefix = conversation_prefix(conversation_id);
    let mut batch = Batch::new();
    batch
        .delete(Table::Conversations, conversation_id)
        .delete_prefix(Table::Messages, prefix.clone())
        .delete_prefix(Table::Traces, prefix.clone())
        .delete_prefix(Table::Memories, prefix);
    batch
}

/// A stored conversation: its header and committed transcript (no draft).
pub async fn load_conversation(
    store: &impl Store,
    conversation_id: &str,
) -> Result<Option<(ConversationRecord, Transcript)>, StoreError> {
    let Some(header) = store.get(Table::Conversations, conversation_id).await? else { return Ok(None) };
    let header: ConversationRecord = header.decode(&format!("conversation `{conversation_id}`"))?;
    let messages: Vec<Message> = load_all(store, Table::Messages, &conversation_prefix(conversation_id)).await?;
    if messages.len() != header.message_count as usize {
        return Err(StoreError::Corrupt(format!(
            "conversation `{conversation_id}` lists {} messages but {} are stored",
            header.message_count,
            messages.len()
        )));
    }
    Ok(Some((header, Transcript { messages, draft: String::new() })))
}

/// Schema 1 → 2 for one conversation: its record held `{ id, transcript }` with the transcript
/// as JSON text. Returns the batch that writes it in the version 2 layout.
pub fn migrate_v1_conversation(id: &str, transcript_json: &str) -> Result<Batch, StoreError> {
    let transcript: Transcript = serde_json::from_str(transcript_json)
        .map_err(|e| StoreError::Corrupt(format!("schema 1 conversation `{id}`: {e}")))?;
    Ok(save_conversation(&ConversationRecord::new(id, None), &transcript).0)
}

/// An article as stored: its source and a hash of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleRecord {
    pub article: Article,
    pub source_hash: u64,
}

impl ArticleRecord {
    pub fn new(article: &Article) -> ArticleRecord {
        ArticleRecord { article: article.clone(), source_hash: fnv1a64(article.source.as_bytes()) }
    }
}

/// A chunk as stored, under its article's key in [`Table::Chunks`] (one record per article: a
/// save writes one, a restore reads a few hundred rather than tens of thousands). The body is
/// not repeated: it is the article's source between the offsets, and the id — a content hash —
/// proves it on restore ([`Chunk::from_source`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChunk {
    pub id: String,
    #[serde(default)]
    pub headings: Vec<String>,
    pub start: usize,
    pub end: usize,
}

/// An article's chunks as stored, in article order.
fn stored_chunks<E: BatchEmbedder>(kb: &KnowledgeBase<E>, article_id: &str) -> Vec<StoredChunk> {
    let mut chunks: Vec<&Chunk> = kb.chunks_of(article_id).collect();
    chunks.sort_by_key(|c| c.start);
    chunks
        .into_iter()
        .map(|c| StoredChunk { id: c.id.clone(), headings: c.headings.clone(), start: c.start, end: c.end })
        .collect()
}

/// Every article's chunks as stored, in article order, from one pass over the chunks
/// (`stored_chunks` per article would scan all of them once per article).
fn stored_chunks_by_article<E: BatchEmbedder>(kb: &KnowledgeBase<E>) -> BTreeMap<&str, Vec<StoredChunk>> {
    let mut grouped: BTreeMap<&str, Vec<StoredChunk>> = BTreeMap::new();
    for c in kb.chunks() {
        grouped.entry(c.article_id.as_str()).or_default().push(StoredChunk {
            id: c.id.clone(),
            headings: c.headings.clone(),
            start: c.start,
            end: c.end,
        });
    }
    grouped.values_mut().for_each(|list| list.sort_by_key(|c| c.start));
    grouped
}

fn put_article(article: &Article, chunks: &[StoredChunk], batch: &mut Batch) {
    batch.put_json(Table::Articles, article.id.clone(), &ArticleRecord::new(article));
    batch.put_json(Table::Chunks, article.id.clone(), chunks);
}

/// Names of the index segments in [`Table::IndexSegments`].
pub mod segment {
    /// The HNSW base graph with its quantised codes ([`crate::index::VectorIndex::base_segment`]).
    pub const VECTOR_BASE: &str = "vector/base";
    /// The base's exact vectors ([`crate::index::VectorIndex::exact_segment`]), read after the
    /// rest so the first search does not wait for the largest segment.
    pub const VECTOR_EXACT: &str = "vector/exact";
    /// The exact delta and tombstones ([`crate::index::VectorIndex::delta_segment`]).
    pub const VECTOR_DELTA: &str = "vector/delta";
    /// A BM25 snapshot (postcard); chunks saved since are replayed on restore.
    pub const LEXICAL: &str = "lexical";
    /// The tag of the stored base (JSON number), read before a save to tell whether the base
    /// segments must be written too (cheaper than reading the base itself).
    pub const BASE_TAG: &str = "vector/base-tag";
    /// Every article with its chunk list, as one binary record (postcard), written with the
    /// base: a restore reads it in one go instead of hundreds of text records.
    pub const CONTENT: &str = "content/base";
    /// Ids of the articles saved or deleted since [`CONTENT`] was written (JSON list): a
    /// restore reads those from the article and chunk tables.
    pub const CONTENT_CHANGED: &str = "content/changed";
}

/// Why saving knowledge failed. The knowledge base in memory is as it was before.
#[derive(Debug, Error, PartialEq)]
pub enum SaveError {
    #[error(transparent)]
    Knowledge(#[from] KnowledgeError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The batch that replaces all stored knowledge with `kb`: every article and chunk, both
/// vector segments and a BM25 snapshot (a first save, a merge, a repair, an import).
pub fn knowledge_snapshot<E: BatchEmbedder>(kb: &KnowledgeBase<E>) -> Batch {
    let grouped = stored_chunks_by_article(kb);
    let mut batch = Batch::new();
    batch.clear(Table::Articles).clear(Table::Chunks).clear(Table::IndexSegments);
    for article in kb.articles() {
        put_article(article, grouped.get(article.id.as_str()).map_or(&[], Vec::as_slice), &mut batch);
    }
    segments(kb, &mut batch, Some(&grouped), &BTreeSet::new());
    batch
}

/// The vector delta segment, and either the base segments with the content segment (`base`:
/// every article's stored chunks, when the base is written) or the list of articles changed
/// since the content segment (`changed`).
fn segments<E: BatchEmbedder>(
    kb: &KnowledgeBase<E>,
    batch: &mut Batch,
    base: Option<&BTreeMap<&str, Vec<StoredChunk>>>,
    changed: &BTreeSet<String>,
) {
    let index = kb.vector_index();
    match base {
        Some(grouped) => {
            let content: Vec<(ArticleRecord, &[StoredChunk])> = kb
                .articles()
                .map(|a| (ArticleRecord::new(a), grouped.get(a.id.as_str()).map_or(&[][..], Vec::as_slice)))
                .collect();
            let content = postcard::to_allocvec(&content).expect("content always serialises");
            batch.put(Table::IndexSegments, segment::CONTENT, Value::Bytes(content));
            batch.put_json(Table::IndexSegments, segment::CONTENT_CHANGED, &Vec::<String>::new());
            batch.put(Table::IndexSegments, segment::VECTOR_BASE, Value::Bytes(index.base_segment()));
            // Pending exact vectors are already stored under this base's tag (a base only
            // changes by a merge, which loads them first).
            if let Some(exact) = index.exact_segment() {
                batch.put(Table::IndexSegments, segment::VECTOR_EXACT, Value::Bytes(exact));
            }
            batch.put_json(Table::IndexSegments, segment::BASE_TAG, &index.base_tag().to_string());
            let lexical = postcard::to_allocvec(&kb.lexical_index().snapshot()).expect("a snapshot always serialises");
            batch.put(Table::IndexSegments, segment::LEXICAL, Value::Bytes(lexical));
        }
        None => {
            batch.put_json(Table::IndexSegments, segment::CONTENT_CHANGED, changed);
        }
    }
    batch.put(Table::IndexSegments, segment::VECTOR_DELTA, Value::Bytes(index.delta_segment()));
}

/// What the store holds for some articles before a change, to write the difference and to
/// undo the change in memory if the store refuses it.
struct Before {
    articles: Vec<(String, Option<Article>)>,
    /// The tag of the base segment the store holds, if any.
    stored_base: Option<u64>,
    /// Articles changed since the stored content segment.
    changed: BTreeSet<String>,
}

impl Before {
    async fn of<E: BatchEmbedder>(
        store: &impl Store,
        kb: &KnowledgeBase<E>,
        ids: impl IntoIterator<Item = String>,
    ) -> Result<Before, StoreError> {
        let articles = ids.into_iter().map(|id| (id.clone(), kb.article(&id).cloned())).collect();
        let (tag, changed) = futures::join!(
            store.get(Table::IndexSegments, segment::BASE_TAG),
            store.get(Table::IndexSegments, segment::CONTENT_CHANGED),
        );
        let stored_base = match tag? {
            Some(tag) => tag.decode::<String>("base tag")?.parse().ok(),
            None => None,
        };
        let changed = match changed? {
            Some(list) => list.decode("changed articles")?,
            None => BTreeSet::new(),
        };
        Ok(Before { articles, stored_base, changed })
    }

    /// The writes that bring the store from this state to `kb`'s.
    fn batch<E: BatchEmbedder>(&self, kb: &KnowledgeBase<E>) -> Batch {
        let mut batch = Batch::new();
        for (id, _) in &self.articles {
            match kb.article(id) {
                Some(article) => put_article(article, &stored_chunks(kb, id), &mut batch),
                None => {
                    batch.delete(Table::Articles, id.clone()).delete(Table::Chunks, id.clone());
                }
            }
        }
        // A first save, or an upsert that merged the delta into a new base, writes the base
        // segments too.
        let mut changed = self.changed.clone();
        changed.extend(self.articles.iter().map(|(id, _)| id.clone()));
        let with_base = self.stored_base != Some(kb.vector_index().base_tag());
        let grouped = with_base.then(|| stored_chunks_by_article(kb));
        segments(kb, &mut batch, grouped.as_ref(), &changed);
        batch
    }

    /// Writes the change; if the store refuses it, puts `kb` back as it was.
    async fn commit<E: Embedder>(self, store: &impl Store, kb: &mut KnowledgeBase<E>) -> Result<(), SaveError> {
        if let Err(error) = store.apply(&self.batch(kb)).await {
            self.undo(kb);
            return Err(error.into());
        }
        Ok(())
    }

    /// Puts the articles back as they were (their chunks keep their vectors: same content,
    /// same ids).
    fn undo<E: Embedder>(self, kb: &mut KnowledgeBase<E>) {
        let mut restore = Vec::new();
        for (id, article) in self.articles {
            match article {
                Some(article) => restore.push(article),
                None => {
                    kb.remove_article(&id);
                }
            }
        }
        kb.upsert_articles(restore).expect("the previous versions were indexed before");
    }
}

/// Saves articles: chunks, embeds and indexes them in `kb`, then writes the articles, their
/// new chunks, the deletion of their old chunks and the index change in **one batch**. If the
/// store refuses it, `kb` is put back as it was: memory and store never disagree.
pub async fn save_articles<E: Embedder>(
    store: &impl Store,
    kb: &mut KnowledgeBase<E>,
    articles: Vec<Article>,
) -> Result<UpsertReport, SaveError> {
    let before = Before::of(store, kb, articles.iter().map(|a| a.id.clone())).await?;
    let report = kb.upsert_articles(articles)?;
    before.commit(store, kb).await?;
    Ok(report)
}

/// Deletes an article with its chunks and index entries, in memory and in the store together.
pub async fn delete_article<E: Embedder>(
    store: &impl Store,
    kb: &mut KnowledgeBase<E>,
    article_id: &str,
) -> Result<bool, SaveError> {
    if kb.article(article_id).is_none() {
        return Ok(false);
    }
    let before = Before::of(store, kb, [article_id.to_string()]).await?;
    kb.remove_article(article_id);
    before.commit(store, kb).await?;
    Ok(true)
}

/// Merges the vector delta into a new base graph and stores the new segments (call when
/// [`crate::index::VectorIndex::needs_merge`] says so, at an idle moment).
pub async fn compact<E: Embedder>(store: &impl Store, kb: &mut KnowledgeBase<E>) -> Result<(), StoreError> {
    let before = kb.vector_index().base_tag();
    kb.merge_index();
    if kb.vector_index().base_tag() == before {
        return Ok(());
    }
    let mut batch = Batch::new();
    segments(kb, &mut batch, Some(&stored_chunks_by_article(kb)), &BTreeSet::new());
    store.apply(&batch).await
}

/// An article and its chunk list (`None`: the list is missing).
type ContentEntry = (ArticleRecord, Option<Vec<StoredChunk>>);

/// Every stored article with its chunk list — from the content segment plus the articles
/// changed since, when the segment is there and readable, otherwise from the tables — and how
/// many chunk lists belong to no article.
async fn read_content(store: &impl Store) -> Result<(Vec<ContentEntry>, usize), StoreError> {
    let (content, changed) = futures::join!(
        store.get(Table::IndexSegments, segment::CONTENT),
        store.get(Table::IndexSegments, segment::CONTENT_CHANGED),
    );
    let segment: Option<Vec<(ArticleRecord, Vec<StoredChunk>)>> =
        match content?.map(|v| v.into_bytes("content segment")).transpose()? {
            Some(bytes) => postcard::from_bytes(&bytes).ok(),
            None => None,
        };
    let changed: Option<Vec<String>> = changed?.map(|v| v.decode("changed articles")).transpose()?;
    let (Some(segment), Some(changed)) = (segment, changed) else { return read_content_tables(store).await };
    let mut entries: BTreeMap<String, ContentEntry> =
        segment.into_iter().map(|(record, list)| (record.article.id.clone(), (record, Some(list)))).collect();
    let reads = changed.iter().map(|id| async move {
        let (record, list) = futures::join!(store.get(Table::Articles, id), store.get(Table::Chunks, id));
        Ok::<_, StoreError>((id, record?, list?))
    });
    for read in futures::future::join_all(reads).await {
        let (id, record, list) = read?;
        match record {
            Some(record) => {
                let record: ArticleRecord = record.decode(&format!("article `{id}`"))?;
                let list = list.map(|l| l.decode(&format!("chunks of `{id}`"))).transpose()?;
                entries.insert(id.clone(), (record, list));
            }
            None => {
                entries.remove(id);
            }
        }
    }
    Ok((entries.into_values().collect(), 0))
}

/// [`read_content`] from the article and chunk tables alone.
async fn read_content_tables(store: &impl Store) -> Result<(Vec<ContentEntry>, usize), StoreError> {
    let (records, lists) =
        futures::join!(load_all::<ArticleRecord>(store, Table::Articles, ""), store.scan(Table::Chunks, ""));
    let mut lists: std::collections::HashMap<String, Value> = lists?.into_iter().collect();
    let mut entries = Vec::new();
    for record in records? {
        let list = lists.remove(&record.article.id);
        let list = list.map(|l| l.decode(&format!("chunks of `{}`", record.article.id))).transpose()?;
        entries.push((record, list));
    }
    Ok((entries, lists.len()))
}

/// The article records and chunks of the stored content, rebuilt from each article's text and
/// checked against the stored hashes; what did not match, as problems.
fn rebuild_chunks(content: Vec<ContentEntry>, orphans: usize) -> (Vec<ArticleRecord>, Vec<Chunk>, Vec<String>) {
    let mut problems: Vec<String> = Vec::new();
    if orphans > 0 {
        problems.push(format!("{orphans} chunk lists belong to no article"));
    }
    let mut records: Vec<ArticleRecord> = Vec::with_capacity(content.len());
    let mut chunks: Vec<Chunk> = Vec::new();
    for (record, list) in content {
        let article = &record.article;
        if fnv1a64(article.source.as_bytes()) != record.source_hash {
            problems.push(format!("the text of `{}` does not match its hash", article.id));
        }
        let Some(list) = list else {
            problems.push(format!("the chunks of `{}` are missing", article.id));
            records.push(record);
            continue;
        };
        let title = title_of(&article.source);
        for stored in list {
            let StoredChunk { id, headings, start, end } = stored;
            match Chunk::from_source(&id, &article.id, &title, headings, &article.source, start, end) {
                Some(chunk) => chunks.push(chunk),
                None => problems.push(format!("a chunk of `{}` does not match the article's text", article.id)),
            }
        }
        records.push(record);
    }
    (records, chunks, problems)
}

/// What [`restore_knowledge`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreReport {
    pub articles: usize,
    pub chunks: usize,
    /// Chunks saved after the BM25 snapshot, re-indexed on load.
    pub lexical_replayed: usize,
    /// Why the stored index could not be used as it was, if it could not: the knowledge base
    /// was then repaired (re-chunked, missing vectors embedded, stale entries dropped) and
    /// stored again.
    pub repaired: Option<String>,
}

/// Loads the stored knowledge into a knowledge base for `embedder`, without rebuilding the
/// index, exact vectors included ([`restore_knowledge_first`] plus [`finish_restore`], with
/// every read issued at once).
pub async fn restore_knowledge<E: Embedder>(
    store: &impl Store,
    embedder: E,
    chunk_config: ChunkConfig,
    index_config: IndexConfig,
    search_config: SearchConfig,
) -> Result<(KnowledgeBase<E>, RestoreReport), StoreError> {
    let (first, exact) = futures::join!(
        restore_knowledge_first(store, embedder, chunk_config, index_config, search_config),
        read_exact_vectors(store),
    );
    let (mut kb, mut report) = first?;
    if let Some(problem) = finish_restore(store, &mut kb, exact?).await? {
        report.repaired = Some(match report.repaired {
            Some(earlier) => format!("{earlier}; {problem}"),
            None => problem,
        });
    }
    Ok((kb, report))
}

/// The stored exact base vectors, for [`finish_restore`].
pub async fn read_exact_vectors(store: &impl Store) -> Result<Option<Vec<u8>>, StoreError> {
    store.get(Table::IndexSegments, segment::VECTOR_EXACT).await?.map(|v| v.into_bytes("exact vectors")).transpose()
}

/// Gives a knowledge base from [`restore_knowledge_first`] its exact vectors (`exact`, from
/// [`read_exact_vectors`]). When they are missing or belong to another base, they are made
/// again from the chunks and stored; the returned text says so. Nothing to do, and `None`,
/// when the base is not waiting for them.
pub async fn finish_restore<E: Embedder>(
    store: &impl Store,
    kb: &mut KnowledgeBase<E>,
    exact: Option<Vec<u8>>,
) -> Result<Option<String>, StoreError> {
    match install_exact_vectors(kb, exact) {
        None => Ok(None),
        Some((why, batch)) => {
            store.apply(&batch).await?;
            Ok(Some(why))
        }
    }
}

/// The synchronous part of [`finish_restore`] (for callers that must not hold `kb` across an
/// await): installs `exact`, or makes the vectors again and returns why, with the batch that
/// stores them.
pub fn install_exact_vectors<E: Embedder>(kb: &mut KnowledgeBase<E>, exact: Option<Vec<u8>>) -> Option<(String, Batch)> {
    if !kb.exact_pending() {
        return None;
    }
    let problem = match exact.map(|bytes| kb.install_exact(&bytes)) {
        Some(Ok(())) => return None,
        Some(Err(error)) => error.to_string(),
        None => "the exact vectors are missing".to_string(),
    };
    kb.fill_exact();
    let mut batch = Batch::new();
    let bytes = kb.vector_index().exact_segment().expect("filled");
    batch.put(Table::IndexSegments, segment::VECTOR_EXACT, Value::Bytes(bytes));
    Some((format!("{problem}: made again from the chunks"), batch))
}

/// Loads the stored knowledge without rebuilding the index and without waiting for the exact
/// base vectors, the largest segment: the graph answers at once (exactly, with a local
/// embedder, which re-embeds the few candidates it re-ranks) while [`finish_restore`] adds them.
/// Segments are read as they are (every read issued at once), then articles, chunks and both
/// indexes are checked against each other by content hash. Anything out of step is repaired
/// and stored again.
pub async fn restore_knowledge_first<E: Embedder>(
    store: &impl Store,
    embedder: E,
    chunk_config: ChunkConfig,
    index_config: IndexConfig,
    search_config: SearchConfig,
) -> Result<(KnowledgeBase<E>, RestoreReport), StoreError> {
    // Three reads run at once, and each decodes as soon as its own bytes arrive, so the CPU
    // work on one part overlaps the browser still reading the others (the vector segment is
    // by far the largest).
    let content = async {
        let (content, orphans) = read_content(store).await?;
        Ok::<_, StoreError>(rebuild_chunks(content, orphans))
    };
    let vectors = async {
        let (base, delta) = futures::join!(
            store.get(Table::IndexSegments, segment::VECTOR_BASE),
            store.get(Table::IndexSegments, segment::VECTOR_DELTA),
        );
        let (base, delta) = (base?, delta?);
        Ok::<_, StoreError>(match (base, delta) {
            (Some(base), Some(delta)) => Some(
                VectorIndex::from_segments(&base.into_bytes("vector base")?, &delta.into_bytes("vector delta")?)
                    .map_err(|error| error.to_string()),
            ),
            (None, None) => None,
            _ => Some(Err("index segments are missing".to_string())),
        })
    };
    let lexical = async {
        let lexical = store.get(Table::IndexSegments, segment::LEXICAL).await?;
        Ok::<_, StoreError>(lexical.map(|v| v.into_bytes("lexical snapshot")).transpose()?.map(|bytes| {
            postcard::from_bytes(&bytes)
                .map_err(|e| e.to_string())
                .and_then(Bm25Index::from_snapshot)
                .map_err(|error| format!("the BM25 snapshot is damaged: {error}"))
        }))
    };
    let (content, vectors, lexical) = futures::join!(content, vectors, lexical);
    let ((records, chunks, mut problems), vectors, lexical) = (content?, vectors?, lexical?);
    let mut report = RestoreReport { articles: records.len(), chunks: chunks.len(), ..RestoreReport::default() };

    let index = match vectors {
        Some(Ok(index)) if index.embedder() == embedder.id() && index.dim() == embedder.dim() => Some(index),
        Some(Ok(index)) => {
            problems.push(format!("the index was made by `{}`, not `{}`", index.embedder(), embedder.id()));
            None
        }
        Some(Err(error)) => {
            problems.push(error);
            None
        }
        None if records.is_empty() => None,
        None => {
            problems.push("index segments are missing".into());
            None
        }
    };
    let index = index.unwrap_or_else(|| VectorIndex::new(embedder.id(), embedder.dim(), &index_config));

    let chunk_ids: std::collections::HashSet<&str> = chunks.iter().map(|c| c.id.as_str()).collect();
    let mut bm25 = match lexical {
        Some(Ok(bm25)) => bm25,
        Some(Err(error)) => {
            problems.push(error);
            Bm25Index::new(Bm25Config::default())
        }
        None => Bm25Index::new(Bm25Config::default()),
    };
    let stale: Vec<String> = bm25.ids().filter(|id| !chunk_ids.contains(id.as_str())).cloned().collect();
    for id in stale {
        bm25.remove(&id);
    }
    let missing: Vec<&Chunk> = chunks.iter().filter(|c| !bm25.contains(&c.id)).collect();
    for chunk in missing {
        bm25.insert(&chunk.id, &chunk.search_text());
        report.lexical_replayed += 1;
    }

    if index.len() != chunk_ids.len() || chunk_ids.iter().any(|id| !index.contains(id)) {
        problems.push("the vector index does not match the stored chunks".into());
    }

    let articles = records.into_iter().map(|r| r.article).collect();
    let mut kb = KnowledgeBase::from_parts(embedder, chunk_config, search_config, articles, chunks, index, bm25);
    if !problems.is_empty() {
        kb.fill_exact();
        kb.repair().map_err(|e| StoreError::Corrupt(e.to_string()))?;
        store.apply(&knowledge_snapshot(&kb)).await?;
        report.repaired = Some(problems.join("; "));
    }
    Ok((kb, report))
}

/// Reads a setting.
pub async fn setting<T: serde::de::DeserializeOwned>(store: &impl Store, name: &str) -> Result<Option<T>, StoreError> {
    store.get(Table::Settings, name).await?.map(|v: Value| v.decode(&format!("setting `{name}`"))).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::{Action, Reply};
    use crate::store::MemoryStore;
    use futures::executor::block_on;

    fn transcript() -> Transcript {
        let mut t = Transcript::with_greeting("Hi, I'm Jane.");
        t.apply(Action::Send { id: "m1".into(), text: "What is cash flow?".into() }).unwrap();
        t.apply(Action::Commit { id: "m1".into(), reply: Reply { text: "Money in and out.".into(), facts: vec![] } })
            .unwrap();
        t.apply(Action::Send { id: "m2".into(), text: "still running".into() }).unwrap();
        t.draft = "half typed".into();
        t
    }

    #[test]
    fn a_saved_conversation_loads_with_committed_messages_only() {
        let store = MemoryStore::default();
        let (batch, header) = save_conversation(&ConversationRecord::new("c1", Some("jane".into())), &transcript());
        block_on(store.apply(&batch)).unwrap();
        assert_eq!(header.message_count, 3);
        let (loaded_header, loaded) = block_on(load_conversation(&store, "c1")).unwrap().unwrap();
        assert_eq!(loaded_header, header);
        let ids: Vec<&str> = loaded.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["greeting", "m1", "m1/reply"]);
        assert_eq!(loaded.draft, "");
        assert_eq!(block_on(load_conversation(&store, "other")).unwrap(), None);
    }

    #[test]
    fn committing_a_turn_writes_messages_trace_memories_and_header_together() {
        let store = MemoryStore::default();
        let (batch, header) = save_conversation(&ConversationRecord::new("c1", None), &transcript());
        block_on(store.apply(&batch)).unwrap();
        let mut t = transcript();
        t.apply(Action::Commit { id: "m2".into(), reply: Reply { text: "Done.".into(), facts: vec![] } }).unwrap();
        let turn: Vec<&Message> = t.messages[3..].iter().collect();
        let memory = MemoryRecord { key: "c1/m2".into(), text: "The visitor asked about running.".into() };
        let (batch, after) = commit_turn(&header, &turn, Some(("m2", &serde_json::json!({"stages": 7}))), &[memory]);
        assert_eq!(batch.tables(), [Table::Conversations, Table::Messages, Table::Memories, Table::Traces]);
        block_on(store.apply(&batch)).unwrap();
        assert_eq!(after.message_count, 5);
        let (_, loaded) = block_on(load_conversation(&store, "c1")).unwrap().unwrap();
        assert_eq!(loaded.messages.last().unwrap().text, "Done.");
        assert!(block_on(store.get(Table::Traces, "c1/m2")).unwrap().is_some());

        block_on(store.apply(&delete_conversation("c1"))).unwrap();
        let snapshot = store.snapshot();
        assert!(snapshot.values().all(|t| t.is_empty()), "{snapshot:?}");
    }

    #[test]
    fn a_header_that_disagrees_with_its_messages_is_reported() {
        let store = MemoryStore::default();
        let (batch, _) = save_conversation(&ConversationRecord::new("c1", None), &transcript());
        block_on(store.apply(&batch)).unwrap();
        let mut lose_one = Batch::new();
        lose_one.delete(Table::Messages, message_key("c1", 2));
        block_on(store.apply(&lose_one)).unwrap();
        assert!(matches!(block_on(load_conversation(&store, "c1")), Err(StoreError::Corrupt(_))));
    }

    fn kb() -> KnowledgeBase {
        KnowledgeBase::new(crate::embed::HashEmbedder::default())
    }

    fn restore(store: &MemoryStore) -> (KnowledgeBase, RestoreReport) {
        block_on(restore_knowledge(
            store,
            crate::embed::HashEmbedder::default(),
            ChunkConfig::default(),
            IndexConfig::default(),
            SearchConfig::default(),
        ))
        .unwrap()
    }

    fn top(kb: &KnowledgeBase, query: &str) -> Vec<String> {
        kb.search(query, 3).unwrap().into_iter().map(|r| r.chunk.id).collect()
    }

    const CASH: &str = "# Cash\n\nA thirteen-week forecast keeps surprises small.\n\n## Reserves\n\nKeep three months of costs in reserve.\n";
    const HIRE: &str = "# Hiring\n\nYour first employee needs a contract and a payroll run.\n";

    #[test]
    fn saved_knowledge_restores_without_rebuilding_and_answers_the_same() {
        let store = MemoryStore::default();
        let mut kb = kb();
        block_on(store.apply(&knowledge_snapshot(&kb))).unwrap();
        block_on(save_articles(&store, &mut kb, vec![Article::new("cash", CASH)])).unwrap();
        block_on(save_articles(&store, &mut kb, vec![Article::new("hire", HIRE)])).unwrap();
        let (restored, report) = restore(&store);
        assert_eq!(report.repaired, None);
        assert_eq!((report.articles, report.chunks), (2, kb.chunk_count()));
        assert_eq!(report.lexical_replayed, kb.chunk_count(), "saved after the empty snapshot");
        for query in ["thirteen-week forecast", "payroll for staff", "reserves"] {
            assert_eq!(top(&restored, query), top(&kb, query), "{query}");
        }
        assert_eq!(restored.vector_index().segments(), kb.vector_index().segments());
    }

    #[test]
    fn editing_and_deleting_articles_leave_no_stale_chunks_in_the_store() {
        let store = MemoryStore::default();
        let mut kb = kb();
        block_on(save_articles(&store, &mut kb, vec![Article::new("cash", CASH), Article::new("hire", HIRE)])).unwrap();
        let edited = CASH.replace("three months", "six weeks");
        block_on(save_articles(&store, &mut kb, vec![Article::new("cash", edited)])).unwrap();
        let stored: Vec<Vec<StoredChunk>> = block_on(load_all(&store, Table::Chunks, "")).unwrap();
        let stored_ids: BTreeSet<String> = stored.into_iter().flatten().map(|c| c.id).collect();
        let live: BTreeSet<String> = kb.chunks().map(|c| c.id.clone()).collect();
        assert_eq!(stored_ids, live, "old chunks are gone, new ones stored");
        let (restored, _) = restore(&store);
        assert!(restored.chunks().all(|c| !c.body.contains("three months")), "the old passage is gone");
        assert!(restored.chunks().any(|c| c.body.contains("six weeks")));

        assert!(block_on(delete_article(&store, &mut kb, "hire")).unwrap());
        assert!(!block_on(delete_article(&store, &mut kb, "hire")).unwrap());
        let changed: Vec<String> =
            block_on(store.get(Table::IndexSegments, segment::CONTENT_CHANGED)).unwrap().unwrap().decode("x").unwrap();
        assert_eq!(changed, ["cash", "hire"], "restore reads these from the tables, the rest from the content segment");
        let (restored, report) = restore(&store);
        assert_eq!(report.repaired, None);
        assert!(restored.article("hire").is_none());
        assert!(restored.search("payroll employee", 3).unwrap().iter().all(|r| r.chunk.article_id != "hire"));
    }

    #[test]
    fn a_refused_save_leaves_memory_and_store_as_they_were() {
        let store = MemoryStore::default();
        let mut kb = kb();
        block_on(save_articles(&store, &mut kb, vec![Article::new("cash", CASH)])).unwrap();
        let stored_before = store.snapshot();
        let answers_before = top(&kb, "reserves months");
        let segments_before = kb.vector_index().segments();
        for error in [StoreError::QuotaExceeded, StoreError::Operation("forced abort".into())] {
            store.fail_next_apply(error.clone());
            let edit = Article::new("cash", CASH.replace("three months", "a year"));
            let result = block_on(save_articles(&store, &mut kb, vec![edit, Article::new("hire", HIRE)]));
            assert_eq!(result, Err(SaveError::Store(error)));
            assert_eq!(store.snapshot(), stored_before);
            assert_eq!(kb.article("cash").unwrap().source, CASH);
            assert!(kb.article("hire").is_none());
            assert_eq!(top(&kb, "reserves months"), answers_before);
            assert_eq!(kb.vector_index().ids().len(), segments_before.0 + segments_before.1 - segments_before.2);
        }
    }

    #[test]
    fn startup_repairs_a_store_that_is_out_of_step() {
        let store = MemoryStore::default();
        let mut kb = kb();
        block_on(save_articles(&store, &mut kb, vec![Article::new("cash", CASH), Article::new("hire", HIRE)])).unwrap();
        let lost = kb.chunks_of("hire").next().unwrap().id.clone();
        let mut damage = Batch::new();
        damage.delete(Table::Chunks, "hire").put(Table::IndexSegments, segment::CONTENT, Value::Bytes(vec![1])).put(
            Table::IndexSegments,
            segment::VECTOR_DELTA,
            Value::Bytes(vec![1]),
        );
        block_on(store.apply(&damage)).unwrap();
        let (restored, report) = restore(&store);
        let why = report.repaired.expect("repaired");
        assert!(
            why.contains("chunks of `hire` are missing") && why.contains("not a persona-engine vector index"),
            "{why}"
        );
        assert!(restored.check_consistency().is_consistent());
        assert!(restored.chunk(&lost).is_some(), "re-chunked from the article");
        assert_eq!(top(&restored, "payroll contract"), top(&kb, "payroll contract"));
        let (_, again) = restore(&store);
        assert_eq!(again.repaired, None, "the repair was stored");
    }

    #[test]
    fn a_restore_answers_before_the_exact_vectors_arrive_and_the_same_after() {
        let store = MemoryStore::default();
        let mut kb = kb();
        block_on(save_articles(&store, &mut kb, vec![Article::new("cash", CASH), Article::new("hire", HIRE)])).unwrap();
        block_on(compact(&store, &mut kb)).unwrap();
        let first = || {
            block_on(restore_knowledge_first(
                &store,
                crate::embed::HashEmbedder::default(),
                ChunkConfig::default(),
                IndexConfig::default(),
                SearchConfig::default(),
            ))
            .unwrap()
        };
        let (mut restored, report) = first();
        assert_eq!(report.repaired, None);
        assert!(restored.exact_pending(), "the base came without its exact vectors");
        for query in ["thirteen-week forecast", "payroll for staff", "reserves"] {
            let (now, then) = (restored.search(query, 3).unwrap(), kb.search(query, 3).unwrap());
            assert_eq!(now, then, "re-embedded candidates give identical results: {query}");
        }
        let exact = block_on(read_exact_vectors(&store)).unwrap();
        assert_eq!(block_on(finish_restore(&store, &mut restored, exact)).unwrap(), None);
        assert!(!restored.exact_pending());
        assert_eq!(restored.vector_index().to_bytes(), kb.vector_index().to_bytes());

        // Lost exact vectors are made again from the chunks, and stored.
        let mut lose = Batch::new();
        lose.delete(Table::IndexSegments, segment::VECTOR_EXACT);
        block_on(store.apply(&lose)).unwrap();
        let (mut restored, _) = first();
        let why = block_on(finish_restore(&store, &mut restored, None)).unwrap().expect("repaired");
        assert!(why.contains("missing"), "{why}");
        assert_eq!(restored.vector_index().to_bytes(), kb.vector_index().to_bytes());
        let (_, report) = restore(&store);
        assert_eq!(report.repaired, None, "the repair was stored");
    }

    #[test]
    fn compaction_moves_the_delta_into_a_new_stored_base() {
        let store = MemoryStore::default();
        let mut kb = kb();
        block_on(save_articles(&store, &mut kb, vec![Article::new("cash", CASH), Article::new("hire", HIRE)])).unwrap();
        assert!(kb.vector_index().segments().1 > 0);
        block_on(compact(&store, &mut kb)).unwrap();
        assert_eq!(kb.vector_index().segments(), (kb.chunk_count(), 0, 0));
        let (restored, report) = restore(&store);
        assert_eq!(report.repaired, None);
        assert_eq!(report.lexical_replayed, 0, "the snapshot covers every chunk");
        assert_eq!(top(&restored, "forecast"), top(&kb, "forecast"));
    }

    #[test]
    fn schema_1_conversations_migrate_without_loss() {
        let store = MemoryStore::default();
        let mut committed = transcript();
        committed.messages.retain(|m| m.status == Status::Sent);
        committed.draft.clear();
        let v1 = serde_json::to_string(&committed).unwrap();
        block_on(store.apply(&migrate_v1_conversation("demo-jane", &v1).unwrap())).unwrap();
        let (header, loaded) = block_on(load_conversation(&store, "demo-jane")).unwrap().unwrap();
        assert_eq!(header.persona_id, None);
        assert_eq!(loaded, committed);
        assert!(matches!(migrate_v1_conversation("x", "{"), Err(StoreError::Corrupt(_))));
    }
}
