//! [`AuditLog`]: the audit events (`tracing` target `mcp::audit`) a test caused, as values.

use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{Map, Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::DefaultGuard;
use tracing::{Dispatch, Event, Metadata, Subscriber};

use crate::auth::AUDIT_TARGET;

/// Records the audit events emitted on this thread while it lives: the write tool calls
/// (`write tool call`, with `tool`, `subject`, `client`, `args_sha256`, `outcome`,
/// `duration_ms`) and the refused tokens (`token refused`, with `status`, `reason`, `detail`,
/// `peer`). It is the thread's `tracing` subscriber meanwhile (other events are not shown), so
/// use it in a `#[tokio::test]`, whose runtime runs every task on the test's thread.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use mcp_connector_transport::auth::{Auth, StaticTokens};
/// use mcp_connector_transport::testing::{AuditLog, HttpTestClient};
///
/// let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
/// let auth = Auth::required("http://localhost/mcp", StaticTokens::new());
/// let client = HttpTestClient::new(mcp_connector_transport::http::HttpTransport::new(server).auth(auth).router());
///
/// let audit = AuditLog::start();
/// assert_eq!(client.clone().bearer("guessed").list_tools().await.status(), 401);
/// let events = audit.events();
/// assert_eq!(events.len(), 1);
/// assert_eq!(events[0].message(), "token refused");
/// assert_eq!(events[0].field("reason"), Some(&serde_json::json!("invalid_token")));
/// assert_eq!(events[0].field("peer"), Some(&serde_json::json!("127.0.0.1")));
/// # }
/// ```
pub struct AuditLog {
    events: Arc<Mutex<Vec<AuditEvent>>>,
    _guard: DefaultGuard,
}

/// One audit event: its message and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    fields: Map<String, Value>,
}

impl AuditEvent {
    /// What happened: `write tool call` or `token refused`.
    pub fn message(&self) -> &str {
        self.fields.get("message").and_then(Value::as_str).unwrap_or_default()
    }

    /// One field: strings as strings, numbers as numbers.
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// Every field, the message included.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }
}

impl AuditLog {
    /// Starts recording on this thread, until the value is dropped.
    pub fn start() -> Self {
        // tracing caches per call site whether anyone listens. While only one dispatcher is
        // registered, it asks the *current thread's* default, so a call site first reached on
        // another test's thread (which has no recorder) would be cached as "never" and this
        // log would miss its events. A second dispatcher, registered for the life of the
        // process and listening to nothing, makes tracing ask every registered one instead.
        static ASK_EVERY_DISPATCHER: OnceLock<Dispatch> = OnceLock::new();
        ASK_EVERY_DISPATCHER.get_or_init(|| Dispatch::new(Silent));
        let events = Arc::new(Mutex::new(Vec::new()));
        let guard = tracing::subscriber::set_default(Recorder { events: Arc::clone(&events) });
        AuditLog { events, _guard: guard }
    }

    /// The events so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A subscriber that keeps the audit target's events and nothing else.
struct Recorder {
    events: Arc<Mutex<Vec<AuditEvent>>>,
}

impl Subscriber for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target() == AUDIT_TARGET
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        // Audit events are recorded outside spans; spans are not kept.
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(AuditEvent { fields: fields.0 });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// A subscriber that listens to nothing (see [`AuditLog::start`]).
struct Silent;

impl Subscriber for Silent {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        false
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), json!(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), json!(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), json!(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), json!(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // `%value` fields (the argument hash) and the message arrive here.
        self.0.insert(field.name().to_owned(), json!(format!("{value:?}")));
    }
}
