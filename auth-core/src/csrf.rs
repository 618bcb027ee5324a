//! The proof a request must give before a cookie-borne token is used on an unsafe method
//! ([`CsrfDefence`]); why cookies need it is in [`crate::transport`].

use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName};

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

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

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
