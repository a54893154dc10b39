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
//! ```
//!
//! Scopes: `tickets:read` (search, get), `tickets:write` (create, update, comment) and
//! `tickets:admin` (delete).
//!
//! A fresh database is created and seeded with a few tickets on first run. Idempotency records,
//! used confirmation tokens and the saga journal live in the same database file (tables
//! `mcp_*`), so they survive a restart; at start-up, sagas a crash interrupted are finished
//! (undone) before anything is served.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use examples::cli::{self, AuthArgs, Serve};
use examples::tickets::escalation::ESCALATE;
use examples::tickets::{Config, Faults, OnCall, Store, server_with};
use mcp_core::safe::{MemoryStore, SafeWrites, SqliteStore};

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
    // The safe-writes records share the tickets database file, so they survive a restart.
    let safe = if args.db.as_os_str() == ":memory:" {
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
    let server = match server_with(Config { store, oncall, safe, faults }) {
        Ok(server) => server,
        Err(error) => return fail(error.to_string()),
    };
    match server.recover_sagas().await {
        Ok(report) => {
            for saga in &report.recovered {
                eprintln!(
                    "tickets: finished interrupted saga {} ({}): {}; undone: [{}]",
                    saga.saga_id,
                    saga.saga,
                    saga.status.as_str(),
                    saga.undone.join(", ")
                );
            }
        }
        Err(error) => {
            return fail(format!("cannot recover interrupted sagas from {}: {error}", args.db.display()));
        }
    }
    let auth = args.auth;
    let allow_hosts = args.serve.allow_hosts.clone();
    args.serve
        .run_to_exit_with("tickets", Ok::<_, String>(server), move |transport, bound| {
            if !auth.enabled() {
                return Ok(transport);
            }
            let resource = auth.resource_for(bound, &allow_hosts);
            eprintln!("tickets: OAuth resource {resource} ({:?} mode)", auth.auth_mode);
            auth.apply(transport, &resource, &SCOPES)
        })
        .await
}
