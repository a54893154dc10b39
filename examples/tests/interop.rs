//! Interop: the official TypeScript and Python SDK clients drive the `notes` example over
//! stdio, streamable HTTP (stateless and stateful) and the legacy HTTP+SSE transport. The
//! scripts are `interop/ts/notes.mjs` and `interop/python/notes.py`; see `support` for how a
//! missing client is handled.

mod support;

use support::{Served, node, python, run_client};

const NOTES: &str = env!("CARGO_BIN_EXE_notes");

#[test]
fn typescript_client_over_stdio() {
    let Some(node) = node() else { return };
    run_client(&node, &["ts/notes.mjs", "stdio", NOTES]);
}

#[test]
fn python_client_over_stdio_in_auto_and_legacy_modes() {
    let Some(python) = python() else { return };
    for mode in ["auto", "legacy"] {
        run_client(&python, &["python/notes.py", mode, "stdio", NOTES]);
    }
}

#[test]
fn typescript_client_over_streamable_http_and_legacy_sse() {
    let Some(node) = node() else { return };
    for extra in [&["--legacy-sse"][..], &["--legacy-sse", "--stateful"][..]] {
        let server = Served::start(NOTES, extra);
        run_client(&node, &["ts/notes.mjs", "http", server.base()]);
        run_client(&node, &["ts/notes.mjs", "sse", server.base()]);
        server.stop();
    }
}

#[test]
fn python_client_over_streamable_http_and_legacy_sse() {
    let Some(python) = python() else { return };
    for extra in [&["--legacy-sse"][..], &["--legacy-sse", "--stateful"][..]] {
        let server = Served::start(NOTES, extra);
        // auto probes `server/discover` and speaks 2026-07-28 (notes.py checks it did); legacy
        // goes straight to `initialize` (2025-11-25).
        run_client(&python, &["python/notes.py", "auto", "http", server.base()]);
        run_client(&python, &["python/notes.py", "legacy", "http", server.base()]);
        run_client(&python, &["python/notes.py", "legacy", "sse", server.base()]);
        server.stop();
    }
}
