//! [`RedisTaskMirror`]: the tasks of every replica in Redis, so that `tasks/get`, `tasks/update`
//! and `tasks/cancel` work on any replica, and a task whose replica died ends `failed`.

use std::time::Duration;

use async_trait::async_trait;
use mcp_connector_core::safe::{StoreError, StoreResult};
use mcp_connector_core::{TaskCommand, TaskMirror, TaskRecord};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::{Redis, millis};

/// The bus topic of task commands.
const TOPIC: &str = "tasks";

#[derive(Serialize, Deserialize)]
struct Sent {
    id: String,
    #[serde(flatten)]
    command: TaskCommand,
}

/// The task mirror shared by replicas ([`TaskMirror`]), for
/// [`ServerBuilder::task_mirror`](mcp_connector_core::ServerBuilder::task_mirror).
///
/// Key (after the [`Redis`] prefix): `task:{id}`, the task as `tasks/get` shows it with its
/// owner and the runner's lease, as JSON; rewritten on every change and every third of the
/// lease while the task runs, expiring the task's time to live after its last change.
/// `tasks/update` and `tasks/cancel` reach the runner on the channel `{prefix}:bus:tasks`.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
///
/// let redis = mcp_connector_transport::redis::Redis::connect("redis://127.0.0.1:6379/").await?;
/// let server = mcp_connector_core::Server::builder("s", "1")
///     .task_mirror(redis.task_mirror(), Duration::from_secs(10))
///     .build()?;
/// # drop(server);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisTaskMirror {
    redis: Redis,
}

impl RedisTaskMirror {
    pub(super) fn new(redis: Redis) -> Self {
        RedisTaskMirror { redis }
    }

    fn key(&self, id: &str) -> String {
        self.redis.key("task", id)
    }
}

fn unavailable(error: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("redis: {error}"))
}

#[async_trait]
impl TaskMirror for RedisTaskMirror {
    async fn publish(&self, id: &str, record: &TaskRecord, keep_for: Duration) -> StoreResult<()> {
        let json = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let _: () = ::redis::cmd("SET")
            .arg(self.key(id))
            .arg(json)
            .arg("PX")
            .arg(millis(keep_for))
            .query_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn load(&self, id: &str) -> StoreResult<Option<TaskRecord>> {
        let json: Option<String> = ::redis::cmd("GET")
            .arg(self.key(id))
            .query_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        json.map(|json| {
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("a task record: {e}")))
        })
        .transpose()
    }

    async fn send(&self, id: &str, command: TaskCommand) -> StoreResult<()> {
        let json = serde_json::to_string(&Sent { id: id.to_owned(), command })
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let _: i64 = ::redis::cmd("PUBLISH")
            .arg(self.redis.bus_channel(TOPIC))
            .arg(json)
            .query_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    fn commands(&self) -> Option<mpsc::UnboundedReceiver<(String, TaskCommand)>> {
        let mut bus = self.redis.listen_bus();
        let (commands, receiver) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match bus.recv().await {
                    Ok(message) if &*message.topic == TOPIC => {
                        match serde_json::from_slice::<Sent>(&message.payload) {
                            Ok(sent) => {
                                if commands.send((sent.id, sent.command)).is_err() {
                                    return;
                                }
                            }
                            Err(error) => {
                                tracing::warn!(%error, "an unreadable task command on the replicas' bus")
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "missed task commands on the replicas' bus")
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
        Some(receiver)
    }
}
