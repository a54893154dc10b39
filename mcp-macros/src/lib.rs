//! Placeholder during development.
use proc_macro::TokenStream;
/// tool
#[proc_macro_attribute]
pub fn tool(_a: TokenStream, i: TokenStream) -> TokenStream {
    i
}
/// tools
#[proc_macro_attribute]
pub fn tools(_a: TokenStream, i: TokenStream) -> TokenStream {
    i
}
/// resource
#[proc_macro_attribute]
pub fn resource(_a: TokenStream, i: TokenStream) -> TokenStream {
    i
}
/// prompt
#[proc_macro_attribute]
pub fn prompt(_a: TokenStream, i: TokenStream) -> TokenStream {
    i
}
