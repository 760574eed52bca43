//! The server's shared state: the rules with their remaining uses, and the request log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use crate::record::RecordedRequest;
use crate::script::{Match, Reply, Rule, Script};

/// What a route should do for one request, decided by the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// The answer.
    pub reply: Reply,
    /// How long to wait before answering (for chat, the script's latency included).
    pub delay: Duration,
    /// How long to wait between stream events.
    pub chunk_interval: Duration,
}

/// A rule and how many uses it has left (`None`: unlimited).
#[derive(Debug)]
struct Slot {
    rule: Rule,
    remaining: Option<u32>,
}

/// State shared by every route handler.
#[derive(Debug)]
pub(crate) struct AppState {
    /// The model ids for `GET /v1/models`.
    pub models: Vec<String>,
    /// The default embedding dimension.
    pub embedding_dimensions: usize,
    /// The bearer token every request must carry, if any.
    pub api_key: Option<String>,
    /// Whether the model list routes are left out.
    pub hide_models: bool,
    /// Added to the delay of every chat-completion answer.
    latency: Duration,
    slots: Mutex<Vec<Slot>>,
    embedding_slots: Mutex<Vec<Slot>>,
    requests: Mutex<Vec<RecordedRequest>>,
    next_id: AtomicU64,
}

/// Locks a mutex, recovering the data if a panicking handler poisoned it: the state stays
/// consistent because every critical section is a single push or counter update.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Uses up once the first rule of `slots` with uses left whose condition satisfies `matches`.
fn take(slots: &Mutex<Vec<Slot>>, matches: impl Fn(&Match) -> bool) -> Option<Plan> {
    let mut slots = lock(slots);
    let slot = slots.iter_mut().find(|slot| slot.remaining != Some(0) && matches(&slot.rule.when))?;
    if let Some(remaining) = slot.remaining.as_mut() {
        *remaining -= 1;
    }
    Some(Plan {
        reply: slot.rule.reply.clone(),
        delay: slot.rule.delay_duration(),
        chunk_interval: slot.rule.chunk_interval_duration(),
    })
}

impl AppState {
    pub fn new(script: Script) -> Self {
        let slots =
            |rules: Vec<Rule>| Mutex::new(rules.into_iter().map(|rule| Slot { remaining: rule.times, rule }).collect());
        AppState {
            latency: script.latency_duration(),
            models: script.models,
            embedding_dimensions: script.embedding_dimensions,
            api_key: script.api_key,
            hide_models: script.hide_models,
            slots: slots(script.rules),
            embedding_slots: slots(script.embedding_rules),
            requests: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Picks the first matching chat rule with uses left and uses it up once; the echo reply
    /// when none applies. Either way the script's latency is added to the delay.
    pub fn plan(&self, model: &str, system: Option<&str>, last_user: Option<&str>) -> Plan {
        let mut plan = take(&self.slots, |when| when.matches(model, system, last_user)).unwrap_or_else(|| Plan {
            reply: Reply::text(format!("echo: {}", last_user.unwrap_or_default())),
            delay: Duration::ZERO,
            chunk_interval: Duration::ZERO,
        });
        plan.delay += self.latency;
        plan
    }

    /// Picks the first matching embeddings rule with uses left and uses it up once; `None`
    /// (answer with the vectors) when none applies.
    pub fn plan_embeddings(&self, model: &str, inputs: &[String]) -> Option<Plan> {
        take(&self.embedding_slots, |when| when.matches_embedding(model, inputs))
    }

    /// A fresh number for response ids (`chatcmpl-fake-N`).
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn record(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.requests).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_used_in_order_and_run_out() {
        let script = Script::new()
            .rule(Rule::new(Reply::error(503, "busy")).times(2))
            .rule(Rule::new(Reply::text("ok")).user_contains("hello"));
        let state = AppState::new(script);
        assert_eq!(state.plan("m", None, Some("hello")).reply, Reply::error(503, "busy"));
        assert_eq!(state.plan("m", None, Some("hello")).reply, Reply::error(503, "busy"));
        assert_eq!(state.plan("m", None, Some("hello")).reply, Reply::text("ok"));
        assert_eq!(state.plan("m", None, Some("bye")).reply, Reply::text("echo: bye"));
    }

    #[test]
    fn embedding_rules_are_separate_from_chat_rules() {
        let script = Script::new()
            .rule(Rule::new(Reply::error(500, "chat only")))
            .embedding_rule(Rule::new(Reply::error(503, "busy")).user_contains("flaky").times(1));
        let state = AppState::new(script);
        let inputs = |texts: &[&str]| texts.iter().map(|text| text.to_string()).collect::<Vec<_>>();
        assert_eq!(state.plan_embeddings("e", &inputs(&["calm"])), None);
        let plan = state.plan_embeddings("e", &inputs(&["calm", "a flaky one"])).unwrap();
        assert_eq!(plan.reply, Reply::error(503, "busy"));
        assert_eq!(state.plan_embeddings("e", &inputs(&["flaky"])), None, "used up");
        assert_eq!(state.plan("m", None, Some("x")).reply, Reply::error(500, "chat only"));
    }

    #[test]
    fn latency_adds_to_every_chat_delay_but_not_to_embeddings() {
        let script = Script::new()
            .rule(Rule::new(Reply::text("slow")).user_contains("slow").delay(Duration::from_millis(100)))
            .embedding_rule(Rule::new(Reply::text("v")).delay(Duration::from_millis(7)))
            .latency(Duration::from_millis(40));
        let state = AppState::new(script);
        assert_eq!(state.plan("m", None, Some("slow")).delay, Duration::from_millis(140));
        assert_eq!(state.plan("m", None, Some("echo")).delay, Duration::from_millis(40), "the echo too");
        assert_eq!(state.plan_embeddings("e", &[]).unwrap().delay, Duration::from_millis(7));
        assert_eq!(AppState::new(Script::new()).plan("m", None, None).delay, Duration::ZERO);
    }

    #[test]
    fn times_zero_never_applies() {
        let state = AppState::new(Script::new().rule(Rule::new(Reply::text("never")).times(0)));
        assert_eq!(state.plan("m", None, None).reply, Reply::text("echo: "));
    }
}
