//! Safe writes on the request path (see [`crate::safe`] for the public side): what happens
//! between input validation and the handler of a write tool.
//!
//! 1. A guard record is picked: the tool's idempotency key when the call carries one, else the
//!    retry window's record of this request (caller, JSON-RPC id, tool). A completed record with
//!    the same argument fingerprint is answered again, marked as a replay; a running one is
//!    waited for (in this process through a channel, in another through the store).
//! 2. Confirmation, for a tool that asks for it: a valid token runs the handler; otherwise the
//!    preview goes to the user through elicitation when the request can ask, and back to the
//!    model with a sealed single-use token when it cannot.
//! 3. The handler runs; a successful result is recorded under the guard.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::mrtr::{StateSealer, hex};
use super::{Context, Server, Tool};
use crate::canonical::Numbers;
use crate::era::Era;
use crate::error::{BuildError, ToolError};
use crate::protocol::{CallToolResult, ElicitAction, ToolDefinition};
use crate::safe::{
    CONFIRMATION_TOKEN, Claim, REPLAY_META, RecoveryReport, SafeStore, SagaOutcome, StoreError, recover,
    run_saga,
};

/// The calls running under a guard record in this process, so a duplicate waits for the first.
#[derive(Default)]
pub(crate) struct InFlight {
    calls: Mutex<Calls>,
}

/// Each guarded call running now, by (scope, key): where its answer will appear.
type Calls = HashMap<(String, String), watch::Receiver<Option<Arc<Finished>>>>;

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, Calls> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the first call answered, for the duplicates that waited for it.
struct Finished {
    fingerprint: String,
    result: CallToolResult,
}

/// Why a call is guarded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reason {
    Key,
    Retry,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Key => "idempotency_key",
            Reason::Retry => "retried_request",
        }
    }
}

/// The record a call is guarded by.
struct Guard {
    scope: String,
    key: String,
    /// The key as the client sent it (for messages), when guarded by one.
    shown: Option<String>,
    fingerprint: String,
    keep_for: Duration,
    reason: Reason,
}

/// The answer of a call, and whether the handler ran for it (a preview or a refused token did
/// not run it, so it is not recorded under the guard).
struct Outcome {
    result: CallToolResult,
    ran: bool,
}

/// The caller a record or token is bound to: the verified token's subject (or, without one,
/// its client), when auth is on.
pub(crate) fn principal(ctx: &Context) -> Option<String> {
    let claims = ctx.extensions().get::<crate::auth::Claims>()?;
    claims
        .subject
        .clone()
        .map(|s| format!("sub:{s}"))
        .or_else(|| claims.client_id.clone().map(|c| format!("client:{c}")))
}

/// SHA-256 of the tool, its canonical arguments (numbers by value) and, for the retry window,
/// the confirmation token it carried.
fn fingerprint(tool: &str, arguments: &Map<String, Value>, token: Option<&Value>) -> String {
    let mut canonical = tool.as_bytes().to_vec();
    canonical.push(b'\n');
    crate::canonical::write_object(arguments, Numbers::ByValue, &mut canonical);
    if let Some(token) = token {
        canonical.push(b'\n');
        crate::canonical::write(token, Numbers::ByValue, &mut canonical);
    }
    hex(&Sha256::digest(&canonical))
}

fn is_read_only(tool: &Tool) -> bool {
    tool.definition.annotations.as_ref().and_then(|a| a.read_only_hint) == Some(true)
}

/// Checks what a tool declares about safe writes, at build.
pub(crate) fn check_tool(tool: &Tool) -> Result<(), BuildError> {
    let invalid = |why: String| BuildError::InvalidSchema { tool: tool.name().to_owned(), why };
    let safety = &tool.safety;
    if is_read_only(tool) && (safety.idempotency_key.is_some() || safety.confirm.is_some()) {
        return Err(invalid(
            "`idempotency_key` and `confirm` are for tools that change something; declare the tool `write`"
                .into(),
        ));
    }
    if let Some(name) = &safety.idempotency_key {
        let property = tool.definition.input_schema.get("properties").and_then(|p| p.get(name));
        let Some(property) = property else {
            return Err(invalid(format!(
                "`idempotency_key` names `{name}`, which is not a property of the input schema; add an optional \
                 string argument `{name}` (for example `#[serde(default)] {name}: Option<String>`)"
            )));
        };
        let string = match property.get("type") {
            Some(Value::String(t)) => t == "string",
            Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
            _ => false,
        };
        if !string {
            return Err(invalid(format!(
                "the idempotency key argument `{name}` must be of type string (`String` or `Option<String>`)"
            )));
        }
    }
    Ok(())
}

/// Adds the optional `confirmation_token` argument to a confirming tool's input schema, and
/// drops its output schema (it answers a preview or the handler's result).
pub(crate) fn add_confirmation_token(definition: &mut ToolDefinition) {
    let properties = definition.input_schema.entry("properties").or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        properties.insert(
            CONFIRMATION_TOKEN.into(),
            json!({
                "type": "string",
                "description": "Leave this out at first: the call then only returns a preview of the change and a \
                                confirmation_token. After the user has agreed to the preview, call again with the same \
                                arguments and that token to make the change."
            }),
        );
    }
    definition.output_schema = None;
}

/// Runs a validated call of `tool`, with the safe-writes rules that apply to it.
///
/// Reads, and writes with every safeguard off, get the handler's own future: no clone, no lock,
/// and none of the guarded path's state, which is boxed apart so that it does not grow the
/// future of every call (that future is moved on each request; see `examples/bench`).
pub(crate) fn call(
    tool: &Tool,
    ctx: Context,
    arguments: Map<String, Value>,
) -> BoxFuture<'_, Result<CallToolResult, ToolError>> {
    let safety = &tool.safety;
    let window = (!is_read_only(tool) && !safety.no_retry_window)
        .then(|| ctx.server().safe_writes().retry_window)
        .flatten();
    if safety.idempotency_key.is_none() && safety.confirm.is_none() && window.is_none() {
        return tool.handler.call(ctx, arguments);
    }
    Box::pin(safeguarded(tool, ctx, arguments, window))
}

/// [`call`] for a tool with at least one safeguard on.
async fn safeguarded(
    tool: &Tool,
    ctx: Context,
    mut arguments: Map<String, Value>,
    window: Option<Duration>,
) -> Result<CallToolResult, ToolError> {
    let safety = &tool.safety;
    let server = ctx.server().clone();
    let safe = server.safe_writes();
    let token = if safety.confirm.is_some() { arguments.remove(CONFIRMATION_TOKEN) } else { None };
    let principal = principal(&ctx);
    let key = safety
        .idempotency_key
        .as_ref()
        .and_then(|name| arguments.get(name))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let guard = match key {
        Some(key) => Some(Guard {
            scope: principal.clone().unwrap_or_else(|| "anonymous".into()),
            key: format!("key:{}:{key}", tool.name()),
            shown: Some(key),
            fingerprint: fingerprint(tool.name(), &arguments, None),
            keep_for: safe.key_ttl,
            reason: Reason::Key,
        }),
        None => window.map(|window| Guard {
            // Anonymous callers cannot be told apart, so their retries count only on the
            // connection they came on: one caller never gets another's result.
            scope: principal.clone().unwrap_or_else(|| format!("connection:{}", ctx.connection().id)),
            key: format!(
                "retry:{}:{}",
                tool.name(),
                serde_json::to_string(ctx.request_id()).unwrap_or_default()
            ),
            shown: None,
            fingerprint: fingerprint(tool.name(), &arguments, token.as_ref()),
            keep_for: window,
            reason: Reason::Retry,
        }),
    };
    match guard {
        None => confirm_then_run(tool, ctx, arguments, token, principal).await.map(|o| o.result),
        Some(guard) => guarded(tool, ctx, arguments, token, principal, guard).await,
    }
}

/// Removes this call from the in-flight map when it ends, however it ends.
struct LocalGate<'a> {
    server: &'a Server,
    slot: (String, String),
}

impl Drop for LocalGate<'_> {
    fn drop(&mut self) {
        self.server.in_flight().lock().remove(&self.slot);
    }
}

/// Gives the key back when the call ends without recording a result (it failed, panicked, or
/// its future was dropped: a cancelled request, a multi round-trip request that needs input).
struct ClaimGuard {
    store: Option<Arc<dyn SafeStore>>,
    scope: String,
    key: String,
}

impl ClaimGuard {
    fn disarm(&mut self) {
        self.store = None;
    }
}

impl Drop for ClaimGuard {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            let (scope, key) = (std::mem::take(&mut self.scope), std::mem::take(&mut self.key));
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(e) = store.release(&scope, &key).await {
                        tracing::warn!(error = %e, "could not release an idempotency key; it frees itself when its lease ends");
                    }
                });
            }
        }
    }
}

/// How long a duplicate waits for a call running in another process before giving up.
const REMOTE_WAIT: Duration = Duration::from_secs(60);

async fn guarded(
    tool: &Tool,
    ctx: Context,
    arguments: Map<String, Value>,
    token: Option<Value>,
    principal: Option<String>,
    guard: Guard,
) -> Result<CallToolResult, ToolError> {
    let server = ctx.server().clone();
    let store = server.safe_writes().store.clone();
    let lease = server.safe_writes().lease;
    let slot = (guard.scope.clone(), guard.key.clone());
    let waited_since = Instant::now();
    loop {
        // In this process: the first call holds the slot; a duplicate waits for its answer.
        let gate = {
            let mut calls = server.in_flight().lock();
            match calls.get(&slot) {
                Some(running) => Err(running.clone()),
                None => {
                    let (tx, rx) = watch::channel(None);
                    calls.insert(slot.clone(), rx);
                    Ok(tx)
                }
            }
        };
        let tx = match gate {
            Err(mut running) => {
                let finished = running.wait_for(Option::is_some).await.ok().and_then(|f| f.clone());
                match finished {
                    // The first call ended without an answer (dropped, panicked): start over.
                    None => continue,
                    Some(first) => {
                        return answer_from(tool, ctx, arguments, token, principal, &guard, first).await;
                    }
                }
            }
            Ok(tx) => tx,
        };
        let local = LocalGate { server: &server, slot: slot.clone() };
        let claim = store.claim(&guard.scope, &guard.key, &guard.fingerprint, lease).await;
        match claim {
            Err(e) => {
                tracing::error!(tool = tool.name(), error = %e, "the safe-writes store failed; the call was not run");
                return Ok(CallToolResult::error(format!(
                    "The server could not record this call ({e}), so it did not run it; nothing was changed. \
                     Try again in a moment with the same arguments."
                )));
            }
            Ok(Claim::Completed { fingerprint, result }) => {
                let result: CallToolResult = match serde_json::from_value(result) {
                    Ok(result) => result,
                    Err(e) => {
                        tracing::error!(tool = tool.name(), error = %e, "an idempotency record holds an unreadable result");
                        return Ok(CallToolResult::error(format!(
                            "The server's record of this call is unreadable ({e}); nothing was changed now. Ask an \
                             operator to check the safe-writes store before retrying."
                        )));
                    }
                };
                let first = Arc::new(Finished { fingerprint, result });
                let _ = tx.send(Some(first.clone()));
                drop(local);
                return answer_from(tool, ctx, arguments, token, principal, &guard, first).await;
            }
            Ok(Claim::Running { fingerprint }) => {
                drop(local);
                if fingerprint != guard.fingerprint {
                    return differing(tool, ctx, arguments, token, principal, &guard).await;
                }
                // Running in another process (or our own key not yet given back): poll.
                if waited_since.elapsed() > REMOTE_WAIT {
                    return Ok(CallToolResult::error(format!(
                        "An identical call of `{}` is still running; nothing more was done. Try again in a minute \
                         with the same arguments{} to get its result.",
                        tool.name(),
                        if guard.reason == Reason::Key { " and the same idempotency key" } else { "" }
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Ok(Claim::Fresh) => {
                let mut claimed = ClaimGuard {
                    store: Some(store.clone()),
                    scope: guard.scope.clone(),
                    key: guard.key.clone(),
                };
                let outcome = confirm_then_run(tool, ctx, arguments, token, principal).await;
                let shared = match &outcome {
                    Ok(outcome) => outcome.result.clone(),
                    Err(error) => {
                        let mut result = CallToolResult::error(error.message());
                        result.meta = error.meta().cloned();
                        result
                    }
                };
                let record = matches!(&outcome, Ok(o) if o.ran && !o.result.failed());
                if record {
                    let json = serde_json::to_value(&shared).unwrap_or(Value::Null);
                    match store.complete(&guard.scope, &guard.key, &json, guard.keep_for).await {
                        Ok(()) => claimed.disarm(),
                        Err(e) => {
                            // The write happened: keep the key held until its lease ends rather
                            // than let a retry run it again.
                            claimed.disarm();
                            tracing::error!(tool = tool.name(), error = %e, "could not record the result of a write; retries wait for the key's lease to end");
                        }
                    }
                } else {
                    claimed.disarm();
                    if let Err(e) = store.release(&guard.scope, &guard.key).await {
                        tracing::warn!(error = %e, "could not release an idempotency key; it frees itself when its lease ends");
                    }
                }
                let _ = tx.send(Some(Arc::new(Finished {
                    fingerprint: guard.fingerprint.clone(),
                    result: shared,
                })));
                drop(local);
                return outcome.map(|o| o.result);
            }
        }
    }
}

/// Answers a call whose guard record holds `first`: the same arguments get its result again;
/// other arguments under the same key are an error; under the retry window they are simply
/// another call.
async fn answer_from(
    tool: &Tool,
    ctx: Context,
    arguments: Map<String, Value>,
    token: Option<Value>,
    principal: Option<String>,
    guard: &Guard,
    first: Arc<Finished>,
) -> Result<CallToolResult, ToolError> {
    if first.fingerprint != guard.fingerprint {
        return differing(tool, ctx, arguments, token, principal, guard).await;
    }
    let mut result = first.result.clone();
    result
        .meta
        .get_or_insert_with(Default::default)
        .insert(REPLAY_META.into(), json!({"reason": guard.reason.as_str()}));
    tracing::info!(
        target: "mcp::audit",
        event = "replay",
        tool = tool.name(),
        reason = guard.reason.as_str(),
        principal = principal.as_deref().unwrap_or("-"),
        "a repeated call was answered with the first call's result; the tool did not run again"
    );
    Ok(result)
}

async fn differing(
    tool: &Tool,
    ctx: Context,
    arguments: Map<String, Value>,
    token: Option<Value>,
    principal: Option<String>,
    guard: &Guard,
) -> Result<CallToolResult, ToolError> {
    match (&guard.shown, tool.safety.idempotency_key.as_deref()) {
        (Some(key), Some(name)) => Ok(CallToolResult::error(format!(
            "The {name} {key:?} was already used for a call of `{}` with different arguments, so this call was not \
             run; nothing was changed. Use a new {name} for a new request, or repeat the first call's arguments \
             exactly to get its result.",
            tool.name()
        ))),
        _ => confirm_then_run(tool, ctx, arguments, token, principal).await.map(|o| o.result),
    }
}

/// What a confirmation token carries (sealed, so the client can read but not change it).
#[derive(Debug, Serialize, Deserialize)]
struct TokenPayload {
    /// Layout version.
    v: u8,
    /// The tool.
    t: String,
    /// The fingerprint of the arguments (the token aside).
    d: String,
    /// The caller, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    e: u64,
    /// Random id: what "used once" is recorded under.
    n: String,
}

/// Absorbed into the MAC before a token's payload: a token is never a `requestState`.
const TOKEN_DOMAIN: &[u8] = b"mcp-rust-sdk confirmation token v1\n";

fn retry_advice(tool: &str) -> String {
    format!(
        "Nothing was changed. Call `{tool}` again without confirmation_token to get a fresh preview and token, show \
         the preview to the user, and send the new token only after they agree."
    )
}

fn open_token(
    sealer: &StateSealer,
    token: &Value,
    tool: &str,
    digest: &str,
    principal: Option<&str>,
) -> Result<TokenPayload, String> {
    let advice = retry_advice(tool);
    let Value::String(token) = token else {
        return Err(format!("confirmation_token must be the string a preview returned. {advice}"));
    };
    let payload = sealer
        .open_bytes(TOKEN_DOMAIN, token)
        .and_then(|bytes| serde_json::from_slice::<TokenPayload>(&bytes).ok())
        .filter(|p| p.v == 1)
        .ok_or_else(|| {
            format!("This confirmation_token was not issued by this server or was altered, so it is refused. {advice}")
        })?;
    if payload.e < crate::safe::store_now_secs() {
        return Err(format!(
            "This confirmation_token has expired (tokens are valid for ten minutes at most). {advice}"
        ));
    }
    if payload.t != tool {
        return Err(format!(
            "This confirmation_token was issued for the tool `{}`, not `{tool}`, so it is refused. {advice}",
            payload.t
        ));
    }
    if payload.p.as_deref() != principal {
        return Err(format!(
            "This confirmation_token was issued to a different user, so it is refused. {advice}"
        ));
    }
    if payload.d != digest {
        return Err(format!(
            "This confirmation_token was issued for different arguments, so it is refused: a token confirms exactly \
             the call that was previewed. Send the previewed arguments unchanged with it, or: {advice}"
        ));
    }
    Ok(payload)
}

/// Whether this request can ask the user: the client declared form elicitation, and there is a
/// way to reach it (a multi round-trip round in 2026-07-28, the session in older revisions).
fn can_ask(ctx: &Context) -> bool {
    if !ctx.client_capabilities().supports_form_elicitation() || ctx.running_task().is_some() {
        return false;
    }
    match ctx.era() {
        Era::Modern => ctx.input_round().is_some(),
        Era::Legacy => true,
    }
}

async fn run(tool: &Tool, ctx: Context, arguments: Map<String, Value>) -> Result<Outcome, ToolError> {
    tool.handler.call(ctx, arguments).await.map(|result| Outcome { result, ran: true })
}

fn not_run(result: CallToolResult) -> Result<Outcome, ToolError> {
    Ok(Outcome { result, ran: false })
}

fn audit_confirmed(tool: &Tool, how: &str, principal: Option<&str>) {
    tracing::info!(
        target: "mcp::audit",
        event = "confirmed",
        tool = tool.name(),
        how,
        principal = principal.unwrap_or("-"),
        "a write that needs confirmation was confirmed"
    );
}

async fn confirm_then_run(
    tool: &Tool,
    ctx: Context,
    arguments: Map<String, Value>,
    token: Option<Value>,
    principal: Option<String>,
) -> Result<Outcome, ToolError> {
    let Some(preview) = &tool.safety.confirm else {
        return run(tool, ctx, arguments).await;
    };
    let server = ctx.server().clone();
    let safe = server.safe_writes();
    let digest = fingerprint(tool.name(), &arguments, None);
    if let Some(token) = token.filter(|t| !t.is_null()) {
        let payload =
            match open_token(server.request_state(), &token, tool.name(), &digest, principal.as_deref()) {
                Ok(payload) => payload,
                Err(message) => {
                    tracing::info!(tool = tool.name(), "refused a confirmation token");
                    return not_run(CallToolResult::error(message));
                }
            };
        return match safe.store.consume(&payload.n, payload.e).await {
            Ok(true) => {
                audit_confirmed(tool, "token", principal.as_deref());
                run(tool, ctx, arguments).await
            }
            Ok(false) => not_run(CallToolResult::error(format!(
                "This confirmation_token was already used: each token confirms one call. {}",
                retry_advice(tool.name())
            ))),
            Err(e) => not_run(CallToolResult::error(format!(
                "The server could not check the confirmation_token ({e}); nothing was changed. Try again in a moment \
                 with the same token."
            ))),
        };
    }
    let text = preview(ctx.clone(), arguments.clone()).await?;
    if can_ask(&ctx) {
        let question = format!("{text}\n\nDo you want to go ahead?");
        let form = json!({"type": "object", "properties": {}});
        let form = form.as_object().cloned().unwrap_or_default();
        match ctx.with_input_key(format!("confirm-{}", tool.name())).elicit(question, form).await {
            Ok(answer) if answer.action == ElicitAction::Accept => {
                audit_confirmed(tool, "elicitation", principal.as_deref());
                return run(tool, ctx, arguments).await;
            }
            Ok(answer) => {
                let what = if answer.action == ElicitAction::Decline { "declined" } else { "dismissed" };
                tracing::info!(tool = tool.name(), what, "the user did not confirm a write");
                return not_run(CallToolResult::text(format!(
                    "The user {what} the confirmation, so nothing was changed. Do not call `{}` again unless the user \
                     asks for it.",
                    tool.name()
                )));
            }
            Err(e) => {
                tracing::info!(tool = tool.name(), error = %e, "could not ask the user; answering with a confirmation token");
            }
        }
    }
    // The token path: nothing changes; the preview and a token go back to the model.
    let expires = crate::safe::store_now_secs().saturating_add(safe.confirmation_ttl.as_secs());
    let mut nonce = [0u8; 16];
    getrandom::fill(&mut nonce)
        .map_err(|e| ToolError::new(format!("no randomness for a confirmation token: {e}")))?;
    let payload =
        TokenPayload { v: 1, t: tool.name().to_owned(), d: digest, p: principal, e: expires, n: hex(&nonce) };
    let bytes = serde_json::to_vec(&payload).map_err(|e| ToolError::new(e.to_string()))?;
    let token = server.request_state().seal_bytes(TOKEN_DOMAIN, &bytes);
    let until = humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(expires)).to_string();
    let mut result = CallToolResult::text(format!(
        "Nothing has been changed yet: this call needs the user's confirmation.\n\n{text}\n\nShow this to the user \
         and ask whether to go ahead. If they agree, call `{tool}` again with exactly the same arguments plus \
         \"confirmation_token\": \"{token}\" (valid until {until}, usable once). If they do not agree, do not call \
         it again.",
        tool = tool.name()
    ));
    let structured = json!({
        "confirmation_required": true,
        "preview": text,
        "confirmation_token": token,
        "expires_at": until,
    });
    result.structured_content = structured.as_object().cloned();
    not_run(result)
}

impl Context {
    /// Runs the saga registered as `name` (see [`crate::safe::Saga`]) with `input`: each step in
    /// order, journalled before and after it runs; when a step fails, the completed ones are
    /// undone in reverse order. Sends a progress notification per step when the client asked
    /// for progress. `Err` only when the saga could not start (no such saga, the journal cannot
    /// be written): then nothing ran.
    ///
    /// ```
    /// use mcp_connector_core::safe::{Saga, SafeWrites};
    /// use mcp_connector_core::{Context, Server, ToolError, tool};
    /// use serde_json::json;
    ///
    /// /// Move stock from one warehouse to another.
    /// #[tool(write)]
    /// async fn move_stock(ctx: Context, sku: String) -> Result<String, ToolError> {
    ///     let outcome = ctx.run_saga("move_stock", json!({"sku": sku})).await?;
    ///     if outcome.completed() { Ok(outcome.summary()) } else { Err(ToolError::new(outcome.summary())) }
    /// }
    ///
    /// let saga = Saga::new("move_stock")
    ///     .step("take", |_s| async { Ok(json!({})) }, |_s, _o| async { Ok(()) })
    ///     .step("put", |_s| async { Ok(json!({})) }, |_s, _o| async { Ok(()) });
    /// let server = Server::builder("s", "1")
    ///     .safe_writes(SafeWrites::in_memory().saga(saga))
    ///     .tool(move_stock::tool())
    ///     .build()
    ///     .unwrap();
    /// # let _ = server;
    /// ```
    pub async fn run_saga(&self, name: &str, input: impl Serialize) -> Result<SagaOutcome, ToolError> {
        let server = self.server().clone();
        let safe = server.safe_writes();
        let Some(saga) = safe.sagas.get(name).cloned() else {
            return Err(ToolError::new(format!(
                "no saga `{name}` is registered with SafeWrites::saga; this is a bug in the server, nothing was changed"
            )));
        };
        let input = serde_json::to_value(input)
            .map_err(|e| ToolError::new(format!("the input of saga `{name}` does not serialise: {e}")))?;
        let events = AtomicU32::new(0);
        let ctx = self.clone();
        let progress = move |message: &str| {
            let n = events.fetch_add(1, Ordering::Relaxed) + 1;
            ctx.progress(f64::from(n), None, Some(message));
        };
        run_saga(&saga, &safe.store, safe.retry, input, principal(self), &progress).await.map_err(|e| {
            ToolError::new(format!(
                "The saga journal could not record the start of `{name}` ({e}), so nothing was run or changed. Try \
                 again in a moment."
            ))
        })
    }
}

impl Server {
    /// Finishes the sagas a crash interrupted: call it once at start-up, before serving. Each
    /// saga the journal says is running, compensating or needing attention is undone (or, for a
    /// saga marked [`Recovery::Forward`](crate::safe::Recovery::Forward) that was running,
    /// completed). A compensation that still fails leaves its saga needing attention, with an
    /// audit event. `Err` when the journal cannot be read (a corrupt or locked file): a
    /// start-up error, since serving would let new writes pile onto an unknown state.
    ///
    /// ```
    /// use mcp_connector_core::Server;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let server = Server::builder("s", "1").build().unwrap();
    /// let report = server.recover_sagas().await.unwrap();
    /// assert!(report.recovered.is_empty());
    /// # });
    /// ```
    pub async fn recover_sagas(&self) -> Result<RecoveryReport, StoreError> {
        let safe = self.safe_writes();
        recover(&safe.sagas, &safe.store, safe.retry).await
    }
}
