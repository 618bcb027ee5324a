//! `bench-server ours|baseline ADDR`: one actix worker serving the benchmark routes.
//! With `BENCH_REDIS_URL`, ours checks revocations through a `RedisStore` there; with
//! `BENCH_THROTTLE=N` too, it counts failures there (N per minute); `BENCH_THROTTLE` alone
//! throttles in memory. `ours-opaque`: ours with opaque tokens too (`JwtOrOpaque`), checked by
//! introspection against an authorization server in the same process (on another thread and
//! port) that answers every token active with `orders:read`: after the first request, each
//! opaque token is a cache hit, which is what the load script measures.
use actix_web::HttpServer;
use auth_bench::{baseline_app, ours_app_with, verifier, verifier_builder};
use auth_core::FailureThrottle;
use auth_core::redis_store::RedisStore;

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (which, addr) = match args.as_slice() {
        [_, which, addr] => (which.clone(), addr.clone()),
        _ => {
            eprintln!("usage: bench-server ours|ours-opaque|baseline ADDR");
            std::process::exit(2);
        }
    };
    let server = match which.as_str() {
        "ours" => match std::env::var("BENCH_REDIS_URL") {
            Err(_) => {
                let v = verifier();
                // BENCH_THROTTLE alone: the in-memory throttle, for comparison.
                let throttle = std::env::var("BENCH_THROTTLE")
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .map(FailureThrottle::per_minute);
                HttpServer::new(move || ours_app_with(v.clone(), throttle.clone()))
                    .workers(1)
                    .bind(&addr)?
                    .run()
            }
            Ok(url) => {
                let redis = RedisStore::builder(&url)
                    .prefix("bench")
                    .build()
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                let v = verifier_builder(auth_core::verify::jwt::DEFAULT_CACHE_CAPACITY)
                    .revocations(redis.clone())
                    .build()
                    .map_err(|e| std::io::Error::other(e.to_string()))?;
                let throttle = std::env::var("BENCH_THROTTLE")
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .map(|n| FailureThrottle::per_minute(n).store(redis.clone()));
                HttpServer::new(move || ours_app_with(v.clone(), throttle.clone()))
                    .workers(1)
                    .bind(&addr)?
                    .run()
            }
        },
        "ours-opaque" => {
            let endpoint = introspection_endpoint()?;
            let introspection = auth_core::Introspection::builder(endpoint)
                .client(auth_core::ClientAuth::secret_basic("bench", "bench-secret"))
                .cache_for(std::time::Duration::from_secs(3600))
                .build()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let v = verifier();
            HttpServer::new(move || {
                ours_app_with(
                    auth_core::JwtOrOpaque::new(v.clone(), introspection.clone()),
                    None,
                )
            })
            .workers(1)
            .bind(&addr)?
            .run()
        }
        "baseline" => HttpServer::new(baseline_app).workers(1).bind(&addr)?.run(),
        other => {
            eprintln!("unknown service {other}");
            std::process::exit(2);
        }
    };
    server.await
}

/// Starts the in-process authorization server; its introspection endpoint.
fn introspection_endpoint() -> std::io::Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let answer = || async {
                let exp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
                    + 3600;
                actix_web::HttpResponse::Ok().json(serde_json::json!({
                    "active": true, "scope": "orders:read", "sub": "bench", "exp": exp,
                }))
            };
            let server = HttpServer::new(move || {
                actix_web::App::new().route("/introspect", actix_web::web::post().to(answer))
            })
            .workers(1)
            .listen(listener)?
            .run();
            server.await
        })
    });
    Ok(format!("http://{addr}/introspect"))
}
