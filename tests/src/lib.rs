//! Shared helpers of the integration tests: real keys, real signatures, real services.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{SystemTime, UNIX_EPOCH};

pub use auth_core::Algorithm;
pub use auth_core::testing::Minter;
use auth_core::{AuthConfig, JwtKey, JwtVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

pub mod answer;
pub mod authorization_server;
pub mod http;
pub mod log;
pub mod mock_as;
pub mod orders;
pub mod redis;

pub use answer::{Answer, INVALID_TOKEN, INVALID_TOKEN_BODY, call, call_bearer, protected};

pub const ISSUER: &str = "https://id.test.example";
pub const AUDIENCE: &str = "orders-api";
pub const REALM: &str = "orders";
pub const HS256_SECRET: &[u8] = b"test-secret-of-at-least-32-bytes-for-hs256";
pub const HS384_SECRET: &[u8] = b"test-secret-of-at-least-48-bytes-for-hs384-0123456";
pub const HS512_SECRET: &[u8] =
    b"test-secret-of-at-least-64-bytes-for-hs512-0123456789abcdef0123456";

pub const RSA_PRIVATE: &[u8] = include_bytes!("../keys/rsa_private.pem");
pub const RSA_PUBLIC: &[u8] = include_bytes!("../keys/rsa_public.pem");
pub const ATTACKER_RSA_PRIVATE: &[u8] = include_bytes!("../keys/attacker_rsa_private.pem");
pub const EC256_PRIVATE: &[u8] = include_bytes!("../keys/ec256_private.pem");
pub const EC256_PUBLIC: &[u8] = include_bytes!("../keys/ec256_public.pem");
pub const EC384_PRIVATE: &[u8] = include_bytes!("../keys/ec384_private.pem");
pub const EC384_PUBLIC: &[u8] = include_bytes!("../keys/ec384_public.pem");
pub const ED25519_PRIVATE: &[u8] = include_bytes!("../keys/ed25519_private.pem");
pub const ED25519_PUBLIC: &[u8] = include_bytes!("../keys/ed25519_public.pem");

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The test key of `alg` as the one token minter: header `kid-<alg>`; `sub` alice, the test
/// issuer and audience, unless a token names its own.
pub fn minter(alg: Algorithm) -> Minter {
    let minter = match alg {
        Algorithm::HS256 => Minter::hmac(alg, HS256_SECRET),
        Algorithm::HS384 => Minter::hmac(alg, HS384_SECRET),
        Algorithm::HS512 => Minter::hmac(alg, HS512_SECRET),
        Algorithm::ES256 => Minter::from_pem(alg, EC256_PRIVATE),
        Algorithm::ES384 => Minter::from_pem(alg, EC384_PRIVATE),
        Algorithm::EdDSA => Minter::from_pem(alg, ED25519_PRIVATE),
        _ => Minter::from_pem(alg, RSA_PRIVATE),
    };
    minter
        .kid(Some(&format!("kid-{alg:?}")))
        .claim("sub", "alice")
        .claim("iss", ISSUER)
        .claim("aud", AUDIENCE)
}

/// The verification key for an algorithm, named `kid-<alg>`.
pub fn verification_key(alg: Algorithm) -> JwtKey {
    let key = match alg {
        Algorithm::HS256 => JwtKey::hmac(alg, HS256_SECRET),
        Algorithm::HS384 => JwtKey::hmac(alg, HS384_SECRET),
        Algorithm::HS512 => JwtKey::hmac(alg, HS512_SECRET),
        Algorithm::ES256 => JwtKey::from_pem(alg, EC256_PUBLIC),
        Algorithm::ES384 => JwtKey::from_pem(alg, EC384_PUBLIC),
        Algorithm::EdDSA => JwtKey::from_pem(alg, ED25519_PUBLIC),
        _ => JwtKey::from_pem(alg, RSA_PUBLIC),
    };
    key.unwrap().with_kid(format!("kid-{alg:?}"))
}

pub const ALL_ALGORITHMS: [Algorithm; 12] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Valid claims: subject `alice`, the test issuer and audience, an hour of validity.
pub fn claims(scope: &str) -> Value {
    minter(Algorithm::HS256).claims(&[scope])
}

/// Assembles a JWS from raw parts (for forged and malformed tokens).
pub fn raw_jwt(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// A verifier with every test key, the test issuer and audience.
pub fn verifier() -> JwtVerifier {
    ALL_ALGORITHMS
        .iter()
        .fold(JwtVerifier::builder(), |b, alg| {
            b.key(verification_key(*alg))
        })
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap()
}

/// The application config of the tests: realm `orders`, Bearer with every test key.
pub fn config() -> AuthConfig {
    config_with(verifier())
}

/// Realm `orders`, Bearer with `verifier`.
pub fn config_with(verifier: JwtVerifier) -> AuthConfig {
    AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier)
        .build()
        .unwrap()
}

/// Every path of `config`'s app behind `RequireAuth` (any registered scheme, no scope),
/// answering 200 to whoever passes.
pub async fn guarded(
    config: AuthConfig,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    use actix_web::{App, HttpResponse, web};
    actix_web::test::init_service(
        App::new().app_data(config).service(
            web::scope("")
                .wrap(auth_core::RequireAuth::new(
                    &auth_core::Requirement::AUTHENTICATED,
                ))
                .default_service(web::to(HttpResponse::Ok)),
        ),
    )
    .await
}
