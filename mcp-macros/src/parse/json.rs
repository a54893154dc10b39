//! `meta = { "openai/outputTemplate": "ui://widget/board.html", "x": [1, 2] }`: JSON written in
//! the attribute. Turned into code that builds the `serde_json::Value` through
//! `__private` helpers (not `serde_json::json!`, whose expansion needs the prelude).

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, LitStr, Token};

#[derive(Clone)]
pub(crate) enum Json {
    Object(Vec<(LitStr, Json)>),
    Array(Vec<Json>),
    Null,
    /// A literal or any Rust expression of a `Serialize` type.
    Expr(Box<Expr>),
}

struct Entry(LitStr, Json);

impl Parse for Entry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let key: LitStr = input.parse().map_err(|e| {
            syn::Error::new(
                e.span(),
                "a `meta` key is a string literal, such as `\"openai/outputTemplate\": ...`",
            )
        })?;
        input.parse::<Token![:]>()?;
        Ok(Entry(key, input.parse()?))
    }
}

impl Parse for Json {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        if input.peek(syn::token::Brace) {
            let content;
            syn::braced!(content in input);
            let entries = Punctuated::<Entry, Token![,]>::parse_terminated(&content)?;
            Ok(Json::Object(entries.into_iter().map(|Entry(k, v)| (k, v)).collect()))
        } else if input.peek(syn::token::Bracket) {
            let content;
            syn::bracketed!(content in input);
            Ok(Json::Array(Punctuated::<Json, Token![,]>::parse_terminated(&content)?.into_iter().collect()))
        } else if input.peek(syn::Ident) && input.fork().parse::<syn::Ident>().is_ok_and(|i| i == "null") {
            input.parse::<syn::Ident>()?;
            Ok(Json::Null)
        } else {
            Ok(Json::Expr(Box::new(input.parse()?)))
        }
    }
}

impl Json {
    /// An expression of type `serde_json::Value`; `private` is `::mcp_connector_core::__private_0_1`.
    pub(crate) fn to_value(&self, private: &TokenStream) -> TokenStream {
        match self {
            Json::Object(entries) => {
                let entries = entries.iter().map(|(k, v)| {
                    let v = v.to_value(private);
                    quote!((#k, #v))
                });
                quote!(#private::json_object([#(#entries),*]))
            }
            Json::Array(items) => {
                let items = items.iter().map(|v| v.to_value(private));
                quote!(#private::json_array([#(#items),*]))
            }
            Json::Null => quote!(#private::serde_json::Value::Null),
            Json::Expr(e) => quote!(#private::to_json(&(#e))),
        }
    }
}
