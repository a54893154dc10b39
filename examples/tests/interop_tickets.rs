//! Interop: the official TypeScript and Python SDK clients drive the `tickets` example over
//! stdio and over streamable HTTP: list the tools and check each one's hints and schemas,
//! create a ticket (twice with one idempotency key), update it, read it back as a resource,
//! delete it (with its confirmation token). The client scripts are
//! `interop/ts/tickets_client.mjs` and `interop/python/tickets_client.py`. And the Python client
//! drives the safe writes over HTTP (`interop/python/safe_writes_client.py`): `delete_ticket`'s
//! token and elicitation paths, a replayed `create_ticket`, `escalate_ticket`'s rollback.
//!
//! See `support` for how a missing client is handled.

mod support;

use support::{Served, TempDb, node, python, run_client, run_client_json};

const TICKETS: &str = env!("CARGO_BIN_EXE_tickets");

#[test]
fn typescript_sdk_client_drives_tickets_over_stdio() {
    let Some(node) = node() else { return };
    let db = TempDb::new("ts-stdio");
    run_client(
        &node,
        &[
            "ts/tickets_client.mjs".as_ref(),
            "stdio".as_ref(),
            TICKETS.as_ref(),
            "--db".as_ref(),
            db.0.as_os_str(),
        ],
    );
}

#[test]
fn python_sdk_client_drives_tickets_over_stdio() {
    let Some(python) = python() else { return };
    let db = TempDb::new("py-stdio");
    run_client(
        &python,
        &[
            "python/tickets_client.py".as_ref(),
            "stdio".as_ref(),
            TICKETS.as_ref(),
            "--db".as_ref(),
            db.0.as_os_str(),
        ],
    );
}

#[test]
fn typescript_sdk_client_drives_tickets_over_http() {
    let Some(node) = node() else { return };
    let db = TempDb::new("ts-http");
    let server = Served::start(TICKETS, &["--db".as_ref(), db.0.as_os_str()]);
    run_client(&node, &["ts/tickets_client.mjs", "http", &server.url]);
    server.stop();
}

#[test]
fn python_sdk_client_drives_tickets_over_http() {
    let Some(python) = python() else { return };
    let db = TempDb::new("py-http");
    let server = Served::start(TICKETS, &["--db".as_ref(), db.0.as_os_str()]);
    run_client(&python, &["python/tickets_client.py", "http", &server.url]);
    server.stop();
}

#[test]
fn python_sdk_client_confirms_and_rolls_back_over_http() {
    let Some(python) = python() else { return };
    let db = TempDb::new("py-safe-writes");
    let oncall = db.0.with_file_name(format!("{}-oncall.db", db.0.file_stem().unwrap().to_string_lossy()));
    let server = Served::start(
        TICKETS,
        &["--db".as_ref(), db.0.as_os_str(), "--fail-step".as_ref(), "escalate_ticket:3".as_ref()],
    );
    let summary = run_client_json(&python, &["python/safe_writes_client.py", &server.url]);
    server.stop();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", oncall.display()));
    }
    assert_eq!(summary["protocol"], "2026-07-28");
    assert_eq!(summary["replay"]["reason"], "idempotency_key");
    let rollback = summary["rollback"].as_str().unwrap();
    assert!(rollback.contains("Undone, in reverse order: page_oncall, raise_priority."), "{rollback}");
    assert!(
        summary["elicitation_path"].as_str().unwrap().starts_with("This will permanently delete ticket 4")
    );
}

/// A 2025-11-25 client that declares elicitation: over stateless HTTP the server cannot send it
/// a request, so `delete_ticket` hands out a token (and never hangs waiting for an answer); over
/// stateful HTTP it is asked through `elicitation/create` (2025-11-25 client/elicitation).
#[test]
fn python_sdk_legacy_client_confirms_by_token_when_stateless_and_by_elicitation_when_stateful() {
    let Some(python) = python() else { return };
    for (expect, stateful) in [("token", false), ("elicitation", true)] {
        let db = TempDb::new(&format!("py-legacy-confirm-{expect}"));
        let oncall =
            db.0.with_file_name(format!("{}-oncall.db", db.0.file_stem().unwrap().to_string_lossy()));
        let mut args = vec!["--db".as_ref(), db.0.as_os_str()];
        if stateful {
            args.push("--stateful".as_ref());
        }
        let server = Served::start(TICKETS, &args);
        let summary =
            run_client_json(&python, &["python/safe_writes_client.py", "--legacy", expect, &server.url]);
        server.stop();
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", oncall.display()));
        }
        assert_eq!(summary["path"], expect);
        assert_eq!(summary["asked"].as_array().unwrap().len(), usize::from(stateful));
    }
}
