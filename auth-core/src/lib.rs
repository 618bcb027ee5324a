//! Standards-exact authentication and authorization for actix-web.
//!
//! One attribute protects a handler; every refusal is the response RFC 9110, RFC 6750 and
//! RFC 9457 call for, with fixed wording that leaks nothing:
//!
//! ```no_run
//! use actix_web::{get, App, HttpServer, Responder};
//! use auth_core::{require_auth, Algorithm, AuthConfig, JwtKey, JwtVerifier, Principal};
//!
//! #[require_auth(scheme = "bearer", scope = "orders:read")]
//! #[get("/orders")]
//! async fn list_orders(user: Principal) -> impl Responder {
//!     format!("orders of {}", user.subject().unwrap_or("?"))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let secret = std::env::var("AUTH_JWT_SECRET").expect("AUTH_JWT_SECRET");
//!     let auth = AuthConfig::builder()
//!         .realm("orders")
//!         .bearer(
//!             JwtVerifier::builder()
//!                 .key(JwtKey::hmac(Algorithm::HS256, secret.as_bytes()).expect("a strong secret"))
//!                 .issuer("https://id.example.com")
//!                 .audience("orders-api")
//!                 .build()
//!                 .expect("verifier"),
//!         )
//!         .build()
//!         .expect("auth config");
//!     HttpServer::new(move || App::new().app_data(auth.clone()).service(list_orders))
//!         .bind(("127.0.0.1", 8080))?
//!         .run()
//!         .await
//! }
//! ```
//!
//! | request | answer |
//! |---|---|
//! | no credentials, or another scheme's | 401, `WWW-Authenticate: Bearer realm="orders"` |
//! | malformed or duplicated credentials | 400, `error="invalid_request"` |
//! | a token failing any check | 401, `error="invalid_token"` |
//! | an expired token | 401, `error="invalid_token", error_description="The access token expired"` |
//! | a valid token lacking a scope | 403, `error="insufficient_scope", scope="orders:read"` |
//! | no verifier registered for the scheme | 500, logged loudly |
//!
//! Every refusal has `Cache-Control: no-store` and an `application/problem+json` body, and is
//! logged through `tracing` (target `auth`) with its internal [`Reason`].
//!
//! The flow, one module per step: [`credentials`] → [`verify`] → [`Requirement`] →
//! [`Principal`] or [`Rejection`].
//!
//! # Features
//!
//! Pay only for what you use: the dependencies of what an application may not need are
//! optional.
//!
//! | feature | default | enables | pulls in |
//! |---|---|---|---|
//! | `jwks` | on | [`KeySet`]: keys fetched from a JWKS URL or by OpenID Connect discovery, refreshed in the background ([`JwtVerifierBuilder::key_set`]) | `reqwest` (rustls), `tokio`, `arc-swap` |
//! | `htpasswd` | off | [`Htpasswd`]: Basic users from Apache `htpasswd` files (bcrypt, Argon2; legacy formats on request) | `bcrypt`, `argon2`, `sha1`, `md-5` |
//! | `openapi` | off | [`openapi`]: security schemes for `utoipa` documents | `utoipa` |
//! | `testing` | off | [`testing`]: token minting and response assertions for an application's own tests | nothing |
//!
//! With `default-features = false` the rest is all there: Bearer JWTs with static [`JwtKey`]s
//! (HMAC secrets, PEM keys, JWK and JWKS documents), API keys, Basic with the application's own
//! [`BasicVerifier`], throttling, the middleware and `#[require_auth]`. `tokio` still comes in
//! through actix-web (it is actix's runtime), but not as a dependency of this crate: `Htpasswd`
//! hashes on actix's blocking pool (`web::block`), which needs no feature.
//!
//! ```toml
//! # Bearer with static keys only:
//! auth-core = { version = "0.1", default-features = false }
//! # Key sets, htpasswd files and OpenAPI:
//! auth-core = { version = "0.1", features = ["htpasswd", "openapi"] }
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod audit;
pub mod challenge;
mod config;
pub mod credentials;
mod error;
mod extract;
mod guard;
mod middleware;
#[cfg(feature = "openapi")]
pub mod openapi;
mod principal;
mod rejection;
mod requirement;
pub mod syntax;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
pub mod transport;
pub mod verify;

#[doc(hidden)]
pub mod __private;

/// Protects an actix handler, or makes a struct an extractor that checks a requirement.
///
/// ```
/// use actix_web::{get, post, web, Responder};
/// use auth_core::{require_auth, Principal};
///
/// #[require_auth(scheme = "bearer", scope = "orders:read")]
/// #[get("/orders")]
/// async fn list_orders(user: Principal) -> impl Responder {
///     format!("orders of {}", user.subject().unwrap_or("?"))
/// }
///
/// #[get("/orders/{id}")]
/// #[require_auth(scheme = "bearer", any_scope = "orders:read admin", realm = "orders")]
/// async fn one_order(id: web::Path<u32>) -> String {
///     id.to_string()
/// }
///
/// #[require_auth(scheme = "bearer", scope = "orders:write")]
/// struct OrderWriter(Principal);
///
/// #[post("/orders")]
/// async fn create(OrderWriter(user): OrderWriter) -> impl Responder {
///     format!("created by {}", user.subject().unwrap_or("?"))
/// }
/// ```
///
/// Mistakes are compile errors that point at the offending token:
///
/// ```compile_fail
/// # use auth_core::require_auth;
/// #[require_auth(scheme = "bearer", scope = "orders:read  orders:write")] // doubled space
/// async fn handler() -> &'static str { "" }
/// ```
///
/// ```compile_fail
/// # use auth_core::require_auth;
/// #[require_auth(scheme = "bearer")]
/// fn not_async() -> &'static str { "" }
/// ```
///
/// The macro's own documentation follows.
pub use auth_macros::require_auth;
pub use config::{AuthConfig, AuthConfigBuilder, DEFAULT_REALM};
pub use credentials::BasicCredentials;
pub use error::ConfigError;
pub use extract::{Claims, MaybePrincipal};
/// The JWS algorithms (re-exported from `jsonwebtoken`).
pub use jsonwebtoken::Algorithm;
pub use middleware::{ReadFormToken, ReadFormTokenMiddleware, RequireAuth, RequireAuthMiddleware};
pub use principal::Principal;
pub use rejection::{BodyHook, CustomBody, ErrorCode, Problem, Reason, Rejection};
pub use requirement::{Requirement, Scheme, SchemeSet};
pub use throttle::{AttemptStore, FailureThrottle, MemoryAttemptStore, ThrottleKey};
pub use verify::api_key::{ApiKeys, ApiKeysBuilder};
pub use verify::basic::{BasicFuture, BasicOutcome, BasicVerifier};
pub use verify::bearer::{BearerFuture, BearerVerdict, BearerVerifier};
#[cfg(feature = "htpasswd")]
pub use verify::htpasswd::{Htpasswd, HtpasswdError};
pub use verify::jwt::{JwtVerifier, JwtVerifierBuilder};
pub use verify::keys::JwtKey;
#[cfg(feature = "jwks")]
pub use verify::keyset::KeySet;
