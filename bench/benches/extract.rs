//! Cost per request through a real actix service (`actix_web::test`), for each algorithm: the open
//! endpoint, the hand-written baseline, ours with the verdict cache (a repeated token), ours
//! without it (every request verified), the core called by hand without the macro, and the
//! failure paths. Run: `cargo bench -p auth-bench`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, web};
use auth_bench::{
    ALGORITHMS, Kind, baseline_app, ours_app, path, token, verifier, verifier_with_cache,
};
use auth_core::JwtVerifier;
use criterion::{Criterion, criterion_group, criterion_main};

/// One request through `app`, on the benchmark's actix runtime; the status.
macro_rules! call {
    ($rt:expr, $app:expr, $uri:expr, $auth:expr) => {{
        let mut req = TestRequest::get().uri($uri);
        if let Some(a) = $auth {
            req = req.insert_header((header::AUTHORIZATION, a));
        }
        $rt.block_on(test::call_service(&$app, req.to_request()))
            .status()
            .as_u16()
    }};
}

/// The core called by hand: what a user would write without `#[require_auth]`.
async fn by_hand(req: HttpRequest, verifier: web::Data<JwtVerifier>) -> HttpResponse {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let verified = match token {
        Some(t) => Some(verifier.verify(t).await),
        None => None,
    };
    match verified {
        Some(Ok(p)) if p.has_scope("orders:read") => {
            HttpResponse::Ok().json(serde_json::json!({ "ok": true }))
        }
        Some(Ok(_)) => HttpResponse::Forbidden().finish(),
        _ => HttpResponse::Unauthorized().finish(),
    }
}

fn benches(c: &mut Criterion) {
    let rt = actix_rt::System::new();
    let ours = rt.block_on(test::init_service(ours_app(verifier())));
    let ours_nocache = rt.block_on(test::init_service(ours_app(verifier_with_cache(0))));
    let baseline = rt.block_on(test::init_service(baseline_app()));
    let hand_app = App::new()
        .app_data(web::Data::new(verifier_with_cache(0)))
        .route("/hand", web::get().to(by_hand));
    let hand = rt.block_on(test::init_service(hand_app));
    let none: Option<&str> = None;

    let mut group = c.benchmark_group("request");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("open", |b| {
        b.iter(|| assert_eq!(call!(rt, ours, "/open", none), 200))
    });
    for alg in ALGORITHMS {
        let p = path(alg);
        let valid = format!("Bearer {}", token(alg, Kind::Valid, 0));
        let forged = format!("Bearer {}", token(alg, Kind::Forged, 0));
        let (v, f) = (Some(valid.as_str()), Some(forged.as_str()));
        let name = format!("{alg:?}");
        group.bench_function(format!("{name}/baseline"), |b| {
            b.iter(|| assert_eq!(call!(rt, baseline, &p, v), 200))
        });
        group.bench_function(format!("{name}/ours cached"), |b| {
            b.iter(|| assert_eq!(call!(rt, ours, &p, v), 200))
        });
        group.bench_function(format!("{name}/ours uncached"), |b| {
            b.iter(|| assert_eq!(call!(rt, ours_nocache, &p, v), 200))
        });
        group.bench_function(format!("{name}/core by hand uncached"), |b| {
            b.iter(|| assert_eq!(call!(rt, hand, "/hand", v), 200))
        });
        group.bench_function(format!("{name}/baseline forged"), |b| {
            b.iter(|| assert_eq!(call!(rt, baseline, &p, f), 401))
        });
        group.bench_function(format!("{name}/ours forged cached"), |b| {
            b.iter(|| assert_eq!(call!(rt, ours, &p, f), 401))
        });
        group.bench_function(format!("{name}/ours forged uncached"), |b| {
            b.iter(|| assert_eq!(call!(rt, ours_nocache, &p, f), 401))
        });
    }
    let hs = path(ALGORITHMS[0]);
    group.bench_function("failure/no credentials", |b| {
        b.iter(|| assert_eq!(call!(rt, ours, &hs, none), 401))
    });
    group.bench_function("failure/malformed", |b| {
        b.iter(|| assert_eq!(call!(rt, ours, &hs, Some("Bearer a b")), 400))
    });
    group.bench_function("failure/baseline no credentials", |b| {
        b.iter(|| assert_eq!(call!(rt, baseline, &hs, none), 401))
    });
    group.finish();
}

criterion_group!(all, benches);
criterion_main!(all);
