#![cfg(not(target_arch = "wasm32"))]
//! The reference team's five bugs (DESIGN.md), each replayed with Jane, the demo article with
//! five recommendations and two percentages, and the fake server playing a misbehaving model
//! over real HTTP on 127.0.0.1. Every stage is model-backed; the deterministic checks must hold
//! whatever the model says.

use std::time::{Duration, Instant};

use persona_core::embed::HashEmbedder;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::model::CancelToken;
use persona_core::offline::QuestionKind;
use persona_core::pipeline::{
    Backends, Clock, Pipeline, Schedule, Stage, StageOutcome, StageSettings, TurnFailure, TurnOutput,
};
use persona_core::prompt::{ADMIT_RULE, KNOWLEDGE_OVERRIDE};
use persona_core::turn::{PersonaMemory, RetrievalConfig};
use persona_fake_server::{FakeServer, Reply, Rule, Script};
use persona_model::{EndpointConfig, OpenAiChatModel, RetryPolicy};
use serde_json::json;

const PERCENT_QUESTION: &str = "How much faster did businesses with a formal written plan grow?";
const INVENTED: &str = "I've been applying these strategies in my own business for years.";

struct Wall(Instant);

impl Clock for Wall {
    fn now_ms(&self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1000.0
    }
}

/// A stage's scripted JSON answer.
fn stage(name: &str, answer: serde_json::Value) -> Rule {
    Rule::new(Reply::text(answer.to_string())).system_contains(format!("Stage: {name}."))
}

/// Sensible answers for the backstage stages; Generate and Ground are up to each test.
fn backstage(kind: &str) -> Script {
    Script::new()
        .rule(stage("establish", json!({"intent": "ask", "topic": "plans", "kind": kind, "references": []})))
        .rule(stage("vet", json!({"verdict": "allow", "reasons": []})))
        .rule(stage("objectives", json!({"primary": PERCENT_QUESTION, "secondary": [], "implicit": []})))
        .rule(stage("enrich", json!({"notes": [], "traits": [], "remember": []})))
        .rule(stage("validate", json!({"verdict": "pass", "feedback": ""})))
}

/// Runs one turn with every stage on the fake server's model.
async fn turn(server: &FakeServer, knowledge: &KnowledgeBase, question: &str) -> Result<TurnOutput, TurnFailure> {
    let persona = persona_demo::jane();
    let config = EndpointConfig::new(server.base_url(), "fake-model").with_timeout_ms(10_000);
    let model = OpenAiChatModel::new(config).unwrap().with_retry_policy(RetryPolicy::none());
    let backends = Backends::all(&model, |stage| StageSettings::default_for(stage, "fake-model"));
    let own = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
    let conversations = MemoryBank::new(HashEmbedder::default(), []);
    let clock = Wall(Instant::now());
    let pipeline = Pipeline {
        persona: &persona,
        knowledge,
        memory: PersonaMemory { own: &own, conversations: &conversations },
        history: &[],
        retrieval: RetrievalConfig::default(),
        backends: &backends,
        schedule: Schedule::Concurrent,
        clock: &clock,
    };
    let cancel = CancelToken::new();
    let run = pipeline.run(question, &cancel, &|_| {});
    tokio::time::timeout(Duration::from_secs(30), run).await.expect("a turn always ends")
}

fn demo_knowledge() -> KnowledgeBase {
    let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
    knowledge.upsert_articles(persona_demo::articles()).unwrap();
    knowledge
}

/// The number of the fact that holds `needle` in a turn's packet (read from Ground's request).
fn fact_number(server: &FakeServer, needle: &str) -> usize {
    let request =
        server.requests().into_iter().find(|r| r.body_text.contains("Stage: ground.")).expect("Ground was called");
    let body = request.body_text;
    let at = body.find(needle).expect("the fact is in Ground's packet");
    let open = body[..at].rfind('[').unwrap();
    body[open + 1..at].split(']').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn bug_1_zero_retrieved_chunks_is_detected_and_logged() {
    let server = FakeServer::start(
        backstage("factual")
            .rule(stage("ground", json!({"reply": "I don't know.", "cited": []})))
            .rule(Rule::new(Reply::text("Plans help, I'm sure."))),
    )
    .await;
    // The articles were saved somewhere, but the index was never updated: nothing to retrieve.
    let never_indexed = KnowledgeBase::new(HashEmbedder::default());
    let output = turn(&server, &never_indexed, PERCENT_QUESTION).await.unwrap();
    assert_eq!(output.trace.knowledge_retrieved, 0);
    assert!(output.trace.warnings.iter().any(|w| w.contains("0 knowledge chunks")), "{:?}", output.trace.warnings);
    assert!(output.reply.text.contains("couldn't find"), "no guess: {}", output.reply.text);
    assert!(!output.reply.text.contains("30%"));
}

#[tokio::test]
async fn bug_2_retrieved_context_comes_with_the_override_after_the_admit_rule() {
    // The persona claims ignorance although the facts are in its prompt; Ground rebuilds the
    // answer from the facts anyway.
    let server = FakeServer::start(
        backstage("factual")
            .rule(stage("ground", json!({"reply": "I don't have information about that.", "cited": []})).times(1))
            .rule(stage("ground", json!({"reply": "They grew 30% faster [3].", "cited": [3]})))
            .rule(Rule::new(Reply::text("I don't have information about that."))),
    )
    .await;
    let knowledge = demo_knowledge();
    let output = turn(&server, &knowledge, PERCENT_QUESTION).await.unwrap();
    let generate = server
        .requests()
        .into_iter()
        .find(|r| r.body_text.contains("## This turn (prepared backstage)"))
        .expect("Generate was called");
    let body = generate.body.expect("a JSON body");
    let system = body["messages"][0]["content"].as_str().unwrap().to_string();
    let rule = system.find(ADMIT_RULE).unwrap();
    let override_at = system.find(KNOWLEDGE_OVERRIDE).unwrap();
    let fact = system.find("grew 30% faster").unwrap();
    assert!(rule < override_at && override_at < fact, "the override outranks the admit rule");
    assert!(output.trace.knowledge_retrieved > 0);
    assert!(output.reply.text.contains("30% faster"), "the answer comes from the facts: {}", output.reply.text);
    let first_ground = output.trace.stages.iter().find(|r| r.stage == Stage::Ground).unwrap();
    assert!(first_ground.note.contains("cites none of the numbered facts"), "{first_ground:?}");
}

#[tokio::test]
async fn bug_3_an_invented_personal_experience_is_removed() {
    let draft = format!("Businesses with a written plan grew 30% faster [3]. {INVENTED}");
    let server = FakeServer::start(
        backstage("factual")
            // The misbehaving model adds the invented experience in every Ground rewrite too.
            .rule(
                Rule::new(Reply::text(json!({"reply": draft, "cited": [3]}).to_string()))
                    .system_contains("Stage: ground."),
            )
            .rule(Rule::new(Reply::text(draft.clone()))),
    )
    .await;
    let knowledge = demo_knowledge();
    let output = turn(&server, &knowledge, PERCENT_QUESTION).await.unwrap();
    assert!(!output.reply.text.contains("for years"), "{}", output.reply.text);
    assert!(!output.reply.text.contains("my own business"), "{}", output.reply.text);
    assert!(output.reply.text.contains("30% faster"), "{}", output.reply.text);
    let grounds: Vec<_> = output.trace.stages.iter().filter(|r| r.stage == Stage::Ground).collect();
    assert!(grounds.iter().any(|r| r.note.contains("personal experience")), "the check said why: {grounds:?}");
}

#[tokio::test]
async fn bug_4_the_wrong_one_of_two_percentages_is_caught() {
    let server = FakeServer::start(backstage("factual").rule(Rule::new(Reply::text("Plans help a lot.")))).await;
    let knowledge = demo_knowledge();
    // First a dry run to learn which fact numbers the packet gives the two percentages.
    let _ = turn(&server, &knowledge, PERCENT_QUESTION).await;
    let thirty = fact_number(&server, "grew 30% faster");
    let sixteen = fact_number(&server, "16% more likely");
    assert_ne!(thirty, sixteen, "both percentages are retrieved (depth matters: bug 4)");

    // The misbehaving model quotes 16% for the growth question, citing the 30% fact.
    let wrong = json!({"reply": format!("They grew 16% faster [{thirty}]."), "cited": [thirty]});
    let server = FakeServer::start(
        backstage("factual").rule(stage("ground", wrong)).rule(Rule::new(Reply::text("Plans help."))),
    )
    .await;
    let output = turn(&server, &knowledge, PERCENT_QUESTION).await.unwrap();
    assert!(!output.reply.text.contains("16%"), "{}", output.reply.text);
    assert!(output.reply.text.contains("30%"), "{}", output.reply.text);
    let grounds: Vec<_> = output.trace.stages.iter().filter(|r| r.stage == Stage::Ground).collect();
    assert!(grounds[0].note.contains("The figure 16%"), "{grounds:?}");
    assert!(grounds.last().unwrap().note.contains("fell back"), "{grounds:?}");
}

#[tokio::test]
async fn bug_5_a_personal_question_keeps_the_persona_reply() {
    let reply = "Honestly? Not properly at first. I learned to work fast and hate waste in hotel kitchens, \
                 and the café taught me the rest.";
    let server = FakeServer::start(
        backstage("personal")
            .rule(stage("ground", json!({"reply": "I don't have information about that.", "cited": []})))
            .rule(Rule::new(Reply::text(reply))),
    )
    .await;
    let knowledge = demo_knowledge();
    let output = turn(&server, &knowledge, "Have you personally done market research?").await.unwrap();
    assert_eq!(output.trace.understanding.as_ref().unwrap().kind, QuestionKind::Personal);
    assert_eq!(output.reply.text, reply, "the persona's reply is kept, not replaced by 'no information'");
    let ground = output.trace.stages.iter().find(|r| r.stage == Stage::Ground).unwrap();
    assert!(matches!(ground.outcome, StageOutcome::Skipped { .. }));
    assert!(!server.requests().iter().any(|r| r.body_text.contains("Stage: ground.")), "no Ground call");
}
