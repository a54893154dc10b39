//! Server-Sent Events on the wire: framing, keep-alive comments, and the response headers that
//! stop proxies from buffering.

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
    }
}
