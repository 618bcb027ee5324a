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
//! | `introspection` | off | [`Introspection`]: opaque access tokens checked by the authorization server (RFC 7662): single flight, cached, shared by a fleet through a store ([`verify::introspection`]) | what `jwks` pulls in |
//! | `htpasswd` | off | [`Htpasswd`]: Basic users from Apache `htpasswd` files (bcrypt, Argon2; legacy formats on request) | `bcrypt`, `argon2`, `sha1`, `md-5` |
//! | `digest` | off | [`DigestAuth`], [`Htdigest`]: the HTTP Digest scheme (RFC 7616), `scheme = "digest"`; without it a Digest endpoint answers 500 (no verifier), never opens | `md-5`, `hmac`, `getrandom` |
//! | `redis` | off | [`redis_store::RedisStore`]: failure throttling and revocation shared by a fleet through Redis or Valkey (local views, pub/sub, one script per write) | `redis` (redis-rs, with rustls for `rediss://`), `tokio`, `arc-swap` |
//! | `metrics` | off | counters and gauges through the `metrics` facade ([`metrics`] lists names and labels); without it, no calls at all | `metrics` |
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
//! # Key sets, htpasswd files, Digest and OpenAPI:
//! auth-core = { version = "0.1", features = ["htpasswd", "digest", "openapi"] }
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod audit;
mod binding;
pub mod claim_layout;
mod config;
mod confirmation;
pub mod credentials;
mod csrf;
mod dpop_nonce_offer;
mod error;
mod extract;
mod guard;
mod metadata_route;
pub mod metrics;
mod middleware;
pub mod mtls;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod policy;
mod principal;
#[cfg(feature = "redis")]
pub mod redis_store;
mod refusal;
mod rejection;
mod requirement;
pub mod resource_metadata;
mod scheme;
mod schemes;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
mod token_location;
pub mod transport;
pub mod verify;

#[doc(hidden)]
pub mod __private;

// The grammar lives in `auth-grammar`, shared with `auth-client`; these paths stay the same.
pub use auth_grammar::{challenge, syntax};

/// Requires an authenticated request before an actix-web handler runs, or makes a struct an
/// extractor that does.
///
/// The arguments are checked at compile time and become a `const` [`Requirement`]: nothing
/// about them is parsed per request.
///
/// # On a handler
///
/// ```
/// use actix_web::{get, web, Responder};
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
/// ```
///
/// The macro adds one hidden argument in first place, an extractor whose type carries the
/// requirement. actix extracts arguments in order and stops at the first error, so the check
/// runs before the handler's own extractors (a JSON body, a database handle) and a refused
/// request never reaches the body — also when the check must wait (an introspection call, a
/// key refetch, a password hash, an async policy): actix polls every extractor in one pass, so
/// the guard holds the request's body back until its check ends. (A bare `Principal` argument
/// on a handler *without* the attribute does not hold the body: put the attribute on handlers
/// that read one.) The refusal is answered with the runtime's [`Rejection`] (`401` and
/// a `WWW-Authenticate` challenge, or `403 insufficient_scope`). A [`Principal`] or
/// [`Claims<T>`] argument of the handler receives the verified identity. The return type, the
/// body, the other arguments and attributes, the generics and the `where` clause are left as
/// written.
///
/// The handler must be a free `async fn` (not a method taking `self`). Because of the hidden
/// argument it can take at most 15 arguments of its own (actix's limit is 16).
///
/// # On a struct
///
/// ```
/// use actix_web::{post, web, Responder};
/// use auth_core::{require_auth, Claims, Principal};
/// use serde::Deserialize;
///
/// /// A caller allowed to write orders, with their identity.
/// #[require_auth(scheme = "bearer", scope = "orders:write")]
/// struct OrderWriter(Principal);
///
/// #[derive(Deserialize)]
/// struct StaffClaims {
///     team: String,
/// }
///
/// /// A member of staff, with the token's claims.
/// #[require_auth(any_scope = "admin support")]
/// struct Staff {
///     claims: Claims<StaffClaims>,
/// }
///
/// /// Any authenticated caller; the check alone.
/// #[require_auth]
/// struct Authenticated;
///
/// #[post("/orders")]
/// async fn create_order(OrderWriter(user): OrderWriter, body: String) -> impl Responder {
///     format!("{body} ordered by {}", user.subject().unwrap_or("?"))
/// }
///
/// #[post("/orders/{id}/refund")]
/// async fn refund(staff: Staff, id: web::Path<u64>) -> impl Responder {
///     format!("order {id} refunded by team {}", staff.claims.0.team)
/// }
///
/// #[post("/ping")]
/// async fn ping(_: Authenticated) -> &'static str {
///     "pong"
/// }
/// ```
///
/// The struct implements actix's `FromRequest`: use it in as many handlers as you like. It has
/// no field (the check alone) or exactly one, tuple or named, of a type that receives the
/// verified identity (`Principal` or `Claims<T>`). Generics are allowed.
///
/// # Arguments
///
/// All are optional `key = "string"` pairs, separated by commas. Without any,
/// `#[require_auth]` accepts any valid credential of any scheme the application registered.
///
/// - `scheme = "bearer | basic"`: the schemes accepted, names separated by `|`, matched
///   case-insensitively: `bearer` (RFC 6750 tokens), `digest` (RFC 7616), `basic` (RFC 7617)
///   and `api_key` (a key in a header). A refusal carries challenges for every accepted
///   scheme; the first credential of an accepted scheme decides. Default: every scheme the
///   application registered a verifier for.
/// - `scope = "orders:read orders:write"`: scopes that must **all** be granted, separated by
///   single spaces. Each is an RFC 6749 §3.3 scope token: printable ASCII except space, `"`
///   and `\`. Matching at run time is exact and case-sensitive.
/// - `any_scope = "admin support"`: scopes of which **at least one** must be granted, same
///   syntax. Given with `scope`, both conditions apply.
/// - `role = "staff refunds"` / `any_role = "support admin"`: roles the principal must all
///   hold / of which it must hold one ([`Principal::roles`], read by the verifier's
///   [`claim_layout::ClaimLayout`]); same syntax as scopes. Missing roles are a 403
///   `insufficient_scope` whose `scope` parameter names the endpoint's scopes only.
/// - `realm = "orders"`: the realm of this endpoint's challenges, instead of the
///   application's default; non-empty printable ASCII (`"` and `\` are fine: they are escaped
///   when the challenge is written). Digest hashes are bound to the realm.
/// - `token_in = "header | query"`: where a Bearer token may come from on this endpoint
///   (`header`, `cookie`, `query`, `form`; see [`transport`]), instead of the application's
///   [`token_locations`](AuthConfigBuilder::token_locations). Only with a `scheme` that
///   accepts `bearer`.
/// - `policy = path::to::check` (a path, not a string): an application [policy](mod@policy), a plain or
///   `async fn (&Principal, &HttpRequest) -> Decision` that decides after the credentials and
///   scopes passed: [`Decision::Deny`] is a 403 `forbidden` without a challenge,
///   [`Decision::Undecided`] a 503. A function of another shape is a compile error at the path.
/// - `crate = "::my_crate::auth"`: the path to `auth_core` in the generated code, for a crate
///   that re-exports `auth_core` and whose users do not depend on it. Default: `::auth_core`.
///
/// ```
/// use actix_web::{get, Responder};
/// use auth_core::{require_auth, Principal};
///
/// // `EventSource` cannot set headers: the token may come in `?access_token=` here.
/// #[require_auth(scheme = "bearer", scope = "orders:read", token_in = "header | query")]
/// #[get("/events")]
/// async fn events() -> &'static str {
///     "data: hello\n\n"
/// }
///
/// // Operators, with Digest credentials (or a token).
/// #[require_auth(scheme = "bearer | digest", realm = "orders-ops")]
/// #[get("/ops")]
/// async fn ops(user: Principal) -> impl Responder {
///     format!("hello {}", user.subject().unwrap_or("?"))
/// }
/// ```
///
/// Mistakes are compile errors pointing at the offending key or string, all reported at
/// once: an unknown or repeated key, a value that is not a string literal, an unknown,
/// repeated or empty scheme name, an empty scope list, an empty, malformed or repeated scope
/// token, an empty realm or one with control or non-ASCII characters, `token_in` without
/// Bearer or naming an unknown location, an item that is neither an `async fn` nor a struct
/// with at most one field.
///
/// ```compile_fail
/// # use actix_web::get;
/// # use auth_core::require_auth;
/// // error: `scope` has an empty scope token (a leading, trailing or doubled space)
/// #[require_auth(scope = "orders:read  orders:write")]
/// #[get("/orders")]
/// async fn list_orders() -> &'static str {
///     "orders"
/// }
/// ```
///
/// ```compile_fail
/// # use auth_core::require_auth;
/// // error: `token_in` says where a Bearer token may be sent, but `scheme` does not accept `bearer`
/// #[require_auth(scheme = "basic", token_in = "query")]
/// async fn handler() -> &'static str { "" }
/// ```
///
/// ```compile_fail
/// # use auth_core::require_auth;
/// // error: #[require_auth] requires an `async fn` handler
/// #[require_auth(scheme = "bearer")]
/// fn not_async() -> &'static str { "" }
/// ```
///
/// # With actix's routing macros
///
/// Every order works:
///
/// - above or below `#[get]`, `#[post]`, … and `#[route]`;
/// - above or below `#[routes]` (or between its method attributes);
/// - in a `#[scope("/api")]` module, above or below the method attribute;
/// - twice on one handler: both requirements apply.
///
/// Above, the macro passes the routing attribute on unchanged; below, its output lives in
/// the registration code the routing macro generates, which needs nothing more.
///
/// ```
/// use actix_web::{get, routes, scope, web, Responder};
/// use auth_core::require_auth;
///
/// #[get("/orders")]
/// #[require_auth(scope = "orders:read")]
/// async fn list_orders() -> impl Responder {
///     "orders"
/// }
///
/// #[require_auth(scope = "orders:read")]
/// #[routes]
/// #[get("/orders/{id}")]
/// #[head("/orders/{id}")]
/// async fn order(id: web::Path<u64>) -> impl Responder {
///     format!("order {id}")
/// }
///
/// #[scope("/api")]
/// mod api {
///     use super::*;
///
///     #[require_auth(scope = "invoices:read")]
///     #[get("/invoices")]
///     pub async fn list_invoices() -> impl Responder {
///         "invoices"
///     }
/// }
/// # fn main() {}
/// ```
/// A [`Policy`] from the path of a plain or `async fn` taking `(&Principal, &HttpRequest)` and
/// returning a [`Decision`], usable in `const` context: for hand-written
/// [`Requirement`](crate::Requirement)s and the scope-wide [`RequireAuth`](crate::RequireAuth).
/// The attribute's `policy = path` does the same.
///
/// ```
/// use actix_web::{web, App, HttpRequest, HttpResponse};
/// use auth_core::{policy, Decision, Principal, RequireAuth, Requirement, Scheme, SchemeSet};
///
/// async fn in_team(user: &Principal, req: &HttpRequest) -> Decision {
///     let team = req.match_info().get("team");
///     let mine = user.claim("team").and_then(|t| t.as_str());
///     (team.is_some() && team == mine).into()
/// }
///
/// const TEAM: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
///     .with_all_scopes(&["reports:read"])
///     .with_policy(policy!(in_team));
///
/// // Behind the middleware, a policy sees the parameters of the scope's own path.
/// let app = App::new().service(
///     web::scope("/teams/{team}")
///         .wrap(RequireAuth::new(&TEAM))
///         .route("/reports", web::get().to(HttpResponse::Ok)),
/// );
/// ```
///
/// A function of another shape is a compile error at its path:
///
/// ```compile_fail
/// use auth_core::{policy, Policy};
/// fn wrong(user: &auth_core::Principal) -> bool { true }
/// const WRONG: Policy = policy!(wrong);
/// ```
#[macro_export]
macro_rules! policy {
    ($check:path) => {
        $crate::Policy::new(::core::stringify!($check), {
            fn __auth_policy(
                principal: $crate::Principal,
                req: $crate::__private::HttpRequest,
            ) -> $crate::policy::PolicyFuture {
                $crate::__private::policy_future(async move {
                    $crate::__private::policy_outcome($check(&principal, &req)).await
                })
            }
            __auth_policy
        })
    };
}

pub use auth_macros::require_auth;
pub use config::{AuthConfig, AuthConfigBuilder, DEFAULT_REALM};
pub use credentials::BasicCredentials;
pub use dpop_nonce_offer::{OfferDpopNonce, OfferDpopNonceMiddleware};
pub use error::ConfigError;
pub use extract::{Claims, MaybePrincipal};
/// The JWS algorithms (re-exported from `jsonwebtoken`).
pub use jsonwebtoken::Algorithm;
pub use middleware::{ReadFormToken, ReadFormTokenMiddleware, RequireAuth, RequireAuthMiddleware};
pub use policy::{Decision, Policy};
pub use principal::Principal;
pub use refusal::refuse;
pub use rejection::{BodyHook, CustomBody, ErrorCode, Problem, Reason, Rejection};
pub use requirement::Requirement;
pub use scheme::{Scheme, SchemeSet};
pub use throttle::{AttemptStore, FailureThrottle, MemoryAttemptStore, ThrottleKey};
pub use verify::api_key::{ApiKeys, ApiKeysBuilder};
pub use verify::basic::{BasicFuture, BasicOutcome, BasicVerifier};
pub use verify::bearer::{BearerFuture, BearerVerdict, BearerVerifier};
#[cfg(feature = "digest")]
pub use verify::digest::{
    DigestAlgorithm, DigestAuth, DigestFuture, DigestLookup, DigestUser, DigestVerifier, Htdigest,
    HtdigestError, digest_ha1,
};
pub use verify::dpop::{Dpop, DpopBuilder, DpopMode};
pub use verify::dpop_nonce::DpopNonces;
#[cfg(feature = "htpasswd")]
pub use verify::htpasswd::{Htpasswd, HtpasswdError};
#[cfg(feature = "introspection")]
pub use verify::introspection::{Introspection, IntrospectionBuilder};
#[cfg(feature = "introspection")]
pub use verify::introspection_client::ClientAuth;
pub use verify::jwt::{JwtVerifier, JwtVerifierBuilder};
pub use verify::jwt_or_opaque::JwtOrOpaque;
pub use verify::keys::JwtKey;
#[cfg(feature = "jwks")]
pub use verify::keyset::KeySet;
pub use verify::revocation::{MemoryRevocations, RevocationCheck, RevocationStore, TokenIdentity};
