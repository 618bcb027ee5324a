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

use actix_web::http::header::{self, HeaderName};
use actix_web::{HttpMessage as _, HttpRequest};

use crate::syntax::is_b64token;

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

/// One place a Bearer token can be sent.
///
/// ```
/// use auth_core::transport::{TokenLocation, TokenLocations};
///
/// assert_eq!(TokenLocation::Cookie.to_string(), "cookie");
/// assert_ne!(TokenLocation::Header, TokenLocation::Query);
/// assert!(TokenLocations::default().contains(TokenLocation::Header));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenLocation {
    /// `Authorization: Bearer <token>`.
    Header,
    /// The token cookie.
    Cookie,
    /// The `access_token` query parameter.
    Query,
    /// The `access_token` member of a form-encoded body.
    Form,
}

impl TokenLocation {
    /// Every location, in the order they are looked at.
    ///
    /// ```
    /// use auth_core::transport::TokenLocation;
    ///
    /// assert_eq!(TokenLocation::ALL.len(), 4);
    /// assert_eq!(TokenLocation::ALL[0], TokenLocation::Header);
    /// ```
    pub const ALL: [TokenLocation; 4] = [
        TokenLocation::Header,
        TokenLocation::Cookie,
        TokenLocation::Query,
        TokenLocation::Form,
    ];

    /// The name used in `token_in = "…"` and in logs.
    ///
    /// ```
    /// use auth_core::transport::TokenLocation;
    ///
    /// assert_eq!(TokenLocation::Form.name(), "form");
    /// assert_eq!(TokenLocation::Query.name(), TokenLocation::Query.to_string());
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            TokenLocation::Header => "header",
            TokenLocation::Cookie => "cookie",
            TokenLocation::Query => "query",
            TokenLocation::Form => "form",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            TokenLocation::Header => 1,
            TokenLocation::Cookie => 2,
            TokenLocation::Query => 4,
            TokenLocation::Form => 8,
        }
    }
}

impl fmt::Display for TokenLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`TokenLocation`]s, usable in `const` context.
///
/// ```
/// use auth_core::transport::{TokenLocation, TokenLocations};
/// const BROWSER: TokenLocations = TokenLocations::HEADER.with(TokenLocation::Cookie);
/// assert!(BROWSER.contains(TokenLocation::Cookie));
/// assert!(!BROWSER.contains(TokenLocation::Query));
/// assert!(TokenLocations::HEADER.is_header_only());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenLocations(u8);

impl TokenLocations {
    /// The `Authorization` field only: the default.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::HEADER.contains(TokenLocation::Header));
    /// assert!(!TokenLocations::HEADER.contains(TokenLocation::Cookie));
    /// assert_eq!(TokenLocations::default(), TokenLocations::HEADER);
    /// ```
    pub const HEADER: TokenLocations = TokenLocations(1);
    /// No location (a requirement with this accepts no Bearer token at all).
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::NONE.is_empty());
    /// assert!(TokenLocation::ALL.iter().all(|l| !TokenLocations::NONE.contains(*l)));
    /// ```
    pub const NONE: TokenLocations = TokenLocations(0);

    /// This set with `location` added.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// let query_only = TokenLocations::NONE.with(TokenLocation::Query);
    /// assert!(query_only.contains(TokenLocation::Query));
    /// assert!(!query_only.contains(TokenLocation::Header));
    /// ```
    pub const fn with(self, location: TokenLocation) -> Self {
        TokenLocations(self.0 | location.bit())
    }

    /// This set without `location`.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// let browser = TokenLocations::HEADER.with(TokenLocation::Cookie);
    /// assert_eq!(browser.without(TokenLocation::Cookie), TokenLocations::HEADER);
    /// assert!(TokenLocations::HEADER.without(TokenLocation::Header).is_empty());
    /// ```
    pub const fn without(self, location: TokenLocation) -> Self {
        TokenLocations(self.0 & !location.bit())
    }

    /// Whether `location` is in the set.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::HEADER.contains(TokenLocation::Header));
    /// assert!(!TokenLocations::HEADER.contains(TokenLocation::Form));
    /// ```
    pub const fn contains(self, location: TokenLocation) -> bool {
        self.0 & location.bit() != 0
    }

    /// Whether every location of this set is in `other`.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    /// let both = TokenLocations::HEADER.with(TokenLocation::Cookie);
    /// assert!(TokenLocations::HEADER.is_subset_of(both));
    /// assert!(!both.is_subset_of(TokenLocations::HEADER));
    /// ```
    pub const fn is_subset_of(self, other: TokenLocations) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set holds no location.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::NONE.is_empty());
    /// assert!(!TokenLocations::NONE.with(TokenLocation::Form).is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the set is exactly `{Header}` (the fast path of the verdict cache).
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::HEADER.is_header_only());
    /// assert!(!TokenLocations::HEADER.with(TokenLocation::Cookie).is_header_only());
    /// assert!(!TokenLocations::NONE.is_header_only());
    /// ```
    pub const fn is_header_only(self) -> bool {
        self.0 == Self::HEADER.0
    }

    /// The locations of the set, in the order they are looked at.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// let set = TokenLocations::NONE.with(TokenLocation::Form).with(TokenLocation::Header);
    /// let order: Vec<TokenLocation> = set.iter().collect();
    /// assert_eq!(order, [TokenLocation::Header, TokenLocation::Form]);
    /// ```
    pub fn iter(self) -> impl Iterator<Item = TokenLocation> {
        TokenLocation::ALL
            .into_iter()
            .filter(move |l| self.contains(*l))
    }
}

impl Default for TokenLocations {
    fn default() -> Self {
        Self::HEADER
    }
}

impl fmt::Debug for TokenLocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

/// The proof a request must give before a cookie-borne token is used on an unsafe method.
///
/// A request passes when any of these holds:
/// - the browser says it is same-origin (`Sec-Fetch-Site: same-origin`, a header pages cannot
///   set);
/// - its `Origin` is the server's own (`scheme://host` as actix's connection info sees it) or
///   one of the [trusted origins](CsrfDefence::trust_origin) (the single-page app's);
/// - it carries the [custom header](CsrfDefence::accept_header), if one is configured: a page on
///   another origin can only send it after a CORS preflight that the application's CORS policy
///   allowed.
///
/// Anything else, including `Origin: null` and a request with neither `Origin` nor
/// `Sec-Fetch-Site` (a non-browser client that should send the token in the header), is
/// refused with `403 cross_site_request`.
///
/// ```
/// use actix_web::http::header::HeaderName;
/// use auth_core::transport::CsrfDefence;
///
/// let csrf = CsrfDefence::new()
///     .trust_origin("https://app.example.com")
///     .accept_header(HeaderName::from_static("x-requested-with"));
/// ```
#[derive(Clone, Debug)]
pub struct CsrfDefence {
    enabled: bool,
    trusted_origins: Vec<String>,
    header: Option<HeaderName>,
}

impl Default for CsrfDefence {
    fn default() -> Self {
        Self::new()
    }
}

impl CsrfDefence {
    /// The default defence: same-origin requests and the server's own origin only.
    ///
    /// ```
    /// use actix_web::test::TestRequest;
    /// use auth_core::transport::CsrfDefence;
    ///
    /// let csrf = CsrfDefence::new();
    /// let same_origin = TestRequest::post().insert_header(("sec-fetch-site", "same-origin"));
    /// assert!(csrf.check(&same_origin.to_http_request()).is_ok());
    /// // Neither `Origin` nor `Sec-Fetch-Site`: refused.
    /// assert!(csrf.check(&TestRequest::post().to_http_request()).is_err());
    /// ```
    pub fn new() -> Self {
        CsrfDefence {
            enabled: true,
            trusted_origins: Vec::new(),
            header: None,
        }
    }

    /// No defence at all. Only for cookies that browsers never send cross-site
    /// (`SameSite=Strict`) *and* applications with no sibling subdomain an attacker could
    /// control; logged as a warning at start-up.
    ///
    /// ```
    /// use actix_web::test::TestRequest;
    /// use auth_core::transport::CsrfDefence;
    ///
    /// let csrf = CsrfDefence::disabled();
    /// assert!(!csrf.is_enabled());
    /// assert!(csrf.check(&TestRequest::post().to_http_request()).is_ok());
    /// ```
    pub fn disabled() -> Self {
        CsrfDefence {
            enabled: false,
            ..Self::new()
        }
    }

    /// Trusts requests whose `Origin` is exactly `origin` (`scheme://host[:port]`, no path,
    /// compared ASCII case-insensitively).
    ///
    /// ```
    /// use actix_web::test::TestRequest;
    /// use auth_core::transport::CsrfDefence;
    ///
    /// let csrf = CsrfDefence::new().trust_origin("https://app.example.com/");
    /// let req = TestRequest::post().insert_header(("origin", "https://APP.example.com"));
    /// assert!(csrf.check(&req.to_http_request()).is_ok());
    /// ```
    pub fn trust_origin(mut self, origin: impl Into<String>) -> Self {
        let origin = origin.into();
        self.trusted_origins
            .push(origin.trim_end_matches('/').to_owned());
        self
    }

    /// Also accepts requests that carry this header (any value).
    ///
    /// ```
    /// use actix_web::http::header::HeaderName;
    /// use actix_web::test::TestRequest;
    /// use auth_core::transport::CsrfDefence;
    ///
    /// let csrf = CsrfDefence::new().accept_header(HeaderName::from_static("x-requested-with"));
    /// let req = TestRequest::post().insert_header(("x-requested-with", "fetch"));
    /// assert!(csrf.check(&req.to_http_request()).is_ok());
    /// ```
    pub fn accept_header(mut self, name: HeaderName) -> Self {
        self.header = Some(name);
        self
    }

    /// Checks the settings (called by `AuthConfigBuilder::build`): each trusted origin must be
    /// an `http(s)://host[:port]` origin (not `null`, `*` or a URL with a path), and the custom
    /// header must be one a cross-origin page can only send after a CORS preflight.
    ///
    /// ```
    /// use actix_web::http::header::HeaderName;
    /// use auth_core::transport::CsrfDefence;
    /// assert!(CsrfDefence::new().trust_origin("https://app.example.com").validate().is_ok());
    /// assert!(CsrfDefence::new().trust_origin("null").validate().is_err());
    /// assert!(CsrfDefence::new().trust_origin("https://app.example.com/spa").validate().is_err());
    /// let safelisted = HeaderName::from_static("content-type");
    /// assert!(CsrfDefence::new().accept_header(safelisted).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), crate::ConfigError> {
        let invalid = |detail: String| crate::ConfigError::InvalidSetting {
            what: "csrf",
            detail,
        };
        for origin in &self.trusted_origins {
            let parsed = url::Url::parse(origin)
                .map_err(|_| invalid(format!("trusted origin {origin:?} is not a URL")))?;
            let serialized = parsed.origin().ascii_serialization();
            let is_origin = matches!(parsed.scheme(), "http" | "https")
                && serialized.eq_ignore_ascii_case(origin);
            if !is_origin {
                return Err(invalid(format!(
                    "trusted origin {origin:?} is not of the form scheme://host[:port]"
                )));
            }
        }
        // CORS-safelisted request headers (Fetch standard §2.2.2) need no preflight.
        const SAFELISTED: [&str; 5] = [
            "accept",
            "accept-language",
            "content-language",
            "content-type",
            "range",
        ];
        if let Some(name) = &self.header
            && SAFELISTED.contains(&name.as_str())
        {
            return Err(invalid(format!(
                "{name} is CORS-safelisted: any page can send it without a preflight"
            )));
        }
        Ok(())
    }

    /// Whether the defence is on.
    ///
    /// ```
    /// use auth_core::transport::CsrfDefence;
    ///
    /// assert!(CsrfDefence::new().is_enabled());
    /// assert!(CsrfDefence::default().is_enabled());
    /// assert!(!CsrfDefence::disabled().is_enabled());
    /// ```
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Which trusted origin sent `req` (`Origin` equal to the n-th trusted one: `n`), or `0`
    /// for any other origin and none: how the throttle tells a trusted app's cross-site
    /// requests apart from those of pages it does not trust.
    pub(crate) fn origin_class(&self, req: &HttpRequest) -> u8 {
        let Some(origin) = req.headers().get(header::ORIGIN).map(|o| o.as_bytes()) else {
            return 0;
        };
        self.trusted_origins
            .iter()
            .position(|t| t.as_bytes().eq_ignore_ascii_case(origin))
            .map_or(0, |i| u8::try_from(i + 1).unwrap_or(u8::MAX))
    }

    /// Whether `req` may use a cookie-borne credential (for the application's own cookie
    /// endpoints, such as a token refresh); `Err` says why not, for the log.
    ///
    /// ```
    /// use actix_web::test::TestRequest;
    /// use auth_core::transport::CsrfDefence;
    ///
    /// let csrf = CsrfDefence::new().trust_origin("https://app.example.com");
    /// let from_app = TestRequest::post().insert_header(("origin", "https://app.example.com"));
    /// assert!(csrf.check(&from_app.to_http_request()).is_ok());
    /// let from_elsewhere = TestRequest::post().insert_header(("origin", "https://evil.example"));
    /// assert!(csrf.check(&from_elsewhere.to_http_request()).is_err());
    /// ```
    pub fn check(&self, req: &HttpRequest) -> Result<(), &'static str> {
        // A WebSocket handshake is a GET, but what follows is anything but safe: a page on
        // another origin must not open a socket with the visitor's cookie.
        let websocket = req
            .headers()
            .get(header::UPGRADE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|p| p.trim().eq_ignore_ascii_case("websocket"))
            });
        if !self.enabled || (req.method().is_safe() && !websocket) {
            return Ok(());
        }
        let headers = req.headers();
        if let Some(name) = &self.header
            && headers.contains_key(name)
        {
            return Ok(());
        }
        if headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"same-origin")
        {
            return Ok(());
        }
        let Some(origin) = headers.get(header::ORIGIN).map(|o| o.as_bytes()) else {
            return Err("unsafe method with a cookie token and no Origin");
        };
        let trusted = self
            .trusted_origins
            .iter()
            .any(|t| t.as_bytes().eq_ignore_ascii_case(origin));
        if trusted {
            return Ok(());
        }
        let info = req.connection_info();
        let own = format!("{}://{}", info.scheme(), info.host());
        if own.as_bytes().eq_ignore_ascii_case(origin) {
            return Ok(());
        }
        Err("unsafe method with a cookie token from an untrusted origin")
    }
}

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

    #[test]
    fn csrf_proofs() {
        let csrf = CsrfDefence::new()
            .trust_origin("http://app.test/")
            .accept_header(HeaderName::from_static("x-requested-with"));
        let post = || TestRequest::post().uri("http://api.test/x");
        assert!(csrf.check(&TestRequest::get().to_http_request()).is_ok());
        assert!(csrf.check(&post().to_http_request()).is_err());
        let with = |name: &'static str, value: &'static str| {
            csrf.check(&post().insert_header((name, value)).to_http_request())
        };
        assert!(with("origin", "http://APP.test").is_ok());
        assert!(with("origin", "http://evil.test").is_err());
        assert!(with("origin", "null").is_err());
        assert!(with("sec-fetch-site", "same-origin").is_ok());
        assert!(with("sec-fetch-site", "same-site").is_err());
        assert!(with("x-requested-with", "fetch").is_ok());
        assert!(CsrfDefence::new().check(&post().to_http_request()).is_err());
        assert!(
            CsrfDefence::disabled()
                .check(&post().to_http_request())
                .is_ok()
        );
    }
}
