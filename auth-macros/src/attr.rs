//! Parsing `#[require_auth(key = "value", …)]` into [`Args`].
//!
//! This step knows the keys and the `key = "string"` shape (`max_age` takes an integer,
//! `policy` a path), and nothing about what the values mean: [`crate::valid`] checks those.

use proc_macro2::TokenStream;
use syn::ext::IdentExt as _;
use syn::parse::{Parse, ParseStream, Parser as _};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitInt, LitStr, Token};

use crate::errors::Errors;

/// An argument of `#[require_auth]`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Scheme,
    Scope,
    AnyScope,
    Role,
    AnyRole,
    Realm,
    TokenIn,
    Acr,
    MaxAge,
    Policy,
    Crate,
}

/// Every argument `#[require_auth]` accepts, as the user writes it. The parser looks keys up
/// here and the "unknown argument" error lists this table, so the two cannot drift apart.
const KEYS: [(&str, Key); 11] = [
    ("scheme", Key::Scheme),
    ("scope", Key::Scope),
    ("any_scope", Key::AnyScope),
    ("role", Key::Role),
    ("any_role", Key::AnyRole),
    ("realm", Key::Realm),
    ("token_in", Key::TokenIn),
    ("acr", Key::Acr),
    ("max_age", Key::MaxAge),
    ("policy", Key::Policy),
    ("crate", Key::Crate),
];

/// The arguments given, each still the string literal the user wrote (for its value and span).
#[derive(Default)]
pub(crate) struct Args {
    pub(crate) scheme: Option<LitStr>,
    pub(crate) scope: Option<LitStr>,
    pub(crate) any_scope: Option<LitStr>,
    pub(crate) role: Option<LitStr>,
    pub(crate) any_role: Option<LitStr>,
    pub(crate) realm: Option<LitStr>,
    pub(crate) token_in: Option<LitStr>,
    pub(crate) acr: Option<LitStr>,
    /// `max_age = N`: the one argument that is an integer literal.
    pub(crate) max_age: Option<LitInt>,
    /// `policy = path::to::check`: the one argument that is a path (a function, not a string).
    pub(crate) policy: Option<syn::Path>,
    pub(crate) krate: Option<LitStr>,
}

impl Args {
    fn slot(&mut self, key: Key) -> &mut Option<LitStr> {
        match key {
            Key::Scheme => &mut self.scheme,
            Key::Scope => &mut self.scope,
            Key::AnyScope => &mut self.any_scope,
            Key::Role => &mut self.role,
            Key::AnyRole => &mut self.any_role,
            Key::Realm => &mut self.realm,
            Key::TokenIn => &mut self.token_in,
            Key::Acr => &mut self.acr,
            Key::Crate | Key::MaxAge | Key::Policy => &mut self.krate,
        }
    }
}

/// One `key = value`, before we know whether the key exists or the value is a string.
struct Pair {
    key: Ident,
    value: Expr,
}

impl Parse for Pair {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `parse_any`: `crate` is a keyword.
        let key = input.call(Ident::parse_any)?;
        input.parse::<Token![=]>()?;
        let value = input.parse()?;
        Ok(Pair { key, value })
    }
}

/// Parses the attribute's arguments, recording every problem in `errors`: a syntax error (then
/// `None`), an unknown key (on the key), a key given twice (on the second one), a value that is
/// not a string literal (on the value). Arguments that are fine are kept either way.
pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Option<Args> {
    let pairs = match Punctuated::<Pair, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(pairs) => pairs,
        Err(error) => {
            errors.push(error);
            return None;
        }
    };

    let mut args = Args::default();
    let mut seen = Vec::with_capacity(KEYS.len());
    for Pair { key, value } in pairs {
        let name = key.unraw().to_string();
        let Some(&(_, slot)) = KEYS.iter().find(|(known, _)| *known == name) else {
            let known: Vec<&str> = KEYS.iter().map(|(known, _)| *known).collect();
            errors.at(
                key.span(),
                format!(
                    "unknown argument `{name}`; expected one of: {}",
                    known.join(", ")
                ),
            );
            continue;
        };
        if seen.contains(&slot) {
            errors.at(
                key.span(),
                format!("duplicate argument `{name}`; give each argument at most once"),
            );
            continue;
        }
        seen.push(slot);
        if slot == Key::MaxAge {
            match value {
                Expr::Lit(ExprLit {
                    lit: Lit::Int(lit),
                    attrs,
                }) if attrs.is_empty() => args.max_age = Some(lit),
                other => errors.spanned(
                    other,
                    "the value of `max_age` must be an integer literal (seconds), e.g. `max_age = 300`",
                ),
            }
            continue;
        }
        if slot == Key::Policy {
            match value {
                Expr::Path(syn::ExprPath {
                    attrs,
                    qself: None,
                    path,
                }) if attrs.is_empty() => args.policy = Some(path),
                other => errors.spanned(
                    other,
                    "the value of `policy` is the path of a function, not a string, e.g. \
                     `policy = crate::policies::owns_order`",
                ),
            }
            continue;
        }
        match value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(lit),
                attrs,
            }) if attrs.is_empty() => {
                *args.slot(slot) = Some(lit);
            }
            other => errors.spanned(
                other,
                format!("the value of `{name}` must be a string literal, e.g. `{name} = \"…\"`"),
            ),
        }
    }
    Some(args)
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn messages(tokens: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        parse(tokens, &mut errors);
        errors
            .finish()
            .err()
            .map(|all| all.into_iter().map(|e| e.to_string()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn every_key_with_trailing_comma() {
        let mut errors = Errors::default();
        let args = parse(
            quote!(
                scheme = "bearer",
                scope = "a b",
                any_scope = "c",
                realm = "r",
                crate = "x",
            ),
            &mut errors,
        );
        assert!(errors.finish().is_ok());
        let args = args.unwrap_or_default();
        let value = |lit: &Option<LitStr>| lit.as_ref().map(LitStr::value);
        assert_eq!(value(&args.scheme).as_deref(), Some("bearer"));
        assert_eq!(value(&args.scope).as_deref(), Some("a b"));
        assert_eq!(value(&args.any_scope).as_deref(), Some("c"));
        assert_eq!(value(&args.realm).as_deref(), Some("r"));
        assert_eq!(value(&args.krate).as_deref(), Some("x"));
    }

    #[test]
    fn no_arguments() {
        assert!(messages(quote!()).is_empty());
    }

    #[test]
    fn unknown_key_lists_the_table() {
        assert_eq!(
            messages(quote!(foo = "x")),
            [
                "unknown argument `foo`; expected one of: scheme, scope, any_scope, role, any_role, realm, token_in, acr, max_age, policy, crate"
            ]
        );
    }

    #[test]
    fn duplicate_and_non_string_all_reported() {
        assert_eq!(
            messages(quote!(scope = 1, realm = "a", realm = "b", scope = "x")),
            [
                "the value of `scope` must be a string literal, e.g. `scope = \"…\"`",
                "duplicate argument `realm`; give each argument at most once",
                "duplicate argument `scope`; give each argument at most once",
            ]
        );
    }

    #[test]
    fn policy_is_a_path() {
        let mut errors = Errors::default();
        let args = parse(quote!(policy = crate::policies::owner), &mut errors);
        assert!(errors.finish().is_ok());
        let policy = args.and_then(|a| a.policy);
        assert_eq!(
            quote!(#policy).to_string().replace(' ', ""),
            "crate::policies::owner"
        );
        assert_eq!(
            messages(quote!(policy = "owner")),
            [
                "the value of `policy` is the path of a function, not a string, e.g. \
              `policy = crate::policies::owns_order`"
            ]
        );
    }

    #[test]
    fn syntax_error() {
        assert_eq!(messages(quote!(scope "x")), ["expected `=`"]);
    }
}
