//! Cookie sessions for browser apps: log in with Basic credentials, get the access token in an
//! HttpOnly cookie the page's JavaScript never sees, refresh it before or after it expires, log
//! out.
//!
//! | route | what it does |
//! |---|---|
//! | `POST /auth/login` | Basic credentials (`#[require_auth(scheme = "basic")]`) → `204`, sets the access cookie (`Path=/`) and the refresh cookie (`Path=/auth`) |
//! | `POST /auth/refresh` | the refresh cookie (and the CSRF defence's proof) → `204`, both cookies replaced |
//! | `POST /auth/logout` | `204`, both cookies cleared |
//!
//! Both cookies are `HttpOnly; SameSite=Lax`, and `Secure` unless the service is reached on a
//! loopback host (`localhost`, `127.0.0.1`, `[::1]`: development): a TLS-terminating proxy that
//! does not say so must not strip `Secure`. In production, prefer the `__Host-` name prefix
//! (`__Host-orders_access`): it stops a sibling subdomain from planting a cookie of the same
//! name (`Domain=example.com`), which duplicate detection answers with 400 but cannot undo.
//! `SameSite=Lax` serves an app on a sibling origin of the same site (`app.example.com` calling
//! `api.example.com`); an app on another *site* needs `SameSite=None; Secure` cookies, which the
//! framework's CSRF defence then protects.
//!
//! Refresh tokens are JWTs signed with a key derived from the service secret
//! (`HMAC-SHA256(secret, "orders refresh tokens")`) and an audience of their own, so a refresh
//! token is never accepted as an access token, nor the reverse. Each refresh token carries the
//! time of the login (`auth_time`) and refreshing never extends a session past
//! [`SESSION_MAX`] after it. The rotation is stateless: an older refresh token stays valid
//! until it expires, and logout clears the cookies without revoking what was issued. A
//! production service would keep refresh-token families server-side to detect reuse and
//! revoke on logout; this example shows the transport.
//!
//! Sessions exist only when the service signs tokens itself (`AUTH_JWT_SECRET` or the
//! development key); with a JWKS or OpenID provider, the provider issues tokens.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, post, web};
use auth_core::{
    Algorithm, AuthConfig, ErrorCode, JwtKey, JwtVerifier, Principal, Reason, Rejection,
    require_auth,
};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use crate::orders::{REALM, Settings};

/// The access-token cookie (read by the framework: `AuthConfigBuilder::token_cookie`).
pub const ACCESS_COOKIE: &str = "orders_access";
/// The refresh-token cookie, sent only to `/auth`.
pub const REFRESH_COOKIE: &str = "orders_refresh";
/// The scopes a browser session gets.
pub const SESSION_SCOPES: &str = "orders:read orders:write";
/// How long a refresh token lives.
pub const REFRESH_TTL: i64 = 8 * 3600;
/// How long a session lives after the login, however often it is refreshed.
pub const SESSION_MAX: i64 = 24 * 3600;
const REFRESH_AUDIENCE: &str = "orders-refresh";
const REFRESH_KEY_LABEL: &[u8] = b"orders refresh tokens";

/// What minting and checking session tokens needs.
#[derive(Clone)]
pub struct Sessions {
    settings: Settings,
    refresh_key: EncodingKey,
    refresh_verifier: JwtVerifier,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

impl Sessions {
    /// Sessions for a service that signs its own tokens; `None` with a JWKS or OpenID provider.
    pub fn new(settings: &Settings) -> Result<Option<Sessions>, String> {
        if settings.jwks_url.is_some() || settings.oidc_issuer.is_some() {
            return Ok(None);
        }
        // HMAC-SHA256(secret, label): a key of its own for refresh tokens.
        let derived = jsonwebtoken::crypto::sign(
            REFRESH_KEY_LABEL,
            &EncodingKey::from_secret(&settings.secret),
            Algorithm::HS256,
        )
        .map_err(|e| format!("refresh key: {e}"))?;
        let refresh_secret = derived.into_bytes();
        let refresh_verifier = JwtVerifier::builder()
            .key(JwtKey::hmac(Algorithm::HS256, &refresh_secret).map_err(|e| e.to_string())?)
            .audience(REFRESH_AUDIENCE)
            .leeway(std::time::Duration::ZERO)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Some(Sessions {
            settings: settings.clone(),
            refresh_key: EncodingKey::from_secret(&refresh_secret),
            refresh_verifier,
        }))
    }

    fn refresh_token(&self, subject: &str, auth_time: i64) -> Option<String> {
        let now = now()?;
        let exp = (now + REFRESH_TTL).min(auth_time + SESSION_MAX);
        let claims = json!({
            "sub": subject, "aud": REFRESH_AUDIENCE, "iat": now, "exp": exp, "auth_time": auth_time,
        });
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.refresh_key).ok()
    }

    /// `204` with a fresh access cookie and refresh cookie for `subject`, logged in at
    /// `auth_time`.
    fn issue(&self, req: &HttpRequest, subject: &str, auth_time: i64) -> HttpResponse {
        let ttl = self.settings.access_ttl;
        let (Some(access), Some(refresh_token)) = (
            self.settings.mint(subject, SESSION_SCOPES, ttl),
            self.refresh_token(subject, auth_time),
        ) else {
            tracing::error!("could not mint session tokens");
            return HttpResponse::InternalServerError().finish();
        };
        let secure = !is_loopback_host(req.connection_info().host());
        HttpResponse::NoContent()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            // The cookie outlives the token inside it: the browser keeps sending it after the
            // token expires, so the answer is `token_expired` (refresh) rather than a bare 401.
            .append_header(cookie(ACCESS_COOKIE, &access, "/", REFRESH_TTL, secure))
            .append_header(cookie(
                REFRESH_COOKIE,
                &refresh_token,
                "/auth",
                REFRESH_TTL,
                secure,
            ))
            .finish()
    }
}

fn now() -> Option<i64> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
}

/// Whether `host` (with or without a port) is a loopback name, where browsers accept cookies
/// without `Secure` over plain HTTP in development.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

/// One `Set-Cookie` field.
fn cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
    secure: bool,
) -> (header::HeaderName, String) {
    let secure = if secure { "; Secure" } else { "" };
    (
        header::SET_COOKIE,
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"),
    )
}

/// `POST /auth/login`: Basic credentials of a user in the htpasswd file.
#[require_auth(scheme = "basic", realm = "orders-login")]
#[post("/auth/login")]
async fn login(req: HttpRequest, user: Principal, sessions: web::Data<Sessions>) -> HttpResponse {
    match now() {
        Some(now) => sessions.issue(&req, user.subject().unwrap_or_default(), now),
        None => HttpResponse::InternalServerError().finish(),
    }
}

/// `POST /auth/refresh`: a valid refresh cookie, with the same CSRF proof as cookie tokens.
#[post("/auth/refresh")]
async fn refresh(req: HttpRequest, sessions: web::Data<Sessions>) -> HttpResponse {
    if let Some(refusal) = csrf_refusal(&req) {
        return refusal;
    }
    let token = match auth_core::transport::cookie(&req, REFRESH_COOKIE) {
        Ok(Some(token)) => token,
        Ok(None) => return refused(ErrorCode::Unauthorized, Reason::NoCredentials),
        Err(why) => {
            return refused(ErrorCode::InvalidRequest, Reason::MalformedCredentials(why));
        }
    };
    let verified = sessions
        .refresh_verifier
        .verify(token)
        .and_then(|principal| {
            let auth_time = principal
                .claim("auth_time")
                .and_then(serde_json::Value::as_i64)
                .ok_or(Reason::InvalidClaim("auth_time"))?;
            Ok((principal, auth_time))
        });
    match verified {
        Ok((principal, auth_time)) => {
            sessions.issue(&req, principal.subject().unwrap_or_default(), auth_time)
        }
        Err(reason) => {
            tracing::warn!(target: "auth", %reason, "refresh token refused");
            refused(ErrorCode::InvalidToken, reason)
        }
    }
}

/// A refusal of the session endpoints, worded like the framework's (the challenge names the
/// service's realm; the refresh cookie is a bearer credential of sorts).
fn refused(code: ErrorCode, reason: Reason) -> HttpResponse {
    let mut res = Rejection::new(code, reason).error_response();
    let challenge = match code.bearer_error() {
        Some(error) => format!("Bearer realm=\"{REALM}\", error=\"{error}\""),
        None => format!("Bearer realm=\"{REALM}\""),
    };
    if code.has_challenge()
        && let Ok(value) = HeaderValue::try_from(challenge)
    {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    res
}

/// The refusal of the framework's CSRF defence for the session cookies, if any; a missing
/// configuration fails closed.
fn csrf_refusal(req: &HttpRequest) -> Option<HttpResponse> {
    let Some(config) = req.app_data::<AuthConfig>() else {
        tracing::error!(target: "auth", "no AuthConfig registered: session endpoints refuse");
        return Some(HttpResponse::InternalServerError().finish());
    };
    let why = config.csrf().check(req).err()?;
    tracing::warn!(target: "auth", why, "session request refused");
    Some(refused(ErrorCode::CrossSiteRequest, Reason::CrossSite(why)))
}

/// `POST /auth/logout`: clears both cookies.
#[post("/auth/logout")]
async fn logout(req: HttpRequest) -> HttpResponse {
    // Another site must not be able to log the visitor out either.
    if let Some(refusal) = csrf_refusal(&req) {
        return refusal;
    }
    HttpResponse::NoContent()
        .append_header(cookie(ACCESS_COOKIE, "", "/", 0, false))
        .append_header(cookie(REFRESH_COOKIE, "", "/auth", 0, false))
        .finish()
}

/// Registers the session routes (only where the service signs its own tokens).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}
