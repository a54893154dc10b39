//! Writing the code: each macro's registration impl, and the pieces they share. Generated code
//! names nothing but `::mcp_connector_core::__private_0_1::...` (or the path given with `crate = "..."`),
//! and binds only `__mcp_`-prefixed names, so it compiles in any module with any names in
//! scope, `#![no_implicit_prelude]` included.

pub(crate) mod prompt;
pub(crate) mod resource;
pub(crate) mod tool;
pub(crate) mod tools;

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{Attribute, ItemFn, Type};

use crate::diag::Errors;
use crate::parse::docs::Docs;
use crate::parse::params::Receiver;
use crate::parse::{Common, MetaValue};

/// The paths generated code names things by.
pub(crate) struct Paths {
    /// `::mcp_connector_core`
    pub(crate) krate: TokenStream,
    /// `::mcp_connector_core::__private_0_1`
    pub(crate) private: TokenStream,
    /// `::mcp_connector_core::__private_0_1::std`
    pub(crate) std: TokenStream,
}

impl Paths {
    pub(crate) fn new(krate: Option<&syn::Path>) -> Self {
        let krate = match krate {
            Some(path) => quote!(#path),
            None => quote!(::mcp_connector_core),
        };
        let private = quote!(#krate::__private_0_1);
        let std = quote!(#private::std);
        Paths { krate, private, std }
    }

    /// `Some("text")` or `None`, as an `Option<&'static str>`.
    pub(crate) fn opt_str(&self, text: Option<&str>) -> TokenStream {
        let std = &self.std;
        match text {
            Some(t) => quote!(#std::option::Option::Some(#t)),
            None => quote!(#std::option::Option::None),
        }
    }
}

/// `.description(..)`, `.title(..)`, `.icons(..)`, `.meta(..)` on any of the builders.
pub(crate) fn common_calls(paths: &Paths, common: &Common, docs: &Docs) -> TokenStream {
    let p = &paths.private;
    let mut calls = TokenStream::new();
    let description = match &common.description {
        Some(d) => Some(quote!(#d)),
        None => docs.description.clone(),
    };
    if let Some(d) = description {
        calls.extend(quote!(.description(#d)));
    }
    let title = match &common.title {
        Some(t) => Some(t.value()),
        None => docs.title.clone(),
    };
    if let Some(t) = title {
        calls.extend(quote!(.title(#t)));
    }
    if let Some(icons) = &common.icons {
        let f = respan(quote!(#p::icons), icons.span());
        calls.extend(quote!(.icons(#f(#icons))));
    }
    match &common.meta {
        Some(MetaValue::Json(json)) => {
            let value = json.to_value(p);
            calls.extend(quote!(.meta(#p::meta(#value))));
        }
        Some(MetaValue::Expr(e)) => {
            let f = respan(quote!(#p::meta), e.span());
            calls.extend(quote!(.meta(#f(#e))));
        }
        None => {}
    }
    calls
}

/// The local each parameter's value is bound to in a handler.
pub(crate) fn arg_var(index: usize) -> Ident {
    format_ident!("__mcp_a{}", index)
}

/// The `cfg` attributes of the function, repeated on every generated item.
fn cfg_attrs(attrs: &[Attribute]) -> Vec<&Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr")).collect()
}

/// How a handler calls the user's function.
#[derive(Clone, Copy)]
pub(crate) enum Call<'a> {
    /// A free function, by its name.
    Free(&'a Ident),
    /// `Self::method(..)` inside the `ToolSet` impl of a `#[tools]` block, with
    /// `self: Arc<Self>` in scope.
    Method(&'a Ident, Receiver),
}

/// The pieces of a handler that reach the user's function.
pub(crate) struct CallParts {
    /// Before the handler closure: takes a handle on the shared value.
    pub(crate) setup: TokenStream,
    /// Inside the closure, before its `async move` block: one handle per call.
    pub(crate) clone: TokenStream,
    /// The call itself, with `vars` as the arguments (without `.await`).
    pub(crate) call: TokenStream,
}

impl Call<'_> {
    pub(crate) fn parts(self, paths: &Paths, vars: &[Ident]) -> CallParts {
        let std = &paths.std;
        let (method, receiver) = match self {
            Call::Free(ident) => {
                return CallParts { setup: quote!(), clone: quote!(), call: quote!(#ident(#(#vars),*)) };
            }
            Call::Method(method, receiver) => (method, receiver),
        };
        let this = match receiver {
            Receiver::None => {
                return CallParts {
                    setup: quote!(),
                    clone: quote!(),
                    call: quote!(Self::#method(#(#vars),*)),
                };
            }
            Receiver::Ref => quote!(&*__mcp_this,),
            Receiver::Arc => quote!(__mcp_this,),
        };
        CallParts {
            setup: quote!(let __mcp_this = <#std::sync::Arc<Self> as #std::clone::Clone>::clone(&self);),
            clone: quote!(let __mcp_this = <#std::sync::Arc<Self> as #std::clone::Clone>::clone(&__mcp_this);),
            call: quote!(Self::#method(#this #(#vars),*)),
        }
    }
}

/// A free function stays exactly as written (callable from tests and other code), and gains
/// a braced struct of the same name, which lives in the type namespace only, so it never
/// shadows a variable: `name::tool()` (or `::resource()`, `::prompt()`) builds what
/// `.tool(..)` registers. `kind` is that associated function's name and `ty` what it returns.
pub(crate) fn free_fn_shell(item: &ItemFn, kind: &str, ty: TokenStream, body: TokenStream) -> TokenStream {
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let cfg = cfg_attrs(&item.attrs);
    let kind_ident = Ident::new(kind, Span::call_site());
    let name = syn::ext::IdentExt::unraw(ident).to_string();
    let struct_doc = format!("The MCP {kind} `{name}`: register it with `.{kind}({ident}::{kind}())`.");
    let fn_doc = format!("The MCP {kind} `{name}`, for `.{kind}(..)`.");
    quote! {
        #item

        #(#cfg)*
        #[doc = #struct_doc]
        #[allow(non_camel_case_types)]
        #vis struct #ident {}

        #(#cfg)*
        const _: () = {
            impl #ident {
                #[doc = #fn_doc]
                #vis fn #kind_ident() -> #ty {
                    #body
                }
            }
        };
    }
}

/// What a free-function macro emits when it found problems: the errors, the function, and the
/// `name::kind()` shell (whose body never runs, since the crate does not compile), so that the
/// code registering it still compiles and only the macro's own errors show. A function with a
/// `self` parameter (a method outside `#[tools]`) loses it and its body, else rustc would add
/// "`self` parameter is only allowed in associated functions" to the macro's error.
pub(crate) fn free_fn_with_errors(
    errors: Errors,
    paths: &Paths,
    mut item: ItemFn,
    kind: &str,
    ty: TokenStream,
) -> TokenStream {
    let std = &paths.std;
    let had_receiver = item.sig.inputs.iter().any(|input| matches!(input, syn::FnArg::Receiver(_)));
    if had_receiver {
        item.sig.inputs = std::mem::take(&mut item.sig.inputs)
            .into_iter()
            .filter(|input| !matches!(input, syn::FnArg::Receiver(_)))
            .collect();
        *item.block = syn::parse_quote!({ #std::unreachable!() });
        item.attrs.push(syn::parse_quote!(#[allow(unused_variables, unreachable_code)]));
    }
    let errors = errors.into_compile_errors();
    let shell = free_fn_shell(&item, kind, ty, quote!(#std::unreachable!()));
    quote!(#errors #shell)
}

/// The input with this crate's attributes removed, emitted when the macro could not even read
/// it, so the errors are only the macro's own and not "cannot find function" elsewhere.
pub(crate) fn with_errors(errors: TokenStream, item: impl quote::ToTokens) -> TokenStream {
    quote!(#errors #item)
}

/// `tokens` with every span set to `span`, so that an unsatisfied trait bound in generated code
/// is reported at the user's type rather than at the attribute. Only for expressions made of
/// paths and types: never for tokens that bind or name local variables, whose hygiene would
/// change.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|tt| match tt {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                TokenTree::Group(group)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

/// A string literal for names known at compile time.
pub(crate) fn lit(text: &str, span: Span) -> syn::LitStr {
    syn::LitStr::new(text, span)
}

/// Binds a parameter parsed from text (a prompt argument, a URI template variable):
/// `source` is an `Option<&str>`, `error` turns the `String` reason into the handler's error.
pub(crate) fn text_param(
    paths: &Paths,
    var: &Ident,
    ty: &Type,
    default: Option<&crate::parse::params::ArgDefault>,
    source: TokenStream,
    error: TokenStream,
) -> TokenStream {
    use crate::parse::params::ArgDefault;
    let p = &paths.private;
    let std = &paths.std;
    let parser = respan(quote!((&#p::TextProbe::<#ty>::new()).parser()), ty.span());
    let parsed = quote! {
        #std::result::Result::map_err((#parser)(__mcp_text), |__mcp_e| #error)?
    };
    match default {
        None => quote! {
            let #var = { let __mcp_text = #source; #parsed };
        },
        Some(default) => {
            let expr = match default {
                ArgDefault::Trait => quote!(<#ty as #std::default::Default>::default()),
                ArgDefault::Expr(e) => quote!(#e),
            };
            quote! {
                let #var: #ty = match #source {
                    #std::option::Option::None => #expr,
                    __mcp_text => #parsed,
                };
            }
        }
    }
}

/// `use` of the traits `TextProbe` dispatches through.
pub(crate) fn text_traits(paths: &Paths) -> TokenStream {
    let p = &paths.private;
    quote! {
        #[allow(unused_imports)]
        use #p::{OptionalText as _, RequiredText as _};
    }
}
