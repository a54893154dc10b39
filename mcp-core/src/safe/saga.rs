//! Sagas: a write made of several steps in different systems, each an action and the
//! compensation that undoes it. The journal records each step before and after it runs; when a
//! step fails the completed ones are undone in reverse order, and when the process dies half-way
//! [`Server::recover_sagas`](crate::Server::recover_sagas) finishes the job at the next start.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::store::{SafeStore, SagaRecord, SagaStatus, StepRecord, StepState, StoreError, now_secs};

/// What a step's action and compensation are given: the saga's input, what earlier steps
/// returned, and a key unique to this step of this saga.
///
/// The key is what makes a step safe to repeat: pass it to the system the step writes to (as
/// an idempotency key, or stored beside the change) so that an action run twice (forward
/// recovery after a crash) changes things once, and a compensation can find exactly what the
/// action did, or learn that it never happened.
#[derive(Debug, Clone)]
pub struct StepCall {
    saga_id: String,
    saga: String,
    step: String,
    index: u32,
    input: Value,
    outputs: Map<String, Value>,
}

impl StepCall {
    /// `"{saga id}:{step index}"`: unique to this step of this saga, the same on every retry.
    pub fn key(&self) -> String {
        format!("{}:{}", self.saga_id, self.index)
    }

    /// The saga's id (the journal's key).
    pub fn saga_id(&self) -> &str {
        &self.saga_id
    }

    /// The saga definition's name.
    pub fn saga(&self) -> &str {
        &self.saga
    }

    /// This step's name.
    pub fn step(&self) -> &str {
        &self.step
    }

    /// The saga's input, as JSON.
    pub fn input_json(&self) -> &Value {
        &self.input
    }

    /// The saga's input as a `T`.
    pub fn input<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_value(self.input.clone()).map_err(|e| format!("the saga's input does not fit: {e}"))
    }

    /// What an earlier step's action returned, when it completed.
    pub fn output_of(&self, step: &str) -> Option<&Value> {
        self.outputs.get(step)
    }
}

type Action = Arc<dyn Fn(StepCall) -> BoxFuture<'static, Result<Value, String>> + Send + Sync>;
type Compensation =
    Arc<dyn Fn(StepCall, Option<Value>) -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

struct StepDef {
    name: String,
    action: Action,
    compensation: Compensation,
}

/// What recovery does with a saga a crash interrupted while it ran forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Recovery {
    /// Undo the steps that ran (the default).
    #[default]
    Backward,
    /// Run the interrupted step again and the rest after it (each action must be safe to run
    /// twice, through [`StepCall::key`]); undo only if a step then fails.
    Forward,
}

/// A saga definition: named steps, each an action and its compensation, registered with
/// [`SafeWrites::saga`](super::SafeWrites::saga) and run from a tool with
/// [`Context::run_saga`](crate::Context::run_saga).
///
/// An action returns JSON (recorded in the journal and given to later steps and to its
/// compensation) or an error message; an action that fails must change nothing. A
/// compensation receives the action's output, or `None` when the process died while the action
/// ran (it may or may not have happened: find out by [`StepCall::key`]); it must be safe to run
/// more than once. Compensations are retried with backoff; one that keeps failing leaves the saga
/// [`SagaStatus::NeedsAttention`] in the journal.
///
/// ```
/// use mcp_connector_core::safe::Saga;
/// use serde_json::json;
///
/// let transfer = Saga::new("transfer")
///     .step(
///         "debit",
///         |step| async move { Ok(json!({"debited": step.input_json()["amount"]})) },
///         |_step, _output| async move { Ok(()) },
///     )
///     .step("credit", |_step| async move { Ok(json!({})) }, |_step, _output| async move { Ok(()) });
/// assert_eq!(transfer.steps(), vec!["debit", "credit"]);
/// ```
pub struct Saga {
    name: String,
    steps: Vec<StepDef>,
    recovery: Recovery,
}

impl std::fmt::Debug for Saga {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Saga").field("name", &self.name).field("steps", &self.steps()).finish()
    }
}

impl Saga {
    /// A saga called `name`, with no steps yet.
    pub fn new(name: impl Into<String>) -> Self {
        Saga { name: name.into(), steps: Vec::new(), recovery: Recovery::Backward }
    }

    /// Adds a step: its action and its compensation.
    pub fn step<A, AF, C, CF>(mut self, name: impl Into<String>, action: A, compensation: C) -> Self
    where
        A: Fn(StepCall) -> AF + Send + Sync + 'static,
        AF: Future<Output = Result<Value, String>> + Send + 'static,
        C: Fn(StepCall, Option<Value>) -> CF + Send + Sync + 'static,
        CF: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.steps.push(StepDef {
            name: name.into(),
            action: Arc::new(move |call| Box::pin(action(call))),
            compensation: Arc::new(move |call, output| Box::pin(compensation(call, output))),
        });
        self
    }

    /// What recovery does with a saga a crash interrupted (default [`Recovery::Backward`]).
    pub fn recovery(mut self, recovery: Recovery) -> Self {
        self.recovery = recovery;
        self
    }

    /// The saga's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The steps' names, in order.
    pub fn steps(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.name.as_str()).collect()
    }
}

/// A failed step: its name and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedStep {
    /// The step's name.
    pub step: String,
    /// Its error.
    pub error: String,
}

/// How a saga ended: what was done, what was undone, and what could not be undone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SagaOutcome {
    /// The saga's id in the journal.
    pub saga_id: String,
    /// The saga definition's name.
    pub saga: String,
    /// How it ended.
    pub status: SagaStatus,
    /// Steps whose action completed (and stays done, unless listed in `undone`).
    pub done: Vec<String>,
    /// Steps that were undone, in the order they were undone (reverse).
    pub undone: Vec<String>,
    /// The step that failed, when one did.
    pub failed: Option<FailedStep>,
    /// Steps whose compensation kept failing: recorded in the journal for an operator.
    pub needs_attention: Vec<String>,
    /// What each completed step's action returned.
    pub outputs: Map<String, Value>,
}

impl SagaOutcome {
    /// Whether every step completed.
    pub fn completed(&self) -> bool {
        self.status == SagaStatus::Completed
    }

    /// One paragraph for the model: what happened, what was undone, what to do next.
    pub fn summary(&self) -> String {
        let total = self.done.len() + usize::from(self.failed.is_some());
        match self.status {
            SagaStatus::Completed => format!("{} completed: {}.", self.saga, self.done.join(", ")),
            _ => {
                let mut text = match &self.failed {
                    Some(failed) => format!(
                        "{} did not complete: step {} of the saga ({}) failed: {}.",
                        self.saga, total, failed.step, failed.error
                    ),
                    None => format!("{} did not complete (it was interrupted).", self.saga),
                };
                if self.undone.is_empty() && self.needs_attention.is_empty() {
                    text.push_str(" No step had completed, so nothing was changed.");
                } else if !self.undone.is_empty() {
                    text.push_str(&format!(" Undone, in reverse order: {}.", self.undone.join(", ")));
                }
                if self.needs_attention.is_empty() {
                    text.push_str(
                        " Nothing remains changed; the call can be retried once the cause is fixed.",
                    );
                } else {
                    text.push_str(&format!(
                        " Could not be undone (recorded in the saga journal as needing attention, saga {}): {}. \
                         Tell the user; do not retry until an operator has resolved it.",
                        self.saga_id,
                        self.needs_attention.join(", ")
                    ));
                }
                text
            }
        }
    }
}

/// How compensations are retried.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retry {
    pub(crate) attempts: u32,
    pub(crate) backoff: Duration,
}

/// Reports each step as it goes (progress notifications when run from a tool).
pub(crate) type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);

fn call_for(saga: &Saga, record: &SagaRecord, index: usize, outputs: &Map<String, Value>) -> StepCall {
    StepCall {
        saga_id: record.id.clone(),
        saga: saga.name.clone(),
        step: saga.steps[index].name.clone(),
        index: index as u32,
        input: record.input.clone(),
        outputs: outputs.clone(),
    }
}

fn step_line(index: usize, name: &str, state: StepState) -> StepRecord {
    StepRecord { index: index as u32, name: name.to_owned(), state, output: None, attempts: 0, error: None }
}

fn audit_needs_attention(record: &SagaRecord, step: &str, error: &str, attempts: u32) {
    tracing::error!(
        target: "mcp::audit",
        event = "saga_compensation_failed",
        saga = %record.name,
        saga_id = %record.id,
        step,
        attempts,
        error,
        principal = record.principal.as_deref().unwrap_or("-"),
        "a compensation kept failing; the saga stays in the journal as needing attention"
    );
}

/// Runs a new saga from its first step.
pub(crate) async fn run(
    saga: &Saga,
    store: &Arc<dyn SafeStore>,
    retry: Retry,
    input: Value,
    principal: Option<String>,
    progress: Progress<'_>,
) -> Result<SagaOutcome, StoreError> {
    let now = now_secs();
    let mut record = SagaRecord {
        id: new_id(),
        name: saga.name.clone(),
        input,
        principal,
        status: SagaStatus::Running,
        started_at: now,
        updated_at: now,
        steps: Vec::new(),
    };
    // No journal entry, no step: a saga that cannot be recorded does not start.
    store.begin_saga(&record).await?;
    tracing::info!(saga = %saga.name, saga_id = %record.id, "saga started");
    Ok(forward(saga, store, retry, &mut record, 0, progress).await)
}

/// Runs steps from `from` on; compensates when one fails.
async fn forward(
    saga: &Saga,
    store: &Arc<dyn SafeStore>,
    retry: Retry,
    record: &mut SagaRecord,
    from: usize,
    progress: Progress<'_>,
) -> SagaOutcome {
    let mut outputs: Map<String, Value> = record
        .steps
        .iter()
        .filter(|s| s.state == StepState::Done)
        .filter_map(|s| s.output.clone().map(|o| (s.name.clone(), o)))
        .collect();
    let mut failed = None;
    for index in from..saga.steps.len() {
        let def = &saga.steps[index];
        let started = step_line(index, &def.name, StepState::Started);
        if let Err(e) = store.put_step(&record.id, &started).await {
            // Not recorded, so not run: the step is not started, and nothing of it happened.
            failed = Some(FailedStep {
                step: def.name.clone(),
                error: format!("the saga journal could not record the step, so it was not run ({e})"),
            });
            break;
        }
        set_line(record, started);
        let call = call_for(saga, record, index, &outputs);
        let ran = AssertUnwindSafe((def.action)(call)).catch_unwind().await;
        let ran = ran.unwrap_or_else(|_| Err("the step's action panicked".into()));
        match ran {
            Ok(output) => {
                let mut done = step_line(index, &def.name, StepState::Done);
                done.output = Some(output.clone());
                if let Err(e) = store.put_step(&record.id, &done).await {
                    // Done but not recorded as done: it stays `started` (in doubt) in the
                    // journal, and is compensated as such.
                    failed = Some(FailedStep {
                        step: def.name.clone(),
                        error: format!("the saga journal could not record the step's completion ({e})"),
                    });
                    break;
                }
                set_line(record, done);
                outputs.insert(def.name.clone(), output);
                progress(&format!("step {} of {} done: {}", index + 1, saga.steps.len(), def.name));
            }
            Err(error) => {
                let mut line = step_line(index, &def.name, StepState::Failed);
                line.error = Some(error.clone());
                // A failed action changed nothing; if even this line cannot be written the step
                // stays `started` and its (idempotent) compensation runs, which is harmless.
                if store.put_step(&record.id, &line).await.is_ok() {
                    set_line(record, line);
                }
                progress(&format!("step {} of {} failed: {}", index + 1, saga.steps.len(), def.name));
                failed = Some(FailedStep { step: def.name.clone(), error });
                break;
            }
        }
    }
    if failed.is_none() {
        let status = match store.set_status(&record.id, SagaStatus::Completed).await {
            Ok(()) => SagaStatus::Completed,
            Err(e) => {
                tracing::error!(saga_id = %record.id, error = %e, "the saga completed but the journal could not say so");
                SagaStatus::Running
            }
        };
        record.status = status;
        tracing::info!(saga = %saga.name, saga_id = %record.id, "saga completed");
        return SagaOutcome {
            saga_id: record.id.clone(),
            saga: saga.name.clone(),
            status: SagaStatus::Completed,
            done: saga.steps.iter().map(|s| s.name.clone()).collect(),
            undone: Vec::new(),
            failed: None,
            needs_attention: Vec::new(),
            outputs,
        };
    }
    let mut outcome = compensate(saga, store, retry, record, progress).await;
    outcome.failed = failed;
    outcome
}

fn set_line(record: &mut SagaRecord, line: StepRecord) {
    match record.steps.iter_mut().find(|s| s.index == line.index) {
        Some(existing) => *existing = line,
        None => {
            record.steps.push(line);
            record.steps.sort_by_key(|s| s.index);
        }
    }
}

/// Undoes, in reverse order, every step that did (or may have) run and is not undone yet.
async fn compensate(
    saga: &Saga,
    store: &Arc<dyn SafeStore>,
    retry: Retry,
    record: &mut SagaRecord,
    progress: Progress<'_>,
) -> SagaOutcome {
    if let Err(e) = store.set_status(&record.id, SagaStatus::Compensating).await {
        tracing::warn!(saga_id = %record.id, error = %e, "could not record that the saga is compensating");
    }
    let outputs: Map<String, Value> =
        record.steps.iter().filter_map(|s| s.output.clone().map(|o| (s.name.clone(), o))).collect();
    let done: Vec<String> = record
        .steps
        .iter()
        .filter(|s| {
            matches!(s.state, StepState::Done | StepState::Compensated | StepState::CompensationFailed)
        })
        .map(|s| s.name.clone())
        .collect();
    let mut undone = Vec::new();
    let mut needs_attention = Vec::new();
    let to_undo: Vec<StepRecord> = record
        .steps
        .iter()
        .rev()
        .filter(|s| matches!(s.state, StepState::Done | StepState::Started | StepState::CompensationFailed))
        .cloned()
        .collect();
    for line in to_undo {
        let index = line.index as usize;
        let Some(def) = saga.steps.get(index) else {
            needs_attention.push(line.name.clone());
            continue;
        };
        progress(&format!("undoing step {}: {}", index + 1, def.name));
        let mut attempts = line.attempts;
        let mut delay = retry.backoff;
        let mut last_error = String::new();
        let mut ok = false;
        for attempt in 0..retry.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            attempts += 1;
            let call = call_for(saga, record, index, &outputs);
            let output = if line.state == StepState::Started { None } else { line.output.clone() };
            let ran = AssertUnwindSafe((def.compensation)(call, output)).catch_unwind().await;
            match ran.unwrap_or_else(|_| Err("the compensation panicked".into())) {
                Ok(()) => {
                    ok = true;
                    break;
                }
                Err(e) => {
                    tracing::warn!(saga_id = %record.id, step = %def.name, attempt = attempts, error = %e, "compensation failed; retrying");
                    last_error = e;
                }
            }
        }
        let mut new_line = line.clone();
        new_line.attempts = attempts;
        if ok {
            new_line.state = StepState::Compensated;
            new_line.error = None;
            undone.push(def.name.clone());
        } else {
            new_line.state = StepState::CompensationFailed;
            new_line.error = Some(last_error.clone());
            needs_attention.push(def.name.clone());
            audit_needs_attention(record, &def.name, &last_error, attempts);
        }
        if let Err(e) = store.put_step(&record.id, &new_line).await {
            tracing::error!(saga_id = %record.id, step = %def.name, error = %e, "could not record the compensation");
        }
        set_line(record, new_line);
    }
    let status =
        if needs_attention.is_empty() { SagaStatus::Compensated } else { SagaStatus::NeedsAttention };
    if let Err(e) = store.set_status(&record.id, status).await {
        tracing::error!(saga_id = %record.id, error = %e, "could not record the saga's end");
    }
    record.status = status;
    tracing::info!(saga = %saga.name, saga_id = %record.id, status = status.as_str(), "saga compensated");
    SagaOutcome {
        saga_id: record.id.clone(),
        saga: saga.name.clone(),
        status,
        done,
        undone,
        failed: None,
        needs_attention,
        outputs,
    }
}

/// What [`Server::recover_sagas`](crate::Server::recover_sagas) did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecoveryReport {
    /// Each interrupted saga it finished, and how.
    pub recovered: Vec<SagaOutcome>,
    /// Sagas in the journal that no registered definition has: left as they are.
    pub unknown: Vec<String>,
}

/// Finishes every saga the journal says is not over.
pub(crate) async fn recover(
    sagas: &HashMap<String, Arc<Saga>>,
    store: &Arc<dyn SafeStore>,
    retry: Retry,
) -> Result<RecoveryReport, StoreError> {
    let mut report = RecoveryReport::default();
    let quiet = |_: &str| {};
    for record in store.unfinished().await? {
        // A shared store may list a saga another process is running or recovering right now.
        if !store.claim_recovery(&record.id).await? {
            tracing::debug!(saga_id = %record.id, "another process holds this saga; left to it");
            continue;
        }
        // Read again under the claim: another survivor may have finished it meanwhile.
        let Some(mut record) = store.saga(&record.id).await? else {
            continue;
        };
        if record.status.is_final() {
            continue;
        }
        let Some(saga) = sagas.get(&record.name) else {
            tracing::error!(saga = %record.name, saga_id = %record.id, "the journal holds a saga no definition is registered for; left as it is");
            report.unknown.push(record.id.clone());
            continue;
        };
        tracing::warn!(saga = %record.name, saga_id = %record.id, status = record.status.as_str(), "recovering an interrupted saga");
        let outcome = match (record.status, saga.recovery) {
            (SagaStatus::Running, Recovery::Forward) => {
                let from = record.steps.iter().take_while(|s| s.state == StepState::Done).count();
                forward(saga, store, retry, &mut record, from, &quiet).await
            }
            _ => compensate(saga, store, retry, &mut record, &quiet).await,
        };
        tracing::info!(
            target: "mcp::audit",
            event = "saga_recovered",
            saga = %outcome.saga,
            saga_id = %outcome.saga_id,
            status = outcome.status.as_str(),
            undone = %outcome.undone.join(","),
            "an interrupted saga was finished at start-up"
        );
        report.recovered.push(outcome);
    }
    Ok(report)
}

fn new_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: the time and a counter still make the id unique in this journal.
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&super::store::now_millis().to_be_bytes());
        bytes[8..].copy_from_slice(&n.to_be_bytes());
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string()
}
