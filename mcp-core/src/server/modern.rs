//! The "modern" era (protocol 2026-07-28 and later) as the dispatcher sees it: telling a
//! modern request from a legacy one, and what every modern result carries.
//!
//! A request is modern when its `_meta` names a modern `io.modelcontextprotocol/protocolVersion`
//! ("Versioning and Compatibility": a dual-era server selects its behaviour from how the
//! client opens). It is then served from what it carries alone; the session's handshake state,
//! if any, is not consulted. Anything else is served as before, in the era `initialize`
//! negotiated.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::error::McpError;
use crate::jsonrpc::code;
use crate::protocol::{
    ClientCapabilities, DiscoverResult, Implementation, LoggingLevel, ProtocolVersion, RequestMeta,
    ResultType, meta, method,
};

use super::Server;

/// What a modern request declared about itself.
#[derive(Debug, Clone)]
pub(crate) struct ModernRequest {
    pub(crate) version: ProtocolVersion,
    pub(crate) capabilities: ClientCapabilities,
    pub(crate) client_info: Option<Implementation>,
    pub(crate) log_level: Option<LoggingLevel>,
}

/// Reads the era from a request's `_meta`: `Ok(None)` for a legacy request, the request's
/// declarations for a modern one, and the error the spec prescribes for a modern request that
/// cannot be served.
pub(crate) fn classify(params: Option<&Value>) -> Result<Option<ModernRequest>, McpError> {
    let Some(meta_value) = params.and_then(|p| p.get("_meta")) else {
        return Ok(None);
    };
    let Some(request_meta) = meta_value.as_object() else {
        return Ok(None);
    };
    let Some(version) = request_meta.get(meta::PROTOCOL_VERSION) else {
        return Ok(None);
    };
    let Some(version) = version.as_str() else {
        return Err(McpError::invalid_params(format!(
            "Invalid params: `_meta[\"{}\"]` must be a protocol version string such as \"{}\"",
            meta::PROTOCOL_VERSION,
            ProtocolVersion::V2026_07_28
        )));
    };
    let version = ProtocolVersion::new(version);
    if !version.is_supported() {
        return Err(McpError::unsupported_protocol_version(version.as_str()));
    }
    if !version.is_modern() {
        // A handshake revision named in `_meta` is served the way that revision is: the
        // per-request fields mean nothing to it.
        return Ok(None);
    }
    // Read in place: copying the whole `_meta` into an owned value first costs more than the
    // read itself, on every modern request.
    let declared = RequestMeta::deserialize(meta_value).map_err(|e| {
        let missing = if request_meta.contains_key(meta::CLIENT_CAPABILITIES) {
            format!("a per-request `_meta` field is malformed: {e}")
        } else {
            format!("`_meta[\"{}\"]` is required on every request", meta::CLIENT_CAPABILITIES)
        };
        // 2026-07-28 basic/index, "_meta": a request missing a required field is malformed
        // and MUST be rejected with -32602.
        McpError::invalid_params(format!("Invalid params: {missing}"))
    })?;
    Ok(Some(ModernRequest {
        version,
        capabilities: declared.client_capabilities,
        client_info: declared.client_info,
        log_level: declared.log_level,
    }))
}

/// Every version the server speaks, newest first.
pub(crate) fn supported_versions() -> Vec<String> {
    ProtocolVersion::SUPPORTED.iter().rev().map(|v| (*v).to_owned()).collect()
}

/// Methods that exist only in the handshake era; a modern request naming one gets `-32601`.
pub(crate) fn is_legacy_only(method: &str) -> bool {
    matches!(
        method,
        method::INITIALIZE
            | method::PING
            | method::SET_LEVEL
            | method::RESOURCES_SUBSCRIBE
            | method::RESOURCES_UNSUBSCRIBE
    )
}

/// Methods that exist only in the modern era; a legacy request naming one is told what it lacks.
pub(crate) fn is_modern_only(method: &str) -> bool {
    matches!(method, method::DISCOVER | method::SUBSCRIPTIONS_LISTEN)
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

/// The `server/discover` result.
pub(crate) fn discover(server: &Server) -> DiscoverResult {
    DiscoverResult {
        supported_versions: supported_versions(),
        capabilities: server.capabilities().clone(),
        instructions: server.instructions().map(str::to_owned),
        meta: None,
    }
}

/// Completes a modern result: `resultType` (2026-07-28 basic/index, "Result Responses": every
/// result MUST have one), the server's identity in `_meta`, and for cacheable results the
/// caching hint (server/utilities/caching: MUST on complete results of those methods).
pub(crate) fn finish_result(result: &mut Value, method: &str, server: &Server) {
    let Value::Object(fields) = result else {
        return;
    };
    let complete = !fields.contains_key("resultType");
    if complete {
        fields.insert("resultType".into(), json!(ResultType::Complete));
    }
    let result_meta = fields.entry("_meta").or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(result_meta) = result_meta {
        result_meta.entry(meta::SERVER_INFO).or_insert_with(|| server.info_json().clone());
    }
    let is_complete = fields.get("resultType") == Some(&json!(ResultType::Complete));
    if is_complete && is_cacheable(method) {
        // A resource's own hint, set by the read, wins.
        let hint = server.cache_hint();
        fields.entry("ttlMs").or_insert_with(|| json!(hint.ttl_ms));
        fields.entry("cacheScope").or_insert_with(|| json!(hint.scope));
    }
}

/// Rewrites an error for the modern era: `-32002` is retired there (basic/index, "Error
/// Codes": implementations of 2026-07-28 MUST NOT emit it; resource not found is `-32602`).
///
/// Codes in `-32099..=-32020` are the specification's alone ("Implementations MUST NOT emit any
/// code from this sub-range that is not defined by this specification"); one a handler made up
/// there (or the retired `-32042`) goes out as `-32603` with its message kept.
pub(crate) fn finish_error(mut error: McpError) -> McpError {
    const DEFINED: [i64; 3] =
        [code::HEADER_MISMATCH, code::MISSING_REQUIRED_CLIENT_CAPABILITY, code::UNSUPPORTED_PROTOCOL_VERSION];
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

#[cfg(test)]
mod tests {
    use super::*;

    fn params(meta: Value) -> Value {
        json!({ "_meta": meta })
    }

    #[test]
    fn no_version_in_meta_is_legacy() {
        assert!(classify(None).unwrap().is_none());
        assert!(classify(Some(&params(json!({"progressToken": 1})))).unwrap().is_none());
    }

    #[test]
    fn a_modern_request_is_read_from_its_meta() {
        let request = classify(Some(&params(json!({
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": {"sampling": {}},
            "io.modelcontextprotocol/clientInfo": {"name": "c", "version": "1"},
        }))))
        .unwrap()
        .unwrap();
        assert!(request.capabilities.sampling.is_some());
        assert_eq!(request.client_info.unwrap().name, "c");
        assert_eq!(request.log_level, None);
    }

    #[test]
    fn an_unknown_version_gets_the_supported_list() {
        let error = classify(Some(&params(json!({
            "io.modelcontextprotocol/protocolVersion": "1900-01-01",
            "io.modelcontextprotocol/clientCapabilities": {},
        }))))
        .unwrap_err();
        assert_eq!(error.code, -32022);
        let data = error.data.unwrap();
        assert_eq!(data["requested"], "1900-01-01");
        assert_eq!(data["supported"][0], "2026-07-28");
    }

    #[test]
    fn reserved_codes_the_spec_does_not_define_are_not_emitted() {
        assert_eq!(finish_error(McpError::new(-32042, "url elicitation")).code, -32603);
        assert_eq!(finish_error(McpError::new(-32099, "made up")).code, -32603);
        assert_eq!(finish_error(McpError::new(-32022, "unsupported")).code, -32022);
        assert_eq!(finish_error(McpError::new(-32002, "gone")).code, -32602);
        assert_eq!(finish_error(McpError::new(-32010, "legacy range, grandfathered")).code, -32010);
        assert_eq!(finish_error(McpError::new(1234, "application")).code, 1234);
    }

    #[test]
    fn missing_capabilities_is_invalid_params() {
        let error = classify(Some(&params(json!({"io.modelcontextprotocol/protocolVersion": "2026-07-28"}))))
            .unwrap_err();
        assert_eq!(error.code, -32602);
        assert!(error.message.contains("clientCapabilities"), "{}", error.message);
    }
}
