//! What an MCP Apps declaration (the `io.modelcontextprotocol/ui` extension, SEP-1865) must look
//! like: a `ui://` URI, CSP origins, a dedicated domain and ChatGPT's status texts. Compiled
//! into `mcp-core` and `mcp-macros` alike (see `shared/mod.rs`), so `#[resource(ui(...))]` and
//! `#[tool(ui = "...")]` refuse at compile time exactly what `ServerBuilder::build` refuses.

/// What makes `uri` unfit for a UI resource, or `Ok`. The spec: "URI MUST start with `ui://`".
pub(crate) fn check_ui_uri(uri: &str) -> Result<(), String> {
    let Some(rest) = uri.strip_prefix("ui://") else {
        return Err(format!(
            "{uri:?} is not a `ui://` URI; MCP Apps resources are named `ui://<server>/<view>`, such as \"ui://tickets/board\""
        ));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!(
            "{uri:?} names no view after `ui://`; write something like \"ui://tickets/board\""
        ));
    }
    if let Some(c) =
        rest.chars().find(|c| c.is_whitespace() || c.is_control() || matches!(c, '{' | '}' | '"' | '<' | '>'))
    {
        return Err(format!("{uri:?} contains {c:?}; a UI resource is one concrete URI, not a template"));
    }
    Ok(())
}

/// What makes `origin` unfit for a CSP list (`connectDomains`, `resourceDomains`,
/// `frameDomains`, `baseUriDomains`), or `Ok`: `scheme://host[:port]`, the scheme one of
/// `https`, `wss`, `http`, `ws`, the host optionally starting with `*.` for every subdomain.
pub(crate) fn check_origin(origin: &str) -> Result<(), String> {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Err(format!(
            "{origin:?} has no scheme; write the origin in full, such as \"https://{}\"",
            origin.trim_start_matches('/')
        ));
    };
    if !matches!(scheme, "https" | "wss" | "http" | "ws") {
        return Err(format!(
            "{origin:?} has the scheme `{scheme}`; a CSP origin here is https://, wss://, http:// or ws://"
        ));
    }
    let host_port = rest.strip_suffix('/').unwrap_or(rest);
    if host_port.contains(['/', '?', '#']) {
        return Err(format!(
            "{origin:?} has a path; CSP lists take origins only: \"{scheme}://{}\"",
            host_port.split(['/', '?', '#']).next().unwrap_or_default()
        ));
    }
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || port.is_empty() => (host, Some(port)),
        _ => (host_port, None),
    };
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("{origin:?} has the port {port:?}, which is not a number"));
    }
    let bare = host.strip_prefix("*.").unwrap_or(host);
    check_host(bare).map_err(|why| format!("{origin:?}: {why}"))
}

/// What makes `domain` unfit for a dedicated sandbox domain (`_meta.ui.domain`), or `Ok`: a host
/// name such as `a904794854a047f6.claudemcpcontent.com`, or an `https://` origin (the format is
/// each host's to define; this refuses only what no host can use).
pub(crate) fn check_domain(domain: &str) -> Result<(), String> {
    let host = domain.strip_prefix("https://").unwrap_or(domain);
    let host = host.strip_suffix('/').unwrap_or(host);
    if host.contains("://") {
        return Err(format!("{domain:?}: a dedicated domain is a host name (or an https:// origin)"));
    }
    check_host(host).map_err(|why| format!("{domain:?}: {why}"))
}

fn check_host(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    if host.contains('*') {
        return Err("a wildcard may only stand for a whole first label, as in `https://*.example.com`".into());
    }
    if host.len() > 253 {
        return Err("the host is longer than 253 characters".into());
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err(format!("the host {host:?} has an empty label"));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(format!(
                "the host {host:?} contains {c:?}; host names are letters, digits, '-' and '.'"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("the label {label:?} of {host:?} starts or ends with '-'"));
        }
    }
    Ok(())
}

/// What makes a ChatGPT status text (`openai/toolInvocation/invoking` and `/invoked`) unfit,
/// or `Ok`: ChatGPT shows at most 64 characters.
pub(crate) fn check_status_text(text: &str) -> Result<(), String> {
    let count = text.chars().count();
    if text.trim().is_empty() {
        return Err("it is empty; say what the tool is doing, such as \"Loading the board…\"".into());
    }
    if count > 64 {
        return Err(format!("it has {count} characters; ChatGPT shows at most 64"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_uris() {
        assert!(check_ui_uri("ui://tickets/board").is_ok());
        assert!(check_ui_uri("https://tickets/board").unwrap_err().contains("not a `ui://` URI"));
        assert!(check_ui_uri("ui://").unwrap_err().contains("names no view"));
        assert!(check_ui_uri("ui://tickets/{id}").unwrap_err().contains("not a template"));
    }

    #[test]
    fn origins() {
        for good in [
            "https://api.example.com",
            "wss://rt.example.com:8443",
            "https://*.example.com",
            "http://localhost:3000/",
        ] {
            assert!(check_origin(good).is_ok(), "{good}");
        }
        assert!(check_origin("api.example.com").unwrap_err().contains("\"https://api.example.com\""));
        assert!(check_origin("ftp://x.example").unwrap_err().contains("`ftp`"));
        assert!(
            check_origin("https://api.example.com/v1").unwrap_err().contains("\"https://api.example.com\"")
        );
        assert!(check_origin("https://api.example.com:http").unwrap_err().contains("not a number"));
        assert!(check_origin("https://a.*.example.com").unwrap_err().contains("wildcard"));
        assert!(check_origin("https://exa mple.com").unwrap_err().contains("' '"));
        assert!(check_origin("https://").unwrap_err().contains("empty"));
    }

    #[test]
    fn domains_and_status_texts() {
        assert!(check_domain("a904794854a047f6.claudemcpcontent.com").is_ok());
        assert!(check_domain("https://tickets.example.com").is_ok());
        assert!(check_domain("wss://x.example.com").is_err());
        assert!(check_domain("bad_host.example").is_err());
        assert!(check_status_text("Loading…").is_ok());
        assert!(check_status_text(" ").is_err());
        assert!(check_status_text(&"x".repeat(65)).unwrap_err().contains("65"));
    }
}
