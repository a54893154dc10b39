//! The gateway's configuration file (JSON): which upstream connectors to mount, how to reach
//! each (a command to spawn on stdio, or an HTTP URL), its own credentials, and which of its
//! tools to expose.
//!
//! ```json
//! {
//!   "call_timeout_secs": 60,
//!   "upstreams": [
//!     { "name": "notes", "command": ["notes"], "allow": ["search_notes", "add_note"] },
//!     { "name": "tickets", "url": "https://tickets.internal/mcp",
//!       "bearer_token_env": "TICKETS_TOKEN", "deny": ["delete_ticket"] }
//!   ]
//! }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The connectors to mount, each under its own name.
    pub upstreams: Vec<UpstreamConfig>,
    /// How long a forwarded call may take before it is cancelled upstream and answered with a
    /// tool error (default 60).
    #[serde(default = "default_call_timeout")]
    pub call_timeout_secs: u64,
    /// How long connecting to an upstream may take (default 10).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
}

fn default_call_timeout() -> u64 {
    60
}

fn default_connect_timeout() -> u64 {
    10
}

/// One upstream connector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// The namespace of its tools: `NAME.tool`. Letters, digits, `_` and `-`.
    pub name: String,
    /// Spawn this command and speak stdio to it (program, then arguments).
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// Environment variables for the command.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Or: the upstream's streamable HTTP endpoint.
    #[serde(default)]
    pub url: Option<String>,
    /// HTTP: send `Authorization: Bearer` with the token in this environment variable (read
    /// at start; the token itself never goes in the file).
    #[serde(default)]
    pub bearer_token_env: Option<String>,
    /// HTTP: extra headers for every request (an API key, a tenant).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Expose only these tools (upstream names; a trailing `*` matches a prefix). Default: all.
    #[serde(default)]
    pub allow: Option<Vec<String>>,
    /// Never expose these tools (same patterns); wins over `allow`.
    #[serde(default)]
    pub deny: Vec<String>,
}

impl UpstreamConfig {
    /// Whether the allow and deny lists let tool `name` through.
    ///
    /// ```
    /// use examples::gateway::UpstreamConfig;
    /// let up: UpstreamConfig = serde_json::from_value(serde_json::json!({
    ///     "name": "tickets", "url": "http://x/mcp", "allow": ["get_*", "create_ticket"], "deny": ["get_secret"]
    /// })).unwrap();
    /// assert!(up.exposes("get_ticket") && up.exposes("create_ticket"));
    /// assert!(!up.exposes("get_secret") && !up.exposes("delete_ticket"));
    /// ```
    pub fn exposes(&self, name: &str) -> bool {
        let matches = |pattern: &String| match pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => pattern == name,
        };
        let allowed = self.allow.as_ref().is_none_or(|allow| allow.iter().any(matches));
        allowed && !self.deny.iter().any(matches)
    }
}

impl Config {
    /// Reads and checks the file: every upstream has a usable name (unique) and exactly one
    /// of `command` and `url`; a token variable it names is set.
    pub fn load(path: &Path) -> Result<Config, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let config: Config = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        config.check().map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(config)
    }

    /// The checks of [`load`](Self::load), on a config built in code.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        for up in &self.upstreams {
            let valid = !up.name.is_empty()
                && up.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !valid {
                return Err(format!("upstream name {:?}: use letters, digits, `_` and `-`", up.name));
            }
            if !seen.insert(&up.name) {
                return Err(format!("upstream name {:?} is used twice", up.name));
            }
            match (&up.command, &up.url) {
                (Some(command), None) if !command.is_empty() => {}
                (None, Some(_)) => {}
                _ => {
                    return Err(format!(
                        "upstream {:?}: give exactly one of `command` (non-empty) and `url`",
                        up.name
                    ));
                }
            }
            if let Some(var) = &up.bearer_token_env
                && std::env::var(var).is_err()
            {
                return Err(format!("upstream {:?}: the environment variable {var} is not set", up.name));
            }
        }
        Ok(())
    }
}
