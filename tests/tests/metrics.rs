//! The framework's metrics through a real Prometheus recorder, scraped from the `orders`
//! example's `GET /metrics`: the names and labels operators alert on, counted as the requests
//! were answered, and never a user, a token or an address in a label. One test: the recorder is
//! the process's, and counters only grow.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use auth_core::redis_store::RedisStore;
use auth_examples::orders::{Settings, Store, routes};
use auth_tests::redis::{RedisServer, eventually};
use auth_tests::*;
use serde_json::json;

/// The value of the series `name{labels}` in a Prometheus text exposition (0 when absent).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[actix_rt::test]
async fn refusals_successes_cache_blocks_and_store_errors_are_counted_without_secrets() {
    auth_examples::metrics::handle();
    let mut settings = Settings::for_tests(HS256_SECRET, Some(ISSUER), Some(AUDIENCE));
    settings.failure_limit = 2;
    let app = test::init_service(
        App::new()
            .app_data(settings.auth_config().unwrap())
            .app_data(web::Data::new(Store::default()))
            .app_data(web::Data::new(settings.revocations.clone()))
            .configure(routes),
    )
    .await;
    let now = now();
    let token = minter(Algorithm::HS256).sign(&json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": "alice-the-user", "scope": "orders:read",
        "iat": now, "exp": now + 600,
    }));
    let get = |auth: Option<String>| {
        let mut req = TestRequest::get()
            .uri("/orders")
            .peer_addr("203.0.113.77:4000".parse().unwrap());
        if let Some(auth) = auth {
            req = req.insert_header((header::AUTHORIZATION, auth));
        }
        req.to_request()
    };
    let scrape = || async {
        let res = app
            .call(TestRequest::get().uri("/metrics").to_request())
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("text/plain; version=0.0.4")
        );
        String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
    };
    let before = scrape().await;
    for _ in 0..3 {
        assert_eq!(
            app.call(get(Some(format!("Bearer {token}"))))
                .await
                .unwrap()
                .status(),
            200
        );
    }
    assert_eq!(app.call(get(None)).await.unwrap().status(), 401);
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = app
            .call(get(Some("Bearer junk.junk.junk".into())))
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429]);
    let after = scrape().await;
    let delta = |series: &str| value(&after, series) - value(&before, series);
    assert_eq!(
        delta(r#"auth_authenticated_total{scheme="bearer"}"#),
        3.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"auth_refusals_total{status="401",error="unauthorized",scheme="none"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"auth_refusals_total{status="401",error="invalid_token",scheme="bearer"}"#),
        2.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"auth_refusals_total{status="429",error="too_many_requests",scheme="bearer"}"#),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta(r#"auth_throttle_blocks_total{key="client"}"#),
        1.0,
        "{after}"
    );
    // The first sighting of a token is verified, the second cached (doorkeeper), the third a hit.
    assert!(delta("auth_verdict_cache_hits_total") >= 1.0, "{after}");
    assert!(delta("auth_verdict_cache_misses_total") >= 2.0, "{after}");
    for secret in ["alice-the-user", "203.0.113.77", "junk", &token[..20]] {
        assert!(!after.contains(secret), "{secret} in the metrics:\n{after}");
    }

    // A shared store that is down: the throttle's failed writes and the view's age are series.
    let mut server = RedisServer::start();
    let redis = RedisStore::builder(&server.url())
        .prefix("metrics")
        .build()
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || redis.is_fresh())
            .await
            .is_some()
    );
    let mut shared =
        Settings::for_tests(HS256_SECRET, Some(ISSUER), Some(AUDIENCE)).with_redis(redis);
    shared.failure_limit = 5;
    let fleet = test::init_service(
        App::new()
            .app_data(shared.auth_config().unwrap())
            .app_data(web::Data::new(Store::default()))
            .configure(routes),
    )
    .await;
    server.stop();
    for _ in 0..2 {
        let req = TestRequest::get()
            .uri("/partner/orders")
            .peer_addr("203.0.113.78:4000".parse().unwrap())
            .insert_header(("x-api-key", "wrong-partner-key-000000"))
            .to_request();
        assert_eq!(fleet.call(req).await.unwrap().status(), 401, "fails open");
    }
    actix_web::rt::time::sleep(Duration::from_millis(2_100)).await;
    let down = scrape().await;
    assert_eq!(
        value(&down, r#"auth_store_errors_total{store="attempts"}"#)
            - value(&after, r#"auth_store_errors_total{store="attempts"}"#),
        2.0,
        "each failed write counted once:\n{down}"
    );
    assert!(
        value(&down, r#"auth_store_view_age_seconds{store="redis"}"#) >= 1.0,
        "{down}"
    );
}
