//! What the example tests share: finding the interop clients, running them, serving an
//! example on a free loopback port, and a throwaway database file.
//!
//! The official clients live in `interop/` (npm `@modelcontextprotocol/sdk` and PyPI `mcp`,
//! pinned). `.ci/run` installs them and sets `MCP_INTEROP=required`, so in CI a missing client
//! is a failure; elsewhere it is reported on stderr and the test passes without running it.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn interop_dir() -> PathBuf {
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

/// Node, when the TypeScript SDK client is installed in `interop/node_modules`.
pub fn node() -> Option<PathBuf> {
    let dir = interop_dir();
    peer("TypeScript", PathBuf::from("node"), dir.join("node_modules/@modelcontextprotocol/sdk/package.json"))
}

/// Node and a Chromium for the browser test (`interop/ui/board_browser.mjs`), when
/// `interop/node_modules` has the MCP Apps host bridge and playwright-core, and Chromium is
/// installed (`CHROMIUM` names it; default `/usr/bin/chromium`, Debian's package).
pub fn browser() -> Option<(PathBuf, PathBuf)> {
    let dir = interop_dir();
    let node = peer(
        "MCP Apps host",
        PathBuf::from("node"),
        dir.join("node_modules/@modelcontextprotocol/ext-apps/package.json"),
    )?;
    peer("playwright-core", PathBuf::new(), dir.join("node_modules/playwright-core/package.json"))?;
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    let chromium = peer("Chromium", chromium.clone(), chromium)?;
    Some((node, chromium))
}

/// The Python of `interop/.venv`, where the Python SDK client is installed.
pub fn python() -> Option<PathBuf> {
    let venv = interop_dir().join(".venv/bin/python");
    peer("Python", venv.clone(), venv)
}

/// Runs a client script from `interop/` to completion; its own assertions decide the outcome.
pub fn run_client<S: AsRef<OsStr>>(program: &Path, args: &[S]) {
    let stdout = client_output(program, args);
    eprintln!("{}", stdout.trim());
}

/// Like [`run_client`], for a script that ends by printing one line of JSON (a summary of what
/// happened, for the test to assert on): returns that line, parsed.
pub fn run_client_json<S: AsRef<OsStr>>(program: &Path, args: &[S]) -> serde_json::Value {
    let stdout = client_output(program, args);
    eprintln!("{}", stdout.trim());
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("the client's last line is not JSON ({e}): {last}"))
}

fn client_output<S: AsRef<OsStr>>(program: &Path, args: &[S]) -> String {
    let output = Command::new(program)
        .args(args)
        .current_dir(interop_dir())
        .output()
        .expect("the interop client starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
    assert!(
        output.status.success(),
        "{} {shown:?} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        program.display(),
        output.status
    );
    stdout.into_owned()
}

/// An example binary serving streamable HTTP on a free loopback port (`--http 127.0.0.1:0`),
/// its URL read from the `listening on http://ADDR/mcp` line it prints on stderr.
pub struct Served {
    child: Child,
    /// The MCP endpoint, `http://127.0.0.1:PORT/mcp`.
    pub url: String,
}

impl Served {
    pub fn start<S: AsRef<OsStr>>(binary: &str, extra: &[S]) -> Served {
        let mut child = Command::new(binary)
            .args(["--http", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example starts");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        // Keep reading stderr for the server's whole life, so its logs never block on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                match line.split("listening on ").nth(1) {
                    Some(url) => {
                        let _ = tx.send(url.trim().to_owned());
                    }
                    None => eprintln!("server: {line}"),
                }
            }
        });
        let Ok(url) = rx.recv_timeout(Duration::from_secs(30)) else {
            let _ = child.kill();
            panic!("{binary} did not print `listening on http://...` within 30 s");
        };
        assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"), "{url}");
        Served { child, url }
    }

    /// The URL without the `/mcp` endpoint path (legacy SSE lives at `/sse` beside it).
    pub fn base(&self) -> &str {
        self.url.trim_end_matches("/mcp")
    }

    /// SIGTERM, then expect a clean exit: graceful shutdown is part of what is tested.
    pub fn stop(mut self) {
        let status = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().unwrap();
        assert!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the server exited with {status} after SIGTERM");
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the server did not stop within 40 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // Only reached when a test panicked before `stop`: do not leave the server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh database file for one test, removed (with its WAL files) when dropped.
pub struct TempDb(pub PathBuf);

impl TempDb {
    pub fn new(name: &str) -> TempDb {
        let db = TempDb(std::env::temp_dir().join(format!("examples-test-{}-{name}.db", std::process::id())));
        db.clean();
        db
    }

    /// The on-call database the `tickets` binary opens beside it (`NAME-oncall.db`).
    pub fn oncall(&self) -> PathBuf {
        let stem = self.0.file_stem().unwrap_or_default().to_string_lossy().into_owned();
        self.0.with_file_name(format!("{stem}-oncall.db"))
    }

    fn clean(&self) {
        for file in [self.0.clone(), self.oncall()] {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
        }
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        self.clean();
    }
}
