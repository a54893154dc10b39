//! `tickets`: a Jira-style issue tracker in SQLite, as an MCP connector (see
//! [`examples::tickets`]).
//!
//! ```text
//! cargo run -p examples --bin tickets                                   # stdio, ./tickets.db
//! cargo run -p examples --bin tickets -- --db /tmp/t.db --http 127.0.0.1:8000
//! cargo run -p examples --bin tickets -- --db /tmp/t.db --crash-step escalate_ticket:2
//! # OAuth: reads anonymous, writes need a token from the issuer (or a static one)
//! cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --auth-issuer https://login.example.com
//! TICKETS_TOKENS="$(openssl rand -hex 24) ci tickets:read tickets:write" \
//!   cargo run -p examples --bin tickets -- --http 127.0.0.1:8000 --tokens-env TICKETS_TOKENS --auth-mode required
//! # two replicas sharing one Redis (and one tickets database), behind any load balancer
//! cargo run -p examples --bin tickets -- --db /srv/t.db --http 127.0.0.1:8001 --stateful --redis redis://127.0.0.1:6379/
//! cargo run -p examples --bin tickets -- --db /srv/t.db --http 127.0.0.1:8002 --stateful --redis redis://127.0.0.1:6379/
//! ```
//!
//! Scopes: `tickets:read` (search, get), `tickets:write` (create, update, comment) and
//! `tickets:admin` (delete).
//!
//! A fresh database is created and seeded with a few tickets on first run. Idempotency records,
//! used confirmation tokens and the saga journal live in the same database file (tables
//! `mcp_*`), so they survive a restart; at start-up, sagas a crash interrupted are finished
//! (undone) before anything is served.
//!
//! With `--redis URL` (see `docs/scale-out.md`) the safe-writes records, stateful sessions and
//! SSE events live in Redis instead, shared by every replica started with the same URL; each
//! replica also looks for sagas a dead replica left behind every `--saga-lease` seconds, and
//! exactly one of them finishes each.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, AuthArgs, Serve};
use examples::tickets::escalation::ESCALATE;
use examples::tickets::{Config, Faults, OnCall, Store, server_with};
use std::time::Duration;

use mcp_connector_core::Server;
use mcp_connector_core::safe::{MemoryStore, SafeWrites, SqliteStore};
use mcp_connector_transport::redis::Redis;

/// Serves the tickets connector (a Jira-style tracker in SQLite) on stdio, or on streamable
/// HTTP at http://HOST:PORT/mcp.
#[derive(Parser)]
#[command(name = "tickets", version)]
struct Args {
    /// The SQLite database, created and seeded with a few tickets when missing.
    #[arg(long, value_name = "PATH", default_value = "tickets.db")]
    db: PathBuf,

    /// The on-call service's SQLite database (default: NAME-oncall.db beside --db).
    #[arg(long, value_name = "PATH")]
    oncall_db: Option<PathBuf>,

    /// Make step N (1 to 3) of escalate_ticket fail, to watch the earlier steps be undone.
    #[arg(long, value_name = "escalate_ticket:N", value_parser = step_of)]
    fail_step: Option<u32>,

    /// Abort the process right after step N (1 to 3) of escalate_ticket, to watch the next
    /// start finish the saga.
    #[arg(long, value_name = "escalate_ticket:N", value_parser = step_of)]
    crash_step: Option<u32>,

    /// Share safe writes, sessions and SSE events with other replicas through this Redis
    /// (`redis://[user:password@]host:port[/db]`).
    #[arg(long, value_name = "URL")]
    redis: Option<String>,

    /// With --redis: how long a saga belongs to the replica running it without a journal
    /// write, before a survivor recovers it; survivors look this often.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, requires = "redis", value_parser = clap::value_parser!(u64).range(1..))]
    saga_lease: u64,

    /// The environment variable holding the key that seals confirmation tokens (at least 32
    /// bytes, secret): the same on every replica, so a token made on one works on the others.
    #[arg(long, value_name = "NAME")]
    state_key_env: Option<String>,

    #[command(flatten)]
    serve: Serve,

    #[command(flatten)]
    auth: AuthArgs,
}

/// Every scope the tools declare, for the protected resource metadata.
const SCOPES: [&str; 3] = ["tickets:read", "tickets:write", "tickets:admin"];

/// `escalate_ticket:N`, N from 1 to 3.
fn step_of(value: &str) -> Result<u32, String> {
    let usage = || format!("expected {ESCALATE}:N with N from 1 to 3, got {value:?}");
    let (tool, step) = value.split_once(':').ok_or_else(usage)?;
    if tool != ESCALATE {
        return Err(format!("only {ESCALATE} has steps to fail or crash after; {}", usage()));
    }
    match step.parse() {
        Ok(n @ 1..=3) => Ok(n),
        _ => Err(usage()),
    }
}

/// `NAME-oncall.db` beside the tickets database (`:memory:` stays in memory).
fn oncall_beside(db: &Path) -> PathBuf {
    if db.as_os_str() == ":memory:" {
        return db.to_owned();
    }
    let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "tickets".into());
    db.with_file_name(format!("{stem}-oncall.db"))
}

#[tokio::main]
async fn main() -> ExitCode {
    // Parsed before logging starts: `--help` and usage errors print and exit right here.
    let args = Args::parse();
    cli::init_logging();
    let fail = |what: String| {
        eprintln!("tickets: {what}");
        ExitCode::FAILURE
    };
    let store = match Store::open(&args.db) {
        Ok(store) => store,
        Err(error) => return fail(format!("cannot open {}: {error}", args.db.display())),
    };
    let oncall_db = args.oncall_db.clone().unwrap_or_else(|| oncall_beside(&args.db));
    let oncall = match OnCall::open(&oncall_db) {
        Ok(oncall) => oncall,
        Err(error) => {
            return fail(format!("cannot open the on-call database {}: {error}", oncall_db.display()));
        }
    };
    let redis = match &args.redis {
        Some(url) => match Redis::connect(url).await {
            Ok(redis) => Some(redis.prefix("tickets")),
            Err(error) => return fail(format!("cannot reach Redis at {url}: {error}")),
        },
        None => None,
    };
    let saga_lease = Duration::from_secs(args.saga_lease);
    // The safe-writes records share the tickets database file, so they survive a restart; with
    // Redis they are shared by every replica instead.
    let safe = if let Some(redis) = &redis {
        SafeWrites::new(redis.safe_store().saga_lease(saga_lease))
    } else if args.db.as_os_str() == ":memory:" {
        SafeWrites::new(MemoryStore::new())
    } else {
        match SqliteStore::open(&args.db) {
            Ok(records) => SafeWrites::new(records),
            Err(error) => {
                return fail(format!(
                    "cannot open the safe-writes journal in {}: {error}",
                    args.db.display()
                ));
            }
        }
    };
    let faults = Faults { fail_step: args.fail_step, crash_step: args.crash_step };
    let state_key = match &args.state_key_env {
        Some(name) => match std::env::var(name) {
            Ok(key) => Some(key.into_bytes()),
            Err(_) => return fail(format!("--state-key-env names {name}, which is not set")),
        },
        None => None,
    };
    let server = match server_with(Config { store, oncall, safe, faults, state_key }) {
        Ok(server) => server,
        Err(error) => return fail(error.to_string()),
    };
    if let Err(error) = recover(&server).await {
        return fail(format!("cannot recover interrupted sagas: {error}"));
    }
    if let Some(redis) = &redis {
        // Resource updates and list changes raised on one replica reach every replica's clients.
        redis.relay_changes(&server);
        // A replica that dies mid-saga leaves it to the survivors: look for such sagas as often
        // as a lease runs out (the store hands each to exactly one replica).
        let server = server.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(saga_lease).await;
                if let Err(error) = recover(&server).await {
                    eprintln!("tickets: cannot look for interrupted sagas now: {error}");
                }
            }
        });
    }
    let auth = args.auth;
    let allow_hosts = args.serve.allow_hosts.clone();
    args.serve
        .run_to_exit_with("tickets", Ok::<_, String>(server), move |transport, bound| {
            let transport = match &redis {
                Some(redis) => {
                    transport.event_store(redis.event_store()).session_store(redis.session_store())
                }
                None => transport,
            };
            if !auth.enabled() {
                return Ok(transport);
            }
            let resource = auth.resource_for(bound, &allow_hosts);
            eprintln!("tickets: OAuth resource {resource} ({:?} mode)", auth.auth_mode);
            auth.apply(transport, &resource, &SCOPES)
        })
        .await
}

/// Finishes the sagas a crash interrupted, saying which.
async fn recover(server: &Server) -> Result<(), mcp_connector_core::safe::StoreError> {
    let report = server.recover_sagas().await?;
    for saga in &report.recovered {
        eprintln!(
            "tickets: finished interrupted saga {} ({}): {}; undone: [{}]",
            saga.saga_id,
            saga.saga,
            saga.status.as_str(),
            saga.undone.join(", ")
        );
    }
    Ok(())
}
