//! Writing a handler's security requirement into its `#[utoipa::path(...)]` attribute, so the
//! OpenAPI document states exactly what the guard enforces.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;
use syn::{ItemFn, LitStr, Meta};

use crate::valid::{Requirement, SCHEMES};

/// Adds `security(...)` to every `#[utoipa::path(...)]` on `handler` (the ones below this
/// attribute: those above have already expanded). A `security` written by hand is an error.
pub(crate) fn add_security(handler: &mut ItemFn, requirement: &Requirement) -> syn::Result<()> {
    for attr in &mut handler.attrs {
        let segments: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if segments != ["utoipa", "path"] {
            continue;
        }
        let Meta::List(list) = &mut attr.meta else {
            continue;
        };
        if let Some(ident) = written(&list.tokens, "security") {
            return Err(syn::Error::new(
                ident.span(),
                "remove this `security(...)`: #[require_auth] writes the operation's security \
                 from the requirement it enforces",
            ));
        }
        let entries = entries(requirement);
        let ends_with_comma = matches!(
            list.tokens.clone().into_iter().last(),
            Some(TokenTree::Punct(p)) if p.as_char() == ','
        );
        if !list.tokens.is_empty() && !ends_with_comma {
            list.tokens.extend(quote!(,));
        }
        list.tokens.extend(quote!(security(#(#entries),*)));
        let step_up = step_up(requirement).map(|step_up| quote!(("x-step-up" = #step_up)));
        // The policy's name, so a reader knows a 403 `forbidden` may come from it (a response
        // entry would change the `responses(...)` the application writes itself).
        let policy = requirement.policy.as_ref().map(|path| {
            let name = quote!(#path).to_string().replace(' ', "");
            quote!(("x-policy" = json!(#name)))
        });
        let extensions: Vec<TokenStream> = step_up.into_iter().chain(policy).collect();
        if !extensions.is_empty() {
            if let Some(ident) = written(&list.tokens, "extensions") {
                return Err(syn::Error::new(
                    ident.span(),
                    "#[require_auth] with `acr`, `max_age` or `policy` writes the operation's \
                     `x-step-up` and `x-policy` extensions; remove this `extensions(...)`",
                ));
            }
            list.tokens.extend(quote!(, extensions(#(#extensions),*)));
        }
    }
    Ok(())
}

/// The argument `name` of a `#[utoipa::path(...)]`, if written there.
fn written(tokens: &TokenStream, name: &str) -> Option<proc_macro2::Ident> {
    tokens.clone().into_iter().find_map(|tree| match tree {
        TokenTree::Ident(ident) if ident == name => Some(ident),
        _ => None,
    })
}

/// The `x-step-up` extension of an operation with RFC 9470 requirements: what a client must
/// ask its authorization server for (`acr_values`, `max_age`), as the challenge says it.
fn step_up(requirement: &Requirement) -> Option<TokenStream> {
    if requirement.acr.is_none() && requirement.max_age.is_none() {
        return None;
    }
    let acr = requirement.acr.as_ref().map(|values| {
        let joined = values
            .iter()
            .map(LitStr::value)
            .collect::<Vec<_>>()
            .join(" ");
        quote!("acr_values": #joined,)
    });
    let max_age = requirement
        .max_age
        .as_ref()
        .map(|seconds| quote!("max_age": #seconds,));
    Some(quote!(json!({ #acr #max_age })))
}

/// One `("scheme" = [scopes])` alternative per accepted scheme and per any-of scope.
fn entries(requirement: &Requirement) -> Vec<TokenStream> {
    let names: Vec<&str> = match &requirement.schemes {
        None => SCHEMES.iter().map(|(name, _)| *name).collect(),
        Some(variants) => SCHEMES
            .iter()
            .filter(|(_, variant)| variants.iter().any(|v| v == variant))
            .map(|(name, _)| *name)
            .collect(),
    };
    let all_of: Vec<LitStr> = requirement.all_of.clone().unwrap_or_default();
    let scope_sets: Vec<Vec<LitStr>> = match &requirement.any_of {
        Some(any_of) if !any_of.is_empty() => any_of
            .iter()
            .map(|one| all_of.iter().cloned().chain([one.clone()]).collect())
            .collect(),
        _ => vec![all_of],
    };
    names
        .iter()
        .flat_map(|name| {
            scope_sets
                .iter()
                .map(move |scopes| quote!((#name = [#(#scopes),*])))
        })
        .collect()
}
