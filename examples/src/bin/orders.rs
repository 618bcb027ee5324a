//! `cargo run --release --bin orders`: the orders service on its embedded defaults.
//! Environment: `AUTH_ADDR`, `AUTH_JWT_SECRET`, `AUTH_ISSUER`, `AUTH_AUDIENCE`, `AUTH_HTPASSWD`,
//! `AUTH_API_KEYS`, `AUTH_FAILURE_LIMIT`, `AUTH_TRUSTED_PROXIES`, `AUTH_CORS_ORIGIN`,
//! `AUTH_ACCESS_TTL`, `AUTH_LEEWAY`, `AUTH_INSECURE_COOKIES`, `AUTH_REDIS_URL`,
//! `AUTH_PUBLIC_ORIGIN`, `AUTH_DPOP`, `AUTH_DPOP_NONCE`, `AUTH_RESOURCE`,
//! `AUTH_AUTHORIZATION_SERVERS`, `AUTH_TLS_CERT`, `AUTH_TLS_KEY`, `AUTH_TLS_CLIENT_CA`,
//! `AUTH_CLIENT_CERT_PROXIES`, `RUST_LOG` (`docs/orders.md` lists them all).

use actix_web::middleware::Condition;
use actix_web::{App, HttpServer, web};
use auth_examples::orders::{Settings, Store, cors, routes};
use auth_examples::session::{self, Sessions};
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let mut settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("orders: refusing to start: {e}");
            std::process::exit(2);
        }
    };
    // Bound before the configuration is built: with `AUTH_ADDR=…:0`, the public origin (what
    // DPoP proofs and the resource metadata name) is the port actually bound.
    let listener = std::net::TcpListener::bind(&settings.addr)?;
    let bound = listener.local_addr()?;
    if settings.public_origin.is_none() {
        let scheme = if settings.tls.is_some() {
            "https"
        } else {
            "http"
        };
        settings.public_origin = Some(format!("{scheme}://{bound}"));
    }
    let auth = match settings.auth_config() {
        Ok(auth) => auth,
        Err(e) => {
            eprintln!("orders: refusing to start: {e}");
            std::process::exit(2);
        }
    };
    let sessions = match Sessions::new(&settings) {
        Ok(sessions) => sessions.map(web::Data::new),
        Err(e) => {
            eprintln!("orders: refusing to start: {e}");
            std::process::exit(2);
        }
    };
    let insecure_sessions = settings.insecure_cookies && sessions.is_some();
    // The Prometheus recorder first: every metric from the first request on is counted.
    auth_examples::metrics::handle();
    let store = web::Data::new(Store::default());
    let revocations = web::Data::new(settings.revocations.clone());
    let origins = settings.cors_origins.clone();
    let tls = match settings.tls.as_ref().map(auth_examples::tls::server_config) {
        None => None,
        Some(Ok(config)) => Some(config),
        Some(Err(e)) => {
            eprintln!("orders: refusing to start: {e}");
            std::process::exit(2);
        }
    };
    let server = HttpServer::new(move || {
        let mut app = App::new()
            .app_data(auth.clone())
            .app_data(store.clone())
            .app_data(revocations.clone())
            .configure(routes);
        if let Some(metadata) = auth.resource_metadata_service() {
            app = app.service(metadata);
        }
        if let Some(sessions) = &sessions {
            app = app.app_data(sessions.clone()).configure(session::routes);
        }
        // A fresh DPoP-Nonce on successful DPoP responses (when nonces are on); then CORS,
        // outermost, so refusals carry the CORS headers too and a page can read them.
        app.wrap(auth_core::OfferDpopNonce)
            .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
    })
    .on_connect(auth_examples::tls::record_client_certificate);
    let server = match tls {
        Some(config) => server.listen_rustls_0_23(listener, config)?,
        None => server.listen(listener)?,
    };
    let addr = bound.to_string();
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    println!(
        "orders listening on {scheme}://{addr} (public origin {})",
        settings.public_origin()
    );
    if !settings.cors_origins.is_empty() {
        println!(
            "CORS: credentials allowed from {}",
            settings.cors_origins.join(", ")
        );
    }
    if !settings.dev_defaults.is_empty() {
        println!(
            "\nWARNING: development defaults in use for {}: never in production.",
            settings.dev_defaults.join(", ")
        );
    }
    if insecure_sessions {
        println!(
            "\nWARNING: session cookies are sent WITHOUT `Secure` (AUTH_INSECURE_COOKIES): \
             development over plain HTTP only, never in production."
        );
    }
    if settings.dev_key {
        print_tour(&settings, &addr);
    }
    server.run().await
}

/// Ready-to-paste requests with fresh tokens, so a newcomer sees every answer in a minute.
fn print_tour(settings: &Settings, addr: &str) {
    let mint = |scope: &str, ttl: i64| settings.mint("demo-user", scope, ttl).unwrap_or_default();
    let read = mint("orders:read", 3600);
    let write = mint("orders:read orders:write", 3600);
    let expired = mint("orders:read", -3600);
    let base = format!("http://{addr}");
    println!(
        "Try (tokens valid for one hour):\n\n\
         # 200: a token with orders:read\n\
         curl -i {base}/orders -H 'Authorization: Bearer {read}'\n\n\
         # 401: no credentials (WWW-Authenticate: Bearer realm=\"orders\")\n\
         curl -i {base}/orders\n\n\
         # 403: orders:read cannot place an order (error=\"insufficient_scope\")\n\
         curl -i -X POST {base}/orders -H 'Authorization: Bearer {read}' -H 'Content-Type: application/json' -d '{{\"item\":\"book\",\"quantity\":1}}'\n\n\
         # 201: orders:write can\n\
         curl -i -X POST {base}/orders -H 'Authorization: Bearer {write}' -H 'Content-Type: application/json' -d '{{\"item\":\"book\",\"quantity\":1}}'\n\n\
         # 401: an expired token (error_description=\"The access token expired\")\n\
         curl -i {base}/orders -H 'Authorization: Bearer {expired}'\n\n\
         # 400: a malformed header (error=\"invalid_request\")\n\
         curl -i {base}/orders -H 'Authorization: Bearer a b'\n\n\
         # Basic (development user ops, unless AUTH_HTPASSWD is set): curl picks the scheme from the challenge\n\
         curl -i --anyauth -u ops:{ops_password} {base}/ops/status\n\n\
         # API key (development key, unless AUTH_API_KEYS is set)\n\
         curl -i {base}/partner/orders -H 'X-API-Key: {api_key}'\n\n\
         # Bearer or Basic: two challenges when neither is sent\n\
         curl -i {base}/whoami\n",
        ops_password = auth_examples::orders::DEV_OPS_PASSWORD,
        api_key = auth_examples::orders::DEV_API_KEYS
            .split_once('=')
            .map_or("", |(_, k)| k),
    );
}
