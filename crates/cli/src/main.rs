//! `persona`: the engine on the command line.
//!
//! It runs the same core as the browser on the same embedded demo content, so what it prints is
//! what the app would answer with the offline backend. Later issues add `eval`, `bench`, `chat`
//! and `bundle`.

mod remote;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::turn::{offline_turn, RetrievalConfig};
use persona_model::EndpointConfig;

#[derive(Parser)]
#[command(name = "persona", version, about = "Persona engine command-line tool")]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
        /// Base URL of an OpenAI-compatible API, e.g. `http://127.0.0.1:11434/v1` (Ollama),
        /// `http://127.0.0.1:8080/v1` (llama.cpp server) or `https://api.openai.com/v1`.
        #[arg(long)]
        endpoint: Option<String>,
        /// The model to ask at the endpoint.
        #[arg(long, default_value = "gpt-4o-mini")]
        model: String,
        /// The environment variable that holds the API key (the key itself is never a flag, so
        /// it stays out of shell history and process lists).
        #[arg(long, default_value = "PERSONA_API_KEY")]
        api_key_env: String,
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let persona = persona_demo::jane();
    let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
    if let Err(error) = knowledge.upsert_articles(persona_demo::articles()) {
        eprintln!("error: could not index the demo articles: {error}");
        return ExitCode::FAILURE;
    }
    match cli.command {
        Command::Ask { question, json, endpoint, model, api_key_env } => {
            let memory = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
            let result = match endpoint {
                None => offline_turn(&persona, &knowledge, &memory, &question, &RetrievalConfig::default())
                    .map_err(|e| e.to_string()),
                Some(endpoint) => {
                    let mut config = EndpointConfig::new(endpoint, model);
                    if let Ok(key) = std::env::var(&api_key_env) {
                        config = config.with_api_key(key);
                    }
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
