//! What `persona chat` and `persona bench pipeline` share: a native clock, the scripted stage
//! answers that a fake endpoint or an in-process model gives, and how a request names its stage.
//!
//! The scripted answers are valid for the stages' JSON schemas and consistent with the facts a
//! question retrieves (Generate's and Ground's replies cite a real fact number and only its
//! figure), so Validate's deterministic checks pass and every stage calls the model. The
//! integration tests include this file too (`#[path]`), so they and the benchmark script the
//! same answers.

use std::time::Instant;

use persona_core::embed::Embedder;
use persona_core::facts::{number_facts, Fact};
use persona_core::knowledge::KnowledgeBase;
use persona_core::model::{ChatModel, Completion, CompletionRequest, ModelError};
use persona_core::pipeline::{Clock, Stage, PACKET_HEADING};
use persona_core::turn::{retrieve, PersonaMemory, RetrievalConfig};
use persona_fake_server::{Reply, Rule, Script};

/// The benchmark's question: one of the demo's factual questions, with a figure in its answer.
pub const QUESTION: &str = "How much faster did businesses with a formal written plan grow?";

/// The figure the answer to [`QUESTION`] quotes.
pub const FIGURE: &str = "30%";

/// Milliseconds since the clock was made, on `std::time::Instant` (monotonic).
pub struct InstantClock(Instant);

impl InstantClock {
    pub fn new() -> Self {
        InstantClock(Instant::now())
    }
}

impl Default for InstantClock {
    fn default() -> Self {
        InstantClock::new()
    }
}

impl Clock for InstantClock {
    fn now_ms(&self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1000.0
    }
}

/// What only a request of `stage` has in its system prompt: the `Stage: <name>.` opening of a
/// backstage prompt, or the packet heading of the persona's (Generate's) prompt.
pub fn stage_marker(stage: Stage) -> String {
    match stage {
        Stage::Generate => PACKET_HEADING.to_string(),
        stage => format!("Stage: {stage}."),
    }
}

/// The stage a request belongs to, from its system prompt's opening (a system prompt without
/// a `Stage:` opening is the persona's: Generate).
pub fn stage_of(request: &CompletionRequest) -> Stage {
    let system = request.messages.iter().find(|m| m.role == "system").map_or("", |m| m.content.as_str());
    let name = system.strip_prefix("Stage: ").and_then(|rest| rest.split_once('.')).map_or("", |(name, _)| name);
    Stage::ALL.into_iter().find(|stage| stage.name() == name).unwrap_or(Stage::Generate)
}

/// The facts the pipeline numbers for `question` (the same retrieval it runs).
pub fn facts_for<E: Embedder, M: Embedder>(
    knowledge: &KnowledgeBase<E>,
    memory: &PersonaMemory<'_, M>,
    question: &str,
    config: &RetrievalConfig,
) -> Vec<Fact> {
    match retrieve(knowledge, memory, question, config) {
        Ok(retrieval) => number_facts(retrieval.knowledge.iter().map(|r| &r.chunk)),
        Err(_) => Vec::new(),
    }
}

/// One valid answer per stage.
#[derive(Clone, Debug)]
pub struct StageAnswers {
    answers: [String; 7],
    /// The number of the fact Generate and Ground cite.
    pub cited: usize,
}

impl StageAnswers {
    /// Answers for [`QUESTION`] given the facts it retrieves: the replies cite the fact with
    /// [`FIGURE`] (or, failing that, fact 1 without a figure).
    pub fn for_facts(facts: &[Fact]) -> Self {
        let with_figure = facts.iter().find(|f| f.text.contains(FIGURE));
        let cited = with_figure.or(facts.first()).map_or(1, |f| f.number);
        let (draft, grounded) = match with_figure {
            Some(_) => (
                format!(
                    "Honestly? The article is clear: businesses with a written plan grew {FIGURE} faster [{cited}]."
                ),
                format!("Businesses with a formal written plan grew {FIGURE} faster [{cited}]."),
            ),
            None => (
                format!("Honestly? The articles here cover that [{cited}]."),
                format!("The articles here cover that [{cited}]."),
            ),
        };
        let answer = |stage: Stage| match stage {
            Stage::Establish => {
                r#"{"intent":"ask","topic":"written business plans","kind":"factual","references":[]}"#.to_string()
            }
            Stage::Vet => r#"{"verdict":"allow","reasons":[]}"#.to_string(),
            Stage::Objectives => {
                format!(r#"{{"primary":{},"secondary":[],"implicit":["a grounded figure"]}}"#, json_string(QUESTION))
            }
            Stage::Enrich => r#"{"notes":[],"traits":[],"remember":[]}"#.to_string(),
            Stage::Generate => draft.clone(),
            Stage::Validate => r#"{"verdict":"pass","feedback":""}"#.to_string(),
            Stage::Ground => format!(r#"{{"reply":{},"cited":[{cited}]}}"#, json_string(&grounded)),
        };
        StageAnswers { answers: Stage::ALL.map(answer), cited }
    }

    /// The scripted answer of `stage`.
    pub fn get(&self, stage: Stage) -> &str {
        &self.answers[stage as usize]
    }

    /// A fake-server rule answering `stage`'s requests with its answer (Generate's streamed
    /// word by word).
    pub fn rule(&self, stage: Stage) -> Rule {
        Rule::new(Reply::text(self.get(stage))).system_contains(stage_marker(stage))
    }

    /// A script with one rule per stage, after `first` (rules tried in order: faults first).
    pub fn script(&self, first: impl IntoIterator<Item = Rule>) -> Script {
        let script = first.into_iter().fold(Script::new(), Script::rule);
        Stage::ALL.into_iter().fold(script, |script, stage| script.rule(self.rule(stage)))
    }
}

/// `text` as a JSON string literal.
fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// A model in the same process that answers each stage from [`StageAnswers`] at once, with no
/// IO: what is left of a turn's time is the engine's own work.
pub struct InstantModel {
    pub answers: StageAnswers,
}

impl ChatModel for InstantModel {
    async fn complete(&self, request: &CompletionRequest) -> Result<Completion, ModelError> {
        let text = self.answers.get(stage_of(request)).to_string();
        Ok(Completion { text, model: "instant".into(), prompt_tokens: None, completion_tokens: None })
    }
}
