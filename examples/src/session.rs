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
//! Both cookies are `HttpOnly; SameSite=Lax`, and `Secure` when the request came over HTTPS.
//! `SameSite=Lax` serves an app on a sibling origin of the same site (`app.example.com` calling
//! `api.example.com`); an app on another *site* needs `SameSite=None; Secure` cookies, which the
//! framework's CSRF defence then protects.
//!
//! Refresh tokens are JWTs signed with a key derived from the service secret
//! (`HMAC-SHA256(secret, "orders refresh tokens")`) and an audience of their own, so a refresh
//! token is never accepted as an access token, nor the reverse. The rotation is stateless: an
//! older refresh token stays valid until it expires. A production service would keep refresh
//! token families server-side to detect reuse; this example shows the transport.
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

use crate::orders::Settings;

/// The access-token cookie (read by the framework: `AuthConfigBuilder::token_cookie`).
pub const ACCESS_COOKIE: &str = "orders_access";
/// The refresh-token cookie, sent only to `/auth`.
pub const REFRESH_COOKIE: &str = "orders_refresh";
/// The scopes a browser session gets.
pub const SESSION_SCOPES: &str = "orders:read orders:write";
/// How long a refresh token lives.
pub const REFRESH_TTL: i64 = 8 * 3600;
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

    fn refresh_token(&self, subject: &str) -> Option<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        let claims = json!({
            "sub": subject, "aud": REFRESH_AUDIENCE, "iat": now, "exp": now + REFRESH_TTL,
        });
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.refresh_key).ok()
    }

    /// `204` with a fresh access cookie and refresh cookie for `subject`.
    fn issue(&self, req: &HttpRequest, subject: &str) -> HttpResponse {
        let ttl = self.settings.access_ttl;
        let (Some(access), Some(refresh_token)) = (
            self.settings.mint(subject, SESSION_SCOPES, ttl),
            self.refresh_token(subject),
        ) else {
            tracing::error!("could not mint session tokens");
            return HttpResponse::InternalServerError().finish();
        };
        let secure = req.connection_info().scheme() == "https";
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
    sessions.issue(&req, user.subject().unwrap_or_default())
}

/// `POST /auth/refresh`: a valid refresh cookie, with the same CSRF proof as cookie tokens.
#[post("/auth/refresh")]
async fn refresh(req: HttpRequest, sessions: web::Data<Sessions>) -> HttpResponse {
    let refused = |code, reason| {
        let challenge = HeaderValue::from_static("Bearer realm=\"orders\"");
        let mut res = Rejection::new(code, reason).error_response();
        if code.has_challenge() {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        res
    };
    if let Some(config) = req.app_data::<AuthConfig>()
        && let Err(why) = config.csrf().check(&req)
    {
        tracing::warn!(target: "auth", why, "refresh refused");
        return refused(ErrorCode::CrossSiteRequest, Reason::CrossSite(why));
    }
    let token = req.cookie_value(REFRESH_COOKIE);
    let Some(token) = token else {
        return refused(ErrorCode::Unauthorized, Reason::NoCredentials);
    };
    match sessions.refresh_verifier.verify(&token) {
        Ok(principal) => sessions.issue(&req, principal.subject().unwrap_or_default()),
        Err(reason) => {
            tracing::warn!(target: "auth", %reason, "refresh token refused");
            refused(ErrorCode::InvalidToken, reason)
        }
    }
}

/// `POST /auth/logout`: clears both cookies.
#[post("/auth/logout")]
async fn logout() -> HttpResponse {
    HttpResponse::NoContent()
        .append_header(cookie(ACCESS_COOKIE, "", "/", 0, false))
        .append_header(cookie(REFRESH_COOKIE, "", "/auth", 0, false))
        .finish()
}

/// Reading one cookie's value off a request.
trait CookieValue {
    fn cookie_value(&self, name: &str) -> Option<String>;
}

impl CookieValue for HttpRequest {
    fn cookie_value(&self, name: &str) -> Option<String> {
        self.headers()
            .get_all(header::COOKIE)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }
}

/// Registers the session routes (only where the service signs its own tokens).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}
