//! The record of every job run: what `list_runs`, `get_run` and `runs://{id}` show.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The jobs `start_job` can run. Neither destroys anything; purging the cache has its own tool,
/// `purge_cache`, because it asks the user first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Fetch, compile, test and package the target; leaves an artifact in the cache.
    Build,
    /// Copy the target data set's records to the destination, a batch at a time.
    Sync,
}

/// What a run did: a job from `start_job`, or a `purge_cache`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A build (`start_job` with `kind: build`).
    Build,
    /// A data sync (`start_job` with `kind: sync`).
    Sync,
    /// A purge of the build cache (`purge_cache`).
    PurgeCache,
}

impl From<JobKind> for RunKind {
    fn from(kind: JobKind) -> Self {
        match kind {
            JobKind::Build => RunKind::Build,
            JobKind::Sync => RunKind::Sync,
        }
    }
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still going.
    Running,
    /// Every step finished.
    Succeeded,
    /// The client cancelled the request (or went away); the run stopped where it was.
    Cancelled,
    /// Stopped on purpose before a destructive step: the user did not confirm, or could not be
    /// asked. Nothing was destroyed.
    Aborted,
}

/// Where one step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Not started yet.
    Pending,
    /// Under way.
    Running,
    /// Finished.
    Done,
    /// Under way when the run was cancelled.
    Cancelled,
    /// Never started, because the run stopped before it.
    Skipped,
}

/// One step of a run, with its timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// What the step does, such as `compile` or `batch 2 of 3`.
    pub name: String,
    /// Where the step is.
    pub status: StepStatus,
    /// When it started, in milliseconds since the run started.
    pub started_ms: Option<u64>,
    /// How long it took, in milliseconds, once it finished or stopped.
    pub duration_ms: Option<u64>,
}

/// One line of a run's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LogLine {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    /// What happened.
    pub message: String,
}

/// A job run, in full: the `runs://{id}` resource and the result of `start_job`, `get_run` and
/// `purge_cache`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Run {
    /// The run's id, for `get_run`.
    pub id: u64,
    /// The run as a resource: `runs://{id}`.
    pub uri: String,
    /// What ran.
    pub kind: RunKind,
    /// What it ran on: the project built, the data set synced, the cache purged.
    pub target: String,
    /// Where the run is.
    pub status: RunStatus,
    /// One line on how it ended, once it has.
    pub summary: Option<String>,
    /// When it started, in milliseconds since the Unix epoch.
    pub started_at_ms: u64,
    /// How long it took, in milliseconds, once it ended.
    pub duration_ms: Option<u64>,
    /// Every step, planned ones included.
    pub steps: Vec<Step>,
    /// What the run reported, oldest first.
    pub log: Vec<LogLine>,
}

/// A run in a list: `list_runs`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunSummary {
    /// The run's id, for `get_run`.
    pub id: u64,
    /// The run as a resource: `runs://{id}`.
    pub uri: String,
    /// What ran.
    pub kind: RunKind,
    /// What it ran on.
    pub target: String,
    /// Where the run is.
    pub status: RunStatus,
    /// One line on how it ended, once it has.
    pub summary: Option<String>,
}

/// What `list_runs` returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RunList {
    /// Every run since the server started, newest first.
    pub runs: Vec<RunSummary>,
}

#[derive(Default)]
struct Book {
    runs: BTreeMap<u64, Run>,
    clocks: BTreeMap<u64, Instant>,
}

/// Every run since the server started, shared by the tools and the `runs://{id}` resource.
/// Cheap to clone (a handle).
#[derive(Clone, Default)]
pub struct Runs {
    inner: Arc<Mutex<Book>>,
}

impl Runs {
    fn lock(&self) -> MutexGuard<'_, Book> {
        // Each change is a few field writes under the lock, so a poisoned book is consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A run, as it is now.
    pub fn get(&self, id: u64) -> Option<Run> {
        self.lock().runs.get(&id).cloned()
    }

    /// Every run, newest first.
    pub fn list(&self) -> RunList {
        let book = self.lock();
        let runs = book
            .runs
            .values()
            .rev()
            .map(|r| RunSummary {
                id: r.id,
                uri: r.uri.clone(),
                kind: r.kind,
                target: r.target.clone(),
                status: r.status,
                summary: r.summary.clone(),
            })
            .collect();
        RunList { runs }
    }

    /// Records a new run with its planned steps, all pending, and returns the guard that
    /// updates it. Dropping the guard before [`RunGuard::finish`] marks the run cancelled.
    pub fn start(&self, kind: RunKind, target: &str, steps: &[String]) -> RunGuard {
        let mut book = self.lock();
        let id = book.runs.keys().next_back().map_or(1, |last| last + 1);
        let started_at_ms =
            SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default();
        let steps = steps
            .iter()
            .map(|name| Step {
                name: name.clone(),
                status: StepStatus::Pending,
                started_ms: None,
                duration_ms: None,
            })
            .collect();
        let run = Run {
            id,
            uri: format!("runs://{id}"),
            kind,
            target: target.to_owned(),
            status: RunStatus::Running,
            summary: None,
            started_at_ms,
            duration_ms: None,
            steps,
            log: Vec::new(),
        };
        book.runs.insert(id, run);
        book.clocks.insert(id, Instant::now());
        RunGuard { runs: self.clone(), id, finished: false }
    }

    /// Changes run `id` under the lock; `at` is the milliseconds since it started.
    fn update(&self, id: u64, change: impl FnOnce(&mut Run, u64)) -> Option<Run> {
        let mut book = self.lock();
        let at = book.clocks.get(&id).map_or(0, |t| t.elapsed().as_millis() as u64);
        let run = book.runs.get_mut(&id)?;
        change(run, at);
        Some(run.clone())
    }
}

/// The handle a running job updates its run through.
///
/// The server drops a tool's future when the client cancels the request, so no code after an
/// `.await` runs then: this guard's `Drop` is what records the cancellation, marking the step
/// under way `cancelled` and the steps after it `skipped`.
pub struct RunGuard {
    runs: Runs,
    id: u64,
    finished: bool,
}

impl RunGuard {
    /// The run's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Marks step `index` as started.
    pub fn step_started(&self, index: usize) {
        self.runs.update(self.id, |run, at| {
            if let Some(step) = run.steps.get_mut(index) {
                step.status = StepStatus::Running;
                step.started_ms = Some(at);
            }
        });
    }

    /// Marks step `index` as done.
    pub fn step_done(&self, index: usize) {
        self.runs.update(self.id, |run, at| {
            if let Some(step) = run.steps.get_mut(index) {
                step.status = StepStatus::Done;
                step.duration_ms = Some(at.saturating_sub(step.started_ms.unwrap_or(at)));
            }
        });
    }

    /// Adds a line to the run's log.
    pub fn log(&self, message: impl Into<String>) {
        let message = message.into();
        self.runs.update(self.id, |run, at| run.log.push(LogLine { at_ms: at, message }));
    }

    /// Ends the run with `status` and a one-line summary (also logged); steps not done are
    /// marked skipped. Returns the run as recorded (`None` only if its record vanished, which
    /// does not happen: runs are never removed).
    pub fn finish(mut self, status: RunStatus, summary: impl Into<String>) -> Option<Run> {
        self.finished = true;
        let summary = summary.into();
        self.runs.update(self.id, |run, at| end(run, at, status, summary))
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if !self.finished {
            let summary = "cancelled by the client; the step under way was stopped and later steps skipped";
            self.runs.update(self.id, |run, at| end(run, at, RunStatus::Cancelled, summary.to_owned()));
        }
    }
}

fn end(run: &mut Run, at: u64, status: RunStatus, summary: String) {
    for step in &mut run.steps {
        match step.status {
            StepStatus::Running => {
                step.status =
                    if status == RunStatus::Cancelled { StepStatus::Cancelled } else { StepStatus::Done };
                step.duration_ms = Some(at.saturating_sub(step.started_ms.unwrap_or(at)));
            }
            StepStatus::Pending => step.status = StepStatus::Skipped,
            _ => {}
        }
    }
    run.status = status;
    run.duration_ms = Some(at);
    run.log.push(LogLine { at_ms: at, message: summary.clone() });
    run.summary = Some(summary);
}
