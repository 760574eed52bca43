//! `persona`: the engine on the command line.
//!
//! It runs the same core as the browser on the same embedded demo content, so what it prints is
//! what the app would answer with the offline backend. `chat` runs the staged pipeline turn by
//! turn; `bundle` builds and checks the knowledge bundles a site ships.

mod bench;
mod bench_pipeline;
mod bundle;
mod chat;
mod eval;
mod eval_checks;
mod remote;
mod staged;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use persona_core::embed::{Embedder, Embedding, HashEmbedder};
use persona_core::index::IndexConfig;
use persona_core::knowledge::{KnowledgeBase, MemoryBank, Retriever, SearchConfig};
use persona_core::turn::{offline_turn, PersonaMemory, RetrievalConfig};
use persona_model::{EndpointConfig, OpenAiChatModel};

#[derive(Parser)]
#[command(name = "persona", version, about = "Persona engine command-line tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// A model at an OpenAI-compatible endpoint; without `--endpoint`, the offline backend.
#[derive(clap::Args)]
struct RemoteFlags {
    /// Base URL of an OpenAI-compatible API, e.g. `http://127.0.0.1:11434/v1` (Ollama),
    /// `http://127.0.0.1:8080/v1` (llama.cpp server) or `https://api.openai.com/v1`.
    #[arg(long)]
    endpoint: Option<String>,
    /// The model to ask at the endpoint.
    #[arg(long, default_value = "gpt-4o-mini")]
    model: String,
    /// The environment variable that holds the API key (the key itself is never a flag, so it
    /// stays out of shell history and process lists; it is never printed).
    #[arg(long, default_value = "PERSONA_API_KEY")]
    api_key_env: String,
}

#[derive(Subcommand)]
enum Command {
    /// Ask the demo persona a question about the demo articles: with the offline backend, or
    /// with a model at an OpenAI-compatible endpoint (`--endpoint`).
    Ask {
        question: String,
        /// Print the reply and the turn trace as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        remote: RemoteFlags,
    },
    /// Chat with the demo persona through the staged pipeline: one turn per line of standard
    /// input (or one `--message`), the reply streamed as it arrives. Only committed turns join
    /// the conversation; a turn that fails is reported and the chat goes on. Exits non-zero if
    /// any turn did not commit.
    Chat {
        #[command(flatten)]
        remote: RemoteFlags,
        /// A time limit per model call in milliseconds, retries included.
        #[arg(long)]
        timeout_ms: Option<u64>,
        /// Chat about these articles instead of the demo's: a folder of .md/.txt files, or a
        /// JSONL file of {"id","title","text"}.
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// One message to send instead of reading standard input.
        #[arg(long)]
        message: Option<String>,
        /// After each turn, print its stage timeline and retrieval summary.
        #[arg(long)]
        trace: bool,
        /// Append each turn's outcome and trace as one JSON line to this file.
        #[arg(long)]
        json_trace: Option<PathBuf>,
    },
    /// Show what retrieval returns for a query: passages, scores, articles.
    Search {
        query: String,
        /// How many passages to return.
        #[arg(short, long, default_value_t = 5)]
        k: usize,
    },
    /// List the demo articles and how many passages each was chunked into.
    Articles,
    /// Evaluate the engine on a test set.
    Eval {
        #[command(subcommand)]
        what: EvalCommand,
    },
    /// Measure the engine's building blocks.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Knowledge bundles: a persona and its articles, with a prebuilt index, as one file a site
    /// ships so visitors do not pay the indexing cost.
    Bundle {
        #[command(subcommand)]
        what: BundleCommand,
    },
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Build a bundle from a folder of .md/.txt articles and a character card.
    Build {
        /// A folder of .md/.txt articles (the file name is the article id).
        content: PathBuf,
        /// The persona's Character Card, JSON or PNG.
        #[arg(long)]
        persona: PathBuf,
        /// Where to write the bundle JSON.
        #[arg(short, long)]
        out: PathBuf,
        /// Leave the index out (a smaller file; the browser builds the index at load).
        #[arg(long)]
        no_index: bool,
    },
    /// Load a bundle as the browser would and show what it holds (exit code 2 if it is refused).
    Check { bundle: PathBuf },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Retrieval quality: hit@k and MRR of the answer passage for a set of questions.
    Retrieval {
        /// A folder of .md/.txt files, or a JSONL file of {"id","title","text"}.
        #[arg(long)]
        corpus: PathBuf,
        /// JSONL of {"id","question","answer_contains":[...]}.
        #[arg(long)]
        queries: PathBuf,
        #[arg(long, default_value_t = 5)]
        k: usize,
        /// hybrid (BM25 + vectors, the default), bm25 or vector.
        #[arg(long, default_value = "hybrid")]
        retriever: Retriever,
        /// `hash` (built-in, 384 dims), `hash:<dims>`, or `openai:<model>` for an
        /// OpenAI-compatible `/v1/embeddings` endpoint (with `--endpoint` and `--dim`).
        #[arg(long, default_value = "hash")]
        embedder: String,
        /// Base URL of the embeddings endpoint, for `--embedder openai:<model>`.
        #[arg(long)]
        endpoint: Option<String>,
        /// Dimension of the remote embedder's vectors.
        #[arg(long)]
        dim: Option<usize>,
        /// The environment variable that holds the endpoint's API key.
        #[arg(long, default_value = "PERSONA_API_KEY")]
        api_key_env: String,
        /// Hybrid fusion: the reciprocal-rank constant (default from the engine).
        #[arg(long)]
        rrf_k: Option<f32>,
        /// Hybrid fusion: the weight of the BM25 ranking against the vector ranking's 1.
        #[arg(long)]
        bm25_weight: Option<f32>,
        /// Hybrid fusion: candidates taken from each ranking per requested result.
        #[arg(long)]
        candidates: Option<usize>,
        /// Query expansion: the weight of a synonym from the built-in lexicon against a typed
        /// word (0 turns expansion off).
        #[arg(long)]
        synonym_weight: Option<f32>,
        /// Hybrid: the weight of pseudo-relevance feedback from the top lexical passages in the
        /// vector query (0 turns it off).
        #[arg(long)]
        feedback_weight: Option<f32>,
        /// Hybrid: how many top lexical passages feed back into the vector query.
        #[arg(long)]
        feedback_passages: Option<usize>,
    },
    /// The Vet stage on a labelled set: precision, recall, F1, false-positive rate, time.
    Vet {
        /// JSONL of {"message","label":"attack"|"benign"} (optionally "lang", "technique").
        #[arg(long)]
        cases: PathBuf,
        /// With `--endpoint`, the model is also asked about messages the rules let through
        /// (without it, the deterministic layer alone is measured).
        #[command(flatten)]
        remote: RemoteFlags,
        /// List the misses on standard error.
        #[arg(long)]
        show_misses: bool,
    },
    /// The personal / factual / mixed classifier on a labelled set: accuracy and confusion.
    Classify {
        /// JSONL of {"message","kind":"personal"|"factual"|"mixed"}.
        #[arg(long)]
        cases: PathBuf,
        #[arg(long)]
        show_misses: bool,
    },
    /// Offline objective extraction on a labelled set: how often it finds as many asks.
    Objectives {
        /// JSONL of {"message","objectives":[...]}.
        #[arg(long)]
        cases: PathBuf,
        #[arg(long)]
        show_misses: bool,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The vector index on synthetic clustered unit vectors.
    Index {
        #[arg(long, default_value_t = 10_000)]
        n: usize,
        #[arg(long, default_value_t = 384)]
        dim: usize,
        #[arg(long, default_value_t = 64)]
        clusters: usize,
        /// Directions each cluster's members vary along; 0 = isotropic noise (the worst case).
        #[arg(long, default_value_t = 16)]
        intrinsic_dim: usize,
        /// Held-out queries to time.
        #[arg(long, default_value_t = 200)]
        queries: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        ef_construction: Option<usize>,
        #[arg(long)]
        ef_search: Option<usize>,
    },
    /// The staged pipeline: concurrent against sequential schedule over HTTP (fake server with a
    /// per-call latency), and the engine's own time per turn on a large knowledge base.
    Pipeline {
        /// The fake model's latency per call.
        #[arg(long, default_value_t = 300)]
        latency_ms: u64,
        /// Timed turns per schedule.
        #[arg(long, default_value_t = 5)]
        turns: usize,
        /// Chunks in the knowledge base of the overhead measurement (demo articles included).
        #[arg(long, default_value_t = 10_000)]
        chunks: usize,
        /// Timed turns of the overhead measurement (each model-backed and offline).
        #[arg(long, default_value_t = 50)]
        overhead_turns: usize,
        /// Seed of the synthetic articles.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// An endpoint, with the API key from the environment variable `api_key_env` when it is set
/// (the key is never a flag, so it stays out of shell history and process lists).
fn endpoint_config(endpoint: String, model: impl Into<String>, api_key_env: &str) -> EndpointConfig {
    let config = EndpointConfig::new(endpoint, model);
    match std::env::var(api_key_env) {
        Ok(key) => config.with_api_key(key),
        Err(_) => config,
    }
}

/// Prints an evaluation's JSON summary as the last line of stdout, or its error.
fn print_last_json(result: Result<serde_json::Value, String>) -> ExitCode {
    match result {
        Ok(summary) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A local embedder named on the command line.
fn local_embedder(name: &str) -> Result<HashEmbedder, String> {
    match name.split_once(':') {
        None if name == "hash" => Ok(HashEmbedder::default()),
        Some(("hash", dims)) => match dims.parse::<usize>() {
            Ok(dims) if dims > 0 => Ok(HashEmbedder::new(dims)),
            _ => Err(format!("`{dims}` is not a dimension count")),
        },
        _ => Err(format!("unknown embedder `{name}` (expected `hash` or `hash:<dims>`)")),
    }
}

impl eval::QueryEmbedder for HashEmbedder {
    fn embed_chunks(&self, texts: &[String]) -> Result<Vec<Embedding>, String> {
        Ok(texts.iter().map(|t| self.embed(t)).collect())
    }

    fn embed_queries(knowledge: &KnowledgeBase<Self>, texts: &[String]) -> Result<Vec<Embedding>, String> {
        Ok(texts.iter().map(|t| knowledge.embed_query(t)).collect())
    }
}

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so writing to a closed pipe (`persona search … | head`) would panic in
    // `println!`; the default action ends the process quietly, as other command-line tools do.
    #[cfg(unix)]
    // SAFETY: called first thing, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match cli.command {
        Command::Eval {
            what:
                EvalCommand::Retrieval {
                    corpus,
                    queries,
                    k,
                    retriever,
                    embedder,
                    endpoint,
                    dim,
                    api_key_env,
                    rrf_k,
                    bm25_weight,
                    candidates,
                    synonym_weight,
                    feedback_weight,
                    feedback_passages,
                },
        } => {
            let result = (|| {
                let articles = eval::load_corpus(&corpus)?;
                let queries = eval::load_queries(&queries)?;
                let defaults = SearchConfig::default();
                let search = SearchConfig {
                    retriever,
                    rrf_k: rrf_k.unwrap_or(defaults.rrf_k),
                    bm25_weight: bm25_weight.unwrap_or(defaults.bm25_weight),
                    candidates_per_result: candidates.unwrap_or(defaults.candidates_per_result),
                    synonym_weight: synonym_weight.unwrap_or(defaults.synonym_weight),
                    feedback_weight: feedback_weight.unwrap_or(defaults.feedback_weight),
                    feedback_passages: feedback_passages.unwrap_or(defaults.feedback_passages),
                };
                match embedder.strip_prefix("openai:") {
                    Some(model) => {
                        let endpoint = endpoint.ok_or("`--embedder openai:<model>` needs `--endpoint URL`")?;
                        let dim = dim.ok_or("`--embedder openai:<model>` needs `--dim N`")?;
                        let config = endpoint_config(endpoint, model, &api_key_env);
                        let embedder = remote::RemoteEmbedder::new(config, dim)?;
                        eval::run(embedder, articles, &queries, k, search)
                    }
                    None => eval::run(local_embedder(&embedder)?, articles, &queries, k, search),
                }
            })();
            return match result {
                Ok(_) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Eval {
            what: EvalCommand::Vet { cases, remote: RemoteFlags { endpoint, model, api_key_env }, show_misses },
        } => {
            let result = (|| {
                let model = match endpoint {
                    Some(endpoint) => {
                        let config = endpoint_config(endpoint, model.clone(), &api_key_env);
                        let client = OpenAiChatModel::new(config).map_err(|e| e.to_string())?;
                        Some(eval_checks::VetModel { model: client, name: model })
                    }
                    None => None,
                };
                eval_checks::vet(&cases, model, show_misses)
            })();
            return print_last_json(result);
        }
        Command::Eval { what: EvalCommand::Classify { cases, show_misses } } => {
            return print_last_json(eval_checks::classify_set(&cases, show_misses));
        }
        Command::Eval { what: EvalCommand::Objectives { cases, show_misses } } => {
            return print_last_json(eval_checks::objectives(&cases, show_misses));
        }
        Command::Bench {
            what: BenchCommand::Index { n, dim, clusters, intrinsic_dim, queries, seed, ef_construction, ef_search },
        } => {
            let defaults = IndexConfig::default();
            let config = IndexConfig {
                ef_construction: ef_construction.unwrap_or(defaults.ef_construction),
                ef_search: ef_search.unwrap_or(defaults.ef_search),
                ..defaults
            };
            bench::run(&bench::BenchArgs { n, dim, clusters, intrinsic_dim, queries, seed, config });
            return ExitCode::SUCCESS;
        }
        Command::Bench { what: BenchCommand::Pipeline { latency_ms, turns, chunks, overhead_turns, seed } } => {
            let args = bench_pipeline::PipelineBenchArgs { latency_ms, turns, chunks, overhead_turns, seed };
            return match bench_pipeline::run(&args) {
                Ok(_) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Bundle { what: BundleCommand::Build { content, persona, out, no_index } } => {
            return bundle::build(&content, &persona, &out, !no_index);
        }
        Command::Bundle { what: BundleCommand::Check { bundle } } => return bundle::check(&bundle),
        Command::Chat {
            remote: RemoteFlags { endpoint, model, api_key_env },
            timeout_ms,
            corpus,
            message,
            trace,
            json_trace,
        } => {
            let args = chat::ChatArgs { endpoint, model, api_key_env, timeout_ms, corpus, message, trace, json_trace };
            return chat::run(args);
        }
        _ => {}
    }
    let persona = persona_demo::jane();
    let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
    if let Err(error) = knowledge.upsert_articles(persona_demo::articles()) {
        eprintln!("error: could not index the demo articles: {error}");
        return ExitCode::FAILURE;
    }
    match cli.command {
        Command::Ask { question, json, remote: RemoteFlags { endpoint, model, api_key_env } } => {
            let own = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
            // One question, no earlier conversation.
            let conversations = MemoryBank::new(HashEmbedder::default(), []);
            let memory = PersonaMemory { own: &own, conversations: &conversations };
            let result = match endpoint {
                None => offline_turn(&persona, &knowledge, &memory, &question, &RetrievalConfig::default())
                    .map_err(|e| e.to_string()),
                Some(endpoint) => {
                    let config = endpoint_config(endpoint, model, &api_key_env);
                    remote::ask(&persona, &knowledge, &memory, &question, config)
                }
            };
            let (reply, trace) = match result {
                Ok(result) => result,
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::FAILURE;
                }
            };
            if json {
                let out = serde_json::json!({ "reply": reply, "trace": trace });
                println!("{}", serde_json::to_string_pretty(&out).expect("JSON values serialise"));
            } else {
                println!("{}: {}", persona.name(), reply.text);
                for fact in &reply.facts {
                    println!("  [{}] {} ({})", fact.number, fact.text, fact.article_title);
                }
                eprintln!(
                    "retrieved {} knowledge chunks, {} memory items ({:?} question, {} backend)",
                    trace.knowledge_retrieved, trace.memory_retrieved, trace.kind, trace.backend
                );
            }
        }
        Command::Search { query, k } => match knowledge.search(&query, k) {
            Ok(hits) => {
                for hit in hits {
                    let heading = hit.chunk.headings.last().map(String::as_str).unwrap_or("");
                    let preview: String = hit.chunk.body.chars().take(100).collect();
                    println!(
                        "{:.3}  {} › {}  {}",
                        hit.score,
                        hit.chunk.article_title,
                        heading,
                        preview.replace('\n', " ")
                    );
                }
            }
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        },
        Command::Eval { .. } | Command::Bench { .. } | Command::Bundle { .. } | Command::Chat { .. } => {
            unreachable!("handled above")
        }
        Command::Articles => {
            for article in knowledge.articles() {
                println!(
                    "{:<16} {:>3} passages  {}",
                    article.id,
                    knowledge.chunks_of(&article.id).count(),
                    article.title
                );
            }
        }
    }
    ExitCode::SUCCESS
}
