//! RFC 6570 URI templates, matched in reverse: given a concrete URI, which variables produce it.
//!
//! Supported expressions: `{var}` (simple: matches one run of characters without `/`, `?`, `#`,
//! `&`; the value is percent-decoded), `{+var}` (reserved: matches anything, kept as is),
//! `{/var}` (a path segment after `/`), and `{?a,b}` / `{&a,b}` (query parameters, each
//! optional). Several variables in one simple expression (`{x,y}`) match comma-separated values.

use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;

use crate::shared::uri_template_syntax::{self, Part};

/// A parsed URI template.
///
/// ```
/// use mcp_connector_core::UriTemplate;
///
/// let t = UriTemplate::parse("tickets://{id}/comments{?page}").unwrap();
/// let vars = t.matches("tickets://42/comments?page=3").unwrap();
/// assert_eq!(vars["id"], "42");
/// assert_eq!(vars["page"], "3");
/// assert!(t.matches("files://42").is_none());
/// assert_eq!(t.variables(), vec!["id", "page"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriTemplate {
    source: String,
    parts: Vec<Part>,
}

impl UriTemplate {
    /// Parses a template; the error says what is wrong (the same words `#[resource]` uses at
    /// compile time).
    pub fn parse(template: &str) -> Result<Self, String> {
        let parts = uri_template_syntax::parse(template)?;
        Ok(UriTemplate { source: template.to_owned(), parts })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The variable names, in order.
    pub fn variables(&self) -> Vec<&str> {
        self.parts.iter().flat_map(|p| p.variables().0).collect()
    }

    /// The variables that make `uri` from this template, or `None` when it does not match.
    pub fn matches(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        let mut vars = BTreeMap::new();
        if match_parts(&self.parts, uri, &mut vars) { Some(vars) } else { None }
    }
}

fn match_parts(parts: &[Part], uri: &str, vars: &mut BTreeMap<String, String>) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return uri.is_empty();
    };
    match first {
        Part::Literal(l) => uri.strip_prefix(l.as_str()).is_some_and(|r| match_parts(rest, r, vars)),
        Part::Simple(names) => {
            let end = uri.find(['/', '?', '#', '&']).unwrap_or(uri.len());
            // The value may stop earlier when a literal follows inside the same run.
            for cut in (1..=end).rev() {
                if !uri.is_char_boundary(cut) {
                    continue;
                }
                let values: Vec<&str> =
                    if names.len() > 1 { uri[..cut].split(',').collect() } else { vec![&uri[..cut]] };
                if values.len() != names.len() || values.iter().any(|v| v.is_empty()) {
                    continue;
                }
                let mut trial = vars.clone();
                for (n, v) in names.iter().zip(values) {
                    trial.insert(n.clone(), percent_decode(v));
                }
                if match_parts(rest, &uri[cut..], &mut trial) {
                    *vars = trial;
                    return true;
                }
            }
            false
        }
        Part::Reserved(name) => {
            for cut in (1..=uri.len()).rev() {
                if !uri.is_char_boundary(cut) {
                    continue;
                }
                let mut trial = vars.clone();
                trial.insert(name.clone(), uri[..cut].to_owned());
                if match_parts(rest, &uri[cut..], &mut trial) {
                    *vars = trial;
                    return true;
                }
            }
            false
        }
        Part::Segment(name) => {
            let Some(after) = uri.strip_prefix('/') else {
                return false;
            };
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            if end == 0 {
                return false;
            }
            let mut trial = vars.clone();
            trial.insert(name.clone(), percent_decode(&after[..end]));
            if match_parts(rest, &after[end..], &mut trial) {
                *vars = trial;
                return true;
            }
            false
        }
        Part::Query(names) => {
            let query = uri.strip_prefix(['?', '&']);
            let (query, tail) = match query {
                None => return match_parts(rest, uri, vars),
                Some(q) => {
                    let end = q.find('#').unwrap_or(q.len());
                    (&q[..end], &q[end..])
                }
            };
            let mut trial = vars.clone();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                if !names.iter().any(|n| n == k) {
                    return false;
                }
                trial.insert(k.to_owned(), percent_decode(v));
            }
            if match_parts(rest, tail, &mut trial) {
                *vars = trial;
                return true;
            }
            false
        }
    }
}

/// `%XX` escapes decoded; bytes that are not UTF-8 become U+FFFD, and a broken escape is
/// kept as written (a URI is matched, not validated, here).
fn percent_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(t: &str, uri: &str) -> Option<BTreeMap<String, String>> {
        UriTemplate::parse(t).unwrap().matches(uri)
    }

    #[test]
    fn values_are_percent_decoded_to_their_last_escape() {
        assert_eq!(m("t://{id}", "t://a%41").unwrap()["id"], "aA");
        assert_eq!(m("t://{id}", "t://caf%C3%A9").unwrap()["id"], "café");
        // A broken escape is kept as written; bytes that are no UTF-8 become U+FFFD.
        assert_eq!(m("t://{id}", "t://50%zz").unwrap()["id"], "50%zz");
        assert_eq!(m("t://{id}", "t://%FF").unwrap()["id"], "\u{fffd}");
    }

    #[test]
    fn a_variable_named_twice_is_refused_as_the_macros_refuse_it() {
        let error = UriTemplate::parse("t://{a}/{a}").unwrap_err();
        assert_eq!(error, "the variable `a` appears twice");
    }

    #[test]
    fn simple_variables_stop_at_slashes_and_decode() {
        assert_eq!(m("t://{id}", "t://a%20b").unwrap()["id"], "a b");
        assert!(m("t://{id}", "t://a/b").is_none());
        assert!(m("t://{id}", "t://").is_none());
        let v = m("t://{a}/x/{b}", "t://1/x/2").unwrap();
        assert_eq!((v["a"].as_str(), v["b"].as_str()), ("1", "2"));
        let v = m("t://{a}.json", "t://report.v2.json").unwrap();
        assert_eq!(v["a"], "report.v2");
    }

    #[test]
    fn reserved_segment_and_query_expressions() {
        assert_eq!(m("file:///{+path}", "file:///a/b/c.txt").unwrap()["path"], "a/b/c.txt");
        assert_eq!(m("t://x{/id}", "t://x/7").unwrap()["id"], "7");
        let v = m("t://s{?q,n}", "t://s?n=2&q=hi%21").unwrap();
        assert_eq!((v["q"].as_str(), v["n"].as_str()), ("hi!", "2"));
        assert!(m("t://s{?q}", "t://s").unwrap().is_empty());
        assert!(m("t://s{?q}", "t://s?zz=1").is_none());
    }

    #[test]
    fn bad_templates_are_refused_with_a_reason() {
        assert!(UriTemplate::parse("t://{id").unwrap_err().contains("never closed"));
        assert!(UriTemplate::parse("t://id}").is_err());
        assert!(UriTemplate::parse("t://{#frag}").unwrap_err().contains("not supported"));
        assert!(UriTemplate::parse("t://{a}{b}").unwrap_err().contains("side by side"));
        assert!(UriTemplate::parse("t://{a b}").is_err());
    }
}
