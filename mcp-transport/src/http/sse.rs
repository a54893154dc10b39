//! Server-Sent Events on the wire: framing, keep-alive comments, and the response headers that
//! stop proxies from buffering.
//!
//! Why not `axum::response::sse` (axum 0.8): its `Sse` body takes a stream of `Event`s, while
//! the frames here are bytes, framed once where they are produced (a session frames an event
//! as it emits it and writes those bytes to whichever connection is attached) and carried on
//! `mpsc` channels of `Bytes` across the transport. axum has no way between the two: no
//! `Event` from bytes, and `Event`'s bytes stay private (`finalize`), so it cannot even serve
//! as the framing helper below. And `Event::default().id(id).data("")` writes no `data:` line
//! at all, where the priming event of 2025-11-25 is an id with an empty data field
//! (`id: X\ndata: \n\n`). What `Sse` and `KeepAlive` would add is no more than what
//! [`response`] does: the same two headers, and the same `: keep-alive` comment after the same
//! idle interval; the `stop` drain and the `guard` would still be ours.

use std::any::Any;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::mpsc;

/// A comment line: ignored by clients, but it keeps proxies and load balancers from closing an
/// idle connection and lets the server notice a client that went away.
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// One SSE event. `event` is `message` for JSON-RPC messages (legacy clients require the name;
/// streamable HTTP clients accept it), `endpoint` for the legacy transport's first event, and
/// absent for the priming event.
pub(crate) fn event(id: Option<&str>, event: Option<&str>, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + 48);
    if let Some(id) = id {
        out.push_str("id: ");
        out.push_str(id);
        out.push('\n');
    }
    if let Some(event) = event {
        out.push_str("event: ");
        out.push_str(event);
        out.push('\n');
    }
    // serde_json's compact output never contains a raw newline, but the framing must not
    // depend on that: each line of the payload gets its own `data:` field.
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line.strip_suffix('\r').unwrap_or(line));
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// A JSON-RPC message as an SSE `message` event.
pub(crate) fn message(id: Option<&str>, json: &str) -> Bytes {
    event(id, Some("message"), json)
}

type Stop = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What feeds one SSE response body.
pub(crate) struct Source {
    /// Frames to write, in order; the stream ends when every sender is gone.
    pub(crate) frames: mpsc::UnboundedReceiver<Bytes>,
    /// Interval of keep-alive comments on an idle stream.
    pub(crate) keep_alive: Option<Duration>,
    /// Ends the stream once it resolves, after writing the frames already queued.
    pub(crate) stop: Option<Stop>,
    /// Dropped with the body, that is when the stream ends or the client goes away.
    pub(crate) guard: Option<Box<dyn Any + Send>>,
}

impl Source {
    pub(crate) fn new(frames: mpsc::UnboundedReceiver<Bytes>, keep_alive: Option<Duration>) -> Self {
        Source { frames, keep_alive, stop: None, guard: None }
    }

    pub(crate) fn stop_when(mut self, stop: impl Future<Output = ()> + Send + 'static) -> Self {
        self.stop = Some(Box::pin(stop));
        self
    }

    pub(crate) fn guard(mut self, guard: impl Any + Send) -> Self {
        self.guard = Some(Box::new(guard));
        self
    }
}

struct State {
    source: Source,
    stopping: bool,
}

/// A `200 text/event-stream` response written frame by frame: hyper sends each frame as soon
/// as it is produced (a flush per event), and nothing is buffered on our side.
pub(crate) fn response(source: Source, extra: HeaderMap) -> Response {
    let state = State { source, stopping: false };
    let stream = futures_util::stream::unfold(state, |mut st| async move {
        if st.stopping {
            let frame = st.source.frames.try_recv().ok()?;
            return Some((Ok::<_, Infallible>(frame), st));
        }
        let keep_alive = st.source.keep_alive;
        let idle = async move {
            match keep_alive {
                Some(every) => tokio::time::sleep(every).await,
                None => std::future::pending().await,
            }
        };
        let stop = async {
            match st.source.stop.as_mut() {
                Some(stop) => stop.await,
                None => std::future::pending().await,
            }
        };
        let frame = tokio::select! {
            biased;
            frame = st.source.frames.recv() => frame?,
            () = stop => {
                st.stopping = true;
                st.source.stop = None;
                let frame = st.source.frames.try_recv().ok()?;
                return Some((Ok(frame), st));
            }
            () = idle => Bytes::from_static(KEEP_ALIVE),
        };
        Some((Ok(frame), st))
    });
    let mut response = (StatusCode::OK, Body::from_stream(stream)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // nginx buffers proxied responses unless told not to; an SSE stream must not wait there.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    headers.extend(extra);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_of_messages_priming_and_multiline_data() {
        assert_eq!(&message(Some("p1-2"), "{}")[..], b"id: p1-2\nevent: message\ndata: {}\n\n");
        assert_eq!(&event(Some("g-1"), None, "")[..], b"id: g-1\ndata: \n\n");
        assert_eq!(&event(None, Some("x"), "a\nb")[..], b"event: x\ndata: a\ndata: b\n\n");
        assert_eq!(&event(None, None, "a\r\nb")[..], b"data: a\ndata: b\n\n");
    }

    /// The response as clients and proxies see it: its headers, then each frame as written.
    #[tokio::test(start_paused = true)]
    async fn the_body_writes_frames_keep_alives_and_drains_queued_frames_on_stop() {
        use futures_util::StreamExt;

        let (frames, rx) = mpsc::unbounded_channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        // The guard is a sender: its receiver sees the end once the body has dropped it.
        let (guard, mut guard_dropped) = mpsc::unbounded_channel::<()>();
        let source = Source::new(rx, Some(Duration::from_secs(15)))
            .stop_when(async move {
                let _ = stopped.await;
            })
            .guard(guard);
        let mut extra = HeaderMap::new();
        extra.insert("mcp-session-id", HeaderValue::from_static("s1"));
        let response = response(source, extra);

        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "text/event-stream");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        assert_eq!(headers["x-accel-buffering"], "no");
        assert_eq!(headers["mcp-session-id"], "s1");

        let mut body = response.into_body().into_data_stream();
        frames.send(event(Some("s-1"), None, "")).unwrap();
        frames.send(message(Some("s-2"), "{}")).unwrap();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"id: s-1\ndata: \n\n");
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"id: s-2\nevent: message\ndata: {}\n\n");
        // Idle: a comment once the interval has passed (the paused clock jumps to it).
        let before = tokio::time::Instant::now();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b": keep-alive\n\n");
        assert_eq!(before.elapsed(), Duration::from_secs(15));

        // Stopping writes what is already queued, then ends though a sender is still alive.
        frames.send(message(None, "[1]")).unwrap();
        frames.send(message(None, "[2]")).unwrap();
        stop.send(()).unwrap();
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"event: message\ndata: [1]\n\n");
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"event: message\ndata: [2]\n\n");
        assert!(body.next().await.is_none());
        assert!(guard_dropped.recv().await.is_none());
    }

    #[tokio::test]
    async fn the_body_ends_when_every_sender_is_gone_and_drops_the_guard() {
        use futures_util::StreamExt;

        let (frames, rx) = mpsc::unbounded_channel();
        let (guard, mut guard_dropped) = mpsc::unbounded_channel::<()>();
        let mut body =
            response(Source::new(rx, None).guard(guard), HeaderMap::new()).into_body().into_data_stream();
        frames.send(message(None, "{}")).unwrap();
        drop(frames);
        assert_eq!(&body.next().await.unwrap().unwrap()[..], b"event: message\ndata: {}\n\n");
        assert!(body.next().await.is_none());
        assert!(guard_dropped.recv().await.is_none());
    }
}
