//! The option lists inside `#[tool(...)]`, `#[arg(...)]` and friends: `flag`,
//! `key = value`, `key = { json }` and `key(nested, list)`.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, LitBool, LitStr, Token};

use crate::diag::Errors;

/// One option.
pub(crate) struct Opt {
    /// Its name (`crate` and other keywords are allowed).
    pub(crate) key: Ident,
    pub(crate) value: OptValue,
}

pub(crate) enum OptValue {
    /// `key`
    Flag,
    /// `key = expr`
    Expr(Expr),
    /// `key = { "json": ... }`
    Json(super::json::Json),
    /// `key(a = 1, b)`
    List(Vec<Opt>),
}

impl Parse for Opt {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key = Ident::parse_any(input)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            if input.peek(syn::token::Brace) {
                OptValue::Json(input.parse()?)
            } else {
                OptValue::Expr(input.parse()?)
            }
        } else if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            OptValue::List(Punctuated::<Opt, Token![,]>::parse_terminated(&content)?.into_iter().collect())
        } else {
            OptValue::Flag
        };
        Ok(Opt { key, value })
    }
}

/// Parses `a, b = 1, c(d)`; a syntax error is recorded and yields no options.
pub(crate) fn parse_options(tokens: TokenStream, errors: &mut Errors) -> Vec<Opt> {
    let parser = Punctuated::<Opt, Token![,]>::parse_terminated;
    match syn::parse::Parser::parse2(parser, tokens) {
        Ok(list) => list.into_iter().collect(),
        Err(e) => {
            errors.add(e);
            Vec::new()
        }
    }
}

impl Opt {
    pub(crate) fn name(&self) -> String {
        self.key.unraw().to_string()
    }

    pub(crate) fn span(&self) -> Span {
        self.key.span()
    }

    /// `key = "text"`.
    pub(crate) fn string(&self, errors: &mut Errors) -> Option<LitStr> {
        match &self.value {
            OptValue::Expr(Expr::Lit(syn::ExprLit { lit: Lit::Str(s), .. })) => Some(s.clone()),
            OptValue::Expr(e) => {
                errors.spanned(
                    e,
                    format!("`{}` takes a string literal: `{} = \"...\"`", self.name(), self.name()),
                );
                None
            }
            _ => {
                errors.at(
                    self.span(),
                    format!("`{}` takes a string literal: `{} = \"...\"`", self.name(), self.name()),
                );
                None
            }
        }
    }

    /// `key` (true) or `key = true|false`.
    pub(crate) fn flag(&self, errors: &mut Errors) -> Option<bool> {
        match &self.value {
            OptValue::Flag => Some(true),
            OptValue::Expr(Expr::Lit(syn::ExprLit { lit: Lit::Bool(LitBool { value, .. }), .. })) => {
                Some(*value)
            }
            other => {
                let span = match other {
                    OptValue::Expr(e) => e.span(),
                    _ => self.span(),
                };
                errors.at(span, format!("write `{0}`, `{0} = true` or `{0} = false`", self.name()));
                None
            }
        }
    }

    /// `key` alone, nothing after it.
    pub(crate) fn bare(&self, errors: &mut Errors) -> bool {
        if matches!(self.value, OptValue::Flag) {
            true
        } else {
            errors.at(self.span(), format!("`{}` takes no value; write just `{}`", self.name(), self.name()));
            false
        }
    }

    /// `key = expr`.
    pub(crate) fn expr(&self, errors: &mut Errors) -> Option<Expr> {
        match &self.value {
            OptValue::Expr(e) => Some(e.clone()),
            _ => {
                errors.at(self.span(), format!("`{}` takes a value: `{} = ...`", self.name(), self.name()));
                None
            }
        }
    }

    /// `key(a = x, b = y)`.
    pub(crate) fn list(&self, errors: &mut Errors) -> Option<&[Opt]> {
        match &self.value {
            OptValue::List(list) => Some(list),
            _ => {
                errors.at(
                    self.span(),
                    format!("`{}` takes a list: `{}(name = ...)`", self.name(), self.name()),
                );
                None
            }
        }
    }
}

/// Rejects a second `key` in one attribute.
pub(crate) fn once<T>(slot: &mut Option<T>, opt: &Opt, value: Option<T>, errors: &mut Errors) {
    if slot.is_some() {
        errors.at(opt.span(), format!("`{}` is given twice; keep one", opt.name()));
    } else if value.is_some() {
        *slot = value;
    }
}
