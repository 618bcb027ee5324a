//! `bench-server ours|baseline ADDR`: one actix worker serving the benchmark routes.
//! With `BENCH_REDIS_URL`, ours checks revocations through a `RedisStore` there; with
//! `BENCH_THROTTLE=N` too, it counts failures there (N per minute); `BENCH_THROTTLE` alone
//! throttles in memory.
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
            eprintln!("usage: bench-server ours|ours-nocache|baseline ADDR");
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
        "baseline" => HttpServer::new(baseline_app).workers(1).bind(&addr)?.run(),
        other => {
            eprintln!("unknown service {other}");
            std::process::exit(2);
        }
    };
    server.await
}
