//! The variables of a resource's URI template, read at compile time with the same rules as
//! `mcp_core::UriTemplate` (`{var}`, `{+var}`, `{/var}`, `{?a,b}`, `{&a,b}`), so that a bad
//! template or a parameter without a variable is a compile error at the attribute.

/// A template variable.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Variable {
    pub(crate) name: String,
    /// Query variables (`{?page}`) may be absent from a URI that matches.
    pub(crate) optional: bool,
}

/// The variables of `template`, in order; the error says what is wrong.
pub(crate) fn variables(template: &str) -> Result<Vec<Variable>, String> {
    let mut vars = Vec::new();
    let mut rest = template;
    // Whether the previous part was a variable that matches a run of characters, which
    // another such variable right after could not be told apart from.
    let mut previous_greedy = false;
    while !rest.is_empty() {
        let Some(start) = rest.find('{') else {
            if rest.contains('}') {
                return Err("a `}` has no matching `{`".into());
            }
            break;
        };
        if rest[..start].contains('}') {
            return Err("a `}` has no matching `{`".into());
        }
        if start > 0 {
            previous_greedy = false;
        }
        let after = &rest[start + 1..];
        let end = after.find('}').ok_or("a `{` is never closed")?;
        let expr = &after[..end];
        let (op, names) = match expr.chars().next() {
            Some(c @ ('+' | '/' | '?' | '&')) => (Some(c), &expr[1..]),
            Some('#' | '.' | ';' | '=' | ',' | '!' | '@' | '|') => {
                return Err(format!(
                    "the operator in `{{{expr}}}` is not supported; use {{var}}, {{+var}}, {{/var}} or {{?var}}"
                ));
            }
            _ => (None, expr),
        };
        let names: Vec<&str> = names.split(',').map(|n| n.trim_end_matches('*')).collect();
        for n in &names {
            if n.is_empty()
                || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '%')
            {
                return Err(format!("`{n}` is not a valid variable name"));
            }
        }
        if matches!(op, Some('+' | '/')) && names.len() != 1 {
            return Err(format!("`{{{expr}}}` may name only one variable"));
        }
        let greedy = matches!(op, None | Some('+'));
        if greedy && previous_greedy {
            return Err("two variables side by side cannot be told apart; put a literal between them".into());
        }
        previous_greedy = greedy;
        let optional = matches!(op, Some('?' | '&'));
        for n in names {
            if vars.iter().any(|v: &Variable| v.name == n) {
                return Err(format!("the variable `{n}` appears twice"));
            }
            vars.push(Variable { name: n.to_owned(), optional });
        }
        rest = &after[end + 1..];
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<(String, bool)> {
        variables(t).unwrap().into_iter().map(|v| (v.name, v.optional)).collect()
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
    fn refuses_what_the_runtime_refuses() {
        assert!(variables("t://{id").unwrap_err().contains("never closed"));
        assert!(variables("t://id}").is_err());
        assert!(variables("t://{#frag}").unwrap_err().contains("not supported"));
        assert!(variables("t://{a}{b}").unwrap_err().contains("side by side"));
        assert!(variables("t://{a b}").is_err());
        assert!(variables("t://{a}/{a}").unwrap_err().contains("twice"));
    }
}
