//! What DPoP costs per request, side by side in one run with Bearer at the same algorithm
//! (ES256): the open endpoint; a Bearer request with a unique token (verified in full: the
//! verdict cache is off); a DPoP request whose bound token is cached (a client reuses its token)
//! but whose proof is new (one ES256 signature check, a replay-memory write); a DPoP request
//! with both new. Proofs and tokens are made before the timed part (`iter_batched`).
//! Run: `cargo bench -p auth-bench --bench dpop`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::cell::Cell;
use std::time::Duration;

use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use auth_bench::{
    DPOP_ORIGIN, Kind, bound_token, dpop_app, dpop_prover, token, verifier, verifier_with_cache,
};
use auth_core::Algorithm;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn benches(c: &mut Criterion) {
    let rt = actix_rt::System::new();
    let cached = rt.block_on(test::init_service(dpop_app(verifier())));
    let uncached = rt.block_on(test::init_service(dpop_app(verifier_with_cache(0))));
    let prover = dpop_prover();
    let serial = Cell::new(0u64);
    let next = || {
        serial.set(serial.get() + 1);
        serial.get()
    };
    let url = format!("{DPOP_ORIGIN}/either");
    let reused = bound_token(Algorithm::ES256, &prover, 0);

    let mut group = c.benchmark_group("dpop");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("open", |b| {
        b.iter(|| {
            let req = TestRequest::get().uri("/open").to_request();
            assert_eq!(rt.block_on(test::call_service(&cached, req)).status(), 200);
        })
    });
    group.bench_function("ES256/bearer unique token", |b| {
        b.iter_batched(
            || {
                TestRequest::get()
                    .uri("/either")
                    .insert_header((
                        header::AUTHORIZATION,
                        format!("Bearer {}", token(Algorithm::ES256, Kind::Valid, next())),
                    ))
                    .to_request()
            },
            |req| {
                assert_eq!(
                    rt.block_on(test::call_service(&uncached, req)).status(),
                    200
                )
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("ES256/dpop cached token, new proof", |b| {
        b.iter_batched(
            || {
                TestRequest::get()
                    .uri("/either")
                    .insert_header((header::AUTHORIZATION, format!("DPoP {reused}")))
                    .insert_header(("dpop", prover.proof("GET", &url, Some(&reused))))
                    .to_request()
            },
            |req| assert_eq!(rt.block_on(test::call_service(&cached, req)).status(), 200),
            BatchSize::SmallInput,
        )
    });
    group.bench_function("ES256/dpop unique token, new proof", |b| {
        b.iter_batched(
            || {
                let token = bound_token(Algorithm::ES256, &prover, next());
                TestRequest::get()
                    .uri("/either")
                    .insert_header((header::AUTHORIZATION, format!("DPoP {token}")))
                    .insert_header(("dpop", prover.proof("GET", &url, Some(&token))))
                    .to_request()
            },
            |req| {
                assert_eq!(
                    rt.block_on(test::call_service(&uncached, req)).status(),
                    200
                )
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(all, benches);
criterion_main!(all);
