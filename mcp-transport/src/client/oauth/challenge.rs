//! Reading `WWW-Authenticate` (RFC 9110 section 11.6.1, RFC 6750 section 3): the Bearer
//! challenge's `resource_metadata` (RFC 9728 section 5.1), `scope` and `error`.

use crate::client::Challenge;

impl Challenge {
    /// A refusal as the HTTP client saw it: the MCP endpoint, the status (401 or 403) and the
    /// `WWW-Authenticate` header values in order.
    ///
    /// ```
    /// use mcp_connector_transport::client::Challenge;
    /// let c = Challenge::refusal("https://mcp.example.com/mcp", 401, ["Bearer scope=\"files:read\""]);
    /// assert_eq!(c.status, 401);
    /// assert_eq!(c.www_authenticate.len(), 1);
    /// ```
    pub fn refusal(
        url: impl Into<String>,
        status: u16,
        www_authenticate: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Challenge {
            url: url.into(),
            status,
            www_authenticate: www_authenticate.into_iter().map(Into::into).collect(),
        }
    }
}

/// The parameters of the first `Bearer` challenge among a response's `WWW-Authenticate`
/// values (scheme names compare case-insensitively, RFC 9110 section 11.1).
///
/// ```
/// use mcp_connector_transport::client::oauth::BearerChallenge;
/// let c = BearerChallenge::parse([
///     r#"Basic realm="x", Bearer error="insufficient_scope", scope="a b", resource_metadata="https://r/.well-known/oauth-protected-resource""#,
/// ]).unwrap();
/// assert_eq!(c.error.as_deref(), Some("insufficient_scope"));
/// assert_eq!(c.scopes(), vec!["a", "b"]);
/// assert_eq!(c.resource_metadata.as_deref(), Some("https://r/.well-known/oauth-protected-resource"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BearerChallenge {
    /// `resource_metadata`: where the Protected Resource Metadata lives (RFC 9728 section 5.1).
    pub resource_metadata: Option<String>,
    /// `scope`: space-separated scopes the request needs (RFC 6750 section 3).
    pub scope: Option<String>,
    /// `error`: `invalid_token`, `insufficient_scope`, ... (RFC 6750 section 3.1).
    pub error: Option<String>,
    /// `error_description`, for people.
    pub error_description: Option<String>,
}

impl BearerChallenge {
    /// The first Bearer challenge in `headers`, or `None` when there is none.
    ///
    /// ```
    /// use mcp_connector_transport::client::oauth::BearerChallenge;
    /// assert!(BearerChallenge::parse(["Basic realm=\"x\""]).is_none());
    /// assert!(BearerChallenge::parse(["bearer"]).is_some());
    /// ```
    pub fn parse<S: AsRef<str>>(headers: impl IntoIterator<Item = S>) -> Option<Self> {
        for header in headers {
            for challenge in parse_challenges(header.as_ref()) {
                if challenge.scheme.eq_ignore_ascii_case("bearer") {
                    let get = |name: &str| {
                        challenge
                            .params
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.clone())
                    };
                    return Some(BearerChallenge {
                        resource_metadata: get("resource_metadata"),
                        scope: get("scope"),
                        error: get("error"),
                        error_description: get("error_description"),
                    });
                }
            }
        }
        None
    }

    /// The scopes of `scope`, split on spaces (empty when absent).
    ///
    /// ```
    /// use mcp_connector_transport::client::oauth::BearerChallenge;
    /// let c = BearerChallenge::parse(["Bearer scope=\"  a  b \""]).unwrap();
    /// assert_eq!(c.scopes(), vec!["a", "b"]);
    /// ```
    pub fn scopes(&self) -> Vec<String> {
        self.scope.as_deref().map(split_scopes).unwrap_or_default()
    }
}

/// Splits a space-delimited scope string (RFC 6749 section 3.3).
pub(crate) fn split_scopes(scope: &str) -> Vec<String> {
    scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// One challenge: its scheme and its auth-params (a token68 is kept under the empty name).
#[derive(Debug, PartialEq, Eq)]
struct ParsedChallenge {
    scheme: String,
    params: Vec<(String, String)>,
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/".contains(&c)
}

/// A lenient reader of one `WWW-Authenticate` value, which may hold several challenges
/// separated by commas: `Basic realm="a", Bearer scope="x", error="y"`. Malformed input
/// yields what could be read before it, never a panic.
fn parse_challenges(header: &str) -> Vec<ParsedChallenge> {
    let bytes = header.as_bytes();
    let mut at = 0;
    let mut out: Vec<ParsedChallenge> = Vec::new();
    let skip = |at: &mut usize, set: &[u8]| {
        while *at < bytes.len() && set.contains(&bytes[*at]) {
            *at += 1;
        }
    };
    let token = |at: &mut usize| {
        let start = *at;
        while *at < bytes.len() && is_tchar(bytes[*at]) {
            *at += 1;
        }
        &header[start..*at]
    };
    loop {
        skip(&mut at, b" \t,");
        if at >= bytes.len() {
            break;
        }
        let scheme = token(&mut at);
        if scheme.is_empty() {
            break; // not a token: stop rather than guess
        }
        let mut challenge = ParsedChallenge { scheme: scheme.to_owned(), params: Vec::new() };
        skip(&mut at, b" \t");
        // Parameters (`name=value, ...`), a token68 (`Basic dXNlcjpwYXNz==`), or nothing.
        let start = at;
        let name = token(&mut at);
        let mut look = at;
        skip(&mut look, b" \t");
        let mut value_at = look + 1;
        skip(&mut value_at, b" \t");
        let has_params = !name.is_empty()
            && bytes.get(look) == Some(&b'=')
            && bytes.get(value_at).is_some_and(|&b| b != b',' && b != b'=');
        if !has_params {
            at = start;
            while at < bytes.len() && is_token68_char(bytes[at]) {
                at += 1;
            }
            while at < bytes.len() && bytes[at] == b'=' {
                at += 1;
            }
            if at > start {
                challenge.params.push((String::new(), header[start..at].to_owned()));
            }
            out.push(challenge);
            skip(&mut at, b" \t");
            if at < bytes.len() && bytes[at] != b',' {
                break; // garbage after a token68: stop rather than guess
            }
            continue;
        }
        at = start;
        // auth-params: name BWS "=" BWS (token / quoted-string), separated by commas.
        loop {
            skip(&mut at, b" \t");
            let param_start = at;
            let name = token(&mut at);
            let mut look = at;
            while look < bytes.len() && (bytes[look] == b' ' || bytes[look] == b'\t') {
                look += 1;
            }
            if name.is_empty() || look >= bytes.len() || bytes[look] != b'=' {
                // Not a parameter: the start of the next challenge (or the end).
                at = param_start;
                break;
            }
            at = look + 1;
            skip(&mut at, b" \t");
            let value = if at < bytes.len() && bytes[at] == b'"' {
                at += 1;
                let mut value = String::new();
                let mut chars = header[at..].char_indices();
                let mut closed = false;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some((_, escaped)) = chars.next() {
                                value.push(escaped);
                            }
                        }
                        '"' => {
                            at += i + 1;
                            closed = true;
                            break;
                        }
                        c => value.push(c),
                    }
                }
                if !closed {
                    at = bytes.len();
                }
                value
            } else {
                token(&mut at).to_owned()
            };
            challenge.params.push((name.to_owned(), value));
            skip(&mut at, b" \t");
            if at < bytes.len() && bytes[at] == b',' {
                at += 1;
                continue;
            }
            break;
        }
        out.push(challenge);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(header: &str) -> Vec<(String, Vec<(String, String)>)> {
        parse_challenges(header).into_iter().map(|c| (c.scheme, c.params)).collect()
    }

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn reads_the_mcp_401_challenge() {
        let got = params(
            r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource", scope="files:read""#,
        );
        assert_eq!(
            got,
            vec![(
                "Bearer".into(),
                p(&[
                    ("resource_metadata", "https://mcp.example.com/.well-known/oauth-protected-resource"),
                    ("scope", "files:read")
                ])
            )]
        );
    }

    #[test]
    fn reads_several_challenges_tokens_and_escapes() {
        let got = params(
            r#"Basic realm="a, b", Bearer error=invalid_token,error_description="say \"hi\"", DPoP algs="ES256""#,
        );
        assert_eq!(
            got,
            vec![
                ("Basic".into(), p(&[("realm", "a, b")])),
                ("Bearer".into(), p(&[("error", "invalid_token"), ("error_description", "say \"hi\"")])),
                ("DPoP".into(), p(&[("algs", "ES256")])),
            ]
        );
    }

    #[test]
    fn reads_token68_and_bare_schemes() {
        assert_eq!(params("Basic dXNlcjpwYXNz=="), vec![("Basic".into(), p(&[("", "dXNlcjpwYXNz==")]))]);
        assert_eq!(params("Bearer"), vec![("Bearer".into(), vec![])]);
        assert_eq!(
            params("Negotiate, Bearer scope=\"x\""),
            vec![("Negotiate".into(), vec![]), ("Bearer".into(), p(&[("scope", "x")]))]
        );
    }

    #[test]
    fn survives_malformed_input() {
        for bad in
            ["", ",,,", "Bearer scope=\"unterminated", "Bearer =x", "\"x\"", "Bearer a=, b", "Bearer é=1"]
        {
            let _ = parse_challenges(bad);
        }
        assert_eq!(params("Bearer scope=\"unterminated")[0].1, p(&[("scope", "unterminated")]));
    }
}
