//! `persona chat`: a terminal conversation through the staged pipeline.
//!
//! Each line read from standard input (or the one `--message`) is a turn, run with the
//! concurrent schedule against an OpenAI-compatible endpoint (every stage on the same model)
//! or, without `--endpoint`, the offline backend. The reply streams to stdout as it arrives.
//! A turn is a transaction, as in the app: only a committed turn joins the history (and the
//! conversation memory, and its memory updates the persona's memory); a turn that rolls back
//! prints why in plain words on stderr and the chat goes on. Ctrl-C stops a running turn (it
//! rolls back); at the prompt it ends the chat.
//!
//! The API key is read from the environment variable named by `--api-key-env` and sent only to
//! the endpoint; it is never printed, and traces carry none.

use std::cell::{Cell, RefCell};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use persona_core::chat::{Action, Reply, Transcript};
use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::model::{CancelToken, ChatModel, ModelError};
use persona_core::persona::Persona;
use persona_core::pipeline::{
    critical_path_calls, Backends, Event, NoModel, Pipeline, Schedule, Settlement, StageOutcome, StageSettings, Turn,
    TurnError,
};
use persona_core::turn::{conversation_memories, history_messages, PersonaMemory, RetrievalConfig, TurnTrace};
use persona_model::OpenAiChatModel;
use serde_json::json;

use crate::staged::InstantClock;

pub struct ChatArgs {
    pub endpoint: Option<String>,
    pub model: String,
    pub api_key_env: String,
    pub timeout_ms: Option<u64>,
    pub corpus: Option<PathBuf>,
    pub message: Option<String>,
    pub trace: bool,
    pub json_trace: Option<PathBuf>,
}

/// Runs the chat. Succeeds when every turn committed.
pub fn run(args: ChatArgs) -> ExitCode {
    match try_run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn try_run(args: ChatArgs) -> Result<bool, String> {
    let persona = persona_demo::jane();
    let articles = match &args.corpus {
        Some(corpus) => crate::eval::load_corpus(corpus)?,
        None => persona_demo::articles(),
    };
    let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
    knowledge.upsert_articles(articles).map_err(|e| format!("could not index the articles: {e}"))?;
    if let Some(path) = &args.json_trace {
        // Fail before the first turn rather than after it.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut session = Session {
        own: MemoryBank::new(HashEmbedder::default(), persona.self_knowledge()),
        transcript: Transcript::with_greeting(&persona.greeting()),
        persona,
        knowledge,
        args,
        turns: 0,
        failed: 0,
    };
    match session.args.endpoint.clone() {
        None => runtime.block_on(session.chat(&Backends::<NoModel>::offline())),
        Some(endpoint) => {
            let mut config = crate::endpoint_config(endpoint, session.args.model.clone(), &session.args.api_key_env);
            if let Some(ms) = session.args.timeout_ms {
                config = config.with_timeout_ms(ms);
            }
            let model = OpenAiChatModel::new(config).map_err(|e| e.to_string())?;
            let name = session.args.model.clone();
            let backends = Backends::all(&model, |stage| StageSettings::default_for(stage, &name));
            runtime.block_on(session.chat(&backends))
        }
    }
}

/// The conversation so far and what the chat was started with.
struct Session {
    persona: Persona,
    knowledge: KnowledgeBase,
    /// The persona's own memory; memory updates of committed turns join it.
    own: MemoryBank,
    /// Only committed turns count as history.
    transcript: Transcript,
    args: ChatArgs,
    turns: usize,
    failed: usize,
}

/// Where the messages come from.
enum Input {
    One(Option<String>),
    Lines(tokio::sync::mpsc::UnboundedReceiver<String>),
}

impl Input {
    /// The next message, `None` at the end.
    async fn next(&mut self) -> Option<String> {
        match self {
            Input::One(message) => message.take(),
            Input::Lines(lines) => lines.recv().await,
        }
    }
}

/// Lines of standard input, read on a thread of their own so that Ctrl-C can be heard meanwhile.
fn stdin_lines() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (send, receive) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

impl Session {
    /// Runs turns until the input ends (or Ctrl-C at the prompt); whether every turn committed.
    async fn chat<M: ChatModel>(&mut self, backends: &Backends<'_, M>) -> Result<bool, String> {
        let interactive = self.args.message.is_none() && std::io::stdin().is_terminal();
        let mut input = match self.args.message.take() {
            Some(message) => Input::One(Some(message)),
            None => Input::Lines(stdin_lines()),
        };
        if interactive {
            let backend = match &self.args.endpoint {
                Some(endpoint) => format!("model {} at {endpoint}", self.args.model),
                None => "the offline backend".to_string(),
            };
            eprintln!("Chatting with {} ({backend}). Ctrl-D ends the chat; Ctrl-C stops a reply.", self.persona.name());
            println!("{}: {}", self.persona.name(), self.persona.greeting());
        }
        loop {
            if interactive {
                print!("> ");
                let _ = std::io::stdout().flush();
            }
            let line = tokio::select! {
                line = input.next() => line,
                _ = tokio::signal::ctrl_c() => {
                    println!();
                    break;
                }
            };
            let Some(line) = line else { break };
            let text = line.trim();
            if text.is_empty() {
                continue;
            }
            self.turn(backends, text).await?;
        }
        Ok(self.failed == 0)
    }

    /// One turn: run, settle, and keep it only if it committed.
    async fn turn<M: ChatModel>(&mut self, backends: &Backends<'_, M>, text: &str) -> Result<(), String> {
        self.turns += 1;
        let id = format!("m{}", self.turns);
        self.transcript.apply(Action::Send { id: id.clone(), text: text.to_string() }).map_err(|e| e.to_string())?;
        let history = history_messages(&self.transcript);
        let conversations =
            MemoryBank::new(HashEmbedder::default(), conversation_memories(&self.transcript, self.persona.name()));
        let clock = InstantClock::new();
        let pipeline = Pipeline {
            persona: &self.persona,
            knowledge: &self.knowledge,
            memory: PersonaMemory { own: &self.own, conversations: &conversations },
            history: &history,
            retrieval: RetrievalConfig::default(),
            backends,
            schedule: Schedule::Concurrent,
            clock: &clock,
        };
        let name = self.persona.name();
        let printer = StreamPrinter { name, streamed: RefCell::default(), open: Cell::new(false) };
        let on_event = |event: &Event<'_>, _: &Turn| printer.event(event);
        let cancel = CancelToken::new();
        let mut turn = Turn::new(id.clone(), text);
        let settlement = {
            let running = pipeline.run_turn(&mut turn, &cancel, &on_event);
            tokio::pin!(running);
            tokio::select! {
                settled = &mut running => settled,
                _ = tokio::signal::ctrl_c() => {
                    cancel.cancel();
                    running.await
                }
            }
        }
        .map_err(|e| e.to_string())?;
        printer.close();
        if !matches!(settlement, Settlement::Commit(_)) && !printer.streamed.borrow().is_empty() {
            println!("  (that reply broke off and was not kept)");
        }
        let (outcome, trace) = match settlement {
            Settlement::Commit(output) => {
                let streamed = printer.streamed.borrow().clone();
                if output.reply.text != streamed {
                    // Ground rebuilt a factual reply from the numbered facts, or nothing streamed.
                    println!("{name} (grounded): {}", output.reply.text);
                }
                print_facts(&output.reply);
                for update in &output.memory_updates {
                    self.own.remember(update.clone());
                }
                self.transcript.apply(Action::Commit { id, reply: output.reply.clone() }).map_err(|e| e.to_string())?;
                (json!({"outcome": "commit", "reply": output.reply}), output.trace)
            }
            Settlement::RollBack { failure, .. } => {
                self.failed += 1;
                eprintln!("{}", plain_error(&failure.error, self.args.timeout_ms));
                let error = failure.error.to_string();
                self.transcript.apply(Action::Fail { id, error: error.clone() }).map_err(|e| e.to_string())?;
                (json!({"outcome": "rollback", "error": error}), failure.trace)
            }
            Settlement::Cancelled { trace, .. } => {
                self.failed += 1;
                eprintln!("Stopped. Nothing of that turn was kept; send the message again to retry.");
                self.transcript.apply(Action::Fail { id, error: "cancelled".into() }).map_err(|e| e.to_string())?;
                (json!({"outcome": "cancelled"}), trace)
            }
        };
        if self.args.trace {
            print_timeline(&trace);
        }
        if let Some(path) = &self.args.json_trace {
            let mut record = outcome;
            record["turn"] = json!(self.turns);
            record["message"] = json!(text);
            record["trace"] = serde_json::to_value(&trace).map_err(|e| e.to_string())?;
            append_line(path, &record.to_string())?;
        }
        Ok(())
    }
}

/// Prints the reply as it streams: `Name: ` then the pieces.
struct StreamPrinter<'a> {
    name: &'a str,
    /// The current draft's text.
    streamed: RefCell<String>,
    /// Whether a reply line is open (needs a newline).
    open: Cell<bool>,
}

impl StreamPrinter<'_> {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Token(piece) => {
                let mut out = std::io::stdout().lock();
                if !self.open.replace(true) {
                    let _ = write!(out, "{}: ", self.name);
                }
                let _ = out.write_all(piece.as_bytes());
                let _ = out.flush();
                self.streamed.borrow_mut().push_str(piece);
            }
            Event::DraftDiscarded { feedback } => {
                self.close();
                self.streamed.borrow_mut().clear();
                eprintln!("  (draft withdrawn by Validate: {feedback})");
            }
            Event::StageStarted { .. } | Event::StageFinished { .. } => {}
        }
    }

    fn close(&self) {
        if self.open.replace(false) {
            println!();
        }
    }
}

fn print_facts(reply: &Reply) {
    for fact in &reply.facts {
        println!("  [{}] {} ({})", fact.number, fact.text, fact.article_title);
    }
}

/// Why a turn rolled back, in plain words.
pub fn plain_error(error: &TurnError, timeout_ms: Option<u64>) -> String {
    let (stage, error) = match error {
        TurnError::Stage { stage, error } => (stage, error),
        TurnError::Retrieval(reason) => {
            return format!("Retrieval failed ({reason}). Nothing of that turn was kept.");
        }
        TurnError::Cancelled => return "Stopped. Nothing of that turn was kept.".to_string(),
    };
    let why = match error.root() {
        ModelError::Network(reason) => {
            format!("could not reach the model endpoint ({reason}); is it running, and is --endpoint right?")
        }
        ModelError::Http { status: status @ (401 | 403), message } => format!(
            "the endpoint refused the request (HTTP {status}: {message}); check the API key in the variable named by \
             --api-key-env"
        ),
        ModelError::Http { status: 404, message } => {
            format!(
                "the endpoint does not know that route or model (HTTP 404: {message}); check --endpoint and --model"
            )
        }
        ModelError::Http { status, message } if *status >= 500 => {
            format!("the endpoint had a server error (HTTP {status}: {message})")
        }
        ModelError::Http { status, message } => format!("the endpoint refused the request (HTTP {status}: {message})"),
        ModelError::RateLimited { retry_after_ms } => match retry_after_ms {
            Some(ms) => {
                format!("the endpoint is rate-limiting requests and asked to wait {:.0} s", *ms as f64 / 1000.0)
            }
            None => "the endpoint is rate-limiting requests".to_string(),
        },
        ModelError::Malformed(reason) => format!("the model's answer could not be understood ({reason})"),
        ModelError::Interrupted(reason) => format!("the model's answer broke off part-way ({reason})"),
        ModelError::Timeout { after_ms } => match timeout_ms {
            Some(_) => format!("the model did not answer within {after_ms} ms (raise --timeout-ms to wait longer)"),
            None => format!("the model did not answer within {after_ms} ms"),
        },
        ModelError::Cancelled => "it was cancelled".to_string(),
        ModelError::RetriesExhausted { .. } => unreachable!("root() unwraps RetriesExhausted"),
    };
    let attempts = match error {
        ModelError::RetriesExhausted { attempts, .. } => format!(" after {attempts} attempts"),
        _ => String::new(),
    };
    format!(
        "The {stage} stage failed{attempts}: {why}. Nothing of that turn was kept; send the message again to retry."
    )
}

/// The turn's stage timeline and retrieval summary.
pub fn print_timeline(trace: &TurnTrace) {
    println!(
        "  {:<10} {:>3} {:>9} {:>9}  {:<7} {:<16} {:>11} {:>4}  {:<9} note",
        "stage", "try", "start ms", "dur ms", "backend", "model", "tokens", "http", "outcome"
    );
    for record in &trace.stages {
        let tokens = match (record.prompt_tokens, record.completion_tokens) {
            (None, None) => "-".to_string(),
            (p, c) => {
                format!("{}/{}", p.map_or("?".into(), |n| n.to_string()), c.map_or("?".into(), |n| n.to_string()))
            }
        };
        let (outcome, reason) = match &record.outcome {
            StageOutcome::Ok => ("ok", String::new()),
            StageOutcome::Failed { error } => ("failed", error.clone()),
            StageOutcome::Skipped { reason } => ("skipped", reason.clone()),
            StageOutcome::Discarded => ("discarded", String::new()),
            StageOutcome::Cancelled => ("cancelled", String::new()),
        };
        let mut note = [reason.as_str(), record.note.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        if record.repaired {
            note = if note.is_empty() { "repaired".into() } else { format!("repaired; {note}") };
        }
        let line = format!(
            "  {:<10} {:>3} {:>9.1} {:>9.1}  {:<7} {:<16} {:>11} {:>4}  {:<9} {}",
            record.stage.name(),
            record.attempt,
            record.start_ms,
            record.duration_ms,
            record.backend,
            record.model.as_deref().unwrap_or("-"),
            tokens,
            record.http_attempts,
            outcome,
            note
        );
        println!("{}", line.trim_end());
    }
    let vet = match &trace.vet {
        Some(verdict) if verdict.flagged => {
            format!("flagged by {} ({})", verdict.decided_by, verdict.reasons.join("; "))
        }
        Some(verdict) => format!("allowed by {}", verdict.decided_by),
        None => "not reached".to_string(),
    };
    let calls = trace.stages.iter().filter(|r| r.called_model()).count();
    println!(
        "  retrieval: {} knowledge chunks, {} persona memory items ({:.1} ms) · kind {} · vet {vet}",
        trace.knowledge_retrieved,
        trace.memory_retrieved,
        trace.retrieval_ms,
        format!("{:?}", trace.kind).to_lowercase(),
    );
    println!(
        "  {} model calls, critical path {} · retries {} · facts cited {:?} · memory updates {} · total {:.1} ms",
        calls,
        critical_path_calls(&trace.stages),
        trace.retries,
        trace.facts_cited,
        trace.memory_updates,
        trace.total_ms
    );
    if let Some(guard) = &trace.guard {
        println!("  output guard: {guard}");
    }
    for warning in &trace.warnings {
        println!("  warning: {warning}");
    }
}

fn append_line(path: &PathBuf, line: &str) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    writeln!(file, "{line}").map_err(|e| format!("cannot write {}: {e}", path.display()))
}
