//! [`RedisSafeStore`]: idempotency records, used confirmation tokens and the saga journal in
//! Redis, so that a retry landing on another replica is answered from the first result, a
//! confirmation token is usable once across replicas, and an interrupted saga is recovered by
//! exactly one survivor.

use std::collections::HashMap;
use std::time::Duration;

use std::sync::LazyLock;

use ::redis::{AsyncCommands, RedisError, Script};
use async_trait::async_trait;
use mcp_connector_core::safe::{
    Claim, IdempotencyStore, SagaJournal, SagaRecord, SagaStatus, StepRecord, StoreError, StoreResult,
    TokenStore,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Redis, millis, random_tag};

// The scripts are statics so that each is hashed once (its SHA1 is how Redis caches it),
// not on every call.

/// Looks a key up and, when nobody holds it, takes it (a hash: `f` the fingerprint, `r` the
/// result once complete), expiring after the lease. Returns `[f, r]` or nil when taken now.
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local found = redis.call('HMGET', KEYS[1], 'f', 'r')
if found[1] then return found end
redis.call('HSET', KEYS[1], 'f', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return false
",
    )
});

/// Records the result of a claimed key and keeps it for `ARGV[2]` ms; 0 when not claimed.
static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'r', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
",
    )
});

/// Gives up a running claim (never a completed record).
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], 'r') == 0 then redis.call('DEL', KEYS[1]) end
return 1
",
    )
});

/// Records a new saga, lists it as unfinished and takes its lease; 0 when the id exists.
/// KEYS: saga, unfinished, lease. ARGV: header, status, updated_at, score, id, holder, lease ms.
static BEGIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'header', ARGV[1], 'status', ARGV[2], 'updated_at', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
return 1
",
    )
});

/// Writes one step and renews the writer's lease; 0 when the saga is unknown.
/// KEYS: saga, lease. ARGV: field, step, updated_at, holder, lease ms.
static PUT_STEP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'updated_at', ARGV[3])
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[5])
return 1
",
    )
});

/// Changes a saga's status: a final one leaves the unfinished set, gives its lease up and
/// expires after `ARGV[5]` ms; another renews the lease. 0 when the saga is unknown.
/// KEYS: saga, unfinished, lease. ARGV: status, updated_at, final, id, keep ms, holder, lease ms.
static SET_STATUS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'updated_at', ARGV[2])
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7])
end
return 1
",
    )
});

/// What a saga's hash keeps under `header`: everything but its status and steps.
#[derive(Serialize, Deserialize)]
struct Header {
    id: String,
    name: String,
    input: Value,
    principal: Option<String>,
    started_at: u64,
}

/// The safe-writes store shared by replicas ([`SafeStore`](mcp_connector_core::safe::SafeStore)).
///
/// Keys (after the [`Redis`] prefix):
///
/// - `idem:{scope length}:{scope}:{key}`: a hash, the fingerprint and, once complete, the
///   result; expires after the lease while the call runs, after `key_ttl` once complete.
/// - `token:{id}`: a used confirmation token; expires when the token does.
/// - `saga:{id}`: a hash, the saga's header, status and one field per step; kept while the
///   saga is unfinished, then for [`finished_ttl`](RedisSafeStore::finished_ttl).
/// - `sagas:unfinished`: a sorted set of the unfinished sagas' ids, oldest first.
/// - `saga-lease:{id}`: which process runs or recovers the saga; renewed by every write to the
///   journal, so a saga whose process died is recovered by one survivor once it expires.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use mcp_connector_core::safe::SafeWrites;
/// use std::time::Duration;
///
/// let redis = mcp_connector_transport::redis::Redis::connect("redis://127.0.0.1:6379/").await?;
/// let safe = SafeWrites::new(redis.safe_store().saga_lease(Duration::from_secs(60)));
/// # drop(safe);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisSafeStore {
    redis: Redis,
    /// This process, as a lease holder.
    holder: String,
    saga_lease: Duration,
    finished_ttl: Duration,
}

impl RedisSafeStore {
    pub(super) fn new(redis: Redis) -> Self {
        RedisSafeStore {
            redis,
            holder: random_tag(),
            saga_lease: Duration::from_secs(30),
            finished_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }

    /// How long a saga belongs to the process that last wrote its journal (default 30 s):
    /// another replica recovers it only once this long has passed without a write. Longer
    /// than any single step takes, or a slow step's saga could be recovered while it runs.
    pub fn saga_lease(mut self, lease: Duration) -> Self {
        self.saga_lease = lease;
        self
    }

    /// How long a completed or compensated saga stays in the journal (default 7 days).
    pub fn finished_ttl(mut self, ttl: Duration) -> Self {
        self.finished_ttl = ttl;
        self
    }

    fn idempotency_key(&self, scope: &str, key: &str) -> String {
        // The length keeps `("a:b", "c")` and `("a", "b:c")` apart.
        self.redis.key("idem", &format!("{}:{scope}:{key}", scope.len()))
    }

    fn saga_key(&self, id: &str) -> String {
        self.redis.key("saga", id)
    }

    fn lease_key(&self, id: &str) -> String {
        self.redis.key("saga-lease", id)
    }

    fn unfinished_key(&self) -> String {
        self.redis.key("sagas", "unfinished")
    }
}

fn unavailable(error: RedisError) -> StoreError {
    StoreError::Unavailable(format!("redis: {error}"))
}

fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("redis holds an unreadable {what}: {error}"))
}

#[async_trait]
impl IdempotencyStore for RedisSafeStore {
    async fn claim(&self, scope: &str, key: &str, fingerprint: &str, lease: Duration) -> StoreResult<Claim> {
        let found: Option<(String, Option<String>)> = CLAIM
            .key(self.idempotency_key(scope, key))
            .arg(fingerprint)
            .arg(millis(lease))
            .invoke_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        Ok(match found {
            None => Claim::Fresh,
            Some((fingerprint, None)) => Claim::Running { fingerprint },
            Some((fingerprint, Some(result))) => Claim::Completed {
                fingerprint,
                result: serde_json::from_str(&result).map_err(|e| corrupt("result", e))?,
            },
        })
    }

    async fn complete(&self, scope: &str, key: &str, result: &Value, keep_for: Duration) -> StoreResult<()> {
        let done: i64 = COMPLETE
            .key(self.idempotency_key(scope, key))
            .arg(result.to_string())
            .arg(millis(keep_for))
            .invoke_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        if done == 1 {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!("the key {key:?} was not claimed (or its lease ran out)")))
        }
    }

    async fn release(&self, scope: &str, key: &str) -> StoreResult<()> {
        let _: i64 = RELEASE
            .key(self.idempotency_key(scope, key))
            .invoke_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl TokenStore for RedisSafeStore {
    async fn consume(&self, id: &str, expires_at: u64) -> StoreResult<bool> {
        // An expiry already past would delete the key at once; the token is refused as
        // expired anyway, but keep the record a moment so a racing use is still refused.
        let expires_at = expires_at.max(now_secs() + 1);
        let set: Option<String> = ::redis::cmd("SET")
            .arg(self.redis.key("token", id))
            .arg(1)
            .arg("NX")
            .arg("EXAT")
            .arg(expires_at)
            .query_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        Ok(set.is_some())
    }
}

#[async_trait]
impl SagaJournal for RedisSafeStore {
    async fn begin_saga(&self, saga: &SagaRecord) -> StoreResult<()> {
        let header = Header {
            id: saga.id.clone(),
            name: saga.name.clone(),
            input: saga.input.clone(),
            principal: saga.principal.clone(),
            started_at: saga.started_at,
        };
        let header = serde_json::to_string(&header).map_err(|e| corrupt("saga", e))?;
        let begun: i64 = BEGIN
            .key(self.saga_key(&saga.id))
            .key(self.unfinished_key())
            .key(self.lease_key(&saga.id))
            .arg(header)
            .arg(saga.status.as_str())
            .arg(saga.updated_at)
            .arg(now_millis())
            .arg(&saga.id)
            .arg(&self.holder)
            .arg(millis(self.saga_lease))
            .invoke_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        for step in &saga.steps {
            self.put_step(&saga.id, step).await?;
        }
        if begun == 1 {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!("saga {} is already in the journal", saga.id)))
        }
    }

    async fn put_step(&self, saga_id: &str, step: &StepRecord) -> StoreResult<()> {
        let json = serde_json::to_string(step).map_err(|e| corrupt("step", e))?;
        let written: i64 = PUT_STEP
            .key(self.saga_key(saga_id))
            .key(self.lease_key(saga_id))
            .arg(format!("step:{}", step.index))
            .arg(json)
            .arg(now_secs())
            .arg(&self.holder)
            .arg(millis(self.saga_lease))
            .invoke_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        journal_written(written, saga_id)
    }

    async fn set_status(&self, saga_id: &str, status: SagaStatus) -> StoreResult<()> {
        let written: i64 = SET_STATUS
            .key(self.saga_key(saga_id))
            .key(self.unfinished_key())
            .key(self.lease_key(saga_id))
            .arg(status.as_str())
            .arg(now_secs())
            .arg(if status.is_final() { "1" } else { "0" })
            .arg(saga_id)
            .arg(millis(self.finished_ttl))
            .arg(&self.holder)
            .arg(millis(self.saga_lease))
            .invoke_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        journal_written(written, saga_id)
    }

    async fn saga(&self, saga_id: &str) -> StoreResult<Option<SagaRecord>> {
        let fields: HashMap<String, String> =
            self.redis.connection().hgetall(self.saga_key(saga_id)).await.map_err(unavailable)?;
        read_saga(fields)
    }

    async fn unfinished(&self) -> StoreResult<Vec<SagaRecord>> {
        let ids: Vec<String> =
            self.redis.connection().zrange(self.unfinished_key(), 0, -1).await.map_err(unavailable)?;
        let mut sagas = Vec::with_capacity(ids.len());
        for id in ids {
            match self.saga(&id).await? {
                Some(saga) if !saga.status.is_final() => sagas.push(saga),
                _ => {}
            }
        }
        Ok(sagas)
    }

    async fn claim_recovery(&self, saga_id: &str) -> StoreResult<bool> {
        // Taken only when nobody holds the lease: the process running the saga renews it with
        // every journal write, and a survivor that took it keeps it the same way.
        let taken: Option<String> = ::redis::cmd("SET")
            .arg(self.lease_key(saga_id))
            .arg(&self.holder)
            .arg("NX")
            .arg("PX")
            .arg(millis(self.saga_lease))
            .query_async(&mut self.redis.connection())
            .await
            .map_err(unavailable)?;
        Ok(taken.is_some())
    }
}

/// A saga from its hash's fields; `None` for no fields (no such saga).
fn read_saga(fields: HashMap<String, String>) -> StoreResult<Option<SagaRecord>> {
    if fields.is_empty() {
        return Ok(None);
    }
    let header: Header = fields
        .get("header")
        .ok_or_else(|| corrupt("saga", "no header"))
        .and_then(|h| serde_json::from_str(h).map_err(|e| corrupt("saga", e)))?;
    let status = fields
        .get("status")
        .and_then(|s| SagaStatus::parse(s))
        .ok_or_else(|| corrupt("saga", "no known status"))?;
    let updated_at = fields.get("updated_at").and_then(|u| u.parse().ok()).unwrap_or(header.started_at);
    let mut steps = Vec::new();
    for (field, value) in &fields {
        if field.starts_with("step:") {
            steps.push(serde_json::from_str::<StepRecord>(value).map_err(|e| corrupt("step", e))?);
        }
    }
    steps.sort_by_key(|s| s.index);
    Ok(Some(SagaRecord {
        id: header.id,
        name: header.name,
        input: header.input,
        principal: header.principal,
        status,
        started_at: header.started_at,
        updated_at,
        steps,
    }))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What a journal script's answer means: 1 when it wrote, 0 when the saga is not there.
fn journal_written(written: i64, saga_id: &str) -> StoreResult<()> {
    if written == 1 {
        Ok(())
    } else {
        Err(StoreError::Unavailable(format!("saga {saga_id} is not in the journal")))
    }
}
