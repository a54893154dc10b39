//! `bench_safe_writes`: what a retry-safe write costs over a plain one, measured in one run.
//!
//! ```text
//! cargo run --release -p examples --bin bench_safe_writes             # ~20 s
//! cargo run --release -p examples --bin bench_safe_writes -- --calls 5000 --rounds 5
//! cargo run --release -p examples --bin bench_safe_writes -- --redis redis://127.0.0.1:6379/
//! ```
//!
//! Drives `tools/call` through the server's real dispatch (a `Session`, in process: no socket,
//! so the SDK's own work is what is timed) for two write handlers: `noop`, which changes
//! nothing (the worst case for the ratio: safe writes are all there is), and `insert`, which
//! commits one row to its own SQLite file with `synchronous = FULL` (a realistic write). Each
//! handler runs as:
//!
//! - `plain`: the retry window off, no key: the dispatch without safe writes;
//! - `window`: the retry window on (the default for write tools), no key;
//! - `key`: an idempotency key, a new one per call (a first call: claim, run, record);
//! - `replay`: the same key every time (answered from the record, the handler does not run);
//!
//! with the records in memory (`MemoryStore`) and in a SQLite file (`SqliteStore`, WAL,
//! `synchronous = FULL` for the record of a result), and with `--redis URL` in Redis
//! (`RedisSafeStore`: one round trip per claim and per record, over loopback TCP). The variants are interleaved in small
//! chunks (a disk's sync time drifts), and the median of the rounds is reported, as calls per
//! second and as the ratio of time per call to `plain` of the same handler and store.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use mcp_connector_core::jsonrpc::Message;
use mcp_connector_core::protocol::{CallToolResult, ClientCapabilities, ProtocolVersion};
use mcp_connector_core::safe::{MemoryStore, SafeStore, SafeWrites, SqliteStore};
use mcp_connector_core::{Extensions, Outbound, Server, Session, Tool};
use serde_json::{Value, json};

/// Measures the cost of retry-safe writes (idempotency keys, the retry window) over plain ones.
#[derive(Parser)]
#[command(name = "bench_safe_writes")]
struct Args {
    /// Calls per variant and round.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    calls: u32,
    /// Rounds; the median is reported.
    #[arg(long, value_name = "N", default_value_t = 3)]
    rounds: u32,
    /// Where the SQLite files go (removed afterwards).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Also measure the Redis store at this URL (its keys use the prefix `bench-safe-writes`).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Plain,
    Window,
    Key,
    Replay,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Plain => "plain",
            Mode::Window => "window",
            Mode::Key => "key",
            Mode::Replay => "replay",
        }
    }
}

fn tool(name: &str, key: bool, window: bool, insert: Option<Arc<Mutex<rusqlite::Connection>>>) -> Tool {
    let builder = Tool::write(name)
        .input_schema(
            json!({"type": "object", "properties": {"n": {"type": "integer"}, "key": {"type": "string"}}}),
        )
        .retry_window(window);
    let builder = if key { builder.idempotency_key("key") } else { builder };
    builder.handler(move |_ctx, args| {
        let insert = insert.clone();
        async move {
            if let Some(conn) = insert {
                let n = args.get("n").and_then(Value::as_i64).unwrap_or_default();
                tokio::task::spawn_blocking(move || {
                    let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
                    conn.execute("INSERT INTO rows (n) VALUES (?1)", [n]).map(|_| ())
                })
                .await
                .map_err(|e| mcp_connector_core::ToolError::new(e.to_string()))??;
            }
            Ok(CallToolResult::text("ok"))
        }
    })
}

fn open_rows(path: &std::path::Path) -> Result<Arc<Mutex<rusqlite::Connection>>, rusqlite::Error> {
    let conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.execute_batch("CREATE TABLE IF NOT EXISTS rows (n INTEGER)")?;
    Ok(Arc::new(Mutex::new(conn)))
}

struct Bench {
    session: Session,
    outbound: Outbound,
    next_id: i64,
}

impl Bench {
    fn new(
        store: Arc<dyn SafeStore>,
        rows: Option<Arc<Mutex<rusqlite::Connection>>>,
    ) -> Result<Bench, String> {
        let server = Server::builder("bench", "1")
            .safe_writes(SafeWrites::with_store(store))
            .tool(tool("plain", false, false, rows.clone()))
            .tool(tool("window", false, true, rows.clone()))
            .tool(tool("key", true, false, rows))
            .build()
            .map_err(|e| e.to_string())?;
        let (outbound, _rx) = Outbound::channel();
        let session = server.session(outbound.clone());
        session.assume_protocol_version(ProtocolVersion::new("2025-11-25"), ClientCapabilities::default());
        Ok(Bench { session, outbound, next_id: 0 })
    }

    async fn call(&mut self, mode: Mode, i: u32, batch: u32) -> Result<(), String> {
        self.next_id += 1;
        let (tool, args) = match mode {
            Mode::Plain => ("plain", json!({"n": i})),
            Mode::Window => ("window", json!({"n": i})),
            Mode::Key => ("key", json!({"n": i, "key": format!("b{batch}-k{i}")})),
            Mode::Replay => ("key", json!({"n": 0, "key": "always-the-same"})),
        };
        let message =
            Message::request(self.next_id, "tools/call", Some(json!({"name": tool, "arguments": args})));
        match self.session.handle(message, &self.outbound, Extensions::new()).await {
            Some(Message::Response(r)) if r.result.get("isError").is_none() => Ok(()),
            other => Err(format!("{tool}: unexpected answer {other:?}")),
        }
    }

    async fn time(&mut self, mode: Mode, calls: u32, batch: u32) -> Result<Duration, String> {
        let started = Instant::now();
        for i in 0..calls {
            self.call(mode, i, batch).await?;
        }
        Ok(started.elapsed())
    }
}

/// Each round runs every variant in this many interleaved chunks.
const CHUNKS: u32 = 10;

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

async fn run(args: Args) -> Result<(), String> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("bench-safe-writes-{}", std::process::id())));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let modes = [Mode::Plain, Mode::Window, Mode::Key, Mode::Replay];
    println!("calls per variant and round: {}, rounds: {} (median reported)", args.calls, args.rounds);
    println!(
        "{:<8} {:<8} {:<7} {:>12} {:>10} {:>8}",
        "handler", "store", "variant", "calls/s", "us/call", "ratio"
    );
    let redis = match &args.redis {
        Some(url) => Some(
            mcp_connector_transport::redis::Redis::connect(url)
                .await
                .map_err(|e| format!("cannot reach Redis at {url}: {e}"))?
                .prefix(format!("bench-safe-writes-{}", std::process::id())),
        ),
        None => None,
    };
    let stores: &[&str] =
        if redis.is_some() { &["memory", "sqlite", "redis"] } else { &["memory", "sqlite"] };
    for handler in ["noop", "insert"] {
        for &store_kind in stores {
            let store: Arc<dyn SafeStore> = match (store_kind, &redis) {
                ("memory", _) => Arc::new(MemoryStore::with_capacity(1_000_000)),
                ("redis", Some(redis)) => Arc::new(redis.safe_store()),
                _ => Arc::new(
                    SqliteStore::open(dir.join(format!("{handler}-records.db")))
                        .map_err(|e| e.to_string())?,
                ),
            };
            let rows = match handler {
                "insert" => {
                    Some(open_rows(&dir.join(format!("{store_kind}-rows.db"))).map_err(|e| e.to_string())?)
                }
                _ => None,
            };
            let mut bench = Bench::new(store, rows)?;
            // Warm-up: a pass of each, unmeasured (and the replay's record written).
            for mode in modes {
                bench.time(mode, args.calls.min(500), u32::MAX).await?;
            }
            let mut times: Vec<Vec<Duration>> = vec![Vec::new(); modes.len()];
            let chunk = (args.calls / CHUNKS).max(1);
            for round in 0..args.rounds {
                let mut totals = vec![Duration::ZERO; modes.len()];
                for part in 0..CHUNKS {
                    for (slot, mode) in modes.iter().enumerate() {
                        totals[slot] += bench.time(*mode, chunk, round * CHUNKS + part).await?;
                    }
                }
                for (slot, total) in totals.into_iter().enumerate() {
                    times[slot].push(total);
                }
            }
            let medians: Vec<Duration> = times.into_iter().map(median).collect();
            let plain = medians[0].as_secs_f64();
            for (mode, time) in modes.iter().zip(&medians) {
                let per_call = time.as_secs_f64() / f64::from(chunk * CHUNKS);
                println!(
                    "{handler:<8} {store_kind:<8} {:<7} {:>12.0} {:>10.1} {:>8.2}",
                    mode.name(),
                    1.0 / per_call,
                    per_call * 1e6,
                    time.as_secs_f64() / plain
                );
            }
        }
    }
    if args.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench_safe_writes: {e}");
            ExitCode::FAILURE
        }
    }
}
