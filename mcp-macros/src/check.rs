//! Checks that need more than one option or parameter at a time: names against the spec,
//! the shape of a handler's signature, and which parameters consume the arguments.

use proc_macro2::Span;
use syn::{ReturnType, Type};

use crate::diag::Errors;
use crate::parse::Common;
use crate::parse::docs::Docs;
use crate::parse::params::{Param, ParamKind};

/// Every tool needs a description: models choose tools by it, and a tool without one ships
/// with no title and no description. The error points at the function and shows the doc
/// comment to add.
pub(crate) fn tool_description(common: &Common, docs: &Docs, ident: &syn::Ident, errors: &mut Errors) {
    if common.description.is_some() || docs.description.is_some() {
        return;
    }
    let name = syn::ext::IdentExt::unraw(ident).to_string();
    errors.at(
        ident.span(),
        format!(
            "the tool `{name}` has no description, and models choose tools by their description: add a doc \
             comment above `#[tool(...)]`, such as\n\n    /// {}\n\nthen say what it returns and when to use it \
             (the first line is also the tool's title); or write `description = \"...\"` in `#[tool(...)]`",
            sentence(&name)
        ),
    );
}

/// `search_tickets` as the start of a sentence: "Search tickets."
fn sentence(name: &str) -> String {
    let words: Vec<&str> = name.split(['_', '-', '.']).filter(|w| !w.is_empty()).collect();
    let mut text = words.join(" ");
    if let Some(first) = text.get(..1) {
        text = format!("{}{}", first.to_uppercase(), &text[1..]);
    }
    text.push('.');
    text
}

/// Reports an invalid tool name at `span`, saying how to fix it.
pub(crate) fn check_tool_name(name: &str, span: Span, from_fn: bool, errors: &mut Errors) {
    if let Err(why) = crate::tool_name::check(name) {
        let fix = if from_fn { "; give the tool a valid name with `name = \"...\"`" } else { "" };
        errors.at(
            span,
            format!(
                "invalid tool name {name:?}: {why}; tool names are 1 to 64 characters of A-Z, a-z, 0-9, '_', '-' and '.'{fix}"
            ),
        );
    }
}

/// What every handler's signature must be: not generic, not `unsafe`, a nameable return type.
pub(crate) fn signature_shape(sig: &syn::Signature, what: &str, errors: &mut Errors) {
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(
            &sig.generics,
            format!(
                "a {what} cannot be generic: its schema is built from concrete types; write the concrete types, \
                 or one {what} per type that calls a shared generic function"
            ),
        );
    }
    if let Some(unsafety) = &sig.unsafety {
        errors.spanned(
            unsafety,
            format!("a {what} handler cannot be `unsafe`; call unsafe code inside a safe function"),
        );
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(abi, format!("a {what} handler cannot have an `extern` ABI"));
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, format!("a {what} handler cannot be variadic"));
    }
    if let ReturnType::Type(_, ty) = &sig.output {
        let mut finder = Finder::default();
        finder.visit(ty);
        if let Some(tokens) = finder.impl_trait {
            errors.spanned(
                tokens,
                format!("name the {what}'s return type: `impl Trait` cannot be registered; write the concrete type"),
            );
        }
        if let Some(tokens) = finder.borrowed {
            errors.spanned(
                tokens,
                format!(
                    "a {what} returns owned data: a reference (other than `&'static`) cannot outlive the call; \
                     return `String` instead of `&str`, or another owned type"
                ),
            );
        }
    }
}

/// Finds `impl Trait` and non-`'static` references in a type.
#[derive(Default)]
struct Finder {
    impl_trait: Option<proc_macro2::TokenStream>,
    borrowed: Option<proc_macro2::TokenStream>,
}

impl Finder {
    fn visit(&mut self, ty: &Type) {
        match ty {
            Type::ImplTrait(t) => {
                self.impl_trait.get_or_insert_with(|| quote::ToTokens::to_token_stream(t));
            }
            Type::Reference(r) => {
                if r.lifetime.as_ref().is_none_or(|l| l.ident != "static") {
                    self.borrowed.get_or_insert_with(|| quote::ToTokens::to_token_stream(r));
                }
                self.visit(&r.elem);
            }
            Type::Path(p) => {
                for segment in &p.path.segments {
                    if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                        for arg in &args.args {
                            if let syn::GenericArgument::Type(t) = arg {
                                self.visit(t);
                            }
                        }
                    }
                }
            }
            Type::Tuple(t) => t.elems.iter().for_each(|t| self.visit(t)),
            Type::Array(a) => self.visit(&a.elem),
            Type::Slice(s) => self.visit(&s.elem),
            Type::Paren(p) => self.visit(&p.elem),
            Type::Group(g) => self.visit(&g.elem),
            _ => {}
        }
    }
}

/// The return type as written (`()` when there is none).
pub(crate) fn return_type(sig: &syn::Signature) -> Type {
    match &sig.output {
        ReturnType::Type(_, ty) => (**ty).clone(),
        ReturnType::Default => syn::parse_quote!(()),
    }
}

/// At most one `#[args]`, not together with plain arguments, and no two arguments with the
/// same name.
pub(crate) fn inputs(params: &[Param], errors: &mut Errors) {
    let whole: Vec<&Param> = params.iter().filter(|p| matches!(p.kind, ParamKind::Whole)).collect();
    for extra in whole.iter().skip(1) {
        errors.spanned(
            &extra.ty,
            "only one parameter can take the whole arguments object (`#[args]`): merge the two structs \
             into one, or make their fields plain parameters",
        );
    }
    let mut seen: Vec<&str> = Vec::new();
    for p in params {
        let ParamKind::Arg(arg) = &p.kind else { continue };
        if let Some(w) = whole.first() {
            errors.at(
                arg.span,
                format!(
                    "`{}` cannot be a separate argument: the `#[args]` parameter of type `{}` already takes the whole \
                     arguments object; make `{}` a field of that struct",
                    arg.name,
                    quote::ToTokens::to_token_stream(&w.ty),
                    arg.name
                ),
            );
        }
        if seen.contains(&arg.name.as_str()) {
            errors.at(
                arg.span,
                format!(
                    "two parameters are both named `{}`; use `#[arg(rename = \"...\")]` on one",
                    arg.name
                ),
            );
        }
        seen.push(&arg.name);
    }
}
