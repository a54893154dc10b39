//! `#[tools]` on an `impl` block: every `#[tool]` method becomes a tool sharing the value
//! through an `Arc`, registered with `.tools(value)`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, ImplItem, ItemImpl};

use super::tool::{Call, ToolDef, tool_expr, tool_name};
use super::{Paths, with_errors};
use crate::check;
use crate::diag::Errors;
use crate::parse::docs::{Docs, docs};
use crate::parse::params::{self, Signature, Site};
use crate::parse::{self, ToolAttr};

/// What one `#[tool]` method says, before expansion.
struct Method {
    ident: syn::Ident,
    /// The method's `#[cfg]`s, repeated on its registration.
    cfg: Vec<Attribute>,
    attr: ToolAttr,
    docs: Docs,
    sig: Signature,
    name: String,
    ret: syn::Type,
    is_async: bool,
}

fn is_tool_attr(attr: &Attribute) -> bool {
    attr.path().segments.last().is_some_and(|s| s.ident == "tool")
}

pub(crate) fn entry(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let krate = parse::tools_attr(attr, &mut errors);
    let mut imp: ItemImpl = match syn::parse2(item.clone()) {
        Ok(imp) => imp,
        Err(e) => {
            let hint = syn::Error::new(
                e.span(),
                "`#[tools]` goes on an `impl Type { ... }` block whose methods are marked `#[tool(...)]`",
            );
            return with_errors(hint.to_compile_error(), item);
        }
    };
    if let Some((_, path, _)) = &imp.trait_ {
        errors.spanned(path, "`#[tools]` goes on an inherent `impl Type { ... }` block, not on a trait impl");
    }
    let paths = Paths::new(krate.as_ref());
    let mut methods: Vec<Method> = Vec::new();
    for item in imp.items.iter_mut() {
        let ImplItem::Fn(method) = item else { continue };
        let (tool_attrs, rest): (Vec<Attribute>, Vec<Attribute>) =
            method.attrs.drain(..).partition(is_tool_attr);
        method.attrs = rest;
        let Some(first) = tool_attrs.first() else { continue };
        for extra in tool_attrs.iter().skip(1) {
            errors.spanned(extra, "`#[tool]` is given twice on this method; merge the options into one");
        }
        let tokens = match &first.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        let attr = parse::tool_attr(tokens, first.span(), &mut errors);
        let docs = docs(&method.attrs, &paths.std);
        let sig = params::signature(&mut method.sig, Site::Tool, true, &mut errors);
        check::signature_shape(&method.sig, "tool", &mut errors);
        check::inputs(&sig.params, &mut errors);
        let name = tool_name(&attr, &method.sig.ident, &mut errors);
        if let Some(earlier) = methods.iter().find(|m| m.name == name) {
            let span = attr.common.name.as_ref().map_or(method.sig.ident.span(), |n| n.span());
            errors.at(
                span,
                format!(
                    "duplicate tool name `{name}`: the method `{}` already registers a tool with this name; \
                     tool names must be unique, so rename one (or set `name = \"...\"`)",
                    earlier.ident
                ),
            );
        }
        methods.push(Method {
            ident: method.sig.ident.clone(),
            cfg: method.attrs.iter().filter(|a| a.path().is_ident("cfg")).cloned().collect(),
            ret: check::return_type(&method.sig),
            is_async: method.sig.asyncness.is_some(),
            attr,
            docs,
            sig,
            name,
        });
    }
    if methods.is_empty() && errors.is_empty() {
        errors.at(
            Span::call_site(),
            "`#[tools]` found no method marked `#[tool(read)]` or `#[tool(write)]` in this impl block",
        );
    }
    if !errors.is_empty() {
        return with_errors(errors.into_compile_errors(), imp);
    }
    expand(&paths, &imp, &methods)
}

fn expand(paths: &Paths, imp: &ItemImpl, methods: &[Method]) -> TokenStream {
    let krate = &paths.krate;
    let p = &paths.private;
    let std = &paths.std;
    let self_ty = &imp.self_ty;
    let type_name = quote!(#self_ty).to_string().replace(' ', "");
    let tools = methods.iter().map(|m| {
        let fn_name = m.ident.unraw().to_string();
        let def = ToolDef {
            attr: &m.attr,
            docs: &m.docs,
            name: m.name.clone(),
            params: &m.sig.params,
            ret: m.ret.clone(),
            is_async: m.is_async,
            origin: quote!(#std::concat!("`", #std::module_path!(), "::", #type_name, "::", #fn_name, "`")),
        };
        let tool = tool_expr(paths, &def, Call::Method(&m.ident, m.sig.receiver));
        let cfg = &m.cfg;
        quote!(#(#cfg)* __mcp_tools.push(#tool);)
    });
    let mut generics = imp.generics.clone();
    if !generics.params.is_empty() {
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(#self_ty: #std::marker::Send + #std::marker::Sync + 'static));
    }
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    quote! {
        #imp

        impl #impl_generics #p::ToolSet for #self_ty #where_clause {
            fn tools(self: #std::sync::Arc<Self>) -> #std::vec::Vec<#krate::Tool> {
                let mut __mcp_tools: #std::vec::Vec<#krate::Tool> = #std::vec::Vec::new();
                #(#tools)*
                __mcp_tools
            }
        }

        impl #impl_generics #krate::IntoTools for #self_ty #where_clause {
            fn into_tools(self) -> #std::vec::Vec<#krate::Tool> {
                #p::ToolSet::tools(#std::sync::Arc::new(self))
            }
        }
    }
}
