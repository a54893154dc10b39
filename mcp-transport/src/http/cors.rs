//! CORS around the MCP routes: tower-http's [`Cors`](tower_http::cors::Cors) for what a browser sends, and a shortcut
//! for everything else.
//!
//! A request without `Origin` that is no preflight is not a CORS request: of tower-http's rules
//! the only one that applies to it is `Access-Control-Expose-Headers` on the answer (the
//! allowed origin, credentials and private-network headers all depend on `Origin`). tower-http
//! still builds a header map of its rules for every request and merges it into the answer,
//! ~2k instructions of every `tools/call` in the callgrind profile, for one static header. So
//! such requests go straight to the inner service and the answer gets that header; the rest
//! (browsers) go through tower-http as before. The answers are the same byte for byte (a test
//! below compares them).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::Response;
use futures_util::future::Either;
use tower_http::cors::CorsLayer;

/// The response headers a browser script may read, as CORS exposes them.
pub(crate) const EXPOSED: [HeaderName; 3] = [
    HeaderName::from_static(super::MCP_SESSION_ID),
    HeaderName::from_static(super::MCP_PROTOCOL_VERSION),
    header::WWW_AUTHENTICATE,
];

/// [`EXPOSED`] as the one header value tower-http writes (names joined by commas, no spaces).
const EXPOSED_VALUE: &str = "mcp-session-id,mcp-protocol-version,www-authenticate";

/// tower-http's [`CorsLayer`], with the shortcut for requests that are not CORS requests. The
/// layer must expose [`EXPOSED`] and no other header rule may apply without `Origin` (no
/// credentials, no private network), as in `HttpTransport::router`.
#[derive(Clone)]
pub(crate) struct CorsShortcutLayer {
    pub(crate) cors: CorsLayer,
}

impl<S> tower_layer::Layer<S> for CorsShortcutLayer {
    type Service = CorsShortcut<S>;

    fn layer(&self, inner: S) -> CorsShortcut<S> {
        CorsShortcut { cors: Arc::new(self.cors.clone()), inner }
    }
}

/// The service of [`CorsShortcutLayer`]. Holds the layer rather than tower-http's `Cors`
/// service: axum clones a route's service for every request, and cloning `Cors` copies its
/// rules (~650 instructions per request in the callgrind profile), where this clones an `Arc`.
/// A browser's request wraps the inner service in `Cors` when it comes.
#[derive(Clone)]
pub(crate) struct CorsShortcut<S> {
    cors: Arc<CorsLayer>,
    inner: S,
}

impl<S> tower_service::Service<Request> for CorsShortcut<S>
where
    S: tower_service::Service<Request, Response = Response> + Clone,
{
    type Response = Response;
    type Error = S::Error;
    /// tower-http's future is boxed: it holds its header rules (~500 bytes), and a future
    /// that large, unboxed, makes every request's future that large, copied as each layer
    /// wraps it, browser or not.
    type Future = Either<Pin<Box<tower_http::cors::ResponseFuture<S::Future>>>, Exposing<S::Future>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if request.method() == Method::OPTIONS || request.headers().contains_key(header::ORIGIN) {
            // The ready inner service moves into `Cors`; this one keeps a clone (tower's
            // "take the ready service" pattern).
            let clone = self.inner.clone();
            let ready = std::mem::replace(&mut self.inner, clone);
            return Either::Left(Box::pin(tower_layer::Layer::layer(&*self.cors, ready).call(request)));
        }
        Either::Right(Exposing { inner: self.inner.call(request) })
    }
}

pin_project_lite::pin_project! {
    /// The answer to a request that is no CORS request, with the exposed headers named.
    pub(crate) struct Exposing<F> {
        #[pin]
        inner: F,
    }
}

impl<F, E> Future for Exposing<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut response = std::task::ready!(self.project().inner.poll(cx))?;
        // Inserted, replacing any, as tower-http merges its headers into the answer.
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSED_VALUE));
        Poll::Ready(Ok(response))
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use tower::ServiceExt;
    use tower_http::cors::AllowOrigin;
    use tower_layer::Layer;

    use super::*;

    fn layer() -> CorsLayer {
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(|origin, _| origin == "http://localhost:6274"))
            .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
            .expose_headers(EXPOSED)
            .vary([])
    }

    async fn inner(_: Request) -> Result<Response, Infallible> {
        let mut response = (StatusCode::OK, "{}").into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.headers_mut().insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("x"));
        Ok(response)
    }

    fn request(method: Method, origin: Option<&'static str>) -> Request {
        let mut request = Request::builder().method(method).uri("/mcp").body(Body::empty()).unwrap();
        if let Some(origin) = origin {
            request.headers_mut().insert(header::ORIGIN, HeaderValue::from_static(origin));
        }
        request
    }

    fn headers(response: &Response) -> Vec<(String, Vec<u8>)> {
        response.headers().iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect()
    }

    #[tokio::test]
    async fn answers_are_those_of_tower_http() {
        let cases = [
            (Method::POST, None),
            (Method::GET, None),
            (Method::DELETE, None),
            (Method::POST, Some("http://localhost:6274")),
            (Method::POST, Some("http://evil.example")),
            (Method::OPTIONS, None),
            (Method::OPTIONS, Some("http://localhost:6274")),
        ];
        for (method, origin) in cases {
            let shortcut = CorsShortcutLayer { cors: layer() }
                .layer(tower::service_fn(inner))
                .oneshot(request(method.clone(), origin))
                .await
                .unwrap();
            let reference = layer()
                .layer(tower::service_fn(inner))
                .oneshot(request(method.clone(), origin))
                .await
                .unwrap();
            assert_eq!(shortcut.status(), reference.status(), "{method} {origin:?}");
            assert_eq!(headers(&shortcut), headers(&reference), "{method} {origin:?}");
        }
    }

    #[test]
    fn the_exposed_value_is_the_names_joined() {
        let joined = EXPOSED.iter().map(HeaderName::as_str).collect::<Vec<_>>().join(",");
        assert_eq!(joined, EXPOSED_VALUE);
    }
}
