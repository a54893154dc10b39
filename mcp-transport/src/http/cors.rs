//! CORS around the MCP routes: tower-http's [`Cors`](tower_http::cors::Cors) for what a browser
//! sends, and a shortcut for everything else (applied by the [front layer](super::front)).
//!
//! A request without `Origin` that is no preflight is not a CORS request: of tower-http's rules
//! the only one that applies to it is `Access-Control-Expose-Headers` on the answer (the
//! allowed origin, credentials and private-network headers all depend on `Origin`). tower-http
//! still builds a header map of its rules for every request and merges it into the answer,
//! ~2k instructions of every `tools/call` in the callgrind profile, for one static header. So
//! such requests go straight to the route and the answer gets that header; the rest
//! (browsers) go through tower-http. The answers are the same byte for byte (a test of the
//! front layer compares them).

use axum::http::{HeaderName, header};

/// The response headers a browser script may read, as CORS exposes them.
pub(crate) const EXPOSED: [HeaderName; 3] = [
    HeaderName::from_static(super::MCP_SESSION_ID),
    HeaderName::from_static(super::MCP_PROTOCOL_VERSION),
    header::WWW_AUTHENTICATE,
];

/// [`EXPOSED`] as the one header value tower-http writes (names joined by commas, no spaces).
pub(crate) const EXPOSED_VALUE: &str = "mcp-session-id,mcp-protocol-version,www-authenticate";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposed_value_is_the_names_joined() {
        let joined = EXPOSED.iter().map(HeaderName::as_str).collect::<Vec<_>>().join(",");
        assert_eq!(joined, EXPOSED_VALUE);
    }
}
