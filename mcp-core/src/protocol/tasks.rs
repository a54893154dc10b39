//! Wire types of the Tasks extension, `io.modelcontextprotocol/tasks` (SEP-2663), defined for
//! protocol 2026-07-28 only: a `tools/call` answered with a task handle
//! ([`CreateTaskResult`], `resultType: "task"`) instead of its result, and the methods that
//! follow the task: `tasks/get` (poll), `tasks/update` (answer its input requests) and
//! `tasks/cancel`.
//!
//! ```
//! use mcp_connector_core::protocol::{CreateTaskResult, ResultType, Task, TaskStatus};
//! use serde_json::json;
//!
//! // The server makes tasks; a client reads them (the types are `#[non_exhaustive]`).
//! let task: Task = serde_json::from_value(json!({
//!     "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
//!     "status": "working",
//!     "createdAt": "2025-11-25T10:30:00Z",
//!     "lastUpdatedAt": "2025-11-25T10:30:00Z",
//!     "ttlMs": 60000,
//!     "pollIntervalMs": 5000
//! }))
//! .unwrap();
//! assert_eq!(task.status, TaskStatus::Working);
//! let handle = CreateTaskResult::new(task);
//! assert_eq!(handle.result_type, ResultType::Task);
//! assert_eq!(
//!     serde_json::to_value(&handle).unwrap(),
//!     json!({
//!         "resultType": "task",
//!         "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
//!         "status": "working",
//!         "createdAt": "2025-11-25T10:30:00Z",
//!         "lastUpdatedAt": "2025-11-25T10:30:00Z",
//!         "ttlMs": 60000,
//!         "pollIntervalMs": 5000
//!     })
//! );
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{InputRequest, Meta, ResultType};
use crate::jsonrpc::ErrorObject;

/// The extension's identifier: the key under `extensions` in the client's per-request
/// capabilities and in the server's capabilities (SEP-2663, "Extension Identifier").
pub const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// The methods and the notification the Tasks extension defines (SEP-2663, "Reservations":
/// the `tasks/` and `notifications/tasks/` prefixes belong to it).
pub mod task_method {
    /// `tasks/get`: the task's current state.
    pub const GET: &str = "tasks/get";
    /// `tasks/update`: answers to the task's outstanding input requests.
    pub const UPDATE: &str = "tasks/update";
    /// `tasks/cancel`: asks the server to stop the task.
    pub const CANCEL: &str = "tasks/cancel";
    /// `notifications/tasks`: a task's state, pushed on a `subscriptions/listen` stream.
    pub const STATUS: &str = "notifications/tasks";
}

/// Where a task is in its life (SEP-2663, "Task Status"). `completed`, `failed` and
/// `cancelled` are terminal: once reached, the task no longer changes.
///
/// ```
/// use mcp_connector_core::protocol::TaskStatus;
///
/// assert_eq!(serde_json::to_value(TaskStatus::InputRequired).unwrap(), "input_required");
/// assert!(TaskStatus::Cancelled.is_terminal());
/// assert!(!TaskStatus::Working.is_terminal());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TaskStatus {
    /// The request is being processed.
    Working,
    /// The server needs the client to answer `inputRequests` (with `tasks/update`).
    InputRequired,
    /// The request finished; `result` holds what it would have returned (a tool result with
    /// `isError: true` included).
    Completed,
    /// The request failed with a JSON-RPC error, in `error`.
    Failed,
    /// The request was cancelled before it finished.
    Cancelled,
}

impl TaskStatus {
    /// Whether the status is final: `completed`, `failed` or `cancelled`.
    pub fn is_terminal(self) -> bool {
        matches!(self, TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled)
    }
}

/// A task's metadata (SEP-2663, "Tasks"): what every task-bearing message carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Task {
    /// The server-generated identifier the client polls with.
    pub task_id: String,
    /// The current status.
    pub status: TaskStatus,
    /// What the task is doing, waiting for, or why it ended; may be shown to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// When the task was created (ISO 8601).
    pub created_at: String,
    /// When the task last changed (ISO 8601).
    pub last_updated_at: String,
    /// How long after `createdAt` the server keeps the task, in milliseconds; `null` for
    /// unlimited. Always sent.
    #[serde(default)]
    pub ttl_ms: Option<u64>,
    /// How often the client should poll, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<u64>,
}

/// A task with the fields its status brings (SEP-2663, "DetailedTask"): `inputRequests` while
/// `input_required`, `result` once `completed`, `error` once `failed`. What `tasks/get` and
/// `notifications/tasks` carry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DetailedTask {
    /// The task's metadata.
    #[serde(flatten)]
    pub task: Task,
    /// Every request the server is waiting on the client to answer, by key (status
    /// `input_required`). A key is never reused within one task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_requests: Option<BTreeMap<String, InputRequest>>,
    /// The result the request would have returned (status `completed`), such as a
    /// `CallToolResult`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Map<String, Value>>,
    /// The JSON-RPC error the request ended with (status `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorObject>,
}

/// `resultType: "task"`: the server will process the request in the background; poll
/// `tasks/get` with `taskId` (SEP-2663, "Task Creation"). Flat: `Result & Task`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateTaskResult {
    /// Always [`ResultType::Task`].
    pub result_type: ResultType,
    /// The task's seed state.
    #[serde(flatten)]
    pub task: Task,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl CreateTaskResult {
    /// The handle for `task`.
    pub fn new(task: Task) -> Self {
        CreateTaskResult { result_type: ResultType::Task, task, meta: None }
    }
}

/// Parameters of `tasks/get` and `tasks/cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TaskParams {
    /// The task.
    pub task_id: String,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Parameters of `tasks/get`.
pub type GetTaskParams = TaskParams;

/// Parameters of `tasks/cancel`.
pub type CancelTaskParams = TaskParams;

/// The result of `tasks/get`: the task as it is now, with `resultType: "complete"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GetTaskResult {
    /// Always [`ResultType::Complete`].
    pub result_type: ResultType,
    /// The task.
    #[serde(flatten)]
    pub task: DetailedTask,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// Parameters of `tasks/update`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpdateTaskParams {
    /// The task.
    pub task_id: String,
    /// Answers to the task's outstanding `inputRequests`, by key: an `ElicitResult`,
    /// `CreateMessageResult` or `ListRootsResult` each. Keys that are not outstanding are
    /// ignored.
    pub input_responses: Map<String, Value>,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

/// The empty acknowledgement `tasks/update` and `tasks/cancel` return, with
/// `resultType: "complete"`. It says the server took the request, not that the task changed
/// yet: the next `tasks/get` shows that.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TaskAck {
    /// Always [`ResultType::Complete`].
    pub result_type: ResultType,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

impl Default for TaskAck {
    fn default() -> Self {
        TaskAck { result_type: ResultType::Complete, meta: None }
    }
}

/// The result of `tasks/update`.
pub type UpdateTaskResult = TaskAck;

/// The result of `tasks/cancel`.
pub type CancelTaskResult = TaskAck;

/// Parameters of `notifications/tasks`: the task as `tasks/get` would return it now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TaskStatusNotificationParams {
    /// The task.
    #[serde(flatten)]
    pub task: DetailedTask,
    /// Notification metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn task(status: TaskStatus) -> Task {
        Task {
            task_id: "t-1".into(),
            status,
            status_message: None,
            created_at: "2025-11-25T10:30:00Z".into(),
            last_updated_at: "2025-11-25T10:50:00Z".into(),
            ttl_ms: None,
            poll_interval_ms: None,
        }
    }

    #[test]
    fn an_unlimited_ttl_is_sent_as_null() {
        let value = serde_json::to_value(task(TaskStatus::Working)).unwrap();
        assert_eq!(value["ttlMs"], Value::Null);
        assert!(value.as_object().unwrap().contains_key("ttlMs"));
        assert!(!value.as_object().unwrap().contains_key("pollIntervalMs"));
    }

    #[test]
    fn a_detailed_task_inlines_its_payload() {
        let detailed = GetTaskResult {
            result_type: ResultType::Complete,
            task: DetailedTask {
                task: task(TaskStatus::Failed),
                input_requests: None,
                result: None,
                error: Some(ErrorObject::new(-32603, "API rate limit exceeded")),
            },
            meta: None,
        };
        let value = serde_json::to_value(&detailed).unwrap();
        assert_eq!(value["resultType"], "complete");
        assert_eq!(value["status"], "failed");
        assert_eq!(value["error"], json!({"code": -32603, "message": "API rate limit exceeded"}));
        let back: GetTaskResult = serde_json::from_value(value).unwrap();
        assert_eq!(back, detailed);
    }

    #[test]
    fn update_params_read_the_spec_example() {
        let params: UpdateTaskParams = serde_json::from_value(json!({
            "taskId": "786512e2-9e0d-44bd-8f29-789f320fe840",
            "inputResponses": {"name": {"action": "accept", "content": {"input": "Luca"}}}
        }))
        .unwrap();
        assert_eq!(params.input_responses["name"]["content"]["input"], "Luca");
    }
}
