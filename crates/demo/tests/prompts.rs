//! Snapshot tests of every stage's assembled prompt for Jane and a demo question (DESIGN.md,
//! bug 2: prompt order is designed and tested, not accidental). Any change to a prompt shows up
//! here as a diff against `tests/snapshots/*.txt`; after reviewing it, accept it with
//! `UPDATE_SNAPSHOTS=1 cargo test -p persona-demo --test prompts`.

use std::path::PathBuf;

use persona_core::embed::HashEmbedder;
use persona_core::facts::number_facts;
use persona_core::knowledge::{KnowledgeBase, MemoryBank};
use persona_core::model::ChatMessage;
use persona_core::pipeline::{
    enrich_prompt, establish_offline, establish_prompt, generate_messages, ground_prompt, objectives_offline,
    objectives_prompt, validate_prompt, vet_prompt, Enrichment, Packet, StagePrompt,
};
use persona_core::prompt::{ADMIT_RULE, KNOWLEDGE_OVERRIDE};
use persona_core::turn::{retrieve, PersonaMemory, RetrievalConfig};

const QUESTION: &str = "How much faster did businesses with a formal written plan grow?";
const DRAFT: &str = "From behind my counter: they grew 30% faster [3].";

fn render(messages: &[ChatMessage], schema: Option<&serde_json::Value>) -> String {
    let mut out = String::new();
    for message in messages {
        out.push_str(&format!("### {}\n{}\n\n", message.role, message.content));
    }
    if let Some(schema) = schema {
        out.push_str(&format!("### schema\n{}\n", serde_json::to_string_pretty(schema).unwrap()));
    }
    out
}

fn render_stage(prompt: &StagePrompt) -> String {
    render(&prompt.messages, prompt.schema.as_ref().map(|s| &s.schema))
}

/// Compares `actual` with the stored snapshot `name`, or rewrites it with `UPDATE_SNAPSHOTS=1`.
fn snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no snapshot {}; run with UPDATE_SNAPSHOTS=1 to create it", path.display()));
    if expected != actual {
        let line = expected.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "the {name} prompt changed (first difference at line {}):\n--- stored\n{}\n--- now\n{}\n\
             Review it; accept with UPDATE_SNAPSHOTS=1.",
            line + 1,
            expected.lines().nth(line).unwrap_or("<end>"),
            actual.lines().nth(line).unwrap_or("<end>")
        );
    }
}

#[test]
fn every_stage_prompt_matches_its_snapshot() {
    let persona = persona_demo::jane();
    let mut knowledge = KnowledgeBase::new(HashEmbedder::default());
    knowledge.upsert_articles(persona_demo::articles()).unwrap();
    let own = MemoryBank::new(HashEmbedder::default(), persona.self_knowledge());
    let conversations = MemoryBank::new(HashEmbedder::default(), []);
    let memory = PersonaMemory { own: &own, conversations: &conversations };
    let retrieval = retrieve(&knowledge, &memory, QUESTION, &RetrievalConfig::default()).unwrap();
    let facts = number_facts(retrieval.knowledge.iter().map(|r| &r.chunk));
    let history = [ChatMessage::assistant(persona.greeting())];
    let understanding = establish_offline(QUESTION, &history);
    let objectives = objectives_offline(QUESTION);
    let enrichment = Enrichment::default();
    let known = persona.self_knowledge();
    let packet = Packet {
        persona: &persona,
        message: QUESTION,
        history: &history,
        understanding: &understanding,
        objectives: &objectives,
        enrichment: &enrichment,
        retrieval: &retrieval,
        facts: &facts,
        known: &known,
        feedback: None,
    };

    let generate = generate_messages(&packet);
    // The order that fixes bug 2: the "admit it" rule, then the knowledge with its override.
    let system = &generate[0].content;
    let rule = system.find(ADMIT_RULE).unwrap();
    let override_at = system.find(KNOWLEDGE_OVERRIDE).unwrap();
    let first_fact = system.find("<knowledge>").unwrap();
    assert!(rule < override_at && override_at < first_fact);
    assert!(system.contains("30% faster"), "the needed fact is in the packet (bug 4)");

    snapshot("establish", &render_stage(&establish_prompt(&persona, QUESTION, &history)));
    snapshot("vet", &render_stage(&vet_prompt(&persona, QUESTION, &history)));
    snapshot("objectives", &render_stage(&objectives_prompt(&persona, QUESTION, &history, None)));
    snapshot("enrich", &render_stage(&enrich_prompt(&persona, QUESTION, &history, &retrieval)));
    snapshot("generate", &render(&generate, None));
    snapshot("validate", &render_stage(&validate_prompt(&packet, DRAFT)));
    snapshot("ground", &render_stage(&ground_prompt(&persona, QUESTION, DRAFT, &facts, false, None)));
}
