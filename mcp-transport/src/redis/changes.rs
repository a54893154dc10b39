//! Change notifications across replicas: every change raised on one replica (a list changed, a
//! resource updated) is published on the replicas' bus, and every other replica announces it to
//! its own `subscriptions/listen` streams and sessions.

use mcp_connector_core::{Change, Server};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use super::{Redis, random_tag};

/// The bus topic of changes.
const TOPIC: &str = "changes";

/// What travels on the bus: the change, and the replica that raised it (which ignores its own
/// messages: it announced the change already).
#[derive(Serialize, Deserialize)]
struct Published {
    origin: String,
    change: Change,
}

impl Redis {
    /// Shares `server`'s change notifications with every other replica that called this with
    /// the same Redis and prefix: changes raised here are published (channel
    /// `{prefix}:bus:changes`), and changes published by the others are announced here
    /// ([`Server::apply_change`]) to `subscriptions/listen` streams and to the sessions this
    /// replica opened. Runs in the background for as long as the process; while Redis is away
    /// changes stay local, and the subscription is made again once it is back.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let redis = mcp_connector_transport::redis::Redis::connect("redis://127.0.0.1:6379/").await?;
    /// let server = mcp_connector_core::Server::builder("s", "1").enable_resources().build()?;
    /// redis.relay_changes(&server);
    /// server.notify_resource_updated("file:///report"); // heard by every replica's clients
    /// # Ok(())
    /// # }
    /// ```
    pub fn relay_changes(&self, server: &Server) {
        let origin = random_tag();
        let (outgoing, mut to_publish) = mpsc::unbounded_channel::<Change>();
        server.relay_changes(move |change| {
            let _ = outgoing.send(change.clone());
        });
        // Publisher: one task on the shared connection, so changes leave in the order they
        // were raised, and after anything this replica published before them.
        let publisher = self.clone();
        let channel = self.bus_channel(TOPIC);
        let publish_origin = origin.clone();
        tokio::spawn(async move {
            while let Some(change) = to_publish.recv().await {
                let message = Published { origin: publish_origin.clone(), change };
                let Ok(json) = serde_json::to_string(&message) else { continue };
                let sent: Result<i64, _> = ::redis::cmd("PUBLISH")
                    .arg(&channel)
                    .arg(json)
                    .query_async(&mut publisher.connection())
                    .await;
                if let Err(error) = sent {
                    tracing::warn!(%error, "cannot publish a change to the other replicas; it stays local");
                }
            }
        });
        let mut bus = self.listen_bus();
        let server = server.clone();
        tokio::spawn(async move {
            loop {
                let message = match bus.recv().await {
                    Ok(message) => message,
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "missed messages on the replicas' bus");
                        continue;
                    }
                    Err(RecvError::Closed) => return,
                };
                if &*message.topic != TOPIC {
                    continue;
                }
                match serde_json::from_slice::<Published>(&message.payload) {
                    Ok(published) if published.origin != origin => server.apply_change(&published.change),
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "an unreadable change on the replicas' bus; ignored")
                    }
                }
            }
        });
    }
}
