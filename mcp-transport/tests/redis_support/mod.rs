//! A real `redis-server` for the tests (Debian's `redis-server` package; `.ci/run` installs
//! it): started by the test itself on a free loopback port, with its own temporary directory
//! and no persistence, stopped when dropped. Missing here, the test says so and passes without
//! running, unless `MCP_INTEROP=required` (CI), where a missing server is a failure.
//!
//! Shared by mcp-transport's and the examples' tests (`#[path]`).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One `redis-server` process.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    program: PathBuf,
}

fn required() -> bool {
    std::env::var("MCP_INTEROP").is_ok_and(|v| v == "required")
}

fn program() -> Option<PathBuf> {
    let candidates = [std::env::var("REDIS_SERVER").ok(), Some("/usr/bin/redis-server".into())];
    for candidate in candidates.into_iter().flatten() {
        let path = PathBuf::from(candidate);
        if path.exists() {
            return Some(path);
        }
    }
    // On PATH?
    let found = Command::new("redis-server").arg("--version").stdout(Stdio::null()).status();
    found.ok().filter(|s| s.success()).map(|_| PathBuf::from("redis-server"))
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl RedisServer {
    /// A fresh server, or `None` (after saying why) when `redis-server` is not installed.
    pub fn start() -> Option<RedisServer> {
        let Some(program) = program() else {
            assert!(!required(), "redis-server is not installed (Debian package redis-server)");
            eprintln!("skipping: redis-server is not installed (apt-get install redis-server)");
            return None;
        };
        let dir = std::env::temp_dir().join(format!("mcp-redis-{}-{}", std::process::id(), free_port()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut server = RedisServer { child: None, port: free_port(), dir, program };
        server.spawn();
        Some(server)
    }

    fn spawn(&mut self) {
        let child = Command::new(&self.program)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Stops the server (SIGKILL: as abrupt as a crash); its data is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing was persisted).
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
