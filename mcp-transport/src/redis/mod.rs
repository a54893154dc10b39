//! Scale-out on Redis: what several replicas of one server share, so that any replica answers
//! any request and nothing is lost when one dies (see `docs/scale-out.md`).
//!
//! [`Redis::connect`] opens one multiplexed connection that reconnects by itself; from it come
//! the stores the SDK's traits take:
//!
//! | store | trait | what it keeps |
//! | --- | --- | --- |
//! | [`RedisSafeStore`] | [`mcp_connector_core::safe::SafeStore`] | idempotency records, used confirmation tokens, the saga journal with recovery leases |
//! | [`RedisEventStore`] | [`EventStore`](crate::http::EventStore) | each session's SSE events, bounded, for `Last-Event-ID` on any replica |
//! | [`RedisSessionStore`] | [`SessionStore`](crate::http::SessionStore) | stateful sessions: owner, negotiated version, client capabilities, log level, subscriptions |
//! | [`RedisTaskMirror`] | [`mcp_connector_core::TaskMirror`] | tasks (2026-07-28 tasks extension) with the runner's lease |
//!
//! [`Redis::relay_changes`] shares a server's change notifications with the other replicas.
//!
//! Every key starts with a prefix (default `mcp`) and every key expires, except the journal of
//! a saga that is not over.
//!
//! ```no_run
//! use mcp_connector_core::{Server, safe::SafeWrites};
//! use mcp_connector_transport::http::HttpTransport;
//! use mcp_connector_transport::redis::Redis;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let redis = Redis::connect("redis://127.0.0.1:6379/").await?;
//! let server = Server::builder("tickets", "1.0")
//!     .safe_writes(SafeWrites::new(redis.safe_store()))
//!     .build()?;
//! let transport = HttpTransport::new(server)
//!     .stateful(true)
//!     .event_store(redis.event_store())
//!     .session_store(redis.session_store());
//! transport.serve("0.0.0.0:8000").await?;
//! # Ok(())
//! # }
//! ```

mod changes;
mod events;
mod safe;
mod sessions;
mod tasks;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use futures_util::StreamExt;
use tokio::sync::broadcast;

pub use ::redis::RedisError;
pub use events::RedisEventStore;
pub use safe::RedisSafeStore;
pub use sessions::RedisSessionStore;
pub use tasks::RedisTaskMirror;

/// How long one Redis command may take before the request that needed it fails: long enough
/// for a busy Redis, short enough that a client is told "unavailable" instead of hanging.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long connecting (or reconnecting) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A connection to the Redis the replicas share, and the key prefix they agree on.
///
/// Cheap to clone: clones share one multiplexed connection. When Redis goes away, commands
/// fail at once (and the requests that needed them with them); the connection is made again
/// in the background, and commands work again as soon as Redis is back.
///
/// ```no_run
/// # async fn run() -> Result<(), mcp_connector_transport::redis::RedisError> {
/// let redis = mcp_connector_transport::redis::Redis::connect("redis://127.0.0.1:6379/").await?.prefix("tickets");
/// # drop(redis);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Redis {
    client: ::redis::Client,
    connection: ConnectionManager,
    prefix: Arc<str>,
    /// What replicas tell each other (changes, sessions changed), once something listens.
    bus: Arc<OnceLock<broadcast::Sender<BusMessage>>>,
}

/// One message on the replicas' bus: `{prefix}:bus:{topic}` channels, all heard on one
/// subscription so that messages published in one order arrive in that order.
#[derive(Debug, Clone)]
pub(crate) struct BusMessage {
    pub(crate) topic: Arc<str>,
    pub(crate) payload: Arc<[u8]>,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis").field("prefix", &self.prefix).finish_non_exhaustive()
    }
}

impl Redis {
    /// Connects to `url` (`redis://[user:password@]host:port[/db]`); fails when Redis cannot
    /// be reached now, so that a misconfigured replica stops at start-up.
    pub async fn connect(url: &str) -> Result<Redis, RedisError> {
        let client = ::redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            // Reconnect quickly and keep trying: a request meanwhile fails fast.
            .set_number_of_retries(3)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let connection = ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(Redis { client, connection, prefix: Arc::from("mcp"), bus: Arc::new(OnceLock::new()) })
    }

    /// The prefix of every key (default `mcp`): give each server its own when several share
    /// one Redis.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Arc::from(prefix.into());
        self
    }

    /// Safe writes kept in Redis, for [`SafeWrites::new`](mcp_connector_core::safe::SafeWrites::new).
    pub fn safe_store(&self) -> RedisSafeStore {
        RedisSafeStore::new(self.clone())
    }

    /// SSE events kept in Redis, for
    /// [`HttpTransport::event_store`](crate::http::HttpTransport::event_store).
    pub fn event_store(&self) -> RedisEventStore {
        RedisEventStore::new(self.clone())
    }

    /// Stateful sessions kept in Redis, for
    /// [`HttpTransport::session_store`](crate::http::HttpTransport::session_store).
    pub fn session_store(&self) -> RedisSessionStore {
        RedisSessionStore::new(self.clone())
    }

    /// Tasks mirrored in Redis, for
    /// [`ServerBuilder::task_mirror`](mcp_connector_core::ServerBuilder::task_mirror).
    pub fn task_mirror(&self) -> RedisTaskMirror {
        RedisTaskMirror::new(self.clone())
    }

    /// Whether Redis answers `PING` now.
    ///
    /// ```no_run
    /// # async fn run(redis: mcp_connector_transport::redis::Redis) {
    /// if !redis.ping().await { eprintln!("redis is down"); }
    /// # }
    /// ```
    pub async fn ping(&self) -> bool {
        let mut connection = self.connection.clone();
        ::redis::cmd("PING").query_async::<String>(&mut connection).await.is_ok()
    }

    /// The bus channel of `topic`.
    fn bus_channel(&self, topic: &str) -> String {
        format!("{}:bus:{topic}", self.prefix)
    }

    /// Hears the replicas' bus from now on; the first call subscribes (and subscribes again
    /// whenever the connection to Redis is lost, for as long as the process runs).
    pub(crate) fn listen_bus(&self) -> broadcast::Receiver<BusMessage> {
        let mut started = false;
        let sender = self.bus.get_or_init(|| {
            started = true;
            broadcast::channel(1024).0
        });
        let receiver = sender.subscribe();
        if started {
            let client = self.client.clone();
            let pattern = self.bus_channel("*");
            let head = self.bus_channel("");
            let sender = sender.clone();
            tokio::spawn(async move {
                let mut pause = Duration::from_millis(50);
                loop {
                    match client.get_async_pubsub().await {
                        Ok(mut pubsub) => match pubsub.psubscribe(&pattern).await {
                            Ok(()) => {
                                pause = Duration::from_millis(50);
                                let mut messages = pubsub.into_on_message();
                                while let Some(message) = messages.next().await {
                                    let topic = message.get_channel_name().strip_prefix(head.as_str());
                                    let Some(topic) = topic else { continue };
                                    let message = BusMessage {
                                        topic: Arc::from(topic),
                                        payload: Arc::from(message.get_payload_bytes()),
                                    };
                                    // No listener left is no error: nobody needs the message.
                                    let _ = sender.send(message);
                                }
                                tracing::warn!("lost the replicas' bus; subscribing again");
                            }
                            Err(error) => tracing::warn!(%error, "cannot subscribe to the replicas' bus"),
                        },
                        Err(error) => tracing::debug!(%error, "cannot reach redis for the replicas' bus"),
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
            });
        }
        receiver
    }

    fn connection(&self) -> ConnectionManager {
        self.connection.clone()
    }

    /// `{prefix}:{kind}:{part}`.
    fn key(&self, kind: &str, part: &str) -> String {
        format!("{}:{kind}:{part}", self.prefix)
    }
}

/// Milliseconds for `PX`/`PEXPIRE`, at least 1 (Redis refuses 0).
fn millis(duration: Duration) -> u64 {
    (duration.as_millis().min(u128::from(u64::MAX)) as u64).max(1)
}

/// A random tag naming this process (a lease holder) in Redis.
fn random_tag() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        return format!("pid{}", std::process::id());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
