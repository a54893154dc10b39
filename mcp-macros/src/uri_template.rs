//! The variables of a resource's URI template, read at compile time by the parser
//! `mcp_connector_core::UriTemplate` itself uses (`crate::uri_template_syntax`, compiled from mcp-core's
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

    // The syntax itself is tested once, in the shared file (compiled and run here too); this
    // pins only what this wrapper adds: names in order, and which ones a URI may leave out.
    #[test]
    fn query_variables_are_the_optional_ones() {
        let vars = variables("t://{a}/x{/b}{?q}").unwrap();
        let read: Vec<(&str, bool)> = vars.iter().map(|v| (v.name.as_str(), v.optional)).collect();
        assert_eq!(read, [("a", false), ("b", false), ("q", true)]);
        assert!(variables("t://{a}/{a}").is_err());
    }
}
