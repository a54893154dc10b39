//! Tasks seen from every replica: the replica running a task keeps a copy of it where the
//! others read it ([`TaskMirror`]), renewing a lease while it runs; `tasks/get`, `tasks/update`
//! and `tasks/cancel` for a task another replica runs are answered from that copy and handed to
//! the runner. A task whose runner died (its lease ran out before it ended) is reported
//! `failed`, saying why, instead of `working` for ever.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::protocol::DetailedTask;
use crate::safe::StoreResult;

/// One task as the replica running it last wrote it.
///
/// ```
/// use mcp_connector_core::TaskRecord;
///
/// let record: TaskRecord = serde_json::from_value(serde_json::json!({
///     "owner": null,
///     "task": {"taskId": "t1", "status": "working", "createdAt": "2026-07-28T10:00:00.000Z",
///              "lastUpdatedAt": "2026-07-28T10:00:00.000Z", "ttlMs": 60000},
///     "leaseUntil": 0
/// })).unwrap();
/// assert!(record.runner_gone(1), "working, with its lease out");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskRecord {
    /// The caller the task belongs to (`None`: anonymous); nobody else reaches it.
    pub owner: Option<String>,
    /// The task as `tasks/get` shows it.
    pub task: DetailedTask,
    /// Until when (milliseconds since the Unix epoch) the runner vouches for a task that has
    /// not ended: it renews this while it runs.
    pub lease_until: u64,
}

impl TaskRecord {
    /// Whether the replica running the task is gone: the task has not ended and its lease ran
    /// out (`now`: milliseconds since the Unix epoch).
    pub fn runner_gone(&self, now: u64) -> bool {
        !self.task.task.status.is_terminal() && self.lease_until < now
    }
}

/// What a replica asks of the one running a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum TaskCommand {
    /// `tasks/cancel`.
    Cancel,
    /// `tasks/update`: the client's answers, by key.
    Update {
        /// The `inputResponses`.
        responses: Map<String, Value>,
    },
}

/// Where a server's tasks are mirrored for the other replicas of the same server (Redis, with
/// the transport's `redis` feature). Set with
/// [`ServerBuilder::task_mirror`](crate::ServerBuilder::task_mirror); without one, tasks live
/// in the process that runs them.
///
/// ```
/// use mcp_connector_core::{TaskCommand, TaskMirror, TaskRecord};
/// use mcp_connector_core::safe::StoreResult;
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::Duration;
///
/// /// Two servers of one process sharing this behave like two replicas.
/// #[derive(Default)]
/// struct Shared(Mutex<HashMap<String, TaskRecord>>);
///
/// #[async_trait::async_trait]
/// impl TaskMirror for Shared {
///     async fn publish(&self, id: &str, record: &TaskRecord, _keep: Duration) -> StoreResult<()> {
///         self.0.lock().unwrap().insert(id.into(), record.clone());
///         Ok(())
///     }
///     async fn load(&self, id: &str) -> StoreResult<Option<TaskRecord>> {
///         Ok(self.0.lock().unwrap().get(id).cloned())
///     }
///     async fn send(&self, _id: &str, _command: TaskCommand) -> StoreResult<()> {
///         Ok(()) // a real mirror hands it to the runner
///     }
/// }
/// ```
#[async_trait]
pub trait TaskMirror: Send + Sync + 'static {
    /// Writes the task's record, to be kept `keep_for` after this write.
    async fn publish(&self, id: &str, record: &TaskRecord, keep_for: Duration) -> StoreResult<()>;

    /// The record of task `id`; `None` when no replica runs or ran it (or it expired).
    async fn load(&self, id: &str) -> StoreResult<Option<TaskRecord>>;

    /// Hands `command` to the replica running task `id`.
    async fn send(&self, id: &str, command: TaskCommand) -> StoreResult<()>;

    /// The commands sent for any task from now on, with the task's id: each replica applies
    /// those for the tasks it runs. `None` (the default) when the mirror carries no commands.
    fn commands(&self) -> Option<mpsc::UnboundedReceiver<(String, TaskCommand)>> {
        None
    }
}

/// The mirror and its lease, as the server keeps them.
pub(crate) struct Mirror {
    pub(crate) store: std::sync::Arc<dyn TaskMirror>,
    pub(crate) lease: Duration,
}
