//! Interop across protocol eras: the official Python SDK client (`interop/python/elicit_client.py`)
//! drives the `workflows` example's `purge_cache`, which asks the user to confirm through
//! elicitation before deleting, in both of the client's modes:
//!
//! - `auto` (the client's default) probes `server/discover`, must settle on 2026-07-28, and gets
//!   the question as an `input_required` result (`inputRequests["elicitation-1"]`), answers it
//!   and retries the call with `inputResponses` and `requestState`;
//! - `legacy` opens with `initialize`, must settle on 2025-11-25, and gets the question as an
//!   `elicitation/create` request from the server in the middle of the call.
//!
//! Over stdio and over streamable HTTP, stateless (the default) and `--stateful`. The one
//! combination that cannot ask is the handshake era over stateless HTTP (the server has no
//! session to route the client's answer to): there the purge must refuse and delete nothing.
//! See `support` for how a missing client is handled.

mod support;

use serde_json::Value;
use support::{Served, python, run_client_json};

const WORKFLOWS: &str = env!("CARGO_BIN_EXE_workflows");

/// Job steps take 10 ms instead of a second.
const FAST: [&str; 2] = ["--step-ms", "10"];

/// Checks the summary `elicit_client.py` printed for `mode`: the era it negotiated, and that the
/// confirmation reached the client's elicitation callback the way that era delivers it.
fn assert_confirmed(summary: &Value, mode: &str) {
    let (version, era) = match mode {
        "auto" => ("2026-07-28", "modern"),
        _ => ("2025-11-25", "legacy"),
    };
    assert_eq!(summary["mode"], mode, "{summary}");
    assert_eq!(summary["protocol_version"], version, "{summary}");
    assert_eq!(summary["era"], era, "{summary}");
    assert_eq!(summary["server"], "workflows", "{summary}");

    let asked = summary["elicitations"].as_array().expect("elicitations");
    assert_eq!(asked.len(), 1, "the callback runs exactly once: {summary}");
    let asked = &asked[0];
    assert_eq!(asked["fields"], serde_json::json!(["confirm"]), "{summary}");
    assert!(asked["message"].as_str().is_some_and(|m| m.starts_with("Delete 1 cached build artifact")));
    match mode {
        // The key of the `inputRequests` entry: the question came in an `input_required` result.
        "auto" => assert_eq!(asked["request_id"], "elicitation-1", "{summary}"),
        // The id of the server's `elicitation/create` request.
        _ => assert!(asked["request_id"].is_number(), "{summary}"),
    }

    let purge = &summary["purge"];
    assert_eq!(purge["is_error"], false, "{summary}");
    assert_eq!(purge["status"], "succeeded", "{summary}");
    assert!(purge["summary"].as_str().is_some_and(|s| s.starts_with("deleted 1 artifacts: ")), "{summary}");
    assert_eq!(summary["purge_runs"][0], "succeeded", "{summary}");
}

fn elicit(python: &std::path::Path, mode: &str, transport: &str, target: &str, extra: &[&str]) -> Value {
    let mut args = vec!["python/elicit_client.py", mode, transport, target];
    args.extend_from_slice(extra);
    run_client_json(python, &args)
}

#[test]
fn python_client_confirms_a_purge_over_stdio_in_auto_and_legacy_modes() {
    let Some(python) = python() else { return };
    for mode in ["auto", "legacy"] {
        let summary = elicit(&python, mode, "stdio", WORKFLOWS, &FAST);
        assert_eq!(summary["transport"], "stdio");
        assert_confirmed(&summary, mode);
    }
}

#[test]
fn python_client_confirms_a_purge_over_stateful_http_in_auto_and_legacy_modes() {
    let Some(python) = python() else { return };
    let server = Served::start(WORKFLOWS, &[&FAST[..], &["--stateful"]].concat());
    for mode in ["auto", "legacy"] {
        let summary = elicit(&python, mode, "http", &server.url, &[]);
        assert_eq!(summary["transport"], "http");
        assert_confirmed(&summary, mode);
    }
    server.stop();
}

#[test]
fn python_client_over_stateless_http_confirms_in_auto_mode_and_is_refused_in_legacy_mode() {
    let Some(python) = python() else { return };
    let server = Served::start(WORKFLOWS, &FAST);
    // 2026-07-28 needs no session to ask: the question and the answer travel in the call itself.
    let summary = elicit(&python, "auto", "http", &server.url, &[]);
    assert_confirmed(&summary, "auto");

    // 2025-11-25 asks with a server-to-client request, which stateless HTTP cannot route back.
    let args = ["python/elicit_client.py", "--expect", "refused", "legacy", "http", &server.url];
    let summary = run_client_json(&python, &args);
    assert_eq!(summary["protocol_version"], "2025-11-25", "{summary}");
    assert_eq!(summary["elicitations"], serde_json::json!([]), "{summary}");
    assert_eq!(summary["purge"]["is_error"], true, "{summary}");
    assert!(summary["purge"]["summary"].as_str().is_some_and(|s| s.contains("--stateful")), "{summary}");
    assert_eq!(summary["purge_runs"][0], "aborted", "{summary}");
    server.stop();
}
