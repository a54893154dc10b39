//! The HTTP side: the middleware in front of the MCP endpoint that reads and verifies bearer
//! tokens, the per-call scope check that answers 403, and what each request hands the core.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use mcp_connector_core::auth::{Claims, ToolGuard};
use mcp_connector_core::protocol::CallToolParams;
use mcp_connector_core::request::{ClientRequest, RequestEnvelope};
use mcp_connector_core::{Extensions, Server, Tool};
use sha2::Digest;

use super::guard::AuthGuard;
use super::verifier::VerifyError;
use super::{Auth, AuthMode, audit};
use crate::http::reject::Rejection;

/// What the middleware and the guards of one router share.
pub(crate) struct AuthState {
    pub(crate) auth: Arc<Auth>,
    pub(crate) server: Server,
}

impl AuthState {
    pub(crate) fn new(auth: Auth, server: Server) -> Arc<Self> {
        Arc::new(AuthState { auth: Arc::new(auth), server })
    }
}

/// The outcome of authentication, in the HTTP request's extensions.
#[derive(Clone)]
pub(crate) struct RequestAuth {
    claims: Option<Claims>,
    /// Who the request speaks for, as stateful sessions are bound to it; `None` when anonymous.
    pub(crate) principal: Option<Arc<str>>,
    state: Arc<AuthState>,
}

/// The identity a stateful session is bound to (2025-11-25, basic/security_best_practices,
/// "Session Hijacking": bind the session id to user-specific information): the issuer and the
/// subject of the token; for a token without a subject, its client; for a token that names
/// neither, the token itself (by digest), so that two such tokens never share a session.
/// The issuer is length-prefixed, so that no choice of `iss` and `sub` can spell another pair.
fn principal_of(claims: &Claims, token: &str) -> Arc<str> {
    let issuer = claims.issuer.as_deref().unwrap_or("");
    let key = match (&claims.subject, &claims.client_id) {
        (Some(subject), _) => format!("sub:{}:{issuer}{subject}", issuer.len()),
        (None, Some(client)) => format!("client:{}:{issuer}{client}", issuer.len()),
        (None, None) => {
            let digest = sha2::Sha256::digest(token.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            format!("token:{hex}")
        }
    };
    Arc::from(key)
}

/// The bearer token of the `Authorization` header (RFC 6750, section 2.1). Tokens in the
/// query string or the body are never read (2025-11-25, basic/authorization, "Access Token
/// Usage", item 2).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Middleware on the MCP endpoint: verifies the token when there is one; without one, 401 in
/// required mode and an anonymous request in mixed mode.
pub(crate) async fn authenticate(
    State(state): State<Arc<AuthState>>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    let mut principal = None;
    let claims = match bearer(request.headers()) {
        Some(token) => match state.auth.verifier.verify(token).await {
            Ok(claims) => {
                principal = Some(principal_of(&claims, token));
                Some(claims)
            }
            Err(VerifyError::Invalid(why)) => {
                audit::refused(401, "invalid_token", &why, peer);
                let description = format!("The access token is invalid: {why}");
                return refused(unauthorized(&state, Some(("invalid_token", &description))), "invalid_token");
            }
            Err(VerifyError::Unavailable(why)) => {
                tracing::warn!(status = 503, reason = %why, "cannot verify a bearer token");
                audit::refused(503, "unverifiable", &why, peer);
                let response = Rejection::unavailable(
                    "Service Unavailable: the access token cannot be verified right now; retry shortly",
                )
                .into_response();
                return refused(response, "unverifiable");
            }
        },
        None if state.auth.mode == AuthMode::Required => {
            audit::refused(401, "missing_token", "no bearer token in the Authorization header", peer);
            return refused(unauthorized(&state, None), "missing_token");
        }
        None => None,
    };
    request.extensions_mut().insert(RequestAuth { claims, principal, state: state.clone() });
    next.run(request).await
}

/// 401 with the challenge that lets a client discover where to get a token (2025-11-25,
/// basic/authorization, "Protected Resource Metadata Discovery Requirements").
fn unauthorized(state: &AuthState, error: Option<(&str, &str)>) -> Response {
    let scopes = state.auth.supported_scopes(&state.server);
    let challenge = state.auth.challenge(error, &scopes);
    let message = match error {
        Some((_, description)) => format!("Unauthorized: {description}"),
        None => {
            "Unauthorized: this server needs an OAuth access token in the Authorization header".to_owned()
        }
    };
    with_challenge(Rejection::new(StatusCode::UNAUTHORIZED, message), &challenge)
}

fn with_challenge(rejection: Rejection, challenge: &str) -> Response {
    let mut response = rejection.into_response();
    if let Ok(value) = HeaderValue::from_str(challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The scopes a step-up challenge asks for: those already granted and those needed, so the
/// client does not lose what it had (2025-11-25, basic/authorization, "Runtime Insufficient
/// Scope Errors", recommended approach).
pub(crate) fn challenge_scopes(claims: &Claims, needed: &[String]) -> Vec<String> {
    let mut scopes = claims.scopes.clone();
    for scope in needed {
        if !scopes.contains(scope) {
            scopes.push(scope.clone());
        }
    }
    scopes
}

/// A `tools/call` whose token lacks the tool's scopes: 403 with `error="insufficient_scope"`
/// (2025-11-25, basic/authorization, "Runtime Insufficient Scope Errors"). Calls without a
/// token (mixed mode) go on to the core, whose guard answers with a tool-level challenge.
/// `Some` holds the refusal.
pub(crate) fn check_call(server: &Server, parts: &Parts, envelope: &RequestEnvelope) -> Option<Response> {
    let ClientRequest::CallTool(call) = &envelope.request else {
        return None;
    };
    let Some(RequestAuth { claims: Some(claims), state, .. }) = parts.extensions.get::<RequestAuth>() else {
        return None;
    };
    // The tool is read in place (see `Server::with_tool`): no handle on it, and an empty
    // `Vec` of missing scopes allocates nothing.
    server
        .with_tool(&call.name, |tool| {
            let missing = claims.missing_scopes(tool.scopes());
            (!missing.is_empty()).then(|| insufficient_scope(tool, &missing, call, claims, state, parts))
        })
        .flatten()
}

/// The 403 for a call whose token lacks `missing` of the tool's scopes, audited.
fn insufficient_scope(
    tool: &Tool,
    missing: &[&str],
    call: &CallToolParams,
    claims: &Claims,
    state: &AuthState,
    parts: &Parts,
) -> Response {
    if !tool.is_read_only() {
        let no_arguments = serde_json::Map::new();
        let arguments = call.arguments.as_ref().unwrap_or(&no_arguments);
        audit::record(tool.name(), Some(claims), arguments, "denied", Duration::ZERO);
    }
    let description = format!("The tool `{}` needs the scope(s) {}", tool.name(), missing.join(" "));
    tracing::info!(status = 403, tool = tool.name(), missing = %missing.join(" "), "insufficient scope");
    let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    audit::refused(403, "insufficient_scope", &description, peer);
    let challenge = state
        .auth
        .challenge(Some(("insufficient_scope", &description)), &challenge_scopes(claims, tool.scopes()));
    let response = with_challenge(
        Rejection::new(StatusCode::FORBIDDEN, format!("Forbidden: {description}")),
        &challenge,
    );
    refused(response, "insufficient_scope")
}

/// Notes the refusal's reason on the response, for the metrics.
fn refused(mut response: Response, reason: &'static str) -> Response {
    response.extensions_mut().insert(crate::http::metrics_refusal(reason));
    response
}

/// Hands the core what it needs for this request: the verified claims, the guard that
/// enforces scopes, and the headers without `Authorization` (handlers never see the token,
/// so they cannot pass it on).
pub(crate) fn attach(parts: &mut Parts, extensions: &mut Extensions) {
    let Some(request_auth) = parts.extensions.get::<RequestAuth>() else {
        return;
    };
    parts.headers.remove(header::AUTHORIZATION);
    if let Some(claims) = &request_auth.claims {
        extensions.insert(claims.clone());
    }
    let guard: Arc<dyn ToolGuard> = Arc::new(AuthGuard { state: request_auth.state.clone() });
    extensions.insert(guard);
}

/// The principal of a request the middleware let through (`None`: anonymous, or auth is off).
pub(crate) fn principal(extensions: &axum::http::Extensions) -> Option<Arc<str>> {
    extensions.get::<RequestAuth>().and_then(|auth| auth.principal.clone())
}
