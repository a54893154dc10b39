//! Operability: the liveness and readiness endpoints, and Prometheus metrics on an opt-in path.
//!
//! Metric and label names follow OpenTelemetry's semantic conventions where they exist, in the
//! form an OpenTelemetry-to-Prometheus exporter writes them (dots become underscores, the unit
//! becomes a suffix): `mcp.server.operation.duration` with `mcp.method.name`,
//! `gen_ai.tool.name` and `error.type` (MCP conventions), `http.server.active_requests` (HTTP
//! conventions). The registry is the transport's own (`prometheus-client`), not a process-wide
//! one, so two routers in one process never mix their numbers.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The labels of one MCP operation.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    mcp_method_name: String,
    gen_ai_tool_name: String,
    /// Empty on success; else the JSON-RPC error code or the HTTP status that ended it.
    error_type: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Refusal {
    reason: String,
}

/// The metrics of one router (and of the server that runs it).
pub(crate) struct Metrics {
    pub(crate) path: String,
    registry: Registry,
    operations: Family<Operation, Histogram>,
    active: Gauge,
    sessions: Gauge,
    pub(crate) connections: Gauge<i64, AtomicI64>,
    refusals: Family<Refusal, Counter>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Metrics {
    pub(crate) fn new(path: String) -> Arc<Self> {
        let mut registry = Registry::default();
        let operations = Family::<Operation, Histogram>::new_with_constructor(|| {
            // OpenTelemetry's advice for mcp.server.operation.duration, in seconds.
            Histogram::new([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0])
        });
        registry.register_with_unit(
            "mcp_server_operation_duration",
            "MCP requests by method, tool and error: duration until the answer starts",
            prometheus_client::registry::Unit::Seconds,
            operations.clone(),
        );
        let active = Gauge::default();
        registry.register("http_server_active_requests", "HTTP requests being handled", active.clone());
        let sessions = Gauge::default();
        registry.register("mcp_server_sessions", "Open stateful and legacy SSE sessions", sessions.clone());
        let connections = Gauge::<i64, AtomicI64>::default();
        registry.register(
            "http_server_open_connections",
            "Open connections (when the transport runs its own server)",
            connections.clone(),
        );
        let refusals = Family::<Refusal, Counter>::default();
        registry.register(
            "mcp_server_auth_refusals",
            "Requests refused at the token check, by reason",
            refusals.clone(),
        );
        Arc::new(Metrics { path, registry, operations, active, sessions, connections, refusals })
    }

    fn render(&self, sessions: usize) -> Response {
        self.sessions.set(sessions as i64);
        let mut text = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(%error, "cannot render the metrics");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        let mut response = text.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        response
    }
}

/// What the endpoint learned about a request, for its metric: filled in as the request is
/// decoded and answered, read when the answer starts.
#[derive(Clone, Default)]
pub(crate) struct Observed(Arc<Mutex<Observation>>);

#[derive(Default)]
struct Observation {
    method: Option<String>,
    tool: Option<String>,
    error: Option<String>,
}

impl Observed {
    fn with(&self, f: impl FnOnce(&mut Observation)) {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()));
    }

    /// The observation of a request, when metrics are on.
    pub(crate) fn of(extensions: &axum::http::Extensions) -> Option<&Observed> {
        extensions.get::<Observed>()
    }

    /// The JSON-RPC method and, for `tools/call`, the tool.
    pub(crate) fn request(&self, method: &str, tool: Option<&str>) {
        self.with(|o| {
            o.method = Some(method.to_owned());
            o.tool = tool.map(str::to_owned);
        });
    }

    /// The JSON-RPC error code the answer carries.
    pub(crate) fn error_code(&self, code: i64) {
        self.with(|o| o.error = Some(code.to_string()));
    }
}

/// Why the auth layer refused a request, in the response's extensions for the metrics.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AuthRefusal(pub(crate) &'static str);

/// The layer that serves the metrics path and records every request.
#[derive(Clone)]
pub(crate) struct MetricsLayer {
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) shared: Arc<super::Shared>,
}

impl<S> tower_layer::Layer<S> for MetricsLayer {
    type Service = Measured<S>;

    fn layer(&self, inner: S) -> Measured<S> {
        Measured { inner, layer: self.clone() }
    }
}

#[derive(Clone)]
pub(crate) struct Measured<S> {
    inner: S,
    layer: MetricsLayer,
}

impl<S> tower_service::Service<Request> for Measured<S>
where
    S: tower_service::Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = MeasuredFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let metrics = &self.layer.metrics;
        if request.method() == Method::GET && request.uri().path() == metrics.path {
            return MeasuredFuture::Rendered {
                response: Some(metrics.render(self.layer.shared.sessions.count())),
            };
        }
        let observed = Observed::default();
        request.extensions_mut().insert(observed.clone());
        metrics.active.inc();
        MeasuredFuture::Measuring {
            inner: self.inner.call(request),
            metrics: Some(metrics.clone()),
            observed,
            started: Instant::now(),
        }
    }
}

pin_project_lite::pin_project! {
    #[project = MeasuredProj]
    pub(crate) enum MeasuredFuture<F> {
        Rendered { response: Option<Response> },
        Measuring {
            #[pin]
            inner: F,
            metrics: Option<Arc<Metrics>>,
            observed: Observed,
            started: Instant,
        },
    }
}

impl<F, E> Future for MeasuredFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            MeasuredProj::Rendered { response } => {
                Poll::Ready(Ok(response.take().unwrap_or_else(|| Body::empty().into_response())))
            }
            MeasuredProj::Measuring { inner, metrics, observed, started } => {
                let result = std::task::ready!(inner.poll(cx));
                if let Some(metrics) = metrics.take() {
                    metrics.active.dec();
                    if let Ok(response) = &result {
                        record(&metrics, observed, response, started.elapsed().as_secs_f64());
                    }
                }
                Poll::Ready(result)
            }
        }
    }
}

fn record(metrics: &Metrics, observed: &Observed, response: &Response, seconds: f64) {
    if let Some(AuthRefusal(reason)) = response.extensions().get::<AuthRefusal>() {
        metrics.refusals.get_or_create(&Refusal { reason: (*reason).to_owned() }).inc();
    }
    let observation = observed.0.lock().unwrap_or_else(|e| e.into_inner());
    // Only MCP requests whose method was read: not CORS preflights, health checks or metadata.
    let Some(method) = &observation.method else { return };
    let status = response.status();
    let error_type = match &observation.error {
        Some(code) => code.clone(),
        None if status.is_client_error() || status.is_server_error() => status.as_u16().to_string(),
        None => String::new(),
    };
    let labels = Operation {
        mcp_method_name: method.clone(),
        gen_ai_tool_name: observation.tool.clone().unwrap_or_default(),
        error_type,
    };
    metrics.operations.get_or_create(&labels).observe(seconds);
}
