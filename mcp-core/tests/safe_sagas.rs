//! Sagas and the stores: compensation order, retries and "needs attention", progress per step,
//! recovery of interrupted sagas, and the SQLite store's durability and start-up errors.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::safe::{
    MemoryStore, Recovery, SafeStore, SafeWrites, Saga, SagaJournal, SagaRecord, SagaStatus, StepRecord,
    StepState,
};
use mcp_connector_core::testing::TestClient;
use mcp_connector_core::{Server, Tool, ToolError};
use serde_json::{Value, json};

type Log = Arc<Mutex<Vec<String>>>;

/// Three steps `a`, `b`, `c`; `fail` names the step whose action fails; `stuck` the step whose
/// compensation always fails. Every action and compensation is logged.
fn saga(log: &Log, fail: Option<&'static str>, stuck: Option<&'static str>, recovery: Recovery) -> Saga {
    let mut saga = Saga::new("three").recovery(recovery);
    for name in ["a", "b", "c"] {
        let (act, undo) = (log.clone(), log.clone());
        saga = saga.step(
            name,
            move |step| {
                let log = act.clone();
                async move {
                    log.lock().unwrap().push(format!("do {name} {}", step.input_json()["id"]));
                    if fail == Some(name) {
                        return Err(format!("{name} is down"));
                    }
                    Ok(json!({"did": name, "key": step.key()}))
                }
            },
            move |step, output: Option<Value>| {
                let log = undo.clone();
                async move {
                    let known =
                        output.map_or("in doubt".to_owned(), |o| o["did"].as_str().unwrap_or("?").to_owned());
                    log.lock()
                        .unwrap()
                        .push(format!("undo {name} ({known}) {}", step.key().rsplit(':').next().unwrap()));
                    if stuck == Some(name) {
                        return Err(format!("{name} cannot be undone"));
                    }
                    Ok(())
                }
            },
        );
    }
    saga
}

fn server(store: Arc<dyn SafeStore>, saga: Saga) -> Server {
    Server::builder("s", "1")
        .safe_writes(
            SafeWrites::with_store(store).saga(saga).compensation_retries(3, Duration::from_millis(5)),
        )
        .tool(Tool::write("run_three").handler(|ctx, _args| async move {
            let outcome = ctx.run_saga("three", json!({"id": 42})).await?;
            if outcome.completed() {
                Ok(CallToolResult::text(outcome.summary()))
            } else {
                Err(ToolError::new(outcome.summary()))
            }
        }))
        .build()
        .unwrap()
}

fn logged(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

#[tokio::test]
async fn every_step_runs_in_order_with_a_progress_notification_each() {
    let log = Log::default();
    let store: Arc<dyn SafeStore> = Arc::new(MemoryStore::new());
    let client = TestClient::connect(server(store.clone(), saga(&log, None, None, Recovery::Backward))).await;
    let result = client
        .request("tools/call", json!({"name": "run_three", "arguments": {}, "_meta": {"progressToken": "p"}}))
        .await
        .unwrap();
    assert_eq!(result["content"][0]["text"], "three completed: a, b, c.");
    assert_eq!(logged(&log), ["do a 42", "do b 42", "do c 42"]);
    let progress: Vec<Value> =
        client.notifications("notifications/progress").iter().map(|n| n["message"].clone()).collect();
    assert_eq!(
        progress,
        [json!("step 1 of 3 done: a"), json!("step 2 of 3 done: b"), json!("step 3 of 3 done: c")]
    );
    assert!(store.unfinished().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_step_undoes_the_completed_ones_in_reverse_order() {
    let log = Log::default();
    let store: Arc<dyn SafeStore> = Arc::new(MemoryStore::new());
    let client =
        TestClient::connect(server(store.clone(), saga(&log, Some("c"), None, Recovery::Backward))).await;
    let result = client.call_tool("run_three", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert_eq!(logged(&log), ["do a 42", "do b 42", "do c 42", "undo b (b) 1", "undo a (a) 0"]);
    let text = result.content[0].as_text().unwrap();
    assert!(text.contains("step 3 of the saga (c) failed: c is down"), "{text}");
    assert!(text.contains("Undone, in reverse order: b, a."), "{text}");
    assert!(text.contains("Nothing remains changed"), "{text}");
}

#[tokio::test]
async fn a_compensation_that_keeps_failing_is_retried_then_kept_as_needing_attention() {
    let log = Log::default();
    let store: Arc<dyn SafeStore> = Arc::new(MemoryStore::new());
    let client =
        TestClient::connect(server(store.clone(), saga(&log, Some("c"), Some("b"), Recovery::Backward)))
            .await;
    let result = client.call_tool("run_three", json!({})).await.unwrap();
    let undo_b = logged(&log).iter().filter(|l| l.starts_with("undo b")).count();
    assert_eq!(undo_b, 3, "tried three times");
    assert!(logged(&log).contains(&"undo a (a) 0".to_owned()), "the others are still undone");
    let text = result.content[0].as_text().unwrap();
    assert!(text.contains("Could not be undone"), "{text}");
    let unfinished = store.unfinished().await.unwrap();
    assert_eq!(unfinished.len(), 1, "never dropped");
    assert_eq!(unfinished[0].status, SagaStatus::NeedsAttention);
    let b = &unfinished[0].steps[1];
    assert_eq!((b.state, b.attempts), (StepState::CompensationFailed, 3));
    assert_eq!(b.error.as_deref(), Some("b cannot be undone"));
}

/// A journal as a process that died after `done` steps (the last one `started` only, in
/// doubt) leaves it.
async fn interrupted(store: &Arc<dyn SafeStore>, done: usize) -> String {
    let record = SagaRecord {
        id: format!("saga-{done}"),
        name: "three".into(),
        input: json!({"id": 7}),
        principal: None,
        status: SagaStatus::Running,
        started_at: 0,
        updated_at: 0,
        steps: Vec::new(),
    };
    store.begin_saga(&record).await.unwrap();
    for (i, name) in ["a", "b", "c"].into_iter().enumerate().take(done + 1) {
        let state = if i < done { StepState::Done } else { StepState::Started };
        let output = (i < done).then(|| json!({"did": name}));
        let line = StepRecord { index: i as u32, name: name.into(), state, output, attempts: 0, error: None };
        store.put_step(&record.id, &line).await.unwrap();
    }
    record.id
}

#[tokio::test]
async fn recovery_undoes_an_interrupted_saga_including_the_step_in_doubt() {
    for done in 0..3 {
        let log = Log::default();
        let store: Arc<dyn SafeStore> = Arc::new(MemoryStore::new());
        let id = interrupted(&store, done).await;
        let server = server(store.clone(), saga(&log, None, None, Recovery::Backward));
        let report = server.recover_sagas().await.unwrap();
        assert_eq!(report.recovered.len(), 1);
        let mut expected = vec![format!("undo {} (in doubt) {done}", ["a", "b", "c"][done])];
        for i in (0..done).rev() {
            expected.push(format!("undo {0} ({0}) {i}", ["a", "b", "c"][i]));
        }
        assert_eq!(logged(&log), expected, "after {done} completed steps");
        assert_eq!(store.saga(&id).await.unwrap().unwrap().status, SagaStatus::Compensated);
        assert!(server.recover_sagas().await.unwrap().recovered.is_empty(), "nothing left to do");
    }
}

#[tokio::test]
async fn recovery_completes_forward_where_the_saga_says_so() {
    let log = Log::default();
    let store: Arc<dyn SafeStore> = Arc::new(MemoryStore::new());
    let id = interrupted(&store, 1).await;
    let server = server(store.clone(), saga(&log, None, None, Recovery::Forward));
    let report = server.recover_sagas().await.unwrap();
    assert_eq!(report.recovered[0].status, SagaStatus::Completed);
    assert_eq!(logged(&log), ["do b 7", "do c 7"], "the step in doubt runs again, then the rest");
    assert_eq!(store.saga(&id).await.unwrap().unwrap().status, SagaStatus::Completed);
}

#[tokio::test]
async fn an_unknown_saga_name_is_a_tool_error_and_runs_nothing() {
    let server = Server::builder("s", "1")
        .tool(Tool::write("t").handler(|ctx, _a| async move {
            ctx.run_saga("missing", json!({})).await?;
            Ok(CallToolResult::text("ran"))
        }))
        .build()
        .unwrap();
    let client = TestClient::connect(server).await;
    let result = client.call_tool("t", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(result.content[0].as_text().unwrap().contains("no saga `missing` is registered"));
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use mcp_connector_core::safe::{Claim, IdempotencyStore, SqliteStore, StoreError, TokenStore};

    /// A fresh directory for one test, removed when dropped.
    struct Dir(std::path::PathBuf);

    impl Dir {
        fn join(&self, file: &str) -> std::path::PathBuf {
            self.0.join(file)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn dir(name: &str) -> Dir {
        let dir = std::env::temp_dir().join(format!("mcp-safe-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Dir(dir)
    }

    #[tokio::test]
    async fn records_survive_reopening_the_file() {
        let dir = dir("reopen");
        let path = dir.join("safe.db");
        {
            let store = SqliteStore::open(&path).unwrap();
            assert_eq!(store.claim("alice", "k", "f", Duration::from_secs(60)).await.unwrap(), Claim::Fresh);
            store.complete("alice", "k", &json!({"content": []}), Duration::from_secs(60)).await.unwrap();
            assert!(store.consume("t1", u64::MAX / 2).await.unwrap());
            let store: Arc<dyn SafeStore> = Arc::new(store);
            interrupted(&store, 1).await;
        }
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.claim("alice", "k", "f", Duration::from_secs(60)).await.unwrap(),
            Claim::Completed { fingerprint: "f".into(), result: json!({"content": []}) }
        );
        assert!(!store.consume("t1", u64::MAX / 2).await.unwrap(), "a used token stays used");
        let unfinished = store.unfinished().await.unwrap();
        assert_eq!(unfinished.len(), 1);
        assert_eq!(unfinished[0].steps[1].state, StepState::Started);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal", "the store left the file in WAL mode");
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_database_is_a_clear_start_up_error() {
        let dir = dir("corrupt");
        let path = dir.join("safe.db");
        std::fs::write(&path, b"this is not a SQLite database, just some bytes that are long enough......")
            .unwrap();
        let error = SqliteStore::open(&path).unwrap_err();
        assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
        assert!(error.to_string().contains("is not a usable SQLite database"), "{error}");
    }

    #[tokio::test]
    async fn a_journal_row_that_does_not_parse_fails_recovery_rather_than_guessing() {
        let dir = dir("badrow");
        let path = dir.join("safe.db");
        let store: Arc<dyn SafeStore> = Arc::new(SqliteStore::open(&path).unwrap());
        interrupted(&store, 1).await;
        drop(store);
        corrupt_row(&path);
        let store: Arc<dyn SafeStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let log = Log::default();
        let server = server(store, saga(&log, None, None, Recovery::Backward));
        let error = server.recover_sagas().await.unwrap_err();
        assert!(matches!(error, StoreError::Corrupt(_)), "{error:?}");
        assert!(logged(&log).is_empty(), "no compensation ran on a guess");
    }

    fn corrupt_row(path: &std::path::Path) {
        // Through the store's own file format: rewrite a step's state with an unknown name.
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.execute("UPDATE mcp_saga_steps SET state = 'half-done' WHERE idx = 0", []).unwrap();
    }

    #[tokio::test]
    async fn a_file_another_process_keeps_locked_is_a_clear_start_up_error() {
        let dir = dir("locked");
        let path = dir.join("safe.db");
        drop(SqliteStore::open(&path).unwrap());
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;").unwrap();
        let error = SqliteStore::open_with_busy_timeout(&path, Duration::from_millis(100)).unwrap_err();
        assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
        assert!(error.to_string().contains("locked"), "{error}");
        drop(holder);
        assert!(SqliteStore::open(&path).is_ok(), "usable once the lock is gone");
    }

    #[tokio::test]
    async fn a_running_claim_from_a_crashed_process_frees_itself_after_its_lease() {
        let dir = dir("lease");
        let path = dir.join("safe.db");
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.claim("a", "k", "f", Duration::from_millis(100)).await.unwrap(), Claim::Fresh);
        drop(store);
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.claim("a", "k", "f", Duration::from_secs(60)).await.unwrap(),
            Claim::Running { fingerprint: "f".into() }
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(store.claim("a", "k", "f", Duration::from_secs(60)).await.unwrap(), Claim::Fresh);
    }

    #[tokio::test]
    async fn a_saga_over_sqlite_compensates_and_records_each_step() {
        let dir = dir("saga");
        let path = dir.join("safe.db");
        let log = Log::default();
        let store: Arc<dyn SafeStore> = Arc::new(SqliteStore::open(&path).unwrap());
        let client =
            TestClient::connect(server(store, saga(&log, Some("b"), None, Recovery::Backward))).await;
        client.call_tool("run_three", json!({})).await.unwrap();
        assert_eq!(logged(&log), ["do a 42", "do b 42", "undo a (a) 0"]);
        let conn = rusqlite::Connection::open(&path).unwrap();
        let states: Vec<String> = conn
            .prepare("SELECT state FROM mcp_saga_steps ORDER BY idx")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(states, ["compensated", "failed"]);
        let status: String = conn.query_row("SELECT status FROM mcp_sagas", [], |r| r.get(0)).unwrap();
        assert_eq!(status, "compensated");
    }
}

/// A journal that refuses its `n`th write: a full disk or a lost connection half-way.
struct FailingJournal {
    inner: MemoryStore,
    writes: std::sync::atomic::AtomicUsize,
    fail_at: usize,
}

impl FailingJournal {
    fn write(&self) -> mcp_connector_core::safe::StoreResult<()> {
        let n = self.writes.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n == self.fail_at {
            return Err(mcp_connector_core::safe::StoreError::Unavailable("disk full".into()));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl mcp_connector_core::safe::IdempotencyStore for FailingJournal {
    async fn claim(
        &self,
        s: &str,
        k: &str,
        f: &str,
        l: Duration,
    ) -> mcp_connector_core::safe::StoreResult<mcp_connector_core::safe::Claim> {
        self.inner.claim(s, k, f, l).await
    }
    async fn complete(
        &self,
        s: &str,
        k: &str,
        r: &Value,
        d: Duration,
    ) -> mcp_connector_core::safe::StoreResult<()> {
        self.inner.complete(s, k, r, d).await
    }
    async fn release(&self, s: &str, k: &str) -> mcp_connector_core::safe::StoreResult<()> {
        self.inner.release(s, k).await
    }
}

#[async_trait::async_trait]
impl mcp_connector_core::safe::TokenStore for FailingJournal {
    async fn consume(&self, id: &str, e: u64) -> mcp_connector_core::safe::StoreResult<bool> {
        self.inner.consume(id, e).await
    }
}

#[async_trait::async_trait]
impl SagaJournal for FailingJournal {
    async fn begin_saga(&self, saga: &SagaRecord) -> mcp_connector_core::safe::StoreResult<()> {
        self.write()?;
        self.inner.begin_saga(saga).await
    }
    async fn put_step(&self, id: &str, step: &StepRecord) -> mcp_connector_core::safe::StoreResult<()> {
        self.write()?;
        self.inner.put_step(id, step).await
    }
    async fn set_status(&self, id: &str, status: SagaStatus) -> mcp_connector_core::safe::StoreResult<()> {
        self.inner.set_status(id, status).await
    }
    async fn saga(&self, id: &str) -> mcp_connector_core::safe::StoreResult<Option<SagaRecord>> {
        self.inner.saga(id).await
    }
    async fn unfinished(&self) -> mcp_connector_core::safe::StoreResult<Vec<SagaRecord>> {
        self.inner.unfinished().await
    }
}

fn failing(fail_at: usize) -> Arc<dyn SafeStore> {
    Arc::new(FailingJournal { inner: MemoryStore::new(), writes: Default::default(), fail_at })
}

#[tokio::test]
async fn a_saga_the_journal_cannot_record_does_not_start() {
    let log = Log::default();
    let client = TestClient::connect(server(failing(1), saga(&log, None, None, Recovery::Backward))).await;
    let result = client.call_tool("run_three", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    let text = result.content[0].as_text().unwrap();
    assert!(text.contains("could not record the start of `three`"), "{text}");
    assert!(text.contains("nothing was run or changed"), "{text}");
    assert!(logged(&log).is_empty());
}

#[tokio::test]
async fn a_step_the_journal_cannot_record_is_not_run_and_the_earlier_ones_are_undone() {
    // Writes: 1 begin, 2 a started, 3 a done, 4 b started (refused).
    let log = Log::default();
    let client = TestClient::connect(server(failing(4), saga(&log, None, None, Recovery::Backward))).await;
    let result = client.call_tool("run_three", json!({})).await.unwrap();
    assert_eq!(logged(&log), ["do a 42", "undo a (a) 0"], "b never ran: no journal line, no write");
    let text = result.content[0].as_text().unwrap();
    assert!(text.contains("could not record the step, so it was not run"), "{text}");
}

#[tokio::test]
async fn a_completion_the_journal_cannot_record_leaves_the_step_in_doubt_and_undoes_it() {
    // Writes: 1 begin, 2 a started, 3 a done, 4 b started, 5 b done (refused).
    let log = Log::default();
    let client = TestClient::connect(server(failing(5), saga(&log, None, None, Recovery::Backward))).await;
    client.call_tool("run_three", json!({})).await.unwrap();
    assert_eq!(logged(&log), ["do a 42", "do b 42", "undo b (in doubt) 1", "undo a (a) 0"]);
}
