//! The in-memory store: bounded, with expiry. Right for one process that may forget its
//! records when it stops; use `SqliteStore` (feature `sqlite`) to keep them across restarts.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;

use super::store::{
    Claim, IdempotencyStore, SagaJournal, SagaRecord, SagaStatus, StepRecord, StoreError, StoreResult,
    TokenStore, millis_after, now_millis, now_secs,
};

/// The default bound on idempotency records and on used tokens.
pub const DEFAULT_CAPACITY: usize = 10_000;

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: String,
    /// `None` while the call runs.
    result: Option<Value>,
    /// Milliseconds since the epoch: the lease's end while running, the record's end once done.
    expires_at: u64,
}

#[derive(Default)]
struct Inner {
    keys: HashMap<(String, String), Entry>,
    tokens: HashMap<String, u64>,
    sagas: BTreeMap<String, SagaRecord>,
    /// Saga ids in the order they began.
    saga_order: Vec<String>,
}

/// Safe-writes records in memory: at most `capacity` idempotency records, `capacity` used
/// tokens and `capacity` finished sagas (unfinished sagas are never dropped). Expired records
/// go first when room is needed; then the oldest completed ones. A used token is never dropped
/// before it expires: when every slot holds a live one, new confirmations fail (closed) rather
/// than let a token be used twice.
///
/// ```
/// use mcp_connector_core::safe::{MemoryStore, TokenStore};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::with_capacity(100);
/// let in_ten_minutes = std::time::SystemTime::now()
///     .duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 600;
/// assert!(store.consume("token-1", in_ten_minutes).await.unwrap());
/// assert!(!store.consume("token-1", in_ten_minutes).await.unwrap(), "usable once");
/// # });
/// ```
pub struct MemoryStore {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("capacity", &self.capacity).finish_non_exhaustive()
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl MemoryStore {
    /// A store holding at most [`DEFAULT_CAPACITY`] records of each kind.
    pub fn new() -> Self {
        MemoryStore::with_capacity(DEFAULT_CAPACITY)
    }

    /// A store holding at most `capacity` records of each kind (at least 1).
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryStore { inner: Mutex::new(Inner::default()), capacity: capacity.max(1) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every update below is a single map operation: a panic cannot leave one half-done.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl IdempotencyStore for MemoryStore {
    async fn claim(&self, scope: &str, key: &str, fingerprint: &str, lease: Duration) -> StoreResult<Claim> {
        let now = now_millis();
        let mut inner = self.lock();
        let id = (scope.to_owned(), key.to_owned());
        if let Some(entry) = inner.keys.get(&id)
            && entry.expires_at > now
        {
            return Ok(match &entry.result {
                Some(result) => {
                    Claim::Completed { fingerprint: entry.fingerprint.clone(), result: result.clone() }
                }
                None => Claim::Running { fingerprint: entry.fingerprint.clone() },
            });
        }
        if inner.keys.len() >= self.capacity && !inner.keys.contains_key(&id) {
            inner.keys.retain(|_, e| e.expires_at > now);
            if inner.keys.len() >= self.capacity {
                // The completed record that expires first makes room; running ones stay.
                let oldest = inner
                    .keys
                    .iter()
                    .filter(|(_, e)| e.result.is_some())
                    .min_by_key(|(_, e)| e.expires_at)
                    .map(|(k, _)| k.clone());
                match oldest {
                    Some(k) => {
                        inner.keys.remove(&k);
                    }
                    None => {
                        return Err(StoreError::Full(format!(
                            "{} calls are running at once, the most this store holds",
                            self.capacity
                        )));
                    }
                }
            }
        }
        inner.keys.insert(
            id,
            Entry { fingerprint: fingerprint.to_owned(), result: None, expires_at: millis_after(lease) },
        );
        Ok(Claim::Fresh)
    }

    async fn complete(&self, scope: &str, key: &str, result: &Value, keep_for: Duration) -> StoreResult<()> {
        let mut inner = self.lock();
        match inner.keys.get_mut(&(scope.to_owned(), key.to_owned())) {
            Some(entry) => {
                entry.result = Some(result.clone());
                entry.expires_at = millis_after(keep_for);
                Ok(())
            }
            None => Err(StoreError::Unavailable(format!("the key {key:?} was not claimed"))),
        }
    }

    async fn release(&self, scope: &str, key: &str) -> StoreResult<()> {
        let mut inner = self.lock();
        let id = (scope.to_owned(), key.to_owned());
        if inner.keys.get(&id).is_some_and(|e| e.result.is_none()) {
            inner.keys.remove(&id);
        }
        Ok(())
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn consume(&self, id: &str, expires_at: u64) -> StoreResult<bool> {
        let now = now_secs();
        let mut inner = self.lock();
        if inner.tokens.get(id).is_some_and(|&e| e >= now) {
            return Ok(false);
        }
        if inner.tokens.len() >= self.capacity {
            inner.tokens.retain(|_, &mut e| e >= now);
            if inner.tokens.len() >= self.capacity {
                return Err(StoreError::Full(format!(
                    "{} confirmation tokens are in use and not yet expired",
                    self.capacity
                )));
            }
        }
        inner.tokens.insert(id.to_owned(), expires_at);
        Ok(true)
    }
}

#[async_trait]
impl SagaJournal for MemoryStore {
    async fn begin_saga(&self, saga: &SagaRecord) -> StoreResult<()> {
        let mut inner = self.lock();
        if inner.sagas.contains_key(&saga.id) {
            return Err(StoreError::Unavailable(format!("saga {} is already in the journal", saga.id)));
        }
        if inner.sagas.len() >= self.capacity {
            // The oldest finished saga makes room; unfinished ones are never dropped.
            let Inner { sagas, saga_order, .. } = &mut *inner;
            if let Some(pos) =
                saga_order.iter().position(|id| sagas.get(id).is_some_and(|s| s.status.is_final()))
            {
                let id = saga_order.remove(pos);
                sagas.remove(&id);
            }
        }
        inner.saga_order.push(saga.id.clone());
        inner.sagas.insert(saga.id.clone(), saga.clone());
        Ok(())
    }

    async fn put_step(&self, saga_id: &str, step: &StepRecord) -> StoreResult<()> {
        let mut inner = self.lock();
        let saga = inner
            .sagas
            .get_mut(saga_id)
            .ok_or_else(|| StoreError::Unavailable(format!("saga {saga_id} is not in the journal")))?;
        match saga.steps.iter_mut().find(|s| s.index == step.index) {
            Some(existing) => *existing = step.clone(),
            None => {
                saga.steps.push(step.clone());
                saga.steps.sort_by_key(|s| s.index);
            }
        }
        saga.updated_at = now_secs();
        Ok(())
    }

    async fn set_status(&self, saga_id: &str, status: SagaStatus) -> StoreResult<()> {
        let mut inner = self.lock();
        let saga = inner
            .sagas
            .get_mut(saga_id)
            .ok_or_else(|| StoreError::Unavailable(format!("saga {saga_id} is not in the journal")))?;
        saga.status = status;
        saga.updated_at = now_secs();
        Ok(())
    }

    async fn saga(&self, saga_id: &str) -> StoreResult<Option<SagaRecord>> {
        Ok(self.lock().sagas.get(saga_id).cloned())
    }

    async fn unfinished(&self) -> StoreResult<Vec<SagaRecord>> {
        let inner = self.lock();
        Ok(inner
            .saga_order
            .iter()
            .filter_map(|id| inner.sagas.get(id))
            .filter(|s| !s.status.is_final())
            .cloned()
            .collect())
    }
}
