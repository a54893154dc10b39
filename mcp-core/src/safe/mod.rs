//! Safe writes: retry-safe tool calls, confirmation that works on every client, and sagas for
//! writes that span several systems. See `docs/safe-writes.md` for the guide.
//!
//! - **Retry-safe calls.** A tool names an idempotency key argument
//!   (`#[tool(write, idempotency_key = "request_id")]`, or [`ToolBuilder::idempotency_key`]):
//!   a call whose key already completed is answered with the first result without running the
//!   handler; the same key with other arguments is a tool error; a second call while the first
//!   runs waits for it. Without a key, a request the same caller sends again (same JSON-RPC id,
//!   tool and arguments) within the retry window ([`SafeWrites::retry_window`], two minutes by
//!   default) is answered from the first result. A replay carries [`REPLAY_META`] in its `_meta`
//!   and an audit event (`tracing` target `mcp::audit`).
//! - **Confirmation.** `#[tool(write, destructive, confirm = preview)]` (or
//!   [`ToolBuilder::confirm`]): the SDK asks the user through elicitation when the request can,
//!   and otherwise answers the preview with a sealed, single-use `confirmation_token` that the
//!   model sends back once the user agrees.
//! - **Sagas.** [`Saga`] definitions registered with [`SafeWrites::saga`], run by
//!   [`Context::run_saga`](crate::Context::run_saga), recovered by
//!   [`Server::recover_sagas`](crate::Server::recover_sagas).
//!
//! Everything is kept in a [`SafeStore`]: [`MemoryStore`] (the default) or, with the `sqlite`
//! feature, `SqliteStore`.
//!
//! [`ToolBuilder::idempotency_key`]: crate::ToolBuilder::idempotency_key
//! [`ToolBuilder::confirm`]: crate::ToolBuilder::confirm

mod memory;
mod saga;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub use memory::{DEFAULT_CAPACITY, MemoryStore};
pub use saga::{FailedStep, Recovery, RecoveryReport, Saga, SagaOutcome, StepCall};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteStore;
pub use store::{
    Claim, IdempotencyStore, SafeStore, SagaJournal, SagaRecord, SagaStatus, StepRecord, StepState,
    StoreError, StoreResult, TokenStore,
};

pub(crate) use saga::{Retry, recover, run as run_saga};
pub(crate) use store::now_secs as store_now_secs;

/// The `_meta` key a replayed result carries: `{"reason": "idempotency_key" | "retried_request"}`.
pub const REPLAY_META: &str = "mcp-rust-sdk/replay";

/// The argument a confirmation token travels in.
pub const CONFIRMATION_TOKEN: &str = "confirmation_token";

/// The longest a confirmation token may live.
pub const MAX_CONFIRMATION_TTL: Duration = Duration::from_secs(600);

/// How a server keeps its writes safe: the store, the windows, and the saga definitions. Given
/// to [`ServerBuilder::safe_writes`](crate::ServerBuilder::safe_writes); a server built without
/// one uses [`SafeWrites::in_memory`].
///
/// ```
/// use mcp_connector_core::safe::{MemoryStore, SafeWrites, Saga};
/// use mcp_connector_core::Server;
/// use serde_json::json;
/// use std::time::Duration;
///
/// let safe = SafeWrites::new(MemoryStore::new())
///     .retry_window(Some(Duration::from_secs(60)))
///     .key_ttl(Duration::from_secs(24 * 3600))
///     .saga(Saga::new("noop").step("one", |_s| async { Ok(json!({})) }, |_s, _o| async { Ok(()) }));
/// let server = Server::builder("s", "1").safe_writes(safe).build().unwrap();
/// # let _ = server;
/// ```
pub struct SafeWrites {
    pub(crate) store: Arc<dyn SafeStore>,
    pub(crate) retry_window: Option<Duration>,
    pub(crate) key_ttl: Duration,
    pub(crate) lease: Duration,
    pub(crate) confirmation_ttl: Duration,
    pub(crate) sagas: HashMap<String, Arc<Saga>>,
    pub(crate) retry: Retry,
}

impl std::fmt::Debug for SafeWrites {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SafeWrites")
            .field("retry_window", &self.retry_window)
            .field("key_ttl", &self.key_ttl)
            .field("confirmation_ttl", &self.confirmation_ttl)
            .field("sagas", &self.sagas.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl SafeWrites {
    /// Safe writes kept in `store`, with the defaults: a two-minute retry window, keys kept
    /// for a day, confirmation tokens valid for ten minutes, compensations tried five times.
    pub fn new(store: impl SafeStore) -> Self {
        SafeWrites::with_store(Arc::new(store))
    }

    /// [`SafeWrites::new`] with a store that is already shared.
    pub fn with_store(store: Arc<dyn SafeStore>) -> Self {
        SafeWrites {
            store,
            retry_window: Some(Duration::from_secs(120)),
            key_ttl: Duration::from_secs(24 * 3600),
            lease: Duration::from_secs(600),
            confirmation_ttl: MAX_CONFIRMATION_TTL,
            sagas: HashMap::new(),
            retry: Retry { attempts: 5, backoff: Duration::from_millis(100) },
        }
    }

    /// The default: a bounded [`MemoryStore`].
    pub fn in_memory() -> Self {
        SafeWrites::new(MemoryStore::new())
    }

    /// How long a request sent again (same caller, JSON-RPC id, tool and arguments) is answered
    /// from the first result; `None` turns the window off for every tool of the server (a tool
    /// turns it off for itself with `retry_window = false`).
    pub fn retry_window(mut self, window: Option<Duration>) -> Self {
        self.retry_window = window;
        self
    }

    /// How long a completed idempotency key is remembered (default one day).
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = ttl;
        self
    }

    /// How long a running call holds its key before another may take it over (default ten
    /// minutes): what a key left behind by a crashed process costs.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// How long a confirmation token is valid (default and at most ten minutes).
    pub fn confirmation_ttl(mut self, ttl: Duration) -> Self {
        self.confirmation_ttl = ttl.min(MAX_CONFIRMATION_TTL);
        self
    }

    /// How often a failing compensation is tried, and the first pause between tries (doubled
    /// each time, at most 30 seconds). Default five tries from 100 ms.
    pub fn compensation_retries(mut self, attempts: u32, backoff: Duration) -> Self {
        self.retry = Retry { attempts: attempts.max(1), backoff };
        self
    }

    /// Registers a saga definition, run from tools with
    /// [`Context::run_saga`](crate::Context::run_saga).
    pub fn saga(mut self, saga: Saga) -> Self {
        self.sagas.insert(saga.name().to_owned(), Arc::new(saga));
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn SafeStore> {
        &self.store
    }
}
