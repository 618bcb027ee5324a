//! What can go wrong, typed: each answer of a resource server or an authorization server the
//! client does not turn into a retry has its own variant, so callers match instead of parsing.

use std::sync::Arc;

/// An error of the token manager or the middleware. The middleware hands it over inside
/// [`reqwest_middleware::Error::Middleware`]; [`Error::of`] reaches it again.
///
/// No variant carries a token, a secret or an assertion; the texts the authorization server
/// sent (`error_description`) are kept because they are its, not ours.
///
/// ```
/// use auth_client::Error;
/// let e = Error::InsufficientScope { scopes: vec!["orders:write".into()], resource_metadata: None };
/// assert_eq!(e.to_string(), "the token lacks the scope the resource asks for: orders:write");
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The token endpoint refused the request with an RFC 6749 §5.2 error response.
    #[error("the authorization server refused the token request: {error}")]
    TokenRefused {
        /// The HTTP status (400 or 401 per RFC 6749 §5.2).
        status: u16,
        /// The `error` code, e.g. `invalid_client`, `invalid_grant`.
        error: String,
        /// `error_description`, when sent.
        description: Option<String>,
        /// `error_uri`, when sent.
        uri: Option<String>,
    },
    /// The answer of the token (or metadata, introspection) endpoint is not what the RFC says
    /// it must be; the text names the rule it broke.
    #[error("invalid answer from the authorization server: {0}")]
    BadResponse(&'static str),
    /// The resource server still said `invalid_token` after one refresh and replay (or the
    /// request could not be replayed): the client gives up instead of looping.
    #[error("the resource server refused the token (invalid_token) after {refreshes} refresh(es)")]
    InvalidToken {
        /// How many fresh tokens were tried (0 when the request could not be replayed).
        refreshes: u8,
    },
    /// 401 without an error code although a token was sent: the resource does not say why.
    #[error("the resource server refused the credentials without saying why")]
    Unauthorized,
    /// 403 `insufficient_scope` (RFC 6750 §3.1): never retried; the scopes the resource named,
    /// for a step-up request.
    #[error("the token lacks the scope the resource asks for: {}", scopes.join(" "))]
    InsufficientScope {
        /// The `scope` parameter of the challenge, split on spaces (empty when absent).
        scopes: Vec<String>,
        /// The challenge's `resource_metadata` URL (RFC 9728 §5.1), when sent.
        resource_metadata: Option<String>,
    },
    /// 401 `insufficient_user_authentication` (RFC 9470): the user must authenticate again,
    /// more strongly or more recently, which no client-credentials refresh can do.
    #[error("the resource asks for a stronger or more recent user authentication")]
    StepUpRequired {
        /// `acr_values`, split on spaces.
        acr_values: Vec<String>,
        /// `max_age` in seconds.
        max_age: Option<u64>,
    },
    /// The resource's challenges name only schemes this client does not speak (`Basic`,
    /// `Digest`, …): not an OAuth-protected resource.
    #[error("the resource offers only {}, not Bearer or DPoP", schemes.join(", "))]
    UnsupportedChallenge {
        /// The auth-schemes of the `WWW-Authenticate` challenges, as written.
        schemes: Vec<String>,
    },
    /// The resource kept refusing the DPoP nonce after the one retry RFC 9449 §9 provides.
    #[error("the resource server refused the DPoP proof after a nonce retry")]
    DpopNonce,
    /// Discovery (RFC 8414, OpenID Connect Discovery, RFC 9728) failed; the text says where.
    #[error("discovery failed: {0}")]
    Discovery(&'static str),
    /// A resource named an authorization server this client was not told to trust: its
    /// credentials are not sent there (a resource server must not be able to phish them).
    #[error("the authorization server {0} is not one this client trusts")]
    UntrustedAuthorizationServer(String),
    /// The client's own configuration cannot work; the text says why.
    #[error("client configuration: {0}")]
    Config(&'static str),
    /// A proof or assertion could not be signed.
    #[error("signing failed: {0}")]
    Signing(&'static str),
    /// The request to the authorization server failed on the wire.
    #[error("request to the authorization server failed: {0}")]
    Http(Arc<reqwest::Error>),
    /// The answer called for a retry (a fresh token, a nonce, credentials) but the request's
    /// body is a stream that cannot be sent twice. The token state is updated: the next
    /// request goes out right.
    #[error("the request needed a retry but its streaming body cannot be replayed")]
    NotReplayable,
    /// `subject_token` of a token exchange is missing or empty (RFC 8693 §2.1): nothing is
    /// sent.
    #[error("subject_token is required")]
    MissingSubjectToken,
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Http(Arc::new(e))
    }
}

/// The longest server-chosen text an [`Error`] keeps (an `error` code, a description, an
/// issuer): errors end up in logs.
const MAX_SERVER_TEXT: usize = 512;

/// Whether server-chosen text may be kept in an [`Error`]: printable ASCII in RFC 6749 §5.2's
/// charset (no line break or escape sequence can reach a log through it), at most
/// [`MAX_SERVER_TEXT`] bytes.
pub(crate) fn fits_in_error(s: &str) -> bool {
    s.len() <= MAX_SERVER_TEXT && auth_grammar::syntax::is_rfc6750_value(s)
}

impl Error {
    /// The RFC 6749 §5.2 `error` code of a refused token request (`invalid_client`,
    /// `invalid_grant`, …).
    ///
    /// ```
    /// use auth_client::Error;
    /// let e = Error::TokenRefused { status: 401, error: "invalid_client".into(), description: None, uri: None };
    /// assert_eq!(e.oauth_error(), Some("invalid_client"));
    /// ```
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Error::TokenRefused { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The `auth-client` error inside a middleware error, if that is what it holds.
    ///
    /// ```
    /// use auth_client::Error;
    /// let wrapped = reqwest_middleware::Error::middleware(Error::Unauthorized);
    /// assert!(matches!(Error::of(&wrapped), Some(Error::Unauthorized)));
    /// ```
    pub fn of(error: &reqwest_middleware::Error) -> Option<&Error> {
        match error {
            reqwest_middleware::Error::Middleware(inner) => inner.downcast_ref::<Error>(),
            reqwest_middleware::Error::Reqwest(_) => None,
        }
    }
}
