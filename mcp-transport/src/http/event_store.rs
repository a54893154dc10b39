//! Where SSE events wait for a client that reconnects with `Last-Event-ID` (2025-11-25,
//! basic/transports, "Resumability and Redelivery").

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use async_trait::async_trait;

/// What a failing [`EventStore`] reports; the transport logs it and keeps serving live
/// streams (only redelivery is lost).
///
/// ```
/// let error: mcp_connector_transport::http::EventStoreError = "redis is down".into();
/// assert_eq!(error.to_string(), "redis is down");
/// ```
pub type EventStoreError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// One SSE event as sent on a stream of a stateful session.
///
/// ```
/// use mcp_connector_transport::http::StoredEvent;
///
/// let event = StoredEvent { id: "p1-3".into(), stream: "p1".into(), data: r#"{"jsonrpc":"2.0"}"#.into() };
/// assert!(!event.data.is_empty()); // empty data is the priming event
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The event's `id:` field, unique within its session. The transport makes it and it
    /// names the stream it belongs to; treat it as opaque.
    pub id: String,
    /// The stream the event was sent on: the standalone GET stream or one POST's stream.
    pub stream: String,
    /// The event's `data:` field: one JSON-RPC message, or empty for the priming event.
    pub data: String,
}

/// Keeps the events sent on a stateful session's SSE streams so that a client that lost its
/// connection gets what it missed, on the stream it missed it on and nowhere else.
///
/// The default, [`InMemoryEventStore`], lives in the server's memory. Implement this trait to
/// keep events in a shared store (a database) when several replicas sit behind a load
/// balancer, together with a [`SessionStore`](super::SessionStore) so that any replica serves
/// any session; the `redis` feature has both (`docs/scale-out.md`). With an event store alone,
/// sessions live on the replica that created them: route a session's requests to one replica
/// (sticky sessions on `Mcp-Session-Id`).
///
/// ```
/// use mcp_connector_transport::http::{EventStore, EventStoreError, StoredEvent};
///
/// /// A store that keeps nothing: streams still work, resumption never finds anything.
/// struct Forgetful;
///
/// #[mcp_connector_transport::http::async_trait]
/// impl EventStore for Forgetful {
///     async fn append(&self, _session: &str, _event: StoredEvent) -> Result<(), EventStoreError> {
///         Ok(())
///     }
///     async fn events_after(&self, _session: &str, _last_event_id: &str)
///         -> Result<Option<Vec<StoredEvent>>, EventStoreError> {
///         Ok(None)
///     }
///     async fn remove_session(&self, _session: &str) -> Result<(), EventStoreError> {
///         Ok(())
///     }
/// }
///
/// let transport = mcp_connector_transport::http::HttpTransport::new(
///     mcp_connector_core::Server::builder("demo", "1").build().unwrap(),
/// )
/// .stateful(true)
/// .event_store(Forgetful);
/// # drop(transport);
/// ```
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Records `event`, sent on a stream of `session`.
    async fn append(&self, session: &str, event: StoredEvent) -> Result<(), EventStoreError>;

    /// The events recorded after `last_event_id` **on the same stream**, oldest first;
    /// `None` when that id is unknown (never seen, or already evicted).
    async fn events_after(
        &self,
        session: &str,
        last_event_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, EventStoreError>;

    /// Forgets everything about `session` (it was deleted or expired).
    async fn remove_session(&self, session: &str) -> Result<(), EventStoreError>;
}

/// The default [`EventStore`]: the last events of each session, in memory.
///
/// ```
/// use mcp_connector_transport::http::{EventStore, InMemoryEventStore, StoredEvent};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = InMemoryEventStore::with_capacity(100);
/// for (id, stream) in [("a-1", "a"), ("b-2", "b"), ("a-3", "a")] {
///     let event = StoredEvent { id: id.into(), stream: stream.into(), data: "{}".into() };
///     store.append("session", event).await.unwrap();
/// }
/// let missed = store.events_after("session", "a-1").await.unwrap().unwrap();
/// assert_eq!(missed.len(), 1);
/// assert_eq!(missed[0].id, "a-3");
/// # });
/// ```
#[derive(Debug)]
pub struct InMemoryEventStore {
    capacity: usize,
    sessions: Mutex<HashMap<String, VecDeque<StoredEvent>>>,
}

impl Default for InMemoryEventStore {
    fn default() -> Self {
        Self::with_capacity(1024)
    }
}

impl InMemoryEventStore {
    /// A store that keeps at most `events_per_session` events for each session (the oldest
    /// go first; default 1024).
    ///
    /// ```
    /// let store = mcp_connector_transport::http::InMemoryEventStore::with_capacity(256);
    /// # drop(store);
    /// ```
    pub fn with_capacity(events_per_session: usize) -> Self {
        InMemoryEventStore { capacity: events_per_session.max(1), sessions: Mutex::new(HashMap::new()) }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, VecDeque<StoredEvent>>> {
        // Every write is a push or a pop: a panic elsewhere cannot leave the map half-written.
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl EventStore for InMemoryEventStore {
    async fn append(&self, session: &str, event: StoredEvent) -> Result<(), EventStoreError> {
        let mut sessions = self.sessions();
        let events = sessions.entry(session.to_owned()).or_default();
        if events.len() >= self.capacity {
            events.pop_front();
        }
        events.push_back(event);
        Ok(())
    }

    async fn events_after(
        &self,
        session: &str,
        last_event_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, EventStoreError> {
        let sessions = self.sessions();
        let Some(events) = sessions.get(session) else {
            return Ok(None);
        };
        let Some(at) = events.iter().position(|e| e.id == last_event_id) else {
            return Ok(None);
        };
        let stream = &events[at].stream;
        Ok(Some(events.iter().skip(at + 1).filter(|e| &e.stream == stream).cloned().collect()))
    }

    async fn remove_session(&self, session: &str) -> Result<(), EventStoreError> {
        self.sessions().remove(session);
        Ok(())
    }
}

/// A store shared with other routers (replicas in one process, tests).
#[async_trait]
impl<T: EventStore> EventStore for std::sync::Arc<T> {
    async fn append(&self, session: &str, event: StoredEvent) -> Result<(), EventStoreError> {
        (**self).append(session, event).await
    }

    async fn events_after(
        &self,
        session: &str,
        last_event_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, EventStoreError> {
        (**self).events_after(session, last_event_id).await
    }

    async fn remove_session(&self, session: &str) -> Result<(), EventStoreError> {
        (**self).remove_session(session).await
    }
}
