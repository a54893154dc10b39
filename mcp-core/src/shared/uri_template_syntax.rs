//! The syntax of the RFC 6570 URI templates resources use: `{var}`, `{+var}`, `{/var}`,
//! `{?a,b}`, `{&a,b}` and literals. Compiled into `mcp-core` (which matches URIs against the
//! parts) and `mcp-macros` (which checks a `#[resource]` template and its parameters at compile
//! time) alike (see `shared/mod.rs`).

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// Text that must appear as written.
    Literal(String),
    /// `{var}` or `{x,y}`: a run of characters without `/`, `?`, `#`, `&`, percent-decoded.
    Simple(Vec<String>),
    /// `{+var}`: anything, kept as is.
    Reserved(String),
    /// `{/var}`: one path segment after a `/`.
    Segment(String),
    /// `{?a,b}` or `{&a,b}`: query parameters, each optional.
    Query(Vec<String>),
}

impl Part {
    /// The variables this part binds, and whether a matching URI may leave them out.
    pub(crate) fn variables(&self) -> (Vec<&str>, bool) {
        match self {
            Part::Literal(_) => (Vec::new(), false),
            Part::Simple(names) => (names.iter().map(String::as_str).collect(), false),
            Part::Query(names) => (names.iter().map(String::as_str).collect(), true),
            Part::Reserved(name) | Part::Segment(name) => (vec![name.as_str()], false),
        }
    }
}

/// Parses `template` into its parts; the error says what is wrong, in words fit for a compile
/// error or a build error.
pub(crate) fn parse(template: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let Some(start) = rest.find('{') else {
            if rest.contains('}') {
                return Err("a `}` has no matching `{`".into());
            }
            parts.push(Part::Literal(rest.to_owned()));
            break;
        };
        if start > 0 {
            if rest[..start].contains('}') {
                return Err("a `}` has no matching `{`".into());
            }
            parts.push(Part::Literal(rest[..start].to_owned()));
        }
        let after = &rest[start + 1..];
        let end = after.find('}').ok_or("a `{` is never closed")?;
        parts.push(expression(&after[..end])?);
        rest = &after[end + 1..];
    }
    for pair in parts.windows(2) {
        // Both match a run of characters: where one ends and the next begins is unknowable.
        let greedy = |p: &Part| matches!(p, Part::Simple(_) | Part::Reserved(_));
        if greedy(&pair[0]) && greedy(&pair[1]) {
            return Err("two variables side by side cannot be told apart; put a literal between them".into());
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for part in &parts {
        for name in part.variables().0 {
            if seen.contains(&name) {
                return Err(format!("the variable `{name}` appears twice"));
            }
            seen.push(name);
        }
    }
    Ok(parts)
}

fn expression(expr: &str) -> Result<Part, String> {
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
        match <[String; 1]>::try_from(names) {
            Ok([name]) => Ok(name),
            Err(_) => Err(format!("`{{{expr}}}` may name only one variable")),
        }
    };
    Ok(match op {
        None => Part::Simple(names),
        Some('+') => Part::Reserved(one(names)?),
        Some('/') => Part::Segment(one(names)?),
        _ => Part::Query(names),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<(String, bool)> {
        let parts = parse(t).unwrap();
        parts
            .iter()
            .flat_map(|p| {
                let (names, optional) = p.variables();
                names.into_iter().map(move |n| (n.to_owned(), optional))
            })
            .collect()
    }

    #[test]
    fn reads_the_variables_of_each_expression_kind() {
        assert!(names("docs://readme").is_empty());
        assert_eq!(names("tickets://{id}"), vec![("id".to_owned(), false)]);
        assert_eq!(
            names("t://{a}/x{/b}{?q,n}"),
            vec![("a".into(), false), ("b".into(), false), ("q".into(), true), ("n".into(), true)]
        );
        assert_eq!(names("file:///{+path}"), vec![("path".to_owned(), false)]);
    }

    #[test]
    fn refuses_what_cannot_be_matched() {
        assert!(parse("t://{id").unwrap_err().contains("never closed"));
        assert!(parse("t://id}").is_err());
        assert!(parse("t://{#frag}").unwrap_err().contains("not supported"));
        assert!(parse("t://{a}{b}").unwrap_err().contains("side by side"));
        assert!(parse("t://{a b}").is_err());
        assert!(parse("t://{a}/{a}").unwrap_err().contains("twice"));
        assert!(parse("t://{+a,b}").unwrap_err().contains("only one"));
    }
}
