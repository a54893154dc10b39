//! The [`ToolGuard`] the auth layer attaches to each request: per-tool scopes before the
//! handler, `securitySchemes` in `tools/list`, audit events after write calls.

use std::sync::Arc;
use std::time::Duration;

use mcp_connector_core::auth::{Claims, ToolGuard, set_security_schemes};
use mcp_connector_core::protocol::{CallToolResult, ToolDefinition};
use mcp_connector_core::{Context, Tool, ToolError};
use serde_json::{Map, Value, json};

use super::layer::AuthState;
use super::{WWW_AUTHENTICATE_META, audit};

pub(crate) struct AuthGuard {
    pub(crate) state: Arc<AuthState>,
}

impl AuthGuard {
    /// The tool-level login challenge ChatGPT acts on: `isError: true` with
    /// `_meta["mcp/www_authenticate"]` holding a `WWW-Authenticate` value.
    fn challenge(&self, message: String, description: &str, scopes: &[String]) -> ToolError {
        let header = self.state.auth.challenge(Some(("insufficient_scope", description)), scopes);
        let mut meta = Map::new();
        meta.insert(WWW_AUTHENTICATE_META.into(), json!([header]));
        ToolError::new(message).with_meta(meta)
    }
}

impl ToolGuard for AuthGuard {
    fn before(&self, tool: &Tool, ctx: &Context, _arguments: &Map<String, Value>) -> Result<(), ToolError> {
        let auth = &self.state.auth;
        match ctx.extensions().get::<Claims>() {
            None if auth.needs_token(tool) => Err(self.challenge(
                format!("Authentication required: sign in to use `{}`.", tool.name()),
                "Sign in to continue",
                tool.scopes(),
            )),
            None => Ok(()),
            Some(claims) => {
                let missing = claims.missing_scopes(tool.scopes());
                if missing.is_empty() {
                    return Ok(());
                }
                Err(self.challenge(
                    format!(
                        "Permission required: `{}` needs the scope(s) {}; sign in again to grant them.",
                        tool.name(),
                        missing.join(", ")
                    ),
                    &format!("Missing scope(s): {}", missing.join(" ")),
                    &super::layer::challenge_scopes(claims, tool.scopes()),
                ))
            }
        }
    }

    fn after(
        &self,
        tool: &Tool,
        ctx: &Context,
        arguments: &Map<String, Value>,
        result: &CallToolResult,
        elapsed: Duration,
    ) {
        if tool.is_read_only() {
            return;
        }
        let denied = result.meta.as_ref().is_some_and(|m| m.contains_key(WWW_AUTHENTICATE_META));
        let outcome = if denied {
            "denied"
        } else if result.failed() {
            "error"
        } else {
            "ok"
        };
        audit::record(tool.name(), ctx.extensions().get::<Claims>(), arguments, outcome, elapsed);
    }

    fn describe(&self, tool: &Tool, definition: &mut ToolDefinition) {
        set_security_schemes(definition, self.state.auth.security_schemes(tool));
    }

    fn unauthenticated(&self, _ctx: &Context) -> ToolError {
        self.challenge(
            "Authentication required: sign in to use this tool.".into(),
            "Sign in to continue",
            &self.state.auth.supported_scopes(&self.state.server),
        )
    }
}
