//! `persona bench pipeline`: what the concurrent schedule saves, and what the engine costs.
//!
//! Part one starts the fake OpenAI server in this process on 127.0.0.1 with a fixed latency per
//! call and a valid scripted answer for every stage, and runs the same turn with every stage
//! model-backed (over HTTP, through `OpenAiChatModel`) with the concurrent and the sequential
//! schedule, alternating, after one untimed turn of each. It reports the median turn time of
//! each, their ratio, the model calls per turn and the critical path (the longest chain of calls
//! that waited for each other, from the trace's recorded times).
//!
//! Part two measures the engine's own time per turn on a knowledge base of about `--chunks`
//! chunks (the demo articles plus deterministic synthetic ones): every stage model-backed by an
//! in-process model that answers at once with no IO (so the turn's time is everything but the
//! model calls: retrieval, prompts, parsing, scheduling, the trace), and fully offline.
//!
//! Prints a table, then one JSON object as the last line of stdout.

use std::time::{Duration, Instant};

use persona_core::chat::Reply;
use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{Article, KnowledgeBase, MemoryBank};
use persona_core::model::{CancelToken, ChatModel};
use persona_core::persona::Persona;
use persona_core::pipeline::{critical_path_calls, Backends, NoModel, Pipeline, Schedule, Stage, StageSettings};
use persona_core::turn::{retrieve, PersonaMemory, RetrievalConfig, TurnTrace};
use persona_fake_server::FakeServer;
use persona_model::{EndpointConfig, OpenAiChatModel, RetryPolicy};
use serde_json::json;

use crate::bench::Rng;
use crate::staged::{facts_for, InstantClock, InstantModel, StageAnswers, QUESTION};

pub struct PipelineBenchArgs {
    pub latency_ms: u64,
    pub turns: usize,
    pub chunks: usize,
    pub overhead_turns: usize,
    pub seed: u64,
}

/// The persona and both memories a benchmark turn reads.
struct World {
    persona: Persona,
    knowledge: KnowledgeBase,
    own: MemoryBank,
    conversations: MemoryBank,
}

impl World {
    fn new(articles: Vec<Article>) -> Result<World, String> {
        let persona = persona_demo::jane();
        let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
        knowledge.upsert_articles(articles).map_err(|e| format!("could not index the articles: {e}"))?;
        let own = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
        Ok(World { persona, knowledge, own, conversations: MemoryBank::new(HashEmbedder::default(), []) })
    }

    fn answers(&self) -> StageAnswers {
        let memory = PersonaMemory { own: &self.own, conversations: &self.conversations };
        StageAnswers::for_facts(&facts_for(&self.knowledge, &memory, QUESTION, &RetrievalConfig::default()))
    }

    /// One turn of [`QUESTION`] with no history; its wall time in ms and its trace.
    async fn turn<M: ChatModel>(&self, backends: &Backends<'_, M>, schedule: Schedule) -> Result<Turn, String> {
        let clock = InstantClock::new();
        let pipeline = Pipeline {
            persona: &self.persona,
            knowledge: &self.knowledge,
            memory: PersonaMemory { own: &self.own, conversations: &self.conversations },
            history: &[],
            retrieval: RetrievalConfig::default(),
            backends,
            schedule,
            clock: &clock,
        };
        let started = Instant::now();
        let result = pipeline.run(QUESTION, &CancelToken::new(), &|_| {}).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Ok(output) => Ok(Turn { ms, reply: output.reply, trace: output.trace }),
            Err(failure) => Err(format!("a benchmark turn failed: {}", failure.error)),
        }
    }
}

struct Turn {
    ms: f64,
    reply: Reply,
    trace: TurnTrace,
}

impl Turn {
    fn calls(&self) -> usize {
        self.trace.stages.iter().filter(|r| r.called_model()).count()
    }

    fn critical_path(&self) -> usize {
        critical_path_calls(&self.trace.stages)
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

/// What each schedule's timed turns showed.
struct ScheduleResult {
    median_ms: f64,
    calls: usize,
    critical_path: usize,
}

impl ScheduleResult {
    fn of(turns: &[Turn]) -> ScheduleResult {
        ScheduleResult {
            median_ms: median(turns.iter().map(|t| t.ms).collect()),
            // Every turn runs the same script; the largest counts if they ever differ.
            calls: turns.iter().map(Turn::calls).max().unwrap_or(0),
            critical_path: turns.iter().map(Turn::critical_path).max().unwrap_or(0),
        }
    }
}

pub fn run(args: &PipelineBenchArgs) -> Result<serde_json::Value, String> {
    let turns = args.turns.max(1);

    // Part one: the schedules over HTTP.
    let demo = World::new(persona_demo::articles())?;
    let answers = demo.answers();
    let cited_fact = answers.cited;
    let script = answers.script([]).latency(Duration::from_millis(args.latency_ms));
    // The server's tasks run on the worker thread; the pipeline (whose futures are not `Send`)
    // on this one, as in the app.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let (concurrent, sequential, sample_reply) = runtime.block_on(async {
        let server = FakeServer::start_on_port(0, script).await.map_err(|e| e.to_string())?;
        let config = EndpointConfig::new(server.base_url(), "fake-model");
        let model = OpenAiChatModel::new(config).map_err(|e| e.to_string())?.with_retry_policy(RetryPolicy::none());
        let backends = Backends::all(&model, |stage| StageSettings::default_for(stage, "fake-model"));
        // Untimed: connections opened, caches warm.
        demo.turn(&backends, Schedule::Concurrent).await?;
        demo.turn(&backends, Schedule::Sequential).await?;
        let (mut concurrent, mut sequential) = (Vec::new(), Vec::new());
        for i in 0..turns {
            // Alternating, and which goes first alternates too: a slow spell hits both alike.
            let order = if i.is_multiple_of(2) {
                [Schedule::Concurrent, Schedule::Sequential]
            } else {
                [Schedule::Sequential, Schedule::Concurrent]
            };
            for schedule in order {
                let turn = demo.turn(&backends, schedule).await?;
                match schedule {
                    Schedule::Concurrent => concurrent.push(turn),
                    Schedule::Sequential => sequential.push(turn),
                }
            }
        }
        server.shutdown().await;
        let reply = concurrent[0].reply.text.clone();
        Ok::<_, String>((ScheduleResult::of(&concurrent), ScheduleResult::of(&sequential), reply))
    })?;

    // Part two: the engine's own time on a large knowledge base.
    let mut articles = persona_demo::articles();
    articles.extend(synthetic_articles(args.chunks.saturating_sub(demo.knowledge.chunk_count()), args.seed));
    let started = Instant::now();
    let large = World::new(articles)?;
    let build_ms = started.elapsed().as_secs_f64() * 1000.0;
    let chunks = large.knowledge.chunk_count();
    let instant = InstantModel { answers: large.answers() };
    let model_backed = Backends::all(&instant, |stage| StageSettings::default_for(stage, "instant"));
    let offline = Backends::<NoModel>::offline();
    let overhead_turns = args.overhead_turns.max(1);
    let warmup = 3.min(overhead_turns);
    let (mut overhead, mut overhead_retrieval, mut offline_ms) = (Vec::new(), Vec::new(), Vec::new());
    let mut per_stage: Vec<Vec<f64>> = vec![Vec::new(); Stage::ALL.len()];
    let mut overhead_calls = 0;
    for i in 0..warmup + overhead_turns {
        let turn = futures::executor::block_on(large.turn(&model_backed, Schedule::Concurrent))?;
        let offline_turn = futures::executor::block_on(large.turn(&offline, Schedule::Concurrent))?;
        if i >= warmup {
            overhead_calls = overhead_calls.max(turn.calls());
            overhead.push(turn.ms);
            overhead_retrieval.push(turn.trace.retrieval_ms);
            for stage in Stage::ALL {
                let ms = turn.trace.stages.iter().filter(|r| r.stage == stage).map(|r| r.duration_ms).sum();
                per_stage[stage as usize].push(ms);
            }
            offline_ms.push(offline_turn.ms);
        }
    }
    let profile = retrieval_profile(&large, overhead_turns);
    // Each stage's own records (retrieval runs before Enrich's record starts, outside them all).
    let stage_ms: serde_json::Map<String, serde_json::Value> = Stage::ALL
        .iter()
        .map(|stage| (stage.name().to_string(), json!(median(per_stage[*stage as usize].clone()))))
        .collect();
    let overhead_ms = median(overhead);
    let overhead_retrieval_ms = median(overhead_retrieval);
    let offline_turn_ms = median(offline_ms);

    let ratio = sequential.median_ms / concurrent.median_ms.max(1e-9);
    let summary = json!({
        "latency_ms": args.latency_ms,
        "turns": turns,
        "concurrent_ms": concurrent.median_ms,
        "sequential_ms": sequential.median_ms,
        "ratio": ratio,
        "cited_fact": cited_fact,
        "calls_per_turn": concurrent.calls,
        "sequential_calls_per_turn": sequential.calls,
        "critical_path_calls": concurrent.critical_path,
        "sequential_critical_path_calls": sequential.critical_path,
        "chunks": chunks,
        "knowledge_build_ms": build_ms,
        "overhead_turns": overhead_turns,
        "overhead_ms": overhead_ms,
        "overhead_retrieval_ms": overhead_retrieval_ms,
        "overhead_stages_ms": (overhead_ms - overhead_retrieval_ms).max(0.0),
        "overhead_calls_per_turn": overhead_calls,
        "offline_turn_ms": offline_turn_ms,
        "retrieval_profile_ms": profile,
        "overhead_stage_ms": stage_ms,
        "overhead_goal_ms": 5.0,
    });
    println!("the staged pipeline: every stage model-backed, fake OpenAI server on 127.0.0.1");
    println!("question: {QUESTION}");
    println!("reply:    {sample_reply}");
    println!();
    println!("{} ms per model call, {turns} timed turns per schedule (alternating)", args.latency_ms);
    println!("{:<12} {:>14} {:>12} {:>15}", "schedule", "median turn", "model calls", "critical path");
    for (name, result) in [("concurrent", &concurrent), ("sequential", &sequential)] {
        println!("{:<12} {:>11.1} ms {:>12} {:>15}", name, result.median_ms, result.calls, result.critical_path);
    }
    println!("sequential / concurrent: {ratio:.2}×");
    println!();
    println!(
        "engine overhead on {chunks} chunks (built in {build_ms:.0} ms), median of {overhead_turns} turns, no model latency"
    );
    println!(
        "model-backed turn, in-process instant model ({overhead_calls} calls): {overhead_ms:>8.3} ms  (retrieval \
         {overhead_retrieval_ms:.3} ms, stages and the rest {:.3} ms)",
        (overhead_ms - overhead_retrieval_ms).max(0.0)
    );
    println!("offline turn:                                       {offline_turn_ms:>8.3} ms");
    let stages: Vec<String> =
        stage_ms.iter().map(|(name, ms)| format!("{name} {:.3}", ms.as_f64().unwrap_or_default())).collect();
    let in_records: f64 = stage_ms.values().filter_map(serde_json::Value::as_f64).sum();
    println!(
        "model-backed turn: stage records {in_records:.3} ms in all ({}), the rest outside retrieval and records \
         {:.3} ms",
        stages.join(", "),
        (overhead_ms - overhead_retrieval_ms - in_records).max(0.0)
    );
    let part = |key: &str| profile[key].as_f64().unwrap_or_default();
    println!(
        "retrieval, step by step: query vector {:.3} ms, BM25 {:.3} ms, vector search {:.3} ms, fused search {:.3} \
         ms, sections {:.3} ms, persona memory {:.3} ms; all of retrieval alone {:.3} ms",
        part("embed_query"),
        part("bm25"),
        part("vector"),
        part("fused_search"),
        part("sections"),
        part("memory"),
        part("retrieve")
    );
    println!("goal: overhead under 5 ms per turn: {}", if overhead_ms < 5.0 { "met" } else { "NOT met" });
    println!("{summary}");
    Ok(summary)
}

/// Median times of retrieval's steps for [`QUESTION`], each repeated on its own (so with warm
/// caches, and overlapping: `fused_search` includes the query vector, BM25 and the vector search;
/// `retrieve` is all of a turn's retrieval, both memories).
fn retrieval_profile(world: &World, rounds: usize) -> serde_json::Value {
    let knowledge = &world.knowledge;
    let config = RetrievalConfig::default();
    let depth = config.knowledge_k * knowledge.search_config().candidates_per_result.max(1);
    let embedding = knowledge.embed_query(QUESTION);
    let hits = knowledge.search(QUESTION, config.knowledge_k).unwrap_or_default();
    let time = |step: &dyn Fn()| {
        median(
            (0..rounds.max(1))
                .map(|_| {
                    let started = Instant::now();
                    step();
                    started.elapsed().as_secs_f64() * 1000.0
                })
                .collect(),
        )
    };
    json!({
        "embed_query": time(&|| drop(knowledge.embed_query(QUESTION))),
        "bm25": time(&|| drop(knowledge.lexical_index().search_weighted(&knowledge.expanded_terms(QUESTION), depth))),
        "vector": time(&|| drop(knowledge.vector_index().search(&embedding, depth))),
        "fused_search": time(&|| drop(knowledge.search(QUESTION, config.knowledge_k))),
        "sections": time(&|| drop(knowledge.with_sections(hits.clone(), config.max_section_chunks))),
        "retrieve": time(&|| {
            let memory = PersonaMemory { own: &world.own, conversations: &world.conversations };
            drop(retrieve(knowledge, &memory, QUESTION, &config));
        }),
        "memory": time(&|| {
            drop(world.own.search(QUESTION, config.memory_k));
            drop(world.conversations.search(QUESTION, config.memory_k));
        }),
    })
}

/// Words of every topic, common enough that a question's terms have long posting lists.
const COMMON: &[&str] = &[
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "for",
    "with",
    "on",
    "that",
    "is",
    "are",
    "was",
    "by",
    "as",
    "their",
    "most",
    "more",
    "less",
    "each",
    "every",
    "after",
    "before",
    "during",
    "business",
    "businesses",
    "owner",
    "owners",
    "plan",
    "plans",
    "written",
    "formal",
    "grow",
    "grew",
    "growth",
    "faster",
    "slower",
    "cash",
    "flow",
    "price",
    "prices",
    "pricing",
    "customer",
    "customers",
    "staff",
    "hire",
    "hiring",
    "month",
    "months",
    "year",
    "quarter",
    "market",
    "research",
    "sales",
    "costs",
    "margin",
    "profit",
    "invoice",
    "supplier",
    "team",
    "budget",
    "risk",
    "loan",
    "bank",
    "tax",
    "rent",
    "stock",
    "order",
    "orders",
    "shop",
    "service",
    "online",
    "local",
    "small",
    "first",
    "new",
];

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "tor", "vel", "sa", "nu", "pri", "dal", "gem", "fo", "zi", "bar", "ton", "lis", "mer",
    "qua", "ste", "vin", "ho", "ru", "pen", "dor", "cal", "ith", "ob", "ur", "el", "an",
];

/// A made-up word, `index` in a vocabulary of a few thousand.
fn pseudo_word(index: usize) -> String {
    let mut n = index;
    let mut word = String::new();
    for _ in 0..2 + index % 2 {
        word.push_str(SYLLABLES[n % SYLLABLES.len()]);
        n /= SYLLABLES.len();
    }
    word
}

fn sentence(rng: &mut Rng) -> String {
    let length = 8 + (rng.next_u64() % 9) as usize;
    let mut words: Vec<String> = (0..length)
        .map(|_| {
            if rng.uniform() < 0.4 {
                COMMON[(rng.next_u64() % COMMON.len() as u64) as usize].to_string()
            } else {
                // Log-uniform over 4,000 made-up words: a few frequent, most rare (Zipf-like).
                pseudo_word((4000f32.powf(rng.uniform()) as usize).saturating_sub(1))
            }
        })
        .collect();
    if rng.uniform() < 0.3 {
        let at = (rng.next_u64() % words.len() as u64) as usize;
        words.insert(at, format!("{}%", 1 + rng.next_u64() % 99));
    }
    let mut text = words.join(" ");
    if let Some(first) = text.get(..1) {
        text = first.to_uppercase() + &text[1..];
    }
    text.push('.');
    text
}

/// Deterministic articles of about `chunks` chunks in all: ten sections each, one paragraph of
/// three to five sentences under each heading (one chunk per section).
pub fn synthetic_articles(chunks: usize, seed: u64) -> Vec<Article> {
    const SECTIONS: usize = 10;
    let mut rng = Rng(seed);
    (0..chunks.div_ceil(SECTIONS))
        .map(|a| {
            let sections = SECTIONS.min(chunks - a * SECTIONS);
            let mut text = format!("# {} {}\n\n", pseudo_word(a * 7 + 3), pseudo_word(a * 13 + 5));
            for s in 0..sections {
                text.push_str(&format!("## {} {}\n\n", pseudo_word(a + s * 31), COMMON[(a + s) % COMMON.len()]));
                let sentences: Vec<String> = (0..3 + rng.next_u64() % 3).map(|_| sentence(&mut rng)).collect();
                text.push_str(&sentences.join(" "));
                text.push_str("\n\n");
            }
            Article::new(format!("synthetic-{a}"), text)
        })
        .collect()
}
