//! `cargo run --release --bin orders`: the orders service on its embedded defaults.
//! Environment: `AUTH_ADDR`, `AUTH_JWT_SECRET`, `AUTH_ISSUER`, `AUTH_AUDIENCE`, `RUST_LOG`.

use actix_web::{App, HttpServer, web};
use auth_examples::orders::{Settings, Store, routes};
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let settings = Settings::from_env();
    let auth = match settings.auth_config() {
        Ok(auth) => auth,
        Err(e) => {
            eprintln!("orders: refusing to start: {e}");
            std::process::exit(2);
        }
    };
    let store = web::Data::new(Store::default());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(auth.clone())
            .app_data(store.clone())
            .configure(routes)
    })
    .bind(&settings.addr)?;
    let addr = server
        .addrs()
        .first()
        .map_or(settings.addr.clone(), ToString::to_string);
    println!("orders listening on http://{addr}");
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
        "\nWARNING: no AUTH_JWT_SECRET set: using the embedded DEVELOPMENT key. Never in production.\n\
         Try (tokens valid for one hour):\n\n\
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
         curl -i {base}/orders -H 'Authorization: Bearer a b'\n"
    );
}
