//! Interop: the official TypeScript and Python SDK clients drive the example connectors.
//!
//! The clients live in `interop/` (npm `@modelcontextprotocol/sdk` and PyPI `mcp`, pinned).
//! `.ci/run` installs them and sets `MCP_INTEROP=required`, so in CI a missing client is a
//! failure. On a machine without them these tests say so on stderr and pass; install them with
//! `cd interop && npm ci && python3 -m venv .venv && .venv/bin/pip install -r python/requirements.txt`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

fn required() -> bool {
    std::env::var("MCP_INTEROP").is_ok_and(|v| v == "required")
}

/// The program to run, or `None` (after saying why) when the peer is not installed here.
fn peer(kind: &str, program: PathBuf, marker: PathBuf) -> Option<PathBuf> {
    if marker.exists() {
        return Some(program);
    }
    assert!(!required(), "the {kind} interop client is not installed ({} is missing)", marker.display());
    eprintln!("skipping {kind} interop: {} is missing (see interop/README.md)", marker.display());
    None
}

fn node() -> Option<PathBuf> {
    let dir = interop_dir();
    peer("TypeScript", PathBuf::from("node"), dir.join("node_modules/@modelcontextprotocol/sdk/package.json"))
}

fn python() -> Option<PathBuf> {
    let venv = interop_dir().join(".venv/bin/python");
    peer("Python", venv.clone(), venv)
}

fn run(mut command: Command) {
    let shown = format!("{command:?}");
    let output = command.current_dir(interop_dir()).output().expect("the interop client starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{shown} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    eprintln!("{}", stdout.trim());
}

#[test]
fn typescript_sdk_client_drives_notes_over_stdio() {
    let Some(node) = node() else { return };
    let mut command = Command::new(node);
    command.arg("ts/stdio_notes.mjs").arg(env!("CARGO_BIN_EXE_notes"));
    run(command);
}

#[test]
fn python_sdk_client_drives_notes_over_stdio_in_auto_mode() {
    let Some(python) = python() else { return };
    let mut command = Command::new(python);
    command.args(["python/stdio_notes.py", "auto", env!("CARGO_BIN_EXE_notes")]);
    run(command);
}

#[test]
fn python_sdk_client_drives_notes_over_stdio_in_legacy_mode() {
    let Some(python) = python() else { return };
    let mut command = Command::new(python);
    command.args(["python/stdio_notes.py", "legacy", env!("CARGO_BIN_EXE_notes")]);
    run(command);
}
