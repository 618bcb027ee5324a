//! The smallest service worth running: one handler that needs a Bearer token with the scope
//! `orders:read`. `cargo run --bin minimal`, then paste the `curl` line it prints.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpServer, get};
use auth_core::{Algorithm, AuthConfig, ConfigError, JwtKey, JwtVerifier, Principal, require_auth};

/// The HS256 secret when `AUTH_JWT_SECRET` is not set: for development only.
pub const DEV_SECRET: &[u8] = b"minimal-development-secret-not-for-production";

/// `GET /orders`: 401 without a token, 403 without `orders:read`, 200 with it.
#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/orders")]
pub async fn orders(user: Principal) -> String {
    format!("orders of {}\n", user.subject().unwrap_or("?"))
}

/// Bearer tokens signed with `secret` (HS256, 32 bytes or more).
pub fn auth_config(secret: &[u8]) -> Result<AuthConfig, ConfigError> {
    let key = JwtKey::hmac(Algorithm::HS256, secret)?;
    AuthConfig::builder()
        .bearer(JwtVerifier::builder().key(key).build()?)
        .build()
}

/// A token for `demo` with `scope`, valid for an hour.
pub fn dev_token(secret: &[u8], scope: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let claims = serde_json::json!({ "sub": "demo", "scope": scope, "exp": now + 3600 });
    let key = jsonwebtoken::EncodingKey::from_secret(secret);
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap_or_default()
}

/// Serves on 127.0.0.1:8080, with `AUTH_JWT_SECRET` or else [`DEV_SECRET`].
pub async fn run() -> std::io::Result<()> {
    let env_secret = std::env::var("AUTH_JWT_SECRET")
        .ok()
        .map(String::into_bytes);
    let secret = env_secret.clone().unwrap_or_else(|| DEV_SECRET.to_vec());
    let auth = auth_config(&secret).map_err(std::io::Error::other)?;
    let server = HttpServer::new(move || App::new().app_data(auth.clone()).service(orders))
        .bind(("127.0.0.1", 8080))?;
    if env_secret.is_none() {
        let token = dev_token(&secret, "orders:read");
        println!("curl -i http://127.0.0.1:8080/orders -H 'Authorization: Bearer {token}'");
    }
    server.run().await
}
