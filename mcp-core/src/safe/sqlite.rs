//! The SQLite store: every record in one database file (WAL, `synchronous = FULL`), so
//! idempotency records, used tokens and the saga journal survive a crash or a restart. It can
//! share the file of the connector's own data (its tables are named `mcp_*`).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use super::store::{
    Claim, IdempotencyStore, SagaJournal, SagaRecord, SagaStatus, StepRecord, StepState, StoreError,
    StoreResult, TokenStore, millis_after, now_millis, now_secs,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS mcp_idempotency (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    result       TEXT,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX IF NOT EXISTS mcp_idempotency_expiry ON mcp_idempotency(expires_at);
CREATE TABLE IF NOT EXISTS mcp_used_tokens (
    id           TEXT PRIMARY KEY,
    expires_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mcp_sagas (
    id           TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL,
    name         TEXT NOT NULL,
    input        TEXT NOT NULL,
    principal    TEXT,
    status       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mcp_sagas_status ON mcp_sagas(status);
CREATE TABLE IF NOT EXISTS mcp_saga_steps (
    saga_id      TEXT NOT NULL REFERENCES mcp_sagas(id),
    idx          INTEGER NOT NULL,
    name         TEXT NOT NULL,
    state        TEXT NOT NULL,
    output       TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    PRIMARY KEY (saga_id, idx)
);
";

/// Safe-writes records in one SQLite file.
///
/// Opened in WAL mode with `synchronous = FULL`: a journal line is on disk before the step it
/// describes runs, and an idempotency record before the client hears the result. The file is
/// checked when it is opened: a file that is not a database, or one another process holds
/// locked for longer than the busy timeout (five seconds), is an error there, at start-up,
/// never later in the middle of a write.
///
/// ```
/// use mcp_connector_core::safe::{IdempotencyStore, SqliteStore, Claim};
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("mcp-safe-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let store = SqliteStore::open(dir.join("safe.db")).unwrap();
/// assert_eq!(store.claim("alice", "k", "f", Duration::from_secs(60)).await.unwrap(), Claim::Fresh);
/// # std::fs::remove_dir_all(&dir).ok();
/// # });
/// ```
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

impl SqliteStore {
    /// Opens (or creates) the store in the SQLite file at `path`; `":memory:"` for a throwaway
    /// one. Fails with [`StoreError::Corrupt`] when the file is not a SQLite database, and with
    /// [`StoreError::Unavailable`] when it cannot be opened or stays locked.
    pub fn open(path: impl AsRef<Path>) -> StoreResult<SqliteStore> {
        SqliteStore::open_with_busy_timeout(path, Duration::from_secs(5))
    }

    /// [`SqliteStore::open`] with another busy timeout: how long a write waits for another
    /// connection's lock on the file before it fails.
    pub fn open_with_busy_timeout(path: impl AsRef<Path>, busy: Duration) -> StoreResult<SqliteStore> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(unavailable)?;
        let prepare = |conn: &Connection| -> rusqlite::Result<()> {
            conn.busy_timeout(busy)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "FULL")?;
            conn.execute_batch(SCHEMA)?;
            Ok(())
        };
        prepare(&conn).map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
                corrupt(&format!("{} is not a usable SQLite database", path.display()), e)
            }
            Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(format!(
                    "{} is locked by another process (waited {} ms): {e}",
                    path.display(),
                    busy.as_millis()
                ))
            }
            _ => StoreError::Unavailable(format!("cannot prepare {}: {e}", path.display())),
        })?;
        Ok(SqliteStore { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn run<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut Connection) -> StoreResult<R> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic inside a transaction rolls it back on drop: the lock is safe to take over.
            let mut conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut conn)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("the store's task failed: {e}")))?
    }
}

/// The claim itself, in one immediate transaction.
fn claim_in(
    conn: &mut Connection,
    scope: &str,
    key: &str,
    fingerprint: &str,
    lease: Duration,
) -> StoreResult<Claim> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
    let now = now_millis() as i64;
    let found: Option<(String, Option<String>, i64)> = tx
        .query_row(
            "SELECT fingerprint, result, expires_at FROM mcp_idempotency WHERE scope = ?1 AND key = ?2",
            params![scope, key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(unavailable)?;
    if let Some((earlier, result, expires_at)) = found
        && expires_at > now
    {
        return match result {
            Some(text) => {
                let result = serde_json::from_str(&text)
                    .map_err(|e| corrupt(&format!("the stored result of key {key:?}"), e))?;
                Ok(Claim::Completed { fingerprint: earlier, result })
            }
            None => Ok(Claim::Running { fingerprint: earlier }),
        };
    }
    tx.execute(
            "INSERT OR REPLACE INTO mcp_idempotency (scope, key, fingerprint, result, expires_at) VALUES (?1, ?2, ?3, NULL, ?4)",
            params![scope, key, fingerprint, millis_after(lease) as i64],
        )
        .map_err(unavailable)?;
    // Expired records go a few at a time, so no call pays for a large sweep.
    tx.execute(
            "DELETE FROM mcp_idempotency WHERE rowid IN (SELECT rowid FROM mcp_idempotency WHERE expires_at <= ?1 LIMIT 16)",
            [now],
        )
        .map_err(unavailable)?;
    tx.commit().map_err(unavailable)?;
    Ok(Claim::Fresh)
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn claim(&self, scope: &str, key: &str, fingerprint: &str, lease: Duration) -> StoreResult<Claim> {
        let (scope, key, fingerprint) = (scope.to_owned(), key.to_owned(), fingerprint.to_owned());
        self.run(move |conn| {
            // A claim need not be synced to disk before the call runs. WAL with `synchronous =
            // NORMAL` keeps it across a process crash; only a power loss can drop it, and a
            // durable `running` claim would not help then either (it only delays a retry until
            // its lease ends). The `FULL` commit of `complete` syncs it with the result, before
            // the client hears the answer: one sync per write instead of two.
            conn.pragma_update(None, "synchronous", "NORMAL").map_err(unavailable)?;
            let claimed = claim_in(conn, &scope, &key, &fingerprint, lease);
            conn.pragma_update(None, "synchronous", "FULL").map_err(unavailable)?;
            claimed
        })
        .await
    }

    async fn complete(&self, scope: &str, key: &str, result: &Value, keep_for: Duration) -> StoreResult<()> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        let text = result.to_string();
        self.run(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE mcp_idempotency SET result = ?3, expires_at = ?4 WHERE scope = ?1 AND key = ?2",
                    params![scope, key, text, millis_after(keep_for) as i64],
                )
                .map_err(unavailable)?;
            if changed == 0 {
                return Err(StoreError::Unavailable(format!("the key {key:?} was not claimed")));
            }
            Ok(())
        })
        .await
    }

    async fn release(&self, scope: &str, key: &str) -> StoreResult<()> {
        let (scope, key) = (scope.to_owned(), key.to_owned());
        self.run(move |conn| {
            conn.execute(
                "DELETE FROM mcp_idempotency WHERE scope = ?1 AND key = ?2 AND result IS NULL",
                params![scope, key],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }
}

#[async_trait]
impl TokenStore for SqliteStore {
    async fn consume(&self, id: &str, expires_at: u64) -> StoreResult<bool> {
        let id = id.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            let now = now_secs() as i64;
            tx.execute("DELETE FROM mcp_used_tokens WHERE expires_at < ?1", [now]).map_err(unavailable)?;
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO mcp_used_tokens (id, expires_at) VALUES (?1, ?2)",
                    params![id, expires_at as i64],
                )
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(inserted == 1)
        })
        .await
    }
}

/// A step's row: index, name, state, output, attempts, error.
type StepRow = (u32, String, String, Option<String>, u32, Option<String>);

fn step_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StepRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn load_saga(conn: &Connection, id: &str) -> StoreResult<Option<SagaRecord>> {
    let row: Option<(String, String, Option<String>, String, i64, i64)> = conn
        .query_row(
            "SELECT name, input, principal, status, started_at, updated_at FROM mcp_sagas WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )
        .optional()
        .map_err(unavailable)?;
    let Some((name, input, principal, status, started_at, updated_at)) = row else { return Ok(None) };
    let what = format!("saga {id} in the journal");
    let input = serde_json::from_str(&input).map_err(|e| corrupt(&what, e))?;
    let status =
        SagaStatus::parse(&status).ok_or_else(|| corrupt(&what, format!("unknown status {status:?}")))?;
    let mut stmt = conn
        .prepare("SELECT idx, name, state, output, attempts, error FROM mcp_saga_steps WHERE saga_id = ?1 ORDER BY idx")
        .map_err(unavailable)?;
    let rows = stmt.query_map([id], step_from_row).map_err(unavailable)?;
    let mut steps = Vec::new();
    for row in rows {
        let (index, name, state, output, attempts, error) = row.map_err(|e| corrupt(&what, e))?;
        let state = StepState::parse(&state)
            .ok_or_else(|| corrupt(&what, format!("unknown step state {state:?}")))?;
        let output = match output {
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| corrupt(&what, e))?),
            None => None,
        };
        steps.push(StepRecord { index, name, state, output, attempts, error });
    }
    Ok(Some(SagaRecord {
        id: id.to_owned(),
        name,
        input,
        principal,
        status,
        started_at: started_at as u64,
        updated_at: updated_at as u64,
        steps,
    }))
}

#[async_trait]
impl SagaJournal for SqliteStore {
    async fn begin_saga(&self, saga: &SagaRecord) -> StoreResult<()> {
        let saga = saga.clone();
        self.run(move |conn| {
            conn.execute(
                "INSERT INTO mcp_sagas (id, seq, name, input, principal, status, started_at, updated_at)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM mcp_sagas), ?2, ?3, ?4, ?5, ?6, ?6)",
                params![
                    saga.id,
                    saga.name,
                    saga.input.to_string(),
                    saga.principal,
                    saga.status.as_str(),
                    saga.started_at as i64
                ],
            )
            .map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn put_step(&self, saga_id: &str, step: &StepRecord) -> StoreResult<()> {
        let (saga_id, step) = (saga_id.to_owned(), step.clone());
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(unavailable)?;
            tx.execute(
                "INSERT OR REPLACE INTO mcp_saga_steps (saga_id, idx, name, state, output, attempts, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    saga_id,
                    step.index,
                    step.name,
                    step.state.as_str(),
                    step.output.as_ref().map(Value::to_string),
                    step.attempts,
                    step.error
                ],
            )
            .map_err(unavailable)?;
            tx.execute(
                "UPDATE mcp_sagas SET updated_at = ?2 WHERE id = ?1",
                params![saga_id, now_secs() as i64],
            )
            .map_err(unavailable)?;
            tx.commit().map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    async fn set_status(&self, saga_id: &str, status: SagaStatus) -> StoreResult<()> {
        let saga_id = saga_id.to_owned();
        self.run(move |conn| {
            let changed = conn
                .execute(
                    "UPDATE mcp_sagas SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![saga_id, status.as_str(), now_secs() as i64],
                )
                .map_err(unavailable)?;
            if changed == 0 {
                return Err(StoreError::Unavailable(format!("saga {saga_id} is not in the journal")));
            }
            Ok(())
        })
        .await
    }

    async fn saga(&self, saga_id: &str) -> StoreResult<Option<SagaRecord>> {
        let saga_id = saga_id.to_owned();
        self.run(move |conn| load_saga(conn, &saga_id)).await
    }

    async fn unfinished(&self) -> StoreResult<Vec<SagaRecord>> {
        self.run(|conn| {
            let ids: Vec<String> = {
                let mut stmt = conn
                    .prepare("SELECT id FROM mcp_sagas WHERE status NOT IN ('completed', 'compensated') ORDER BY seq")
                    .map_err(unavailable)?;
                stmt.query_map([], |r| r.get(0))
                    .map_err(unavailable)?
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?
            };
            let mut sagas = Vec::new();
            for id in ids {
                if let Some(saga) = load_saga(conn, &id)? {
                    sagas.push(saga);
                }
            }
            Ok(sagas)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A claim runs with `synchronous = NORMAL` and hands the connection back at `FULL`, so the
    /// result's record, a used token and every journal line are synced before they count.
    #[tokio::test]
    async fn every_write_but_the_claim_is_synced() {
        let store = SqliteStore::open(":memory:").unwrap();
        let level = |store: &SqliteStore| -> i64 {
            let conn = store.conn.lock().unwrap();
            conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap()
        };
        assert_eq!(level(&store), 2, "FULL after open");
        store.claim("s", "k", "f", Duration::from_secs(60)).await.unwrap();
        assert_eq!(level(&store), 2, "FULL again after a claim");
    }
}
