//! The `tickets` example's safe writes, on the wire: retry-safe `create_ticket` and
//! `add_comment`, `delete_ticket`'s confirmation (token and elicitation), `escalate_ticket`'s
//! saga with injected failures; and with the real binary, killed right after each step of the
//! saga and started again, and records that survive the restart.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

mod support;

use examples::tickets::{Config, Faults, OnCall, Store, server_with};
use mcp_connector_core::protocol::CallToolResult;
use mcp_connector_core::safe::{REPLAY_META, SafeWrites};
use mcp_connector_core::testing::TestClient;
use serde_json::{Value, json};
use support::TempDb;

struct Fixture {
    client: TestClient,
    store: Store,
    oncall: OnCall,
}

async fn fixture(faults: Faults) -> Fixture {
    fixture_with(faults, |builder| builder).await
}

async fn fixture_with(
    faults: Faults,
    client: impl FnOnce(
        mcp_connector_core::testing::TestClientBuilder,
    ) -> mcp_connector_core::testing::TestClientBuilder,
) -> Fixture {
    let store = Store::open(":memory:").unwrap();
    let oncall = OnCall::open(":memory:").unwrap();
    let config = Config {
        store: store.clone(),
        oncall: oncall.clone(),
        safe: SafeWrites::in_memory(),
        faults,
        state_key: None,
    };
    let client = client(TestClient::builder(server_with(config).unwrap())).connect().await;
    Fixture { client, store, oncall }
}

async fn call(client: &TestClient, tool: &str, args: Value) -> CallToolResult {
    client.call_tool(tool, args).await.unwrap()
}

fn text(result: &CallToolResult) -> String {
    result.content[0].as_text().unwrap_or_default().to_owned()
}

fn structured(result: &CallToolResult) -> Value {
    assert!(!result.failed(), "the call failed: {result:?}");
    Value::Object(result.structured_content.clone().unwrap())
}

#[tokio::test]
async fn create_ticket_with_a_key_creates_one_ticket_and_marks_the_replay() {
    let f = fixture(Faults::default()).await;
    let args = json!({"title": "Printer on fire", "idempotency_key": "k-1"});
    let first = call(&f.client, "create_ticket", args.clone()).await;
    let again = call(&f.client, "create_ticket", args).await;
    assert_eq!(structured(&first)["id"], structured(&again)["id"]);
    assert_eq!(again.meta.unwrap()[REPLAY_META]["reason"], "idempotency_key");
    let other =
        call(&f.client, "create_ticket", json!({"title": "Other title", "idempotency_key": "k-1"})).await;
    assert!(text(&other).contains("already used for a call of `create_ticket` with different arguments"));
}

#[tokio::test]
async fn add_comment_is_retry_safe_by_key_and_by_the_retry_window() {
    let f = fixture(Faults::default()).await;
    let args = json!({"id": 1, "body": "Seen on staging too.", "idempotency_key": "c-1"});
    call(&f.client, "add_comment", args.clone()).await;
    let again = call(&f.client, "add_comment", args).await;
    assert_eq!(again.meta.unwrap()[REPLAY_META]["reason"], "idempotency_key");
    // Without a key: the same JSON-RPC request sent twice (a transport retry) adds one comment.
    let frame = json!({"jsonrpc": "2.0", "id": 777, "method": "tools/call",
        "params": {"name": "add_comment", "arguments": {"id": 1, "body": "No key this time."}}})
    .to_string();
    f.client.send_raw(&frame).await.unwrap();
    let retried = f.client.send_raw(&frame).await.unwrap();
    assert_eq!(retried["result"]["_meta"][REPLAY_META]["reason"], "retried_request");
    let comments = f.store.get(1).await.unwrap().comments;
    assert_eq!(comments.len(), 2, "{comments:?}");
}

#[tokio::test]
async fn delete_ticket_previews_for_the_model_then_deletes_with_the_token() {
    let f = fixture(Faults::default()).await;
    let preview = call(&f.client, "delete_ticket", json!({"id": 2})).await;
    let body = structured(&preview);
    assert_eq!(
        body["preview"],
        "This will permanently delete ticket 2 \"Invoice PDF shows the wrong VAT rate for Portugal\" \
         (in_progress, urgent) and its 1 comment. It cannot be undone."
    );
    let token = body["confirmation_token"].as_str().unwrap().to_owned();
    assert!(text(&preview).contains(&token));
    assert!(f.store.get(2).await.is_ok(), "nothing deleted yet");
    let other = call(&f.client, "delete_ticket", json!({"id": 3, "confirmation_token": token})).await;
    assert!(text(&other).contains("issued for different arguments"), "{}", text(&other));
    assert!(f.store.get(3).await.is_ok());
    let deleted = call(&f.client, "delete_ticket", json!({"id": 2, "confirmation_token": token})).await;
    assert_eq!(structured(&deleted)["comments_deleted"], 1);
    assert!(f.store.get(2).await.is_err());
    let reused = call(&f.client, "delete_ticket", json!({"id": 2, "confirmation_token": token})).await;
    assert!(reused.failed());
}

#[tokio::test]
async fn delete_ticket_asks_a_client_that_declared_elicitation() {
    for (action, deleted) in [("accept", true), ("decline", false)] {
        let f = fixture_with(Faults::default(), |b| {
            b.capabilities(json!({"elicitation": {"form": {}}}))
                .on_request(move |_method, _params| Ok(json!({"action": action})))
        })
        .await;
        let result = call(&f.client, "delete_ticket", json!({"id": 4})).await;
        assert!(!result.failed(), "{result:?}");
        assert_eq!(f.store.get(4).await.is_err(), deleted, "{action}");
        assert!(result.structured_content.is_none() || deleted, "no token handed out after a decline");
    }
}

#[tokio::test]
async fn escalate_ticket_runs_three_steps_with_progress() {
    let f = fixture(Faults::default()).await;
    let result = f
        .client
        .request(
            "tools/call",
            json!({"name": "escalate_ticket", "arguments": {"id": 1, "to": "dana"}, "_meta": {"progressToken": 9}}),
        )
        .await
        .unwrap();
    let escalation = &result["structuredContent"];
    assert_eq!(escalation["assignee"], "dana");
    assert_eq!(escalation["priority"], "urgent");
    let ticket = f.store.get(1).await.unwrap();
    assert_eq!((ticket.priority.as_str(), ticket.assignee.as_deref()), ("urgent", Some("dana")));
    assert_eq!(ticket.comments.last().unwrap().author, "escalation");
    let pages = f.oncall.pages(1).await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!((pages[0].to.as_str(), pages[0].status.as_str()), ("dana", "sent"));
    let progress: Vec<Value> =
        f.client.notifications("notifications/progress").iter().map(|n| n["message"].clone()).collect();
    assert_eq!(
        progress,
        [
            json!("step 1 of 3 done: raise_priority"),
            json!("step 2 of 3 done: page_oncall"),
            json!("step 3 of 3 done: record_comment")
        ]
    );
}

#[tokio::test]
async fn a_failing_step_of_escalate_ticket_undoes_the_earlier_ones() {
    for step in 1..=3u32 {
        let f = fixture(Faults { fail_step: Some(step), crash_step: None }).await;
        let before = f.store.get(1).await.unwrap();
        let result = call(&f.client, "escalate_ticket", json!({"id": 1, "to": "dana"})).await;
        assert!(result.failed(), "step {step}");
        let message = text(&result);
        assert!(message.contains("injected failure"), "{message}");
        let undone = ["record_comment", "page_oncall", "raise_priority"][3 - step as usize + 1..].join(", ");
        if step == 1 {
            assert!(message.contains("nothing was changed"), "{message}");
        } else {
            assert!(
                message.contains(&format!("Undone, in reverse order: {undone}.")),
                "step {step}: {message}"
            );
        }
        let after = f.store.get(1).await.unwrap();
        assert_eq!((after.priority, after.assignee.clone()), (before.priority, before.assignee.clone()));
        assert_eq!(after.comments.len(), before.comments.len());
        let pages = f.oncall.pages(1).await.unwrap();
        let sent: Vec<&str> = pages.iter().map(|p| p.status.as_str()).collect();
        assert_eq!(sent, if step == 3 { vec!["cancelled"] } else { vec![] }, "step {step}");
    }
}

// ---- The real binary: crashes, restarts, records on disk.

const TICKETS: &str = env!("CARGO_BIN_EXE_tickets");

struct Proc {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    next: u64,
}

impl Proc {
    fn start(db: &Path, extra: &[&str]) -> Proc {
        let mut child = Command::new(TICKETS)
            .arg("--db")
            .arg(db)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut proc = Proc { child, stdin, stdout, next: 0 };
        let init = proc.request("initialize", json!({
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "crash-test", "version": "1"}}));
        assert!(init.unwrap().get("result").is_some());
        writeln!(proc.stdin, "{}", json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).unwrap();
        proc
    }

    /// The response, or `None` when the server closed stdout first (it died).
    fn request(&mut self, method: &str, params: Value) -> Option<Value> {
        self.next += 1;
        let id = self.next;
        writeln!(self.stdin, "{}", json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}))
            .ok()?;
        self.stdin.flush().ok()?;
        loop {
            let mut line = String::new();
            if self.stdout.read_line(&mut line).ok()? == 0 {
                return None;
            }
            let message: Value = serde_json::from_str(&line).unwrap();
            if message.get("id") == Some(&json!(id)) {
                return Some(message);
            }
        }
    }

    fn call(&mut self, tool: &str, args: Value) -> Option<Value> {
        self.request("tools/call", json!({"name": tool, "arguments": args})).map(|m| m["result"].clone())
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn oncall_db(db: &Path) -> PathBuf {
    let stem = db.file_stem().unwrap().to_string_lossy().into_owned();
    db.with_file_name(format!("{stem}-oncall.db"))
}

struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn query<T: rusqlite::types::FromSql>(db: &Path, sql: &str) -> Vec<T> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_crash_after_each_step_of_escalate_ticket_is_undone_at_the_next_start() {
    for step in 1..=3 {
        let db = TempDb::new(&format!("crash-{step}"));
        let _oncall = Cleanup(oncall_db(&db.0));
        let crash = format!("escalate_ticket:{step}");
        let mut proc = Proc::start(&db.0, &["--crash-step", &crash]);
        let answer = proc.call("escalate_ticket", json!({"id": 1, "to": "dana"}));
        assert_eq!(answer, None, "step {step}: the process died before answering");
        let status = proc.child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(6), "step {step}: aborted (SIGABRT), no clean shutdown: {status}");

        // What the crash left: the step's change on disk, the journal saying the saga runs.
        assert_eq!(query::<String>(&db.0, "SELECT status FROM mcp_sagas"), ["running"]);
        assert_eq!(query::<String>(&db.0, "SELECT priority FROM tickets WHERE id = 1"), ["urgent"]);
        let states = query::<String>(&db.0, "SELECT state FROM mcp_saga_steps ORDER BY idx");
        let mut expected = vec!["done"; step - 1];
        expected.push("started");
        assert_eq!(states, expected, "step {step}: the step in doubt is `started`");

        // The next start finishes the saga (undoes it) before serving.
        let mut proc = Proc::start(&db.0, &[]);
        let ticket = proc.call("get_ticket", json!({"id": 1})).unwrap();
        assert_eq!(ticket["structuredContent"]["priority"], "high", "step {step}: priority restored");
        assert_eq!(ticket["structuredContent"]["assignee"], Value::Null, "step {step}: assignee restored");
        let comments = ticket["structuredContent"]["comments"].as_array().unwrap().len();
        assert_eq!(comments, 0, "step {step}: the escalation comment is gone");
        proc.kill();
        assert_eq!(query::<String>(&db.0, "SELECT status FROM mcp_sagas"), ["compensated"]);
        let pages = query::<String>(&oncall_db(&db.0), "SELECT status FROM pages");
        assert_eq!(pages, if step >= 2 { vec!["cancelled".to_owned()] } else { vec![] }, "step {step}");
    }
}

#[test]
fn idempotency_records_survive_a_killed_process() {
    let db = TempDb::new("records-survive");
    let _oncall = Cleanup(oncall_db(&db.0));
    let args = json!({"id": 1, "body": "once", "idempotency_key": "survivor"});
    let mut proc = Proc::start(&db.0, &[]);
    let first = proc.call("add_comment", args.clone()).unwrap();
    assert_eq!(first["isError"], Value::Null, "{first}");
    proc.kill(); // SIGKILL
    let mut proc = Proc::start(&db.0, &[]);
    let again = proc.call("add_comment", args).unwrap();
    assert_eq!(again["_meta"][REPLAY_META]["reason"], "idempotency_key", "{again}");
    assert_eq!(again["structuredContent"], first["structuredContent"]);
    proc.kill();
    assert_eq!(query::<i64>(&db.0, "SELECT count(*) FROM comments WHERE body = 'once'"), [1]);
}

#[test]
fn a_corrupt_journal_is_a_start_up_error_not_a_guess() {
    let db = TempDb::new("corrupt-journal");
    let _oncall = Cleanup(oncall_db(&db.0));
    let mut proc = Proc::start(&db.0, &["--crash-step", "escalate_ticket:2"]);
    assert_eq!(proc.call("escalate_ticket", json!({"id": 1, "to": "dana"})), None);
    proc.child.wait().unwrap();
    let conn = rusqlite::Connection::open(&db.0).unwrap();
    conn.execute("UPDATE mcp_saga_steps SET state = 'half-done' WHERE idx = 0", []).unwrap();
    drop(conn);
    let output = Command::new(TICKETS).arg("--db").arg(&db.0).stdin(Stdio::null()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot recover interrupted sagas"), "{stderr}");
    assert!(stderr.contains("unknown step state \"half-done\""), "{stderr}");
    // Nothing was undone on a guess: the ticket is as the crash left it.
    assert_eq!(query::<String>(&db.0, "SELECT priority FROM tickets WHERE id = 1"), ["urgent"]);
}

#[test]
fn the_fault_flags_are_listed_and_checked() {
    let help = Command::new(TICKETS).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in ["--fail-step <escalate_ticket:N>", "--crash-step <escalate_ticket:N>", "--oncall-db <PATH>"]
    {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    for bad in ["escalate_ticket:4", "delete_ticket:1", "escalate_ticket", "escalate_ticket:x"] {
        let output = Command::new(TICKETS).args(["--fail-step", bad]).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("escalate_ticket:N"), "{bad}");
    }
}
