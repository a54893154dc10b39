//! The variables of a resource's URI template, read at compile time by the parser
//! `mcp_core::UriTemplate` itself uses (`crate::uri_template_syntax`, compiled from mcp-core's
//! source), so that a bad template or a parameter without a variable is a compile error at the
//! attribute, worded as the server would word it.

use crate::uri_template_syntax;

/// A template variable.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Variable {
    pub(crate) name: String,
    /// Query variables (`{?page}`) may be absent from a URI that matches.
    pub(crate) optional: bool,
}

/// The variables of `template`, in order; the error says what is wrong.
pub(crate) fn variables(template: &str) -> Result<Vec<Variable>, String> {
    let parts = uri_template_syntax::parse(template)?;
    Ok(parts
        .iter()
        .flat_map(|part| {
            let (names, optional) = part.variables();
            names.into_iter().map(move |name| Variable { name: name.to_owned(), optional })
        })
        .collect())
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
        for bad in ["t://{id", "t://id}", "t://{#frag}", "t://{a}{b}", "t://{a b}", "t://{a}/{a}"] {
            assert!(variables(bad).is_err(), "{bad}");
        }
    }
}
