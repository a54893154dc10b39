//! `///` comments: the description the model reads, and the first line as the title.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Attribute, Expr, Lit};

/// What the doc comments say.
#[derive(Default)]
pub(crate) struct Docs {
    /// An expression of type `&'static str` (a literal, or `concat!` when a doc attribute is
    /// itself a macro such as `include_str!`).
    pub(crate) description: Option<TokenStream>,
    /// The first line, without a trailing period.
    pub(crate) title: Option<String>,
}

enum Piece {
    Text(String),
    Macro(Expr),
}

/// Reads the `#[doc]` attributes among `attrs`; `std` is the path generated code names
/// `std` by.
pub(crate) fn docs(attrs: &[Attribute], std: &TokenStream) -> Docs {
    let mut pieces = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        let syn::Meta::NameValue(nv) = &attr.meta else { continue };
        match &nv.value {
            Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) => {
                for line in s.value().split('\n') {
                    let line = line.strip_prefix(' ').unwrap_or(line).trim_end();
                    pieces.push(Piece::Text(line.to_owned()));
                }
            }
            other => pieces.push(Piece::Macro(other.clone())),
        }
    }
    trim_blank_lines(&mut pieces);
    if pieces.is_empty() {
        return Docs::default();
    }
    let title = match pieces.first() {
        Some(Piece::Text(first)) => {
            let first = first.trim();
            let first = first.strip_suffix('.').filter(|t| !t.ends_with('.')).unwrap_or(first);
            Some(first.to_owned())
        }
        _ => None,
    };
    let description = if pieces.iter().all(|p| matches!(p, Piece::Text(_))) {
        let text: Vec<&str> = pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.as_str(),
                Piece::Macro(_) => "",
            })
            .collect();
        let text = text.join("\n");
        quote!(#text)
    } else {
        let parts = pieces.iter().enumerate().map(|(i, p)| {
            let sep = if i == 0 { quote!() } else { quote!("\n",) };
            match p {
                Piece::Text(t) => quote!(#sep #t,),
                Piece::Macro(e) => quote!(#sep #e,),
            }
        });
        quote!(#std::concat!(#(#parts)*))
    };
    Docs { description: Some(description), title }
}

/// One string from the doc comments (for a parameter's description), literal docs only.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("doc")) {
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. }) = &nv.value
        {
            for line in s.value().split('\n') {
                lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
            }
        }
    }
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

fn trim_blank_lines(pieces: &mut Vec<Piece>) {
    let blank = |p: &Piece| matches!(p, Piece::Text(t) if t.trim().is_empty());
    while pieces.first().is_some_and(blank) {
        pieces.remove(0);
    }
    while pieces.last().is_some_and(blank) {
        pieces.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(src: &str) -> Vec<Attribute> {
        let item: syn::ItemFn = syn::parse_str(&format!("{src}\nfn f() {{}}")).unwrap();
        item.attrs
    }

    #[test]
    fn first_line_becomes_the_title_and_all_lines_the_description() {
        let d = docs(&attrs("/// Find tickets.\n///\n/// Matches title or body.\n///"), &quote!(::std));
        assert_eq!(d.title.as_deref(), Some("Find tickets"));
        assert_eq!(d.description.unwrap().to_string(), "\"Find tickets.\\n\\nMatches title or body.\"");
    }

    #[test]
    fn no_docs_no_description() {
        let d = docs(&attrs("#[inline]"), &quote!(::std));
        assert!(d.title.is_none() && d.description.is_none());
    }

    #[test]
    fn macro_docs_are_concatenated() {
        let d = docs(&attrs("/// Intro.\n#[doc = include_str!(\"x.md\")]"), &quote!(::std));
        assert_eq!(d.title.as_deref(), Some("Intro"));
        let text = d.description.unwrap().to_string();
        assert!(text.starts_with(":: std :: concat !"), "{text}");
        assert!(text.contains("include_str !"), "{text}");
    }

    #[test]
    fn an_ellipsis_is_not_a_period() {
        let d = docs(&attrs("/// Wait for it..."), &quote!(::std));
        assert_eq!(d.title.as_deref(), Some("Wait for it..."));
    }
}
