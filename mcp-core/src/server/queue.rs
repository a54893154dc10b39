//! A light outbound queue for one request: [`Outbound::queue`](super::Outbound::queue).
//!
//! tokio's unbounded channel allocates its first block of 32 slots (about 3 KB for
//! [`Message`]s) when it is made. A transport makes one per request for the messages its
//! handler may send before the answer (progress, logs), and most handlers send none: in the
//! callgrind profile of a `tools/call` over HTTP, making and dropping that channel cost about
//! 1.1k instructions, most of it the large allocation. This queue allocates one small shared
//! cell, and its buffer only on the first message.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::Poll;

use futures_util::task::AtomicWaker;

use crate::jsonrpc::Message;

/// What the senders and the receiver share.
#[derive(Debug, Default)]
struct Shared {
    messages: Mutex<VecDeque<Message>>,
    /// Wakes the receiver on a new message or when the last sender goes.
    waker: AtomicWaker,
    senders: AtomicUsize,
    receiver_gone: AtomicBool,
}

/// The sending side: counted, so the receiver knows when no more can come.
#[derive(Debug)]
pub(crate) struct QueueSender {
    shared: Arc<Shared>,
}

impl QueueSender {
    /// Queues a message; `false` when the receiver is gone.
    pub(crate) fn send(&self, message: Message) -> bool {
        if self.shared.receiver_gone.load(Ordering::Acquire) {
            return false;
        }
        if let Ok(mut messages) = self.shared.messages.lock() {
            messages.push_back(message);
        }
        self.shared.waker.wake();
        true
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.shared.receiver_gone.load(Ordering::Acquire)
    }
}

impl Clone for QueueSender {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        QueueSender { shared: self.shared.clone() }
    }
}

impl Drop for QueueSender {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.waker.wake();
        }
    }
}

/// The receiving end of [`Outbound::queue`](super::Outbound::queue): messages in the order they
/// were sent, then `None` once every [`Outbound`](super::Outbound) clone is gone.
///
/// ```
/// use mcp_connector_core::{Outbound, jsonrpc::Message};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (out, mut queue) = Outbound::queue();
/// out.send(Message::notification("notifications/progress", None));
/// assert!(queue.try_recv().is_some());
/// drop(out);
/// assert!(queue.recv().await.is_none());
/// # });
/// ```
#[derive(Debug)]
pub struct OutboundQueue {
    shared: Arc<Shared>,
}

impl OutboundQueue {
    /// A queue with one sender.
    pub(crate) fn new() -> (QueueSender, OutboundQueue) {
        let shared = Arc::new(Shared { senders: AtomicUsize::new(1), ..Shared::default() });
        (QueueSender { shared: shared.clone() }, OutboundQueue { shared })
    }

    /// The next message, waiting for one; `None` when no sender is left and the queue is empty.
    ///
    /// ```
    /// # use mcp_connector_core::{Outbound, jsonrpc::Message};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let (out, mut queue) = Outbound::queue();
    /// out.send(Message::notification("notifications/message", None));
    /// assert!(queue.recv().await.is_some());
    /// # });
    /// ```
    pub async fn recv(&mut self) -> Option<Message> {
        poll_fn(|cx| {
            if let Some(message) = self.try_recv() {
                return Poll::Ready(Some(message));
            }
            self.shared.waker.register(cx.waker());
            // Checked again after registering: a message or the last sender's drop may have
            // come in between, and its wake-up would have gone to the previous waker.
            if let Some(message) = self.try_recv() {
                return Poll::Ready(Some(message));
            }
            if self.shared.senders.load(Ordering::Acquire) == 0 {
                return Poll::Ready(self.try_recv());
            }
            Poll::Pending
        })
        .await
    }

    /// The next message if one is queued.
    ///
    /// ```
    /// # use mcp_connector_core::Outbound;
    /// let (_out, mut queue) = Outbound::queue();
    /// assert!(queue.try_recv().is_none());
    /// ```
    pub fn try_recv(&mut self) -> Option<Message> {
        self.shared.messages.lock().ok()?.pop_front()
    }
}

impl Drop for OutboundQueue {
    fn drop(&mut self) {
        self.shared.receiver_gone.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::Outbound;
    use crate::jsonrpc::Message;

    fn note(n: i64) -> Message {
        Message::notification("notifications/progress", Some(serde_json::json!({"progress": n})))
    }

    #[tokio::test]
    async fn messages_arrive_in_order_and_the_end_is_seen_once_every_sender_is_gone() {
        let (out, mut queue) = Outbound::queue();
        let clone = out.clone();
        assert!(out.send(note(1)));
        assert!(clone.send(note(2)));
        drop(out);
        let sender = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(clone.send(note(3)));
            // `clone` is dropped here: the last sender.
        });
        let mut seen = Vec::new();
        while let Some(message) = queue.recv().await {
            seen.push(message);
        }
        sender.await.unwrap();
        assert_eq!(seen, vec![note(1), note(2), note(3)]);
    }

    #[test]
    fn a_sender_sees_the_receiver_go() {
        let (out, queue) = Outbound::queue();
        assert!(!out.is_closed());
        drop(queue);
        assert!(out.is_closed());
        assert!(!out.send(note(1)));
    }
}
