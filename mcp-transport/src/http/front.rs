//! The layer in front of every MCP route: the cap on requests in flight, the Host/Origin check
//! (DNS rebinding) and CORS, in that order, as one service with one future.
//!
//! They were four tower layers (the cap, the check, a static `Vary`, the CORS shortcut), each
//! wrapping the route's future in its own: four poll hops and four futures nested in the one
//! moved per request, and `Origin` looked up twice. As one service, a request that is no CORS
//! request (every non-browser client) costs one lookup of `Host` and one of `Origin`, and its
//! answer gets the same headers in the same order as before:
//!
//! - over the cap: `503` with `Retry-After`, nothing else added;
//! - a foreign `Host` or `Origin`: `403`, nothing else added (it holds its place under the
//!   cap until written, as every answer does);
//! - a browser's request (`Origin`) or a preflight (`OPTIONS`): tower-http's
//!   [`Cors`](tower_http::cors::Cors), then `Vary`;
//! - any other request: the route's answer, then `Access-Control-Expose-Headers` (the only
//!   CORS rule that applies without `Origin`, see [`cors`](super::cors)), then `Vary`.
//!
//! Without CORS ([`HttpTransport::cors`](super::HttpTransport::cors) off) neither header is
//! added and no request goes through tower-http.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, header};
use axum::response::Response;
use tower_http::cors::CorsLayer;
use tower_service::Service;

use super::allow::{HostRule, OriginRule};
use super::limits::{Held, InFlight, InFlightGuard, Limit};
use super::{cors, guard};

/// What [`Fronted`] checks and adds, built once per router.
pub(crate) struct Front {
    /// The cap on requests in flight, when there is one.
    pub(crate) in_flight: Option<Arc<InFlight>>,
    pub(crate) hosts: HostRule,
    pub(crate) origins: OriginRule,
    /// tower-http's CORS rules when CORS is on. They must expose [`cors::EXPOSED`], add no
    /// `Vary` of their own, and set no other header without `Origin` (no credentials, no
    /// private network), as `HttpTransport::router` builds them.
    pub(crate) cors: Option<CorsLayer>,
}

/// The [`Front`] as a tower layer; every route it wraps shares it (and its cap).
#[derive(Clone)]
pub(crate) struct FrontLayer(Arc<Front>);

impl FrontLayer {
    pub(crate) fn new(front: Front) -> Self {
        FrontLayer(Arc::new(front))
    }
}

impl<S> tower_layer::Layer<S> for FrontLayer {
    type Service = Fronted<S>;

    fn layer(&self, inner: S) -> Fronted<S> {
        Fronted { inner, front: self.0.clone() }
    }
}

/// A route behind the [`Front`]. Cloned for every request (axum and `serve` both do), so it
/// holds one `Arc`.
#[derive(Clone)]
pub(crate) struct Fronted<S> {
    inner: S,
    front: Arc<Front>,
}

/// The `Vary` every answer that passed the checks carries when CORS is on: what tower-http
/// would write, as one static value (it joins the names anew for every response).
const VARY: HeaderValue =
    HeaderValue::from_static("origin, access-control-request-method, access-control-request-headers");

impl<S> Service<Request> for Fronted<S>
where
    S: Service<Request, Response = Response> + Clone,
{
    type Response = Response;
    type Error = S::Error;
    type Future = FrontFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let front = &*self.front;
        // The cap first: it is the cheapest check and must hold whatever the request.
        let slot = match &front.in_flight {
            None => None,
            Some(in_flight) => match in_flight.admit(&request) {
                Ok(slot) => slot,
                Err(refusal) => return FrontFuture::refused(None, refusal),
            },
        };
        let origin = request.headers().get(header::ORIGIN);
        if let Some(refusal) = guard::foreign(&front.hosts, &front.origins, &request, origin) {
            return FrontFuture::refused(slot, Box::new(refusal));
        }
        let browser = origin.is_some() || request.method() == Method::OPTIONS;
        let kind = match &front.cors {
            Some(rules) if browser => {
                // The ready inner service moves into `Cors`; this one keeps a clone (tower's
                // "take the ready service" pattern). tower-http's future is boxed: it holds
                // its header rules (~500 bytes), and a future that large, unboxed, would make
                // every request's future that large, browser or not.
                let clone = self.inner.clone();
                let ready = std::mem::replace(&mut self.inner, clone);
                let mut cors = tower_layer::Layer::layer(rules, ready);
                Kind::Browser { inner: Box::pin(cors.call(request)) }
            }
            cors => Kind::Plain { inner: self.inner.call(request), cors: cors.is_some() },
        };
        FrontFuture { kind, slot }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a [`Fronted`] route: the refusal or the route's answer, with the CORS
    /// headers it is owed, its body holding the request's place under the cap until written.
    pub(crate) struct FrontFuture<F> {
        #[pin]
        kind: Kind<F>,
        slot: Option<InFlightGuard>,
    }
}

pin_project_lite::pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        // Boxed: a refusal is rare, and a `Response` (~130 bytes) here would make every
        // request's future that much larger, and it is moved through each layer above.
        Refused { refusal: Option<Box<Response>> },
        Plain { #[pin] inner: F, cors: bool },
        Browser { inner: Pin<Box<tower_http::cors::ResponseFuture<F>>> },
    }
}

impl<F> FrontFuture<F> {
    fn refused(slot: Option<InFlightGuard>, refusal: Box<Response>) -> Self {
        FrontFuture { kind: Kind::Refused { refusal: Some(refusal) }, slot }
    }
}

impl<F, E> Future for FrontFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = match this.kind.project() {
            KindProj::Refused { refusal } => match refusal.take() {
                Some(refusal) => *refusal,
                None => return Poll::Pending,
            },
            KindProj::Plain { inner, cors } => {
                let mut response = std::task::ready!(inner.poll(cx))?;
                if *cors {
                    // Inserted, replacing any, as tower-http merges its headers into the answer.
                    response.headers_mut().insert(
                        header::ACCESS_CONTROL_EXPOSE_HEADERS,
                        HeaderValue::from_static(cors::EXPOSED_VALUE),
                    );
                    response.headers_mut().append(header::VARY, VARY);
                }
                response
            }
            KindProj::Browser { inner } => {
                let mut response = std::task::ready!(inner.as_mut().poll(cx))?;
                response.headers_mut().append(header::VARY, VARY);
                response
            }
        };
        Poll::Ready(Ok(match this.slot.take() {
            Some(slot) => response.map(|body| Body::new(Held::new(body, slot))),
            None => response,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use tower::ServiceExt;
    use tower_http::cors::AllowOrigin;
    use tower_http::set_header::SetResponseHeaderLayer;
    use tower_layer::Layer;

    use super::*;

    fn rules() -> CorsLayer {
        CorsLayer::new()
            .allow_origin(AllowOrigin::predicate(|origin, _| origin == "http://localhost:6274"))
            .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
            .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
            .expose_headers(cors::EXPOSED)
            .max_age(std::time::Duration::from_secs(600))
            .vary([])
    }

    async fn inner(_: Request) -> Result<Response, Infallible> {
        let mut response = (StatusCode::OK, "{}").into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response.headers_mut().insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("x"));
        response.headers_mut().insert(header::VARY, HeaderValue::from_static("accept"));
        Ok(response)
    }

    fn request(method: Method, origin: Option<&'static str>) -> Request {
        let mut request = Request::builder().method(method).uri("/mcp").body(Body::empty()).unwrap();
        if let Some(origin) = origin {
            request.headers_mut().insert(header::ORIGIN, HeaderValue::from_static(origin));
            request
                .headers_mut()
                .insert(header::ACCESS_CONTROL_REQUEST_METHOD, HeaderValue::from_static("POST"));
            request
                .headers_mut()
                .insert(header::ACCESS_CONTROL_REQUEST_HEADERS, HeaderValue::from_static("content-type"));
        }
        request
    }

    fn headers(response: &Response) -> Vec<(String, Vec<u8>)> {
        response.headers().iter().map(|(n, v)| (n.to_string(), v.as_bytes().to_vec())).collect()
    }

    /// Past the checks, the answers are those of tower-http's `Cors` inside a static `Vary`,
    /// the layers the front replaces, header for header and in the same order.
    #[tokio::test]
    async fn answers_are_those_of_tower_http_with_a_static_vary() {
        let cases = [
            (Method::POST, None),
            (Method::GET, None),
            (Method::DELETE, None),
            (Method::POST, Some("http://localhost:6274")),
            (Method::POST, Some("http://evil.example")),
            (Method::OPTIONS, None),
            (Method::OPTIONS, Some("http://localhost:6274")),
            (Method::OPTIONS, Some("http://evil.example")),
        ];
        for (method, origin) in cases {
            let front = FrontLayer::new(Front {
                in_flight: None,
                hosts: HostRule::Any,
                origins: OriginRule::Any,
                cors: Some(rules()),
            });
            let fronted =
                front.layer(tower::service_fn(inner)).oneshot(request(method.clone(), origin)).await.unwrap();
            let vary = SetResponseHeaderLayer::appending(header::VARY, VARY);
            let reference = vary
                .layer(rules().layer(tower::service_fn(inner)))
                .oneshot(request(method.clone(), origin))
                .await
                .unwrap();
            assert_eq!(fronted.status(), reference.status(), "{method} {origin:?}");
            assert_eq!(headers(&fronted), headers(&reference), "{method} {origin:?}");
        }
    }

    #[tokio::test]
    async fn without_cors_the_answer_is_the_routes() {
        let front = FrontLayer::new(Front {
            in_flight: None,
            hosts: HostRule::Any,
            origins: OriginRule::Any,
            cors: None,
        });
        for origin in [None, Some("http://localhost:6274")] {
            let fronted =
                front.layer(tower::service_fn(inner)).oneshot(request(Method::POST, origin)).await.unwrap();
            let plain = inner(request(Method::POST, origin)).await.unwrap();
            assert_eq!(headers(&fronted), headers(&plain));
        }
    }

    #[tokio::test]
    async fn refusals_carry_no_cors_headers_and_the_cap_holds_until_the_body_is_gone() {
        let in_flight = InFlight::new(1);
        let front = FrontLayer::new(Front {
            in_flight: Some(in_flight.clone()),
            hosts: HostRule::loopback(),
            origins: OriginRule::loopback(),
            cors: Some(rules()),
        });
        let mut foreign = request(Method::POST, None);
        foreign.headers_mut().insert(header::HOST, HeaderValue::from_static("evil.example"));
        let refused = front.layer(tower::service_fn(inner)).oneshot(foreign).await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(!refused.headers().contains_key(header::VARY));
        assert!(!refused.headers().contains_key(header::ACCESS_CONTROL_EXPOSE_HEADERS));
        // The 403 still holds the one place: the next request is over the cap.
        let over = front.layer(tower::service_fn(inner)).oneshot(request(Method::POST, None)).await.unwrap();
        assert_eq!(over.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!over.headers().contains_key(header::VARY));
        drop(refused);
        let served =
            front.layer(tower::service_fn(inner)).oneshot(request(Method::POST, None)).await.unwrap();
        assert_eq!(served.status(), StatusCode::OK);
    }
}
