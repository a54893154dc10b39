//! Interop: the official TypeScript and Python SDK clients drive the `tickets` example over
//! stdio and over streamable HTTP: list the tools and check each one's hints and schemas,
//! create a ticket (twice with one idempotency key), update it, read it back as a resource,
//! delete it. The client scripts are `interop/ts/tickets_client.mjs` and
//! `interop/python/tickets_client.py`.
//!
//! See `support` for how a missing client is handled.

mod support;

use support::{Served, TempDb, node, python, run_client};

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
