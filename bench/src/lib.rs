//! The two services the benchmarks compare, with identical routes and responses:
//!
//! - **ours**: `#[require_auth(scheme = "bearer", scope = "orders:read")]` over one `JwtVerifier`
//!   holding an HS256, RS256, ES256 and EdDSA key (selected by `kid`), issuer and audience checked;
//! - **baseline**: what teams write by hand today: `actix-web-httpauth`'s `BearerAuth` extractor
//!   and `jsonwebtoken::decode` with a `Validation` per algorithm, then a scope check;
//! - and the **open** endpoint, with no authentication, as the reference.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpResponse, error, get, web};
use actix_web_httpauth::extractors::bearer::BearerAuth;
use auth_core::testing::Minter;
use auth_core::{Algorithm, AuthConfig, JwtKey, JwtVerifier, Principal, require_auth};
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;

pub const ISSUER: &str = "https://id.bench.example";
pub const AUDIENCE: &str = "orders-api";
pub const HS256_SECRET: &[u8] = b"bench-secret-of-at-least-32-bytes-for-hs256";
const RSA_PRIVATE: &[u8] = include_bytes!("../../tests/keys/rsa_private.pem");
const RSA_PUBLIC: &[u8] = include_bytes!("../../tests/keys/rsa_public.pem");
const EC_PRIVATE: &[u8] = include_bytes!("../../tests/keys/ec256_private.pem");
const EC_PUBLIC: &[u8] = include_bytes!("../../tests/keys/ec256_public.pem");
const ED_PRIVATE: &[u8] = include_bytes!("../../tests/keys/ed25519_private.pem");
const ED_PUBLIC: &[u8] = include_bytes!("../../tests/keys/ed25519_public.pem");
const ATTACKER_RSA_PRIVATE: &[u8] = include_bytes!("../../tests/keys/attacker_rsa_private.pem");

pub const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

/// The endpoint path of an algorithm: `/hs256`, `/rs256`, `/es256`, `/eddsa`.
pub fn path(alg: Algorithm) -> String {
    format!("/{}", format!("{alg:?}").to_lowercase())
}

/// The minter of `alg`'s benchmark key (`kid` the algorithm's name), or, `forged`, of a key
/// that is not the benchmark's (same `kid`): another secret, another RSA key.
fn minter(alg: Algorithm, forged: bool) -> Minter {
    let minter = match (alg, forged) {
        (Algorithm::HS256, false) => Minter::hmac(alg, HS256_SECRET),
        (Algorithm::HS256, true) => Minter::hmac(alg, b"attacker-secret-of-32-bytes-or-more!!"),
        (Algorithm::RS256, false) => Minter::from_pem(alg, RSA_PRIVATE),
        (Algorithm::RS256, true) => Minter::from_pem(alg, ATTACKER_RSA_PRIVATE),
        (Algorithm::ES256, _) => Minter::from_pem(alg, EC_PRIVATE),
        _ => Minter::from_pem(alg, ED_PRIVATE),
    };
    minter
        .kid(Some(&format!("{alg:?}")))
        .claim("sub", "bench-user")
        .claim("iss", ISSUER)
        .claim("aud", AUDIENCE)
        .lifetime(7200)
}

fn decoding_key(alg: Algorithm) -> DecodingKey {
    match alg {
        Algorithm::HS256 => DecodingKey::from_secret(HS256_SECRET),
        Algorithm::RS256 => DecodingKey::from_rsa_pem(RSA_PUBLIC).unwrap(),
        Algorithm::ES256 => DecodingKey::from_ec_pem(EC_PUBLIC).unwrap(),
        _ => DecodingKey::from_ed_pem(ED_PUBLIC).unwrap(),
    }
}

/// What a token of the benchmark is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Valid,
    /// Signed with another key (same `kid`).
    Forged,
}

/// Mints a token (with `auth_core::testing`); `serial` makes it unique (a `jti`).
pub fn token(alg: Algorithm, kind: Kind, serial: u64) -> String {
    let forged = kind == Kind::Forged;
    let token = minter(alg, forged).token_with(json!({ "scope": "orders:read", "jti": serial }));
    if forged && !matches!(alg, Algorithm::HS256 | Algorithm::RS256) {
        // A valid signature of the payload under another algorithm's header is the simplest
        // well-formed forgery for EC/Ed keys: take a real signature and flip its last bits.
        let (input, sig) = token.rsplit_once('.').unwrap();
        let flipped: String = sig.chars().rev().collect();
        return format!("{input}.{flipped}");
    }
    token
}

/// Our verifier: one key per algorithm, selected by `kid`.
pub fn verifier() -> JwtVerifier {
    verifier_with_cache(auth_core::verify::jwt::DEFAULT_CACHE_CAPACITY)
}

/// [`verifier`] with a verdict cache of `capacity` tokens (0: off).
pub fn verifier_with_cache(capacity: usize) -> JwtVerifier {
    verifier_builder(capacity).build().unwrap()
}

/// The builder of [`verifier_with_cache`], for variants (a revocation store).
pub fn verifier_builder(capacity: usize) -> auth_core::JwtVerifierBuilder {
    let keys = [
        JwtKey::hmac(Algorithm::HS256, HS256_SECRET).unwrap(),
        JwtKey::from_pem(Algorithm::RS256, RSA_PUBLIC).unwrap(),
        JwtKey::from_pem(Algorithm::ES256, EC_PUBLIC).unwrap(),
        JwtKey::from_pem(Algorithm::EdDSA, ED_PUBLIC).unwrap(),
    ];
    keys.into_iter()
        .fold(JwtVerifier::builder(), |b, k| {
            let kid = format!("{:?}", k.algorithm());
            b.key(k.with_kid(kid))
        })
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .verdict_cache(capacity, auth_core::verify::jwt::DEFAULT_CACHE_TTL)
}

fn ok() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "ok": true }))
}

#[get("/open")]
async fn open() -> HttpResponse {
    ok()
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
async fn ours(_: Principal) -> HttpResponse {
    ok()
}

/// The service with our attribute on every algorithm's route.
pub fn ours_app(
    verifier: JwtVerifier,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = Error,
        InitError = (),
    >,
> {
    ours_app_with(verifier, None)
}

/// [`ours_app`] with a failure throttle (and any Bearer verifier).
pub fn ours_app_with(
    verifier: impl auth_core::BearerVerifier,
    throttle: Option<auth_core::FailureThrottle>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = Error,
        InitError = (),
    >,
> {
    let mut auth = AuthConfig::builder().realm("bench").bearer(verifier);
    if let Some(throttle) = throttle {
        auth = auth.throttle(throttle);
    }
    let auth = auth.build().unwrap();
    ALGORITHMS
        .iter()
        .fold(App::new().app_data(auth).service(open), |app, alg| {
            app.route(&path(*alg), web::get().to(ours))
        })
}

#[derive(Deserialize)]
struct BaselineClaims {
    #[allow(dead_code)]
    sub: String,
    scope: String,
}

struct Baseline {
    key: DecodingKey,
    validation: Validation,
}

async fn baseline(auth: BearerAuth, state: web::Data<Baseline>) -> Result<HttpResponse, Error> {
    let data = jsonwebtoken::decode::<BaselineClaims>(auth.token(), &state.key, &state.validation)
        .map_err(|_| error::ErrorUnauthorized("invalid token"))?;
    if !data.claims.scope.split(' ').any(|s| s == "orders:read") {
        return Err(error::ErrorForbidden("insufficient scope"));
    }
    Ok(ok())
}

/// The hand-written service: `BearerAuth` + `jsonwebtoken::decode` per route.
pub fn baseline_app() -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = Error,
        InitError = (),
    >,
> {
    ALGORITHMS
        .iter()
        .fold(App::new().service(open), |app, alg| {
            let mut validation = Validation::new(*alg);
            validation.set_issuer(&[ISSUER]);
            validation.set_audience(&[AUDIENCE]);
            let state = web::Data::new(Baseline {
                key: decoding_key(*alg),
                validation,
            });
            app.service(
                web::resource(path(*alg))
                    .app_data(state)
                    .route(web::get().to(baseline)),
            )
        })
}

/// The origin DPoP proofs of the benchmarks point to.
pub const DPOP_ORIGIN: &str = "https://api.bench.example";

/// The DPoP client of the benchmarks: proofs signed with the P-256 test key.
pub fn dpop_prover() -> auth_core::testing::DpopProver {
    auth_core::testing::DpopProver::new(Minter::from_pem(Algorithm::ES256, EC_PRIVATE))
}

/// An access token of `alg` bound to `prover`'s key (`cnf.jkt`), unique by `serial`.
pub fn bound_token(alg: Algorithm, prover: &auth_core::testing::DpopProver, serial: u64) -> String {
    minter(alg, false).token_with(json!({
        "scope": "orders:read",
        "jti": serial,
        "cnf": { "jkt": prover.thumbprint() },
    }))
}

#[require_auth(scheme = "bearer | dpop", scope = "orders:read")]
async fn either(_: Principal) -> HttpResponse {
    ok()
}

/// A service whose `/either` accepts Bearer and DPoP, over `verifier`, with DPoP proofs for
/// [`DPOP_ORIGIN`] remembered in memory; and the open endpoint.
pub fn dpop_app(
    verifier: JwtVerifier,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = Error,
        InitError = (),
    >,
> {
    let dpop = auth_core::Dpop::builder(DPOP_ORIGIN).build().unwrap();
    let config = AuthConfig::builder()
        .realm("orders")
        .bearer(verifier)
        .dpop(dpop)
        .build()
        .unwrap();
    App::new()
        .app_data(config)
        .service(open)
        .route("/either", web::get().to(either))
}
