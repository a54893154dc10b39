//! `#[tools]` on an `impl` block: every `#[tool]` method becomes a tool, every `#[resource]`
//! method a resource and every `#[prompt]` method a prompt, all sharing the value through an
//! `Arc`, registered at once with `.tools(value)`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, ImplItem, ItemImpl};

use super::prompt::{self, PromptDef};
use super::resource::{self, ResourceDef};
use super::tool::{ToolDef, tool_expr, tool_name};
use super::{Call, Paths, with_errors};
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

/// A `#[resource]` or `#[prompt]` method: what it says, and its signature and attributes as
/// the free-function expansion reads them.
struct Other<D> {
    def: D,
    sig: syn::Signature,
    attrs: Vec<Attribute>,
    cfg: Vec<Attribute>,
}

/// Which of our attributes marks a method (by the last segment of its path, so
/// `#[mcp_connector_core::tool]` counts too).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Tool,
    Resource,
    Prompt,
}

impl Mark {
    fn of(attr: &Attribute) -> Option<Mark> {
        let last = attr.path().segments.last()?;
        match last.ident.to_string().as_str() {
            "tool" => Some(Mark::Tool),
            "resource" => Some(Mark::Resource),
            "prompt" => Some(Mark::Prompt),
            _ => None,
        }
    }
}

fn attr_tokens(attr: &Attribute) -> TokenStream {
    match &attr.meta {
        syn::Meta::List(list) => list.tokens.clone(),
        _ => TokenStream::new(),
    }
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
    let is_trait_impl = imp.trait_.is_some();
    if let Some((_, path, _)) = &imp.trait_ {
        errors.spanned(path, "`#[tools]` goes on an inherent `impl Type { ... }` block, not on a trait impl");
    }
    let paths = Paths::new(krate.as_ref());
    let mut methods: Vec<Method> = Vec::new();
    let mut resources: Vec<Other<ResourceDef>> = Vec::new();
    let mut prompts: Vec<Other<PromptDef>> = Vec::new();
    for item in imp.items.iter_mut() {
        let ImplItem::Fn(method) = item else { continue };
        let (ours, rest): (Vec<Attribute>, Vec<Attribute>) =
            method.attrs.drain(..).partition(|a| Mark::of(a).is_some());
        method.attrs = rest;
        let Some(first) = ours.first() else { continue };
        let mark = Mark::of(first);
        for extra in ours.iter().skip(1) {
            if Mark::of(extra) == mark {
                errors.spanned(
                    extra,
                    "this attribute is given twice on this method; merge the options into one",
                );
            } else {
                errors.spanned(
                    extra,
                    "a method is one tool, one resource or one prompt: keep one of these attributes, and write \
                     another method for the other",
                );
            }
        }
        let cfg: Vec<Attribute> = method.attrs.iter().filter(|a| a.path().is_ident("cfg")).cloned().collect();
        match mark {
            Some(Mark::Resource) => {
                let def =
                    resource::read(attr_tokens(first), first.span(), &mut method.sig, true, &mut errors);
                resources.push(Other { def, sig: method.sig.clone(), attrs: method.attrs.clone(), cfg });
                continue;
            }
            Some(Mark::Prompt) => {
                let def = prompt::read(attr_tokens(first), &mut method.sig, true, &mut errors);
                prompts.push(Other { def, sig: method.sig.clone(), attrs: method.attrs.clone(), cfg });
                continue;
            }
            _ => {}
        }
        let attr = parse::tool_attr(attr_tokens(first), first.span(), &mut errors);
        let docs = docs(&method.attrs, &paths.std);
        check::tool_description(&attr.common, &docs, &method.sig.ident, &mut errors);
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
            cfg,
            ret: check::return_type(&method.sig),
            is_async: method.sig.asyncness.is_some(),
            attr,
            docs,
            sig,
            name,
        });
    }
    if methods.is_empty() && resources.is_empty() && prompts.is_empty() && errors.is_empty() {
        errors.at(
            Span::call_site(),
            "`#[tools]` found no method marked `#[tool(read)]`, `#[tool(write)]`, `#[resource(...)]` or \
             `#[prompt]` in this impl block",
        );
    }
    if !errors.is_empty() {
        // The impl block as written (without our attributes), and, unless the block is a trait
        // impl, registrations that compile: the code that registers the value (`.tools(value)`)
        // then shows no second error, only the macro's own.
        let errors = errors.into_compile_errors();
        let registrations =
            if is_trait_impl { TokenStream::new() } else { registrations(&paths, &imp, &Parts::default()) };
        return quote!(#errors #imp #registrations);
    }
    let parts = Parts {
        tools: methods.iter().map(|m| tool(&paths, &imp, m)).collect(),
        resources: resources
            .iter()
            .map(|r| {
                let cfg = &r.cfg;
                let call = Call::Method(&r.sig.ident, r.def.sig.receiver);
                let resource = resource::registration(&paths, &r.sig, &r.attrs, &r.def, call);
                quote!(#(#cfg)* __mcp_resources.push(#resource);)
            })
            .collect(),
        prompts: prompts
            .iter()
            .map(|r| {
                let cfg = &r.cfg;
                let call = Call::Method(&r.sig.ident, r.def.sig.receiver);
                let prompt = prompt::registration(&paths, &r.sig, &r.attrs, &r.def, call);
                quote!(#(#cfg)* __mcp_prompts.push(#prompt);)
            })
            .collect(),
    };
    let registrations = registrations(&paths, &imp, &parts);
    quote!(#imp #registrations)
}

/// The statements that push each tool, resource and prompt of the block.
#[derive(Default)]
struct Parts {
    tools: Vec<TokenStream>,
    resources: Vec<TokenStream>,
    prompts: Vec<TokenStream>,
}

/// `__mcp_tools.push(<the tool>);` for one `#[tool]` method.
fn tool(paths: &Paths, imp: &ItemImpl, m: &Method) -> TokenStream {
    let std = &paths.std;
    let self_ty = &imp.self_ty;
    let type_name = quote!(#self_ty).to_string().replace(' ', "");
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
}

/// `impl ToolSet` and `impl IntoTools` for the block's type.
fn registrations(paths: &Paths, imp: &ItemImpl, parts: &Parts) -> TokenStream {
    let krate = &paths.krate;
    let p = &paths.private;
    let std = &paths.std;
    let self_ty = &imp.self_ty;
    let mut generics = imp.generics.clone();
    if !generics.params.is_empty() {
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(#self_ty: #std::marker::Send + #std::marker::Sync + 'static));
    }
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let Parts { tools, resources, prompts } = parts;
    // Only what the block declares: the trait's defaults (none) stand for the rest.
    let resources_fn = (!resources.is_empty()).then(|| {
        quote! {
            fn resources(self: #std::sync::Arc<Self>) -> #std::vec::Vec<#krate::Resource> {
                let mut __mcp_resources: #std::vec::Vec<#krate::Resource> = #std::vec::Vec::new();
                #(#resources)*
                __mcp_resources
            }
        }
    });
    let prompts_fn = (!prompts.is_empty()).then(|| {
        quote! {
            fn prompts(self: #std::sync::Arc<Self>) -> #std::vec::Vec<#krate::Prompt> {
                let mut __mcp_prompts: #std::vec::Vec<#krate::Prompt> = #std::vec::Vec::new();
                #(#prompts)*
                __mcp_prompts
            }
        }
    });
    quote! {
        impl #impl_generics #p::ToolSet for #self_ty #where_clause {
            fn tools(self: #std::sync::Arc<Self>) -> #std::vec::Vec<#krate::Tool> {
                let mut __mcp_tools: #std::vec::Vec<#krate::Tool> = #std::vec::Vec::new();
                #(#tools)*
                __mcp_tools
            }
            #resources_fn
            #prompts_fn
        }

        impl #impl_generics #krate::IntoTools for #self_ty #where_clause {
            fn into_tools(self) -> #std::vec::Vec<#krate::Tool> {
                #p::ToolSet::tools(#std::sync::Arc::new(self))
            }

            fn into_registrations(self) -> #krate::Registrations {
                #p::ToolSet::registrations(#std::sync::Arc::new(self))
            }
        }
    }
}
