//! What the gateway costs: the same `tools/call` (`search_notes` of the `notes` example) made
//! directly over streamable HTTP and through the `gateway` example, whose upstream is that
//! `notes` over HTTP and, in a third run, a `notes` it spawned on stdio. Sequential calls from
//! one client (so the figures are latencies, not throughput under load); prints the median,
//! the 99th percentile and the mean of each.
//!
//! ```text
//! cargo build --release -p examples --bin notes --bin gateway --bin bench_gateway
//! target/release/bench_gateway --calls 2000
//! ```

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::Parser;
use mcp_connector_core::client::Client;
use mcp_connector_transport::client::http::HttpConnector;
use serde_json::json;

/// Times a forwarded tools/call against the direct call.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Calls per run (after 50 warm-up calls).
    #[arg(long, default_value_t = 2000)]
    calls: usize,
}

/// A child process serving HTTP, killed on drop.
struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sibling(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name(name)
}

fn serve(program: &PathBuf, args: &[&str]) -> Result<Served, String> {
    let mut child = Command::new(program)
        .args(["--http", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e} (build it first)", program.display()))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.split("listening on ").nth(1) {
                    break url.trim().to_owned();
                }
            }
            _ => return Err(format!("{} exited before listening", program.display())),
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok(Served { child, url })
}

async fn time_calls(url: &str, tool: &str, calls: usize) -> Result<Vec<Duration>, String> {
    let client = Client::builder("bench", "1")
        .connect(HttpConnector::new(url).connect())
        .await
        .map_err(|e| e.to_string())?;
    let arguments = json!({"query": "milk"});
    for _ in 0..50 {
        client.call_tool(tool, arguments.clone()).await.map_err(|e| e.to_string())?;
    }
    let mut times = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        let result = client.call_tool(tool, arguments.clone()).await.map_err(|e| e.to_string())?;
        times.push(started.elapsed());
        if result.failed() {
            return Err(format!("{tool} failed: {result:?}"));
        }
    }
    client.close().await;
    times.sort_unstable();
    Ok(times)
}

fn report(label: &str, times: &[Duration]) {
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    println!(
        "{label:<38} median {:>8.1} µs   p99 {:>8.1} µs   mean {:>8.1} µs",
        at(0.5).as_secs_f64() * 1e6,
        at(0.99).as_secs_f64() * 1e6,
        mean.as_secs_f64() * 1e6
    );
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args.calls).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench_gateway: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(calls: usize) -> Result<(), String> {
    let notes = serve(&sibling("notes"), &[])?;
    let config = std::env::temp_dir().join(format!("bench-gateway-{}.json", std::process::id()));
    let file = json!({"upstreams": [
        {"name": "http_notes", "url": notes.url},
        {"name": "stdio_notes", "command": [sibling("notes")]}
    ]});
    std::fs::write(&config, file.to_string()).map_err(|e| e.to_string())?;
    let config_arg = config.to_string_lossy().into_owned();
    let gateway = serve(&sibling("gateway"), &["--config", &config_arg])?;
    println!("{calls} sequential tools/call of search_notes, one client, streamable HTTP (2026-07-28)");
    report("direct to notes (HTTP)", &time_calls(&notes.url, "search_notes", calls).await?);
    report(
        "through the gateway, upstream HTTP",
        &time_calls(&gateway.url, "http_notes.search_notes", calls).await?,
    );
    report(
        "through the gateway, upstream stdio",
        &time_calls(&gateway.url, "stdio_notes.search_notes", calls).await?,
    );
    let _ = std::fs::remove_file(&config);
    Ok(())
}
