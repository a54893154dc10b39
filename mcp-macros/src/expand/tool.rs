//! `#[tool]`: the `Tool` a function or method becomes, and the registration of a free one.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use syn::spanned::Spanned;
use syn::{ItemFn, Type};

use syn::ext::IdentExt;

use super::{
    Call, CallParts, Paths, arg_var, common_calls, free_fn_shell, free_fn_with_errors, lit, respan,
    with_errors,
};
use crate::check;
use crate::diag::Errors;
use crate::parse::docs::{Docs, docs};
use crate::parse::params::{self, ArgDefault, Param, ParamKind, Receiver, Site};
use crate::parse::{self, Access, ToolAttr};

/// Everything known about one tool.
pub(crate) struct ToolDef<'a> {
    pub(crate) attr: &'a ToolAttr,
    pub(crate) docs: &'a Docs,
    /// The name on the wire.
    pub(crate) name: String,
    pub(crate) params: &'a [Param],
    pub(crate) ret: Type,
    pub(crate) is_async: bool,
    /// An expression for the tool's origin, shown when two tools share a name.
    pub(crate) origin: TokenStream,
}

/// A free `#[tool]` function, and `name::tool()` beside it.
pub(crate) fn free(paths: &Paths, item: &ItemFn, def: &ToolDef<'_>) -> TokenStream {
    let krate = &paths.krate;
    let tool = tool_expr(paths, def, Call::Free(&item.sig.ident));
    free_fn_shell(item, "tool", quote!(#krate::Tool), tool)
}

/// An expression that builds the `Tool`.
pub(crate) fn tool_expr(paths: &Paths, def: &ToolDef<'_>, call: Call<'_>) -> TokenStream {
    let krate = &paths.krate;
    let p = &paths.private;
    let name = lit(&def.name, Span::call_site());
    let ret = &def.ret;

    let access = match def.attr.access {
        Some((Access::Write, _)) => quote!(write),
        _ => quote!(read),
    };
    let mut builder = quote!(#krate::Tool::#access(#name));
    for (hint, method) in [
        (def.attr.destructive, quote!(destructive)),
        (def.attr.idempotent, quote!(idempotent)),
        (def.attr.open_world, quote!(open_world)),
    ] {
        if let Some((value, _)) = hint {
            builder.extend(quote!(.#method(#value)));
        }
    }
    builder.extend(common_calls(paths, &def.attr.common, def.docs));
    for scope in &def.attr.scopes {
        builder.extend(quote!(.scope(#scope)));
    }
    match def.attr.task {
        Some(parse::TaskSupport::Optional) => {
            builder.extend(quote!(.task_support(#krate::TaskSupport::Optional)))
        }
        Some(parse::TaskSupport::Required) => {
            builder.extend(quote!(.task_support(#krate::TaskSupport::Required)))
        }
        None => {}
    }
    if let Some((true, _)) = def.attr.defer_task {
        builder.extend(quote!(.defer_task(true)));
    }
    if let Some(uri) = &def.attr.ui {
        builder.extend(quote!(.ui(#uri)));
    }
    let visibility = match def.attr.visibility {
        Some(parse::Visibility::Both) => Some(quote!(Both)),
        Some(parse::Visibility::Model) => Some(quote!(Model)),
        Some(parse::Visibility::App) => Some(quote!(App)),
        None => None,
    };
    if let Some(variant) = visibility {
        builder.extend(quote!(.visibility(#krate::ui::Visibility::#variant)));
    }
    if let Some(text) = &def.attr.invoking {
        builder.extend(quote!(.invoking(#text)));
    }
    if let Some(text) = &def.attr.invoked {
        builder.extend(quote!(.invoked(#text)));
    }
    if let Some(ms) = def.attr.timeout_ms {
        builder.extend(quote!(.timeout(::core::time::Duration::from_millis(#ms))));
    }
    if let Some(key) = &def.attr.idempotency_key {
        builder.extend(quote!(.idempotency_key(#key)));
    }
    if let Some((false, _)) = def.attr.retry_window {
        builder.extend(quote!(.retry_window(false)));
    }
    let origin = &def.origin;
    builder.extend(quote!(.origin(#origin)));

    let inputs = Inputs::new(paths, def);
    let setup = &inputs.setup;
    let schema = &inputs.schema;
    let body = &inputs.body;
    let vars: Vec<Ident> = (0..def.params.len()).map(arg_var).collect();

    let call_kind = call;
    let CallParts { setup: this_setup, clone: this_clone, call } = call.parts(paths, &vars);
    // `confirm = preview`: the preview takes the tool's own parameters, read the same way.
    let confirm = def.attr.confirm.as_ref().map(|preview| {
        let preview_call = match call_kind {
            Call::Free(_) => quote!(#preview(#(#vars),*)),
            Call::Method(_, receiver) => {
                let preview = match preview.get_ident() {
                    Some(ident) => quote!(Self::#ident),
                    None => quote!(#preview),
                };
                match receiver {
                    Receiver::None => quote!(#preview(#(#vars),*)),
                    Receiver::Ref => quote!(#preview(&*__mcp_this, #(#vars),*)),
                    Receiver::Arc => quote!(#preview(__mcp_this, #(#vars),*)),
                }
            }
        };
        let into_preview = respan(quote!(#p::into_preview), preview.span());
        quote! {
            let __mcp_confirm = {
                #setup
                #this_setup
                move |__mcp_ctx: #krate::Context, __mcp_args: #p::ArgMap| {
                    #this_clone
                    async move {
                        #body
                        #into_preview(#preview_call.await)
                    }
                }
            };
        }
    });
    let (confirm_setup, confirm_call) = match confirm {
        Some(setup) => (setup, quote!(.confirm(__mcp_confirm))),
        None => (quote!(), quote!()),
    };
    let call = if def.is_async { quote!(#call.await) } else { call };
    let plan = respan(quote!((&#p::OutputProbe::<#ret>::new()).plan()), ret.span());

    quote! {{
        let __mcp_plan = {
            #[allow(unused_imports)]
            use #p::{PlainReturn as _, StructuredReturn as _};
            #plan
        };
        let __mcp_output = __mcp_plan.output;
        #confirm_setup
        #setup
        #this_setup
        #p::with_output_schema(#builder.input_schema(#schema), __mcp_plan.schema)#confirm_call.handler(
            move |__mcp_ctx: #krate::Context, __mcp_args: #p::ArgMap| {
                #this_clone
                async move {
                    #body
                    let __mcp_ret = #call;
                    __mcp_output.convert(__mcp_ret)
                }
            },
        )
    }}
}

/// The input side of a tool: per-parameter setup, the `inputSchema` and the statements that
/// bind each parameter's value in the handler.
struct Inputs {
    setup: TokenStream,
    schema: TokenStream,
    body: TokenStream,
}

impl Inputs {
    fn new(paths: &Paths, def: &ToolDef<'_>) -> Inputs {
        let p = &paths.private;
        let std = &paths.std;
        let name = lit(&def.name, Span::call_site());
        let mut setup = TokenStream::new();
        let mut schema = quote!(#p::ArgsSchema::new());
        let mut whole_schema = None;
        let mut reads = TokenStream::new();
        let mut pending = Vec::new();
        // The wire name of each gathered parameter, by its index in `Arguments`.
        let mut wires = Vec::new();
        let mut extracts = TokenStream::new();
        let mut whole = TokenStream::new();

        for (i, param) in def.params.iter().enumerate() {
            let ty = &param.ty;
            let var = arg_var(i);
            let field = format_ident!("__mcp_f{}", i);
            match &param.kind {
                ParamKind::Extract | ParamKind::Request => {
                    let extract = respan(quote!(#p::extract::<#ty>), ty.span());
                    extracts.extend(quote!(let #var = #extract(&__mcp_ctx)?;));
                }
                ParamKind::Whole => {
                    let make = respan(quote!(#p::arg_field::<#ty>), ty.span());
                    setup.extend(quote!(let #field = #make();));
                    whole_schema = Some(quote!(#field.whole_schema()));
                    whole.extend(quote! {
                        let #var = #p::whole_arguments(#field, #name, __mcp_args)?;
                    });
                }
                ParamKind::Arg(arg) => {
                    let make = respan(quote!(#p::arg_field::<#ty>), ty.span());
                    setup.extend(quote!(let #field = #make();));
                    let wire = lit(&arg.name, arg.span);
                    let index = wires.len();
                    wires.push(wire.clone());
                    let description = paths.opt_str(arg.description.as_deref());
                    let option = format_ident!("__mcp_o{}", i);
                    match &arg.default {
                        None => {
                            schema.extend(quote!(.arg(#field, #wire, #description)));
                            reads.extend(quote!(let #option = __mcp_in.required(#field, #index, #wire);));
                        }
                        Some(default) => {
                            let expr = match default {
                                ArgDefault::Trait => quote!(<#ty as #std::default::Default>::default()),
                                ArgDefault::Expr(e) => quote!(#e),
                            };
                            let default_fn = format_ident!("__mcp_d{}", i);
                            setup.extend(quote! {
                                let #default_fn = || -> #ty { #expr };
                            });
                            schema.extend(quote! {
                                .arg_with_default(#field, #wire, #description, {
                                    let __mcp_default: #ty = #default_fn();
                                    #[allow(unused_imports)]
                                    use #p::{NoSerializeDefault as _, SerializeDefault as _};
                                    (&#p::DefaultProbe(&__mcp_default)).to_json()
                                })
                            });
                            reads.extend(
                                quote!(let #option = __mcp_in.or_default(#field, #index, #wire, #default_fn);),
                            );
                        }
                    }
                    if let Some(header) = &arg.header {
                        schema.extend(quote!(.header(#wire, #header)));
                    }
                    pending.push((option, var));
                }
            }
        }

        let mut body = TokenStream::new();
        if !pending.is_empty() {
            let options = pending.iter().map(|(o, _)| o);
            let vars: Vec<&Ident> = pending.iter().map(|(_, v)| v).collect();
            body.extend(quote! {
                let mut __mcp_in = #p::Arguments::new(#name, __mcp_args, &[#(#wires),*]);
                #reads
                let (#(#vars,)*) = match (#(#options,)*) {
                    (#(#std::option::Option::Some(#vars),)*) => (#(#vars,)*),
                    _ => return #std::result::Result::Err(__mcp_in.into_error()),
                };
            });
        }
        body.extend(whole);
        body.extend(extracts);
        let schema = whole_schema.unwrap_or_else(|| quote!(#schema.finish()));
        Inputs { setup, schema, body }
    }
}

/// `#[tool(...)]` on a free function.
pub(crate) fn entry(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::new();
    let mut item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => return with_errors(e.to_compile_error(), item),
    };
    let tool = parse::tool_attr(attr, Span::call_site(), &mut errors);
    let paths = Paths::new(tool.common.krate.as_ref());
    let docs = docs(&item.attrs, &paths.std);
    check::tool_description(&tool.common, &docs, &item.sig.ident, &mut errors);
    let sig = params::signature(&mut item.sig, Site::Tool, false, &mut errors);
    check::signature_shape(&item.sig, "tool", &mut errors);
    check::inputs(&sig.params, &mut errors);
    let name = tool_name(&tool, &item.sig.ident, &mut errors);
    if !errors.is_empty() {
        let krate = &paths.krate;
        return free_fn_with_errors(errors, &paths, item, "tool", quote!(#krate::Tool));
    }
    let fn_name = item.sig.ident.unraw().to_string();
    let std = &paths.std;
    let def = ToolDef {
        attr: &tool,
        docs: &docs,
        name,
        params: &sig.params,
        ret: check::return_type(&item.sig),
        is_async: item.sig.asyncness.is_some(),
        origin: quote!(#std::concat!("`", #std::module_path!(), "::", #fn_name, "`")),
    };
    free(&paths, &item, &def)
}

/// The tool's name: `name = "..."`, else the function's; checked against the spec.
pub(crate) fn tool_name(tool: &ToolAttr, ident: &Ident, errors: &mut Errors) -> String {
    let (name, span, from_fn) = match &tool.common.name {
        Some(n) => (n.value(), n.span(), false),
        None => (ident.unraw().to_string(), ident.span(), true),
    };
    check::check_tool_name(&name, span, from_fn, errors);
    name
}
