//! What the core knows about authorization: the caller's verified [`Claims`], the
//! [`SecurityScheme`]s a tool declares, and the [`ToolGuard`] hook a transport's auth layer
//! installs to enforce per-tool scopes before a handler runs.
//!
//! Verifying tokens is a transport's job (`mcp-transport`, feature `auth`): it reads the
//! `Authorization` header, checks the token and attaches the resulting [`Claims`] and its
//! guard to each request's [`Extensions`](crate::Extensions). The core only consults them, so
//! it stays free of HTTP and crypto.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::protocol::{CallToolResult, ToolDefinition};
use crate::{Context, FromContext, Tool, ToolError};

/// The verified identity behind a request: who (`subject`), through which client, with which
/// scopes, plus every claim the token carried.
///
/// A handler asks for it as a parameter (an extractor); the call fails with a login challenge
/// when the request carries no verified token.
///
/// ```
/// use mcp_connector_core::{auth::Claims, tool, tools, ToolError};
///
/// struct Tickets;
///
/// #[tools]
/// impl Tickets {
///     /// Close a ticket.
///     #[tool(write, idempotent, scope = "tickets:write")]
///     async fn close_ticket(&self, id: u32, claims: Claims) -> Result<String, ToolError> {
///         let who = claims.subject.as_deref().unwrap_or("someone");
///         Ok(format!("ticket {id} closed by {who}"))
///     }
/// }
///
/// let claims = Claims { subject: Some("alice".into()), scopes: vec!["tickets:write".into()], ..Claims::default() };
/// assert!(claims.has_scope("tickets:write"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user (`sub`), when the token names one.
    pub subject: Option<String>,
    /// The OAuth client the token was issued to (`client_id` or `azp`).
    pub client_id: Option<String>,
    /// The granted scopes (`scope`, space-separated, or `scp`).
    pub scopes: Vec<String>,
    /// Who issued the token (`iss`).
    pub issuer: Option<String>,
    /// Who the token is for (`aud`).
    pub audience: Vec<String>,
    /// When the token expires, in seconds since the Unix epoch (`exp`).
    pub expires_at: Option<u64>,
    /// Every claim, as the token or the introspection answer carried it.
    pub raw: Map<String, Value>,
}

impl Claims {
    /// Whether `scope` was granted.
    ///
    /// ```
    /// let c = mcp_connector_core::auth::Claims { scopes: vec!["a".into()], ..Default::default() };
    /// assert!(c.has_scope("a") && !c.has_scope("b"));
    /// ```
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// The scopes of `needed` that were not granted.
    ///
    /// ```
    /// let c = mcp_connector_core::auth::Claims { scopes: vec!["a".into()], ..Default::default() };
    /// assert_eq!(c.missing_scopes(&["a".to_string(), "b".to_string()]), vec!["b"]);
    /// ```
    pub fn missing_scopes<'a>(&self, needed: &'a [String]) -> Vec<&'a str> {
        needed.iter().filter(|s| !self.has_scope(s)).map(String::as_str).collect()
    }
}

impl FromContext for Claims {
    fn from_context(ctx: &Context) -> Result<Self, ToolError> {
        if let Some(claims) = ctx.extensions().get::<Claims>() {
            return Ok(claims.clone());
        }
        Err(match ctx.extensions().get::<Arc<dyn ToolGuard>>() {
            Some(guard) => guard.unauthenticated(ctx),
            None => ToolError::new(
                "This tool needs a signed-in user, but the request carries no verified access token.",
            ),
        })
    }
}

/// One way a tool can be called, as ChatGPT reads it from the tool's `securitySchemes`:
/// without auth (`noauth`) or with an OAuth 2 token holding `scopes`.
///
/// ```
/// use mcp_connector_core::auth::SecurityScheme;
/// let s = SecurityScheme::oauth2(["tickets:write"]);
/// assert_eq!(serde_json::to_value(&s).unwrap(), serde_json::json!({"type": "oauth2", "scopes": ["tickets:write"]}));
/// assert_eq!(serde_json::to_value(SecurityScheme::NoAuth).unwrap(), serde_json::json!({"type": "noauth"}));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SecurityScheme {
    /// The tool works without a token.
    #[serde(rename = "noauth")]
    NoAuth,
    /// The tool needs an OAuth 2 access token with these scopes.
    #[serde(rename = "oauth2")]
    OAuth2 {
        /// Scopes the token must carry (may be empty).
        #[serde(default)]
        scopes: Vec<String>,
    },
}

impl SecurityScheme {
    /// `{"type": "oauth2", "scopes": [...]}`.
    ///
    /// ```
    /// let s = mcp_connector_core::auth::SecurityScheme::oauth2(["a", "b"]);
    /// assert!(matches!(s, mcp_connector_core::auth::SecurityScheme::OAuth2 { ref scopes } if scopes.len() == 2));
    /// ```
    pub fn oauth2<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SecurityScheme::OAuth2 { scopes: scopes.into_iter().map(Into::into).collect() }
    }
}

/// Sets a tool definition's `securitySchemes` and mirrors them in its `_meta`
/// (`_meta.securitySchemes`), where ChatGPT also looks for them.
///
/// ```
/// use mcp_connector_core::{Tool, auth::{SecurityScheme, set_security_schemes}, protocol::CallToolResult};
/// let tool = Tool::read("ping").handler(|_c, _a| async { Ok(CallToolResult::text("pong")) });
/// let mut def = tool.definition().clone();
/// set_security_schemes(&mut def, vec![SecurityScheme::NoAuth]);
/// assert_eq!(def.meta.unwrap()["securitySchemes"], serde_json::json!([{"type": "noauth"}]));
/// ```
pub fn set_security_schemes(definition: &mut ToolDefinition, schemes: Vec<SecurityScheme>) {
    let value = serde_json::to_value(&schemes).unwrap_or(Value::Null);
    definition.meta.get_or_insert_with(Map::new).insert("securitySchemes".into(), value);
    definition.security_schemes = Some(schemes);
}

/// A hook that the server consults around every `tools/call` and `tools/list` when a transport
/// attached one to the request's [`Extensions`](crate::Extensions) as an
/// `Arc<dyn ToolGuard>`. The HTTP transport's auth layer installs one that enforces per-tool
/// scopes, describes `securitySchemes` and writes audit events.
///
/// ```
/// use std::sync::Arc;
/// use mcp_connector_core::{Context, Extensions, Tool, ToolError, auth::ToolGuard};
/// use serde_json::{Map, Value};
///
/// /// Refuses every write.
/// struct ReadOnly;
///
/// impl ToolGuard for ReadOnly {
///     fn before(&self, tool: &Tool, _ctx: &Context, _args: &Map<String, Value>) -> Result<(), ToolError> {
///         if tool.is_read_only() { Ok(()) } else { Err(ToolError::new("writes are disabled")) }
///     }
/// }
///
/// let mut ext = Extensions::new();
/// ext.insert::<Arc<dyn ToolGuard>>(Arc::new(ReadOnly));
/// ```
pub trait ToolGuard: Send + Sync + 'static {
    /// Runs before the arguments are validated and the handler is called; an error becomes the
    /// call's `isError: true` result and the handler does not run.
    fn before(&self, tool: &Tool, ctx: &Context, arguments: &Map<String, Value>) -> Result<(), ToolError>;

    /// Runs after the handler (or after `before` refused), with the result the client gets.
    fn after(
        &self,
        tool: &Tool,
        ctx: &Context,
        arguments: &Map<String, Value>,
        result: &CallToolResult,
        elapsed: Duration,
    ) {
        let _ = (tool, ctx, arguments, result, elapsed);
    }

    /// Adjusts a tool's definition in `tools/list` (for example its `securitySchemes`).
    fn describe(&self, tool: &Tool, definition: &mut ToolDefinition) {
        let _ = (tool, definition);
    }

    /// The error a handler gets when it asks for [`Claims`] and the request has none: a login
    /// challenge the client understands.
    fn unauthenticated(&self, ctx: &Context) -> ToolError {
        let _ = ctx;
        ToolError::new("This tool needs a signed-in user; sign in and try again.")
    }
}
