//! What safe writes keep, as three small async traits: idempotency records, used confirmation
//! tokens and the saga journal. [`MemoryStore`](super::MemoryStore) keeps them in the process;
//! `SqliteStore` (feature `sqlite`) keeps them in one SQLite file so they survive a restart.
//! Another backend (Redis, a SQL server) implements the same three traits; nothing in them is
//! specific to one database.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a store could not do what was asked. The message is for logs and for start-up errors;
/// a tool call that meets one tells the model that nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached or written (a locked file, a full disk, a lost connection).
    #[error("the safe-writes store is unavailable: {0}")]
    Unavailable(String),
    /// The store holds data it cannot read (a corrupt file, a record of an unknown layout).
    #[error("the safe-writes store holds unreadable data: {0}")]
    Corrupt(String),
    /// The store is full of records it may not drop yet (bounded in-memory store).
    #[error("the safe-writes store is full: {0}")]
    Full(String),
}

/// The result type of every store method.
pub type StoreResult<T> = Result<T, StoreError>;

/// What [`IdempotencyStore::claim`] found for a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Nobody holds the key (or its holder's lease ran out): the caller now holds it and must
    /// [`complete`](IdempotencyStore::complete) or [`release`](IdempotencyStore::release) it.
    Fresh,
    /// A call with this key is running (in this process or another).
    Running {
        /// The fingerprint of the running call's arguments.
        fingerprint: String,
    },
    /// A call with this key completed; here is what it answered.
    Completed {
        /// The fingerprint of the completed call's arguments.
        fingerprint: String,
        /// Its result (a `CallToolResult` as JSON).
        result: Value,
    },
}

/// Idempotency records: one per `(scope, key)`, where the scope is the caller (the token's
/// subject) and the key names one logical write.
///
/// ```
/// use mcp_connector_core::safe::{Claim, IdempotencyStore, MemoryStore};
/// use serde_json::json;
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let minute = Duration::from_secs(60);
/// assert_eq!(store.claim("alice", "k1", "f1", minute).await.unwrap(), Claim::Fresh);
/// store.complete("alice", "k1", &json!({"content": []}), minute).await.unwrap();
/// assert!(matches!(store.claim("alice", "k1", "f1", minute).await.unwrap(), Claim::Completed { .. }));
/// assert_eq!(store.claim("bob", "k1", "f1", minute).await.unwrap(), Claim::Fresh);
/// # });
/// ```
#[async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Atomically looks the key up and, when nobody holds it, takes it for a call whose
    /// arguments have `fingerprint`, for at most `lease` (after which a crashed holder's key
    /// can be taken again).
    async fn claim(&self, scope: &str, key: &str, fingerprint: &str, lease: Duration) -> StoreResult<Claim>;

    /// Records the result of the call holding the key; it is answered again for `keep_for`.
    async fn complete(&self, scope: &str, key: &str, result: &Value, keep_for: Duration) -> StoreResult<()>;

    /// Gives the key up without a result (the call failed or was stopped; nothing was done).
    async fn release(&self, scope: &str, key: &str) -> StoreResult<()>;
}

/// The confirmation tokens already used: each is accepted once.
#[async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// Marks the token `id` used; `false` when it was used already. `expires_at` (seconds since
    /// the Unix epoch) is when the record may be forgotten: the token is refused as expired
    /// after that anyway.
    async fn consume(&self, id: &str, expires_at: u64) -> StoreResult<bool>;
}

/// Where a saga stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaStatus {
    /// Steps are running forward.
    Running,
    /// A step failed (or the process died); completed steps are being undone.
    Compensating,
    /// Every step completed.
    Completed,
    /// Every completed step was undone.
    Compensated,
    /// A compensation kept failing: someone must look at it. Kept, never dropped.
    NeedsAttention,
}

impl SagaStatus {
    /// Whether the saga is over (completed or fully undone).
    pub fn is_final(self) -> bool {
        matches!(self, SagaStatus::Completed | SagaStatus::Compensated)
    }

    /// The name stored in a journal.
    pub fn as_str(self) -> &'static str {
        match self {
            SagaStatus::Running => "running",
            SagaStatus::Compensating => "compensating",
            SagaStatus::Completed => "completed",
            SagaStatus::Compensated => "compensated",
            SagaStatus::NeedsAttention => "needs_attention",
        }
    }

    /// The status a journal's name stands for.
    pub fn parse(name: &str) -> Option<SagaStatus> {
        Some(match name {
            "running" => SagaStatus::Running,
            "compensating" => SagaStatus::Compensating,
            "completed" => SagaStatus::Completed,
            "compensated" => SagaStatus::Compensated,
            "needs_attention" => SagaStatus::NeedsAttention,
            _ => return None,
        })
    }
}

/// Where one step of a saga stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Recorded before the action ran: the action may or may not have happened.
    Started,
    /// The action completed.
    Done,
    /// The action failed (and changed nothing, as a step must promise).
    Failed,
    /// The compensation completed.
    Compensated,
    /// The compensation kept failing.
    CompensationFailed,
}

impl StepState {
    /// The name stored in a journal.
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Started => "started",
            StepState::Done => "done",
            StepState::Failed => "failed",
            StepState::Compensated => "compensated",
            StepState::CompensationFailed => "compensation_failed",
        }
    }

    /// The state a journal's name stands for.
    pub fn parse(name: &str) -> Option<StepState> {
        Some(match name {
            "started" => StepState::Started,
            "done" => StepState::Done,
            "failed" => StepState::Failed,
            "compensated" => StepState::Compensated,
            "compensation_failed" => StepState::CompensationFailed,
            _ => return None,
        })
    }
}

/// One step's line in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    /// Its position, from 0.
    pub index: u32,
    /// Its name.
    pub name: String,
    /// Where it stands.
    pub state: StepState,
    /// What the action returned (recorded once it is done).
    pub output: Option<Value>,
    /// How many times its compensation was tried.
    pub attempts: u32,
    /// The last error of its action or compensation.
    pub error: Option<String>,
}

/// One saga's entry in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SagaRecord {
    /// Unique id, also the prefix of each step's key.
    pub id: String,
    /// The saga definition's name.
    pub name: String,
    /// The input it was started with.
    pub input: Value,
    /// Who started it.
    pub principal: Option<String>,
    /// Where it stands.
    pub status: SagaStatus,
    /// When it started and last changed, seconds since the Unix epoch.
    pub started_at: u64,
    /// When it last changed, seconds since the Unix epoch.
    pub updated_at: u64,
    /// Its steps so far, by index.
    pub steps: Vec<StepRecord>,
}

/// The saga journal: every step is written before and after it runs, so a process that dies
/// half-way leaves enough behind to finish the saga when it starts again.
#[async_trait]
pub trait SagaJournal: Send + Sync + 'static {
    /// Records a new saga (status [`SagaStatus::Running`], no steps).
    async fn begin_saga(&self, saga: &SagaRecord) -> StoreResult<()>;

    /// Writes one step's line (inserted or replaced by index).
    async fn put_step(&self, saga_id: &str, step: &StepRecord) -> StoreResult<()>;

    /// Changes a saga's status.
    async fn set_status(&self, saga_id: &str, status: SagaStatus) -> StoreResult<()>;

    /// One saga with its steps.
    async fn saga(&self, saga_id: &str) -> StoreResult<Option<SagaRecord>>;

    /// Every saga that is not over: running, compensating or needing attention, oldest first.
    async fn unfinished(&self) -> StoreResult<Vec<SagaRecord>>;

    /// Takes the right to recover `saga_id`; `false` when another process holds it: the one
    /// running the saga now, or another survivor recovering it. A store shared by several
    /// processes (Redis) answers `true` to exactly one of them until that one stops writing
    /// to the saga for a lease's time. The default, right for a store only one process uses
    /// (memory, one SQLite file), always answers `true`: every unfinished saga it holds was
    /// interrupted.
    async fn claim_recovery(&self, saga_id: &str) -> StoreResult<bool> {
        let _ = saga_id;
        Ok(true)
    }
}

/// Everything safe writes keep, in one store. Implemented for every type that implements the
/// three traits.
pub trait SafeStore: IdempotencyStore + TokenStore + SagaJournal {}

impl<T: IdempotencyStore + TokenStore + SagaJournal> SafeStore for T {}

/// Seconds since the Unix epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// `now + d` in milliseconds, saturating.
pub(crate) fn millis_after(d: Duration) -> u64 {
    now_millis().saturating_add(d.as_millis().min(u128::from(u64::MAX)) as u64)
}
