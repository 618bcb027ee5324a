//! Where a Bearer token may travel besides the `Authorization` field, and the CSRF defence that
//! cookie-borne tokens need.
//!
//! | location | source | default |
//! |---|---|---|
//! | [`Header`](TokenLocation::Header) | `Authorization: Bearer …` (RFC 6750 §2.1) | on |
//! | [`Cookie`](TokenLocation::Cookie) | a cookie (name configurable, `access_token` by default), for browser apps that keep tokens out of JavaScript's reach | off |
//! | [`Query`](TokenLocation::Query) | the `access_token` query parameter (RFC 6750 §2.3), for `EventSource` and WebSocket clients that cannot set headers | off |
//! | [`Form`](TokenLocation::Form) | the `access_token` member of an `application/x-www-form-urlencoded` body (RFC 6750 §2.2) | off |
//!
//! Locations are chosen for the application ([`AuthConfigBuilder::token_locations`]) and may be
//! narrowed or widened per endpoint (`#[require_auth(token_in = "header | cookie")]`,
//! [`Requirement::with_token_locations`]). A location that is off is not looked at: an
//! `access_token` query parameter on a header-only endpoint is the application's own business.
//! A token found in two enabled locations is `400 invalid_request` (RFC 6750 §2: "Clients MUST
//! NOT use more than one method to transmit the token in each request").
//!
//! **Cookies and CSRF.** A browser attaches cookies to requests other sites make, so a token read
//! from a cookie on an unsafe method (anything but `GET`, `HEAD`, `OPTIONS`, `TRACE`; and a
//! WebSocket handshake, a `GET` that opens a two-way channel) is accepted
//! only when the request proves it was made by a trusted page ([`CsrfDefence`], on by default);
//! otherwise the answer is `403` with the problem code `cross_site_request` and no challenge
//! (authenticating again would not help). Tokens in the header, the query or the body are never
//! attached by a browser on its own, so they need no such proof. Failures of cookie and query
//! tokens in requests the browser marks `Sec-Fetch-Site: cross-site` do not count towards the
//! failure throttle: otherwise any site could lock its visitors out with an
//! `<img src="https://api…/x?access_token=junk">`.
//!
//! **Query tokens end up in access logs** (actix's `Logger` prints the request line, proxies
//! log URLs): enable them only for endpoints that cannot do otherwise, and prefer short-lived
//! tokens there. The audit log of this crate writes the path only, never the query.
//!
//! [`AuthConfigBuilder::token_locations`]: crate::AuthConfigBuilder::token_locations
//! [`Requirement::with_token_locations`]: crate::Requirement::with_token_locations

use std::fmt;

use actix_web::http::header;
use actix_web::{HttpMessage as _, HttpRequest};

pub use crate::csrf::CsrfDefence;
use crate::syntax::is_b64token;
pub use crate::token_location::{TokenLocation, TokenLocations};

/// The name of the query parameter and form member that carry a token (RFC 6750 §2.2, §2.3).
///
/// ```
/// use auth_core::transport::ACCESS_TOKEN_PARAM;
///
/// assert_eq!(ACCESS_TOKEN_PARAM, "access_token");
/// let uri = format!("/events?{ACCESS_TOKEN_PARAM}=eyJhbGciOi");
/// assert!(uri.ends_with("?access_token=eyJhbGciOi"));
/// ```
pub const ACCESS_TOKEN_PARAM: &str = "access_token";

/// The default name of the token cookie.
///
/// ```
/// use auth_core::transport::DEFAULT_TOKEN_COOKIE;
/// use auth_core::AuthConfig;
///
/// assert_eq!(DEFAULT_TOKEN_COOKIE, "access_token");
/// assert_eq!(AuthConfig::builder().build()?.token_cookie(), DEFAULT_TOKEN_COOKIE);
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const DEFAULT_TOKEN_COOKIE: &str = "access_token";

/// The most body bytes read to find a form-borne token; a longer form body is refused with
/// `400 invalid_request` on endpoints that accept form tokens.
///
/// ```
/// use auth_core::transport::FORM_BODY_LIMIT;
///
/// assert_eq!(FORM_BODY_LIMIT, 64 * 1024);
/// ```
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// The `access_token` member of a form body, read by a middleware before the handler's
/// extractors run (they cannot share the body otherwise). `Debug` never shows the token.
#[derive(Clone)]
pub(crate) enum FormToken {
    /// The body was read and holds no `access_token`.
    Absent,
    /// The token (syntax not yet checked).
    Found(String),
    /// The body cannot be searched (too long, member repeated).
    Malformed(&'static str),
}

impl fmt::Debug for FormToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormToken::Absent => f.write_str("Absent"),
            FormToken::Found(token) => write!(f, "Found(****** {} bytes)", token.len()),
            FormToken::Malformed(why) => write!(f, "Malformed({why})"),
        }
    }
}

/// Where a request's token was read from, kept in its extensions for the audit log.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TokenSource {
    pub(crate) location: TokenLocation,
    pub(crate) len: usize,
}

/// Why a token outside the header cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LocateError {
    /// Malformed, repeated, or in two locations: `400 invalid_request`.
    Malformed(&'static str),
    /// Form tokens are enabled but no middleware read the body: a misconfiguration.
    BodyUnread,
}

/// Finds a Bearer token in the enabled locations other than the header.
pub(crate) fn locate(
    req: &HttpRequest,
    locations: TokenLocations,
    cookie_name: &str,
) -> Result<Option<(TokenLocation, String)>, LocateError> {
    let mut found: Option<(TokenLocation, String)> = None;
    let mut put = |location, token: String| {
        if found.is_some() {
            return Err(LocateError::Malformed("token sent by two methods"));
        }
        if !is_b64token(token.as_bytes()) {
            return Err(LocateError::Malformed("token is not a b64token"));
        }
        found = Some((location, token));
        Ok(())
    };
    if locations.contains(TokenLocation::Cookie)
        && let Some(token) = cookie(req, cookie_name).map_err(LocateError::Malformed)?
    {
        put(TokenLocation::Cookie, token.to_owned())?;
    }
    if locations.contains(TokenLocation::Query)
        && let Some(token) =
            form_member(req.query_string().as_bytes()).map_err(LocateError::Malformed)?
    {
        put(TokenLocation::Query, token)?;
    }
    if locations.contains(TokenLocation::Form) && is_form_post(req) {
        match req.extensions().get::<FormToken>() {
            Some(FormToken::Absent) => {}
            Some(FormToken::Found(token)) => put(TokenLocation::Form, token.clone())?,
            Some(FormToken::Malformed(why)) => return Err(LocateError::Malformed(why)),
            None => return Err(LocateError::BodyUnread),
        }
    }
    Ok(found)
}

/// Whether the request is one RFC 6750 §2.2 allows a form-body token on: a form-encoded
/// body with a method whose body has defined semantics (`POST`, `PUT`, `PATCH`).
pub(crate) fn is_form_post(req: &HttpRequest) -> bool {
    use actix_web::http::Method;
    [Method::POST, Method::PUT, Method::PATCH].contains(req.method())
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
}

/// The value of the cookie `name` (RFC 6265 §4.2.1 `cookie-string`, across every `Cookie`
/// field, as HTTP/2 may split them; surrounding `"` removed). A cookie sent twice — one
/// planted by a sibling domain, say — is ambiguous and an error, never "the first one". For
/// an application's own cookie endpoints (a token refresh) as much as for the token cookie.
///
/// ```
/// use actix_web::test::TestRequest;
/// use auth_core::transport::cookie;
///
/// let req = TestRequest::default().insert_header(("cookie", "a=1; session=\"xyz\"")).to_http_request();
/// assert_eq!(cookie(&req, "session"), Ok(Some("xyz")));
/// assert_eq!(cookie(&req, "other"), Ok(None));
/// let twice = TestRequest::default().insert_header(("cookie", "s=1; s=2")).to_http_request();
/// assert!(cookie(&twice, "s").is_err());
/// ```
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Result<Option<&'a str>, &'static str> {
    let mut found = None;
    // Byte-wise: another cookie of the site may hold UTF-8 (browsers allow it), which must
    // not hide this one.
    for field in req.headers().get_all(header::COOKIE) {
        for pair in field.as_bytes().split(|b| *b == b';') {
            let Some(eq) = pair.iter().position(|b| *b == b'=') else {
                continue;
            };
            if pair[..eq].trim_ascii() != name.as_bytes() {
                continue;
            }
            if found.is_some() {
                return Err("token cookie sent twice");
            }
            let value = pair[eq + 1..].trim_ascii();
            let value = value
                .strip_prefix(b"\"")
                .and_then(|v| v.strip_suffix(b"\""))
                .unwrap_or(value);
            found = Some(std::str::from_utf8(value).map_err(|_| "token cookie is not ASCII")?);
        }
    }
    Ok(found)
}

/// The one `access_token` member of an `application/x-www-form-urlencoded` string (the query
/// or a body).
pub(crate) fn form_member(encoded: &[u8]) -> Result<Option<String>, &'static str> {
    let mut found = None;
    for (key, value) in url::form_urlencoded::parse(encoded) {
        if key != ACCESS_TOKEN_PARAM {
            continue;
        }
        if found.is_some() {
            return Err("access_token sent twice");
        }
        found = Some(value.into_owned());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn locations_in_query_cookie_and_their_conflicts() {
        let all = TokenLocations::HEADER
            .with(TokenLocation::Cookie)
            .with(TokenLocation::Query);
        let req = TestRequest::get()
            .uri("/x?a=1&access_token=abc%2B%2F%3D")
            .to_http_request();
        assert_eq!(
            locate(&req, all, "access_token"),
            Ok(Some((TokenLocation::Query, "abc+/=".to_owned())))
        );
        assert_eq!(
            locate(&req, TokenLocations::HEADER, "access_token"),
            Ok(None)
        );
        let req = TestRequest::get()
            .uri("/x?access_token=a+b")
            .to_http_request();
        assert!(matches!(
            locate(&req, all, "t"),
            Err(LocateError::Malformed(_))
        ));
        let req = TestRequest::get()
            .uri("/x?access_token=a&access_token=a")
            .to_http_request();
        assert!(locate(&req, all, "t").is_err());
        let req = TestRequest::get()
            .insert_header((header::COOKIE, "x=1; t=\"abc\"; y=2"))
            .to_http_request();
        assert_eq!(
            locate(&req, all, "t"),
            Ok(Some((TokenLocation::Cookie, "abc".to_owned())))
        );
        let req = TestRequest::get()
            .uri("/x?access_token=abc")
            .insert_header((header::COOKIE, "t=abc"))
            .to_http_request();
        assert_eq!(
            locate(&req, all, "t"),
            Err(LocateError::Malformed("token sent by two methods"))
        );
        let req = TestRequest::get()
            .append_header((header::COOKIE, "t=abc"))
            .append_header((header::COOKIE, "t=abd"))
            .to_http_request();
        assert!(locate(&req, all, "t").is_err());
    }
}
