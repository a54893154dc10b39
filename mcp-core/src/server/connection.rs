//! What one connection remembers between requests: the handshake's outcome (legacy era), the
//! log level and subscriptions it set, its requests in flight, and the requests the server
//! sent the client and still waits on. [`Session`](super::Session) dispatches; a
//! [`Context`](super::Context) reaches the connection to talk back to the client.

use std::collections::HashSet;

use foldhash::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

use super::context::Canceller;
use super::{Outbound, Server};
use crate::error::ClientRequestError;
use crate::jsonrpc::{ErrorObject, Message, RequestId};
use crate::protocol::{ClientCapabilities, Implementation, LoggingLevel, ProtocolVersion, method};
use crate::request::no_capabilities;

/// One connection's state, shared by its session and the contexts of its requests.
pub(crate) struct Connection {
    pub(crate) server: Server,
    state: Mutex<ConnectionState>,
    pub(crate) in_flight: Mutex<InFlight>,
    /// The in-flight `subscriptions/listen` requests: they never finish on their own, so the
    /// end of input ends them.
    pub(crate) listening: Mutex<HashSet<RequestId>>,
    pending: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, ErrorObject>>>>,
    next_request_id: AtomicI64,
    notifications: Outbound,
    pub(crate) input_closed: AtomicBool,
    /// Unique in the process: scopes the retry window of anonymous callers (`server/safe.rs`).
    pub(crate) id: u64,
}

/// The requests of a connection still running, by id, with the handle that cancels each
/// (a handle on the request's context: see [`Canceller`]).
///
/// The first lives in place and a map is made only for a second one at the same time: a
/// stateless HTTP request, and every 2026-07-28 request, has a session of its own, where the
/// map cost an allocation (its table) and its free for the one entry it ever held (~300
/// instructions of every such request in the callgrind profile). A second request with the
/// id of one running replaces its handle, as a map insert does.
pub(crate) struct InFlight<C = Canceller> {
    first: Option<(RequestId, C)>,
    /// Keyed by ids the client picks: foldhash is seeded per map (see Cargo.toml).
    more: HashMap<RequestId, C>,
}

impl<C> Default for InFlight<C> {
    fn default() -> Self {
        InFlight { first: None, more: HashMap::default() }
    }
}

impl<C> InFlight<C> {
    pub(crate) fn insert(&mut self, id: RequestId, canceller: C) {
        match &mut self.first {
            Some((first, slot)) if *first == id => *slot = canceller,
            Some(_) => {
                self.more.insert(id, canceller);
            }
            // An id can be in `more` only while `first` holds another one: `remove` moves
            // nothing back, so `first` empties only when its own request ends.
            None if self.more.contains_key(&id) => {
                self.more.insert(id, canceller);
            }
            None => self.first = Some((id, canceller)),
        }
    }

    /// Removes the entry of `id` and returns it, to be dropped after the lock is let go.
    pub(crate) fn remove(&mut self, id: &RequestId) -> Option<C> {
        match &self.first {
            Some((first, _)) if first == id => self.first.take().map(|(_, canceller)| canceller),
            _ => self.more.remove(id),
        }
    }

    pub(crate) fn get(&self, id: &RequestId) -> Option<&C> {
        match &self.first {
            Some((first, canceller)) if first == id => Some(canceller),
            _ => self.more.get(id),
        }
    }

    /// The handles of every request running.
    pub(crate) fn cancellers(&self) -> impl Iterator<Item = &C> {
        self.first.iter().map(|(_, canceller)| canceller).chain(self.more.values())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.more.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Whether `capabilities` declare nothing at all, so [`no_capabilities`] stands for them.
/// Read field by field rather than compared with a default one, which had to be built and
/// dropped (an empty `BTreeMap` walks an iterator when dropped); the pattern names every
/// field, so a field added later cannot be missed.
pub(crate) fn declares_nothing(capabilities: &ClientCapabilities) -> bool {
    matches!(
        capabilities,
        ClientCapabilities {
            experimental: None,
            roots: None,
            sampling: None,
            elicitation: None,
            tasks: None,
            extensions: None,
            other,
        } if other.is_empty()
    )
}

/// What `initialize`, `logging/setLevel` and `resources/subscribe` set (legacy era).
pub(crate) struct ConnectionState {
    pub(crate) version: Option<ProtocolVersion>,
    /// Shared with every request's facts, so a legacy request copies a pointer, not the map.
    pub(crate) capabilities: Arc<ClientCapabilities>,
    pub(crate) client_info: Option<Arc<Implementation>>,
    pub(crate) initialized: bool,
    pub(crate) log_level: Option<LoggingLevel>,
    pub(crate) subscriptions: HashSet<String>,
}

/// What a session remembers between requests, as data: enough to serve the session's next
/// request in another process (a replica behind a load balancer) exactly as this one would.
/// Requests in flight and requests waiting on the client are not part of it: they live with
/// the process running them.
///
/// ```
/// use mcp_connector_core::{Outbound, Server, SessionState};
///
/// let server = Server::builder("demo", "1").build().unwrap();
/// let session = server.session(Outbound::closed());
/// let state: SessionState = session.state();
/// assert!(state.protocol_version.is_none(), "no initialize yet");
/// let again = server.restore_session(&state, Outbound::closed());
/// assert_eq!(again.state(), state);
/// ```
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionState {
    /// The negotiated version; `None` before `initialize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol_version: Option<ProtocolVersion>,
    /// The capabilities the client declared in `initialize`.
    #[serde(default)]
    pub client_capabilities: ClientCapabilities,
    /// The `clientInfo` of `initialize`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_info: Option<Implementation>,
    /// Whether `notifications/initialized` arrived.
    #[serde(default)]
    pub initialized: bool,
    /// The level `logging/setLevel` set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_level: Option<LoggingLevel>,
    /// The resources `resources/subscribe` subscribed to, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscriptions: Vec<String>,
}

impl Default for ConnectionState {
    fn default() -> Self {
        ConnectionState {
            version: None,
            capabilities: no_capabilities(),
            client_info: None,
            initialized: false,
            log_level: None,
            subscriptions: HashSet::new(),
        }
    }
}

impl ConnectionState {
    pub(crate) fn snapshot(&self) -> SessionState {
        let mut subscriptions: Vec<String> = self.subscriptions.iter().cloned().collect();
        subscriptions.sort_unstable();
        SessionState {
            protocol_version: self.version.clone(),
            client_capabilities: (*self.capabilities).clone(),
            client_info: self.client_info.as_deref().cloned(),
            initialized: self.initialized,
            log_level: self.log_level,
            subscriptions,
        }
    }

    pub(crate) fn restore(&mut self, state: &SessionState) {
        self.version = state.protocol_version.clone();
        self.capabilities = Arc::new(state.client_capabilities.clone());
        self.client_info = state.client_info.clone().map(Arc::new);
        self.initialized = state.initialized;
        self.log_level = state.log_level;
        self.subscriptions = state.subscriptions.iter().cloned().collect();
    }
}

impl Connection {
    pub(crate) fn new(server: Server, notifications: Outbound) -> Self {
        Connection {
            server,
            state: Mutex::new(ConnectionState::default()),
            in_flight: Mutex::new(InFlight::default()),
            listening: Mutex::new(HashSet::new()),
            pending: Mutex::new(HashMap::default()),
            next_request_id: AtomicI64::new(0),
            notifications,
            input_closed: AtomicBool::new(false),
            id: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                NEXT.fetch_add(1, Ordering::Relaxed)
            },
        }
    }

    pub(crate) fn lock_state(&self) -> MutexGuard<'_, ConnectionState> {
        // A panic while holding this lock cannot leave the state half-written (every write is
        // a single assignment), so a poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn server(&self) -> &Server {
        &self.server
    }

    pub(crate) fn protocol_version(&self) -> ProtocolVersion {
        self.lock_state().version.clone().unwrap_or_default()
    }

    pub(crate) fn wants_log(&self, level: LoggingLevel) -> bool {
        self.lock_state().log_level.is_none_or(|min| level >= min)
    }

    pub(crate) fn is_subscribed(&self, uri: &str) -> bool {
        self.lock_state().subscriptions.contains(uri)
    }

    /// Whether server-initiated notifications may be sent (after `initialize`).
    pub(crate) fn is_ready(&self) -> bool {
        let state = self.lock_state();
        state.version.is_some() || state.initialized
    }

    pub(crate) fn notify(&self, message: Message) {
        self.notifications.send(message);
    }

    pub(crate) fn complete_pending(&self, id: &RequestId, result: Result<Value, ErrorObject>) {
        let sender = self.pending.lock().ok().and_then(|mut p| p.remove(id));
        match sender {
            Some(sender) => {
                let _ = sender.send(result);
            }
            None => tracing::warn!(%id, "a response arrived for no request the server sent"),
        }
    }

    pub(crate) fn is_waiting_for(&self, id: &RequestId) -> bool {
        self.pending.lock().is_ok_and(|p| p.contains_key(id))
    }

    pub(crate) fn fail_pending(&self) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.clear();
        }
    }

    /// Sends a request to the client on `replies` and waits for its answer (legacy era).
    pub(crate) async fn request_client(
        &self,
        method: &str,
        params: Value,
        replies: &Outbound,
        cancel: &CancellationToken,
    ) -> Result<Value, ClientRequestError> {
        if self.input_closed.load(Ordering::Relaxed) {
            return Err(ClientRequestError::Disconnected);
        }
        let id = RequestId::from(self.next_request_id.fetch_add(1, Ordering::Relaxed) + 1);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id.clone(), tx);
        }
        if !replies.send(Message::request(id.clone(), method, Some(params))) {
            self.forget_pending(&id);
            return Err(ClientRequestError::Disconnected);
        }
        let timeout = self.server.client_request_timeout();
        let outcome = tokio::select! {
            answer = tokio::time::timeout(timeout, rx) => answer,
            _ = cancel.cancelled() => {
                self.forget_pending(&id);
                return Err(ClientRequestError::Disconnected);
            }
        };
        match outcome {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(error))) => Err(ClientRequestError::Refused(error)),
            Ok(Err(_)) => Err(ClientRequestError::Disconnected),
            Err(_) => {
                self.forget_pending(&id);
                let params = serde_json::json!({ "requestId": id, "reason": "timed out" });
                replies.send(Message::notification(method::CANCELLED, Some(params)));
                Err(ClientRequestError::Timeout(timeout))
            }
        }
    }

    fn forget_pending(&self, id: &RequestId) {
        if let Ok(mut pending) = self.pending.lock() {
            pending.remove(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot in place and the map behave as one map: each id finds its own token, a
    /// repeated id replaces the token, whichever place it is in, and nothing is left behind.
    #[test]
    fn requests_in_flight_are_found_by_id_wherever_they_are_kept() {
        let mut in_flight = InFlight::<CancellationToken>::default();
        let tokens: Vec<CancellationToken> = (0..4).map(|_| CancellationToken::new()).collect();
        let (a, b, c) = (RequestId::from(1), RequestId::from("b"), RequestId::from(3));
        in_flight.insert(a.clone(), tokens[0].clone());
        in_flight.insert(b.clone(), tokens[1].clone());
        in_flight.insert(c.clone(), tokens[2].clone());
        assert_eq!(in_flight.len(), 3);
        in_flight.get(&b).unwrap().cancel();
        assert!(tokens[1].is_cancelled() && !tokens[0].is_cancelled() && !tokens[2].is_cancelled());

        in_flight.remove(&a);
        // `b` is in the map while the slot is free: a repeat of it replaces it there.
        in_flight.insert(b.clone(), tokens[3].clone());
        assert_eq!(in_flight.len(), 2);
        in_flight.get(&b).unwrap().cancel();
        assert!(tokens[3].is_cancelled());
        assert_eq!(in_flight.cancellers().count(), 2);

        in_flight.remove(&b);
        in_flight.remove(&c);
        assert!(in_flight.is_empty() && in_flight.get(&a).is_none() && in_flight.get(&c).is_none());
        in_flight.insert(a.clone(), tokens[0].clone());
        in_flight.insert(a.clone(), tokens[2].clone());
        assert_eq!(in_flight.len(), 1);
        in_flight.get(&a).unwrap().cancel();
        assert!(tokens[2].is_cancelled() && !tokens[0].is_cancelled(), "the later token replaced the first");
    }

    #[test]
    fn a_session_without_capabilities_shares_them() {
        let (one, two) = (ConnectionState::default(), ConnectionState::default());
        assert!(Arc::ptr_eq(&one.capabilities, &two.capabilities));
        assert_eq!(*one.capabilities, ClientCapabilities::default());
        assert!(declares_nothing(&ClientCapabilities::default()));
        let roots = ClientCapabilities { roots: Some(serde_json::json!({})), ..Default::default() };
        assert!(!declares_nothing(&roots));
        let mut other = ClientCapabilities::default();
        other.other.insert("x-custom".into(), serde_json::json!({}));
        assert!(!declares_nothing(&other));
    }
}
