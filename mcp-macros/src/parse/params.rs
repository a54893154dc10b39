//! A handler's signature: its receiver, and what each parameter is (an argument the client
//! sends, the whole arguments object, or an extractor filled from the request).

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, FnArg, LitStr, Pat, Type};

use super::attr::{Opt, once, parse_options};
use super::docs::doc_text;
use crate::diag::{Errors, unknown_option};

/// Which macro reads the signature: what parameters may be depends on it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    Tool,
    Resource,
    Prompt,
}

impl Site {
    fn what(self) -> &'static str {
        match self {
            Site::Tool => "tool",
            Site::Resource => "resource",
            Site::Prompt => "prompt",
        }
    }
}

/// The built-in extractors, recognised by the last segment of the type's path. Any other type
/// that implements `FromContext` is an extractor when the parameter is marked `#[ctx]`.
pub(crate) const EXTRACTOR_TYPES: &[&str] =
    &["Context", "CancellationToken", "Extensions", "State", "Claims"];

/// How a method receives `self`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Receiver {
    /// An associated function, or a free function.
    None,
    /// `&self`
    Ref,
    /// `self: Arc<Self>`
    Arc,
}

pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) kind: ParamKind,
}

pub(crate) enum ParamKind {
    /// Filled from the request with `FromContext`.
    Extract,
    /// A resource's `ResourceRequest` (the URI and its variables).
    Request,
    /// `#[args]`: the whole arguments object.
    Whole,
    /// One argument.
    Arg(Arg),
}

pub(crate) struct Arg {
    /// The name on the wire.
    pub(crate) name: String,
    /// Where to point at for problems with this argument.
    pub(crate) span: Span,
    pub(crate) description: Option<String>,
    pub(crate) default: Option<ArgDefault>,
    /// `#[arg(header = "Region")]`: the `x-mcp-header` annotation (2026-07-28), which asks
    /// HTTP clients to mirror the argument into an `Mcp-Param-Region` header.
    pub(crate) header: Option<LitStr>,
}

pub(crate) enum ArgDefault {
    /// `#[arg(default)]`: `Default::default()`.
    Trait,
    /// `#[arg(default = expr)]`
    Expr(Box<Expr>),
}

pub(crate) struct Signature {
    pub(crate) receiver: Receiver,
    pub(crate) params: Vec<Param>,
}

const ARG_OPTIONS: &[&str] = &["rename", "description", "default", "header"];

/// Reads the parameters of `sig`, removing the attributes this crate understands (`#[arg]`,
/// `#[ctx]`, `#[args]`, doc comments) so that the function compiles as written.
pub(crate) fn signature(
    sig: &mut syn::Signature,
    site: Site,
    in_impl: bool,
    errors: &mut Errors,
) -> Signature {
    let mut receiver = Receiver::None;
    let mut params = Vec::new();
    for input in sig.inputs.iter_mut() {
        match input {
            FnArg::Receiver(r) => receiver = self_receiver(r, site, in_impl, errors),
            FnArg::Typed(pt) => {
                if let Some(param) = param(pt, site, errors) {
                    params.push(param);
                }
            }
        }
    }
    Signature { receiver, params }
}

fn self_receiver(r: &syn::Receiver, site: Site, in_impl: bool, errors: &mut Errors) -> Receiver {
    if !in_impl {
        errors.spanned(
            r,
            format!(
                "a {} with a `self` parameter belongs in an impl block marked `#[tools]`: put `#[tools]` on the `impl`",
                site.what()
            ),
        );
        return Receiver::None;
    }
    if r.reference.is_some() {
        if r.mutability.is_some() {
            errors.spanned(
                r,
                format!(
                    "a {what} cannot take `&mut self`: handlers may run concurrently and share `self` through an \
                     `Arc`; take `&self` and keep state that changes behind a `Mutex`, an `RwLock` or an atomic",
                    what = site.what()
                ),
            );
        }
        return Receiver::Ref;
    }
    if r.colon_token.is_some() && is_arc_self(&r.ty) {
        return Receiver::Arc;
    }
    errors.spanned(
        r,
        format!(
            "a {} takes `&self` (or `self: Arc<Self>`): the value is shared by every call through an `Arc`",
            site.what()
        ),
    );
    Receiver::None
}

fn is_arc_self(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    let Some(last) = p.path.segments.last() else { return false };
    if last.ident != "Arc" {
        return false;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return false };
    matches!(args.args.first(), Some(syn::GenericArgument::Type(Type::Path(s))) if s.path.is_ident("Self"))
}

/// The attributes of ours found on one parameter.
#[derive(Default)]
struct Marks {
    arg: Option<(Span, Vec<Opt>)>,
    ctx: Option<Span>,
    args: Option<Span>,
}

fn take_marks(attrs: &mut Vec<Attribute>, errors: &mut Errors) -> (Marks, Option<String>) {
    let mut marks = Marks::default();
    let docs = doc_text(attrs);
    let mut kept = Vec::new();
    for attr in attrs.drain(..) {
        let path = attr.path();
        if path.is_ident("doc") {
            continue;
        }
        if path.is_ident("arg") {
            let opts = match &attr.meta {
                syn::Meta::Path(_) => Vec::new(),
                syn::Meta::List(list) => parse_options(list.tokens.clone(), errors),
                syn::Meta::NameValue(_) => {
                    errors.spanned(&attr, "write `#[arg(...)]`, for example `#[arg(description = \"...\")]`");
                    Vec::new()
                }
            };
            if marks.arg.is_some() {
                errors.spanned(&attr, "`#[arg]` is given twice; merge the options into one `#[arg(...)]`");
            }
            marks.arg = Some((attr.span(), opts));
        } else if path.is_ident("ctx") || path.is_ident("args") {
            if !matches!(attr.meta, syn::Meta::Path(_)) {
                errors.spanned(
                    &attr,
                    format!(
                        "`#[{}]` takes no options",
                        path.get_ident().map(|i| i.to_string()).unwrap_or_default()
                    ),
                );
            }
            if path.is_ident("ctx") {
                marks.ctx = Some(attr.span());
            } else {
                marks.args = Some(attr.span());
            }
        } else if path.is_ident("cfg") || path.is_ident("cfg_attr") {
            errors.spanned(
                &attr,
                "a handler's parameters cannot be conditional: move the `#[cfg]` to the whole function",
            );
            kept.push(attr);
        } else {
            kept.push(attr);
        }
    }
    *attrs = kept;
    (marks, docs)
}

fn param(pt: &mut syn::PatType, site: Site, errors: &mut Errors) -> Option<Param> {
    let (marks, docs) = take_marks(&mut pt.attrs, errors);
    let ty = (*pt.ty).clone();
    if marks.ctx.is_some() && (marks.arg.is_some() || marks.args.is_some()) {
        errors.spanned(&*pt, "a parameter is either filled from the request (`#[ctx]`) or sent by the client (`#[arg]`, `#[args]`), not both");
    }
    if let (Some(span), Some(_)) = (marks.args, &marks.arg) {
        errors.at(
            span,
            "`#[arg(...)]` describes one argument, but `#[args]` takes the whole arguments object; \
             describe the fields of the struct with serde and schemars attributes instead",
        );
    }
    if let Some(span) = marks.args
        && site != Site::Tool
    {
        errors.at(
            span,
            format!(
                "`#[args]` is for tools; a {}'s parameters are each one {}",
                site.what(),
                match site {
                    Site::Resource => "URI template variable",
                    _ => "argument",
                }
            ),
        );
    }
    // `&Context` is still meant as the extractor (and gets told to drop the `&`).
    let type_name = last_segment(strip_references(&ty));
    let kind = if marks.ctx.is_some() {
        ParamKind::Extract
    } else if marks.args.is_some() {
        ParamKind::Whole
    } else if marks.arg.is_none() && type_name.as_deref().is_some_and(|n| EXTRACTOR_TYPES.contains(&n)) {
        ParamKind::Extract
    } else if marks.arg.is_none() && site == Site::Resource && type_name.as_deref() == Some("ResourceRequest")
    {
        ParamKind::Request
    } else {
        let opts = marks.arg.map(|(_, opts)| opts).unwrap_or_default();
        ParamKind::Arg(arg(pt, &opts, docs, site, errors)?)
    };
    check_type(&ty, &kind, site, errors);
    Some(Param { ty, kind })
}

fn arg(
    pt: &syn::PatType,
    opts: &[Opt],
    docs: Option<String>,
    site: Site,
    errors: &mut Errors,
) -> Option<Arg> {
    let mut rename = None;
    let mut description = None;
    let mut default = None;
    let mut header = None;
    for opt in opts {
        match opt.name().as_str() {
            "header" => {
                if site != Site::Tool {
                    errors.at(
                        opt.span(),
                        format!(
                            "only tool arguments can be mirrored into HTTP headers; remove `header` from this {} argument",
                            site.what()
                        ),
                    );
                }
                let value = opt.string(errors);
                if let Some(lit) = &value {
                    check_header_name(lit, errors);
                }
                once(&mut header, opt, value, errors)
            }
            "rename" => once(&mut rename, opt, opt.string(errors), errors),
            "description" => {
                if site == Site::Resource {
                    errors.at(opt.span(), "URI template variables have no description in MCP; describe them in the resource's doc comment");
                }
                once(&mut description, opt, opt.string(errors).map(|s| s.value()), errors)
            }
            "default" => {
                let value = match &opt.value {
                    super::attr::OptValue::Flag => Some(ArgDefault::Trait),
                    _ => opt.expr(errors).map(|e| ArgDefault::Expr(Box::new(e))),
                };
                once(&mut default, opt, value, errors)
            }
            other => errors.at(opt.span(), unknown_option("#[arg]", other, ARG_OPTIONS)),
        }
    }
    let (name, span) = match (&rename, &*pt.pat) {
        (Some(lit), _) => {
            if lit.value().is_empty() {
                errors.spanned(lit, "an argument's name cannot be empty");
            }
            (lit.value(), lit.span())
        }
        (None, Pat::Ident(p)) if p.by_ref.is_none() && p.subpat.is_none() => {
            (syn::ext::IdentExt::unraw(&p.ident).to_string(), p.ident.span())
        }
        (None, Pat::Wild(w)) => {
            errors.spanned(
                w,
                format!("give this parameter a name: it becomes the name of the {}'s argument", site.what()),
            );
            return None;
        }
        (None, pat) => {
            errors.spanned(
                pat,
                "unsupported parameter pattern: an argument needs a plain name, such as `query: String` \
                 (destructure inside the body, or take the whole arguments object as one `#[args]` struct)",
            );
            return None;
        }
    };
    let description = description.or(docs);
    Some(Arg { name, span, description, default, header })
}

/// The `x-mcp-header` value becomes part of a header name (`Mcp-Param-{value}`), so it must be
/// a non-empty HTTP token (RFC 9110 `tchar`s), as 2026-07-28 server/tools says.
fn check_header_name(lit: &LitStr, errors: &mut Errors) {
    let value = lit.value();
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if value.is_empty() {
        errors.spanned(
            lit,
            "a header name cannot be empty: write the part after `Mcp-Param-`, such as \"Region\"",
        );
    } else if let Some(bad) = value.chars().find(|c| !tchar(*c)) {
        errors.spanned(
            lit,
            format!(
                "{bad:?} cannot appear in an HTTP header name; use letters, digits and `-` (the client sends `Mcp-Param-{}`)",
                value.replace(|c: char| !tchar(c), "-")
            ),
        );
    }
}

/// Refuses parameter types a handler cannot take.
fn check_type(ty: &Type, kind: &ParamKind, site: Site, errors: &mut Errors) {
    match ty {
        Type::Reference(r) => {
            let message = match kind {
                ParamKind::Extract | ParamKind::Request => {
                    "take this by value: extractors are cheap to clone (write the type without `&`)"
                        .to_owned()
                }
                _ => {
                    let owned = match &*r.elem {
                        Type::Path(p) if p.path.is_ident("str") => "`String`".to_owned(),
                        Type::Slice(s) => {
                            format!("`Vec<{}>`", quote::ToTokens::to_token_stream(&s.elem))
                        }
                        _ => "the owned type".to_owned(),
                    };
                    format!(
                        "arguments are owned values deserialized from the request: write {owned} instead of a reference"
                    )
                }
            };
            errors.spanned(ty, message);
        }
        Type::ImplTrait(_) => errors.spanned(
            ty,
            format!(
                "a {} cannot be generic: an `impl Trait` parameter has no schema; name a concrete type",
                site.what()
            ),
        ),
        _ => {}
    }
}

fn strip_references(ty: &Type) -> &Type {
    match ty {
        Type::Reference(r) => strip_references(&r.elem),
        other => other,
    }
}

/// The last identifier of a path type (`Context` for `mcp_connector_core::Context`).
pub(crate) fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}
