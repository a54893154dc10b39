//! [`RedisSessionStore`]: stateful sessions in Redis, so that any replica serves any session.

use std::time::Duration;

use async_trait::async_trait;
use mcp_core::SessionState;
use serde::{Deserialize, Serialize};

use super::{Redis, millis};
use crate::http::{SessionRecord, SessionStore, SessionStoreError};

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
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = mcp_transport::redis::Redis::connect("redis://127.0.0.1:6379/").await?;
/// let transport = mcp_transport::http::HttpTransport::new(mcp_core::Server::builder("s", "1").build()?)
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
        match json {
            None => Ok(None),
            Some(json) => {
                let stored: Stored = serde_json::from_str(&json)?;
                Ok(Some(SessionRecord { owner: stored.owner, state: stored.state }))
            }
        }
    }

    async fn touch(&self, id: &str, idle: Duration) -> Result<bool, SessionStoreError> {
        let kept: i64 = ::redis::cmd("PEXPIRE")
            .arg(self.key(id))
            .arg(millis(idle))
            .query_async(&mut self.redis.connection())
            .await?;
        Ok(kept == 1)
    }

    async fn remove(&self, id: &str) -> Result<(), SessionStoreError> {
        let _: () = ::redis::cmd("DEL").arg(self.key(id)).query_async(&mut self.redis.connection()).await?;
        Ok(())
    }
}
