//! Session bookkeeping for stateful mode: ids, idle expiry, the cap, and the SSE streams of
//! each session with their event ids (2025-11-25, basic/transports, "Session Management" and
//! "Resumability and Redelivery").
//!
//! Nothing here handles a request: [`super::exchange`] does that for any [`Session`], whether
//! it came from this registry or was made for one stateless POST.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use mcp_connector_core::{Outbound, Server, Session, SessionState};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::event_store::{EventStore, StoredEvent};
use super::session_store::{SessionEvent, SessionRecord, SessionStore, SessionStoreError};
use super::sse;

/// The id of the standalone GET stream within a session; POST streams are `p1`, `p2`, ...
const STANDALONE: &str = "g";

/// Why a new session could not be opened.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// At the configured maximum.
    Full(usize),
    /// The OS random source failed.
    Random(getrandom::Error),
}

/// All sessions of one router: stateful streamable HTTP sessions and legacy SSE connections,
/// which count against the same cap.
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Arc<HttpSession>>>,
    legacy_count: AtomicU64,
    idle_timeout: Duration,
    max: usize,
    store: Arc<dyn EventStore>,
    shutdown: CancellationToken,
    reaper_started: AtomicBool,
    /// Replicas: where every replica finds the sessions (`None`: this process only).
    shared: Option<SharedSessions>,
}

/// The session store shared with other replicas, and this replica's tag in the event ids it
/// makes (so that two replicas never make the same id for one session).
struct SharedSessions {
    store: Arc<dyn SessionStore>,
    tag: String,
}

impl Sessions {
    pub(crate) fn new(
        idle_timeout: Duration,
        max: usize,
        store: Arc<dyn EventStore>,
        shutdown: CancellationToken,
        shared: Option<Arc<dyn SessionStore>>,
    ) -> Self {
        Sessions {
            map: Mutex::new(HashMap::new()),
            legacy_count: AtomicU64::new(0),
            idle_timeout,
            max,
            store,
            shutdown,
            reaper_started: AtomicBool::new(false),
            shared: shared.map(|store| SharedSessions {
                store,
                // 48 random bits: replicas of one deployment never share a tag in practice.
                tag: new_session_id()
                    .map(|id| id[..12].to_owned())
                    .unwrap_or_else(|_| format!("{:x}", std::process::id())),
            }),
        }
    }

    /// Whether the sessions are shared with other replicas (a [`SessionStore`] is set).
    pub(crate) fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<HttpSession>>> {
        // Inserts and removals are single operations; a poisoned map is still consistent.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn total(&self, map: &HashMap<String, Arc<HttpSession>>) -> usize {
        map.len() + self.legacy_count.load(Ordering::Relaxed) as usize
    }

    /// Opens a stateful session for `owner` (the principal of the `initialize`, `None` when
    /// anonymous): a new core session whose server-wide notifications feed the session's
    /// standalone stream.
    pub(crate) fn open(
        self: &Arc<Self>,
        server: &Server,
        owner: Option<Arc<str>>,
    ) -> Result<Arc<HttpSession>, OpenError> {
        let id = new_session_id().map_err(OpenError::Random)?;
        let (notifications, mut notifications_rx) = Outbound::channel();
        let session = self.make(id, owner, server.session(notifications), true);
        self.insert(&session)?;
        let standalone = session.standalone.clone();
        let closed = session.closed.clone();
        // Server-wide notifications (list_changed, resources/updated) travel on the standalone
        // GET stream, stored for redelivery even while no GET is open.
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    message = notifications_rx.recv() => match message {
                        Some(message) => standalone.emit(message.to_value().to_string()).await,
                        None => break,
                    },
                    () = closed.cancelled() => break,
                }
            }
        });
        self.start_reaper();
        Ok(session)
    }

    /// A session object; `opened_here` for one this replica opened (not a copy of another's).
    fn make(
        &self,
        id: String,
        owner: Option<Arc<str>>,
        core: Session,
        opened_here: bool,
    ) -> Arc<HttpSession> {
        let closed = CancellationToken::new();
        let tag = self.shared.as_ref().map(|s| format!("{}.", s.tag)).unwrap_or_default();
        let log = Arc::new(EventLog {
            session_id: id.clone(),
            store: self.store.clone(),
            seq: AtomicU64::new(0),
            ended: closed.clone(),
            tag,
        });
        let standalone = Arc::new(LiveStream::new(STANDALONE.to_owned(), log.clone()));
        Arc::new(HttpSession {
            id,
            owner,
            core,
            activity: Mutex::new(Activity { busy: 0, last: Instant::now() }),
            log,
            standalone,
            streams: Mutex::new(HashMap::new()),
            next_stream: AtomicU64::new(0),
            closed,
            saved: Mutex::new(None),
            opened_here,
        })
    }

    fn insert(&self, session: &Arc<HttpSession>) -> Result<(), OpenError> {
        let mut map = self.map();
        if self.total(&map) >= self.max {
            drop(map);
            self.sweep();
            map = self.map();
            if self.total(&map) >= self.max {
                return Err(OpenError::Full(self.max));
            }
        }
        map.insert(session.id.clone(), session.clone());
        Ok(())
    }

    /// Keeps a session just opened where every replica finds it.
    pub(crate) async fn publish(&self, session: &HttpSession) -> Result<(), SessionStoreError> {
        match &self.shared {
            Some(shared) => self.save(shared, session).await,
            None => Ok(()),
        }
    }

    async fn save(&self, shared: &SharedSessions, session: &HttpSession) -> Result<(), SessionStoreError> {
        let state = session.core.state();
        let record =
            SessionRecord { owner: session.owner.as_deref().map(str::to_owned), state: state.clone() };
        shared.store.save(&session.id, &record, self.idle_timeout).await?;
        *session.saved_state() = Some(state);
        Ok(())
    }

    /// After a request on a shared session: keeps what it changed (log level, subscriptions,
    /// the handshake) where the other replicas read it.
    pub(crate) async fn persist(&self, session: &HttpSession) -> Result<(), SessionStoreError> {
        let Some(shared) = &self.shared else {
            return Ok(());
        };
        let changed = session.saved_state().as_ref() != Some(&session.core.state());
        if changed { self.save(shared, session).await } else { Ok(()) }
    }

    /// The session with this id from the shared store, when it belongs to `principal`: this
    /// replica's copy, or one made from the stored record when another replica opened it.
    /// Every lookup keeps the session alive for another idle timeout, and learns whether it
    /// was deleted meanwhile (on any replica).
    pub(crate) async fn find_shared(
        self: &Arc<Self>,
        server: &Server,
        id: &str,
        principal: Option<&str>,
    ) -> Result<Option<Arc<HttpSession>>, SessionStoreError> {
        let Some(shared) = &self.shared else {
            return Ok(self.get(id, principal));
        };
        let local = self.map().get(id).cloned();
        let session = match local {
            Some(session) => {
                if session.owner.as_deref() != principal {
                    return Ok(None);
                }
                let Some(record) = shared.store.touch(id, self.idle_timeout).await? else {
                    // Deleted on another replica, or expired there.
                    self.evict(id);
                    return Ok(None);
                };
                // What another replica changed (a log level, a subscription) applies here too.
                session.refresh_from(record.state);
                session
            }
            None => {
                let Some(record) = shared.store.touch(id, self.idle_timeout).await? else {
                    return Ok(None);
                };
                if record.owner.as_deref() != principal {
                    tracing::warn!(
                        session = %id,
                        anonymous = principal.is_none(),
                        "a request named a session opened by another principal; answered as unknown"
                    );
                    return Ok(None);
                }
                // Server-wide notifications for this session are raised by the replica that
                // opened it (its copy is registered for them); this copy only serves requests.
                let core = server.restore_session(&record.state, Outbound::closed());
                let session = self.make(id.to_owned(), record.owner.map(Arc::from), core, false);
                *session.saved_state() = Some(record.state);
                let session = match self.map().get(id) {
                    // Another request made a copy meanwhile: use that one.
                    Some(existing) => return Ok(Some(existing.clone())),
                    None => session,
                };
                if self.insert(&session).is_err() {
                    tracing::warn!(session = %id, "at the session cap; serving a replica's session without keeping a copy");
                }
                self.start_reaper();
                tracing::debug!(session = %id, "serving a session another replica opened");
                session
            }
        };
        Ok(Some(session))
    }

    /// Ends and forgets a session everywhere: in this process, in the event store and in the
    /// shared session store (DELETE). `Err` when the shared store could not be told.
    pub(crate) async fn delete(&self, id: &str) -> Result<(), SessionStoreError> {
        if let Some(shared) = &self.shared {
            shared.store.remove(id).await?;
        }
        self.remove(id);
        Ok(())
    }

    /// Drops this replica's copy of a shared session without forgetting it elsewhere.
    fn evict(&self, id: &str) {
        if let Some(session) = self.map().remove(id) {
            self.end_here(&session);
        }
    }

    /// The live session with this id, when it belongs to `principal`; an idle one past its
    /// timeout is ended and not returned.
    ///
    /// A session opened by another principal (or anonymously, for a signed-in caller, and the
    /// other way round) is `None`, exactly like one that does not exist: the caller learns
    /// nothing about other users' sessions, and cannot touch, read or end them (2025-11-25,
    /// basic/security_best_practices, "Session Hijacking": bind session ids to user-specific
    /// information).
    pub(crate) fn get(&self, id: &str, principal: Option<&str>) -> Option<Arc<HttpSession>> {
        let session = self.map().get(id).cloned()?;
        if session.owner.as_deref() != principal {
            tracing::warn!(
                session = %session.id,
                anonymous = principal.is_none(),
                "a request named a session opened by another principal; answered as unknown"
            );
            return None;
        }
        if session.is_expired(self.idle_timeout) {
            self.remove(id);
            return None;
        }
        Some(session)
    }

    /// Ends and forgets a session; `false` when there was none.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let removed = self.map().remove(id);
        match removed {
            Some(session) => {
                self.end(&session);
                true
            }
            None => false,
        }
    }

    fn end(&self, session: &HttpSession) {
        tracing::debug!(session = %session.id, "session ended");
        session.core.close();
        session.closed.cancel();
        let store = self.store.clone();
        let id = session.id.clone();
        tokio::spawn(async move {
            if let Err(error) = store.remove_session(&id).await {
                tracing::warn!(%error, "the event store failed to forget a session");
            }
        });
    }

    /// Ends every idle session past its timeout.
    pub(crate) fn sweep(&self) {
        let expired: Vec<Arc<HttpSession>> = {
            let mut map = self.map();
            let ids: Vec<String> = map
                .iter()
                // Replicas: the opener's copy stays until the shared store lets the session go.
                .filter(|(_, s)| s.is_expired(self.idle_timeout) && !(self.shared.is_some() && s.opened_here))
                .map(|(id, _)| id.clone())
                .collect();
            ids.iter().filter_map(|id| map.remove(id)).collect()
        };
        for session in expired {
            if self.shared.is_some() {
                // The shared store expires the session itself; other replicas may still use it.
                self.end_here(&session);
                continue;
            }
            tracing::info!(session = %session.id, "session expired after being idle");
            self.end(&session);
        }
    }

    fn start_reaper(self: &Arc<Self>) {
        if self.reaper_started.swap(true, Ordering::Relaxed) {
            return;
        }
        if let Some(mut changed) = self.shared.as_ref().and_then(|s| s.store.watch()) {
            // Replicas: refresh this replica's copy of a session another replica changed or
            // deleted, as soon as the store says so.
            let weak: Weak<Sessions> = Arc::downgrade(self);
            tokio::spawn(async move {
                while let Some(event) = changed.recv().await {
                    let Some(sessions) = weak.upgrade() else { break };
                    match event {
                        SessionEvent::Changed(id) => sessions.refresh(&id).await,
                        SessionEvent::Forwarded { session, message } => {
                            sessions.take_forwarded(&session, &message).await
                        }
                    }
                }
            });
        }
        let tick = (self.idle_timeout / 4).clamp(Duration::from_millis(20), Duration::from_secs(60));
        let weak: Weak<Sessions> = Arc::downgrade(self);
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(tick) => {}
                    () = shutdown.cancelled() => break,
                }
                // The registry is gone with its router: nothing left to sweep.
                let Some(sessions) = weak.upgrade() else { break };
                sessions.sweep();
                sessions.sweep_opened_here().await;
            }
        });
    }

    /// Replicas: brings this replica's copy of session `id` up to date with the shared store.
    async fn refresh(&self, id: &str) {
        let Some(shared) = &self.shared else {
            return;
        };
        let Some(session) = self.map().get(id).cloned() else {
            return;
        };
        match shared.store.load(id).await {
            Ok(Some(record)) => session.refresh_from(record.state),
            Ok(None) => {
                tracing::debug!(session = %id, "session deleted or expired on another replica");
                if let Some(session) = self.map().remove(id) {
                    self.end_here(&session);
                }
            }
            Err(error) => tracing::warn!(%error, session = %id, "cannot refresh a session from the store"),
        }
    }

    /// Replicas: a message the client POSTed to another replica for a session this one holds:
    /// the answer to a request this replica waits for, or a cancellation of a request it runs.
    async fn take_forwarded(&self, id: &str, message: &str) {
        let Some(session) = self.map().get(id).cloned() else {
            return;
        };
        let message: mcp_connector_core::jsonrpc::Message = match serde_json::from_str(message) {
            Ok(message) => message,
            Err(_) => return,
        };
        let ours = match &message {
            mcp_connector_core::jsonrpc::Message::Response(r) => session.core.is_waiting_for(&r.id),
            mcp_connector_core::jsonrpc::Message::Error(e) => {
                e.id.as_ref().is_some_and(|id| session.core.is_waiting_for(id))
            }
            mcp_connector_core::jsonrpc::Message::Notification(_) => true,
            mcp_connector_core::jsonrpc::Message::Request(_) => false,
        };
        if ours {
            session.core.handle(message, &Outbound::closed(), mcp_connector_core::Extensions::new()).await;
        }
    }

    /// Replicas: whether a message the client sent must also reach the other replicas (a
    /// response this replica does not wait for, a cancellation); forwards it when so. `true`
    /// when it was an answer for another replica, which this one has nothing to do with.
    pub(crate) async fn forward_if_elsewhere(
        &self,
        session: &HttpSession,
        message: &mcp_connector_core::jsonrpc::Message,
    ) -> Result<bool, SessionStoreError> {
        let Some(shared) = &self.shared else {
            return Ok(false);
        };
        use mcp_connector_core::jsonrpc::Message;
        let elsewhere = match message {
            Message::Response(r) => !session.core.is_waiting_for(&r.id),
            Message::Error(e) => e.id.as_ref().is_some_and(|id| !session.core.is_waiting_for(id)),
            Message::Notification(n) => n.method == mcp_connector_core::protocol::method::CANCELLED,
            Message::Request(_) => false,
        };
        if elsewhere {
            shared.store.forward(&session.id, &serde_json::to_string(message)?).await?;
        }
        Ok(elsewhere && !matches!(message, Message::Notification(_)))
    }

    /// Ends this replica's copy of a session: its requests and GET streams stop.
    fn end_here(&self, session: &HttpSession) {
        session.core.close();
        session.closed.cancel();
    }

    /// Replicas: ends the sessions this replica opened that the shared store no longer has
    /// (expired after being idle on every replica, or deleted).
    async fn sweep_opened_here(&self) {
        let Some(shared) = &self.shared else {
            return;
        };
        let idle: Vec<Arc<HttpSession>> = self
            .map()
            .values()
            .filter(|s| s.opened_here && s.is_expired(self.idle_timeout))
            .cloned()
            .collect();
        for session in idle {
            match shared.store.load(&session.id).await {
                Ok(None) => {
                    if self.map().remove(&session.id).is_some() {
                        tracing::info!(session = %session.id, "session expired after being idle on every replica");
                        self.end(&session);
                    }
                }
                Ok(Some(_)) => {}
                // Unknown for now: ask again at the next sweep.
                Err(_) => break,
            }
        }
    }

    /// Reserves a place for a legacy SSE connection; `None` at the cap.
    pub(crate) fn reserve_legacy(self: &Arc<Self>) -> Option<LegacySlot> {
        let map = self.map();
        if self.total(&map) >= self.max {
            drop(map);
            self.sweep();
            if self.total(&self.map()) >= self.max {
                return None;
            }
        }
        self.legacy_count.fetch_add(1, Ordering::Relaxed);
        Some(LegacySlot { sessions: self.clone() })
    }

    pub(crate) fn max(&self) -> usize {
        self.max
    }

    /// Sessions open now, stateful and legacy together.
    pub(crate) fn count(&self) -> usize {
        self.total(&self.map())
    }
}

/// A legacy connection's place under the cap, given back on drop.
pub(crate) struct LegacySlot {
    sessions: Arc<Sessions>,
}

impl Drop for LegacySlot {
    fn drop(&mut self) {
        self.sessions.legacy_count.fetch_sub(1, Ordering::Relaxed);
    }
}

/// 128 bits from the OS, as 32 lowercase hex digits: visible ASCII (0x21-0x7E) as the spec
/// requires, and unguessable.
pub(crate) fn new_session_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    // All 128 bits as they came (no UUID version bits), written by uuid's hex encoder.
    Ok(uuid::Uuid::from_bytes(bytes).simple().to_string())
}

struct Activity {
    /// Requests in flight and streams open: a busy session never expires.
    busy: usize,
    /// When it last stopped being busy.
    last: Instant,
}

/// One stateful session.
pub(crate) struct HttpSession {
    pub(crate) id: String,
    /// The principal that opened it (`None`: anonymous); only that principal reaches it.
    owner: Option<Arc<str>>,
    pub(crate) core: Session,
    activity: Mutex<Activity>,
    log: Arc<EventLog>,
    standalone: Arc<LiveStream>,
    streams: Mutex<HashMap<String, Arc<LiveStream>>>,
    next_stream: AtomicU64,
    /// Cancelled when the session ends: its GET streams close.
    pub(crate) closed: CancellationToken,
    /// Replicas: the state last written to the shared session store.
    saved: Mutex<Option<SessionState>>,
    /// Opened by this replica, which raises its server-wide notifications: kept for as long as
    /// the shared store has the session, however idle it is here.
    opened_here: bool,
}

impl HttpSession {
    fn saved_state(&self) -> MutexGuard<'_, Option<SessionState>> {
        self.saved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replicas: takes the state the shared store holds, when it differs from what this copy
    /// last saw.
    fn refresh_from(&self, state: SessionState) {
        let mut saved = self.saved_state();
        if saved.as_ref() != Some(&state) {
            self.core.set_state(&state);
            *saved = Some(state);
        }
    }

    fn activity(&self) -> MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn is_expired(&self, idle_timeout: Duration) -> bool {
        let activity = self.activity();
        activity.busy == 0 && activity.last.elapsed() >= idle_timeout
    }

    /// Marks the session busy until the guard drops.
    pub(crate) fn busy(self: &Arc<Self>) -> Busy {
        self.activity().busy += 1;
        Busy { session: self.clone() }
    }

    pub(crate) fn store(&self) -> &Arc<dyn EventStore> {
        &self.log.store
    }

    /// The principal that opened it.
    pub(crate) fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// A new stream for one POST's messages.
    pub(crate) fn open_stream(&self) -> Arc<LiveStream> {
        let n = self.next_stream.fetch_add(1, Ordering::Relaxed) + 1;
        let stream = Arc::new(LiveStream::new(format!("{}p{n}", self.log.tag), self.log.clone()));
        self.streams_map().insert(stream.id.clone(), stream.clone());
        stream
    }

    /// Forgets a POST stream once its response is sent; its events stay in the store.
    pub(crate) fn close_stream(&self, stream: &LiveStream) {
        self.streams_map().remove(&stream.id);
    }

    pub(crate) fn standalone(&self) -> &Arc<LiveStream> {
        &self.standalone
    }

    /// The unfinished stream an event id belongs to.
    pub(crate) fn live_stream_of(&self, event_id: &str) -> Option<Arc<LiveStream>> {
        let (stream, _) = event_id.split_once('-')?;
        if stream == STANDALONE {
            return Some(self.standalone.clone());
        }
        self.streams_map().get(stream).cloned()
    }

    fn streams_map(&self) -> MutexGuard<'_, HashMap<String, Arc<LiveStream>>> {
        self.streams.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Keeps a session from expiring while a request runs or a stream is open.
pub(crate) struct Busy {
    session: Arc<HttpSession>,
}

impl Drop for Busy {
    fn drop(&mut self) {
        let mut activity = self.session.activity();
        activity.busy = activity.busy.saturating_sub(1);
        activity.last = Instant::now();
    }
}

/// What every stream of a session shares: the event id counter and the store.
pub(crate) struct EventLog {
    session_id: String,
    store: Arc<dyn EventStore>,
    seq: AtomicU64,
    /// Once the session ended, nothing more is stored: the store has forgotten it.
    ended: CancellationToken,
    /// Replicas: `"{replica tag}."`, before every stream and event number this replica makes;
    /// empty for a session of one process.
    tag: String,
}

/// One SSE stream of a session. Its events go to the store first, then to the connection
/// attached to it, if any; a client that reconnects with `Last-Event-ID` is attached again
/// after a replay, with no gap and no duplicate (both happen under the stream's lock).
pub(crate) struct LiveStream {
    pub(crate) id: String,
    log: Arc<EventLog>,
    state: tokio::sync::Mutex<LiveState>,
}

pub(crate) struct LiveState {
    connection: Option<mpsc::UnboundedSender<Bytes>>,
    finished: bool,
}

impl LiveState {
    /// Sends a replayed event to a connection being attached.
    pub(crate) fn attach(&mut self, connection: mpsc::UnboundedSender<Bytes>) {
        // A stream is written to one connection at a time (2025-11-25, "Multiple
        // Connections": no message on two streams); a newer connection takes over.
        if !self.finished {
            self.connection = Some(connection);
        }
    }
}

impl LiveStream {
    fn new(id: String, log: Arc<EventLog>) -> Self {
        LiveStream {
            id,
            log,
            state: tokio::sync::Mutex::new(LiveState { connection: None, finished: false }),
        }
    }

    pub(crate) async fn lock(&self) -> tokio::sync::MutexGuard<'_, LiveState> {
        self.state.lock().await
    }

    /// Stores an event (a JSON-RPC message, or empty `data` for the priming event) and
    /// writes it to the attached connection.
    pub(crate) async fn emit(&self, data: String) {
        self.emit_event(data, false).await;
    }

    /// [`LiveStream::emit`], returning the event's id.
    pub(crate) async fn emit_with_id(&self, data: String) -> Option<String> {
        self.emit_event(data, true).await
    }

    async fn emit_event(&self, data: String, want_id: bool) -> Option<String> {
        let mut state = self.state.lock().await;
        let n = self.log.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("{}-{}{n}", self.id, self.log.tag);
        let returned = want_id.then(|| id.clone());
        let frame =
            if data.is_empty() { sse::event(Some(&id), None, "") } else { sse::message(Some(&id), &data) };
        let event = StoredEvent { id, stream: self.id.clone(), data };
        if self.log.ended.is_cancelled() {
            // Nothing can resume an ended session.
        } else if let Err(error) = self.log.store.append(&self.log.session_id, event).await {
            tracing::warn!(%error, "the event store failed to record an event; it cannot be redelivered");
        }
        if let Some(connection) = &state.connection
            && connection.send(frame).is_err()
        {
            // The client went away; keep storing so that it can resume.
            state.connection = None;
        }
        returned
    }

    /// Ends the stream: the attached connection closes once it has written what it has.
    pub(crate) async fn finish(&self) {
        let mut state = self.state.lock().await;
        state.finished = true;
        state.connection = None;
    }
}

/// The SSE frame for a stored event, when replaying.
pub(crate) fn replay_frame(event: &StoredEvent) -> Bytes {
    if event.data.is_empty() {
        sse::event(Some(&event.id), None, "")
    } else {
        sse::message(Some(&event.id), &event.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_visible_ascii_and_distinct() {
        let a = new_session_id().unwrap();
        let b = new_session_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| (0x21..=0x7e).contains(&c)));
        assert_ne!(a, b);
    }
}
