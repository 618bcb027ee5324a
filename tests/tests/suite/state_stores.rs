//! The state stores through real actix services: failure throttling and revocation, each with
//! how it fails when its backend is down (the contract's "Shared state unreachable" table):
//! throttling fails open (logged, counted), revocation refuses with 503 once its view is stale.
//! Revocation by `iss` + `jti` until `exp`, by subject cut-off, and on a cached verdict.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use auth_core::store::{StoreError, StoreFuture};
use auth_core::testing::{assert_invalid_token, assert_token_expired};
use auth_core::verify::revocation::{
    MemoryRevocations, RevocationCheck, RevocationStore, TokenIdentity,
};
use auth_core::{
    Algorithm, AttemptStore, AuthConfig, BearerVerifier, FailureThrottle, JwtVerifier,
    MemoryAttemptStore, Reason, ThrottleKey,
};
use auth_tests::log::capture_log;
use auth_tests::*;
use futures_util::FutureExt as _;
use serde_json::{Value, json};

/// An HS256 test token with `scope` (the one minter: `auth_core::testing`).
fn token(scope: &str) -> String {
    minter(Algorithm::HS256).sign(&claims(scope))
}

fn token_with(alg: Algorithm, claims: &Value) -> String {
    minter(alg).sign(claims)
}

const OTHER_ISSUER: &str = "https://other-id.test.example";

fn bearer(token: &str) -> actix_http::Request {
    TestRequest::get()
        .uri("/orders")
        .peer_addr("192.0.2.7:50000".parse::<SocketAddr>().unwrap())
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request()
}

fn throttled(throttle: FailureThrottle) -> AuthConfig {
    AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .throttle(throttle)
        .build()
        .unwrap()
}

/// A future that is pending on its first poll and then answers `value`: a network store's
/// write, whose round trip outlives the request.
struct Later<T>(Option<T>, bool);

impl<T: Unpin> Future for Later<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        if !self.1 {
            self.1 = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(self.0.take().expect("polled after completion"))
    }
}

fn later<T: Unpin + Send + 'static>(value: T) -> StoreFuture<T> {
    Box::pin(Later(Some(value), false))
}

/// A shared failure store whose backend is down: its local view blocks nobody, and every
/// write fails, at once or after a (failed) round trip.
struct DownAttempts {
    answers_later: bool,
}

impl AttemptStore for DownAttempts {
    fn blocked_for(&self, _: &ThrottleKey, _: SystemTime) -> Option<Duration> {
        None
    }
    fn record_failure(
        &self,
        _: &ThrottleKey,
        _: SystemTime,
        _: u32,
        _: Duration,
    ) -> StoreFuture<Result<Option<Duration>, StoreError>> {
        let down = Err(StoreError::Unavailable("connection refused"));
        if self.answers_later {
            later(down)
        } else {
            Box::pin(std::future::ready(down))
        }
    }
}

/// Lets the tasks the guard spawned (a store's pending writes) run.
async fn settle() {
    for _ in 0..10 {
        actix_web::rt::task::yield_now().await;
    }
}

#[actix_rt::test]
async fn throttling_fails_open_when_its_store_is_down() {
    for answers_later in [false, true] {
        let (log, _guard) = capture_log();
        let throttle = FailureThrottle::per_minute(2).store(DownAttempts { answers_later });
        let app = guarded(throttled(throttle.clone())).await;
        for _ in 0..5 {
            let res = app.call(bearer("junk.junk.junk")).await.unwrap();
            assert_eq!(
                res.status(),
                401,
                "past the limit, never 429: the throttle fails open"
            );
        }
        settle().await;
        assert_eq!(throttle.store_errors(), 5, "every failed write is counted");
        let res = app.call(bearer(&token(""))).await.unwrap();
        assert_eq!(res.status(), 200, "decided as if no client were blocked");
        let text = log.text();
        assert!(text.contains("ERROR"), "{text}");
        assert!(
            text.contains("the store failed, the failure is not counted (failing open)"),
            "{text}"
        );
        assert!(
            text.contains("the store is unreachable: connection refused"),
            "{text}"
        );
        assert!(
            !text.contains("too many failed attempts: blocked"),
            "{text}"
        );
    }
}

/// A shared failure store that is up: it updates its local view at once (an in-memory store
/// stands for it) and answers after a round trip.
struct RoundTripAttempts(MemoryAttemptStore);

impl AttemptStore for RoundTripAttempts {
    fn blocked_for(&self, key: &ThrottleKey, now: SystemTime) -> Option<Duration> {
        self.0.blocked_for(key, now)
    }
    fn record_failure(
        &self,
        key: &ThrottleKey,
        now: SystemTime,
        limit: u32,
        window: Duration,
    ) -> StoreFuture<Result<Option<Duration>, StoreError>> {
        let answer = self
            .0
            .record_failure(key, now, limit, window)
            .now_or_never();
        later(answer.expect("the local view answers at once"))
    }
}

#[actix_rt::test]
async fn a_store_answering_later_throttles_at_once_and_logs_the_block_when_it_answers() {
    let (log, _guard) = capture_log();
    let minute = Duration::from_secs(60);
    let store = RoundTripAttempts(MemoryAttemptStore::new(64, minute));
    let throttle = FailureThrottle::per_minute(2).store(store);
    let app = guarded(throttled(throttle.clone())).await;
    for _ in 0..2 {
        let res = app.call(bearer("junk.junk.junk")).await.unwrap();
        assert_eq!(res.status(), 401);
    }
    // The local view was updated before the write's round trip ended.
    let res = app.call(bearer(&token(""))).await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key(header::RETRY_AFTER));
    settle().await;
    let text = log.text();
    assert!(text.contains("too many failed attempts: blocked"), "{text}");
    assert_eq!(throttle.store_errors(), 0);
}

#[actix_rt::test]
async fn the_memory_store_blocks_the_failure_that_reaches_the_limit_at_once() {
    let (log, _guard) = capture_log();
    let app = guarded(throttled(FailureThrottle::per_minute(2))).await;
    for _ in 0..2 {
        assert_eq!(
            app.call(bearer("junk.junk.junk")).await.unwrap().status(),
            401
        );
    }
    // No task to wait for: the block is logged by the request that reached the limit.
    assert!(log.text().contains("too many failed attempts: blocked"));
    let res = app.call(bearer(&token(""))).await.unwrap();
    assert_eq!(res.status(), 429);
}

/// A revocation store whose backend went away: fresh until `stale` is set, then stale.
#[derive(Default)]
struct Unreachable {
    stale: AtomicBool,
}

impl RevocationStore for Unreachable {
    fn check(&self, _: &TokenIdentity<'_>, _: SystemTime) -> RevocationCheck {
        if self.stale.load(Ordering::SeqCst) {
            RevocationCheck::Stale
        } else {
            RevocationCheck::Live
        }
    }
    fn revoke_token(
        &self,
        _: Option<&str>,
        _: &str,
        _: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        later(Err(StoreError::Timeout))
    }
    fn revoke_subject(
        &self,
        _: Option<&str>,
        _: &str,
        _: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        later(Err(StoreError::Timeout))
    }
}

/// A verifier with the HS256 test key, the test audience, any issuer (unless `issuer`), a
/// clock the test sets, and `store`.
fn verifier_with(
    store: impl RevocationStore,
    issuer: Option<&str>,
    clock: Arc<AtomicU64>,
) -> JwtVerifier {
    let builder = JwtVerifier::builder()
        .key(verification_key(Algorithm::HS256))
        .audience(AUDIENCE)
        .clock(move || clock.load(Ordering::SeqCst))
        .revocations(store);
    match issuer {
        Some(issuer) => builder.issuer(issuer),
        None => builder,
    }
    .build()
    .unwrap()
}

fn bearer_only(verifier: JwtVerifier) -> AuthConfig {
    AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier)
        .build()
        .unwrap()
}

fn signed(claims: Value) -> String {
    token_with(Algorithm::HS256, &claims)
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[actix_rt::test]
async fn a_stale_revocation_view_is_refused_with_503_and_retry_after_even_when_cached() {
    let store = Arc::new(Unreachable::default());
    let clock = Arc::new(AtomicU64::new(now()));
    let verifier = verifier_with(store.clone(), Some(ISSUER), clock);
    let app = guarded(bearer_only(verifier.clone())).await;
    let token = token("");
    for _ in 0..2 {
        assert_eq!(app.call(bearer(&token)).await.unwrap().status(), 200);
    }
    assert!(verifier.cached(token.as_bytes()).is_some(), "cached");
    // Writes to a store that is down fail, and the caller is told.
    let write = store.revoke_token(Some(ISSUER), "t-1", at(now() + 60));
    assert_eq!(write.await, Err(StoreError::Timeout));

    store.stale.store(true, Ordering::SeqCst);
    for token in [token.clone(), self::token("orders:read")] {
        let res = app.call(bearer(&token)).await.unwrap();
        assert_eq!(res.status(), 503, "a stale view refuses, cached or not");
        assert_eq!(
            res.headers().get(header::RETRY_AFTER).unwrap(),
            "5",
            "with Retry-After"
        );
        let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");
        assert_eq!(body["status"], 503);
    }
    assert_eq!(
        verifier.cached(token.as_bytes()).unwrap().unwrap_err(),
        Reason::RevocationStale
    );
    store.stale.store(false, Ordering::SeqCst);
    assert_eq!(app.call(bearer(&token)).await.unwrap().status(), 200);
}

#[actix_rt::test]
async fn a_token_is_revoked_by_its_jti_under_its_issuer_until_it_expires() {
    let revocations = Arc::new(MemoryRevocations::default());
    let t0 = now();
    let clock = Arc::new(AtomicU64::new(t0));
    let app = guarded(bearer_only(verifier_with(
        revocations.clone(),
        None,
        clock.clone(),
    )))
    .await;
    let exp = t0 + 600;
    let of = |issuer: &str, jti: &str| {
        signed(
            json!({"iss": issuer, "aud": AUDIENCE, "sub": "alice", "jti": jti, "iat": t0, "exp": exp}),
        )
    };
    let (revoked, same_id_elsewhere, sibling) = (
        of(ISSUER, "t-1"),
        of(OTHER_ISSUER, "t-1"),
        of(ISSUER, "t-2"),
    );
    for token in [&revoked, &same_id_elsewhere, &sibling] {
        assert_eq!(app.call(bearer(token)).await.unwrap().status(), 200);
    }

    revocations
        .revoke_token(Some(ISSUER), "t-1", at(exp))
        .await
        .unwrap();
    assert_invalid_token(app.call(bearer(&revoked)).await.unwrap()).await;
    assert_eq!(
        app.call(bearer(&same_id_elsewhere)).await.unwrap().status(),
        200,
        "the same jti under another issuer is another token"
    );
    assert_eq!(app.call(bearer(&sibling)).await.unwrap().status(), 200);

    // Past `exp`, within the verifier's leeway: the token would still be accepted, and its
    // revocation still holds.
    clock.store(exp + 30, Ordering::SeqCst);
    assert_eq!(app.call(bearer(&sibling)).await.unwrap().status(), 200);
    assert_invalid_token(app.call(bearer(&revoked)).await.unwrap()).await;
    // Past the leeway the token is expired: the revocation may be forgotten.
    clock.store(exp + 60, Ordering::SeqCst);
    assert_token_expired(app.call(bearer(&revoked)).await.unwrap()).await;
    let token = TokenIdentity {
        issuer: Some(ISSUER),
        jti: Some("t-1"),
        subject: Some("alice"),
        issued_at: Some(t0 as i64),
    };
    assert_eq!(
        revocations.check(&token, at(exp + 60)),
        RevocationCheck::Live
    );
}

#[actix_rt::test]
async fn signing_a_subject_out_everywhere_refuses_its_tokens_issued_before_the_cut_off() {
    let revocations = Arc::new(MemoryRevocations::default());
    let t0 = now();
    let clock = Arc::new(AtomicU64::new(t0));
    let app = guarded(bearer_only(verifier_with(
        revocations.clone(),
        Some(ISSUER),
        clock.clone(),
    )))
    .await;
    let issued = |sub: &str, iat: Option<u64>| {
        let mut claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "exp": t0 + 3600});
        if let Some(iat) = iat {
            claims["iat"] = json!(iat);
        }
        signed(claims)
    };
    let (old, no_iat, bobs) = (
        issued("alice", Some(t0 - 100)),
        issued("alice", None),
        issued("bob", Some(t0 - 100)),
    );
    for token in [&old, &no_iat, &bobs] {
        for _ in 0..2 {
            assert_eq!(app.call(bearer(token)).await.unwrap().status(), 200);
        }
    }

    // Sign alice out everywhere at t0 (whole seconds: a token issued in that second passes).
    revocations
        .revoke_subject(Some(ISSUER), "alice", at(t0))
        .await
        .unwrap();
    assert_invalid_token(app.call(bearer(&old)).await.unwrap()).await;
    assert_invalid_token(app.call(bearer(&no_iat)).await.unwrap()).await;
    assert_eq!(
        app.call(bearer(&bobs)).await.unwrap().status(),
        200,
        "another subject"
    );
    clock.store(t0 + 5, Ordering::SeqCst);
    for iat in [t0, t0 + 5] {
        let fresh = issued("alice", Some(iat));
        assert_eq!(
            app.call(bearer(&fresh)).await.unwrap().status(),
            200,
            "issued at or after the cut-off"
        );
    }
    // The same subject under another issuer is another subject: the store keys by issuer.
    let elsewhere = TokenIdentity {
        issuer: Some(OTHER_ISSUER),
        jti: None,
        subject: Some("alice"),
        issued_at: Some((t0 - 100) as i64),
    };
    assert_eq!(revocations.check(&elsewhere, at(t0)), RevocationCheck::Live);
}

#[actix_rt::test]
async fn a_revoked_token_is_refused_on_a_cached_verdict() {
    let revocations = Arc::new(MemoryRevocations::default());
    let clock = Arc::new(AtomicU64::new(now()));
    let verifier = verifier_with(revocations.clone(), Some(ISSUER), clock);
    let app = guarded(bearer_only(verifier.clone())).await;
    let mut claims = claims("orders:read");
    claims["jti"] = json!("cached-1");
    let token = signed(claims.clone());
    for _ in 0..2 {
        assert_eq!(app.call(bearer(&token)).await.unwrap().status(), 200);
    }
    assert!(
        verifier.cached(token.as_bytes()).unwrap().is_ok(),
        "the verdict is cached"
    );

    let exp = claims["exp"].as_u64().unwrap();
    revocations
        .revoke_token(Some(ISSUER), "cached-1", at(exp))
        .await
        .unwrap();
    assert_eq!(
        verifier.cached(token.as_bytes()).unwrap().unwrap_err(),
        Reason::Revoked
    );
    for _ in 0..2 {
        assert_invalid_token(app.call(bearer(&token)).await.unwrap()).await;
    }
}

#[actix_rt::test]
async fn a_full_revocation_store_refuses_the_write_and_the_caller_knows() {
    let revocations = Arc::new(MemoryRevocations::new(1));
    let clock = Arc::new(AtomicU64::new(now()));
    let app = guarded(bearer_only(verifier_with(
        revocations.clone(),
        Some(ISSUER),
        clock,
    )))
    .await;
    let with_jti = |jti: &str| {
        let mut claims = claims("");
        claims["jti"] = json!(jti);
        signed(claims)
    };
    let exp = at(now() + 3600);
    revocations
        .revoke_token(Some(ISSUER), "a", exp)
        .await
        .unwrap();
    let full = revocations.revoke_token(Some(ISSUER), "b", exp).await;
    assert_eq!(full, Err(StoreError::Full { capacity: 1 }));
    assert_invalid_token(app.call(bearer(&with_jti("a"))).await.unwrap()).await;
    assert_eq!(
        app.call(bearer(&with_jti("b"))).await.unwrap().status(),
        200,
        "not revoked, and the write said so"
    );
}
