//! Procedural macros of `auth_core`. Use them through `auth_core`, which re-exports them and
//! provides every item the generated code names.
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attr;
mod errors;
mod expand;
mod openapi;
mod valid;

/// The `#[require_auth]` attribute. Its documentation, with compiled examples, is on the
/// re-export `auth_core::require_auth`, where the items it names exist.
#[proc_macro_attribute]
pub fn require_auth(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::require_auth(args.into(), item.into()).into()
}
