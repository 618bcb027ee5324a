//! The Redis store against a real `redis-server` (started per test on 127.0.0.1, stopped after):
//! two "instances" (two `RedisStore`s, as two processes would hold) throttle and revoke as one,
//! an instance started later reads the state back, and each use fails as the contract's
//! "Shared state unreachable" table says when Redis goes away — and recovers by itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, SystemTime};

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::TestRequest;
use auth_core::redis_store::RedisStore;
use auth_core::verify::revocation::{RevocationCheck, RevocationStore, TokenIdentity};
use auth_core::{
    Algorithm, ApiKeys, AttemptStore, AuthConfig, FailureThrottle, JwtVerifier, ThrottleKey,
};
use auth_tests::log::capture_log;
use auth_tests::redis::{RedisServer, eventually};
use auth_tests::*;
use serde_json::json;

const KEY: &str = "k_8c1f2d9e6b7a40f1c3d2";

fn store(server: &RedisServer) -> RedisStore {
    RedisStore::builder(&server.url())
        .prefix("test")
        .max_staleness(Duration::from_secs(3))
        .build()
        .unwrap()
}

async fn fresh(store: &RedisStore) {
    let waited = eventually(Duration::from_secs(10), || store.is_fresh()).await;
    assert!(waited.is_some(), "the view never became fresh");
}

fn api_key_config(throttle: FailureThrottle) -> AuthConfig {
    let keys = ApiKeys::builder().key("ci", KEY).build().unwrap();
    AuthConfig::builder()
        .realm(REALM)
        .api_keys(keys)
        .throttle(throttle)
        .build()
        .unwrap()
}

fn with_key(key: &str) -> actix_http::Request {
    TestRequest::get()
        .peer_addr("192.0.2.9:50000".parse::<SocketAddr>().unwrap())
        .insert_header(("x-api-key", key))
        .to_request()
}

fn bearer_config(store: RedisStore) -> AuthConfig {
    let verifier = JwtVerifier::builder()
        .key(verification_key(Algorithm::HS256))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .revocations(store)
        .build()
        .unwrap();
    AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier)
        .build()
        .unwrap()
}

fn token(jti: &str, subject: &str) -> String {
    let now = now();
    minter(Algorithm::HS256).sign(&json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": subject, "jti": jti,
        "iat": now - 10, "exp": now + 600,
    }))
}

fn bearer(token: &str) -> actix_http::Request {
    TestRequest::get()
        .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
        .to_request()
}

fn identity<'a>(jti: &'a str, subject: &'a str) -> TokenIdentity<'a> {
    TokenIdentity {
        issuer: Some(ISSUER),
        jti: Some(jti),
        subject: Some(subject),
        issued_at: Some(now() as i64 - 10),
    }
}

fn in_ten_minutes() -> SystemTime {
    SystemTime::now() + Duration::from_secs(600)
}

/// One client alternating between two instances, one request at a time: the limit is the
/// fleet's, not each instance's — every request after the limit's failures is 429 on both,
/// the right key included. A client's round trip separates its requests (5 ms here); a block
/// reaches the other instance's view through pub/sub in well under that (measured by the
/// next test), and a request that arrives before it is refused all the same once its own
/// failure reaches Redis.
#[actix_rt::test]
async fn one_client_alternating_between_two_instances_gets_the_limit_once() {
    let server = RedisServer::start();
    let (a, b) = (store(&server), store(&server));
    fresh(&a).await;
    fresh(&b).await;
    let throttle_a = FailureThrottle::per_minute(5).store(a.clone());
    let throttle_b = FailureThrottle::per_minute(5).store(b.clone());
    let instances = [
        guarded(api_key_config(throttle_a.clone())).await,
        guarded(api_key_config(throttle_b.clone())).await,
    ];
    let mut statuses = Vec::new();
    for i in 0..10 {
        let key = if i < 8 { "k_guess_0000000000000" } else { KEY };
        let res = instances[i % 2].call(with_key(key)).await.unwrap();
        statuses.push(res.status().as_u16());
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    assert_eq!(throttle_a.store_errors() + throttle_b.store_errors(), 0);
}

/// The block travels through pub/sub: the other instance's local view has it without asking.
#[actix_rt::test]
async fn a_block_reaches_the_other_instances_view_and_a_new_instance_reads_it_back() {
    let server = RedisServer::start();
    let (a, b) = (store(&server), store(&server));
    fresh(&a).await;
    fresh(&b).await;
    let key = ThrottleKey::Client([198, 51, 100, 4].into());
    let minute = Duration::from_secs(60);
    let now = SystemTime::now();
    assert_eq!(a.record_failure(&key, now, 2, minute).await, Ok(None));
    let blocked = a.record_failure(&key, now, 2, minute).await.unwrap();
    assert!(blocked.is_some_and(|d| d <= minute));
    assert!(a.blocked_for(&key, SystemTime::now()).is_some(), "at once");
    let seen = eventually(Duration::from_secs(2), || {
        b.blocked_for(&key, SystemTime::now()).is_some()
    })
    .await;
    assert!(seen.is_some(), "the other instance never saw the block");
    println!("block seen by the other instance after {seen:?}");
    let later = store(&server);
    fresh(&later).await;
    assert!(
        later.blocked_for(&key, SystemTime::now()).is_some(),
        "read back"
    );
    let other = ThrottleKey::Client([198, 51, 100, 5].into());
    assert!(b.blocked_for(&other, SystemTime::now()).is_none());
}

/// Revocation by `jti` on one instance is refused on the other, cached verdict or not, and
/// by an instance started afterwards; a subject's sign-out travels the same way.
#[actix_rt::test]
async fn a_revocation_on_one_instance_is_refused_on_the_other() {
    let server = RedisServer::start();
    let (a, b) = (store(&server), store(&server));
    fresh(&a).await;
    fresh(&b).await;
    let on_b = guarded(bearer_config(b.clone())).await;
    let revoked = token("t-1", "alice");
    let kept = token("t-2", "bob");
    for _ in 0..2 {
        assert_eq!(on_b.call(bearer(&revoked)).await.unwrap().status(), 200);
    }
    a.revoke_token(Some(ISSUER), "t-1", in_ten_minutes())
        .await
        .unwrap();
    assert_eq!(
        a.check(&identity("t-1", "alice"), SystemTime::now()),
        RevocationCheck::Revoked
    );
    let seen = eventually(Duration::from_secs(2), || {
        b.check(&identity("t-1", "alice"), SystemTime::now()) == RevocationCheck::Revoked
    })
    .await;
    assert!(seen.is_some(), "never reached the other instance");
    println!("revocation seen by the other instance after {seen:?}");
    let res = on_b.call(bearer(&revoked)).await.unwrap();
    assert_eq!(res.status(), 401, "refused on the cached verdict too");
    assert_eq!(on_b.call(bearer(&kept)).await.unwrap().status(), 200);

    a.revoke_subject(Some(ISSUER), "bob", SystemTime::now())
        .await
        .unwrap();
    let seen = eventually(Duration::from_secs(2), || {
        b.check(&identity("t-2", "bob"), SystemTime::now()) == RevocationCheck::Revoked
    })
    .await;
    assert!(seen.is_some());
    assert_eq!(on_b.call(bearer(&kept)).await.unwrap().status(), 401);

    let later = store(&server);
    fresh(&later).await;
    for (jti, subject) in [("t-1", "alice"), ("t-9", "bob")] {
        assert_eq!(
            later.check(&identity(jti, subject), SystemTime::now()),
            RevocationCheck::Revoked,
            "read back: {jti} {subject}"
        );
    }
    assert_eq!(
        later.check(&identity("t-3", "carol"), SystemTime::now()),
        RevocationCheck::Live
    );
}

/// Redis goes away: throttling fails open (each failed write logged and counted, no 429, no
/// 500); revocation serves its last view up to the bound (3 s here), then 503 with
/// `Retry-After`; Redis comes back: both recover without a restart.
#[actix_rt::test]
async fn when_redis_goes_away_each_use_fails_as_the_contract_says_and_recovers() {
    let (log, _guard) = capture_log();
    let mut server = RedisServer::start();
    let a = store(&server);
    fresh(&a).await;
    a.revoke_token(Some(ISSUER), "t-1", in_ten_minutes())
        .await
        .unwrap();
    let throttle = FailureThrottle::per_minute(2).store(a.clone());
    let keys = guarded(api_key_config(throttle.clone())).await;
    let tokens = guarded(bearer_config(a.clone())).await;
    let live = token("t-2", "bob");
    assert_eq!(tokens.call(bearer(&live)).await.unwrap().status(), 200);

    server.stop();
    for _ in 0..4 {
        let res = keys.call(with_key("k_guess_0000000000000")).await.unwrap();
        assert_eq!(res.status(), 401, "throttling fails open");
    }
    assert!(throttle.store_errors() >= 4, "{}", throttle.store_errors());
    // Within the bound: the last view serves, the revoked token stays refused.
    assert_eq!(tokens.call(bearer(&live)).await.unwrap().status(), 200);
    assert_eq!(
        tokens
            .call(bearer(&token("t-1", "alice")))
            .await
            .unwrap()
            .status(),
        401
    );
    let stale = eventually(Duration::from_secs(8), || !a.is_fresh()).await;
    assert!(stale.is_some(), "the view never went stale");
    let res = tokens.call(bearer(&live)).await.unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "5");

    server.restart();
    fresh(&a).await;
    assert_eq!(tokens.call(bearer(&live)).await.unwrap().status(), 200);
    for expected in [401, 401, 429] {
        let res = keys.call(with_key("k_guess_0000000000000")).await.unwrap();
        assert_eq!(res.status(), expected, "throttling counts again");
    }
    let text = log.text();
    assert!(text.contains("failing open"), "{text}");
}

/// A password in the URL works; a wrong one never makes the view fresh; neither reaches a log
/// line, and the keys in Redis hold no user name.
#[actix_rt::test]
async fn a_password_in_the_url_works_and_is_never_logged() {
    let (log, _guard) = capture_log();
    let server = RedisServer::start_with_password("s3cret-redis-pw");
    let right = store(&server);
    fresh(&right).await;
    let wrong = RedisStore::builder(&server.url().replace("s3cret-redis-pw", "not-the-pw"))
        .prefix("test")
        .build()
        .unwrap();
    let user = ThrottleKey::user("alice@example.com");
    right
        .record_failure(&user, SystemTime::now(), 5, Duration::from_secs(60))
        .await
        .unwrap();
    assert!(
        wrong
            .record_failure(&user, SystemTime::now(), 5, Duration::from_secs(60))
            .await
            .is_err()
    );
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert!(!wrong.is_fresh());
    let text = log.text();
    assert!(!text.contains("s3cret-redis-pw"), "{text}");
    assert!(!text.contains("not-the-pw"), "{text}");
    let port = server
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let keys = Command::new("redis-cli")
        .args([
            "-p",
            &port,
            "-a",
            "s3cret-redis-pw",
            "--no-auth-warning",
            "--scan",
        ])
        .output()
        .unwrap();
    let keys = String::from_utf8_lossy(&keys.stdout);
    assert!(keys.contains("{test:throttle}:failures:u-"), "{keys}");
    assert!(!keys.contains("alice"), "{keys}");
}

/// A view too small for the revocations in force: revocation is `Stale` (503, fail closed) on
/// that instance, while its throttling still counts through Redis.
#[actix_rt::test]
async fn a_view_that_cannot_hold_every_revocation_is_stale_but_throttling_goes_on() {
    use auth_core::verify::revocation::MemoryRevocations;

    let server = RedisServer::start();
    let a = store(&server);
    let small = RedisStore::builder(&server.url())
        .prefix("test")
        .max_staleness(Duration::from_secs(3))
        .revocation_view(MemoryRevocations::new(1))
        .build()
        .unwrap();
    fresh(&a).await;
    fresh(&small).await;
    for jti in ["t-1", "t-2"] {
        a.revoke_token(Some(ISSUER), jti, in_ten_minutes())
            .await
            .unwrap();
    }
    let stale = eventually(Duration::from_secs(2), || {
        small.check(&identity("t-3", "carol"), SystemTime::now()) == RevocationCheck::Stale
    })
    .await;
    assert!(
        stale.is_some(),
        "a view missing a revocation was served as fresh"
    );
    let key = ThrottleKey::Client([198, 51, 100, 9].into());
    let counted = small
        .record_failure(&key, SystemTime::now(), 1, Duration::from_secs(60))
        .await;
    assert!(matches!(counted, Ok(Some(_))), "{counted:?}");
    // A restart of the small instance reads back into a view still too small: still stale.
    let again = RedisStore::builder(&server.url())
        .prefix("test")
        .max_staleness(Duration::from_secs(3))
        .revocation_view(MemoryRevocations::new(1))
        .build()
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || again.is_connected())
            .await
            .is_some()
    );
    assert_eq!(
        again.check(&identity("t-3", "carol"), SystemTime::now()),
        RevocationCheck::Stale
    );
}

/// A spray of 100 000 client addresses, each blocked at its first failure (limit 1) through
/// one instance: both instances' local views stay within their bound, and the newest blocks
/// still hold on the other instance.
#[actix_rt::test]
async fn the_local_views_stay_bounded_under_a_spray_of_100_000_addresses() {
    use auth_core::redis_store::MAX_LOCAL_BLOCKS;
    use futures_util::future::join_all;

    let server = RedisServer::start();
    let (a, b) = (store(&server), store(&server));
    fresh(&a).await;
    fresh(&b).await;
    let minute = Duration::from_secs(60);
    let key = |i: u32| ThrottleKey::Client(std::net::IpAddr::from((0x0a00_0000 + i).to_be_bytes()));
    for batch in (0..100_000u32).collect::<Vec<_>>().chunks(2_000) {
        let writes = batch
            .iter()
            .map(|i| a.record_failure(&key(*i), SystemTime::now(), 1, minute));
        for written in join_all(writes).await {
            assert!(matches!(written, Ok(Some(_))), "{written:?}");
        }
    }
    let last = key(99_999);
    let seen = eventually(Duration::from_secs(10), || {
        b.blocked_for(&last, SystemTime::now()).is_some()
    })
    .await;
    assert!(
        seen.is_some(),
        "the newest block never reached the other view"
    );
    println!(
        "after 100 000 blocked addresses: views hold {} and {} blocks (bound {MAX_LOCAL_BLOCKS})",
        a.local_blocks(),
        b.local_blocks()
    );
    assert!(a.local_blocks() <= MAX_LOCAL_BLOCKS);
    assert!(b.local_blocks() <= MAX_LOCAL_BLOCKS);
    assert!(b.local_blocks() > MAX_LOCAL_BLOCKS / 2, "it did fill up");
}
