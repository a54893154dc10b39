//! Multi round-trip requests (2026-07-28, `basic/patterns/mrtr`): how `ctx.elicit(...)`,
//! `ctx.create_message(...)` and `ctx.list_roots()` work when there is no channel to send the
//! client a request.
//!
//! The handler runs; the first time it asks for input that the request does not carry, the
//! ask is recorded and the handler is stopped (its future dropped, as on cancellation). The
//! server answers with an `InputRequiredResult` listing what was asked, and a `requestState`
//! holding every answer received so far, sealed with HMAC-SHA256. The client answers and
//! retries; the handler runs again from the top, and this time each ask finds its answer, in
//! `inputResponses` or in the state. Asks are keyed by kind and call order (`elicitation-1`,
//! `sampling-1`, ...) unless the handler names them ([`Context::with_input_key`]), so a handler
//! that asks the same questions in the same order on every run needs no other bookkeeping.
//!
//! The state binds the method, the tool, prompt or resource, a digest of the arguments, the
//! caller (the `sub` of verified claims, when there are any) and an expiry; a state presented
//! with anything else, tampered with, too large or expired is refused with `-32602`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::canonical::Numbers;
use crate::error::{BuildError, McpError};
use crate::jsonrpc::code;
use crate::protocol::{InputRequest, InputRequiredResult, ResultType};

/// The largest `requestState` the server accepts back (and will issue), in bytes.
pub(crate) const MAX_REQUEST_STATE_BYTES: usize = 64 * 1024;

type HmacSha256 = Hmac<Sha256>;

/// Seals and opens `requestState` with the server's key.
pub(crate) struct StateSealer {
    /// HMAC-SHA256 with the key already absorbed: each seal and open clones it rather than
    /// hashing the key into a fresh MAC.
    keyed: HmacSha256,
    ttl: Duration,
}

impl std::fmt::Debug for StateSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateSealer").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

/// What the server needs to see again on the retry, and what binds the state to one request.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct StatePayload {
    /// Format version, so a future layout is refused cleanly rather than misread.
    v: u8,
    /// The method (`tools/call`, ...).
    m: String,
    /// The tool or prompt name, or the resource URI.
    t: String,
    /// SHA-256 of the canonical arguments, hex.
    d: String,
    /// The authenticated caller, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    e: u64,
    /// Every answer so far, by key.
    a: Map<String, Value>,
    /// For each key asked so far, a digest of the question (method and params): an answer
    /// counts only for the question it was given to.
    #[serde(default)]
    q: Map<String, Value>,
}

/// What a `requestState` carries from one round to the next.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Carried {
    /// Every answer so far, by key.
    pub(crate) answers: Map<String, Value>,
    /// The digest of the question each key was asked with.
    pub(crate) questions: Map<String, Value>,
}

/// SHA-256 of an input request's method and canonical params, hex.
fn question_digest(request: &InputRequest) -> String {
    let mut canonical = request.method.clone().into_bytes();
    canonical.push(b'\n');
    if let Some(params) = &request.params {
        crate::canonical::write(params, Numbers::AsWritten, &mut canonical);
    }
    hex(&Sha256::digest(&canonical))
}

/// Lower-case hex, two digits a byte. Written out by hand rather than with a `format!` per
/// byte (a `String` and a formatter run each): a binding is digested on every modern
/// `tools/call`, `prompts/get` and `resources/read`, whether or not the handler asks for input,
/// and 32 `format!`s cost more than the rest of the dispatch of a small call
/// (benches/README.md).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// The request a state belongs to: method, target, arguments and caller.
///
/// Built for every modern `tools/call`, `prompts/get` and `resources/read`, though most ask for
/// no input and carry no `requestState`: it is used only when a state is sealed or opened. So
/// it is kept cheap to build and to drop. The method, the target and the arguments share one
/// buffer, one allocation, where owned copies cost one each and a copy of the arguments map
/// one per node, key and value (with their frees, ~1,900 instructions of a small modern call in
/// the callgrind profile). The arguments cannot be borrowed instead: the handler owns them by
/// the time a state is sealed. Their digest (SHA-256 of their canonical form, hex) is taken
/// only when a state is sealed or opened: it cost more than the rest of the input round.
///
/// A call the `tools/call` frame reader decoded keeps its arguments as the text the client
/// wrote ([`Binding::with_text`]), copied as it is and written canonically only for the
/// digest: writing them canonically up front was ~400 instructions of every modern call, for a
/// digest most calls never take. The general path, which has only the map, writes the
/// canonical form at once ([`Binding::new`]). Both give the same digest for the same request
/// (a test compares them).
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    /// `method`, then `target`, then the arguments (nothing when there are none): canonical,
    /// or the client's text when `as_written`.
    bound: Vec<u8>,
    method_end: usize,
    target_end: usize,
    /// Whether the arguments in `bound` are the client's text of the object, to be read and
    /// written canonically when digested.
    as_written: bool,
    digest: OnceLock<String>,
    pub(crate) principal: Option<String>,
}

impl PartialEq for Binding {
    fn eq(&self, other: &Self) -> bool {
        self.method() == other.method()
            && self.target() == other.target()
            && self.principal == other.principal
            && self.digest() == other.digest()
    }
}

impl Binding {
    /// Binds a request by its method, its target (tool or prompt name, resource URI), its
    /// arguments (digested in a key order that does not depend on how they were sent) and the
    /// caller.
    pub(crate) fn new(
        method: &str,
        target: &str,
        arguments: Option<&Map<String, Value>>,
        principal: Option<String>,
    ) -> Self {
        // Room for the method, the target and small arguments without growing.
        let mut binding = Binding::start(method, target, 64, principal);
        if let Some(arguments) = arguments {
            crate::canonical::write_object(arguments, Numbers::AsWritten, &mut binding.bound);
        }
        binding
    }

    /// [`Binding::new`] for arguments given as the text of a JSON object that serde_json reads
    /// (the `tools/call` frame reader checked it, and read the handler's map from it the way
    /// serde_json does): the same binding, its canonical form written only if it is digested.
    pub(crate) fn with_text(method: &str, target: &str, arguments: &str, principal: Option<String>) -> Self {
        let mut binding = Binding::start(method, target, arguments.len(), principal);
        binding.bound.extend_from_slice(arguments.as_bytes());
        binding.as_written = true;
        binding
    }

    /// The method and the target, in a buffer with room for `arguments` bytes more.
    fn start(method: &str, target: &str, arguments: usize, principal: Option<String>) -> Self {
        let mut bound = Vec::with_capacity(method.len() + target.len() + arguments);
        bound.extend_from_slice(method.as_bytes());
        let method_end = bound.len();
        bound.extend_from_slice(target.as_bytes());
        let target_end = bound.len();
        Binding { bound, method_end, target_end, as_written: false, digest: OnceLock::new(), principal }
    }

    /// The method (`tools/call`, ...).
    pub(crate) fn method(&self) -> &str {
        // Copied from a `&str` whole: always UTF-8.
        std::str::from_utf8(&self.bound[..self.method_end]).unwrap_or_default()
    }

    /// The tool or prompt name, or the resource URI.
    pub(crate) fn target(&self) -> &str {
        std::str::from_utf8(&self.bound[self.method_end..self.target_end]).unwrap_or_default()
    }

    /// The digest of the arguments, in a key order that does not depend on how they were sent.
    pub(crate) fn digest(&self) -> &str {
        self.digest.get_or_init(|| {
            let arguments = &self.bound[self.target_end..];
            if !self.as_written {
                return hex(&Sha256::digest(arguments));
            }
            // The text is an object serde_json reads (see `with_text`). Were it not, it is
            // digested as it is: no canonical form (valid JSON, always) has those bytes.
            let Ok(map) = serde_json::from_slice::<Map<String, Value>>(arguments) else {
                return hex(&Sha256::digest(arguments));
            };
            let mut canonical = Vec::with_capacity(arguments.len());
            crate::canonical::write_object(&map, Numbers::AsWritten, &mut canonical);
            hex(&Sha256::digest(&canonical))
        })
    }
}

impl StateSealer {
    /// A sealer with the author's key, or a random one.
    pub(crate) fn new(key: Option<Vec<u8>>, ttl: Duration) -> Result<Self, BuildError> {
        let key = match key {
            Some(key) if key.len() < 32 => {
                return Err(BuildError::InvalidRequestStateKey {
                    why: format!("it is {} bytes long; use at least 32 random bytes", key.len()),
                });
            }
            Some(key) => key,
            None => {
                let mut key = vec![0u8; 32];
                getrandom::fill(&mut key).map_err(|e| BuildError::InvalidRequestStateKey {
                    why: format!("no key was given and the OS could not supply random bytes: {e}"),
                })?;
                key
            }
        };
        // HMAC takes a key of any length; this cannot fail.
        let keyed = <HmacSha256 as Mac>::new_from_slice(&key).unwrap_or_else(|_| unreachable!());
        Ok(StateSealer { keyed, ttl })
    }

    fn mac(&self) -> HmacSha256 {
        self.keyed.clone()
    }

    /// Seals any payload with the server's key, under a `domain` label absorbed into the MAC
    /// first, so that a value sealed for one purpose (a confirmation token) never opens as
    /// another (a `requestState`, whose MAC input starts with `{`). `base64url(payload).base64url(tag)`.
    pub(crate) fn seal_bytes(&self, domain: &[u8], payload: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(domain);
        mac.update(payload);
        let tag = mac.finalize().into_bytes();
        format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(tag))
    }

    /// Opens what [`StateSealer::seal_bytes`] sealed under `domain`; `None` when it is not
    /// well-formed or its tag does not verify (constant-time).
    pub(crate) fn open_bytes(&self, domain: &[u8], sealed: &str) -> Option<Vec<u8>> {
        if sealed.len() > MAX_REQUEST_STATE_BYTES {
            return None;
        }
        let (body, tag) = sealed.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(body).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut mac = self.mac();
        mac.update(domain);
        mac.update(&payload);
        mac.verify_slice(&tag).ok()?;
        Some(payload)
    }

    /// Seals the answers and questions so far for `binding`.
    pub(crate) fn seal(&self, binding: &Binding, carried: &Carried) -> Result<String, McpError> {
        let payload = StatePayload {
            v: 1,
            m: binding.method().to_owned(),
            t: binding.target().to_owned(),
            d: binding.digest().to_owned(),
            p: binding.principal.clone(),
            e: now_secs().saturating_add(self.ttl.as_secs()),
            a: carried.answers.clone(),
            q: carried.questions.clone(),
        };
        let json = serde_json::to_vec(&payload).map_err(McpError::internal)?;
        let mut mac = self.mac();
        mac.update(&json);
        let tag = mac.finalize().into_bytes();
        let sealed = format!("{}.{}", URL_SAFE_NO_PAD.encode(&json), URL_SAFE_NO_PAD.encode(tag));
        if sealed.len() > MAX_REQUEST_STATE_BYTES {
            return Err(McpError::internal(format!(
                "the answers gathered for this request no longer fit in a requestState ({} bytes, at most {MAX_REQUEST_STATE_BYTES}); ask for less input per request",
                sealed.len()
            )));
        }
        Ok(sealed)
    }

    /// Opens a state the client echoed, checking its seal, age and binding; returns what it
    /// carries.
    pub(crate) fn open(&self, sealed: &str, binding: &Binding) -> Result<Carried, McpError> {
        let refuse = |why: &str| {
            McpError::invalid_params(format!(
                "Invalid requestState: {why}. Send the request again without inputResponses or requestState to start over."
            ))
        };
        if sealed.len() > MAX_REQUEST_STATE_BYTES {
            return Err(refuse("it is larger than this server ever issues"));
        }
        let (body, tag) =
            sealed.split_once('.').ok_or_else(|| refuse("it is not a state this server issued"))?;
        let json =
            URL_SAFE_NO_PAD.decode(body).map_err(|_| refuse("it is not a state this server issued"))?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| refuse("it is not a state this server issued"))?;
        let mut mac = self.mac();
        mac.update(&json);
        mac.verify_slice(&tag)
            .map_err(|_| refuse("its integrity check failed (it was altered or signed with another key)"))?;
        let payload: StatePayload =
            serde_json::from_slice(&json).map_err(|_| refuse("it has a layout this server does not read"))?;
        if payload.v != 1 {
            return Err(refuse("it has a layout this server does not read"));
        }
        if payload.e < now_secs() {
            return Err(refuse("it has expired"));
        }
        if payload.m != binding.method() || payload.t != binding.target() || payload.d != binding.digest() {
            return Err(refuse("it belongs to a different request (method, name or arguments differ)"));
        }
        if payload.p != binding.principal {
            return Err(refuse("it was issued to a different caller"));
        }
        Ok(Carried { answers: payload.a, questions: payload.q })
    }
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// One run of a handler in a modern request that may need input: the answers it can use, and
/// what it asked for that had no answer.
pub(crate) struct InputRound {
    answers: Map<String, Value>,
    questions: Map<String, Value>,
    asked: Mutex<BTreeMap<String, InputRequest>>,
    /// Capabilities the handler needed and the request did not declare.
    missing: Mutex<BTreeSet<&'static str>>,
    /// How many asks of each kind the handler made, for their keys: a handful of kinds, so a
    /// list (a std `HashMap` read its random keys from a thread local for every request).
    calls: Mutex<Vec<(&'static str, usize)>>,
    /// Set once the handler asked for input it does not have, or needed a capability the
    /// request did not declare; `needed_now` wakes whoever waits on it. Not a
    /// `CancellationToken`, which allocates (a tree node) for every round made, while most
    /// rounds never see an ask (~300 instructions of a modern call).
    needed: AtomicBool,
    needed_now: Notify,
    binding: Binding,
}

impl std::fmt::Debug for InputRound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InputRound").field("answers", &self.answers.len()).finish_non_exhaustive()
    }
}

impl InputRound {
    /// The round for a request: the answers sealed in its `requestState` (verified), then the
    /// ones in its `inputResponses` (newer wins).
    pub(crate) fn start(
        sealer: &StateSealer,
        binding: Binding,
        carried: &crate::request::InputCarried,
    ) -> Result<Self, McpError> {
        let Carried { mut answers, questions } = match &carried.request_state {
            None | Some(Value::Null) => Carried::default(),
            Some(Value::String(sealed)) => sealer.open(sealed, &binding)?,
            Some(_) => return Err(McpError::invalid_params("Invalid requestState: it must be a string")),
        };
        match &carried.input_responses {
            None | Some(Value::Null) => {}
            Some(Value::Object(responses)) => {
                for (key, response) in responses {
                    if !response.is_object() {
                        return Err(McpError::invalid_params(format!(
                            "Invalid inputResponses: the response for `{key}` must be an object (an ElicitResult, CreateMessageResult or ListRootsResult)"
                        )));
                    }
                    answers.insert(key.clone(), response.clone());
                }
            }
            Some(_) => {
                return Err(McpError::invalid_params(
                    "Invalid inputResponses: it must be an object mapping each inputRequests key to the client's result",
                ));
            }
        }
        Ok(InputRound {
            answers,
            questions,
            asked: Mutex::new(BTreeMap::new()),
            missing: Mutex::new(BTreeSet::new()),
            calls: Mutex::new(Vec::new()),
            needed: AtomicBool::new(false),
            needed_now: Notify::new(),
            binding,
        })
    }

    /// The key of the next ask of this kind: `elicitation-1`, `elicitation-2`, ...
    pub(crate) fn next_key(&self, kind: &'static str) -> String {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        let n = match calls.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                calls.push((kind, 1));
                1
            }
        };
        format!("{kind}-{n}")
    }

    /// The client's answer for `key`, when the request carries one given to this very
    /// question. When the state says `key` was asked with other content (the handler's question
    /// changed between rounds, say because the data it lists changed), the old answer does not
    /// count and the question is asked again: a user's "yes" is never applied to a question
    /// they were not shown.
    pub(crate) fn answer(&self, key: &str, request: &InputRequest) -> Option<&Value> {
        match self.questions.get(key) {
            Some(asked) if asked.as_str() != Some(question_digest(request).as_str()) => {
                tracing::info!(key, "the question changed since the client answered it; asking again");
                None
            }
            _ => self.answers.get(key),
        }
    }

    /// Records an ask without an answer; the server stops the handler and returns
    /// `input_required`.
    pub(crate) fn ask(&self, key: String, request: InputRequest) {
        self.asked.lock().unwrap_or_else(|e| e.into_inner()).insert(key, request);
        self.signal_needed();
    }

    /// Records that the handler needs a client capability (`elicitation`, `sampling`, `roots`)
    /// the request did not declare; the server stops the handler and answers
    /// `MissingRequiredClientCapabilityError` (basic/index, "_meta": a server MUST NOT rely on
    /// capabilities the client has not declared, and MUST answer -32021 when processing the
    /// request requires one).
    pub(crate) fn require(&self, capability: &'static str) {
        self.missing.lock().unwrap_or_else(|e| e.into_inner()).insert(capability);
        self.signal_needed();
    }

    /// Resolves once the handler asked for input it does not have, or needed a capability the
    /// request did not declare.
    /// Borrows the round (which lives in the request's context) rather than holding a handle
    /// of its own: the dispatcher keeps the context while it waits.
    pub(crate) async fn needed(&self) {
        loop {
            let notified = self.needed_now.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the flag is read: a signal in between still wakes this.
            notified.as_mut().enable();
            if self.needed.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }

    fn signal_needed(&self) {
        self.needed.store(true, Ordering::Release);
        self.needed_now.notify_waiters();
    }

    /// The `input_required` result for what was asked, with the answers so far sealed; or, when
    /// the handler needed a capability the request did not declare, the `-32021` error naming
    /// every such capability in `data.requiredCapabilities` (a `ClientCapabilities` object).
    pub(crate) fn input_required(&self, sealer: &StateSealer) -> Result<InputRequiredResult, McpError> {
        let missing = std::mem::take(&mut *self.missing.lock().unwrap_or_else(|e| e.into_inner()));
        if !missing.is_empty() {
            let names: Vec<&str> = missing.iter().copied().collect();
            let required: Map<String, Value> =
                missing.iter().map(|c| ((*c).to_owned(), Value::Object(Map::new()))).collect();
            return Err(McpError::new(
                code::MISSING_REQUIRED_CLIENT_CAPABILITY,
                format!(
                    "Server requires the {} client capability for this request; declare it in `_meta[\"io.modelcontextprotocol/clientCapabilities\"]`",
                    names.join(" and ")
                ),
            )
            .with_data(serde_json::json!({ "requiredCapabilities": required })));
        }
        let asked = std::mem::take(&mut *self.asked.lock().unwrap_or_else(|e| e.into_inner()));
        let mut carried = Carried { answers: self.answers.clone(), questions: self.questions.clone() };
        for (key, request) in &asked {
            // A re-asked key's old answer (to another question) is dropped with it.
            carried.answers.remove(key);
            carried.questions.insert(key.clone(), Value::String(question_digest(request)));
        }
        Ok(InputRequiredResult {
            result_type: ResultType::InputRequired,
            input_requests: Some(asked),
            request_state: Some(sealer.seal(&self.binding, &carried)?),
            meta: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sealer() -> StateSealer {
        StateSealer::new(Some(vec![7; 32]), Duration::from_secs(60)).unwrap()
    }

    fn binding() -> Binding {
        Binding::new("tools/call", "deploy", json!({"b": 1, "a": [1, {"y": 2, "x": 1}]}).as_object(), None)
    }

    #[test]
    fn a_sealed_state_opens_with_its_answers() {
        let mut carried = Carried::default();
        carried.answers.insert("elicitation-1".into(), json!({"action": "accept"}));
        carried.questions.insert("elicitation-1".into(), json!("abc"));
        let sealed = sealer().seal(&binding(), &carried).unwrap();
        assert_eq!(sealer().open(&sealed, &binding()).unwrap(), carried);
    }

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        let every: Vec<u8> = (0..=255).collect();
        let expected: String = every.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex(&every), expected);
        assert_eq!(binding().digest().len(), 64);
    }

    /// The digests are part of every `requestState` in flight: a state sealed before an upgrade
    /// must still open after it, so the canonical form may not change by a byte.
    #[test]
    fn digests_are_stable_across_releases() {
        let arguments = json!({
            "z": [1, -2, 3.5, 1e300, true, false, null],
            "a": {"quote\"": "line\nbreak \u{1}", "é": "ünïcødé", "": {}},
            "m": [],
        });
        let digest = Binding::new("tools/call", "deploy", arguments.as_object(), None).digest().to_owned();
        let request = InputRequest {
            method: "elicitation/create".into(),
            params: Some(
                json!({"message": "Really?", "requestedSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}),
            ),
        };
        assert_eq!(digest, "ea63b977ed6e30b4f509a5d04ccc06008308ca82da35259804471540e1890025");
        // The same arguments as a client may write them, read only for the digest.
        let text = r#"{ "m": [], "a": {"\u00e9": "\u00fcn\u00efc\u00f8d\u00e9", "": {}, "quote\"": "line\nbreak \u0001"},
            "z": [1, -2, 3.5, 1e300, true, false, null] }"#;
        let written = Binding::with_text("tools/call", "deploy", text, None);
        assert_eq!(written.digest(), "ea63b977ed6e30b4f509a5d04ccc06008308ca82da35259804471540e1890025");
        assert_eq!(
            question_digest(&request),
            "513d080714073aa61a9d52cef9c415d1dfc1e1ce329a296a048ba30581c0e879"
        );
    }

    #[test]
    fn argument_order_does_not_change_the_digest() {
        let reordered = Binding::new(
            "tools/call",
            "deploy",
            json!({"a": [1, {"x": 1, "y": 2}], "b": 1}).as_object(),
            None,
        );
        assert_eq!(reordered, binding());
    }

    #[test]
    fn any_flipped_byte_is_refused() {
        let sealed = sealer().seal(&binding(), &Carried::default()).unwrap();
        for i in 0..sealed.len() {
            let mut bytes = sealed.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).unwrap();
            if tampered != sealed {
                assert!(sealer().open(&tampered, &binding()).is_err(), "byte {i} accepted");
            }
        }
    }

    #[test]
    fn another_key_another_request_or_another_caller_is_refused() {
        let sealed = sealer().seal(&binding(), &Carried::default()).unwrap();
        let other_key = StateSealer::new(Some(vec![8; 32]), Duration::from_secs(60)).unwrap();
        assert!(other_key.open(&sealed, &binding()).unwrap_err().message.contains("integrity"));
        let other_args = Binding::new("tools/call", "deploy", json!({"b": 2}).as_object(), None);
        assert!(sealer().open(&sealed, &other_args).unwrap_err().message.contains("different request"));
        let other_caller = Binding { principal: Some("mallory".into()), ..binding() };
        assert!(sealer().open(&sealed, &other_caller).unwrap_err().message.contains("different caller"));
    }

    #[test]
    fn an_expired_state_is_refused() {
        let sealer = StateSealer::new(Some(vec![7; 32]), Duration::from_secs(0)).unwrap();
        let mut payload = serde_json::to_value(StatePayload {
            v: 1,
            m: "tools/call".into(),
            t: "deploy".into(),
            d: binding().digest().to_owned(),
            p: None,
            e: now_secs() - 1,
            a: Map::new(),
            q: Map::new(),
        })
        .unwrap();
        let json = serde_json::to_vec(&payload.take()).unwrap();
        let mut mac = sealer.mac();
        mac.update(&json);
        let sealed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&json),
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        assert!(sealer.open(&sealed, &binding()).unwrap_err().message.contains("expired"));
    }

    /// The dispatcher waits on `needed` while the handler runs: an ask made before it waits,
    /// or while it waits, both end the wait.
    #[test]
    fn an_ask_ends_the_wait_for_input_whenever_it_is_made() {
        use std::future::Future;
        use std::task::{Context, Poll, Waker};

        let round = || {
            let carried = crate::request::InputCarried::default();
            InputRound::start(&sealer(), binding(), &carried).unwrap()
        };
        let request = || InputRequest { method: "roots/list".into(), params: None };
        let mut cx = Context::from_waker(Waker::noop());

        let before = round();
        before.ask(before.next_key("roots"), request());
        assert!(matches!(std::pin::pin!(before.needed()).poll(&mut cx), Poll::Ready(())));

        let during = round();
        let mut wait = std::pin::pin!(during.needed());
        assert!(wait.as_mut().poll(&mut cx).is_pending());
        during.require("roots");
        assert!(wait.as_mut().poll(&mut cx).is_ready());
        assert_eq!(during.next_key("roots"), "roots-1");
        assert_eq!(during.next_key("sampling"), "sampling-1");
        assert_eq!(during.next_key("roots"), "roots-2");
    }

    #[test]
    fn a_short_key_is_a_build_error() {
        assert!(StateSealer::new(Some(b"short".to_vec()), Duration::from_secs(1)).is_err());
    }
}
