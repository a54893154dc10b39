//! `subscriptions/listen` (2026-07-28, `basic/patterns/subscriptions`): a long-lived request
//! whose response is a stream of the change notifications the client opted into.

use serde_json::{Map, Value, json};
use tokio::sync::broadcast::error::RecvError;

use super::{Change, Context, Server};
use crate::jsonrpc::Message;
use crate::protocol::{SubscriptionFilter, meta, method};

/// The part of `requested` this server can honour: a kind it never changes is left out of the
/// acknowledgement, as the spec asks ("Notification types the server does not support are
/// omitted").
fn agreed(server: &Server, requested: &SubscriptionFilter) -> SubscriptionFilter {
    let caps = server.capabilities();
    let wanted = |flag: Option<bool>, offered: bool| (flag == Some(true) && offered).then_some(true);
    SubscriptionFilter {
        tools_list_changed: wanted(requested.tools_list_changed, caps.tools.is_some()),
        prompts_list_changed: wanted(requested.prompts_list_changed, caps.prompts.is_some()),
        resources_list_changed: wanted(requested.resources_list_changed, caps.resources.is_some()),
        resource_subscriptions: requested
            .resource_subscriptions
            .clone()
            .filter(|uris| caps.resources.is_some() && !uris.is_empty()),
        // Not acknowledged: this server sends no task notifications.
        task_ids: None,
    }
}

/// The notification a change becomes on a stream with `filter`, if the client asked for it.
fn notification_for(
    change: &Change,
    filter: &SubscriptionFilter,
) -> Option<(&'static str, Map<String, Value>)> {
    let on = |flag: Option<bool>| flag == Some(true);
    match change {
        Change::Tools if on(filter.tools_list_changed) => Some((method::TOOLS_LIST_CHANGED, Map::new())),
        Change::Prompts if on(filter.prompts_list_changed) => {
            Some((method::PROMPTS_LIST_CHANGED, Map::new()))
        }
        Change::Resources if on(filter.resources_list_changed) => {
            Some((method::RESOURCES_LIST_CHANGED, Map::new()))
        }
        Change::ResourceUpdated(uri)
            if filter.resource_subscriptions.as_ref().is_some_and(|uris| uris.contains(uri)) =>
        {
            let mut params = Map::new();
            params.insert("uri".into(), json!(uri));
            Some((method::RESOURCE_UPDATED, params))
        }
        _ => None,
    }
}

/// Serves one `subscriptions/listen` request until the client cancels it (no response, as for
/// any cancelled request) or the server closes its subscriptions (a final result, the spec's
/// "graceful closure"). Every message carries the request's id as
/// `io.modelcontextprotocol/subscriptionId`.
pub(crate) async fn listen(server: &Server, requested: SubscriptionFilter, ctx: Context) -> Value {
    let subscription_id = json!(ctx.request_id());
    let tagged = |mut params: Map<String, Value>| {
        let mut tag = Map::new();
        tag.insert(meta::SUBSCRIPTION_ID.into(), subscription_id.clone());
        params.insert("_meta".into(), Value::Object(tag));
        Some(Value::Object(params))
    };
    // Subscribe before acknowledging, so no change between the two is lost.
    let mut changes = server.changes();
    let filter = agreed(server, &requested);
    let mut ack = Map::new();
    ack.insert("notifications".into(), json!(filter));
    // The acknowledgement MUST be the first message of the subscription.
    ctx.send(Message::notification(method::SUBSCRIPTIONS_ACKNOWLEDGED, tagged(ack)));
    let closing = server.closing();
    loop {
        tokio::select! {
            _ = closing.cancelled() => break,
            change = changes.recv() => match change {
                Ok(change) => {
                    if let Some((method, params)) = notification_for(&change, &filter) {
                        ctx.send(Message::notification(method, tagged(params)));
                    }
                }
                // Missed changes: say that every list the client follows may have changed.
                Err(RecvError::Lagged(_)) => {
                    for change in [Change::Tools, Change::Prompts, Change::Resources] {
                        if let Some((method, params)) = notification_for(&change, &filter) {
                            ctx.send(Message::notification(method, tagged(params)));
                        }
                    }
                }
                Err(RecvError::Closed) => break,
            },
        }
    }
    let mut result_meta = Map::new();
    result_meta.insert(meta::SUBSCRIPTION_ID.into(), subscription_id);
    json!({ "_meta": result_meta })
}
