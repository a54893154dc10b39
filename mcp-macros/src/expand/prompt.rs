//! `#[prompt]`: a function whose parameters are the prompt's arguments.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::ItemFn;
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use super::{Paths, arg_var, common_calls, free_fn_shell, lit, respan, text_param, text_traits, with_errors};
use crate::check;
use crate::diag::Errors;
use crate::parse::docs::docs;
use crate::parse::params::{self, ParamKind, Site};
use crate::parse::{self, PromptAttr};

pub(crate) fn entry(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let mut item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => return with_errors(e.to_compile_error(), item),
    };
    let prompt = parse::prompt_attr(attr, &mut errors);
    let sig = params::signature(&mut item.sig, Site::Prompt, false, &mut errors);
    check::signature_shape(&item.sig, "prompt", &mut errors);
    check::inputs(&sig.params, &mut errors);
    let names: Vec<&str> = sig
        .params
        .iter()
        .filter_map(|p| match &p.kind {
            ParamKind::Arg(a) => Some(a.name.as_str()),
            _ => None,
        })
        .collect();
    for completion in &prompt.completions {
        if !names.contains(&completion.name.as_str()) {
            errors.at(
                completion.span,
                format!(
                    "`{}` is not an argument of this prompt; its arguments are: {}",
                    completion.name,
                    if names.is_empty() { "(none)".to_owned() } else { names.join(", ") }
                ),
            );
        }
    }
    if let Some(name) = &prompt.common.name
        && name.value().is_empty()
    {
        errors.spanned(name, "a prompt's name cannot be empty");
    }
    if !errors.is_empty() {
        return with_errors(errors.into_compile_errors(), item);
    }
    let paths = Paths::new(prompt.common.krate.as_ref());
    let body = registration(&paths, &item, &prompt, &sig.params);
    let krate = &paths.krate;
    free_fn_shell(&item, "prompt", quote!(#krate::Prompt), body)
}

fn registration(paths: &Paths, item: &ItemFn, prompt: &PromptAttr, params: &[params::Param]) -> TokenStream {
    let krate = &paths.krate;
    let p = &paths.private;
    let std = &paths.std;
    let ident = &item.sig.ident;
    let name = match &prompt.common.name {
        Some(n) => n.value(),
        None => ident.unraw().to_string(),
    };
    let docs = docs(&item.attrs, std);
    let mut builder = quote!(#krate::Prompt::new(#name));
    builder.extend(common_calls(paths, &prompt.common, &docs));

    let mut binds = TokenStream::new();
    for (i, param) in params.iter().enumerate() {
        let var = arg_var(i);
        let ty = &param.ty;
        match &param.kind {
            ParamKind::Arg(arg) => {
                let wire = lit(&arg.name, arg.span);
                let description = arg.description.as_deref().unwrap_or_default();
                let required = match &arg.default {
                    Some(_) => quote!(false),
                    None => quote!((&#p::TextProbe::<#ty>::new()).required()),
                };
                builder.extend(quote!(.argument(#wire, #description, #required)));
                binds.extend(text_param(
                    paths,
                    &var,
                    ty,
                    arg.default.as_ref(),
                    quote!(#p::prompt_argument(&__mcp_args, #wire)),
                    quote!(#p::invalid_prompt_argument(#name, #wire, __mcp_e)),
                ));
            }
            _ => {
                let extract = respan(quote!(#p::extract_for_request::<#ty>), ty.span());
                binds.extend(quote!(let #var = #extract(&__mcp_ctx)?;));
            }
        }
    }
    for completion in &prompt.completions {
        let arg = lit(&completion.name, completion.span);
        let completer = &completion.completer;
        builder.extend(quote_spanned!(completer.span()=> .complete(#arg, #completer)));
    }
    let vars = (0..params.len()).map(arg_var);
    let call = if item.sig.asyncness.is_some() {
        quote!(#ident(#(#vars),*).await)
    } else {
        quote!(#ident(#(#vars),*))
    };
    let ret = check::return_type(&item.sig);
    let convert = respan(quote!(#p::prompt_result::<#ret>), ret.span());
    let convert = quote!(#convert(__mcp_ret));
    let traits = text_traits(paths);
    quote! {
        #traits
        #builder.handler(
            move |__mcp_ctx: #krate::Context,
                  __mcp_args: #std::collections::BTreeMap<#std::string::String, #std::string::String>| async move {
                #traits
                #binds
                let __mcp_ret = #call;
                #convert
            },
        )
    }
}
