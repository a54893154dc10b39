//! The two protocol eras, decided once per request.
//!
//! MCP changed shape in revision 2026-07-28: before it, a client opens a session with an
//! `initialize` handshake ([`Era::Legacy`]); from it on, each request carries its version, the
//! client's capabilities and identity in `_meta` ([`Era::Modern`]). A dual-era server selects its
//! behaviour from how the client opens (2026-07-28, "Versioning and Compatibility").
//!
//! [`Era`] is the one place that knows what differs: which methods exist, how a result and an
//! error are finished, which results carry caching hints. Everything else asks it. The rows of
//! `docs/eras.md`'s table map to methods here (or, for what a handler sees, to
//! [`Context`](crate::Context) reading the request's [`RequestFacts`](crate::request::RequestFacts)).
//!
//! ```
//! use mcp_connector_core::era::Era;
//!
//! assert!(Era::Modern.has_method("server/discover"));
//! assert!(!Era::Modern.has_method("ping"));
//! assert!(Era::Legacy.has_method("ping"));
//! ```

use crate::error::McpError;
use crate::jsonrpc::code;
use crate::protocol::{DiscoverResult, ProtocolVersion, ServerCapabilities, meta, method};

/// The protocol era a request is spoken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Era {
    /// 2024-11-05 up to 2025-11-25: `initialize` opens a session whose negotiated version,
    /// client capabilities and log level apply to every request on it.
    Legacy,
    /// 2026-07-28 and later: no handshake; every request declares its version and the client's
    /// capabilities in `_meta` and is served from what it carries alone.
    Modern,
}

impl Era {
    /// The era whose revision `version` is.
    ///
    /// ```
    /// use mcp_connector_core::{era::Era, protocol::ProtocolVersion};
    /// assert_eq!(Era::of(&ProtocolVersion::new("2026-07-28")), Era::Modern);
    /// assert_eq!(Era::of(&ProtocolVersion::new("2025-06-18")), Era::Legacy);
    /// ```
    pub fn of(version: &ProtocolVersion) -> Era {
        if version.is_modern() { Era::Modern } else { Era::Legacy }
    }

    /// The name used in logs and tracing spans: the newest revision of the era.
    pub fn as_str(self) -> &'static str {
        match self {
            Era::Legacy => ProtocolVersion::V2025_11_25,
            Era::Modern => ProtocolVersion::V2026_07_28,
        }
    }

    /// Whether the method exists in this era. `initialize`, `ping`, `logging/setLevel` and
    /// `resources/(un)subscribe` were removed in 2026-07-28; `server/discover` and
    /// `subscriptions/listen` are new there. Methods of neither list exist in both (and may
    /// still be unknown to the server).
    pub fn has_method(self, method: &str) -> bool {
        match self {
            Era::Legacy => !matches!(method, method::DISCOVER | method::SUBSCRIPTIONS_LISTEN),
            Era::Modern => !matches!(
                method,
                method::INITIALIZE
                    | method::PING
                    | method::SET_LEVEL
                    | method::RESOURCES_SUBSCRIBE
                    | method::RESOURCES_UNSUBSCRIBE
            ),
        }
    }

    /// The error for a method that does not exist in this era: `-32601` for a method the
    /// modern era removed; for a modern-only method named in a legacy request, `-32602` telling
    /// the client what the request lacks (it is most likely a modern client that forgot
    /// `_meta`).
    pub(crate) fn refuse_method(self, method: &str) -> McpError {
        match self {
            Era::Modern => McpError::method_not_found(method),
            Era::Legacy => McpError::invalid_params(format!(
                "Invalid params: `{method}` belongs to protocol {} and later; send `_meta[\"{}\"]` and `_meta[\"{}\"]` with it",
                ProtocolVersion::V2026_07_28,
                meta::PROTOCOL_VERSION,
                meta::CLIENT_CAPABILITIES,
            )),
        }
    }

    /// Whether a request of this method may be answered `input_required` (2026-07-28
    /// `basic/patterns/mrtr`, "Supported Requests": servers MUST NOT send one on any other
    /// request). Never in the legacy era, where input is asked for by a request to the client.
    pub fn may_require_input(self, method: &str) -> bool {
        self == Era::Modern
            && matches!(method, method::TOOLS_CALL | method::PROMPTS_GET | method::RESOURCES_READ)
    }

    /// What this era adds to a result of `method`, applied as the answer is written (see
    /// `server/answer.rs`): nothing in the legacy era, where results go as the handler made
    /// them. A modern result gets `resultType` (2026-07-28 basic/index, "Result Responses":
    /// every result MUST have one), the server's identity in `_meta`, and, when `method` is
    /// cacheable and the result complete, the caching hint (server/utilities/caching: MUST on
    /// complete results of those methods) unless the result carries its own.
    pub(crate) fn result_finish(self, method: &str) -> Option<ResultFinish> {
        (self == Era::Modern).then(|| ResultFinish { cacheable: is_cacheable(method) })
    }

    /// Finishes an error for the wire. Legacy errors go as they are. In the modern era `-32002`
    /// is retired (basic/index, "Error Codes": implementations of 2026-07-28 MUST NOT emit it;
    /// resource not found is `-32602`), and codes in `-32099..=-32020` are the specification's
    /// alone ("Implementations MUST NOT emit any code from this sub-range that is not defined
    /// by this specification"): one a handler made up there (or the retired `-32042`) goes out
    /// as `-32603` with its message kept.
    pub fn finish_error(self, mut error: McpError) -> McpError {
        const DEFINED: [i64; 3] = [
            code::HEADER_MISMATCH,
            code::MISSING_REQUIRED_CLIENT_CAPABILITY,
            code::UNSUPPORTED_PROTOCOL_VERSION,
        ];
        if self == Era::Legacy {
            return error;
        }
        if error.code == code::RESOURCE_NOT_FOUND {
            error.code = code::INVALID_PARAMS;
        } else if (-32099..=-32020).contains(&error.code) && !DEFINED.contains(&error.code) {
            tracing::warn!(
                code = error.code,
                "a handler used a code reserved for the MCP specification; sent as -32603"
            );
            error.code = code::INTERNAL_ERROR;
        }
        error
    }
}

/// How a modern result is finished (see [`Era::result_finish`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResultFinish {
    /// Whether the result carries caching hints (`CacheableResult`).
    pub(crate) cacheable: bool,
}

/// Results the spec calls cacheable (`CacheableResult`): they carry `ttlMs` and `cacheScope`.
fn is_cacheable(method: &str) -> bool {
    matches!(
        method,
        method::TOOLS_LIST
            | method::PROMPTS_LIST
            | method::RESOURCES_LIST
            | method::RESOURCE_TEMPLATES_LIST
            | method::RESOURCES_READ
            | method::DISCOVER
    )
}

/// Every version the server speaks, newest first (the `supported` list of `server/discover`
/// and of `-32022`).
pub(crate) fn supported_versions() -> Vec<String> {
    ProtocolVersion::SUPPORTED.iter().rev().map(|v| (*v).to_owned()).collect()
}

/// The `server/discover` result.
pub(crate) fn discover(capabilities: &ServerCapabilities, instructions: Option<&str>) -> DiscoverResult {
    DiscoverResult {
        supported_versions: supported_versions(),
        capabilities: capabilities.clone(),
        instructions: instructions.map(str::to_owned),
        meta: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_codes_the_spec_does_not_define_are_not_emitted_in_the_modern_era() {
        let modern = |code| Era::Modern.finish_error(McpError::new(code, "m")).code;
        assert_eq!(modern(-32042), -32603);
        assert_eq!(modern(-32099), -32603);
        assert_eq!(modern(-32022), -32022);
        assert_eq!(modern(-32002), -32602);
        assert_eq!(modern(-32010), -32010, "legacy range, grandfathered");
        assert_eq!(modern(1234), 1234);
        assert_eq!(Era::Legacy.finish_error(McpError::new(-32002, "gone")).code, -32002);
    }

    #[test]
    fn each_era_has_its_own_methods() {
        for removed in
            ["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"]
        {
            assert!(!Era::Modern.has_method(removed), "{removed}");
            assert!(Era::Legacy.has_method(removed), "{removed}");
        }
        for added in ["server/discover", "subscriptions/listen"] {
            assert!(Era::Modern.has_method(added), "{added}");
            assert!(!Era::Legacy.has_method(added), "{added}");
        }
        assert!(Era::Modern.has_method("tools/call") && Era::Legacy.has_method("tools/call"));
    }

    #[test]
    fn only_three_modern_methods_may_ask_for_input() {
        assert!(Era::Modern.may_require_input("tools/call"));
        assert!(Era::Modern.may_require_input("prompts/get"));
        assert!(Era::Modern.may_require_input("resources/read"));
        assert!(!Era::Modern.may_require_input("tools/list"));
        assert!(!Era::Legacy.may_require_input("tools/call"));
    }
}
