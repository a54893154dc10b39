//! [`RedisSessionStore`]: stateful sessions in Redis, so that any replica serves any session.

use std::time::Duration;

use async_trait::async_trait;
use mcp_connector_core::SessionState;
use serde::{Deserialize, Serialize};

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::{Redis, millis};

/// The bus topic of sessions saved or removed: the message is the session's id.
const TOPIC: &str = "sessions";
/// The bus topic of messages forwarded to the replica waiting for them.
const FORWARDED: &str = "forwarded";

#[derive(Serialize, Deserialize)]
struct Forwarded {
    session: String,
    message: String,
}
use crate::http::{SessionEvent, SessionRecord, SessionStore, SessionStoreError};

/// A session as kept in Redis, in JSON.
#[derive(Serialize, Deserialize)]
struct Stored {
    owner: Option<String>,
    state: SessionState,
}

/// The session store shared by replicas ([`SessionStore`]).
///
/// Key (after the [`Redis`] prefix): `session:{id}`, the session's owner and state as JSON;
/// expires after the session's idle timeout unless a request touches it, deleted by `DELETE`.
/// Every save and removal is announced on the channel `{prefix}:bus:sessions` (the session's
/// id), so that every replica refreshes its copy at once.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = mcp_connector_transport::redis::Redis::connect("redis://127.0.0.1:6379/").await?;
/// let transport = mcp_connector_transport::http::HttpTransport::new(mcp_connector_core::Server::builder("s", "1").build()?)
///     .stateful(true)
///     .event_store(redis.event_store())
///     .session_store(redis.session_store());
/// # drop(transport);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisSessionStore {
    redis: Redis,
}

impl RedisSessionStore {
    pub(super) fn new(redis: Redis) -> Self {
        RedisSessionStore { redis }
    }

    fn key(&self, id: &str) -> String {
        self.redis.key("session", id)
    }
}

#[async_trait]
impl SessionStore for RedisSessionStore {
    async fn save(&self, id: &str, record: &SessionRecord, idle: Duration) -> Result<(), SessionStoreError> {
        let json =
            serde_json::to_string(&Stored { owner: record.owner.clone(), state: record.state.clone() })?;
        let _: () = ::redis::cmd("SET")
            .arg(self.key(id))
            .arg(json)
            .arg("PX")
            .arg(millis(idle))
            .query_async(&mut self.redis.connection())
            .await?;
        Ok(())
    }

    async fn load(&self, id: &str) -> Result<Option<SessionRecord>, SessionStoreError> {
        let json: Option<String> =
            ::redis::cmd("GET").arg(self.key(id)).query_async(&mut self.redis.connection()).await?;
        parse(json)
    }

    async fn touch(&self, id: &str, idle: Duration) -> Result<Option<SessionRecord>, SessionStoreError> {
        // GETEX: read and extend in one command (Redis 6.2 and later).
        let json: Option<String> = ::redis::cmd("GETEX")
            .arg(self.key(id))
            .arg("PX")
            .arg(millis(idle))
            .query_async(&mut self.redis.connection())
            .await?;
        parse(json)
    }

    async fn remove(&self, id: &str) -> Result<(), SessionStoreError> {
        let _: () = ::redis::pipe()
            .atomic()
            .cmd("DEL")
            .arg(self.key(id))
            .ignore()
            .cmd("PUBLISH")
            .arg(self.redis.bus_channel(TOPIC))
            .arg(id)
            .ignore()
            .query_async(&mut self.redis.connection())
            .await?;
        Ok(())
    }

    async fn forward(&self, id: &str, message: &str) -> Result<(), SessionStoreError> {
        let json = serde_json::to_string(&Forwarded { session: id.to_owned(), message: message.to_owned() })?;
        let _: i64 = ::redis::cmd("PUBLISH")
            .arg(self.redis.bus_channel(FORWARDED))
            .arg(json)
            .query_async(&mut self.redis.connection())
            .await?;
        Ok(())
    }

    fn watch(&self) -> Option<mpsc::UnboundedReceiver<SessionEvent>> {
        let mut bus = self.redis.listen_bus();
        let (events, receiver) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let event = match bus.recv().await {
                    Ok(message) if &*message.topic == TOPIC => {
                        let Ok(id) = std::str::from_utf8(&message.payload) else { continue };
                        SessionEvent::Changed(id.to_owned())
                    }
                    Ok(message) if &*message.topic == FORWARDED => {
                        let Ok(forwarded) = serde_json::from_slice::<Forwarded>(&message.payload) else {
                            continue;
                        };
                        SessionEvent::Forwarded { session: forwarded.session, message: forwarded.message }
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "missed session changes on the replicas' bus");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                if events.send(event).is_err() {
                    return;
                }
            }
        });
        Some(receiver)
    }
}

fn parse(json: Option<String>) -> Result<Option<SessionRecord>, SessionStoreError> {
    match json {
        None => Ok(None),
        Some(json) => {
            let stored: Stored = serde_json::from_str(&json)?;
            Ok(Some(SessionRecord { owner: stored.owner, state: stored.state }))
        }
    }
}
