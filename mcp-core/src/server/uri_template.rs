//! RFC 6570 URI templates, matched in reverse: given a concrete URI, which variables produce it.
//!
//! Supported expressions: `{var}` (simple: matches one run of characters without `/`, `?`, `#`,
//! `&`; the value is percent-decoded), `{+var}` (reserved: matches anything, kept as is),
//! `{/var}` (a path segment after `/`), and `{?a,b}` / `{&a,b}` (query parameters, each
//! optional). Several variables in one simple expression (`{x,y}`) match comma-separated values.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Simple(Vec<String>),
    Reserved(String),
    Segment(String),
    Query(Vec<String>),
}

/// A parsed URI template.
///
/// ```
/// use mcp_core::UriTemplate;
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
    /// Parses a template; the error says what is wrong.
    pub fn parse(template: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find('{') {
                None => {
                    if rest.contains('}') {
                        return Err("a `}` has no matching `{`".into());
                    }
                    parts.push(Part::Literal(rest.to_owned()));
                    break;
                }
                Some(start) => {
                    if start > 0 {
                        if rest[..start].contains('}') {
                            return Err("a `}` has no matching `{`".into());
                        }
                        parts.push(Part::Literal(rest[..start].to_owned()));
                    }
                    let after = &rest[start + 1..];
                    let end = after.find('}').ok_or("a `{` is never closed")?;
                    parts.push(parse_expression(&after[..end])?);
                    rest = &after[end + 1..];
                }
            }
        }
        for pair in parts.windows(2) {
            let adjacent = |p: &Part| matches!(p, Part::Simple(_) | Part::Reserved(_));
            if adjacent(&pair[0]) && adjacent(&pair[1]) {
                return Err(
                    "two variables side by side cannot be told apart; put a literal between them".into()
                );
            }
        }
        Ok(UriTemplate { source: template.to_owned(), parts })
    }

    /// The template as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The variable names, in order.
    pub fn variables(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for p in &self.parts {
            match p {
                Part::Literal(_) => {}
                Part::Simple(v) | Part::Query(v) => out.extend(v.iter().map(String::as_str)),
                Part::Reserved(v) | Part::Segment(v) => out.push(v),
            }
        }
        out
    }

    /// The variables that make `uri` from this template, or `None` when it does not match.
    pub fn matches(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        let mut vars = BTreeMap::new();
        if match_parts(&self.parts, uri, &mut vars) { Some(vars) } else { None }
    }
}

fn parse_expression(expr: &str) -> Result<Part, String> {
    let (op, names) = match expr.chars().next() {
        Some(c @ ('+' | '/' | '?' | '&')) => (Some(c), &expr[1..]),
        Some('#' | '.' | ';' | '=' | ',' | '!' | '@' | '|') => {
            return Err(format!(
                "the operator in `{{{expr}}}` is not supported; use {{var}}, {{+var}}, {{/var}} or {{?var}}"
            ));
        }
        _ => (None, expr),
    };
    let names: Vec<String> = names.split(',').map(|n| n.trim_end_matches('*').to_owned()).collect();
    for n in &names {
        if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '%') {
            return Err(format!("`{n}` is not a valid variable name"));
        }
    }
    let one = |names: Vec<String>| -> Result<String, String> {
        if names.len() == 1 {
            Ok(names.into_iter().next().unwrap_or_default())
        } else {
            Err(format!("`{{{expr}}}` may name only one variable"))
        }
    };
    Ok(match op {
        None => Part::Simple(names),
        Some('+') => Part::Reserved(one(names)?),
        Some('/') => Part::Segment(one(names)?),
        _ => Part::Query(names),
    })
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

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex =
                std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(b) = hex {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(t: &str, uri: &str) -> Option<BTreeMap<String, String>> {
        UriTemplate::parse(t).unwrap().matches(uri)
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
