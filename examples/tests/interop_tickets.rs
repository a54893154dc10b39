//! Interop: the official TypeScript and Python SDK clients drive the `tickets` example over
//! stdio and over streamable HTTP: list the tools and check each one's hints and schemas,
//! create a ticket (twice with one idempotency key), update it, read it back as a resource,
//! delete it. The client scripts are `interop/ts/tickets_client.mjs` and
//! `interop/python/tickets_client.py`.
//!
//! As in `interop.rs`: with `MCP_INTEROP=required` (CI) a missing client fails the test;
//! otherwise it is reported on stderr and skipped. Install the clients with
//! `cd interop && npm ci && python3 -m venv .venv && .venv/bin/pip install -r python/requirements.txt`.

// Test helpers may unwrap too: a panic there is a failed test with a location (clippy.toml
// allows it only inside `#[test]` functions themselves).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
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

/// A fresh database file for one test, removed (with its WAL files) when dropped.
struct TempDb(PathBuf);

impl TempDb {
    fn new(name: &str) -> TempDb {
        let db =
            TempDb(std::env::temp_dir().join(format!("tickets-interop-{}-{name}.db", std::process::id())));
        db.clean();
        db
    }

    fn clean(&self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.clean();
    }
}

/// `tickets --http 127.0.0.1:0`, its URL read from the `listening on` line on stderr.
struct HttpServer {
    child: Child,
    url: String,
    _db: TempDb,
}

impl HttpServer {
    fn start(name: &str) -> HttpServer {
        let db = TempDb::new(name);
        let mut child = Command::new(env!("CARGO_BIN_EXE_tickets"))
            .args(["--http", "127.0.0.1:0", "--db"])
            .arg(&db.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tickets starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        // Keep reading stderr for the server's whole life, so its logs never block on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                } else {
                    eprintln!("tickets: {line}");
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("tickets did not print `listening on http://...` within 30 s");
            }
        };
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"), "{url}");
        HttpServer { child, url, _db: db }
    }

    /// SIGTERM, then expect a clean exit: graceful shutdown is part of what is tested.
    fn stop(mut self) {
        let status = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "tickets exited with {status} after SIGTERM");
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("tickets did not stop within 40 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        // Only reached when a test panicked before `stop`: do not leave the server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn typescript_sdk_client_drives_tickets_over_stdio() {
    let Some(node) = node() else { return };
    let db = TempDb::new("ts-stdio");
    let mut command = Command::new(node);
    command.args(["ts/tickets_client.mjs", "stdio", env!("CARGO_BIN_EXE_tickets"), "--db"]).arg(&db.0);
    run(command);
}

#[test]
fn python_sdk_client_drives_tickets_over_stdio() {
    let Some(python) = python() else { return };
    let db = TempDb::new("py-stdio");
    let mut command = Command::new(python);
    command.args(["python/tickets_client.py", "stdio", env!("CARGO_BIN_EXE_tickets"), "--db"]).arg(&db.0);
    run(command);
}

#[test]
fn typescript_sdk_client_drives_tickets_over_http() {
    let Some(node) = node() else { return };
    let server = HttpServer::start("ts-http");
    let mut command = Command::new(node);
    command.args(["ts/tickets_client.mjs", "http", &server.url]);
    run(command);
    server.stop();
}

#[test]
fn python_sdk_client_drives_tickets_over_http() {
    let Some(python) = python() else { return };
    let server = HttpServer::start("py-http");
    let mut command = Command::new(python);
    command.args(["python/tickets_client.py", "http", &server.url]);
    run(command);
    server.stop();
}
