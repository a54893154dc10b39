//! Limits on greedy clients at the request level: the cap on requests in flight and the
//! per-principal rate limit. Both answer at once (503 or 429 with `Retry-After`) rather than
//! queue: a server at its limit that makes callers wait turns a burst into a pile-up.
//! The connection-level limits (timeouts, the connection cap) live in `serve.rs`.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderName, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::reject::Rejection;

/// A per-principal rate limit for [`HttpTransport::rate_limit`](super::HttpTransport::rate_limit):
/// a token bucket of `burst` requests that refills at `per_second`. Signed-in callers are
/// counted by their principal (the token's issuer and subject), anonymous ones by their peer
/// address or, behind a reverse proxy, by the address a [forwarded
/// header](Self::forwarded_header) names. A caller over its limit gets `429 Too Many
/// Requests` with `Retry-After`.
///
/// ```
/// use mcp_connector_transport::http::{HttpTransport, RateLimit};
///
/// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
/// // 5 requests a second on average, bursts of 20; behind nginx, which appends the client's
/// // address to X-Forwarded-For.
/// let limit = RateLimit::per_second(5.0).burst(20).forwarded_header("x-forwarded-for");
/// let app = HttpTransport::new(server).rate_limit(limit).router();
/// # drop(app);
/// ```
#[derive(Debug, Clone)]
pub struct RateLimit {
    per_second: f64,
    burst: u32,
    forwarded: Option<HeaderName>,
}

impl RateLimit {
    /// `per_second` requests a second on average, with bursts of as many (at least 1). A
    /// rate that is not a positive number is taken as one request a second.
    ///
    /// ```
    /// let limit = mcp_connector_transport::http::RateLimit::per_second(10.0);
    /// # drop(limit);
    /// ```
    pub fn per_second(per_second: f64) -> Self {
        let per_second = if per_second.is_finite() && per_second > 0.0 { per_second } else { 1.0 };
        RateLimit { per_second, burst: per_second.ceil().max(1.0) as u32, forwarded: None }
    }

    /// How many requests may arrive at once before the rate applies (at least 1).
    ///
    /// ```
    /// let limit = mcp_connector_transport::http::RateLimit::per_second(1.0).burst(30);
    /// # drop(limit);
    /// ```
    pub fn burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }

    /// Behind a reverse proxy every connection comes from the proxy: count anonymous callers
    /// by the last address in this header instead (the one the proxy nearest to the server
    /// appended, as nginx's `$proxy_add_x_forwarded_for` and Caddy do for `X-Forwarded-For`).
    /// Only set it when a proxy you run always writes the header: a client reaching the
    /// server directly could otherwise pick its own key. An invalid header name is ignored
    /// (with an error logged), leaving the peer address in use.
    ///
    /// ```
    /// let limit = mcp_connector_transport::http::RateLimit::per_second(5.0).forwarded_header("x-forwarded-for");
    /// # drop(limit);
    /// ```
    pub fn forwarded_header(mut self, name: &str) -> Self {
        match HeaderName::try_from(name) {
            Ok(name) => self.forwarded = Some(name),
            Err(_) => tracing::error!(name, "not a valid header name; rate limits key on the peer address"),
        }
        self
    }
}

/// A bucket: tokens left and when they were last counted.
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets beyond this many are pruned of full ones (a full bucket is the same as none).
const PRUNE_ABOVE: usize = 100_000;

/// The buckets of one router.
pub(crate) struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        RateLimiter { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `key`; `Err(seconds)` to wait when there is none.
    fn take(&self, key: &str, now: Instant) -> Result<(), u32> {
        let RateLimit { per_second, burst, .. } = self.limit;
        let burst = f64::from(burst);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > PRUNE_ABOVE && !buckets.contains_key(key) {
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: burst, at: now });
        let refill = now.saturating_duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refill).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u32)
        }
    }

    /// Who `request` counts against: its principal, else its forwarded or peer address.
    fn key(&self, request: &Request) -> String {
        if let Some(principal) = super::endpoint::principal(request.extensions()) {
            return format!("p:{principal}");
        }
        if let Some(name) = &self.limit.forwarded
            && let Some(value) = request.headers().get(name).and_then(|v| v.to_str().ok())
            && let Some(last) = value.rsplit(',').next().map(str::trim).filter(|s| !s.is_empty())
        {
            return format!("a:{last}");
        }
        match request.extensions().get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(peer)) => format!("a:{}", peer.ip()),
            // Mounted in an app served without connect info: every anonymous caller shares
            // one bucket, which still caps the anonymous load as a whole.
            None => "a:unknown".to_owned(),
        }
    }

    /// `Some(429)` when `request` is over its limit.
    fn check(&self, request: &Request) -> Option<Response> {
        if request.method() == Method::OPTIONS {
            return None;
        }
        let key = self.key(request);
        let seconds = self.take(&key, Instant::now()).err()?;
        tracing::info!(status = 429, retry_after = seconds, "rate limited");
        let rejection = Rejection::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too Many Requests: slow down; retry in {seconds} s"),
        )
        .retry_after(seconds);
        Some(rejection.into_response())
    }
}

/// The rate limit as a tower layer, inside the auth layer (it needs the principal).
#[derive(Clone)]
pub(crate) struct RateLimitLayer {
    pub(crate) limiter: Arc<RateLimiter>,
}

impl<S> tower_layer::Layer<S> for RateLimitLayer {
    type Service = Limited<S, Arc<RateLimiter>>;

    fn layer(&self, inner: S) -> Self::Service {
        Limited { inner, limit: self.limiter.clone() }
    }
}

/// The cap on requests in flight: POSTs (and DELETEs) from arrival until their response body
/// has been written. GET streams are not counted: they last as long as their session, and
/// [`max_sessions`](super::HttpTransport::max_sessions) caps them.
pub(crate) struct InFlight {
    max: usize,
    now: AtomicUsize,
}

impl InFlight {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(InFlight { max, now: AtomicUsize::new(0) })
    }

    fn enter(self: &Arc<Self>) -> Option<InFlightGuard> {
        let mut now = self.now.load(Ordering::Relaxed);
        loop {
            if now >= self.max {
                return None;
            }
            match self.now.compare_exchange_weak(now, now + 1, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return Some(InFlightGuard(self.clone())),
                Err(actual) => now = actual,
            }
        }
    }
}

/// One request's place under the cap, given back when its response body is dropped.
pub(crate) struct InFlightGuard(Arc<InFlight>);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What a [`Limited`] service checks before the inner service runs.
pub(crate) trait Limit: Clone {
    /// `Err(refusal)` to answer at once; `Ok(guard)` to hold for the life of the response.
    fn admit(&self, request: &Request) -> Result<Option<InFlightGuard>, Box<Response>>;
}

impl Limit for Arc<RateLimiter> {
    fn admit(&self, request: &Request) -> Result<Option<InFlightGuard>, Box<Response>> {
        match self.check(request) {
            Some(refusal) => Err(Box::new(refusal)),
            None => Ok(None),
        }
    }
}

impl Limit for Arc<InFlight> {
    fn admit(&self, request: &Request) -> Result<Option<InFlightGuard>, Box<Response>> {
        if request.method() == Method::GET || request.method() == Method::OPTIONS {
            return Ok(None);
        }
        match self.enter() {
            Some(guard) => Ok(Some(guard)),
            None => {
                let max = self.max;
                tracing::warn!(max, "refused a request: at the cap on requests in flight");
                Err(Box::new(Rejection::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("Service Unavailable: this server is busy with its maximum of {max} requests; retry shortly"),
                )
                .retry_after(1)
                .into_response()))
            }
        }
    }
}

/// A service behind a [`Limit`]: refused requests are answered without reaching it.
#[derive(Clone)]
pub(crate) struct Limited<S, L> {
    inner: S,
    limit: L,
}

impl<S, L> tower_service::Service<Request> for Limited<S, L>
where
    S: tower_service::Service<Request, Response = Response>,
    L: Limit,
{
    type Response = Response;
    type Error = S::Error;
    type Future = LimitedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.limit.admit(&request) {
            Err(refusal) => LimitedFuture::Refused { refusal: Some(*refusal) },
            Ok(guard) => LimitedFuture::Admitted { inner: self.inner.call(request), guard },
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer of a [`Limited`] service: the refusal, or the inner answer whose body holds
    /// the request's place under the cap until it is written.
    #[project = LimitedProj]
    pub(crate) enum LimitedFuture<F> {
        Refused { refusal: Option<Response> },
        Admitted { #[pin] inner: F, guard: Option<InFlightGuard> },
    }
}

impl<F, E> Future for LimitedFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            LimitedProj::Refused { refusal } => match refusal.take() {
                Some(refusal) => Poll::Ready(Ok(refusal)),
                None => Poll::Pending,
            },
            LimitedProj::Admitted { inner, guard } => {
                let response = std::task::ready!(inner.poll(cx))?;
                Poll::Ready(Ok(match guard.take() {
                    Some(guard) => response.map(|body| Body::new(Held { inner: body, _guard: guard })),
                    None => response,
                }))
            }
        }
    }
}

pin_project_lite::pin_project! {
    /// A response body that holds something (a place under a cap) until it is dropped: after
    /// its last byte was written, or when the client went away.
    pub(crate) struct Held<G> {
        #[pin]
        inner: Body,
        _guard: G,
    }
}

impl<G> Held<G> {
    pub(crate) fn new(inner: Body, guard: G) -> Self {
        Held { inner, _guard: guard }
    }
}

impl<G> HttpBody for Held<G> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// How long a refused caller should wait, for tests of the arithmetic.
#[cfg(test)]
fn wait_for(limiter: &RateLimiter, key: &str, now: Instant) -> Result<(), u32> {
    limiter.take(key, now)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(RateLimit::per_second(2.0).burst(3));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(wait_for(&limiter, "a", t0), Ok(()));
        }
        assert_eq!(wait_for(&limiter, "a", t0), Err(1));
        // Another key has its own bucket.
        assert_eq!(wait_for(&limiter, "b", t0), Ok(()));
        // Half a second at 2/s is one token.
        assert_eq!(wait_for(&limiter, "a", t0 + Duration::from_millis(500)), Ok(()));
        assert_eq!(wait_for(&limiter, "a", t0 + Duration::from_millis(500)), Err(1));
    }

    #[test]
    fn a_rate_that_is_not_a_positive_number_is_one_a_second() {
        for rate in [0.0, -3.0, f64::NAN, f64::INFINITY] {
            let limit = RateLimit::per_second(rate);
            assert_eq!((limit.per_second, limit.burst), (1.0, 1), "{rate}");
        }
    }
}
