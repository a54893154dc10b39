//! Protected Resource Metadata (RFC 9728) and the `WWW-Authenticate` challenges that point
//! at it.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use mcp_connector_core::Server;
use serde::{Deserialize, Serialize};

use super::{Auth, WELL_KNOWN_PATH};

/// The Protected Resource Metadata document (RFC 9728, section 2) this server publishes.
///
/// ```
/// use mcp_connector_transport::auth::{Auth, StaticTokens};
/// let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
/// let auth = Auth::required("https://mcp.example.com/mcp", StaticTokens::new())
///     .authorization_server("https://login.example.com");
/// let doc = auth.protected_resource_metadata(&server);
/// assert_eq!(doc.resource, "https://mcp.example.com/mcp");
/// assert_eq!(doc.bearer_methods_supported, vec!["header"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtectedResourceMetadata {
    /// The canonical URL of this server.
    pub resource: String,
    /// Issuers of the authorization servers that issue tokens for it.
    pub authorization_servers: Vec<String>,
    /// Scopes clients may ask for.
    pub scopes_supported: Vec<String>,
    /// Always `["header"]`: tokens travel in `Authorization`, never in the query or body.
    pub bearer_methods_supported: Vec<String>,
    /// A human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// A page for developers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_documentation: Option<String>,
}

impl Auth {
    /// The metadata document for `server` (its `scopes_supported` default to every scope the
    /// server's tools declare).
    ///
    /// ```
    /// # use mcp_connector_transport::auth::{Auth, StaticTokens};
    /// # let server = mcp_connector_core::Server::builder("s", "1").build().unwrap();
    /// let doc = Auth::required("https://a.example/mcp", StaticTokens::new()).protected_resource_metadata(&server);
    /// assert!(doc.scopes_supported.is_empty());
    /// ```
    pub fn protected_resource_metadata(&self, server: &Server) -> ProtectedResourceMetadata {
        ProtectedResourceMetadata {
            resource: self.resource.clone(),
            authorization_servers: self.authorization_servers.clone(),
            scopes_supported: self.supported_scopes(server),
            bearer_methods_supported: vec!["header".into()],
            resource_name: self.resource_name.clone(),
            resource_documentation: self.resource_documentation.clone(),
        }
    }

    pub(crate) fn supported_scopes(&self, server: &Server) -> Vec<String> {
        if let Some(scopes) = &self.scopes_supported {
            return scopes.clone();
        }
        let mut scopes: Vec<String> = Vec::new();
        for tool in server.tools() {
            for scope in tool.scopes() {
                if !scopes.contains(scope) {
                    scopes.push(scope.clone());
                }
            }
        }
        scopes
    }

    /// A `Bearer` challenge (RFC 6750, section 3) with `resource_metadata` (RFC 9728, section 5.1).
    pub(crate) fn challenge(&self, error: Option<(&str, &str)>, scopes: &[String]) -> String {
        let mut parts = Vec::new();
        if let Some((code, description)) = error {
            parts.push(format!("error=\"{}\"", quoted(code)));
            parts.push(format!("error_description=\"{}\"", quoted(description)));
        }
        if !scopes.is_empty() {
            parts.push(format!("scope=\"{}\"", quoted(&scopes.join(" "))));
        }
        parts.push(format!("resource_metadata=\"{}\"", quoted(&self.metadata_url())));
        format!("Bearer {}", parts.join(", "))
    }
}

/// Keeps a value fit for a quoted-string in a header: printable ASCII, without `"` and `\`
/// (RFC 6750 restricts `error_description` to that set).
fn quoted(value: &str) -> String {
    value.chars().filter(|c| (' '..='~').contains(c) && *c != '"' && *c != '\\').collect()
}

/// `("https://host:port", "/path")` of a URL; the path without a trailing slash, and empty for
/// the root.
pub(crate) fn split_url(url: &str) -> (String, String) {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    let Some((scheme, rest)) = url.split_once("://") else {
        return (String::new(), url.trim_end_matches('/').to_owned());
    };
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    (format!("{scheme}://{host}"), path.trim_end_matches('/').to_owned())
}

struct MetadataState {
    auth: Arc<Auth>,
    server: Server,
}

/// The metadata routes: the root well-known path and the path-suffixed ones for the
/// resource's path and the router's MCP path (RFC 9728, section 3.1; 2025-11-25,
/// basic/authorization, "Protected Resource Metadata Discovery Requirements").
pub(crate) fn routes(auth: Arc<Auth>, server: Server, mcp_path: &str) -> Router {
    let (_, resource_path) = split_url(&auth.resource);
    let mut paths = vec![WELL_KNOWN_PATH.to_owned()];
    for path in [resource_path.as_str(), mcp_path.trim_end_matches('/')] {
        let suffixed = format!("{WELL_KNOWN_PATH}{path}");
        if !path.is_empty() && !paths.contains(&suffixed) {
            paths.push(suffixed);
        }
    }
    let state = Arc::new(MetadataState { auth, server });
    let mut router = Router::new();
    for path in paths {
        router = router.route(&path, get(serve_metadata));
    }
    router.with_state(state)
}

async fn serve_metadata(State(state): State<Arc<MetadataState>>) -> Response {
    let doc = state.auth.protected_resource_metadata(&state.server);
    let body = serde_json::to_string(&doc).unwrap_or_else(|_| "{}".into());
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=3600"));
    response
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn split_url_separates_origin_and_path() {
        assert_eq!(split_url("https://a.example/mcp/"), ("https://a.example".into(), "/mcp".into()));
        assert_eq!(split_url("https://a.example"), ("https://a.example".into(), String::new()));
        assert_eq!(split_url("http://127.0.0.1:80/x?y"), ("http://127.0.0.1:80".into(), "/x".into()));
    }
}
