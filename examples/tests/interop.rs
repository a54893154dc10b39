//! Interop: the official TypeScript and Python SDK clients drive the `notes` example over
//! stdio, streamable HTTP (stateless and stateful) and the legacy HTTP+SSE transport.
//!
//! The clients live in `interop/` (npm `@modelcontextprotocol/sdk` and PyPI `mcp`, pinned).
//! `.ci/run` installs them and sets `MCP_INTEROP=required`, so in CI a missing client is a
//! failure. On a machine without them these tests say so on stderr and pass; install them with
//! `cd interop && npm ci && python3 -m venv .venv && .venv/bin/pip install -r python/requirements.txt`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

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

/// Runs a client script to completion; its own assertions decide the outcome.
fn run_client(program: &Path, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .current_dir(interop_dir())
        .output()
        .expect("the interop client starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} {args:?} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        program.display(),
        output.status
    );
    eprintln!("{}", stdout.trim());
}

/// The `notes` example serving HTTP on a free loopback port; stopped with SIGTERM on drop.
struct HttpNotes {
    child: Child,
    base: String,
}

impl HttpNotes {
    fn start(extra: &[&str]) -> HttpNotes {
        let mut child = Command::new(env!("CARGO_BIN_EXE_notes"))
            .args(["--http", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the notes example starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let mut lines = BufReader::new(stderr).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            assert!(Instant::now() < deadline, "notes did not say where it listens");
            let line = lines.next().expect("notes exited before listening").expect("stderr is UTF-8");
            if let Some(url) = line.strip_prefix("listening on ") {
                break url.trim_end_matches("/mcp").to_owned();
            }
        };
        // Keep draining stderr so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        HttpNotes { child, base }
    }

    /// SIGTERM, then a clean exit within the graceful-shutdown window.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait works") {
                assert!(status.success(), "notes exited with {status} after SIGTERM");
                return;
            }
            assert!(Instant::now() < deadline, "notes did not stop within 10 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for HttpNotes {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn typescript_client_over_stdio() {
    let Some(node) = node() else { return };
    run_client(&node, &["ts/notes.mjs", "stdio", env!("CARGO_BIN_EXE_notes")]);
}

#[test]
fn python_client_over_stdio_in_auto_and_legacy_modes() {
    let Some(python) = python() else { return };
    for mode in ["auto", "legacy"] {
        run_client(&python, &["python/notes.py", mode, "stdio", env!("CARGO_BIN_EXE_notes")]);
    }
}

#[test]
fn typescript_client_over_streamable_http_and_legacy_sse() {
    let Some(node) = node() else { return };
    for mode in [&[][..], &["--stateful"][..]] {
        let server = HttpNotes::start(mode);
        run_client(&node, &["ts/notes.mjs", "http", &server.base]);
        run_client(&node, &["ts/notes.mjs", "sse", &server.base]);
        server.stop();
    }
}

#[test]
fn python_client_over_streamable_http_and_legacy_sse() {
    let Some(python) = python() else { return };
    for mode in [&[][..], &["--stateful"][..]] {
        let server = HttpNotes::start(mode);
        // auto probes `server/discover` first (a 2026-07-28 request this server refuses with
        // 400) and falls back to `initialize`; legacy goes straight to `initialize`.
        run_client(&python, &["python/notes.py", "auto", "http", &server.base]);
        run_client(&python, &["python/notes.py", "legacy", "http", &server.base]);
        run_client(&python, &["python/notes.py", "legacy", "sse", &server.base]);
        server.stop();
    }
}
