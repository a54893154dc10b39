//! Audit events for write tool calls (`tracing` target `mcp::audit`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcp_connector_core::auth::Claims;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `tracing` target of audit events.
pub(crate) const TARGET: &str = "mcp::audit";

/// Records one write tool call: when, which tool, who (subject and client), a SHA-256 of the
/// arguments (never the arguments, which may hold personal data, nor the token), the outcome
/// (`ok`, `error` or `denied`) and how long it took.
pub(crate) fn record(
    tool: &str,
    claims: Option<&Claims>,
    arguments: &Map<String, Value>,
    outcome: &str,
    elapsed: Duration,
) {
    let time_unix_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let subject = claims.and_then(|c| c.subject.as_deref()).unwrap_or("-");
    let client = claims.and_then(|c| c.client_id.as_deref()).unwrap_or("-");
    tracing::info!(
        target: TARGET,
        time_unix_ms,
        tool,
        subject,
        client,
        args_sha256 = %arguments_hash(arguments),
        outcome,
        duration_ms = elapsed.as_millis() as u64,
        "write tool call"
    );
}

/// Records one refused request at the token check: the status it got (401, 403 or 503), a
/// short machine-readable reason (`missing_token`, `invalid_token`, `insufficient_scope`,
/// `unverifiable`), the human-readable detail (what was wrong with the token, never the token
/// itself, nor a digest of it) and, when known, the peer address.
pub(crate) fn refused(status: u16, reason: &str, detail: &str, peer: Option<std::net::SocketAddr>) {
    let time_unix_ms =
        SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let peer = peer.map_or_else(|| "-".to_owned(), |p| p.ip().to_string());
    tracing::info!(target: TARGET, time_unix_ms, status, reason, detail, peer, "token refused");
}

/// Hex SHA-256 of the arguments' JSON, so two calls with the same arguments can be matched
/// without the log holding them.
pub(crate) fn arguments_hash(arguments: &Map<String, Value>) -> String {
    let bytes = serde_json::to_vec(arguments).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}
