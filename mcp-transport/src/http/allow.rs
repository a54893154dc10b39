//! Host and Origin allow-lists: the defence against DNS rebinding (2025-11-25,
//! basic/transports, "Security Warning").
//!
//! A DNS-rebinding page makes a browser send requests to `127.0.0.1` under the attacker's own
//! name, so both the `Host` and the `Origin` header carry a foreign name. Checking either stops
//! it; checking both is what the conformance suite expects.
//!
//! The syntax (`name[:port]`, `[v6]` literals, the characters a name may hold) is checked by
//! [`Authority`] and [`Uri`]; this module adds what they leave open for a header value (see
//! [`split_host_port`]) and the matching: lowercased names, wildcard subdomains, port rules.

use std::net::Ipv6Addr;

use axum::http::uri::{Authority, Uri};

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
    /// Whether a `Host` value may be compared with the pattern's name as it is
    /// ([`HostPattern::plain`]), decided once here rather than for every request.
    plain: bool,
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
            // Most requests name the server exactly as an allowed pattern spells it: accept
            // those without parsing (the parse copies the value and lowercases the name).
            HostRule::Only(list) if list.iter().any(|p| p.plain && p.pattern.matches_plain(host_header)) => {
                true
            }
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
                let Some((scheme, host, port)) = split_origin(origin) else {
                    return false;
                };
                list.iter().any(|p| p.scheme == scheme && p.pattern.matches(&host, port, Some(&scheme)))
            }
        }
    }
}

impl HostPatternSpec {
    fn parse(written: &str) -> Self {
        let pattern = HostPattern::parse(written, PortRule::Any);
        HostPatternSpec { written: written.to_owned(), plain: pattern.plain(), pattern }
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
        // `:*` is this module's own syntax, not a port, so it is taken off before parsing.
        let (name, any_port) = match written.strip_suffix(":*") {
            Some(name) => (name, true),
            None => (written, false),
        };
        match split_host_port(name) {
            Some((host, None)) if any_port => HostPattern { host, port: PortRule::Any },
            Some((host, Some(port))) if !any_port => HostPattern { host, port: PortRule::Exactly(port) },
            Some((host, None)) => HostPattern { host, port: no_port },
            // Malformed (`a b`, `a:80:*`): kept as written, it matches no well-formed header.
            _ => HostPattern {
                host: name.to_ascii_lowercase(),
                port: if any_port { PortRule::Any } else { no_port },
            },
        }
    }

    /// Whether a `Host` value is this pattern's plain name, as normalised, with no port or a
    /// plain decimal one that the pattern allows. `false` says nothing: the value may still
    /// match once parsed and normalised (another case, a trailing dot, an IPv6 literal...).
    #[cfg(test)]
    fn matches_verbatim(&self, host_header: &str) -> bool {
        self.plain() && self.matches_plain(host_header)
    }

    /// Whether this pattern's name is one that `split_host_port` leaves as it is, so that a
    /// `Host` value spelling it the same way may be compared without parsing: never a
    /// wildcard, an empty or malformed pattern, or a bracketed literal.
    fn plain(&self) -> bool {
        let plain = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-';
        !self.host.is_empty() && !self.host.ends_with('.') && self.host.bytes().all(plain)
    }

    /// [`matches_verbatim`](Self::matches_verbatim) for a pattern known to be [`plain`](Self::plain).
    fn matches_plain(&self, host_header: &str) -> bool {
        let port = match host_header.strip_prefix(self.host.as_str()) {
            Some("") => None,
            Some(rest) => match rest.strip_prefix(':') {
                Some(digits)
                    if (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    match digits.parse::<u16>() {
                        Ok(port) => Some(port),
                        Err(_) => return false,
                    }
                }
                _ => return false,
            },
            None => return false,
        };
        // The name is the pattern's own, and a plain one is no wildcard: only the port is left.
        self.allows_port(port, None)
    }

    fn matches(&self, host: &str, port: Option<u16>, scheme: Option<&str>) -> bool {
        let name_ok = match self.host.strip_prefix("*.") {
            Some(suffix) => host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}")),
            None => self.host == host,
        };
        name_ok && self.allows_port(port, scheme)
    }

    /// Whether the pattern's port rule allows `port` (none: the scheme's default).
    fn allows_port(&self, port: Option<u16>, scheme: Option<&str>) -> bool {
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

/// Splits a `Host` value (or a pattern) `name[:port]` into the name, normalised, and the port.
/// `None` when malformed.
///
/// [`Authority`] checks the syntax: the characters, the brackets of an IPv6 literal, one port
/// colon. It also accepts what a `Host` header must not carry, which is refused here: userinfo
/// (`user@host`), an empty name (`:80`), and a port that is not one (`host:99999`, `host:`,
/// `host:+80` and `[::1]x` all parse, with no port).
///
/// The name is normalised so that one host has one spelling: lowercase (names are
/// case-insensitive), without the trailing dot of a fully qualified name (`localhost.` is
/// `localhost`), and an IPv6 literal in its canonical form (`[0:0::1]` is `[::1]`).
fn split_host_port(value: &str) -> Option<(String, Option<u16>)> {
    let authority: Authority = value.trim().parse().ok()?;
    let host = authority.host();
    let port = match authority.as_str().strip_prefix(host)? {
        "" => None,
        rest => {
            let digits = rest.strip_prefix(':')?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(authority.port_u16()?)
        }
    };
    let host = match host.strip_prefix('[') {
        Some(literal) => {
            // Brackets hold an IPv6 address (a zone id has no place in a Host header).
            let ip: Ipv6Addr = literal.strip_suffix(']')?.parse().ok()?;
            format!("[{ip}]")
        }
        None => host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase(),
    };
    if host.is_empty() {
        return None;
    }
    Some((host, port))
}

/// Splits an `Origin` value (`scheme://host[:port]`, as browsers serialise it) into the scheme,
/// lowercased, the name and the port (see [`split_host_port`]). `None` for `null` and for
/// anything that is not an origin: a path, a query or userinfo.
fn split_origin(value: &str) -> Option<(String, String, Option<u16>)> {
    let uri: Uri = value.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    // `Uri` reports the path `/` for an origin, which has none.
    if uri.path_and_query().is_some_and(|path| path.as_str() != "/") {
        return None;
    }
    let (host, port) = split_host_port(uri.authority()?.as_str())?;
    Some((scheme, host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The verbatim fast path never accepts what parsing the value would refuse.
    #[test]
    fn verbatim_matches_agree_with_the_parse() {
        let patterns =
            ["localhost", "127.0.0.1", "[::1]", "example.com:8443", "*.example.com", "", "a b", "Mixed.Case"];
        let headers = [
            "localhost",
            "localhost:8000",
            "localhost:",
            "localhost:99999",
            "localhost:+80",
            "localhost:00080",
            "localhost.",
            "LOCALHOST",
            "localhostx",
            "localhost:80:80",
            "127.0.0.1:1",
            "[::1]:8080",
            "example.com:8443",
            "example.com:8444",
            "example.com",
            "a.example.com",
            ":80",
            "a b",
            "mixed.case",
            " localhost",
            "user@localhost",
        ];
        for pattern in patterns {
            let spec = HostPatternSpec::parse(pattern);
            for header in headers {
                let parsed = split_host_port(header).is_some_and(|(h, p)| spec.pattern.matches(&h, p, None));
                if spec.pattern.matches_verbatim(header) {
                    assert!(parsed, "`{header}` matched `{pattern}` verbatim but not once parsed");
                }
            }
        }
        assert!(HostPattern::parse("localhost", PortRule::Any).matches_verbatim("localhost:8000"));
        assert!(HostPattern::parse("127.0.0.1", PortRule::Any).matches_verbatim("127.0.0.1"));
        assert!(!HostPattern::parse("localhost:80", PortRule::Any).matches_verbatim("localhost:81"));
    }

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
        assert!(rule.allows("HTTP://LocalHost:6274"));
        rule.add("https://chat.example.com");
        assert!(rule.allows("https://chat.example.com"));
        assert!(rule.allows("https://chat.example.com:443"));
        assert!(!rule.allows("https://chat.example.com:8443"));
        assert!(!rule.allows("http://chat.example.com"));
        assert!(OriginRule::Any.allows("null"));
    }

    #[test]
    fn ipv6_literals_in_brackets() {
        let rule = HostRule::loopback();
        for ok in ["[::1]", "[::1]:8000", "[0:0:0:0:0:0:0:1]:8000", "[0::1]"] {
            assert!(rule.allows(ok), "{ok}");
        }
        // Unbracketed, unterminated, not an address, another address, a zone id, junk after.
        for bad in ["::1", "::1:8000", "[::1", "::1]", "[nothex]", "[::2]:8000", "[fe80::1%25eth0]", "[::1]x"]
        {
            assert!(!rule.allows(bad), "{bad}");
        }
        assert_eq!(split_host_port("[::1]:8000"), Some(("[::1]".into(), Some(8000))));
        assert!(OriginRule::loopback().allows("http://[0:0::1]:6274"));
    }

    #[test]
    fn names_are_case_insensitive_and_may_end_with_a_dot() {
        let mut rule = HostRule::loopback();
        rule.add("MCP.Example.COM");
        rule.add("*.Tunnel.Example");
        for ok in [
            "mcp.example.com",
            "MCP.EXAMPLE.COM:443",
            "localhost.:8000",
            "mcp.example.com.",
            "A.TUNNEL.EXAMPLE",
        ] {
            assert!(rule.allows(ok), "{ok}");
        }
        for bad in [".", "..", "localhost..", ".:80"] {
            assert!(!rule.allows(bad), "{bad}");
        }
    }

    #[test]
    fn ports_must_be_ports() {
        let rule = HostRule::loopback();
        for bad in [
            "localhost:",
            "localhost:99999",
            "localhost:65536",
            "localhost:+80",
            "localhost:8a",
            "localhost:80:80",
        ] {
            assert!(!rule.allows(bad), "{bad}");
        }
        assert!(rule.allows("localhost:65535"));
        assert!(rule.allows("localhost:0"));
        assert!(!OriginRule::loopback().allows("http://localhost:99999"));
    }

    #[test]
    fn empty_or_decorated_hosts_are_refused() {
        let rule = HostRule::Only(vec![HostPatternSpec::parse("example.com")]);
        // Empty name, userinfo, a path, whitespace inside, percent-encoding, a scheme.
        for bad in [
            "",
            " ",
            ":80",
            "user@example.com",
            "u:p@example.com:80",
            "example.com/x",
            "exa mple.com",
            "ex%61mple.com",
            "http://example.com",
        ] {
            assert!(!rule.allows(bad), "{bad:?}");
        }
        assert!(rule.allows(" example.com "));
    }

    #[test]
    fn origins_are_only_scheme_host_and_port() {
        let mut rule = OriginRule::loopback();
        rule.add("https://*.example.com");
        rule.add("http://localhost:*");
        assert!(rule.allows("https://app.example.com"));
        assert!(rule.allows("http://localhost:1234"));
        // A path, a query, userinfo, no host, no scheme.
        for bad in [
            "https://app.example.com/x",
            "https://app.example.com?x",
            "https://u@app.example.com",
            "https://",
            "app.example.com",
            "//app.example.com",
        ] {
            assert!(!rule.allows(bad), "{bad}");
        }
    }

    #[test]
    fn patterns_with_a_port_or_any_port() {
        let spec = |s: &str| HostPatternSpec::parse(s).pattern;
        assert_eq!(
            spec("Localhost:8000"),
            HostPattern { host: "localhost".into(), port: PortRule::Exactly(8000) }
        );
        assert_eq!(spec("[::1]:*"), HostPattern { host: "[::1]".into(), port: PortRule::Any });
        assert_eq!(spec("*.example.com"), HostPattern { host: "*.example.com".into(), port: PortRule::Any });
        let origin = OriginPattern::parse("https://App.Example.com/");
        assert_eq!((origin.scheme.as_str(), origin.pattern.port), ("https", PortRule::Default));
        assert_eq!(origin.pattern.host, "app.example.com");
    }
}
