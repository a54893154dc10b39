//! Collects every problem found in one macro invocation, each at the span of the user's
//! token, so the author sees them all at once (the serde_derive way).

use std::fmt::Display;

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;

/// The problems found so far.
#[derive(Default)]
pub(crate) struct Errors {
    error: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A problem at one span.
    pub(crate) fn at(&mut self, span: Span, message: impl Display) {
        self.add(syn::Error::new(span, message));
    }

    /// A problem covering the tokens of `tokens` (all of a type, a pattern, an attribute).
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.add(syn::Error::new_spanned(tokens, message));
    }

    /// A problem syn found.
    pub(crate) fn add(&mut self, error: syn::Error) {
        match &mut self.error {
            Some(all) => all.combine(error),
            None => self.error = Some(error),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.error.is_none()
    }

    /// `compile_error!` invocations, one per problem.
    pub(crate) fn into_compile_errors(self) -> TokenStream {
        self.error.map(|e| e.to_compile_error()).unwrap_or_default()
    }
}

/// The closest of `candidates` to a mistyped `word`, for "did you mean" hints.
pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb)).min(row[j] + 1).min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// "unknown option `x`; did you mean `y`? The options are: ..."
pub(crate) fn unknown_option(what: &str, key: &str, options: &[&str]) -> String {
    let list = options.join(", ");
    match closest(key, options) {
        Some(c) => format!("unknown {what} option `{key}`; did you mean `{c}`? The options are: {list}"),
        None => format!("unknown {what} option `{key}`. The options are: {list}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_option() {
        assert_eq!(closest("destrucive", &["destructive", "idempotent"]), Some("destructive"));
        assert_eq!(closest("zzz", &["destructive", "idempotent"]), None);
        assert_eq!(
            unknown_option("#[tool]", "reed", &["read", "write"]),
            "unknown #[tool] option `reed`; did you mean `read`? The options are: read, write"
        );
        assert_eq!(
            unknown_option("#[tool]", "zzz", &["read", "write"]),
            "unknown #[tool] option `zzz`. The options are: read, write"
        );
    }
}
