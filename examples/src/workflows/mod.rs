//! The `workflows` connector: long-running jobs with progress, cancellation, a confirmation
//! before the destructive one, and a resource per run.
//!
//! - `start_job` runs a `build` (fetch, compile, test, package; leaves an artifact in the build
//!   cache) or a `sync` (copies a data set's records in batches) to completion inside the call.
//!   Each step takes real time ([`Workflows::new`] sets how long) and is reported as it starts,
//!   with `notifications/progress` (when the request carries a `progressToken`) and a log message.
//! - `purge_cache` deletes the cached build artifacts. It is the destructive one: before the
//!   delete step it asks the user through elicitation, and deletes nothing unless the user
//!   confirms. A client without elicitation gets an error saying so, and nothing is deleted.
//! - `list_runs` and `get_run` read the record of every run; so does the resource template
//!   `runs://{id}` (JSON: status, steps with timings, log).
//!
//! **Cancellation.** When the client sends `notifications/cancelled` (or goes away), the server
//! drops the tool's future at once, so the step under way stops at its next `.await` and no
//! response is sent. The job's [`RunGuard`] sees the drop and records the run as `cancelled`: the
//! step under way `cancelled`, later steps `skipped`. Each step's effect (an artifact written, a
//! batch copied, the artifacts deleted) happens without an `.await` after the step's wait, so a
//! cancelled run has done whole steps only. Work spawned elsewhere would also need
//! [`Context::cancellation`]; these steps run inside the call, so they need nothing more.
//!
//! ```
//! use std::time::Duration;
//!
//! use examples::workflows::{Workflows, server};
//! use mcp_connector_core::testing::TestClient;
//! use serde_json::json;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let workflows = Workflows::new(Duration::from_millis(1));
//! let client = TestClient::connect(server(workflows.clone()).unwrap()).await;
//! let run = client.call_tool("start_job", json!({"kind": "build", "target": "web"})).await.unwrap();
//! assert_eq!(run.structured_content.unwrap()["status"], "succeeded");
//! assert_eq!(workflows.artifacts()[0].name, "web-1.tar.gz");
//! # });
//! ```

mod runs;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mcp_connector_core::protocol::LoggingLevel;
use mcp_connector_core::{
    BuildError, ClientRequestError, Context, Json, McpError, ResourceRequest, Server, State, ToolError,
    resource, tools,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use runs::{
    JobKind, LogLine, Run, RunGuard, RunKind, RunList, RunStatus, RunSummary, Runs, Step, StepStatus,
};

/// What the model reads first.
pub const INSTRUCTIONS: &str = "Runs long jobs on this machine. start_job runs a build (kind: build, target: \
the project) or a data sync (kind: sync, target: the data set) and returns when it is done; ask for progress \
with a progressToken. Every run is recorded: list_runs, get_run, or the runs://{id} resource. purge_cache \
deletes every cached build artifact after asking the user to confirm; it needs a client that supports \
elicitation.";

/// How long each step takes unless [`Workflows::new`] says otherwise.
pub const DEFAULT_STEP: Duration = Duration::from_secs(1);

/// How many records a `sync` copies, and how many per batch.
const SYNC_RECORDS: usize = 120;
const SYNC_BATCH: usize = 50;

/// Confirm deleting the cached build artifacts.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct Confirm {
    /// Tick to delete the artifacts listed above. This cannot be undone.
    pub confirm: bool,
}

/// A build artifact in the cache: what `build` leaves and `purge_cache` deletes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Artifact {
    /// The file name, such as `web-3.tar.gz`.
    pub name: String,
    /// The build run that produced it.
    pub run_id: u64,
}

/// What the jobs change: the build cache and the sync destination.
#[derive(Default)]
struct Machine {
    artifacts: Vec<Artifact>,
    synced: BTreeMap<String, Vec<String>>,
}

/// The connector's tools and what they share. Cheap to clone (handles); keep a clone to look at
/// the cache and the runs from outside, as the tests do.
#[derive(Clone)]
pub struct Workflows {
    runs: Runs,
    machine: Arc<Mutex<Machine>>,
    step: Duration,
}

impl Workflows {
    /// An empty machine whose job steps each take `step` ([`DEFAULT_STEP`] in the binary,
    /// a few milliseconds in tests).
    pub fn new(step: Duration) -> Self {
        Workflows { runs: Runs::default(), machine: Arc::default(), step }
    }

    /// Every run, for the `runs://{id}` resource.
    pub fn runs(&self) -> &Runs {
        &self.runs
    }

    /// The build cache, oldest artifact first.
    pub fn artifacts(&self) -> Vec<Artifact> {
        self.machine().artifacts.clone()
    }

    /// How many records of data set `target` the syncs have copied.
    pub fn synced_records(&self, target: &str) -> usize {
        self.machine().synced.get(target).map_or(0, Vec::len)
    }

    fn machine(&self) -> MutexGuard<'_, Machine> {
        // Each change is one push, insert or retain under the lock, so a poisoned lock is consistent.
        self.machine.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reports step `index` as started: progress (its index, out of all steps), a log message
    /// to the client and a line in the run's log.
    fn begin(&self, ctx: &Context, run: &RunGuard, steps: &[String], index: usize) {
        let name = steps.get(index).map_or("", String::as_str);
        let message = format!("run {}: step {} of {}: {name}", run.id(), index + 1, steps.len());
        // Progress is sent as each step starts, so the user sees what is being worked on, and
        // the last notification does not race the response (some clients drop a progress
        // notification that arrives together with the response).
        ctx.progress(index as f64, Some(steps.len() as f64), Some(&message));
        ctx.log(LoggingLevel::Info, &message);
        run.step_started(index);
        run.log(format!("{name}: started"));
    }

    /// Runs step `index`: reports it, waits the step's time, marks it done. The caller applies
    /// the step's effect after this returns, with no `.await` in between.
    async fn step(&self, ctx: &Context, run: &RunGuard, steps: &[String], index: usize) {
        self.begin(ctx, run, steps, index);
        // Stands in for real work (a compiler, a network copy): real time passes.
        tokio::time::sleep(self.step).await;
        run.step_done(index);
    }

    async fn build(&self, ctx: &Context, target: &str) -> Result<Run, ToolError> {
        let steps: Vec<String> = ["fetch", "compile", "test", "package"].map(String::from).into();
        let run = self.runs.start(RunKind::Build, target, &steps);
        for index in 0..steps.len() {
            self.step(ctx, &run, &steps, index).await;
        }
        let artifact = Artifact { name: format!("{target}-{}.tar.gz", run.id()), run_id: run.id() };
        run.log(format!("wrote {} to the build cache", artifact.name));
        let summary = format!("built {target}: {} is in the build cache", artifact.name);
        self.machine().artifacts.push(artifact);
        finished(run.finish(RunStatus::Succeeded, summary))
    }

    async fn sync(&self, ctx: &Context, target: &str) -> Result<Run, ToolError> {
        let batches: Vec<(usize, usize)> = (0..SYNC_RECORDS)
            .step_by(SYNC_BATCH)
            .map(|from| (from, (from + SYNC_BATCH).min(SYNC_RECORDS)))
            .collect();
        let mut steps = vec![String::from("connect")];
        for (n, (from, to)) in batches.iter().enumerate() {
            steps.push(format!("batch {} of {} (records {}-{})", n + 1, batches.len(), from + 1, to));
        }
        steps.push("verify".into());
        let run = self.runs.start(RunKind::Sync, target, &steps);
        self.step(ctx, &run, &steps, 0).await;
        self.machine().synced.insert(target.to_owned(), Vec::new());
        for (n, &(from, to)) in batches.iter().enumerate() {
            self.step(ctx, &run, &steps, n + 1).await;
            let records = (from..to).map(|i| format!("{target}-{:04}", i + 1));
            self.machine().synced.entry(target.to_owned()).or_default().extend(records);
            run.log(format!("copied records {}-{to}", from + 1));
        }
        self.step(ctx, &run, &steps, steps.len() - 1).await;
        let copied = self.synced_records(target);
        let summary = format!("synced {target}: {copied} records copied in {} batches", batches.len());
        finished(run.finish(RunStatus::Succeeded, summary))
    }
}

#[tools]
impl Workflows {
    /// Start a job.
    ///
    /// Runs a build (fetch, compile, test, package; the artifact goes to the build cache) or a
    /// data sync (copies a data set's records in batches) and returns the finished run. Each
    /// step takes a while: send a progressToken to follow it. Cancelling the request stops the
    /// run at the step under way; its runs://{id} resource then says `cancelled`.
    #[tool(write, not_destructive, closed_world)]
    async fn start_job(
        &self,
        ctx: Context,
        /// `build` or `sync`.
        kind: JobKind,
        /// What to run it on: the project to build, or the data set to sync, such as "web" or
        /// "customers".
        target: String,
    ) -> Result<Json<Run>, ToolError> {
        let target = target.trim();
        if target.is_empty() || !target.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(ToolError::new(
                "target must be a name of letters, digits, '-' and '_', such as \"web\"",
            ));
        }
        let run = match kind {
            JobKind::Build => self.build(&ctx, target).await?,
            JobKind::Sync => self.sync(&ctx, target).await?,
        };
        Ok(Json(run))
    }

    /// Purge the build cache.
    ///
    /// Deletes every cached build artifact for good. Asks the user to confirm first (through
    /// the client, with elicitation) and deletes nothing unless they do; a client that cannot
    /// ask gets an error and nothing is deleted. Returns the run: `succeeded` when the
    /// artifacts were deleted, `aborted` when the user did not confirm.
    #[tool(write, destructive, idempotent, closed_world)]
    async fn purge_cache(&self, ctx: Context) -> Result<Json<Run>, ToolError> {
        // Ask before recording or changing anything. In protocol 2026-07-28 the question ends
        // this call (the answer comes in the client's retry, which runs the handler again from
        // the top), so whatever comes before the answer happens once per round: only reads.
        let doomed = self.artifacts();
        let names = doomed.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
        let answer = if doomed.is_empty() {
            None
        } else {
            let question =
                format!("Delete {} cached build artifact(s): {names}? This cannot be undone.", doomed.len());
            Some(ctx.elicit_as::<Confirm>(question).await)
        };

        let steps: Vec<String> = ["scan", "confirm", "delete"].map(String::from).into();
        let run = self.runs.start(RunKind::PurgeCache, "build cache", &steps);
        self.step(&ctx, &run, &steps, 0).await;
        let Some(answer) = answer else {
            return finished(run.finish(RunStatus::Succeeded, "the build cache is already empty")).map(Json);
        };
        run.log(format!("found {} artifacts: {names}", doomed.len()));

        self.begin(&ctx, &run, &steps, 1);
        match answer {
            Ok(Some(Confirm { confirm: true })) => run.step_done(1),
            Ok(_) => {
                let summary = "not confirmed: the user declined, so nothing was deleted";
                return finished(run.finish(RunStatus::Aborted, summary)).map(Json);
            }
            Err(ClientRequestError::CapabilityMissing(_)) => {
                let summary = "this client cannot ask for confirmation; nothing was deleted";
                run.finish(RunStatus::Aborted, summary);
                return Err(ToolError::new(format!(
                    "{summary}. Purging the cache needs the user's confirmation through elicitation: use a \
                     client that supports it (over HTTP, the server must run with --stateful)."
                )));
            }
            Err(error) => {
                let summary = format!("could not get the user's confirmation ({error}); nothing was deleted");
                run.finish(RunStatus::Aborted, summary.clone());
                return Err(ToolError::new(summary));
            }
        }

        self.step(&ctx, &run, &steps, 2).await;
        // Exactly what the user confirmed: an artifact built since then stays.
        self.machine().artifacts.retain(|a| !doomed.contains(a));
        let summary = format!("deleted {} artifacts: {names}", doomed.len());
        finished(run.finish(RunStatus::Succeeded, summary)).map(Json)
    }

    /// List runs.
    ///
    /// Every job run since the server started, newest first, with its status.
    #[tool(read, closed_world)]
    async fn list_runs(&self) -> Json<RunList> {
        Json(self.runs.list())
    }

    /// Get a run.
    ///
    /// One run in full: status, every step with its timing, and its log.
    #[tool(read, closed_world)]
    async fn get_run(
        &self,
        /// The run's id, from start_job or list_runs.
        id: u64,
    ) -> Result<Json<Run>, ToolError> {
        self.runs
            .get(id)
            .map(Json)
            .ok_or_else(|| ToolError::new(format!("run {id} does not exist; list_runs shows the runs")))
    }
}

fn finished(run: Option<Run>) -> Result<Run, ToolError> {
    run.ok_or_else(|| ToolError::new("the run's record is missing"))
}

/// A job run: status, steps with timings, and log, as JSON.
#[resource(uri = "runs://{id}", mime_type = "application/json")]
async fn run(runs: State<Runs>, request: ResourceRequest, id: u64) -> Result<Json<Run>, McpError> {
    runs.0.get(id).map(Json).ok_or_else(|| McpError::resource_not_found(&request.uri))
}

/// The whole connector over `workflows`.
pub fn server(workflows: Workflows) -> Result<Server, BuildError> {
    Server::builder("workflows", env!("CARGO_PKG_VERSION"))
        .title("Workflows")
        .description("Long-running build and sync jobs with progress, cancellation and a confirmed purge.")
        .instructions(INSTRUCTIONS)
        .state(workflows.runs.clone())
        .tools(workflows)
        .resource(run::resource())
        .build()
}
