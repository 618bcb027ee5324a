//! Checking what the arguments say, and turning them into a [`Requirement`] to expand.
//!
//! The checks on strings are plain functions returning messages (unit-tested below); the
//! wrapper [`requirement`] points each message at the literal it is about.

use proc_macro2::Span;
use syn::{Ident, LitStr, Path};

use crate::attr::Args;
use crate::errors::Errors;

/// Every scheme name `scheme = "…"` accepts, and the `auth_core::Scheme` variant it names
/// (`Scheme::attribute_name` in `auth_core`). The name is also the scheme's name in OpenAPI
/// documents. Supporting a new scheme in the macro is adding its row here.
pub(crate) const SCHEMES: &[(&str, &str)] = &[
    ("bearer", "Bearer"),
    ("dpop", "Dpop"),
    ("digest", "Digest"),
    ("basic", "Basic"),
    ("api_key", "ApiKey"),
];

/// Every location `token_in = "…"` accepts, and the `auth_core::transport::TokenLocation`
/// variant it names.
const LOCATIONS: &[(&str, &str)] = &[
    ("header", "Header"),
    ("cookie", "Cookie"),
    ("query", "Query"),
    ("form", "Form"),
];

/// A checked `#[require_auth]`: everything the expansion needs.
pub(crate) struct Requirement {
    /// The path to `auth_core` in generated code.
    pub(crate) krate: Path,
    /// The `Scheme` variants accepted; `None`: any scheme the application registered.
    pub(crate) schemes: Option<Vec<Ident>>,
    /// Scopes that must all be granted.
    pub(crate) all_of: Option<Vec<LitStr>>,
    /// Scopes of which one must be granted.
    pub(crate) any_of: Option<Vec<LitStr>>,
    /// The endpoint's realm.
    pub(crate) realm: Option<LitStr>,
    /// The `TokenLocation` variants a Bearer token may come from; `None`: the application's.
    pub(crate) token_in: Option<Vec<Ident>>,
    /// The accepted `acr` values (RFC 9470).
    pub(crate) acr: Option<Vec<LitStr>>,
    /// The `max_age`, in seconds (RFC 9470).
    pub(crate) max_age: Option<syn::LitInt>,
    /// The application policy's path.
    pub(crate) policy: Option<Path>,
    /// Roles that must all be held.
    pub(crate) all_roles: Option<Vec<LitStr>>,
    /// Roles of which one must be held.
    pub(crate) any_roles: Option<Vec<LitStr>>,
}

/// Checks every argument, recording each problem in `errors` on the literal it is about.
/// `None` if any argument is wrong.
pub(crate) fn requirement(args: Args, errors: &mut Errors) -> Option<Requirement> {
    let krate = check(args.krate.as_ref(), errors, |lit| {
        lit.parse::<Path>().map_err(|_| {
            vec!["`crate` must be a path to auth_core, e.g. \"::my_crate::auth\"".into()]
        })
    });
    let schemes = check(args.scheme.as_ref(), errors, |lit| {
        Ok(scheme_variants(&lit.value())?
            .into_iter()
            .map(|variant| Ident::new(variant, lit.span()))
            .collect())
    });
    let bearer_accepted = schemes
        .as_ref()
        .and_then(|s| s.as_ref())
        .is_none_or(|variants: &Vec<Ident>| variants.iter().any(|v| v == "Bearer"));
    let token_in = check(args.token_in.as_ref(), errors, |lit| {
        if !bearer_accepted {
            return Err(vec![
                "`token_in` says where a Bearer token may be sent, but `scheme` does not \
                 accept `bearer`"
                    .into(),
            ]);
        }
        Ok(
            names_in(&lit.value(), "token_in", "token location", LOCATIONS)?
                .into_iter()
                .map(|variant| Ident::new(variant, lit.span()))
                .collect(),
        )
    });
    let all_of = check(args.scope.as_ref(), errors, |lit| scope_list(lit, "scope"));
    let any_of = check(args.any_scope.as_ref(), errors, |lit| {
        scope_list(lit, "any_scope")
    });
    let all_roles = check(args.role.as_ref(), errors, |lit| scope_list(lit, "role"));
    let any_roles = check(args.any_role.as_ref(), errors, |lit| {
        scope_list(lit, "any_role")
    });
    let token_scheme = schemes
        .as_ref()
        .and_then(|s| s.as_ref())
        .is_none_or(|variants: &Vec<Ident>| variants.iter().any(|v| v == "Bearer" || v == "Dpop"));
    let acr = check(args.acr.as_ref(), errors, |lit| {
        if !token_scheme {
            return Err(vec![STEP_UP_NEEDS_TOKEN.into()]);
        }
        Ok(scope_tokens(&lit.value(), "acr")?
            .into_iter()
            .map(|token| LitStr::new(token, lit.span()))
            .collect())
    });
    let max_age = match &args.max_age {
        None => Some(None),
        Some(lit) => {
            let problem = if !token_scheme {
                Some(STEP_UP_NEEDS_TOKEN.to_owned())
            } else {
                match lit.base10_parse::<u32>() {
                    Ok(0) | Err(_) => {
                        Some("`max_age` is a number of seconds from 1 to 4294967295".to_owned())
                    }
                    Ok(_) if !lit.suffix().is_empty() => {
                        Some("`max_age` takes a plain integer, without a type suffix".to_owned())
                    }
                    Ok(_) => None,
                }
            };
            match problem {
                Some(problem) => {
                    errors.at(lit.span(), problem);
                    None
                }
                None => Some(Some(lit.clone())),
            }
        }
    };
    let realm = check(args.realm.as_ref(), errors, |lit| {
        realm_value(&lit.value()).map_err(|problem| vec![problem])?;
        Ok(lit.clone())
    });

    Some(Requirement {
        krate: krate?.unwrap_or_else(default_krate),
        schemes: schemes?,
        all_of: all_of?,
        any_of: any_of?,
        realm: realm?,
        token_in: token_in?,
        acr: acr?,
        max_age: max_age?,
        policy: args.policy,
        all_roles: all_roles?,
        any_roles: any_roles?,
    })
}

/// Why `acr` and `max_age` need a token scheme.
const STEP_UP_NEEDS_TOKEN: &str = "`acr` and `max_age` are checked on an access token's claims \
     (RFC 9470), but `scheme` accepts neither `bearer` nor `dpop`";

/// `::auth_core`, the path generated code uses without `crate = "…"`.
fn default_krate() -> Path {
    let mut path = Path::from(Ident::new("auth_core", Span::call_site()));
    path.leading_colon = Some(Default::default());
    path
}

/// Runs `f` on the argument if given: `Some(None)` if absent, `Some(Some(_))` if fine, `None`
/// after recording each of its problems on the literal.
fn check<T>(
    lit: Option<&LitStr>,
    errors: &mut Errors,
    f: impl FnOnce(&LitStr) -> Result<T, Vec<String>>,
) -> Option<Option<T>> {
    let Some(lit) = lit else { return Some(None) };
    match f(lit) {
        Ok(value) => Some(Some(value)),
        Err(problems) => {
            for problem in problems {
                errors.at(lit.span(), problem);
            }
            None
        }
    }
}

fn scope_list(lit: &LitStr, key: &str) -> Result<Vec<LitStr>, Vec<String>> {
    Ok(scope_tokens(&lit.value(), key)?
        .into_iter()
        .map(|token| LitStr::new(token, lit.span()))
        .collect())
}

/// The `Scheme` variants named by `list` ("bearer | basic"), or every problem with it.
///
/// Names are separated by `|` with optional spaces and matched ASCII case-insensitively, like
/// scheme names in HTTP (RFC 9110 §11.1).
fn scheme_variants(list: &str) -> Result<Vec<&'static str>, Vec<String>> {
    names_in(list, "scheme", "scheme", SCHEMES)
}

/// The variants of `table` named by `list` (names separated by `|`, matched ASCII
/// case-insensitively), or every problem with it, worded for the argument `key` whose entries
/// are each a `noun`.
fn names_in(
    list: &str,
    key: &str,
    noun: &str,
    table: &[(&str, &'static str)],
) -> Result<Vec<&'static str>, Vec<String>> {
    let known = |separator: &str| {
        table
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(separator)
    };
    let mut variants = Vec::new();
    let mut problems = Vec::new();
    let mut empty_reported = false;
    for name in list.split('|').map(|name| name.trim_matches(' ')) {
        if name.is_empty() {
            if !empty_reported {
                empty_reported = true;
                problems.push(format!(
                    "empty {noun} name in `{key}`; separate {noun} names with `|`, \
                     e.g. \"{}\"",
                    known(" | ")
                ));
            }
            continue;
        }
        match table
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
        {
            None => problems.push(format!(
                "unknown {noun} `{}`; expected one of: {}",
                shown(name),
                known(", ")
            )),
            Some((known, variant)) if variants.contains(variant) => {
                problems.push(format!(
                    "{noun} `{known}` is listed more than once in `{key}`"
                ));
            }
            Some((_, variant)) => variants.push(*variant),
        }
    }
    if problems.is_empty() {
        Ok(variants)
    } else {
        Err(problems)
    }
}

/// Whether `c` may appear in a scope token: RFC 6749 §3.3
/// `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`, printable ASCII but space, `"` and `\`.
fn is_scope_char(c: char) -> bool {
    matches!(c, '\x21' | '\x23'..='\x5B' | '\x5D'..='\x7E')
}

/// The tokens of a space-delimited scope list (RFC 6749 §3.3
/// `scope = scope-token *( SP scope-token )`), or every problem with it. `key` names the
/// argument in the messages.
fn scope_tokens<'a>(list: &'a str, key: &str) -> Result<Vec<&'a str>, Vec<String>> {
    // `acr` values take the scope-token alphabet too: they are quoted in challenges.
    let (noun, rule) = if key == "acr" {
        ("acr value", "(RFC 9470 §3, quoted in challenges)")
    } else if key.ends_with("role") {
        ("role name", "(the scope-token alphabet, RFC 6749 §3.3)")
    } else {
        ("scope token", "(RFC 6749 §3.3)")
    };
    if list.is_empty() {
        return Err(vec![format!(
            "`{key}` is empty; list at least one {noun}, or leave `{key}` out"
        )]);
    }
    let mut tokens: Vec<&str> = Vec::new();
    let mut problems = Vec::new();
    let mut empty_reported = false;
    for token in list.split(' ') {
        if token.is_empty() {
            if !empty_reported {
                empty_reported = true;
                problems.push(format!(
                    "`{key}` has an empty {noun} (a leading, trailing or doubled space); \
                     separate {noun}s with exactly one space"
                ));
            }
        } else if let Some(bad) = token.chars().find(|c| !is_scope_char(*c)) {
            problems.push(format!(
                "invalid character `{}` (U+{:04X}) in {noun} `{}` of `{key}`; a {noun} is \
                 printable ASCII except space, `\"` and `\\` {rule}",
                shown(bad.encode_utf8(&mut [0; 4])),
                u32::from(bad),
                shown(token),
            ));
        } else if tokens.contains(&token) {
            problems.push(format!(
                "{noun} `{token}` is listed more than once in `{key}`"
            ));
        } else {
            tokens.push(token);
        }
    }
    if problems.is_empty() {
        Ok(tokens)
    } else {
        Err(problems)
    }
}

/// Checks a realm: non-empty, printable ASCII (`"` and `\` are fine: the runtime escapes them
/// when it writes the quoted-string).
fn realm_value(realm: &str) -> Result<(), String> {
    if realm.is_empty() {
        return Err(
            "`realm` is empty; leave `realm` out to use the application's default realm".into(),
        );
    }
    match realm.chars().find(|c| !matches!(c, ' '..='~')) {
        None => Ok(()),
        Some(bad) => Err(format!(
            "`realm` contains the {} character `{}` (U+{:04X}); a realm must be printable ASCII",
            if bad.is_ascii() {
                "control"
            } else {
                "non-ASCII"
            },
            shown(bad.encode_utf8(&mut [0; 4])),
            u32::from(bad),
        )),
    }
}

/// `s` for an error message: as written, but control characters escaped (`\n`).
fn shown(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems<T>(result: Result<T, Vec<String>>) -> Vec<String> {
        result.err().unwrap_or_default()
    }

    #[test]
    fn token_locations() {
        assert_eq!(
            names_in("header | Cookie", "token_in", "token location", LOCATIONS),
            Ok(vec!["Header", "Cookie"])
        );
        assert_eq!(
            problems(names_in(
                "header | body",
                "token_in",
                "token location",
                LOCATIONS
            )),
            ["unknown token location `body`; expected one of: header, cookie, query, form"]
        );
        assert_eq!(
            problems(names_in("", "token_in", "token location", LOCATIONS)),
            [
                "empty token location name in `token_in`; separate token location names with \
                 `|`, e.g. \"header | cookie | query | form\""
            ]
        );
    }

    #[test]
    fn scheme_names() {
        assert_eq!(scheme_variants("bearer"), Ok(vec!["Bearer"]));
        assert_eq!(
            scheme_variants(" Bearer "),
            Ok(vec!["Bearer"]),
            "case-insensitive"
        );
        assert_eq!(
            problems(scheme_variants("bearer | negotiate")),
            ["unknown scheme `negotiate`; expected one of: bearer, dpop, digest, basic, api_key"]
        );
        assert_eq!(
            problems(scheme_variants("bearer|BEARER")),
            ["scheme `bearer` is listed more than once in `scheme`"]
        );
        for empty in ["", "bearer |", "| bearer", "bearer || bearer", " "] {
            let found = problems(scheme_variants(empty));
            assert!(
                found[0].starts_with("empty scheme name"),
                "{empty:?}: {found:?}"
            );
        }
    }

    #[test]
    fn every_scheme_row_is_accepted() {
        for (name, variant) in SCHEMES {
            assert_eq!(scheme_variants(name), Ok(vec![*variant]));
        }
    }

    #[test]
    fn scope_token_chars() {
        let allowed: String = ('\x21'..='\x7E')
            .filter(|c| !matches!(c, '"' | '\\'))
            .collect();
        assert_eq!(scope_tokens(&allowed, "scope"), Ok(vec![allowed.as_str()]));
        for bad in ['"', '\\', ' ', '\t', '\n', '\x7F', '\0', 'é', '€'] {
            assert!(!is_scope_char(bad), "{bad:?}");
        }
        assert_eq!(
            scope_tokens("orders:read https://x/y.z_1~", "scope"),
            Ok(vec!["orders:read", "https://x/y.z_1~"])
        );
    }

    #[test]
    fn malformed_scope_lists() {
        assert_eq!(
            problems(scope_tokens("", "scope")),
            ["`scope` is empty; list at least one scope token, or leave `scope` out"]
        );
        for list in [" a", "a ", "a  b", " "] {
            let found = problems(scope_tokens(list, "any_scope"));
            assert_eq!(found.len(), 1, "{list:?}");
            assert!(
                found[0].starts_with("`any_scope` has an empty scope token"),
                "{list:?}"
            );
        }
        assert_eq!(
            problems(scope_tokens("a\"b ok c\\d", "scope")),
            [
                "invalid character `\"` (U+0022) in scope token `a\"b` of `scope`; a scope \
                 token is printable ASCII except space, `\"` and `\\` (RFC 6749 §3.3)",
                "invalid character `\\` (U+005C) in scope token `c\\d` of `scope`; a scope \
                 token is printable ASCII except space, `\"` and `\\` (RFC 6749 §3.3)",
            ]
        );
        let found = problems(scope_tokens("a\tb", "scope"));
        assert!(found[0].starts_with("invalid character `\\t` (U+0009) in scope token `a\\tb`"));
        let found = problems(scope_tokens("caf\u{e9}\tx", "scope"));
        assert!(
            found[0].starts_with("invalid character `é` (U+00E9)"),
            "{found:?}"
        );
        assert_eq!(
            problems(scope_tokens("a b a", "scope")),
            ["scope token `a` is listed more than once in `scope`"]
        );
    }

    #[test]
    fn realm_chars() {
        assert_eq!(realm_value("orders \"eu\" \\ ~"), Ok(()));
        let printable: String = (' '..='~').collect();
        assert_eq!(realm_value(&printable), Ok(()));
        assert!(realm_value("").is_err());
        for (realm, shown) in [
            ("a\r\nb", "control character `\\r` (U+000D)"),
            ("a\tb", "control character `\\t` (U+0009)"),
            ("\x7F", "control character `\\u{7f}` (U+007F)"),
            ("zürich", "non-ASCII character `ü` (U+00FC)"),
        ] {
            let found = realm_value(realm).err().unwrap_or_default();
            assert!(found.contains(shown), "{realm:?}: {found}");
        }
    }
}
