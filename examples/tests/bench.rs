//! The load benchmark's targets answer the requests `examples/bench/run.sh` sends (the
//! benchmark itself never runs in CI): the `bench` connector on stdio in both eras, with 50
//! tools, and the bare baseline with the same shapes.

// Test helpers outside `#[test]` functions unwrap too (clippy.toml's allow-unwrap-in-tests
// allows it only inside `#[test]` functions themselves).
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn spawn(program: &str, args: &[&str]) -> Peer {
        let mut child = Command::new(program)
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Peer { child, stdin, stdout }
    }

    fn send(&mut self, message: Value) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends `request` and returns the response with its id.
    fn ask(&mut self, request: Value) -> Value {
        self.send(request.clone());
        loop {
            let mut line = String::new();
            assert!(self.stdout.read_line(&mut line).unwrap() > 0, "the server closed stdout");
            let message: Value = serde_json::from_str(&line).unwrap();
            if message.get("id") == request.get("id") {
                return message;
            }
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn modern(id: u64, method: &str, mut params: Value) -> Value {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "1"}
    });
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn echo(id: u64) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
           "params": {"name": "echo", "arguments": {"message": "hello"}}})
}

#[test]
fn the_bench_connector_answers_both_eras_with_fifty_tools() {
    let mut server = Peer::spawn(env!("CARGO_BIN_EXE_bench"), &["--filler-tools", "48"]);

    // 2026-07-28: no handshake, `_meta` on every request.
    let list = server.ask(modern(1, "tools/list", json!({})));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 50, "{list}");
    assert!(list["result"].get("nextCursor").is_none(), "one page");
    let call =
        server.ask(modern(2, "tools/call", json!({"name": "echo", "arguments": {"message": "hello"}})));
    assert_eq!(call["result"]["content"][0]["text"], "hello", "{call}");

    // 2025-11-25 on a fresh process: initialize first.
    let mut server = Peer::spawn(env!("CARGO_BIN_EXE_bench"), &[]);
    let init = server.ask(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}}));
    assert!(init.get("result").is_some(), "{init}");
    server.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let call = server.ask(echo(1));
    assert_eq!(call["result"]["content"][0]["text"], "hello", "{call}");
    let sum = server.ask(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                                "params": {"name": "sum", "arguments": {"a": 2, "b": 0.5}}}));
    assert_eq!(sum["result"]["content"][0]["text"], "2.5", "{sum}");
    let list = server.ask(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 2, "{list}");
}

#[test]
fn the_baseline_answers_the_same_shapes() {
    let mut baseline = Peer::spawn(env!("CARGO_BIN_EXE_bench_baseline"), &["--stdio"]);
    let call = baseline.ask(echo(7));
    assert_eq!(call["result"]["content"][0]["text"], "hello", "{call}");
    let list = baseline.ask(modern(8, "tools/list", json!({})));
    assert_eq!(list["result"]["tools"].as_array().unwrap().len(), 50, "{list}");
}
