//! The single error type of the framework: an internal [`Reason`] (logged, never sent) and its
//! public face, an [`ErrorCode`] that fixes the status, the challenge's `error` and the problem
//! body, exactly as `responses.md` lists them.

use std::fmt;
use std::sync::{Arc, OnceLock};

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, ResponseError};

/// The public face of a refusal: one per row of the response contract.
///
/// ```
/// use auth_core::ErrorCode;
/// let code = ErrorCode::InsufficientScope;
/// assert_eq!(code.status().as_u16(), 403);
/// assert_eq!(code.to_string(), "insufficient_scope");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 401, no credential the endpoint accepts; the challenge carries no `error` (RFC 6750 §3.1).
    Unauthorized,
    /// 400, a malformed credential or one sent twice.
    InvalidRequest,
    /// 401, a credential that failed verification, whatever the cause.
    InvalidToken,
    /// 401, Basic credentials or an API key that are malformed or wrong (these schemes define no
    /// error codes: the challenge is the plain one, so a browser asks again).
    InvalidCredentials,
    /// 401, a token past its expiry (plus leeway): the one cause a client may learn, so it
    /// knows to refresh.
    TokenExpired,
    /// 403, a valid credential that lacks a required scope.
    InsufficientScope,
    /// 403, a cookie-borne token on an unsafe method from a page the CSRF defence does not
    /// trust ([`crate::transport::CsrfDefence`]); no challenge, since authenticating again
    /// would not help.
    CrossSiteRequest,
    /// 429, too many failed attempts from one client.
    TooManyRequests,
    /// 503, the verifier cannot decide right now (a key set unreachable with nothing cached).
    TemporarilyUnavailable,
    /// 500, the application is misconfigured (no verifier for a scheme a handler requires).
    ServerError,
    /// 401, a DPoP proof (RFC 9449 §4.3) that is missing, malformed, not for this request,
    /// too old, replayed, or not for this access token (`invalid_dpop_proof`, §7.1).
    InvalidDpopProof,
    /// 401, the resource requires a server-provided DPoP nonce and the proof has none or a
    /// stale one (`use_dpop_nonce`, RFC 9449 §9); the response carries a fresh `DPoP-Nonce`.
    UseDpopNonce,
    /// 401, a valid token whose authentication is not the one the endpoint demands: an `acr`
    /// it does not accept, or an `auth_time` older than its `max_age`
    /// (`insufficient_user_authentication`, RFC 9470 §3).
    InsufficientUserAuthentication,
    /// 403, a valid credential with every scope the endpoint requires, which the
    /// application's policy refuses (not the owner, not in the team); no challenge, since a
    /// new token would not help ([`mod@crate::policy`]).
    Forbidden,
}

impl ErrorCode {
    /// Every code, for tests and documentation.
    ///
    /// ```
    /// use auth_core::ErrorCode;
    /// assert_eq!(ErrorCode::ALL.len(), 14);
    /// assert!(ErrorCode::ALL.contains(&ErrorCode::TokenExpired));
    /// ```
    pub const ALL: [ErrorCode; 14] = [
        ErrorCode::Unauthorized,
        ErrorCode::InvalidRequest,
        ErrorCode::InvalidToken,
        ErrorCode::InvalidCredentials,
        ErrorCode::TokenExpired,
        ErrorCode::InsufficientScope,
        ErrorCode::CrossSiteRequest,
        ErrorCode::TooManyRequests,
        ErrorCode::TemporarilyUnavailable,
        ErrorCode::ServerError,
        ErrorCode::InvalidDpopProof,
        ErrorCode::UseDpopNonce,
        ErrorCode::InsufficientUserAuthentication,
        ErrorCode::Forbidden,
    ];

    /// The HTTP status.
    ///
    /// ```
    /// use actix_web::http::StatusCode;
    /// use auth_core::ErrorCode;
    /// assert_eq!(ErrorCode::InvalidRequest.status(), StatusCode::BAD_REQUEST);
    /// assert_eq!(ErrorCode::TokenExpired.status(), StatusCode::UNAUTHORIZED);
    /// ```
    pub const fn status(self) -> StatusCode {
        match self {
            ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthorized
            | ErrorCode::InvalidToken
            | ErrorCode::InvalidCredentials
            | ErrorCode::TokenExpired
            | ErrorCode::InvalidDpopProof
            | ErrorCode::UseDpopNonce
            | ErrorCode::InsufficientUserAuthentication => StatusCode::UNAUTHORIZED,
            ErrorCode::InsufficientScope | ErrorCode::CrossSiteRequest | ErrorCode::Forbidden => {
                StatusCode::FORBIDDEN
            }
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem body's `error` member.
    ///
    /// ```
    /// use auth_core::ErrorCode;
    /// assert_eq!(ErrorCode::InvalidToken.as_str(), "invalid_token");
    /// assert_eq!(ErrorCode::TemporarilyUnavailable.as_str(), "temporarily_unavailable");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::CrossSiteRequest => "cross_site_request",
            ErrorCode::TooManyRequests => "too_many_requests",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::ServerError => "server_error",
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::UseDpopNonce => "use_dpop_nonce",
            ErrorCode::InsufficientUserAuthentication => "insufficient_user_authentication",
            ErrorCode::Forbidden => "forbidden",
        }
    }

    /// The problem body's `title`: the status's reason phrase.
    ///
    /// ```
    /// use auth_core::ErrorCode;
    /// assert_eq!(ErrorCode::TooManyRequests.title(), "Too Many Requests");
    /// for code in ErrorCode::ALL {
    ///     assert_eq!(Some(code.title()), code.status().canonical_reason());
    /// }
    /// ```
    pub const fn title(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "Bad Request",
            ErrorCode::Unauthorized
            | ErrorCode::InvalidToken
            | ErrorCode::InvalidCredentials
            | ErrorCode::TokenExpired
            | ErrorCode::InvalidDpopProof
            | ErrorCode::UseDpopNonce
            | ErrorCode::InsufficientUserAuthentication => "Unauthorized",
            ErrorCode::InsufficientScope | ErrorCode::CrossSiteRequest | ErrorCode::Forbidden => {
                "Forbidden"
            }
            ErrorCode::TooManyRequests => "Too Many Requests",
            ErrorCode::TemporarilyUnavailable => "Service Unavailable",
            ErrorCode::ServerError => "Internal Server Error",
        }
    }

    /// The problem body's `detail`: one fixed sentence per code, never built from the request.
    ///
    /// ```
    /// use auth_core::ErrorCode;
    /// assert_eq!(ErrorCode::InvalidToken.detail(), "The access token is invalid.");
    /// ```
    pub const fn detail(self) -> &'static str {
        match self {
            ErrorCode::Unauthorized => "Authentication is required to access this resource.",
            ErrorCode::InvalidRequest => "The request's credentials are malformed.",
            ErrorCode::InvalidToken => "The access token is invalid.",
            ErrorCode::InvalidCredentials => "The credentials are invalid.",
            ErrorCode::TokenExpired => "The access token expired.",
            ErrorCode::InsufficientScope => {
                "The access token does not grant the scope this resource requires."
            }
            ErrorCode::CrossSiteRequest => {
                "Cookie credentials are not accepted on a request from another site."
            }
            ErrorCode::TooManyRequests => "Too many failed authentication attempts; retry later.",
            ErrorCode::TemporarilyUnavailable => {
                "Authentication is temporarily unavailable; retry later."
            }
            ErrorCode::ServerError => "The server could not process the authentication.",
            ErrorCode::InvalidDpopProof => "The DPoP proof is invalid.",
            ErrorCode::UseDpopNonce => "The resource requires a DPoP proof with its nonce.",
            ErrorCode::InsufficientUserAuthentication => {
                "The authentication behind the access token is not sufficient for this resource."
            }
            ErrorCode::Forbidden => "The resource's access policy does not allow this request.",
        }
    }

    /// The `error` auth-param of a Bearer challenge (RFC 6750 §3.1, RFC 9470 §3), if the code
    /// has one.
    ///
    /// ```
    /// use auth_core::ErrorCode;
    /// assert_eq!(ErrorCode::TokenExpired.bearer_error(), Some("invalid_token"));
    /// assert_eq!(ErrorCode::InvalidCredentials.bearer_error(), None);
    /// assert_eq!(ErrorCode::InvalidDpopProof.bearer_error(), None);
    /// ```
    pub const fn bearer_error(self) -> Option<&'static str> {
        match self {
            ErrorCode::InvalidRequest => Some("invalid_request"),
            ErrorCode::InvalidToken | ErrorCode::TokenExpired => Some("invalid_token"),
            ErrorCode::InsufficientScope => Some("insufficient_scope"),
            ErrorCode::InsufficientUserAuthentication => Some("insufficient_user_authentication"),
            _ => None,
        }
    }

    /// The `error` auth-param of a DPoP challenge (RFC 9449 §7.1, §12.2), if the code has one:
    /// the Bearer codes plus `invalid_dpop_proof` and `use_dpop_nonce`.
    ///
    /// ```
    /// use auth_core::ErrorCode;
    /// assert_eq!(ErrorCode::InvalidDpopProof.dpop_error(), Some("invalid_dpop_proof"));
    /// assert_eq!(ErrorCode::UseDpopNonce.dpop_error(), Some("use_dpop_nonce"));
    /// assert_eq!(ErrorCode::InvalidToken.dpop_error(), Some("invalid_token"));
    /// assert_eq!(ErrorCode::Unauthorized.dpop_error(), None);
    /// ```
    pub const fn dpop_error(self) -> Option<&'static str> {
        match self {
            ErrorCode::InvalidDpopProof => Some("invalid_dpop_proof"),
            ErrorCode::UseDpopNonce => Some("use_dpop_nonce"),
            other => other.bearer_error(),
        }
    }

    /// Whether a response with this code carries a `WWW-Authenticate` challenge.
    ///
    /// ```
    /// use auth_core::ErrorCode;
    /// assert!(ErrorCode::Unauthorized.has_challenge());
    /// assert!(!ErrorCode::TooManyRequests.has_challenge());
    /// assert!(!ErrorCode::Forbidden.has_challenge()); // a new token would not help
    /// ```
    pub const fn has_challenge(self) -> bool {
        matches!(
            self,
            ErrorCode::Unauthorized
                | ErrorCode::InvalidRequest
                | ErrorCode::InvalidToken
                | ErrorCode::InvalidCredentials
                | ErrorCode::TokenExpired
                | ErrorCode::InsufficientScope
                | ErrorCode::InvalidDpopProof
                | ErrorCode::UseDpopNonce
                | ErrorCode::InsufficientUserAuthentication
        )
    }

    /// The default `application/problem+json` body (RFC 9457), rendered once per process.
    ///
    /// ```
    /// use auth_core::ErrorCode;
    /// let body = ErrorCode::InvalidToken.problem_json();
    /// let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    /// assert_eq!(doc["status"], 401);
    /// assert_eq!(doc["error"], "invalid_token");
    /// ```
    pub fn problem_json(self) -> Bytes {
        static BODIES: OnceLock<Vec<Bytes>> = OnceLock::new();
        let bodies = BODIES.get_or_init(|| {
            ErrorCode::ALL
                .iter()
                .map(|code| {
                    // Members in the order of RFC 9457's examples and of `responses.md`.
                    #[derive(serde::Serialize)]
                    struct Document {
                        r#type: &'static str,
                        title: &'static str,
                        status: u16,
                        detail: &'static str,
                        error: &'static str,
                    }
                    let doc = Document {
                        r#type: "about:blank",
                        title: code.title(),
                        status: code.status().as_u16(),
                        detail: code.detail(),
                        error: code.as_str(),
                    };
                    serde_json::to_vec(&doc)
                        .map(Bytes::from)
                        .unwrap_or_default()
                })
                .collect()
        });
        let index = ErrorCode::ALL.iter().position(|c| *c == self);
        index
            .and_then(|i| bodies.get(i))
            .cloned()
            .unwrap_or_default()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a request was refused: for the audit log only, never for the wire.
///
/// ```
/// use auth_core::Reason;
/// assert_eq!(Reason::Expired.to_string(), "token expired");
/// assert_eq!(Reason::MalformedToken("two dots").to_string(), "malformed token: two dots");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// No `Authorization` field.
    NoCredentials,
    /// Credentials of a scheme the endpoint does not accept.
    OtherScheme,
    /// More than one `Authorization` field.
    DuplicateAuthorization,
    /// An `Authorization` field of an accepted scheme that breaks its syntax.
    MalformedCredentials(&'static str),
    /// A token over the configured size bound, refused before decoding.
    TokenTooLarge(usize),
    /// Not a JWS in compact serialization, or a header that does not parse.
    MalformedToken(&'static str),
    /// The header's `alg` is not the algorithm of any configured key.
    AlgorithmNotAllowed,
    /// The header names a critical extension (`crit`) this verifier does not implement.
    CriticalHeader,
    /// The header's `typ` is not the one required.
    WrongType,
    /// No configured key matches the header's `kid` and `alg`.
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// The token is revoked: by the verifier's revocation store (its id, or its subject's
    /// cut-off) or by the application's revocation hook.
    Revoked,
    /// The authorization server answered `active: false` to an introspection (RFC 7662 §2.2).
    Inactive,
    /// The revocation store's local view is older than its configured bound (its backend is
    /// unreachable): a revocation may be missing, so the token is refused with 503.
    RevocationStale,
    /// Unknown user or wrong password (deliberately one reason).
    WrongPassword,
    /// A Digest nonce older than its lifetime, in an answer otherwise right: the client is
    /// asked to retry with a fresh one (`stale=true`).
    StaleNonce,
    /// A Digest (`nonce`, `nc`) pair answered before: a replay.
    ReplayedNonce,
    /// No configured API key matches.
    UnknownApiKey,
    /// A claim is absent though required, or has the wrong JSON type.
    InvalidClaim(&'static str),
    /// `exp` + leeway is past.
    Expired,
    /// `nbf` - leeway is in the future.
    NotYetValid,
    /// `iat` - leeway is in the future: the token claims to be issued later than now.
    IssuedInFuture,
    /// The token is sender-constrained by a `cnf` claim (RFC 7800) whose binding this verifier
    /// cannot check: a DPoP key (`jkt`, RFC 9449 §7.2), a client certificate (`x5t#S256`,
    /// RFC 8705 §3), any other member, or a `cnf` that is not an object. It is never accepted
    /// as a bearer token.
    UnverifiableBinding(&'static str),
    /// A DPoP proof failed a check of RFC 9449 §4.3 (which one, in words fixed here).
    InvalidProof(&'static str),
    /// A DPoP proof whose (key, `jti`) was seen within the proof window: a replay.
    ReplayedProof,
    /// The resource requires a DPoP nonce and the proof carries none, or a stale or foreign one.
    MissingNonce,
    /// A sender-constrained token whose binding the request does not satisfy: a DPoP-bound
    /// token without a proof by its key, a certificate-bound one over a connection without its
    /// certificate, or a token presented with `DPoP` that is not DPoP-bound.
    BindingMismatch(&'static str),
    /// The token's `acr` is not one the endpoint accepts (RFC 9470).
    InsufficientAcr,
    /// The token's `auth_time` is missing or older than the endpoint's `max_age` (RFC 9470).
    AuthenticationTooOld,
    /// `iss` differs from the configured issuer.
    WrongIssuer,
    /// No `aud` entry equals the configured audience.
    WrongAudience,
    /// The token lacks a required scope.
    InsufficientScope,
    /// The principal lacks a required role (answered as `insufficient_scope`).
    InsufficientRole,
    /// The claims do not deserialize into the handler's `Claims<T>`.
    ClaimsShape,
    /// Too many failed attempts.
    Throttled,
    /// The verifier cannot decide now.
    Unavailable,
    /// No `AuthConfig` in the app's data.
    NoConfig,
    /// The endpoint requires schemes the application registered no verifier for.
    NoVerifier(String),
    /// A cookie-borne token on an unsafe method without the CSRF defence's proof.
    CrossSite(&'static str),
    /// Form-body tokens are enabled but no middleware read the body before the handler.
    FormBodyUnread,
    /// A realm or scope that cannot be written into a header.
    UnrenderableChallenge,
    /// The application policy of this name refused the request ([`mod@crate::policy`]).
    PolicyDenied(&'static str),
    /// The application policy of this name could not decide (its own words why are logged
    /// with the refusal).
    PolicyUndecided(&'static str),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoCredentials => f.write_str("no credentials"),
            Reason::OtherScheme => {
                f.write_str("credentials of a scheme the endpoint does not accept")
            }
            Reason::DuplicateAuthorization => f.write_str("more than one Authorization field"),
            Reason::MalformedCredentials(why) => write!(f, "malformed credentials: {why}"),
            Reason::TokenTooLarge(len) => write!(f, "token of {len} bytes exceeds the size bound"),
            Reason::MalformedToken(why) => write!(f, "malformed token: {why}"),
            Reason::AlgorithmNotAllowed => {
                f.write_str("alg is not the algorithm of any configured key")
            }
            Reason::CriticalHeader => f.write_str("crit names an unsupported extension"),
            Reason::WrongType => f.write_str("typ is not the required type"),
            Reason::UnknownKey => f.write_str("no configured key matches kid and alg"),
            Reason::BadSignature => f.write_str("signature does not verify"),
            Reason::WrongPassword => f.write_str("unknown user or wrong password"),
            Reason::StaleNonce => f.write_str("digest nonce expired"),
            Reason::ReplayedNonce => f.write_str("digest nonce and count seen before"),
            Reason::Revoked => f.write_str("token revoked"),
            Reason::Inactive => {
                f.write_str("the authorization server says the token is not active")
            }
            Reason::RevocationStale => f.write_str(
                "the revocation store's view is older than its bound (its backend unreachable)",
            ),
            Reason::UnknownApiKey => f.write_str("no configured API key matches"),
            Reason::InvalidClaim(name) => write!(f, "claim {name} is missing or of the wrong type"),
            Reason::Expired => f.write_str("token expired"),
            Reason::NotYetValid => f.write_str("token not yet valid (nbf)"),
            Reason::IssuedInFuture => {
                f.write_str("token issued in the future (iat past the leeway)")
            }
            Reason::UnverifiableBinding(what) => {
                write!(
                    f,
                    "token is sender-bound and the binding cannot be checked: {what}"
                )
            }
            Reason::InvalidProof(why) => write!(f, "invalid DPoP proof: {why}"),
            Reason::ReplayedProof => f.write_str("DPoP proof replayed (key and jti seen before)"),
            Reason::MissingNonce => f.write_str("DPoP proof without the server's current nonce"),
            Reason::BindingMismatch(why) => write!(f, "sender binding not satisfied: {why}"),
            Reason::InsufficientAcr => f.write_str("acr is not one the endpoint accepts"),
            Reason::AuthenticationTooOld => {
                f.write_str("auth_time is missing or older than the endpoint's max_age")
            }
            Reason::WrongIssuer => f.write_str("iss does not match the configured issuer"),
            Reason::WrongAudience => f.write_str("aud does not contain the configured audience"),
            Reason::InsufficientScope => f.write_str("token lacks a required scope"),
            Reason::InsufficientRole => f.write_str("principal lacks a required role"),
            Reason::ClaimsShape => f.write_str("claims do not fit the handler's Claims<T> type"),
            Reason::Throttled => f.write_str("too many failed attempts"),
            Reason::Unavailable => f.write_str("verifier unavailable"),
            Reason::NoConfig => f.write_str(
                "no AuthConfig registered: add App::app_data(auth_config) to the application",
            ),
            Reason::NoVerifier(schemes) => write!(
                f,
                "the endpoint requires {schemes} but the AuthConfig registers no verifier for it"
            ),
            Reason::CrossSite(why) => write!(f, "cross-site request refused: {why}"),
            Reason::FormBodyUnread => f.write_str(
                "form-body tokens are enabled but the body was not read: wrap the route with \
                 RequireAuth or ReadFormToken",
            ),
            Reason::UnrenderableChallenge => {
                f.write_str("realm or scope cannot be written into WWW-Authenticate")
            }
            Reason::PolicyDenied(policy) => write!(f, "policy {policy} denied the request"),
            Reason::PolicyUndecided(policy) => write!(f, "policy {policy} could not decide"),
        }
    }
}

/// The public face handed to a body hook: what the default body would say.
///
/// ```
/// use auth_core::{ErrorCode, Problem};
/// let code = ErrorCode::InsufficientScope;
/// let (title, detail) = (code.title(), code.detail());
/// let problem = Problem { status: code.status(), code, title, detail };
/// assert_eq!(problem.status, 403);
/// assert_eq!(problem.title, "Forbidden");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The response status (fixed by the framework).
    pub status: StatusCode,
    /// The error code (`invalid_token`, …).
    pub code: ErrorCode,
    /// The status's reason phrase.
    pub title: &'static str,
    /// The fixed sentence of the default body.
    pub detail: &'static str,
}

/// A body that replaces the default problem document.
///
/// ```
/// use actix_web::http::header::HeaderValue;
/// use auth_core::CustomBody;
/// let custom = CustomBody {
///     content_type: HeaderValue::from_static("text/plain"),
///     body: "denied".into(),
/// };
/// assert_eq!(custom.content_type, "text/plain");
/// assert_eq!(custom.body, "denied");
/// ```
#[derive(Clone, Debug)]
pub struct CustomBody {
    /// The `Content-Type` of the body.
    pub content_type: HeaderValue,
    /// The bytes.
    pub body: Bytes,
}

/// The application's body hook: it chooses the body, never the status or the challenge.
///
/// ```
/// use std::sync::Arc;
/// use actix_web::http::header::HeaderValue;
/// use auth_core::{BodyHook, CustomBody, ErrorCode, Problem};
/// let hook: BodyHook = Arc::new(|p: &Problem| CustomBody {
///     content_type: HeaderValue::from_static("text/plain"),
///     body: p.code.as_str().to_owned().into(),
/// });
/// let code = ErrorCode::InvalidToken;
/// let (title, detail) = (code.title(), code.detail());
/// let problem = Problem { status: code.status(), code, title, detail };
/// assert_eq!(hook(&problem).body, "invalid_token");
/// ```
pub type BodyHook = Arc<dyn Fn(&Problem) -> CustomBody + Send + Sync>;

/// A refusal: what `#[require_auth]` and every extractor of this crate return as their error.
///
/// It implements [`ResponseError`], so actix answers with the contract's status,
/// `WWW-Authenticate`, `Cache-Control: no-store` and problem body. Its [`Debug`] and
/// [`Display`](fmt::Display) show the public code only; [`Rejection::reason`] holds the cause.
///
/// ```
/// use actix_web::{http::header, ResponseError};
/// use auth_core::{ErrorCode, Reason, Rejection};
/// let rejection = Rejection::new(ErrorCode::InvalidToken, Reason::BadSignature);
/// let res = rejection.error_response();
/// assert_eq!(res.status(), 401);
/// assert_eq!(res.headers().get(header::CACHE_CONTROL).unwrap(), "no-store");
/// assert_eq!(res.headers().get(header::CONTENT_TYPE).unwrap(), "application/problem+json");
/// assert_eq!(rejection.to_string(), "invalid_token"); // the reason stays internal
/// ```
#[derive(Clone)]
pub struct Rejection {
    code: ErrorCode,
    reason: Reason,
    challenges: Vec<HeaderValue>,
    retry_after: Option<u32>,
    dpop_nonce: Option<HeaderValue>,
    body_hook: Option<BodyHook>,
}

impl Rejection {
    /// A refusal with no challenge; [`Rejection::with_challenge`] adds one.
    ///
    /// ```
    /// use auth_core::{ErrorCode, Reason, Rejection};
    /// let rejection = Rejection::new(ErrorCode::Unauthorized, Reason::NoCredentials);
    /// assert_eq!(rejection.code(), ErrorCode::Unauthorized);
    /// assert!(rejection.challenges().is_empty());
    /// ```
    pub fn new(code: ErrorCode, reason: Reason) -> Self {
        Rejection {
            code,
            reason,
            challenges: Vec::new(),
            retry_after: None,
            dpop_nonce: None,
            body_hook: None,
        }
    }

    /// Adds a `WWW-Authenticate` field (one per challenge).
    ///
    /// ```
    /// use actix_web::http::header::{self, HeaderValue};
    /// use actix_web::ResponseError;
    /// use auth_core::{ErrorCode, Reason, Rejection};
    /// let res = Rejection::new(ErrorCode::Unauthorized, Reason::NoCredentials)
    ///     .with_challenge(HeaderValue::from_static(r#"Bearer realm="api""#))
    ///     .with_challenge(HeaderValue::from_static(r#"Basic realm="api", charset="UTF-8""#))
    ///     .error_response();
    /// assert_eq!(res.headers().get_all(header::WWW_AUTHENTICATE).count(), 2);
    /// ```
    pub fn with_challenge(mut self, challenge: HeaderValue) -> Self {
        self.challenges.push(challenge);
        self
    }

    /// Sets `Retry-After` (seconds), for 429 and 503.
    ///
    /// ```
    /// use actix_web::{http::header, ResponseError};
    /// use auth_core::{ErrorCode, Reason, Rejection};
    /// let res = Rejection::new(ErrorCode::TooManyRequests, Reason::Throttled)
    ///     .with_retry_after(30)
    ///     .error_response();
    /// assert_eq!(res.status(), 429);
    /// assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "30");
    /// ```
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Sets the `DPoP-Nonce` field (RFC 9449 §9): the nonce the client's next proof must
    /// carry.
    ///
    /// ```
    /// use actix_web::http::header::HeaderValue;
    /// use actix_web::ResponseError;
    /// use auth_core::{ErrorCode, Reason, Rejection};
    /// let res = Rejection::new(ErrorCode::UseDpopNonce, Reason::MissingNonce)
    ///     .with_dpop_nonce(HeaderValue::from_static("eyJ7S_zG.eyJH0-Z.HX4w-7v"))
    ///     .error_response();
    /// assert_eq!(res.headers().get("dpop-nonce").unwrap(), "eyJ7S_zG.eyJH0-Z.HX4w-7v");
    /// ```
    pub fn with_dpop_nonce(mut self, nonce: HeaderValue) -> Self {
        self.dpop_nonce = Some(nonce);
        self
    }

    pub(crate) fn with_body_hook(mut self, hook: Option<BodyHook>) -> Self {
        self.body_hook = hook;
        self
    }

    /// The public code.
    ///
    /// ```
    /// use auth_core::{ErrorCode, Reason, Rejection};
    /// let rejection = Rejection::new(ErrorCode::TokenExpired, Reason::Expired);
    /// assert_eq!(rejection.code(), ErrorCode::TokenExpired);
    /// assert_eq!(rejection.code().status(), 401);
    /// ```
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The internal cause (for logs; never sent).
    ///
    /// ```
    /// use auth_core::{ErrorCode, Reason, Rejection};
    /// let rejection = Rejection::new(ErrorCode::InvalidToken, Reason::WrongAudience);
    /// assert_eq!(rejection.reason(), &Reason::WrongAudience);
    /// assert_eq!(rejection.to_string(), "invalid_token");
    /// ```
    pub fn reason(&self) -> &Reason {
        &self.reason
    }

    /// The `WWW-Authenticate` fields, one per challenge.
    ///
    /// ```
    /// use actix_web::http::header::HeaderValue;
    /// use auth_core::{ErrorCode, Reason, Rejection};
    /// let rejection = Rejection::new(ErrorCode::Unauthorized, Reason::NoCredentials)
    ///     .with_challenge(HeaderValue::from_static(r#"Bearer realm="api""#));
    /// assert_eq!(rejection.challenges().len(), 1);
    /// assert_eq!(rejection.challenges()[0], r#"Bearer realm="api""#);
    /// ```
    pub fn challenges(&self) -> &[HeaderValue] {
        &self.challenges
    }
}

impl fmt::Debug for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rejection")
            .field("code", &self.code)
            .field("reason", &self.reason)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())
    }
}

impl std::error::Error for Rejection {}

impl ResponseError for Rejection {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.code.status());
        for challenge in &self.challenges {
            res.append_header((header::WWW_AUTHENTICATE, challenge.clone()));
        }
        if let Some(seconds) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, seconds));
        }
        if let Some(nonce) = &self.dpop_nonce {
            res.insert_header(("dpop-nonce", nonce.clone()));
        }
        res.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        match &self.body_hook {
            Some(hook) => {
                let problem = Problem {
                    status: self.code.status(),
                    code: self.code,
                    title: self.code.title(),
                    detail: self.code.detail(),
                };
                let custom = hook(&problem);
                res.insert_header((header::CONTENT_TYPE, custom.content_type));
                res.body(custom.body)
            }
            None => {
                res.insert_header((
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/problem+json"),
                ));
                res.body(self.code.problem_json())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody as _;

    #[test]
    fn every_code_renders_its_row() {
        for code in ErrorCode::ALL {
            let mut rejection = Rejection::new(code, Reason::Unavailable);
            if matches!(
                code,
                ErrorCode::TooManyRequests | ErrorCode::TemporarilyUnavailable
            ) {
                rejection = rejection.with_retry_after(30);
            }
            let res = rejection.error_response();
            assert_eq!(res.status(), code.status());
            assert_eq!(
                res.headers().get(header::CACHE_CONTROL).unwrap(),
                "no-store"
            );
            let retry = res
                .headers()
                .get(header::RETRY_AFTER)
                .map(|v| v.to_str().unwrap().to_owned());
            let expect_retry = matches!(
                code,
                ErrorCode::TooManyRequests | ErrorCode::TemporarilyUnavailable
            );
            assert_eq!(retry.as_deref(), expect_retry.then_some("30"));
            let body = res.into_body().try_into_bytes().unwrap();
            let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(doc["status"], code.status().as_u16());
            assert_eq!(doc["error"], code.as_str());
            assert_eq!(doc["title"], code.status().canonical_reason().unwrap());
            assert_eq!(doc["type"], "about:blank");
            let text = String::from_utf8(body.to_vec()).unwrap();
            assert!(
                text.starts_with(r#"{"type":"about:blank","title":""#),
                "{text}"
            );
        }
        assert_eq!(
            ErrorCode::InvalidToken.problem_json(),
            r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The access token is invalid.","error":"invalid_token"}"#
        );
    }
}
