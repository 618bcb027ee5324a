//! `POST /admin/revocations` of the `orders` example: by `jti`, by subject, its refusals, and
//! across two instances sharing a real Redis (`AUTH_REDIS_URL`'s wiring, `Settings::with_redis`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use auth_examples::orders::{Settings, Store, routes};
use auth_tests::redis::{RedisServer, fresh_store};
use auth_tests::*;
use serde_json::{Value, json};

async fn service(
    settings: &Settings,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> + use<>
{
    test::init_service(
        App::new()
            .app_data(settings.auth_config().unwrap())
            .app_data(web::Data::new(Store::default()))
            .app_data(web::Data::new(settings.revocations.clone()))
            .configure(routes),
    )
    .await
}

fn settings() -> Settings {
    Settings::for_tests(HS256_SECRET, Some(ISSUER), Some(AUDIENCE))
}

fn token(jti: &str, subject: &str, scope: &str) -> String {
    let now = now();
    minter(Algorithm::HS256).sign(&json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "jti": jti, "scope": scope,
        "iat": now - 10, "exp": now + 600,
    }))
}

fn admin() -> String {
    token("admin-1", "root", "orders:admin")
}

fn me(token: &str) -> actix_http::Request {
    TestRequest::get()
        .uri("/me")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request()
}

fn revoke(token: &str, body: &Value) -> actix_http::Request {
    TestRequest::post()
        .uri("/admin/revocations")
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .set_json(body)
        .to_request()
}

#[actix_rt::test]
async fn a_token_revoked_by_its_jti_is_refused_and_others_are_not() {
    let settings = settings();
    let app = service(&settings).await;
    let (victim, other) = (token("t-1", "alice", ""), token("t-2", "alice", ""));
    assert_eq!(app.call(me(&victim)).await.unwrap().status(), 200);
    let res = app
        .call(revoke(
            &admin(),
            &json!({ "jti": "t-1", "expires_at": now() + 600 }),
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let refused = app.call(me(&victim)).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(
        refused
            .headers()
            .get(header::WWW_AUTHENTICATE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    assert_eq!(app.call(me(&other)).await.unwrap().status(), 200);
}

/// A token of another issuer than the service's is revoked under the `iss` the body names.
#[actix_rt::test]
async fn a_revocation_names_the_issuer_of_the_token_when_it_is_not_the_services() {
    let settings = settings();
    let app = service(&settings).await;
    let victim = token("t-7", "alice", "");
    let res = app
        .call(revoke(
            &admin(),
            &json!({ "jti": "t-7", "iss": "https://elsewhere.example" }),
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.call(me(&victim)).await.unwrap().status(),
        200,
        "another issuer's t-7"
    );
    let res = app
        .call(revoke(&admin(), &json!({ "jti": "t-7", "iss": ISSUER })))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.call(me(&victim)).await.unwrap().status(), 401);
}

#[actix_rt::test]
async fn a_subject_signed_out_everywhere_loses_its_older_tokens() {
    let settings = settings();
    let app = service(&settings).await;
    let old = token("t-1", "bob", "");
    let res = app
        .call(revoke(&admin(), &json!({ "sub": "bob" })))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.call(me(&old)).await.unwrap().status(), 401);
    assert_eq!(
        app.call(me(&token("t-3", "carol", "")))
            .await
            .unwrap()
            .status(),
        200
    );
}

#[actix_rt::test]
async fn revoking_needs_orders_admin_and_a_body_that_says_what() {
    let settings = settings();
    let app = service(&settings).await;
    let reader = token("t-1", "alice", "orders:read");
    let res = app
        .call(revoke(&reader, &json!({ "jti": "t-9" })))
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    for body in [
        json!({}),
        json!({ "jti": "" }),
        json!({ "jti": "t-1", "sub": "alice" }),
        json!({ "sub": "alice", "expires_at": 1 }),
        json!({ "jti": "t-1", "unknown": true }),
        json!({ "jti": "t-1", "expires_at": 1 }),
        json!({ "jti": "t-1", "expires_at": u64::MAX }),
        json!({ "sub": "alice", "issued_before": now() + 3600 }),
        json!({ "sub": "alice", "issued_before": u64::MAX }),
    ] {
        let res = app.call(revoke(&admin(), &body)).await.unwrap();
        assert_eq!(res.status(), 400, "{body}");
    }
    assert_eq!(
        app.call(me(&reader)).await.unwrap().status(),
        200,
        "nothing was revoked"
    );
}

/// Two instances sharing one Redis: revoked through instance A's endpoint, refused by B.
#[actix_rt::test]
async fn a_revocation_posted_to_one_instance_is_refused_by_the_other() {
    let server = RedisServer::start();
    let (store_a, store_b) = (
        fresh_store(&server, "orders").await,
        fresh_store(&server, "orders").await,
    );
    let a = service(&settings().with_redis(store_a)).await;
    let b = service(&settings().with_redis(store_b)).await;
    let victim = token("t-1", "alice", "");
    assert_eq!(b.call(me(&victim)).await.unwrap().status(), 200);
    let res = a
        .call(revoke(&admin(), &json!({ "jti": "t-1" })))
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let mut last = 0;
    for _ in 0..200 {
        last = b.call(me(&victim)).await.unwrap().status().as_u16();
        if last == 401 {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(last, 401, "instance B never refused the revoked token");
}
