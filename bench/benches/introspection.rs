//! What a cached opaque token costs per request, side by side in one run with the open
//! endpoint and a cached HS256 JWT: one actix service (`JwtOrOpaque`: JWTs verified here,
//! opaque tokens introspected against an authorization server on another thread), each token
//! sent once before the timed part so every timed request is a cache hit.
//! Run: `cargo bench -p auth-bench --bench introspection`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use auth_bench::{Kind, ours_app_with, token, verifier};
use auth_core::{Algorithm, ClientAuth, Introspection, JwtOrOpaque};
use criterion::{Criterion, criterion_group, criterion_main};

/// An authorization server answering every token active with `orders:read`; its endpoint.
fn authorization_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let answer = || async {
                actix_web::HttpResponse::Ok().json(serde_json::json!({
                    "active": true, "scope": "orders:read", "sub": "bench", "exp": 4_102_444_800u64,
                }))
            };
            actix_web::HttpServer::new(move || {
                actix_web::App::new().route("/introspect", actix_web::web::post().to(answer))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run()
            .await
        })
    });
    format!("http://{addr}/introspect")
}

fn benches(c: &mut Criterion) {
    let rt = actix_rt::System::new();
    let introspection = Introspection::builder(authorization_server())
        .client(ClientAuth::secret_basic("bench", "bench-secret"))
        .cache_for(Duration::from_secs(3600))
        .build()
        .unwrap();
    let app = rt.block_on(test::init_service(ours_app_with(
        JwtOrOpaque::new(verifier(), introspection),
        None,
    )));
    let opaque = "Bearer 2YotnFZFEjr1zCsicMWpAA-bench-opaque-token-0123";
    let jwt = format!("Bearer {}", token(Algorithm::HS256, Kind::Valid, 0));
    let call = |auth: Option<&str>, path: &str| {
        let mut req = TestRequest::get().uri(path);
        if let Some(a) = auth {
            req = req.insert_header((header::AUTHORIZATION, a.to_owned()));
        }
        rt.block_on(test::call_service(&app, req.to_request()))
            .status()
            .as_u16()
    };
    // Warm: the opaque token's one introspection call, the JWT's second sighting.
    for _ in 0..3 {
        assert_eq!(call(Some(opaque), "/hs256"), 200);
        assert_eq!(call(Some(&jwt), "/hs256"), 200);
    }
    let mut group = c.benchmark_group("introspection");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("open, same header", |b| {
        b.iter(|| assert_eq!(call(Some(opaque), "/open"), 200))
    });
    group.bench_function("opaque, cached answer", |b| {
        b.iter(|| assert_eq!(call(Some(opaque), "/hs256"), 200))
    });
    group.bench_function("HS256 JWT, verdict cache", |b| {
        b.iter(|| assert_eq!(call(Some(&jwt), "/hs256"), 200))
    });
    group.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
