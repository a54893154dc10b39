//! Where stateful sessions are kept when several replicas serve the same clients: any replica
//! that receives a request carrying `Mcp-Session-Id` finds the session there, picks up what it
//! remembers ([`SessionState`]) and serves the request as the replica that opened it would.
//!
//! Without a session store (the default) sessions live in the process that opened them, and a
//! load balancer must route a session's requests to that process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use mcp_connector_core::SessionState;

/// What a failing [`SessionStore`] reports; a request that needed it is answered 503 with
/// `Retry-After`.
///
/// ```
/// let error: mcp_connector_transport::http::SessionStoreError = "redis is down".into();
/// assert_eq!(error.to_string(), "redis is down");
/// ```
pub type SessionStoreError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One stateful session as a [`SessionStore`] keeps it.
///
/// ```
/// use mcp_connector_transport::http::SessionRecord;
///
/// let record = SessionRecord { owner: Some("alice".into()), state: Default::default() };
/// assert_eq!(record.owner.as_deref(), Some("alice"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The principal that opened it (`None`: anonymous); only that principal reaches it.
    pub owner: Option<String>,
    /// What the session remembers between requests.
    pub state: SessionState,
}

/// Stateful sessions shared by every replica: set one with
/// [`HttpTransport::session_store`](super::HttpTransport::session_store), together with a
/// shared [`EventStore`](super::EventStore) so that streams resume on any replica.
///
/// A record expires after the session's idle timeout unless a request
/// [`touch`](SessionStore::touch)es it; a session removed on one replica is unknown (404) on
/// every replica from its next request on.
///
/// ```
/// use mcp_connector_transport::http::{HttpTransport, InMemoryEventStore, InMemorySessionStore};
/// use std::sync::Arc;
///
/// // Two routers of one process sharing their stores behave like two replicas sharing Redis.
/// let sessions = Arc::new(InMemorySessionStore::default());
/// let events = Arc::new(InMemoryEventStore::default());
/// let replica = |sessions: Arc<InMemorySessionStore>, events: Arc<InMemoryEventStore>| {
///     HttpTransport::new(mcp_connector_core::Server::builder("demo", "1").build().unwrap())
///         .stateful(true)
///         .event_store(events)
///         .session_store(sessions)
///         .router()
/// };
/// let (a, b) = (replica(sessions.clone(), events.clone()), replica(sessions, events));
/// # drop((a, b));
/// ```
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Creates or replaces the record of session `id`, to be forgotten after `idle` unless
    /// touched.
    async fn save(&self, id: &str, record: &SessionRecord, idle: Duration) -> Result<(), SessionStoreError>;

    /// The record of session `id`; `None` when there is none (never opened, removed, expired).
    async fn load(&self, id: &str) -> Result<Option<SessionRecord>, SessionStoreError>;

    /// Keeps session `id` for another `idle` and returns its record (what other replicas may
    /// have changed); `None` when it is gone.
    async fn touch(&self, id: &str, idle: Duration) -> Result<Option<SessionRecord>, SessionStoreError>;

    /// Forgets session `id` (deleted by its client).
    async fn remove(&self, id: &str) -> Result<(), SessionStoreError>;

    /// Hands a message the client sent for session `id` (a response to the server's request,
    /// a cancellation) to every replica: the one waiting for it takes it. The default does
    /// nothing (a store that cannot carry messages: the answer only reaches the replica that
    /// received it).
    async fn forward(&self, id: &str, message: &str) -> Result<(), SessionStoreError> {
        let _ = (id, message);
        Ok(())
    }

    /// What happens to sessions from now on, on any replica, as it happens: saves and
    /// removals (each replica then refreshes its copy: a subscription made on another replica
    /// is heard by the one that raises the session's notifications; a deleted session's
    /// streams close everywhere) and forwarded messages. `None`, the default, when the store
    /// cannot tell: copies are then checked at their next request only.
    fn watch(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<SessionEvent>> {
        None
    }
}

/// What [`SessionStore::watch`] reports.
///
/// ```
/// use mcp_connector_transport::http::SessionEvent;
///
/// let event = SessionEvent::Changed("s1".into());
/// assert!(matches!(event, SessionEvent::Changed(id) if id == "s1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The session with this id was saved or removed.
    Changed(String),
    /// A message the client sent for a session, received by another replica
    /// ([`SessionStore::forward`]).
    Forwarded {
        /// The session's id.
        session: String,
        /// The JSON-RPC message, as JSON text.
        message: String,
    },
}

/// A store shared with other routers (replicas in one process, tests).
#[async_trait]
impl<T: SessionStore> SessionStore for std::sync::Arc<T> {
    async fn save(&self, id: &str, record: &SessionRecord, idle: Duration) -> Result<(), SessionStoreError> {
        (**self).save(id, record, idle).await
    }

    async fn load(&self, id: &str) -> Result<Option<SessionRecord>, SessionStoreError> {
        (**self).load(id).await
    }

    async fn touch(&self, id: &str, idle: Duration) -> Result<Option<SessionRecord>, SessionStoreError> {
        (**self).touch(id, idle).await
    }

    async fn remove(&self, id: &str) -> Result<(), SessionStoreError> {
        (**self).remove(id).await
    }

    async fn forward(&self, id: &str, message: &str) -> Result<(), SessionStoreError> {
        (**self).forward(id, message).await
    }

    fn watch(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<SessionEvent>> {
        (**self).watch()
    }
}

/// A [`SessionStore`] in this process's memory: what two routers of one process share to act
/// as two replicas (in tests), and the model of what a shared store must do.
///
/// ```
/// use mcp_connector_transport::http::{InMemorySessionStore, SessionRecord, SessionStore};
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = InMemorySessionStore::default();
/// let record = SessionRecord { owner: None, state: Default::default() };
/// store.save("s1", &record, Duration::from_secs(60)).await.unwrap();
/// assert_eq!(store.touch("s1", Duration::from_secs(60)).await.unwrap(), Some(record));
/// store.remove("s1").await.unwrap();
/// assert_eq!(store.touch("s1", Duration::from_secs(60)).await.unwrap(), None);
/// assert_eq!(store.load("s1").await.unwrap(), None);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct InMemorySessionStore {
    records: Mutex<HashMap<String, (SessionRecord, Instant)>>,
}

impl InMemorySessionStore {
    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<String, (SessionRecord, Instant)>> {
        // Every write is one insert or removal: a poisoned map is still consistent.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl SessionStore for InMemorySessionStore {
    async fn save(&self, id: &str, record: &SessionRecord, idle: Duration) -> Result<(), SessionStoreError> {
        let mut records = self.records();
        let now = Instant::now();
        records.retain(|_, (_, until)| *until > now);
        records.insert(id.to_owned(), (record.clone(), now + idle));
        Ok(())
    }

    async fn load(&self, id: &str) -> Result<Option<SessionRecord>, SessionStoreError> {
        let records = self.records();
        Ok(records.get(id).filter(|(_, until)| *until > Instant::now()).map(|(r, _)| r.clone()))
    }

    async fn touch(&self, id: &str, idle: Duration) -> Result<Option<SessionRecord>, SessionStoreError> {
        let mut records = self.records();
        let now = Instant::now();
        match records.get_mut(id) {
            Some((record, until)) if *until > now => {
                *until = now + idle;
                Ok(Some(record.clone()))
            }
            _ => Ok(None),
        }
    }

    async fn remove(&self, id: &str) -> Result<(), SessionStoreError> {
        self.records().remove(id);
        Ok(())
    }
}
