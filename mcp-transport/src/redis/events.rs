//! [`RedisEventStore`]: each stateful session's SSE events in one capped Redis list, so that a
//! client resumes with `Last-Event-ID` on any replica.

use std::time::Duration;

use std::sync::LazyLock;

use ::redis::Script;
use async_trait::async_trait;

use super::{Redis, millis};
use crate::http::{EventStore, EventStoreError, StoredEvent};

/// The events after the one whose id is `ARGV[1]`, on the same stream; nil when that id is not
/// in the list. Each entry is `id \n stream \n data` (ids and stream names never hold a
/// newline: the transport makes them), so the scan stays in Redis and only the missed events
/// travel.
static AFTER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local all = redis.call('LRANGE', KEYS[1], 0, -1)
local head = ARGV[1] .. '\n'
local at, stream
for i = 1, #all do
  if string.sub(all[i], 1, #head) == head then
    local rest = string.sub(all[i], #head + 1)
    stream = string.sub(rest, 1, (string.find(rest, '\n', 1, true) or (#rest + 1)) - 1)
    at = i
    break
  end
end
if not at then return false end
local wanted = '\n' .. stream .. '\n'
local out = {}
for i = at + 1, #all do
  local entry = all[i]
  local first = string.find(entry, '\n', 1, true)
  if first and string.sub(entry, first, first + #wanted - 1) == wanted then
    out[#out + 1] = entry
  end
end
return out
",
    )
});

/// The event store shared by replicas ([`EventStore`]).
///
/// Key (after the [`Redis`] prefix): `events:{session}`, a list of the session's last
/// [`capacity`](RedisEventStore::capacity) events (default 1024; older ones are trimmed), which
/// expires [`ttl`](RedisEventStore::ttl) after the last event (default one hour) and is deleted
/// with the session.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = mcp_connector_transport::redis::Redis::connect("redis://127.0.0.1:6379/").await?;
/// let events = redis.event_store().capacity(256).ttl(std::time::Duration::from_secs(600));
/// # drop(events);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RedisEventStore {
    redis: Redis,
    capacity: usize,
    ttl: Duration,
}

impl RedisEventStore {
    pub(super) fn new(redis: Redis) -> Self {
        RedisEventStore { redis, capacity: 1024, ttl: Duration::from_secs(3600) }
    }

    /// How many events each session keeps (the oldest go first; default 1024).
    pub fn capacity(mut self, events_per_session: usize) -> Self {
        self.capacity = events_per_session.max(1);
        self
    }

    /// How long a session's events are kept after its last one (default one hour).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    fn key(&self, session: &str) -> String {
        self.redis.key("events", session)
    }
}

#[async_trait]
impl EventStore for RedisEventStore {
    async fn append(&self, session: &str, event: StoredEvent) -> Result<(), EventStoreError> {
        let key = self.key(session);
        let entry = format!("{}\n{}\n{}", event.id, event.stream, event.data);
        let capacity = self.capacity.min(i64::MAX as usize) as isize;
        // One transaction: the list never holds more than `capacity`, and never lives forever.
        let _: () = ::redis::pipe()
            .atomic()
            .rpush(&key, entry)
            .ignore()
            .ltrim(&key, -capacity, -1)
            .ignore()
            .pexpire(&key, millis(self.ttl) as i64)
            .ignore()
            .query_async(&mut self.redis.connection())
            .await?;
        Ok(())
    }

    async fn events_after(
        &self,
        session: &str,
        last_event_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, EventStoreError> {
        let entries: Option<Vec<String>> = AFTER
            .key(self.key(session))
            .arg(last_event_id)
            .invoke_async(&mut self.redis.connection())
            .await?;
        Ok(entries.map(|entries| entries.into_iter().filter_map(|e| parse(&e)).collect()))
    }

    async fn remove_session(&self, session: &str) -> Result<(), EventStoreError> {
        let _: () =
            ::redis::cmd("DEL").arg(self.key(session)).query_async(&mut self.redis.connection()).await?;
        Ok(())
    }
}

fn parse(entry: &str) -> Option<StoredEvent> {
    let (id, rest) = entry.split_once('\n')?;
    let (stream, data) = rest.split_once('\n')?;
    Some(StoredEvent { id: id.to_owned(), stream: stream.to_owned(), data: data.to_owned() })
}
