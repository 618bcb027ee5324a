//! The DPoP replay memory shared by a fleet through a real `redis-server` (started on
//! 127.0.0.1 by the test, stopped after): a proof accepted by one instance is a replay on the
//! other, and when Redis is unreachable DPoP requests fail closed with 503 — and recover by
//! themselves when it is back (`responses.md`, "Shared state unreachable").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_web::test::{self, TestRequest};
use actix_web::{App, get};
use auth_core::redis_store::RedisStore;
use auth_core::testing::DpopProver;
use auth_core::{AuthConfig, Dpop, Principal, require_auth};
use auth_tests::redis::{RedisServer, fresh_store};
use auth_tests::*;
use serde_json::json;

const ORIGIN: &str = "https://api.test.example";

#[require_auth(scheme = "dpop", scope = "orders:read")]
#[get("/dpop")]
async fn dpop_only(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

fn config(store: RedisStore) -> AuthConfig {
    let dpop = Dpop::builder(ORIGIN).replay_store(store).build().unwrap();
    AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .dpop(dpop)
        .build()
        .unwrap()
}

fn request(token: &str, proof: &str) -> TestRequest {
    TestRequest::get()
        .uri("/dpop")
        .insert_header(("authorization", format!("DPoP {token}")))
        .insert_header(("dpop", proof.to_owned()))
}

#[actix_web::test]
async fn a_proof_used_on_one_instance_is_a_replay_on_the_other_and_an_outage_fails_closed() {
    let mut server = RedisServer::start();
    let one = test::init_service(
        App::new()
            .app_data(config(fresh_store(&server, "dpop").await))
            .service(dpop_only),
    )
    .await;
    let other = test::init_service(
        App::new()
            .app_data(config(fresh_store(&server, "dpop").await))
            .service(dpop_only),
    )
    .await;
    let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, ED25519_PRIVATE));
    let token = minter(Algorithm::ES256)
        .claim("cnf", json!({"jkt": prover.thumbprint()}))
        .token(&["orders:read"]);
    let url = format!("{ORIGIN}/dpop");

    let proof = prover.proof("GET", &url, Some(&token));
    assert_eq!(call(&one, request(&token, &proof)).await.status, 200);
    let replayed = call(&other, request(&token, &proof)).await;
    assert_eq!(replayed.status, 401);
    assert_eq!(replayed.error(), "invalid_dpop_proof");
    let fresh = prover.proof("GET", &url, Some(&token));
    assert_eq!(call(&other, request(&token, &fresh)).await.status, 200);

    // The key expires with the proof's window: 60 s of age, 60 s of leeway for clocks behind,
    // plus one.
    let mut redis = ::redis::Client::open(server.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg("{dpop:dpop}:proofs:*")
        .query(&mut redis)
        .unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let ttl: i64 = ::redis::cmd("TTL").arg(&keys[0]).query(&mut redis).unwrap();
    assert!((110..=122).contains(&ttl), "ttl {ttl}");

    server.stop();
    let down = call(
        &one,
        request(&token, &prover.proof("GET", &url, Some(&token))),
    )
    .await;
    down.assert_problem(503);
    assert_eq!(down.header("retry-after"), Some("5"));
    assert!(down.challenges().is_empty());

    server.restart();
    let mut healed = false;
    for _ in 0..200 {
        let answer = call(
            &one,
            request(&token, &prover.proof("GET", &url, Some(&token))),
        )
        .await;
        if answer.status == 200 {
            healed = true;
            break;
        }
        assert_eq!(answer.status, 503, "never accepted unchecked");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healed, "DPoP works again once Redis is back");
}
