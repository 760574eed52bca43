//! The whole staged pipeline over real HTTP: Jane and the demo articles, all seven stages on
//! `OpenAiChatModel`, against the fake OpenAI server on 127.0.0.1 — the normal path, every
//! fault the client knows (on some stage), Validate-driven retries, cancellation and the API
//! key; then `persona chat` and `persona bench pipeline` as a user runs them.
//!
//! Every turn is bounded by [`BOUND`]; no test sleeps to wait for something.

#[path = "../src/staged.rs"]
#[allow(dead_code)]
mod staged;

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::{Duration, Instant};

use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::model::{CancelToken, ModelError};
use persona_core::persona::Persona;
use persona_core::pipeline::{
    critical_path_calls, Backends, Event, Pipeline, Schedule, Settlement, Stage, StageOutcome, StageRecord,
    StageSettings, Turn, TurnError, TurnPhase, MAX_RETRIES,
};
use persona_core::turn::{PersonaMemory, RetrievalConfig, TurnTrace};
use persona_fake_server::{FakeServer, RecordedRequest, Reply, Rule, Script};
use persona_model::{EndpointConfig, OpenAiChatModel, RecordingSleeper, RetryPolicy};
use staged::{facts_for, stage_marker, InstantClock, StageAnswers, FIGURE, QUESTION};

/// No turn may take longer than this: a hang fails the test instead of stalling the suite.
const BOUND: Duration = Duration::from_secs(20);

const MODEL: &str = "fake-model";

struct World {
    persona: Persona,
    knowledge: KnowledgeBase,
    own: MemoryBank,
    conversations: MemoryBank,
}

fn world() -> World {
    let persona = persona_demo::jane();
    let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
    knowledge.upsert_articles(persona_demo::articles()).unwrap();
    let own = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
    World { persona, knowledge, own, conversations: MemoryBank::new(HashEmbedder::default(), []) }
}

impl World {
    /// Valid answers for [`QUESTION`], citing the fact that holds its figure.
    fn answers(&self) -> StageAnswers {
        let memory = PersonaMemory { own: &self.own, conversations: &self.conversations };
        let facts = facts_for(&self.knowledge, &memory, QUESTION, &RetrievalConfig::default());
        let answers = StageAnswers::for_facts(&facts);
        let cited = facts.iter().find(|f| f.number == answers.cited).expect("the cited fact exists");
        assert!(cited.text.contains(FIGURE), "the demo retrieves the fact with the figure: {cited:?}");
        answers
    }
}

/// What a turn reported as it ran.
#[derive(Default)]
struct Seen {
    tokens: RefCell<Vec<String>>,
    discarded: RefCell<Vec<String>>,
    /// The longest partial reply the turn showed while running.
    longest_partial: Cell<usize>,
    first_token_at: Cell<Option<Instant>>,
}

struct Outcome {
    settlement: Settlement,
    turn: Turn,
    seen: Seen,
    /// When the turn settled.
    settled_at: Instant,
}

/// Runs one turn of `message` through `turn`'s state machine against `model`, every stage on
/// it; with `cancel_on_token`, the turn is cancelled from the event callback at the first token.
async fn run_turn(
    world: &World,
    model: &OpenAiChatModel,
    schedule: Schedule,
    message: &str,
    cancel_on_token: bool,
) -> Outcome {
    let backends = Backends::all(model, |stage| StageSettings::default_for(stage, MODEL));
    let clock = InstantClock::new();
    let pipeline = Pipeline {
        persona: &world.persona,
        knowledge: &world.knowledge,
        memory: PersonaMemory { own: &world.own, conversations: &world.conversations },
        history: &[],
        retrieval: RetrievalConfig::default(),
        backends: &backends,
        schedule,
        clock: &clock,
    };
    let cancel = CancelToken::new();
    let seen = Seen::default();
    let on_event = |event: &Event<'_>, turn: &Turn| {
        seen.longest_partial.set(seen.longest_partial.get().max(turn.partial_reply().len()));
        match event {
            Event::Token(piece) => {
                seen.tokens.borrow_mut().push(piece.to_string());
                if seen.first_token_at.get().is_none() {
                    seen.first_token_at.set(Some(Instant::now()));
                }
                if cancel_on_token {
                    cancel.cancel();
                }
            }
            Event::DraftDiscarded { feedback } => seen.discarded.borrow_mut().push(feedback.to_string()),
            _ => {}
        }
    };
    let mut turn = Turn::new("m1", message);
    let settlement = tokio::time::timeout(BOUND, pipeline.run_turn(&mut turn, &cancel, &on_event))
        .await
        .expect("the turn ends in bounded time")
        .expect("the turn's phases follow each other");
    Outcome { settlement, turn, seen, settled_at: Instant::now() }
}

/// A client of `server` with the given policy; waits between attempts are recorded, not slept.
fn client(server: &FakeServer, policy: RetryPolicy) -> (OpenAiChatModel, Arc<RecordingSleeper>) {
    client_with(EndpointConfig::new(server.base_url(), MODEL), policy)
}

fn client_with(config: EndpointConfig, policy: RetryPolicy) -> (OpenAiChatModel, Arc<RecordingSleeper>) {
    let sleeper = Arc::new(RecordingSleeper::new());
    let model = OpenAiChatModel::new(config).unwrap().with_retry_policy(policy).with_sleeper(sleeper.clone());
    (model, sleeper)
}

/// The chat-completion requests the server received for `stage`.
fn requests_for(server: &FakeServer, stage: Stage) -> Vec<RecordedRequest> {
    let marker = stage_marker(stage);
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .filter(|r| system_text(r).contains(&marker))
        .collect()
}

fn system_text(request: &RecordedRequest) -> String {
    let body = request.body.as_ref().expect("a JSON body");
    body["messages"][0]["content"].as_str().unwrap_or_default().to_string()
}

fn record(trace: &TurnTrace, stage: Stage) -> &StageRecord {
    trace.stages.iter().find(|r| r.stage == stage).unwrap_or_else(|| panic!("no {stage} record: {trace:?}"))
}

fn committed(outcome: &Outcome) -> &persona_core::pipeline::TurnOutput {
    match &outcome.settlement {
        Settlement::Commit(output) => output,
        other => panic!("expected a commit, got {other:#?}"),
    }
}

/// The failed stage and its error, after checking the rollback kept nothing.
fn rolled_back(outcome: &Outcome) -> (Stage, ModelError, &TurnTrace) {
    match &outcome.settlement {
        Settlement::RollBack { failure, user_text } => {
            assert_eq!(user_text, QUESTION, "the user's text is handed back");
            assert!(matches!(outcome.turn.phase(), TurnPhase::RolledBack { .. }));
            assert_eq!(outcome.turn.partial_reply(), "", "no partial reply is kept");
            match &failure.error {
                TurnError::Stage { stage, error } => {
                    let failed = record(&failure.trace, *stage);
                    assert!(matches!(failed.outcome, StageOutcome::Failed { .. }), "{failed:?}");
                    (*stage, error.clone(), &failure.trace)
                }
                other => panic!("expected a stage error, got {other:?}"),
            }
        }
        other => panic!("expected a rollback, got {other:#?}"),
    }
}

#[tokio::test]
async fn every_stage_calls_the_model_and_the_turn_commits_with_a_streamed_reply() {
    let world = world();
    let answers = world.answers();
    let pieces: Vec<String> = ["Honestly? ", "A written plan ", "pays off: "]
        .map(String::from)
        .into_iter()
        .chain([format!("{FIGURE} faster "), format!("[{}].", answers.cited)])
        .collect();
    let streamed = Rule::new(Reply::pieces(pieces.clone())).system_contains(stage_marker(Stage::Generate));
    let script = answers.script([streamed]).latency(Duration::from_millis(100));
    let server = FakeServer::start(script).await;
    let (model, sleeper) = client_with(
        EndpointConfig::new(server.base_url(), MODEL).with_api_key("sk-test-normal"),
        RetryPolicy::default(),
    );
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let output = committed(&outcome);

    assert_eq!(*outcome.seen.tokens.borrow(), pieces, "the draft streamed piece by piece");
    assert_eq!(outcome.turn.phase(), &TurnPhase::Committed);
    let cited = format!("[{}]", answers.cited);
    assert!(output.reply.text.contains(FIGURE) && output.reply.text.contains(&cited), "{}", output.reply.text);
    assert_eq!(output.trace.facts_cited, [answers.cited]);

    let trace = &output.trace;
    let calls: Vec<&StageRecord> = trace.stages.iter().filter(|r| r.called_model()).collect();
    assert_eq!(calls.len(), 7, "{:#?}", trace.stages);
    let stages: Vec<Stage> = calls.iter().map(|r| r.stage).collect();
    for stage in Stage::ALL {
        assert!(stages.contains(&stage), "{stage} called the model");
        assert_eq!(requests_for(&server, stage).len(), 1, "{stage}: one HTTP request");
    }
    for record in &calls {
        assert!(record.prompt_tokens.is_some_and(|n| n > 0), "{record:?}");
        assert!(record.completion_tokens.is_some_and(|n| n > 0), "{record:?}");
        assert_eq!(record.model.as_deref(), Some(MODEL));
        assert_eq!(record.http_attempts, 1);
        assert_eq!(record.outcome, StageOutcome::Ok);
        assert!(record.duration_ms >= 100.0, "each call waited for the server's latency: {record:?}");
    }
    // Establish, Vet, Objectives and Enrich together, then Generate, then Validate and Ground
    // together: three calls deep (four at most if retrieval delayed Enrich past the others).
    let depth = critical_path_calls(&trace.stages);
    assert!((3..=4).contains(&depth), "critical path {depth}: {:#?}", trace.stages);
    assert_eq!(trace.knowledge_retrieved, trace.chunk_ids.len());
    assert!(trace.knowledge_retrieved > 0 && trace.memory_retrieved > 0);
    assert_eq!(trace.backend, format!("model {MODEL}"));
    assert!(sleeper.delays_ms().is_empty(), "nothing was retried");
    for request in server.requests().iter().filter(|r| r.path == "/v1/chat/completions") {
        assert_eq!(request.bearer_token(), Some("sk-test-normal"));
    }
}

#[tokio::test]
async fn the_sequential_schedule_puts_every_call_on_the_critical_path() {
    let world = world();
    let server = FakeServer::start(world.answers().script([]).latency(Duration::from_millis(20))).await;
    let (model, _) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Sequential, QUESTION, false).await;
    let trace = &committed(&outcome).trace;
    assert_eq!(trace.stages.iter().filter(|r| r.called_model()).count(), 7);
    assert_eq!(critical_path_calls(&trace.stages), 7, "{:#?}", trace.stages);
}

#[tokio::test]
async fn a_500_then_success_is_retried_and_the_turn_commits() {
    let world = world();
    let fault = Rule::new(Reply::error(500, "hiccup")).system_contains(stage_marker(Stage::Establish)).times(1);
    let server = FakeServer::start(world.answers().script([fault])).await;
    let (model, sleeper) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let output = committed(&outcome);
    assert_eq!(record(&output.trace, Stage::Establish).http_attempts, 2);
    assert_eq!(requests_for(&server, Stage::Establish).len(), 2);
    assert_eq!(sleeper.delays_ms(), [500], "one backoff wait, by the default policy");
}

#[tokio::test]
async fn a_500_forever_rolls_the_turn_back_with_the_typed_error() {
    let world = world();
    let fault = Rule::new(Reply::error(500, "boom")).system_contains(stage_marker(Stage::Enrich));
    let server = FakeServer::start(world.answers().script([fault])).await;
    let (model, sleeper) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let (stage, error, _) = rolled_back(&outcome);
    assert_eq!(stage, Stage::Enrich);
    assert!(matches!(error, ModelError::RetriesExhausted { attempts: 3, .. }), "{error:?}");
    assert_eq!(error.root(), &ModelError::Http { status: 500, message: "boom".into() });
    assert_eq!(requests_for(&server, Stage::Enrich).len(), 3);
    assert_eq!(sleeper.delays_ms(), [500, 1000]);
    assert!(requests_for(&server, Stage::Generate).is_empty(), "nothing after a failed stage runs");
}

#[tokio::test]
async fn a_429_waits_for_retry_after_then_succeeds() {
    let world = world();
    let fault = || Rule::new(Reply::rate_limited(Some(1))).system_contains(stage_marker(Stage::Vet)).times(1);
    // A small base delay, so that the 1000 ms wait can only come from the Retry-After header.
    let policy = RetryPolicy { base_delay_ms: 5, ..RetryPolicy::default() };
    let server = FakeServer::start(world.answers().script([fault()])).await;
    let (model, sleeper) = client(&server, policy);
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let output = committed(&outcome);
    assert_eq!(record(&output.trace, Stage::Vet).http_attempts, 2);
    assert_eq!(sleeper.delays_ms(), [1000], "Retry-After: 1 is waited for");

    // With the real timer, the turn cannot end before the server's second has passed.
    let server = FakeServer::start(world.answers().script([fault()])).await;
    let model = OpenAiChatModel::new(EndpointConfig::new(server.base_url(), MODEL)).unwrap().with_retry_policy(policy);
    let started = Instant::now();
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    committed(&outcome);
    assert!(started.elapsed() >= Duration::from_millis(1000), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_response_slower_than_the_client_timeout_rolls_back() {
    let world = world();
    let slow =
        Rule::new(Reply::text("{}")).system_contains(stage_marker(Stage::Objectives)).delay(Duration::from_secs(10));
    let server = FakeServer::start(world.answers().script([slow])).await;
    let (model, _) =
        client_with(EndpointConfig::new(server.base_url(), MODEL).with_timeout_ms(300), RetryPolicy::default());
    let started = Instant::now();
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let (stage, error, _) = rolled_back(&outcome);
    assert_eq!((stage, error), (Stage::Objectives, ModelError::Timeout { after_ms: 300 }));
    assert!(started.elapsed() < Duration::from_secs(5), "the call gave up long before the server answered");
}

#[tokio::test]
async fn a_malformed_body_rolls_back_without_retry_or_repair() {
    let world = world();
    let fault = Rule::new(Reply::malformed()).system_contains(stage_marker(Stage::Establish));
    let server = FakeServer::start(world.answers().script([fault])).await;
    let (model, sleeper) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let (stage, error, _) = rolled_back(&outcome);
    assert_eq!(stage, Stage::Establish);
    assert!(matches!(error, ModelError::Malformed(_)), "{error:?}");
    assert_eq!(requests_for(&server, Stage::Establish).len(), 1);
    assert!(sleeper.delays_ms().is_empty());
}

#[tokio::test]
async fn a_structured_answer_that_is_not_json_is_repaired_once() {
    let world = world();
    let fault = Rule::new(Reply::text("allow, I think")).system_contains(stage_marker(Stage::Vet)).times(1);
    let server = FakeServer::start(world.answers().script([fault])).await;
    let (model, _) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let vet = record(&committed(&outcome).trace, Stage::Vet);
    assert!(vet.repaired, "{vet:?}");
    assert_eq!(vet.http_attempts, 2);
    let requests = requests_for(&server, Stage::Vet);
    assert_eq!(requests.len(), 2);
    let repair = &requests[1].body.as_ref().unwrap()["messages"];
    let messages = repair.as_array().unwrap();
    assert_eq!(messages[messages.len() - 2]["content"], "allow, I think");
    assert!(messages.last().unwrap()["content"].as_str().unwrap().contains("not valid JSON"));
}

#[tokio::test]
async fn a_structured_answer_invalid_twice_rolls_back_as_malformed() {
    let world = world();
    let fault = Rule::new(Reply::text("nope")).system_contains(stage_marker(Stage::Vet)).times(2);
    let server = FakeServer::start(world.answers().script([fault])).await;
    let (model, _) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let (stage, error, _) = rolled_back(&outcome);
    assert_eq!(stage, Stage::Vet);
    assert!(matches!(error, ModelError::Malformed(_)), "{error:?}");
    assert_eq!(requests_for(&server, Stage::Vet).len(), 2, "exactly one repair call");
}

#[tokio::test]
async fn a_stream_cut_off_mid_way_rolls_back_and_keeps_no_partial_reply() {
    let world = world();
    let cut =
        Rule::new(Reply::truncated(["Honestly? ", "Businesses with "])).system_contains(stage_marker(Stage::Generate));
    let server = FakeServer::start(world.answers().script([cut])).await;
    let (model, sleeper) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    assert!(outcome.seen.longest_partial.get() > 0, "part of the reply streamed before the cut");
    let (stage, error, trace) = rolled_back(&outcome);
    assert_eq!(stage, Stage::Generate);
    assert!(matches!(error, ModelError::Interrupted(_)), "{error:?}");
    assert_eq!(requests_for(&server, Stage::Generate).len(), 1, "text already shown is never requested again");
    assert!(sleeper.delays_ms().is_empty());
    assert!(trace.facts_cited.is_empty());
}

#[tokio::test]
async fn a_dropped_connection_is_retried_then_rolls_back_as_a_network_error() {
    let world = world();
    let fault = Rule::new(Reply::dropped()).system_contains(stage_marker(Stage::Objectives));
    let server = FakeServer::start(world.answers().script([fault])).await;
    let (model, sleeper) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let (stage, error, _) = rolled_back(&outcome);
    assert_eq!(stage, Stage::Objectives);
    assert!(matches!(error, ModelError::RetriesExhausted { attempts: 3, .. }), "{error:?}");
    assert!(matches!(error.root(), ModelError::Network(_)), "{error:?}");
    assert_eq!(requests_for(&server, Stage::Objectives).len(), 3);
    assert_eq!(sleeper.delays_ms(), [500, 1000]);
}

fn judgement(verdict: &str, feedback: &str) -> Reply {
    Reply::text(serde_json::json!({"verdict": verdict, "feedback": feedback}).to_string())
}

#[tokio::test]
async fn validate_sends_the_draft_back_once_then_passes() {
    let world = world();
    let retry = Rule::new(judgement("retry_generate", "Say it in your own voice."))
        .system_contains(stage_marker(Stage::Validate))
        .times(1);
    let server = FakeServer::start(world.answers().script([retry])).await;
    let (model, _) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let output = committed(&outcome);
    let generate = requests_for(&server, Stage::Generate);
    assert_eq!(generate.len(), 2);
    assert!(!system_text(&generate[0]).contains("A reviewer rejected"));
    assert!(system_text(&generate[1]).contains("A reviewer rejected your previous draft: Say it in your own voice."));
    assert_eq!(requests_for(&server, Stage::Objectives).len(), 1);
    assert_eq!(output.trace.retries, 1);
    assert_eq!(*outcome.seen.discarded.borrow(), ["Say it in your own voice."]);
    let ground_runs: Vec<&StageOutcome> =
        output.trace.stages.iter().filter(|r| r.stage == Stage::Ground).map(|r| &r.outcome).collect();
    assert_eq!(ground_runs, [&StageOutcome::Discarded, &StageOutcome::Ok]);
}

#[tokio::test]
async fn validate_can_send_the_turn_back_to_objectives() {
    let world = world();
    let retry = Rule::new(judgement("retry_objectives", "They asked about growth, not plans in general."))
        .system_contains(stage_marker(Stage::Validate))
        .times(1);
    let server = FakeServer::start(world.answers().script([retry])).await;
    let (model, _) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let output = committed(&outcome);
    let objectives = requests_for(&server, Stage::Objectives);
    assert_eq!(objectives.len(), 2);
    assert!(system_text(&objectives[1]).contains("They asked about growth, not plans in general."));
    assert_eq!(requests_for(&server, Stage::Generate).len(), 2);
    assert_eq!(record(&output.trace, Stage::Objectives).attempt, 1);
    assert!(output.trace.stages.iter().any(|r| r.stage == Stage::Objectives && r.attempt == 2));
}

#[tokio::test]
async fn validate_retries_stop_at_the_cap_and_the_turn_commits() {
    let world = world();
    let retry =
        Rule::new(judgement("retry_generate", "Warmer, please.")).system_contains(stage_marker(Stage::Validate));
    let server = FakeServer::start(world.answers().script([retry])).await;
    let (model, _) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let output = committed(&outcome);
    assert_eq!(requests_for(&server, Stage::Generate).len(), 1 + MAX_RETRIES as usize);
    assert_eq!(requests_for(&server, Stage::Validate).len(), 1 + MAX_RETRIES as usize);
    assert_eq!(output.trace.retries, MAX_RETRIES);
    let last = output.trace.stages.iter().rev().find(|r| r.stage == Stage::Validate).unwrap();
    assert!(last.note.contains("retry cap"), "{last:?}");
}

#[tokio::test]
async fn cancelling_mid_stream_stops_the_turn_and_closes_the_connection() {
    let world = world();
    // 20 pieces 300 ms apart: the stream would run for about seven seconds.
    let pieces: Vec<String> = (0..20).map(|n| format!("word{n} ")).collect();
    let slow = Rule::new(Reply::pieces(pieces))
        .system_contains(stage_marker(Stage::Generate))
        .chunk_interval(Duration::from_millis(300));
    let server = FakeServer::start(world.answers().script([slow])).await;
    let (model, _) = client(&server, RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, true).await;
    match &outcome.settlement {
        Settlement::Cancelled { user_text, trace } => {
            assert_eq!(user_text, QUESTION);
            assert_eq!(record(trace, Stage::Generate).outcome, StageOutcome::Cancelled);
        }
        other => panic!("expected a cancellation, got {other:#?}"),
    }
    assert_eq!(outcome.turn.phase(), &TurnPhase::Cancelled);
    assert_eq!(outcome.turn.partial_reply(), "");
    assert_eq!(*outcome.seen.tokens.borrow(), ["word0 "], "nothing streamed after the cancel");
    let first_token = outcome.seen.first_token_at.get().expect("a token arrived");
    assert!(outcome.settled_at - first_token < Duration::from_secs(1), "the turn stopped at once");
    // A graceful shutdown waits for open responses (up to its five-second grace): it finishes
    // quickly only because the client closed the stream's connection.
    let started = Instant::now();
    server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the server still had the stream open: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_api_key_stays_out_of_traces_and_errors() {
    const KEY: &str = "sk-live-SECRET-4242";
    let world = world();
    let server = FakeServer::start(world.answers().script([])).await;
    let (model, _) =
        client_with(EndpointConfig::new(server.base_url(), MODEL).with_api_key(KEY), RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let output = committed(&outcome);
    let json = serde_json::to_string(&output.trace).unwrap();
    assert!(json.contains("\"stages\"") && !json.contains(KEY), "{json}");
    assert!(server.requests().iter().any(|r| r.bearer_token() == Some(KEY)), "the key did go to the endpoint");

    // An endpoint that echoes the key in its error message.
    let echo = Rule::new(Reply::error(401, format!("Incorrect API key provided: {KEY}")));
    let server = FakeServer::start(Script::new().rule(echo)).await;
    let (model, _) =
        client_with(EndpointConfig::new(server.base_url(), MODEL).with_api_key(KEY), RetryPolicy::default());
    let outcome = run_turn(&world, &model, Schedule::Concurrent, QUESTION, false).await;
    let (_, error, trace) = rolled_back(&outcome);
    assert!(matches!(error, ModelError::Http { status: 401, .. }), "{error:?}");
    let json = serde_json::to_string(trace).unwrap();
    assert!(json.contains("Incorrect API key") && !json.contains(KEY), "{json}");
    assert!(!error.to_string().contains(KEY) && !format!("{:?}", outcome.settlement).contains(KEY));
}

// ---------------------------------------------------------------------------------------------
// The binary: `persona chat` and `persona bench pipeline`.
// ---------------------------------------------------------------------------------------------

/// Runs the built `persona` with `args`, `stdin` as its input and `env` set (PERSONA_API_KEY
/// removed unless set there), off the runtime's thread so that a fake server keeps serving.
async fn persona(args: Vec<String>, stdin: &str, env: Vec<(&str, &str)>) -> (bool, String, String) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let stdin = stdin.to_string();
    let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let run = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_persona"));
        command.args(args).env_remove("PERSONA_API_KEY").envs(env);
        let mut child =
            command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("it runs");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    });
    let out = tokio::time::timeout(Duration::from_secs(120), run).await.expect("the binary finishes").unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn chat_offline_answers_one_message_with_citations_and_a_timeline() {
    let (ok, stdout, stderr) = persona(strings(&["chat", "--message", QUESTION, "--trace"]), "", vec![]).await;
    assert!(ok, "{stderr}");
    let reply = stdout.lines().find(|l| l.starts_with("Jane: ")).unwrap_or_else(|| panic!("no reply: {stdout}"));
    assert!(reply.contains(FIGURE), "{reply}");
    assert!(staged_citation(reply), "the reply cites a numbered fact: {reply}");
    for stage in Stage::ALL {
        assert!(stdout.lines().any(|l| l.trim_start().starts_with(stage.name())), "{stage} in the timeline: {stdout}");
    }
    assert!(
        stdout.contains("retrieval: ") && stdout.contains("kind factual") && stdout.contains("vet allowed by rules")
    );
}

fn staged_citation(text: &str) -> bool {
    !persona_core::pipeline::citations(text).is_empty()
}

#[tokio::test]
async fn chat_offline_reads_lines_from_standard_input() {
    let input = format!("{QUESTION}\n\nHave you ever had trouble getting paid?\n");
    let (ok, stdout, stderr) = persona(strings(&["chat"]), &input, vec![]).await;
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("Jane: ")).count(),
        2,
        "two turns, the blank line skipped: {stdout}"
    );
}

#[tokio::test]
async fn chat_against_an_endpoint_keeps_only_committed_turns_in_the_history() {
    const KEY: &str = "sk-chat-SECRET-77";
    let world = world();
    let answers = world.answers();
    // Any request of a turn about zebras is refused (400: not retried).
    let refuse = Rule::new(Reply::error(400, "no zebras here")).user_contains("zebra");
    let server = FakeServer::start(answers.script([refuse])).await;
    let dir = std::env::temp_dir().join(format!("persona-chat-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace_file = dir.join("trace.jsonl");
    let _ = std::fs::remove_file(&trace_file);
    let args = strings(&[
        "chat",
        "--endpoint",
        &server.base_url(),
        "--model",
        MODEL,
        "--trace",
        "--json-trace",
        trace_file.to_str().unwrap(),
    ]);
    let input = format!("{QUESTION}\nTell me about zebra crossings.\n{QUESTION}\n");
    let (ok, stdout, stderr) = persona(args, &input, vec![("PERSONA_API_KEY", KEY)]).await;
    assert!(!ok, "a turn failed, so the exit status says so");
    assert_eq!(stdout.matches("Jane (grounded): ").count(), 2, "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("grew {FIGURE} faster [{}]", answers.cited)), "{stdout}");
    assert!(stdout.contains("7 model calls"), "{stdout}");
    assert!(
        stderr.contains("HTTP 400: no zebras here") && stderr.contains("Nothing of that turn was kept"),
        "{stderr}"
    );

    // The third turn's Generate saw the first exchange as history, and nothing of the second.
    let generate = requests_for(&server, Stage::Generate);
    assert_eq!(generate.len(), 2, "the failed turn never reached Generate");
    let messages = generate[1].body.as_ref().unwrap()["messages"].as_array().unwrap().clone();
    let texts: Vec<&str> = messages.iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert!(texts.iter().filter(|t| **t == QUESTION).count() == 2, "the first question and this one: {texts:?}");
    assert!(messages.iter().any(|m| m["role"] == "assistant" && m["content"].as_str().unwrap().contains(FIGURE)));
    assert!(texts.iter().all(|t| !t.contains("zebra")), "the rolled-back turn left nothing: {texts:?}");
    assert!(server.requests().iter().all(|r| r.path != "/v1/chat/completions" || r.bearer_token() == Some(KEY)));

    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&trace_file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let outcomes: Vec<&str> = lines.iter().map(|l| l["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["commit", "rollback", "commit"]);
    assert_eq!(lines[0]["trace"]["stages"].as_array().unwrap().len(), 7);
    let file = std::fs::read_to_string(&trace_file).unwrap();
    for text in [&stdout, &stderr, &file] {
        assert!(!text.contains(KEY), "the key is never printed");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn chat_reports_a_broken_stream_in_plain_words_and_keeps_nothing() {
    let world = world();
    let cut =
        Rule::new(Reply::truncated(["Honestly? ", "Businesses with "])).system_contains(stage_marker(Stage::Generate));
    let server = FakeServer::start(world.answers().script([cut])).await;
    let args = strings(&["chat", "--endpoint", &server.base_url(), "--model", MODEL, "--message", QUESTION]);
    let (ok, stdout, stderr) = persona(args, "", vec![]).await;
    assert!(!ok, "the one turn did not commit");
    assert!(stdout.starts_with("Jane: Honestly? Businesses with"), "the draft streamed as it came: {stdout}");
    assert!(stdout.contains("(that reply broke off and was not kept)"), "{stdout}");
    assert!(!stdout.contains("(grounded)"), "{stdout}");
    assert!(
        stderr.contains("The generate stage failed: the model's answer broke off part-way")
            && stderr.contains("Nothing of that turn was kept"),
        "{stderr}"
    );
}

#[tokio::test]
async fn bench_pipeline_reports_the_schedules_and_the_overhead() {
    let args = strings(&[
        "bench",
        "pipeline",
        "--latency-ms",
        "50",
        "--turns",
        "2",
        "--chunks",
        "500",
        "--overhead-turns",
        "3",
    ]);
    let (ok, stdout, stderr) = persona(args, "", vec![]).await;
    assert!(ok, "{stderr}");
    let summary: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let number = |key: &str| summary[key].as_f64().unwrap_or_else(|| panic!("{key} in {summary}"));
    assert!(number("concurrent_ms") < number("sequential_ms"), "{summary}");
    assert!(number("critical_path_calls") <= 4.0, "{summary}");
    assert_eq!(number("sequential_critical_path_calls"), 7.0);
    assert_eq!(number("calls_per_turn"), 7.0);
    assert_eq!(number("overhead_calls_per_turn"), 7.0, "the overhead turns call the in-process model at every stage");
    assert!(number("ratio") > 1.0);
    assert!((450.0..=600.0).contains(&number("chunks")), "{summary}");
    assert!(number("overhead_ms") > 0.0 && number("offline_turn_ms") > 0.0);
}
