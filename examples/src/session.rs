//! Cookie sessions for browser apps: log in with Basic credentials, get the access token in an
//! HttpOnly cookie the page's JavaScript never sees, refresh it before or after it expires, log
//! out.
//!
//! | route | what it does |
//! |---|---|
//! | `POST /auth/login` | Basic credentials (`#[require_auth(scheme = "basic")]`) and the CSRF defence's proof → `204`, sets the access cookie (`Path=/`) and the refresh cookie (`Path=/auth`) |
//! | `POST /auth/refresh` | the refresh cookie and the CSRF defence's proof → `204`, both cookies replaced |
//! | `POST /auth/logout` | the CSRF defence's proof → `204`, both cookies cleared |
//!
//! Every session endpoint needs the proof of the framework's CSRF defence
//! ([`CsrfDefence`](auth_core::transport::CsrfDefence): `Sec-Fetch-Site: same-origin`, or an
//! `Origin` that is the service's own or trusted; a non-browser client sends the service's own
//! `Origin`), otherwise `403 cross_site_request`. Login too: a browser attaches the Basic
//! credentials it has cached to a form another site posts, and that site must not log the
//! visitor into a session (login CSRF). The login check runs before the credentials are
//! verified, so a forged login costs no password hash and counts no failure.
//!
//! Both cookies are `HttpOnly; SameSite=Lax; Secure`. `Secure` is a setting of the service,
//! never read from a request (a TLS-terminating proxy may forward any `Host`, loopback
//! included): it is dropped only by [`Settings::insecure_cookies`] (`AUTH_INSECURE_COOKIES=1`,
//! or the embedded development defaults on loopback), for development over plain HTTP, with a
//! warning at start-up. In production, prefer the `__Host-` name prefix
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

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError as _, post, web};
use auth_core::{
    Algorithm, AuthConfig, ErrorCode, JwtKey, JwtVerifier, Principal, Reason, Requirement, Scheme,
    SchemeSet, require_auth,
};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::json;

use crate::orders::Settings;

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
        if settings.insecure_cookies {
            tracing::warn!(
                target: "auth",
                "session cookies are sent without Secure (AUTH_INSECURE_COOKIES): development \
                 over plain HTTP only"
            );
        }
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
    fn issue(&self, subject: &str, auth_time: i64) -> HttpResponse {
        let ttl = self.settings.access_ttl;
        let (Some(access), Some(refresh_token)) = (
            self.settings.mint(subject, SESSION_SCOPES, ttl),
            self.refresh_token(subject, auth_time),
        ) else {
            tracing::error!("could not mint session tokens");
            return HttpResponse::InternalServerError().finish();
        };
        let secure = self.secure();
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

    /// Whether the cookies carry `Secure`: a setting, never a request header.
    fn secure(&self) -> bool {
        !self.settings.insecure_cookies
    }
}

fn now() -> Option<i64> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(secs).ok()
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

/// `POST /auth/login`: Basic credentials of a user in the htpasswd file, from a request that
/// passes the CSRF defence ([`login_csrf`], which runs before the credentials are checked).
#[require_auth(scheme = "basic", realm = "orders-login")]
#[post("/auth/login", wrap = "actix_web::middleware::from_fn(login_csrf)")]
async fn login(user: Principal, sessions: web::Data<Sessions>) -> HttpResponse {
    match now() {
        Some(now) => sessions.issue(user.subject().unwrap_or_default(), now),
        None => HttpResponse::InternalServerError().finish(),
    }
}

/// The CSRF defence of `POST /auth/login`, as a middleware so that it answers before the
/// handler's Basic guard: a cross-site login is refused whatever its credentials, without
/// hashing a password or counting a failure against the visitor.
async fn login_csrf(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(refusal) = csrf_refusal(req.request()) {
        return Ok(req.into_response(refusal).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// `POST /auth/refresh`: a valid refresh cookie, with the same CSRF proof as cookie tokens.
#[post("/auth/refresh")]
async fn refresh(req: HttpRequest, sessions: web::Data<Sessions>) -> HttpResponse {
    if let Some(refusal) = csrf_refusal(&req) {
        return refusal;
    }
    let token = match auth_core::transport::cookie(&req, REFRESH_COOKIE) {
        Ok(Some(token)) => token,
        Ok(None) => return refused(&req, ErrorCode::Unauthorized, Reason::NoCredentials),
        Err(why) => {
            return refused(
                &req,
                ErrorCode::InvalidRequest,
                Reason::MalformedCredentials(why),
            );
        }
    };
    let verified = sessions
        .refresh_verifier
        .verify(token)
        .await
        .and_then(|principal| {
            let auth_time = principal
                .claim("auth_time")
                .and_then(serde_json::Value::as_i64)
                .ok_or(Reason::InvalidClaim("auth_time"))?;
            Ok((principal, auth_time))
        });
    match verified {
        Ok((principal, auth_time)) => {
            sessions.issue(principal.subject().unwrap_or_default(), auth_time)
        }
        Err(reason) => refused(&req, ErrorCode::InvalidToken, reason),
    }
}

/// What the session endpoints require: a bearer credential of sorts (the refresh cookie), so
/// their refusals carry the `Bearer` challenge in the service's realm.
static SESSION: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer));

/// A refusal of the session endpoints, made by the framework: the same status, challenge,
/// body (or the application's body hook) and audit event as its own.
fn refused(req: &HttpRequest, code: ErrorCode, reason: Reason) -> HttpResponse {
    auth_core::refuse(req, &SESSION, code, reason).error_response()
}

/// The refusal of the framework's CSRF defence for the session cookies, if any; a missing
/// configuration fails closed.
fn csrf_refusal(req: &HttpRequest) -> Option<HttpResponse> {
    let Some(config) = req.app_data::<AuthConfig>() else {
        tracing::error!(target: "auth", "no AuthConfig registered: session endpoints refuse");
        return Some(HttpResponse::InternalServerError().finish());
    };
    let why = config.csrf().check(req).err()?;
    Some(refused(
        req,
        ErrorCode::CrossSiteRequest,
        Reason::CrossSite(why),
    ))
}

/// `POST /auth/logout`: clears both cookies (with the attributes they were set with).
#[post("/auth/logout")]
async fn logout(req: HttpRequest, sessions: web::Data<Sessions>) -> HttpResponse {
    // Another site must not be able to log the visitor out either.
    if let Some(refusal) = csrf_refusal(&req) {
        return refusal;
    }
    let secure = sessions.secure();
    HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .append_header(cookie(ACCESS_COOKIE, "", "/", 0, secure))
        .append_header(cookie(REFRESH_COOKIE, "", "/auth", 0, secure))
        .finish()
}

/// Registers the session routes (only where the service signs its own tokens).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}
