//! `#[resource]`: a function that reads a resource, or a resource template whose variables
//! are the function's parameters.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::ItemFn;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::{
    Call, CallParts, Paths, arg_var, common_calls, free_fn_shell, free_fn_with_errors, lit, respan,
    text_param, text_traits, with_errors,
};
use crate::check;
use crate::diag::Errors;
use crate::parse::docs::docs;
use crate::parse::params::{self, ParamKind, Site};
use crate::parse::{self, ResourceAttr};
use crate::uri_template;

pub(crate) fn entry(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let mut item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => return with_errors(e.to_compile_error(), item),
    };
    let def = read(attr, Span::call_site(), &mut item.sig, false, &mut errors);
    let paths = Paths::new(def.attr.common.krate.as_ref());
    let krate = &paths.krate;
    if !errors.is_empty() {
        return free_fn_with_errors(errors, &paths, item, "resource", quote!(#krate::Resource));
    }
    let body = registration(&paths, &item.sig, &item.attrs, &def, Call::Free(&item.sig.ident));
    free_fn_shell(&item, "resource", quote!(#krate::Resource), body)
}

/// What one `#[resource]` says: its options and its parameters.
pub(crate) struct ResourceDef {
    pub(crate) attr: ResourceAttr,
    pub(crate) sig: params::Signature,
    is_template: bool,
}

/// Reads `#[resource(...)]` (its options are `attr`, the attribute is at `attr_span`) and the
/// signature of the function it is on, removing our parameter attributes; `in_impl` for a
/// method of a `#[tools]` block.
pub(crate) fn read(
    attr: TokenStream,
    attr_span: Span,
    sig: &mut syn::Signature,
    in_impl: bool,
    errors: &mut Errors,
) -> ResourceDef {
    let resource = parse::resource_attr(attr, attr_span, errors);
    let params = params::signature(sig, Site::Resource, in_impl, errors);
    check::signature_shape(sig, "resource", errors);
    let is_template = check_variables(&resource, &params.params, errors);
    ResourceDef { attr: resource, sig: params, is_template }
}

/// Every template variable has a parameter and every argument parameter is a variable;
/// completions name variables. Returns whether the URI is a template.
fn check_variables(resource: &ResourceAttr, params: &[params::Param], errors: &mut Errors) -> bool {
    let Some(uri) = &resource.uri else { return false };
    let vars = match uri_template::variables(&uri.value()) {
        Ok(vars) => vars,
        Err(why) => {
            errors.spanned(uri, format!("invalid URI template: {why}"));
            return false;
        }
    };
    let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
    let listed = if names.is_empty() {
        "the URI has no variables, so the function takes no arguments (only extractors such as `Context`)"
            .to_owned()
    } else {
        format!("its variables are: {}", names.join(", "))
    };
    let mut seen = Vec::new();
    for param in params {
        let ParamKind::Arg(arg) = &param.kind else { continue };
        if names.contains(&arg.name.as_str()) {
            if seen.contains(&arg.name) {
                errors.at(arg.span, format!("two parameters take the variable `{}`", arg.name));
            }
            seen.push(arg.name.clone());
        } else {
            errors.at(
                arg.span,
                format!("`{}` is not a variable of the URI template {:?}; {listed}", arg.name, uri.value()),
            );
        }
    }
    for var in &vars {
        if !seen.contains(&var.name) {
            errors.spanned(
                uri,
                format!(
                    "the URI template variable `{}` has no parameter: add `{}: String` (or any type that implements \
                     `FromStr`{})",
                    var.name,
                    var.name,
                    if var.optional { ", inside `Option` since a query variable may be absent" } else { "" }
                ),
            );
        }
    }
    for completion in &resource.completions {
        if !names.contains(&completion.name.as_str()) {
            errors.at(
                completion.span,
                format!("`{}` is not a variable of the URI template; {listed}", completion.name),
            );
        }
    }
    let is_template = !vars.is_empty() || uri.value().contains('{');
    if let (true, Some(size)) = (is_template, &resource.size) {
        errors.spanned(
            size,
            "`size` is for a concrete resource; a template stands for many resources of different sizes",
        );
    }
    is_template
}

/// An expression that builds the `Resource`: `sig` and `attrs` are the function's, `call` how
/// the handler reaches it.
pub(crate) fn registration(
    paths: &Paths,
    sig: &syn::Signature,
    attrs: &[syn::Attribute],
    def: &ResourceDef,
    call: Call<'_>,
) -> TokenStream {
    let resource = &def.attr;
    let params = &def.sig.params;
    let is_template = def.is_template;
    let krate = &paths.krate;
    let p = &paths.private;
    let std = &paths.std;
    let ident = &sig.ident;
    let name = match &resource.common.name {
        Some(n) => n.value(),
        None => ident.unraw().to_string(),
    };
    let uri = &resource.uri;
    let docs = docs(attrs, std);
    let mut builder = quote!(#p::resource_builder(#uri, #name, #is_template));
    builder.extend(common_calls(paths, &resource.common, &docs));
    if let Some(mime) = &resource.mime_type {
        builder.extend(quote!(.mime_type(#mime)));
    }
    if let Some(size) = &resource.size {
        builder.extend(quote!(.size(#size)));
    }
    if let Some(page) = &resource.ui {
        let mut meta = quote!(#krate::ui::UiMeta::new());
        for (method, value) in &page.strings {
            let method = syn::Ident::new(method, value.span());
            meta.extend(quote!(.#method(#value)));
        }
        for (permission, variant) in &page.permissions {
            let variant = syn::Ident::new(variant, permission.span());
            meta.extend(quote!(.permission(#krate::ui::Permission::#variant)));
        }
        if let Some(yes) = page.prefers_border {
            meta.extend(quote!(.prefers_border(#yes)));
        }
        if let Some(yes) = page.skybridge_copy {
            meta.extend(quote!(.skybridge_copy(#yes)));
        }
        builder.extend(quote!(.ui(#meta)));
    }
    for completion in &resource.completions {
        let var = lit(&completion.name, completion.span);
        let completer = &completion.completer;
        builder.extend(quote_spanned!(completer.span()=> .complete(#var, #completer)));
    }

    let mut binds = TokenStream::new();
    for (i, param) in params.iter().enumerate() {
        let var = arg_var(i);
        let ty = &param.ty;
        binds.extend(match &param.kind {
            ParamKind::Extract | ParamKind::Whole => {
                let extract = respan(quote!(#p::extract_for_request::<#ty>), ty.span());
                quote!(let #var = #extract(&__mcp_ctx)?;)
            }
            ParamKind::Request => quote!(let #var: #ty = #std::clone::Clone::clone(&__mcp_req);),
            ParamKind::Arg(arg) => {
                let wire = lit(&arg.name, arg.span);
                text_param(
                    paths,
                    &var,
                    ty,
                    arg.default.as_ref(),
                    quote!(__mcp_req.var(#wire)),
                    quote!(#p::invalid_variable(&__mcp_req.uri, #wire, __mcp_e)),
                )
            }
        });
    }
    let vars: Vec<_> = (0..params.len()).map(arg_var).collect();
    let CallParts { setup, clone, call } = call.parts(paths, &vars);
    let call = if sig.asyncness.is_some() { quote!(#call.await) } else { call };
    let ret = check::return_type(sig);
    let mime = paths.opt_str(resource.mime_type.as_ref().map(|m| m.value()).as_deref());
    let convert = respan(quote!(#p::resource_contents::<#ret>), ret.span());
    let convert = quote!(#convert(__mcp_ret, &__mcp_req.uri, #mime));
    let traits = text_traits(paths);
    quote! {{
        #setup
        #builder.handler(move |__mcp_ctx: #krate::Context, __mcp_req: #krate::ResourceRequest| {
            #clone
            async move {
                #traits
                #binds
                let __mcp_ret = #call;
                #convert
            }
        })
    }}
}
