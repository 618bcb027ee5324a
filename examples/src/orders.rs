//! The `orders` service: an in-memory order book behind Bearer JWTs.
//!
//! | route | requirement | handler form |
//! |---|---|---|
//! | `GET /health` | public | plain handler |
//! | `GET`/`HEAD /orders` | `orders:read` | attribute above `#[route]` |
//! | `GET /orders/{id}` | `orders:read` | attribute below `#[get]` |
//! | `POST /orders` | `orders:write` | extractor struct [`OrderWriter`] |
//! | `DELETE /orders/{id}` | all of `orders:write orders:admin` | attribute |
//! | `GET /reports` | any of `reports:read admin` | attribute |
//! | `GET /me` | any valid token | attribute, no scope |

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header;
use actix_web::{HttpResponse, Responder, delete, get, post, route, web};
use auth_core::{Algorithm, AuthConfig, ConfigError, JwtKey, JwtVerifier, Principal, require_auth};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The development key used when `AUTH_JWT_SECRET` is not set. Public, so never for production.
pub const DEV_SECRET: &[u8] = b"orders-development-key-not-for-production-use";
/// The realm of the service's challenges.
pub const REALM: &str = "orders";

/// The service's settings, read from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `AUTH_ADDR`, default `127.0.0.1:8080`.
    pub addr: String,
    /// `AUTH_JWT_SECRET` (HS256), or the development key.
    pub secret: Vec<u8>,
    /// Whether the development key is in use.
    pub dev_key: bool,
    /// `AUTH_ISSUER`: enforced when set.
    pub issuer: Option<String>,
    /// `AUTH_AUDIENCE`: enforced when set.
    pub audience: Option<String>,
}

impl Settings {
    /// Reads `AUTH_ADDR`, `AUTH_JWT_SECRET`, `AUTH_ISSUER`, `AUTH_AUDIENCE`.
    pub fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let secret = var("AUTH_JWT_SECRET");
        Settings {
            addr: var("AUTH_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_owned()),
            dev_key: secret.is_none(),
            secret: secret.map_or_else(|| DEV_SECRET.to_vec(), String::into_bytes),
            issuer: var("AUTH_ISSUER"),
            audience: var("AUTH_AUDIENCE"),
        }
    }

    /// The authentication configuration: HS256 with the secret, issuer and audience when set.
    /// Fails (and the service does not start) on a secret under 32 bytes.
    pub fn auth_config(&self) -> Result<AuthConfig, ConfigError> {
        let mut verifier =
            JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, &self.secret)?);
        if let Some(iss) = &self.issuer {
            verifier = verifier.issuer(iss);
        }
        if let Some(aud) = &self.audience {
            verifier = verifier.audience(aud);
        }
        AuthConfig::builder()
            .realm(REALM)
            .bearer(verifier.build()?)
            .build()
    }

    /// Mints an HS256 token with the service's secret (for the start-up banner and tests).
    pub fn mint(&self, subject: &str, scope: &str, expires_in: i64) -> Option<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        let mut claims =
            json!({ "sub": subject, "scope": scope, "iat": now, "exp": now + expires_in });
        if let Some(iss) = &self.issuer {
            claims["iss"] = json!(iss);
        }
        if let Some(aud) = &self.audience {
            claims["aud"] = json!(aud);
        }
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&self.secret),
        )
        .ok()
    }
}

/// An order.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    /// Its id.
    pub id: u64,
    /// What was ordered.
    pub item: String,
    /// How many.
    pub quantity: u32,
    /// The subject that placed it.
    pub owner: Option<String>,
}

/// The body of `POST /orders`.
#[derive(Debug, Deserialize)]
pub struct NewOrder {
    /// What to order.
    pub item: String,
    /// How many (at least 1).
    pub quantity: u32,
}

/// The in-memory order book.
#[derive(Debug, Default)]
pub struct Store {
    orders: Mutex<BTreeMap<u64, Order>>,
}

impl Store {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<u64, Order>) -> T) -> T {
        // A poisoned lock only means another request panicked mid-update; the map is still
        // consistent (every update is a single insert or remove).
        let mut guard = self.orders.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

/// The extractor form: a reusable type that demands `orders:write`.
#[require_auth(scheme = "bearer", scope = "orders:write")]
#[derive(Debug)]
pub struct OrderWriter(pub Principal);

/// `GET /health`: public.
#[get("/health")]
async fn health() -> impl Responder {
    web::Json(json!({ "status": "ok" }))
}

/// `GET /orders`: every order.
#[require_auth(scheme = "bearer", scope = "orders:read")]
#[route("/orders", method = "GET", method = "HEAD")]
async fn list_orders(store: web::Data<Store>) -> impl Responder {
    web::Json(store.with(|m| m.values().cloned().collect::<Vec<_>>()))
}

/// `GET /orders/{id}`: one order (the attribute below `#[get]` works the same).
#[get("/orders/{id}")]
#[require_auth(scheme = "bearer", scope = "orders:read")]
async fn get_order(store: web::Data<Store>, id: web::Path<u64>) -> HttpResponse {
    match store.with(|m| m.get(&id).cloned()) {
        Some(order) => HttpResponse::Ok().json(order),
        None => HttpResponse::NotFound().json(json!({ "error": "no such order" })),
    }
}

/// `POST /orders`: places an order; 201 with `Location`.
#[post("/orders")]
async fn create_order(
    OrderWriter(user): OrderWriter,
    store: web::Data<Store>,
    body: web::Json<NewOrder>,
) -> HttpResponse {
    let NewOrder { item, quantity } = body.into_inner();
    if item.is_empty() || quantity == 0 {
        return HttpResponse::UnprocessableEntity()
            .json(json!({ "error": "item must be non-empty and quantity at least 1" }));
    }
    let order = store.with(|m| {
        let id = m.keys().next_back().map_or(1, |last| last + 1);
        let order = Order {
            id,
            item,
            quantity,
            owner: user.subject().map(str::to_owned),
        };
        m.insert(id, order.clone());
        order
    });
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/orders/{}", order.id)))
        .json(order)
}

/// `DELETE /orders/{id}`: needs both `orders:write` and `orders:admin`.
#[require_auth(scheme = "bearer", scope = "orders:write orders:admin")]
#[delete("/orders/{id}")]
async fn delete_order(store: web::Data<Store>, id: web::Path<u64>) -> HttpResponse {
    match store.with(|m| m.remove(&id)) {
        Some(_) => HttpResponse::NoContent().finish(),
        None => HttpResponse::NotFound().json(json!({ "error": "no such order" })),
    }
}

/// `GET /reports`: `reports:read` or `admin`.
#[require_auth(scheme = "bearer", any_scope = "reports:read admin")]
#[get("/reports")]
async fn reports(store: web::Data<Store>) -> impl Responder {
    let (count, items) = store.with(|m| {
        (
            m.len(),
            m.values().map(|o| u64::from(o.quantity)).sum::<u64>(),
        )
    });
    web::Json(json!({ "orders": count, "items": items }))
}

/// `GET /me`: any valid token; returns the subject and scopes.
#[require_auth(scheme = "bearer")]
#[get("/me")]
async fn me(user: Principal) -> impl Responder {
    web::Json(json!({ "subject": user.subject(), "scopes": user.scopes() }))
}

/// Registers every route; the caller adds `app_data(auth_config)` and the store.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health)
        .service(list_orders)
        .service(get_order)
        .service(create_order)
        .service(delete_order)
        .service(reports)
        .service(me);
}
