//! Reading credentials off a request: the `Authorization` field (RFC 9110 §11.4, §11.6.2), the
//! Bearer `b64token` (RFC 6750 §2.1), Basic `user-pass` (RFC 7617 §2) and an API-key header.
//!
//! The parser is a pure function of the field's bytes, so it is fuzzed and property-tested
//! apart from actix:
//!
//! ```
//! use auth_core::credentials::{parse_authorization, Authorization};
//!
//! assert_eq!(parse_authorization(b"bearer  abc.def-_~+/=="), Authorization::Bearer(Ok("abc.def-_~+/==")));
//! assert!(matches!(parse_authorization(b"Bearer\tabc"), Authorization::Bearer(Err(_))));
//! assert!(matches!(parse_authorization(b"basic dXNlcjpwdw=="), Authorization::Basic(Ok(c)) if c.user_id() == "user"));
//! assert_eq!(parse_authorization(b"Digest x"), Authorization::Other);
//! ```

use actix_web::http::header::{self, HeaderMap};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::scheme::Scheme;
pub use crate::syntax::is_b64token;
use crate::syntax::is_tchar;

/// What one `Authorization` field value holds, as far as this crate's schemes are concerned.
///
/// ```
/// use auth_core::credentials::{parse_authorization, Authorization};
/// assert_eq!(parse_authorization(b"Bearer abc"), Authorization::Bearer(Ok("abc")));
/// assert!(matches!(parse_authorization(b"Bearer"), Authorization::Bearer(Err(_))));
/// assert_eq!(parse_authorization(b"Negotiate abc"), Authorization::Other);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Authorization<'a> {
    /// The `Bearer` scheme (any case): the token, or why the credentials are malformed.
    Bearer(Result<&'a str, &'static str>),
    /// The `Basic` scheme (any case): the decoded user-id and password, or why they are
    /// malformed.
    Basic(Result<BasicCredentials, &'static str>),
    /// Any other scheme, or a value that names no scheme at all.
    Other,
}

/// A Basic user-id and password (RFC 7617 §2), decoded as UTF-8. The password never appears in
/// `Debug` output.
///
/// ```
/// use auth_core::BasicCredentials;
/// let credentials = BasicCredentials::new("aladdin", "open sesame");
/// assert_eq!(credentials.user_id(), "aladdin");
/// assert!(!format!("{credentials:?}").contains("sesame"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BasicCredentials {
    user_id: String,
    password: String,
}

impl BasicCredentials {
    /// Builds credentials (for custom verifiers' tests).
    ///
    /// ```
    /// use auth_core::BasicCredentials;
    /// let credentials = BasicCredentials::new("u", "p:w");
    /// assert_eq!((credentials.user_id(), credentials.password()), ("u", "p:w"));
    /// ```
    pub fn new(user_id: impl Into<String>, password: impl Into<String>) -> Self {
        BasicCredentials {
            user_id: user_id.into(),
            password: password.into(),
        }
    }

    /// The user-id (everything before the first `:`).
    ///
    /// ```
    /// use auth_core::credentials::decode_basic;
    /// let credentials = decode_basic(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
    /// assert_eq!(credentials.user_id(), "Aladdin");
    /// ```
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The password (everything after the first `:`; may itself contain `:`).
    ///
    /// ```
    /// use auth_core::credentials::decode_basic;
    /// // base64 of "u:p:a:b"
    /// let credentials = decode_basic(b"dTpwOmE6Yg==").unwrap();
    /// assert_eq!(credentials.password(), "p:a:b");
    /// ```
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl std::fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("user_id", &self.user_id)
            .field("password", &"******")
            .finish()
    }
}

/// The longest Basic `token68` read, in bytes (3 KiB of user-id and password once decoded).
/// Longer credentials are malformed: nothing is decoded, hashed or kept of them, and a user-id
/// of any accepted length is counted under a fixed-size digest.
///
/// ```
/// use auth_core::credentials::{decode_basic, MAX_BASIC_CREDENTIAL};
/// use base64::Engine as _;
/// let long = base64::engine::general_purpose::STANDARD.encode(format!("{}:pw", "u".repeat(4_000)));
/// assert!(long.len() > MAX_BASIC_CREDENTIAL);
/// assert_eq!(decode_basic(long.as_bytes()), Err("credential too long"));
/// ```
pub const MAX_BASIC_CREDENTIAL: usize = 4096;

/// Decodes the `token68` of a Basic credential: standard base64 with padding (RFC 4648 §4),
/// UTF-8 (we advertise `charset="UTF-8"`, RFC 7617 §2.1), no control characters, split at the
/// first `:`.
///
/// ```
/// use auth_core::{credentials::decode_basic, BasicCredentials};
/// let decoded = decode_basic(b"QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
/// assert_eq!(decoded, Ok(BasicCredentials::new("Aladdin", "open sesame")));
/// assert!(decode_basic(b"dXNlcg==").is_err()); // "user": no colon
/// assert!(decode_basic(b"!!!").is_err());
/// ```
pub fn decode_basic(token68: &[u8]) -> Result<BasicCredentials, &'static str> {
    if token68.len() > MAX_BASIC_CREDENTIAL {
        return Err("credential too long");
    }
    let bytes = STANDARD.decode(token68).map_err(|_| "not base64")?;
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8")?;
    if text.chars().any(char::is_control) {
        return Err("control character");
    }
    let (user_id, password) = text.split_once(':').ok_or("no colon")?;
    Ok(BasicCredentials::new(user_id, password))
}

/// Parses one `Authorization` field value.
///
/// `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`; for Bearer the rest must
/// be exactly one `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
///
/// ```
/// use auth_core::credentials::{parse_authorization, Authorization};
/// assert_eq!(parse_authorization(b"BEARER   a.b.c"), Authorization::Bearer(Ok("a.b.c")));
/// assert!(matches!(parse_authorization(b"Bearer a b"), Authorization::Bearer(Err(_))));
/// let basic = parse_authorization(b"Basic dTpw"); // base64 of "u:p"
/// assert!(matches!(basic, Authorization::Basic(Ok(c)) if c.password() == "p"));
/// ```
pub fn parse_authorization(value: &[u8]) -> Authorization<'_> {
    let scheme_len = value.iter().take_while(|b| is_tchar(**b)).count();
    let (scheme, rest) = value.split_at(scheme_len);
    if scheme.eq_ignore_ascii_case(Scheme::Bearer.name().as_bytes()) {
        Authorization::Bearer(after_scheme(rest).and_then(bearer_token))
    } else if scheme.eq_ignore_ascii_case(Scheme::Basic.name().as_bytes()) {
        Authorization::Basic(after_scheme(rest).and_then(decode_basic))
    } else {
        Authorization::Other
    }
}

/// The scheme of an `Authorization` value, if it is one this crate verifies (cheap: nothing is
/// decoded).
///
/// ```
/// use auth_core::{credentials::scheme_of, Scheme};
/// assert_eq!(scheme_of(b"bearer abc"), Some(Scheme::Bearer));
/// assert_eq!(scheme_of(b"Basic !!!"), Some(Scheme::Basic));
/// assert_eq!(scheme_of(b"Digest x"), Some(Scheme::Digest));
/// assert_eq!(scheme_of(b"Negotiate x"), None);
/// ```
pub fn scheme_of(value: &[u8]) -> Option<Scheme> {
    let scheme_len = value.iter().take_while(|b| is_tchar(**b)).count();
    let scheme = &value[..scheme_len];
    Scheme::ALL.into_iter().find(|s| {
        s.authorization_name()
            .is_some_and(|name| scheme.eq_ignore_ascii_case(name.as_bytes()))
    })
}

/// The credentials after `1*SP`; an empty rest is "no credentials at all".
pub(crate) fn after_scheme(rest: &[u8]) -> Result<&[u8], &'static str> {
    let after_sp = rest.iter().take_while(|b| **b == b' ').count();
    if !rest.is_empty() && after_sp == 0 {
        return Err("scheme not followed by SP");
    }
    match &rest[after_sp..] {
        [] => Err("scheme with no credentials"),
        token => Ok(token),
    }
}

pub(crate) fn bearer_token(token: &[u8]) -> Result<&str, &'static str> {
    if !is_b64token(token) {
        return Err("token is not a b64token");
    }
    // A b64token is ASCII, hence UTF-8.
    std::str::from_utf8(token).map_err(|_| "token is not a b64token")
}

/// The bytes after `Bearer 1*SP` of the request's only `Authorization` field, unchecked: the
/// key of a verdict-cache lookup that, on a hit, spares the syntax scan (every cached token
/// passed it). Anything unusual returns `None` and is read the long way.
pub(crate) fn bearer_fast_path(headers: &HeaderMap) -> Option<&[u8]> {
    let mut fields = headers.get_all(header::AUTHORIZATION);
    let value = fields.next()?.as_bytes();
    if fields.next().is_some() || value.len() < 8 || !value[..7].eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let rest = &value[7..];
    let spaces = rest.iter().take_while(|b| **b == b' ').count();
    Some(&rest[spaces..])
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
        let basic = |v: &[u8]| match parse_authorization(v) {
            Authorization::Basic(r) => r.map(|c| (c.user_id().to_owned(), c.password().to_owned())),
            other => panic!("{other:?}"),
        };
        // "Aladdin:open sesame" (RFC 7617 §2) and a password holding colons.
        assert_eq!(
            basic(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Ok(("Aladdin".into(), "open sesame".into()))
        );
        assert_eq!(
            basic(b"bAsIc   dTpwOmE6Yg=="),
            Ok(("u".into(), "p:a:b".into()))
        );
        assert_eq!(basic(b"Basic dTo="), Ok(("u".into(), String::new())));
        for bad in [
            &b"Basic"[..],
            b"Basic ",
            b"Basic dXNlcg==",
            b"Basic !!!",
            b"Basic dTpwCg==",
            b"Basic /w==",
            b"Basic\tdTpw",
        ] {
            assert!(basic(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_authorization(b""), Authorization::Other);
        assert_eq!(parse_authorization(b" Bearer abc"), Authorization::Other);
    }
}
