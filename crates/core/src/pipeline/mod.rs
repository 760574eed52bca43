//! The staged pipeline: seven typed stages, a scheduler that runs independent stages
//! concurrently, Validate-driven retries with feedback, and a trace of every stage.
//!
//! ```text
//!   message + history
//!     ├── Establish ─┐
//!     ├── Vet ───────┤
//!     ├── Objectives ┤
//!     └── retrieval ─┴─ Enrich ─┐      (retrieval: both memories, local, no model)
//!                               ▼
//!                           Generate (streams tokens)
//!                        ┌──────┴──────┐
//!                     Validate       Ground     (Ground's result is used once Validate passes)
//!                        │ retry_objectives → Objectives → Generate …
//!                        │ retry_generate   → Generate …   (at most MAX_RETRIES per turn)
//! ```
//!
//! With every stage on a model, a turn costs 7 calls and its critical path is 3: the first four
//! stages together, Generate, then Validate and Ground together. [`Schedule::Sequential`] runs
//! the same stages one after another, as the benchmark's baseline.
//!
//! Each stage is bound to a model ([`Backends`]) or runs offline with rules, retrieval and
//! extraction ([`stages`]), so any mix works, including none at all. The pipeline decides
//! nothing about storage: [`Turn::settle`] is the one place that turns its result into commit,
//! rollback or cancellation, and the caller writes (or does not write) what it says.

mod machine;
pub mod stages;
pub mod trace;

use std::cell::{Cell, RefCell};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use machine::{PhaseError, Settlement, Turn, TurnPhase};
pub use stages::*;
pub use trace::{critical_path_calls, StageOutcome, StageRecord};

use crate::chat::Reply;
use crate::embed::Embedder;
use crate::facts::{number_facts, Fact};
use crate::grounding::{leaks_instructions, strip_unsupported_claims};
use crate::knowledge::KnowledgeBase;
use crate::model::{CancelToken, ChatMessage, ChatModel, Completion, CompletionRequest, ModelError};
use crate::offline::{self, QuestionKind};
use crate::persona::Persona;
use crate::prompt::hidden_instructions;
use crate::structured::complete_json;
use crate::turn::{retrieve, PersonaMemory, Retrieval, RetrievalConfig, TurnTrace};
use crate::vet::vet_passage;

/// How many times one turn may go back to an earlier stage on Validate's word.
pub const MAX_RETRIES: u32 = 2;

/// Milliseconds on some monotonic clock (`Instant` natively, `performance.now()` in the
/// browser). The core keeps no clock of its own.
pub trait Clock {
    fn now_ms(&self) -> f64;
}

/// A stage's model settings.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StageSettings {
    /// The model name; empty means the endpoint's configured model.
    #[serde(default)]
    pub model: String,
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

impl StageSettings {
    /// Sensible defaults: backstage stages cool and short, the persona warmer and longer.
    pub fn default_for(stage: Stage, model: &str) -> Self {
        let (temperature, max_tokens) = match stage {
            Stage::Generate => (0.7, 600),
            Stage::Ground => (0.2, 600),
            _ => (0.0, 300),
        };
        StageSettings { model: model.to_string(), temperature: Some(temperature), max_tokens: Some(max_tokens) }
    }
}

/// A model a stage calls, with that stage's settings. Endpoint, key and time limit belong to
/// the model client, so stages on different endpoints use different clients.
pub struct Binding<'a, M> {
    pub model: &'a M,
    pub settings: StageSettings,
}

/// Which stages call a model; the others run offline.
pub struct Backends<'a, M> {
    bindings: [Option<Binding<'a, M>>; 7],
}

impl<'a, M> Backends<'a, M> {
    /// Every stage offline.
    pub fn offline() -> Self {
        Backends { bindings: Default::default() }
    }

    /// Every stage on `model`, with `settings` per stage.
    pub fn all(model: &'a M, settings: impl Fn(Stage) -> StageSettings) -> Self {
        let mut backends = Backends::offline();
        for stage in Stage::ALL {
            backends.bindings[stage as usize] = Some(Binding { model, settings: settings(stage) });
        }
        backends
    }

    /// Binds `stage` to a model, or (with `None`) makes it run offline.
    pub fn with(mut self, stage: Stage, binding: Option<Binding<'a, M>>) -> Self {
        self.bindings[stage as usize] = binding;
        self
    }

    pub fn get(&self, stage: Stage) -> Option<&Binding<'a, M>> {
        self.bindings[stage as usize].as_ref()
    }

    /// Whether no stage calls a model.
    pub fn is_offline(&self) -> bool {
        self.bindings.iter().all(Option::is_none)
    }
}

/// The model type of an all-offline pipeline: never called.
pub struct NoModel;

impl ChatModel for NoModel {
    async fn complete(&self, _: &CompletionRequest) -> Result<Completion, ModelError> {
        Err(ModelError::Network("no model endpoint is configured".into()))
    }
}

/// The order stages run in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schedule {
    /// Independent stages together (the product).
    #[default]
    Concurrent,
    /// One stage after another (the benchmark's baseline).
    Sequential,
}

/// What a running turn reports as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Event<'e> {
    StageStarted {
        stage: Stage,
        attempt: u32,
    },
    StageFinished {
        stage: Stage,
        attempt: u32,
        outcome: &'e StageOutcome,
        duration_ms: f64,
    },
    /// A piece of the persona's reply as it streams in.
    Token(&'e str),
    /// The draft streamed so far is void: Validate sent the turn back with this feedback.
    DraftDiscarded {
        feedback: &'e str,
    },
}

/// A finished turn: the reply to commit, its trace, and the memory updates that commit with it.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnOutput {
    pub reply: Reply,
    pub trace: TurnTrace,
    pub memory_updates: Vec<String>,
}

/// Why a turn did not finish.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum TurnError {
    #[error("the {stage} stage failed: {error}")]
    Stage { stage: Stage, error: ModelError },
    #[error("retrieval failed: {0}")]
    Retrieval(String),
    #[error("the turn was cancelled")]
    Cancelled,
}

/// A turn that did not finish, with the trace of what it did.
#[derive(Clone, Debug, PartialEq)]
pub struct TurnFailure {
    pub error: TurnError,
    pub trace: TurnTrace,
}

/// Everything one turn reads. Cheap to build per turn: it only borrows.
pub struct Pipeline<'a, E: Embedder, Me: Embedder, M: ChatModel> {
    pub persona: &'a Persona,
    pub knowledge: &'a KnowledgeBase<E>,
    pub memory: PersonaMemory<'a, Me>,
    /// The committed conversation so far, as model messages.
    pub history: &'a [ChatMessage],
    pub retrieval: RetrievalConfig,
    pub backends: &'a Backends<'a, M>,
    pub schedule: Schedule,
    pub clock: &'a dyn Clock,
}

impl<E: Embedder, Me: Embedder, M: ChatModel> Pipeline<'_, E, Me, M> {
    /// Runs the stages for `message` and returns the reply to commit, or why not. Cancelling
    /// `cancel` stops every stage at once (their HTTP requests are dropped).
    pub async fn run(
        &self,
        message: &str,
        cancel: &CancelToken,
        on_event: &dyn Fn(&Event<'_>),
    ) -> Result<TurnOutput, TurnFailure> {
        let run = Run {
            pipeline: self,
            message,
            cancel,
            recorder: Recorder {
                clock: self.clock,
                t0: self.clock.now_ms(),
                records: RefCell::default(),
                attempts: RefCell::default(),
                on_event,
            },
            retrieval: RefCell::default(),
            retrieval_ms: RefCell::default(),
            prepared: RefCell::default(),
            retries: Cell::new(0),
            guard: RefCell::default(),
            warnings: RefCell::default(),
        };
        let result = match cancel.run(run.stages()).await {
            Ok(result) => result,
            Err(_) => Err(TurnError::Cancelled),
        };
        let trace = run.trace(&result);
        match result {
            Ok((reply, memory_updates)) => Ok(TurnOutput { reply, trace, memory_updates }),
            Err(error) => Err(TurnFailure { error, trace }),
        }
    }

    /// [`Pipeline::run`] driven through `turn`'s state machine, which decides the outcome.
    pub async fn run_turn(
        &self,
        turn: &mut Turn,
        cancel: &CancelToken,
        on_event: &dyn Fn(&Event<'_>, &Turn),
    ) -> Result<Settlement, PhaseError> {
        turn.start()?;
        let cell = RefCell::new(std::mem::replace(turn, Turn::new("", "")));
        let message = cell.borrow().user_text().to_string();
        let result = self
            .run(&message, cancel, &|event| {
                cell.borrow_mut().observe(event);
                on_event(event, &cell.borrow());
            })
            .await;
        *turn = cell.into_inner();
        turn.settle(result)
    }
}

/// Records stage runs and reports them.
struct Recorder<'c> {
    clock: &'c dyn Clock,
    t0: f64,
    records: RefCell<Vec<StageRecord>>,
    attempts: RefCell<[u32; 7]>,
    on_event: &'c dyn Fn(&Event<'_>),
}

/// How a model call went, for its record.
#[derive(Default)]
struct CallInfo {
    model: Option<String>,
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
    http_attempts: u32,
    repaired: bool,
}

impl CallInfo {
    fn of(completion: &Completion, http_attempts: u32, repaired: bool) -> Self {
        CallInfo {
            model: Some(completion.model.clone()).filter(|m| !m.is_empty()),
            prompt_tokens: completion.prompt_tokens,
            completion_tokens: completion.completion_tokens,
            http_attempts,
            repaired,
        }
    }
}

impl Recorder<'_> {
    fn elapsed(&self) -> f64 {
        self.clock.now_ms() - self.t0
    }

    /// Starts a record; until [`Recorder::finish`] it reads as cancelled (a dropped stage).
    fn begin(&self, stage: Stage, backend: &str) -> usize {
        let attempt = {
            let mut attempts = self.attempts.borrow_mut();
            attempts[stage as usize] += 1;
            attempts[stage as usize]
        };
        let index = {
            let mut records = self.records.borrow_mut();
            records.push(StageRecord {
                stage,
                attempt,
                start_ms: self.elapsed(),
                duration_ms: 0.0,
                backend: backend.to_string(),
                model: None,
                prompt_tokens: None,
                completion_tokens: None,
                http_attempts: 0,
                repaired: false,
                outcome: StageOutcome::Cancelled,
                note: String::new(),
            });
            records.len() - 1
        };
        (self.on_event)(&Event::StageStarted { stage, attempt });
        index
    }

    fn finish(&self, index: usize, info: CallInfo, outcome: StageOutcome, note: String) {
        let now = self.elapsed();
        let (stage, attempt, duration_ms, outcome) = {
            let mut records = self.records.borrow_mut();
            let record = &mut records[index];
            record.duration_ms = now - record.start_ms;
            record.model = info.model;
            record.prompt_tokens = info.prompt_tokens;
            record.completion_tokens = info.completion_tokens;
            record.http_attempts = info.http_attempts;
            record.repaired = info.repaired;
            record.outcome = outcome;
            record.note = note;
            (record.stage, record.attempt, record.duration_ms, record.outcome.clone())
        };
        (self.on_event)(&Event::StageFinished { stage, attempt, outcome: &outcome, duration_ms });
    }

    fn skip(&self, stage: Stage, reason: &str) {
        let index = self.begin(stage, "offline");
        self.finish(index, CallInfo::default(), StageOutcome::Skipped { reason: reason.to_string() }, String::new());
    }

    fn set(&self, index: usize, outcome: StageOutcome, note: Option<String>) {
        let mut records = self.records.borrow_mut();
        records[index].outcome = outcome;
        if let Some(note) = note {
            records[index].note = note;
        }
    }

    /// The records, with stages that never finished timed up to now.
    fn records(&self) -> Vec<StageRecord> {
        let now = self.elapsed();
        let mut records = self.records.borrow().clone();
        for record in &mut records {
            if record.outcome == StageOutcome::Cancelled && record.duration_ms == 0.0 {
                record.duration_ms = now - record.start_ms;
            }
        }
        records
    }
}

/// One run of the pipeline.
struct Run<'r, 'a, E: Embedder, Me: Embedder, M: ChatModel> {
    pipeline: &'r Pipeline<'a, E, Me, M>,
    message: &'r str,
    cancel: &'r CancelToken,
    recorder: Recorder<'r>,
    retrieval: RefCell<Option<Retrieval>>,
    retrieval_ms: RefCell<f64>,
    /// Establish's, Vet's and Objectives' first answers, for the trace.
    prepared: RefCell<Option<(Understanding, Verdict, Objectives)>>,
    /// Retries used so far: Validate's and Ground's together, at most [`MAX_RETRIES`].
    retries: Cell<u32>,
    /// What the output guard did, if anything.
    guard: RefCell<Option<String>>,
    /// Problems found on the way (passages dropped), for the trace.
    warnings: RefCell<Vec<String>>,
}

/// What the first group of stages produced.
struct Prepared {
    understanding: Understanding,
    verdict: Verdict,
    objectives: Objectives,
    enrichment: Enrichment,
    retrieval: Retrieval,
}

/// What one Generate + Validate + Ground round produced.
struct Round {
    draft: Reply,
    judgement: Judgement,
    /// Ground's result when it ran (always in a concurrent round, after a pass when sequential).
    grounded: Option<Result<(Reply, usize), TurnError>>,
}

impl<E: Embedder, Me: Embedder, M: ChatModel> Run<'_, '_, E, Me, M> {
    fn persona(&self) -> &Persona {
        self.pipeline.persona
    }

    fn history(&self) -> &[ChatMessage] {
        self.pipeline.history
    }

    fn concurrent(&self) -> bool {
        self.pipeline.schedule == Schedule::Concurrent
    }

    /// The reply and the memory updates to commit with it.
    async fn stages(&self) -> Result<(Reply, Vec<String>), TurnError> {
        let prepared = self.prepare().await?;
        *self.prepared.borrow_mut() =
            Some((prepared.understanding.clone(), prepared.verdict.clone(), prepared.objectives.clone()));
        if prepared.verdict.flagged {
            for stage in [Stage::Generate, Stage::Validate, Stage::Ground] {
                self.recorder.skip(stage, "vet flagged the message; the persona deflects in character");
            }
            let reply = deflection(self.persona());
            (self.recorder.on_event)(&Event::Token(&reply.text));
            return Ok((reply, Vec::new()));
        }
        let facts = number_facts(prepared.retrieval.knowledge.iter().map(|r| &r.chunk));
        // What the persona may claim to have lived: her profile and the memories retrieved.
        let mut known = self.persona().self_knowledge();
        known.extend(prepared.retrieval.memories.iter().map(|(memory, _)| memory.clone()));
        let mut objectives = prepared.objectives.clone();
        let mut feedback: Option<String> = None;
        loop {
            let packet = Packet {
                persona: self.persona(),
                message: self.message,
                history: self.history(),
                understanding: &prepared.understanding,
                objectives: &objectives,
                enrichment: &prepared.enrichment,
                retrieval: &prepared.retrieval,
                facts: &facts,
                known: &known,
                feedback: feedback.as_deref(),
            };
            let round = self.round(&packet).await?;
            let verdict = round.judgement.verdict;
            if verdict == JudgementVerdict::Pass || !self.take_retry() {
                let grounded = match round.grounded {
                    Some(grounded) => grounded?,
                    None => self.ground(&packet, &round.draft).await?,
                };
                if verdict != JudgementVerdict::Pass {
                    self.note_last(Stage::Validate, "retry cap reached: the last draft went on to Ground");
                }
                let reply = self.guard(grounded.0);
                return Ok((reply, prepared.enrichment.remember.clone()));
            }
            if let Some(Ok((_, index))) = &round.grounded {
                self.recorder.set(*index, StageOutcome::Discarded, None);
            }
            (self.recorder.on_event)(&Event::DraftDiscarded { feedback: &round.judgement.feedback });
            if verdict == JudgementVerdict::RetryObjectives {
                objectives = self.objectives(Some(&round.judgement.feedback)).await?;
            }
            feedback = Some(round.judgement.feedback);
        }
    }

    /// Establish, Vet, Objectives and (after retrieval) Enrich: together, or one by one.
    async fn prepare(&self) -> Result<Prepared, TurnError> {
        let establish = self.establish();
        let vet = self.vet();
        let objectives = self.objectives(None);
        let enrich = async {
            let retrieval = self.retrieve()?;
            let enrichment = self.enrich(&retrieval).await?;
            Ok::<_, TurnError>((retrieval, enrichment))
        };
        let (understanding, verdict, objectives, (retrieval, enrichment)) = if self.concurrent() {
            futures::try_join!(establish, vet, objectives, enrich)?
        } else {
            (establish.await?, vet.await?, objectives.await?, enrich.await?)
        };
        Ok(Prepared { understanding, verdict, objectives, enrichment, retrieval })
    }

    /// Generate, then Validate and Ground (together, or Ground after a pass).
    async fn round(&self, packet: &Packet<'_>) -> Result<Round, TurnError> {
        let draft = self.generate(packet).await?;
        if self.concurrent() {
            let (judgement, grounded) = futures::join!(self.validate(packet, &draft), self.ground(packet, &draft));
            Ok(Round { draft, judgement: judgement?, grounded: Some(grounded) })
        } else {
            let judgement = self.validate(packet, &draft).await?;
            Ok(Round { draft, judgement, grounded: None })
        }
    }

    fn retrieve(&self) -> Result<Retrieval, TurnError> {
        let start = self.recorder.clock.now_ms();
        let pipeline = self.pipeline;
        let mut retrieval = retrieve(pipeline.knowledge, &pipeline.memory, self.message, &pipeline.retrieval)
            .map_err(|error| TurnError::Retrieval(error.to_string()))?;
        // Retrieved text is vetted too: a passage that carries instructions for an AI (an
        // indirect injection planted in an article) never reaches a prompt.
        retrieval.knowledge.retain(|hit| {
            let report = vet_passage(&hit.chunk.body);
            if report.flagged {
                let techniques: Vec<String> = report.techniques.iter().map(|t| t.to_string()).collect();
                self.warnings.borrow_mut().push(format!(
                    "dropped passage {} of \"{}\": it reads as instructions to an AI ({})",
                    hit.chunk.id,
                    hit.chunk.article_title,
                    techniques.join(", ")
                ));
            }
            !report.flagged
        });
        *self.retrieval_ms.borrow_mut() = self.recorder.clock.now_ms() - start;
        *self.retrieval.borrow_mut() = Some(retrieval.clone());
        Ok(retrieval)
    }

    /// A backstage stage: the model's structured answer when the stage is bound to one, the
    /// offline implementation otherwise.
    async fn backstage<T: DeserializeOwned>(
        &self,
        stage: Stage,
        prompt: impl FnOnce() -> StagePrompt,
        offline: impl FnOnce() -> T,
    ) -> Result<(T, usize), TurnError> {
        let Some(binding) = self.pipeline.backends.get(stage) else {
            let index = self.recorder.begin(stage, "offline");
            let value = offline();
            self.recorder.finish(index, CallInfo::default(), StageOutcome::Ok, String::new());
            return Ok((value, index));
        };
        let index = self.recorder.begin(stage, "model");
        let prompt = prompt();
        let request = CompletionRequest {
            model: binding.settings.model.clone(),
            messages: prompt.messages,
            temperature: binding.settings.temperature,
            max_tokens: binding.settings.max_tokens,
            json_schema: prompt.schema,
        };
        match complete_json::<T, M>(binding.model, &request, self.cancel).await {
            Ok(answer) => {
                let info = CallInfo::of(&answer.outcome.completion, answer.outcome.attempts, answer.repaired);
                self.recorder.finish(index, info, StageOutcome::Ok, String::new());
                Ok((answer.value, index))
            }
            Err(error) => Err(self.failed(index, stage, error)),
        }
    }

    fn failed(&self, index: usize, stage: Stage, error: ModelError) -> TurnError {
        if error == ModelError::Cancelled {
            return TurnError::Cancelled;
        }
        let outcome = StageOutcome::Failed { error: error.to_string() };
        self.recorder.finish(index, CallInfo::default(), outcome, String::new());
        TurnError::Stage { stage, error }
    }

    fn note_last(&self, stage: Stage, note: &str) {
        let mut records = self.recorder.records.borrow_mut();
        if let Some(record) = records.iter_mut().rev().find(|r| r.stage == stage) {
            record.note = note.to_string();
        }
    }

    async fn establish(&self) -> Result<Understanding, TurnError> {
        let persona = self.persona();
        let (mut understanding, _) = self
            .backstage(
                Stage::Establish,
                || establish_prompt(persona, self.message, self.history()),
                || establish_offline(self.message, self.history()),
            )
            .await?;
        // The rules' view and the model's: where they disagree, ground what either calls factual.
        understanding.kind = combine_kinds(offline::classify(self.message), understanding.kind);
        Ok(understanding)
    }

    /// Rules first: a message they flag never reaches the model.
    async fn vet(&self) -> Result<Verdict, TurnError> {
        let rules = vet_rules(self.message);
        if rules.flagged || self.pipeline.backends.get(Stage::Vet).is_none() {
            let index = self.recorder.begin(Stage::Vet, "offline");
            self.recorder.finish(index, CallInfo::default(), StageOutcome::Ok, rules.reasons.join("; "));
            return Ok(rules);
        }
        let persona = self.persona();
        let (answer, index) = self
            .backstage::<VetAnswer>(Stage::Vet, || vet_prompt(persona, self.message, self.history()), || unreachable!())
            .await?;
        let verdict =
            Verdict { flagged: answer.verdict == "flag", reasons: answer.reasons, decided_by: "model".into() };
        self.recorder.set(index, StageOutcome::Ok, Some(verdict.reasons.join("; ")));
        Ok(verdict)
    }

    async fn objectives(&self, feedback: Option<&str>) -> Result<Objectives, TurnError> {
        let persona = self.persona();
        let (objectives, _) = self
            .backstage(
                Stage::Objectives,
                || objectives_prompt(persona, self.message, self.history(), feedback),
                || objectives_offline(self.message),
            )
            .await?;
        Ok(objectives)
    }

    async fn enrich(&self, retrieval: &Retrieval) -> Result<Enrichment, TurnError> {
        let persona = self.persona();
        let (enrichment, _) = self
            .backstage(
                Stage::Enrich,
                || enrich_prompt(persona, self.message, self.history(), retrieval),
                || enrich_offline(persona, self.message, retrieval),
            )
            .await?;
        Ok(enrichment)
    }

    /// The persona's reply, streamed; citations kept only for facts in the packet.
    async fn generate(&self, packet: &Packet<'_>) -> Result<Reply, TurnError> {
        let Some(binding) = self.pipeline.backends.get(Stage::Generate) else {
            let index = self.recorder.begin(Stage::Generate, "offline");
            let (_, reply) =
                offline::answer(self.persona(), self.message, &packet.retrieval.knowledge, &packet.retrieval.memories);
            (self.recorder.on_event)(&Event::Token(&reply.text));
            self.recorder.finish(index, CallInfo::default(), StageOutcome::Ok, String::new());
            return Ok(reply);
        };
        let index = self.recorder.begin(Stage::Generate, "model");
        let request = CompletionRequest {
            model: binding.settings.model.clone(),
            messages: generate_messages(packet),
            temperature: binding.settings.temperature,
            max_tokens: binding.settings.max_tokens,
            json_schema: None,
        };
        let on_event = self.recorder.on_event;
        let mut on_token = |piece: &str| on_event(&Event::Token(piece));
        match binding.model.complete_streaming(&request, &mut on_token, self.cancel).await {
            Ok(outcome) => {
                let info = CallInfo::of(&outcome.completion, outcome.attempts, false);
                self.recorder.finish(index, info, StageOutcome::Ok, String::new());
                let text = outcome.completion.text;
                Ok(Reply { facts: cited_facts(&text, packet.facts), text })
            }
            Err(error) => Err(self.failed(index, Stage::Generate, error)),
        }
    }

    /// Deterministic checks first; the model judges only a draft that passes them.
    async fn validate(&self, packet: &Packet<'_>, draft: &Reply) -> Result<Judgement, TurnError> {
        if let Some(feedback) = validate_checks(&draft.text, packet.facts, packet.understanding.kind, packet.known) {
            let index = self.recorder.begin(Stage::Validate, "offline");
            self.recorder.finish(index, CallInfo::default(), StageOutcome::Ok, feedback.clone());
            return Ok(Judgement { verdict: JudgementVerdict::RetryGenerate, feedback });
        }
        let (judgement, index) = self
            .backstage::<Judgement>(Stage::Validate, || validate_prompt(packet, &draft.text), Judgement::pass)
            .await?;
        if judgement.verdict != JudgementVerdict::Pass {
            self.recorder.set(index, StageOutcome::Ok, Some(judgement.feedback.clone()));
        }
        Ok(judgement)
    }

    /// Takes one retry from the turn's budget; false when it is spent.
    fn take_retry(&self) -> bool {
        let used = self.retries.get();
        if used < MAX_RETRIES {
            self.retries.set(used + 1);
            true
        } else {
            false
        }
    }

    /// The output guard: a reply that repeats the persona's hidden instructions is replaced by
    /// the in-character deflection.
    fn guard(&self, reply: Reply) -> Reply {
        if leaks_instructions(&reply.text, &hidden_instructions(self.persona())) {
            *self.guard.borrow_mut() = Some("the reply repeated hidden instructions; replaced by a deflection".into());
            return deflection(self.persona());
        }
        reply
    }

    /// Personal and social replies are kept, less any experience the persona does not have;
    /// factual ones are rebuilt from the numbered facts (by the model when Ground has one,
    /// checked, retried with the failure as feedback while the turn has retries, else the
    /// extractive answer); mixed ones keep the personal part and rebuild the factual part.
    async fn ground(&self, packet: &Packet<'_>, draft: &Reply) -> Result<(Reply, usize), TurnError> {
        let kind = packet.understanding.kind;
        let retrieval = packet.retrieval;
        if matches!(kind, QuestionKind::Personal | QuestionKind::Social) {
            let index = self.recorder.begin(Stage::Ground, "offline");
            let (text, removed) = strip_unsupported_claims(&draft.text, packet.known);
            if removed.is_empty() {
                let reason = format!("{kind:?} message: the persona's reply is kept").to_lowercase();
                self.recorder.finish(index, CallInfo::default(), StageOutcome::Skipped { reason }, String::new());
                return Ok((draft.clone(), index));
            }
            let reply = if text.trim().is_empty() {
                offline::personal_reply(self.persona(), self.message, &retrieval.memories)
            } else {
                Reply { facts: cited_facts(&text, packet.facts), text }
            };
            let note = format!("removed unsupported experience: {}", removed.join(" | "));
            self.recorder.finish(index, CallInfo::default(), StageOutcome::Ok, note);
            return Ok((reply, index));
        }
        let fallback = || match kind {
            QuestionKind::Mixed => {
                offline::mixed_reply(self.persona(), self.message, &retrieval.knowledge, &retrieval.memories)
            }
            _ => offline::factual_reply(self.persona(), self.message, &retrieval.knowledge),
        };
        if packet.facts.is_empty() || self.pipeline.backends.get(Stage::Ground).is_none() {
            let index = self.recorder.begin(Stage::Ground, "offline");
            let note = if packet.facts.is_empty() { "no facts retrieved: nothing to ground on" } else { "" };
            let reply = fallback();
            self.recorder.finish(index, CallInfo::default(), StageOutcome::Ok, note.to_string());
            return Ok((reply, index));
        }
        let persona = self.persona();
        let mixed = kind == QuestionKind::Mixed;
        let mut feedback: Option<String> = None;
        loop {
            let (answer, index) = self
                .backstage::<GroundAnswer>(
                    Stage::Ground,
                    || ground_prompt(persona, self.message, &draft.text, packet.facts, mixed, feedback.as_deref()),
                    || unreachable!(),
                )
                .await?;
            let problem = validate_checks(&answer.reply, packet.facts, kind, packet.known)
                .or_else(|| self.uncited_answer(&answer.reply, packet));
            let Some(problem) = problem else {
                return Ok((Reply { facts: cited_facts(&answer.reply, packet.facts), text: answer.reply }, index));
            };
            if self.take_retry() {
                self.recorder.set(index, StageOutcome::Ok, Some(format!("failed a check, retried: {problem}")));
                feedback = Some(problem);
                continue;
            }
            let note = format!("fell back to the extractive answer: {problem}");
            self.recorder.set(index, StageOutcome::Ok, Some(note));
            return Ok((fallback(), index));
        }
    }

    /// A grounded answer that cites nothing although some facts answer the question (the
    /// extractive selection finds them) is DESIGN.md's bug 2 again: the context was ignored.
    fn uncited_answer(&self, answer: &str, packet: &Packet<'_>) -> Option<String> {
        if !citations(answer).is_empty() {
            return None;
        }
        let relevant = offline::factual_reply(self.persona(), self.message, &packet.retrieval.knowledge).facts;
        if relevant.is_empty() {
            return None;
        }
        let numbers: Vec<String> = relevant.iter().map(|f| format!("[{}]", f.number)).collect();
        Some(format!(
            "The answer cites none of the numbered facts, but facts {} answer the question. Answer from them and \
             cite them.",
            numbers.join(", ")
        ))
    }

    /// The turn's trace, whatever its result.
    fn trace(&self, result: &Result<(Reply, Vec<String>), TurnError>) -> TurnTrace {
        let retrieval = self.retrieval.borrow().clone().unwrap_or_default();
        let stages = self.recorder.records();
        let (reply_facts, memory_updates) = match result {
            Ok((reply, memory_updates)) => (reply.facts.clone(), memory_updates.len()),
            Err(_) => (Vec::new(), 0),
        };
        let backend = match self.pipeline.backends.get(Stage::Generate) {
            _ if self.pipeline.backends.is_offline() => "offline".to_string(),
            Some(binding) => {
                let reported = stages.iter().rev().find(|r| r.stage == Stage::Generate).and_then(|r| r.model.clone());
                format!("model {}", reported.unwrap_or_else(|| binding.settings.model.clone()))
            }
            None => "mixed".to_string(),
        };
        let retries = self.retries.get();
        let (understanding, vet, objectives) = match self.prepared.borrow().clone() {
            Some((understanding, vet, objectives)) => (Some(understanding), Some(vet), Some(objectives)),
            None => (None, None, None),
        };
        let kind = understanding.as_ref().map_or_else(|| offline::classify(self.message), |u| u.kind);
        let mut warnings = self.warnings.borrow().clone();
        if retrieval.knowledge.is_empty() && matches!(kind, QuestionKind::Factual | QuestionKind::Mixed) {
            let empty = self.pipeline.knowledge.articles().next().is_none();
            warnings.push(if empty {
                "0 knowledge chunks retrieved: the knowledge base is empty (were the articles indexed?)".to_string()
            } else {
                "0 knowledge chunks retrieved for a factual question".to_string()
            });
        }
        TurnTrace {
            kind,
            knowledge_retrieved: retrieval.knowledge.len(),
            memory_retrieved: retrieval.memories.len() + retrieval.conversations.len(),
            chunk_ids: retrieval.knowledge.iter().map(|r| r.chunk.id.clone()).collect(),
            facts_cited: reply_facts.iter().map(|f| f.number).collect(),
            backend,
            stages,
            retries,
            retrieval_ms: *self.retrieval_ms.borrow(),
            total_ms: self.recorder.elapsed(),
            facts: reply_facts,
            memory_updates,
            vet,
            understanding,
            objectives,
            guard: self.guard.borrow().clone(),
            warnings,
        }
    }
}

/// The facts of `facts` that `text` cites as `[n]`.
fn cited_facts(text: &str, facts: &[Fact]) -> Vec<Fact> {
    let cited = citations(text);
    facts.iter().filter(|f| cited.contains(&f.number)).cloned().collect()
}

#[cfg(test)]
mod tests;
