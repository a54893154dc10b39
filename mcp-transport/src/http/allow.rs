//! Host and Origin allow-lists: the defence against DNS rebinding (2025-11-25,
//! basic/transports, "Security Warning").
//!
//! A DNS-rebinding page makes a browser send requests to `127.0.0.1` under the attacker's own
//! name, so both the `Host` and the `Origin` header carry a foreign name. Checking either stops
//! it; checking both is what the conformance suite expects.

/// One allowed name, optionally with a port: `localhost` (any port), `localhost:8000`,
/// `*.example.com` (any subdomain, any port), `[::1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostPattern {
    host: String,
    port: PortRule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortRule {
    Any,
    Exactly(u16),
    /// An origin without an explicit port: the scheme's default one.
    Default,
}

/// Which `Host` headers are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostRule {
    Any,
    Only(Vec<HostPatternSpec>),
}

/// Which `Origin` headers are accepted (when the header is present; it is never required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OriginRule {
    Any,
    Only(Vec<OriginPattern>),
}

/// A host pattern as given by the user (kept for messages) and as parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostPatternSpec {
    written: String,
    pattern: HostPattern,
}

/// `scheme://host[:port|:*]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OriginPattern {
    written: String,
    scheme: String,
    pattern: HostPattern,
}

const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

impl HostRule {
    /// localhost, 127.0.0.1 and [::1], any port.
    pub(crate) fn loopback() -> Self {
        HostRule::Only(LOOPBACK.iter().map(|h| HostPatternSpec::parse(h)).collect())
    }

    pub(crate) fn add(&mut self, pattern: &str) {
        match self {
            HostRule::Any => {}
            HostRule::Only(list) => list.push(HostPatternSpec::parse(pattern)),
        }
    }

    /// Whether a `Host` header value (`name[:port]`) is allowed.
    pub(crate) fn allows(&self, host_header: &str) -> bool {
        match self {
            HostRule::Any => true,
            HostRule::Only(list) => match split_host_port(host_header) {
                Some((host, port)) => list.iter().any(|p| p.pattern.matches(&host, port, None)),
                None => false,
            },
        }
    }

    /// Whether only loopback names are allowed (for a warning when binding elsewhere).
    pub(crate) fn is_loopback_only(&self) -> bool {
        match self {
            HostRule::Any => false,
            HostRule::Only(list) => list.iter().all(|p| LOOPBACK.contains(&p.pattern.host.as_str())),
        }
    }
}

impl OriginRule {
    /// `http(s)://localhost`, `http(s)://127.0.0.1` and `http(s)://[::1]`, any port.
    pub(crate) fn loopback() -> Self {
        let mut list = Vec::new();
        for host in LOOPBACK {
            for scheme in ["http", "https"] {
                list.push(OriginPattern::parse(&format!("{scheme}://{host}:*")));
            }
        }
        OriginRule::Only(list)
    }

    pub(crate) fn add(&mut self, pattern: &str) {
        match self {
            OriginRule::Any => {}
            OriginRule::Only(list) => list.push(OriginPattern::parse(pattern)),
        }
    }

    /// Whether an `Origin` header value is allowed. `null` (sandboxed pages, `file:` URLs) is
    /// allowed only by [`OriginRule::Any`].
    pub(crate) fn allows(&self, origin: &str) -> bool {
        match self {
            OriginRule::Any => true,
            OriginRule::Only(list) => {
                let Some((scheme, rest)) = origin.split_once("://") else {
                    return false;
                };
                let scheme = scheme.to_ascii_lowercase();
                let Some((host, port)) = split_host_port(rest) else {
                    return false;
                };
                list.iter().any(|p| p.scheme == scheme && p.pattern.matches(&host, port, Some(&scheme)))
            }
        }
    }
}

impl HostPatternSpec {
    fn parse(written: &str) -> Self {
        HostPatternSpec { written: written.to_owned(), pattern: HostPattern::parse(written, PortRule::Any) }
    }
}

impl std::fmt::Display for HostPatternSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.written)
    }
}

impl OriginPattern {
    fn parse(written: &str) -> Self {
        let (scheme, rest) = written.split_once("://").unwrap_or(("https", written));
        OriginPattern {
            written: written.to_owned(),
            scheme: scheme.to_ascii_lowercase(),
            pattern: HostPattern::parse(rest.trim_end_matches('/'), PortRule::Default),
        }
    }
}

impl std::fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.written)
    }
}

impl HostPattern {
    /// `no_port` is what a pattern without a port means: any port for hosts, the scheme's
    /// default port for origins.
    fn parse(written: &str, no_port: PortRule) -> Self {
        let written = written.trim();
        if let Some(host) = written.strip_suffix(":*") {
            return HostPattern { host: host.to_ascii_lowercase(), port: PortRule::Any };
        }
        match split_host_port(written) {
            Some((host, Some(port))) => HostPattern { host, port: PortRule::Exactly(port) },
            Some((host, None)) => HostPattern { host, port: no_port },
            None => HostPattern { host: written.to_ascii_lowercase(), port: no_port },
        }
    }

    fn matches(&self, host: &str, port: Option<u16>, scheme: Option<&str>) -> bool {
        let name_ok = match self.host.strip_prefix("*.") {
            Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
            None => self.host == host,
        };
        if !name_ok {
            return false;
        }
        match self.port {
            PortRule::Any => true,
            PortRule::Exactly(p) => port == Some(p) || (port.is_none() && default_port(scheme) == Some(p)),
            PortRule::Default => port.is_none() || port == default_port(scheme),
        }
    }
}

fn default_port(scheme: Option<&str>) -> Option<u16> {
    match scheme {
        Some("http") => Some(80),
        Some("https") => Some(443),
        _ => None,
    }
}

/// Splits `name[:port]` (with `[v6]` literals), lowercasing the name. `None` when malformed.
fn split_host_port(value: &str) -> Option<(String, Option<u16>)> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let (host, port) = if let Some(rest) = value.strip_prefix('[') {
        let end = rest.find(']')?;
        let host = &value[..end + 2];
        let after = &rest[end + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (host, port)
    } else {
        match value.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            Some(_) => return None,
            None => (value, None),
        }
    };
    if host.is_empty() || host.contains(['/', '@', ' ']) {
        return None;
    }
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok()?),
        None => None,
    };
    Some((host.to_ascii_lowercase(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_with_any_port() {
        let rule = HostRule::loopback();
        for ok in ["localhost", "localhost:8000", "127.0.0.1:1", "[::1]:3000", "LOCALHOST:9"] {
            assert!(rule.allows(ok), "{ok}");
        }
        for bad in ["evil.example", "evil.example:8000", "127.0.0.2", "localhost.evil.example", "", "[::1"] {
            assert!(!rule.allows(bad), "{bad}");
        }
    }

    #[test]
    fn added_hosts_and_wildcards() {
        let mut rule = HostRule::loopback();
        rule.add("mcp.example.com");
        rule.add("*.tunnel.example");
        rule.add("api.example.com:8443");
        assert!(rule.allows("mcp.example.com"));
        assert!(rule.allows("mcp.example.com:443"));
        assert!(rule.allows("abc.tunnel.example"));
        assert!(!rule.allows("tunnel.example"));
        assert!(rule.allows("api.example.com:8443"));
        assert!(!rule.allows("api.example.com:8444"));
        assert!(!rule.is_loopback_only());
        assert!(HostRule::loopback().is_loopback_only());
    }

    #[test]
    fn loopback_origins_and_exact_origins() {
        let mut rule = OriginRule::loopback();
        assert!(rule.allows("http://localhost:6274"));
        assert!(rule.allows("https://127.0.0.1"));
        assert!(rule.allows("http://[::1]:8080"));
        assert!(!rule.allows("http://evil.example"));
        assert!(!rule.allows("null"));
        assert!(!rule.allows("file://localhost"));
        rule.add("https://chat.example.com");
        assert!(rule.allows("https://chat.example.com"));
        assert!(rule.allows("https://chat.example.com:443"));
        assert!(!rule.allows("https://chat.example.com:8443"));
        assert!(!rule.allows("http://chat.example.com"));
        assert!(OriginRule::Any.allows("null"));
    }
}
