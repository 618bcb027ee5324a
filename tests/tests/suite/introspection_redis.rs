//! Introspection answers shared by a fleet through a real Redis: a token introspected by one
//! instance costs the others no call to the authorization server; Redis down, each instance
//! asks the server itself (the shared cache fails open to the source of truth, never to an
//! acceptance) and still decides correctly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_web::test::{self, TestRequest};
use actix_web::{App, get};
use auth_core::{AuthConfig, ClientAuth, Introspection, Principal, require_auth};
use auth_tests::authorization_server::{AuthorizationServer, CLIENT_ID, CLIENT_SECRET};
use auth_tests::redis::{RedisServer, fresh_store};
use auth_tests::*;

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/orders")]
async fn orders(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

async fn instance(
    server: &AuthorizationServer,
    store: auth_core::redis_store::RedisStore,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    instance_as(server, store, CLIENT_ID, Duration::from_secs(60)).await
}

fn get_orders(token: &str) -> TestRequest {
    TestRequest::get()
        .uri("/orders")
        .insert_header(("authorization", format!("Bearer {token}")))
}

#[actix_web::test]
async fn a_fleet_sharing_redis_introspects_a_token_once() {
    let redis = RedisServer::start();
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    server.answer("opaque-dead", serde_json::json!({"active": false}));
    let a = instance(&server, fresh_store(&redis, "introspect").await).await;
    let b = instance(&server, fresh_store(&redis, "introspect").await).await;
    assert_eq!(call(&a, get_orders("opaque-read")).await.status, 200);
    // The answer is shared just after the waiters got it; the other instance reads it instead
    // of calling.
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(call(&b, get_orders("opaque-read")).await.status, 200);
    assert_eq!(server.calls(), 1, "instance b answered from Redis");
    call(&a, get_orders("opaque-dead"))
        .await
        .assert_invalid_token("inactive");
    actix_rt::time::sleep(Duration::from_millis(200)).await;
    call(&b, get_orders("opaque-dead"))
        .await
        .assert_invalid_token("inactive, from Redis");
    assert_eq!(server.calls(), 2);
}

#[actix_web::test]
async fn redis_down_each_instance_asks_the_server_and_still_decides() {
    let mut redis = RedisServer::start();
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let a = instance(&server, fresh_store(&redis, "introspect-down").await).await;
    let b = instance(&server, fresh_store(&redis, "introspect-down").await).await;
    redis.stop();
    assert_eq!(call(&a, get_orders("opaque-read")).await.status, 200);
    assert_eq!(call(&b, get_orders("opaque-read")).await.status, 200);
    assert_eq!(server.calls(), 2, "no shared cache: one call per instance");
    call(&b, get_orders("never-issued"))
        .await
        .assert_invalid_token("an unknown token is still refused");
}

async fn instance_as(
    server: &AuthorizationServer,
    store: auth_core::redis_store::RedisStore,
    client_id: &str,
    cache_for: Duration,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    let verifier = Introspection::builder(server.endpoint())
        .client(ClientAuth::secret_basic(client_id, CLIENT_SECRET))
        .issuer(server.issuer())
        .audience(AUDIENCE)
        .cache_for(cache_for)
        .shared_cache(store)
        .build()
        .unwrap();
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier)
        .build()
        .unwrap();
    test::init_service(App::new().app_data(config).service(orders)).await
}

/// The server may answer each resource server differently (RFC 7662 §4): a verifier never
/// reads an answer another client was given, in either direction.
#[actix_web::test]
async fn verifiers_of_different_clients_never_share_answers() {
    let redis = RedisServer::start();
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let a = instance_as(
        &server,
        fresh_store(&redis, "introspect-clients").await,
        CLIENT_ID,
        Duration::from_secs(60),
    )
    .await;
    let b = instance_as(
        &server,
        fresh_store(&redis, "introspect-clients").await,
        "admin-api",
        Duration::from_secs(60),
    )
    .await;
    assert_eq!(call(&a, get_orders("opaque-read")).await.status, 200);
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(call(&b, get_orders("opaque-read")).await.status, 200);
    assert_eq!(server.calls(), 2, "b asked for itself");
}

/// A reader keeps a shared answer no longer than its writer was allowed to: a revocation at
/// the server takes effect within one bound, not two.
#[actix_web::test]
async fn a_shared_answer_is_kept_no_longer_than_its_writers_bound() {
    let redis = RedisServer::start();
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let bound = Duration::from_secs(3);
    let a = instance_as(
        &server,
        fresh_store(&redis, "introspect-bound").await,
        CLIENT_ID,
        bound,
    )
    .await;
    let b = instance_as(
        &server,
        fresh_store(&redis, "introspect-bound").await,
        CLIENT_ID,
        bound,
    )
    .await;
    assert_eq!(call(&a, get_orders("opaque-read")).await.status, 200);
    let written = std::time::Instant::now();
    server.revoke("opaque-read");
    actix_rt::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        call(&b, get_orders("opaque-read")).await.status,
        200,
        "b reads a's answer"
    );
    assert_eq!(server.calls(), 1);
    // Past a's bound (whole seconds: at most `bound` after the write), b asks again.
    actix_rt::time::sleep(bound.saturating_sub(written.elapsed()) + Duration::from_millis(1100))
        .await;
    call(&b, get_orders("opaque-read"))
        .await
        .assert_invalid_token("revoked, past the writer's bound");
    assert_eq!(server.calls(), 2);
}
