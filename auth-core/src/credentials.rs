//! Reading credentials off a request: the `Authorization` field (RFC 9110 §11.4, §11.6.2) and
//! the Bearer `b64token` (RFC 6750 §2.1).
//!
//! The parser is a pure function of the field's bytes, so it is fuzzed and property-tested
//! apart from actix:
//!
//! ```
//! use auth_core::credentials::{parse_authorization, Authorization};
//!
//! assert_eq!(parse_authorization(b"bearer  abc.def-_~+/=="), Authorization::Bearer(Ok("abc.def-_~+/==")));
//! assert!(matches!(parse_authorization(b"Bearer\tabc"), Authorization::Bearer(Err(_))));
//! assert_eq!(parse_authorization(b"Basic dXNlcjpwdw=="), Authorization::Other);
//! ```

use actix_web::http::header::{self, HeaderMap};

use crate::challenge::is_tchar;
use crate::rejection::Reason;
use crate::requirement::{Scheme, SchemeSet};

/// What one `Authorization` field value holds, as far as this crate's schemes are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorization<'a> {
    /// The `Bearer` scheme (any case): the token, or why the credentials are malformed.
    Bearer(Result<&'a str, &'static str>),
    /// Any other scheme, or a value that names no scheme at all.
    Other,
}

/// Parses one `Authorization` field value.
///
/// `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`; for Bearer the rest must
/// be exactly one `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
pub fn parse_authorization(value: &[u8]) -> Authorization<'_> {
    let scheme_len = value.iter().take_while(|b| is_tchar(**b)).count();
    let (scheme, rest) = value.split_at(scheme_len);
    if !scheme.eq_ignore_ascii_case(Scheme::Bearer.name().as_bytes()) {
        return Authorization::Other;
    }
    Authorization::Bearer(bearer_token(rest))
}

fn bearer_token(rest: &[u8]) -> Result<&str, &'static str> {
    if rest.is_empty() {
        return Err("Bearer with no token");
    }
    let after_sp = rest.iter().take_while(|b| **b == b' ').count();
    if after_sp == 0 {
        return Err("scheme not followed by SP");
    }
    let token = &rest[after_sp..];
    if token.is_empty() {
        return Err("Bearer with no token");
    }
    if !is_b64token(token) {
        return Err("token is not a b64token");
    }
    // A b64token is ASCII, hence UTF-8.
    std::str::from_utf8(token).map_err(|_| "token is not a b64token")
}

/// RFC 6750 §2.1 `b64token`.
pub fn is_b64token(token: &[u8]) -> bool {
    let body = token.iter().take_while(|b| **b != b'=').count();
    body > 0
        && token[..body]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(b))
        && token[body..].iter().all(|b| *b == b'=')
}

/// A credential of an accepted scheme.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Credential<'a> {
    /// A Bearer token (syntax checked, not verified).
    Bearer(&'a str),
}

impl std::fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Bearer(_) => f.write_str("Bearer ******"),
        }
    }
}

/// Reads the request's credential for the `accepted` schemes.
///
/// `Ok(None)` when there is nothing for them (no field, or another scheme's credentials);
/// `Err` when the request is malformed: more than one `Authorization` field, or credentials of
/// an accepted scheme that break its syntax.
pub fn read(headers: &HeaderMap, accepted: SchemeSet) -> Result<Option<Credential<'_>>, Reason> {
    let mut fields = headers.get_all(header::AUTHORIZATION);
    let Some(first) = fields.next() else {
        return Ok(None);
    };
    if fields.next().is_some() {
        return Err(Reason::DuplicateAuthorization);
    }
    match parse_authorization(first.as_bytes()) {
        Authorization::Bearer(parsed) if accepted.contains(Scheme::Bearer) => parsed
            .map(|token| Some(Credential::Bearer(token)))
            .map_err(Reason::MalformedCredentials),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_syntax() {
        let ok =
            |v: &[u8], t: &str| assert_eq!(parse_authorization(v), Authorization::Bearer(Ok(t)));
        let bad = |v: &[u8]| {
            assert!(
                matches!(parse_authorization(v), Authorization::Bearer(Err(_))),
                "{v:?}"
            )
        };
        ok(b"Bearer abc", "abc");
        ok(b"BEARER abc", "abc");
        ok(b"Bearer   a=", "a=");
        bad(b"Bearer");
        bad(b"Bearer ");
        bad(b"Bearer\tabc");
        bad(b"Bearer abc def");
        bad(b"Bearer =abc");
        bad(b"Bearer a=b");
        bad(b"Bearer a,b");
        bad(b"Bearer:abc");
        bad("Bearer ä".as_bytes());
        assert_eq!(parse_authorization(b"Bearerx abc"), Authorization::Other);
        assert_eq!(parse_authorization(b""), Authorization::Other);
        assert_eq!(parse_authorization(b" Bearer abc"), Authorization::Other);
    }
}
