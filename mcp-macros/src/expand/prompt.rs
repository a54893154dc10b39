//! `#[prompt]`: a function whose parameters are the prompt's arguments.

use proc_macro2::TokenStream;
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
use crate::parse::{self, PromptAttr};

pub(crate) fn entry(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let mut item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => return with_errors(e.to_compile_error(), item),
    };
    let def = read(attr, &mut item.sig, false, &mut errors);
    let paths = Paths::new(def.attr.common.krate.as_ref());
    let krate = &paths.krate;
    if !errors.is_empty() {
        return free_fn_with_errors(errors, &paths, item, "prompt", quote!(#krate::Prompt));
    }
    let body = registration(&paths, &item.sig, &item.attrs, &def, Call::Free(&item.sig.ident));
    free_fn_shell(&item, "prompt", quote!(#krate::Prompt), body)
}

/// What one `#[prompt]` says: its options and its parameters.
pub(crate) struct PromptDef {
    pub(crate) attr: PromptAttr,
    pub(crate) sig: params::Signature,
}

/// Reads `#[prompt(...)]` (its options are `attr`) and the signature of the function it is on,
/// removing our parameter attributes; `in_impl` for a method of a `#[tools]` block.
pub(crate) fn read(
    attr: TokenStream,
    sig: &mut syn::Signature,
    in_impl: bool,
    errors: &mut Errors,
) -> PromptDef {
    let prompt = parse::prompt_attr(attr, errors);
    let params = params::signature(sig, Site::Prompt, in_impl, errors);
    check::signature_shape(sig, "prompt", errors);
    check::inputs(&params.params, errors);
    let names: Vec<&str> = params
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
    PromptDef { attr: prompt, sig: params }
}

/// An expression that builds the `Prompt`: `sig` and `attrs` are the function's, `call` how the
/// handler reaches it.
pub(crate) fn registration(
    paths: &Paths,
    sig: &syn::Signature,
    attrs: &[syn::Attribute],
    def: &PromptDef,
    call: Call<'_>,
) -> TokenStream {
    let prompt = &def.attr;
    let params = &def.sig.params;
    let krate = &paths.krate;
    let p = &paths.private;
    let std = &paths.std;
    let ident = &sig.ident;
    let name = match &prompt.common.name {
        Some(n) => n.value(),
        None => ident.unraw().to_string(),
    };
    let docs = docs(attrs, std);
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
    let vars: Vec<_> = (0..params.len()).map(arg_var).collect();
    let CallParts { setup, clone, call } = call.parts(paths, &vars);
    let call = if sig.asyncness.is_some() { quote!(#call.await) } else { call };
    let ret = check::return_type(sig);
    let convert = respan(quote!(#p::prompt_result::<#ret>), ret.span());
    let convert = quote!(#convert(__mcp_ret));
    let traits = text_traits(paths);
    quote! {{
        #traits
        #setup
        #builder.handler(
            move |__mcp_ctx: #krate::Context,
                  __mcp_args: #std::collections::BTreeMap<#std::string::String, #std::string::String>| {
                #clone
                async move {
                    #traits
                    #binds
                    let __mcp_ret = #call;
                    #convert
                }
            },
        )
    }}
}
