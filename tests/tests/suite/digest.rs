//! HTTP Digest (RFC 7616): every row of the "Digest" section of `responses.md`, through real
//! actix services, for the attribute and the extractor-struct forms, with a client written
//! here from the RFC (§3.4) — independent clients (curl, requests, urllib) are in
//! `tests/interop/digest_interop.py`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::to_bytes;
use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, get};
use auth_core::challenge::{Challenge, parse};
use auth_core::store::{StoreError, StoreFuture};
use auth_core::verify::digest_nonces::{MemoryNonces, NonceAnswer, NonceStore, NonceUse};
use auth_core::{
    AuthConfig, DigestAlgorithm, DigestAuth, DigestFuture, DigestLookup, DigestUser,
    DigestVerifier, FailureThrottle, Htdigest, Principal, require_auth,
};
use auth_tests::*;

const OPS_REALM: &str = "orders-ops";
const PASSWORD: &str = "correct horse";

#[require_auth(scheme = "digest", realm = "orders-ops")]
#[get("/ops")]
async fn ops(user: Principal) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "digest", realm = "orders-ops")]
struct Operator(Principal);

#[get("/ops-struct")]
async fn ops_struct(Operator(user): Operator) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "bearer | digest", realm = "orders-ops")]
#[get("/either")]
async fn either(user: Principal) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

fn users() -> Htdigest {
    Htdigest::new()
        .with_password("ops", OPS_REALM, PASSWORD)
        .unwrap()
}

fn config_with(digest: DigestAuth, throttle: Option<FailureThrottle>) -> AuthConfig {
    let mut b = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .digest(digest);
    if let Some(t) = throttle {
        b = b.throttle(t);
    }
    b.build().unwrap()
}

fn config() -> AuthConfig {
    config_with(DigestAuth::new(users()).allow_md5(), None)
}

#[derive(Debug)]
struct Answer {
    status: u16,
    challenges: Vec<Challenge>,
    retry_after: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn challenge(&self, algorithm: &str) -> &Challenge {
        self.challenges
            .iter()
            .find(|c| c.scheme == "Digest" && c.get("algorithm") == Some(algorithm))
            .unwrap_or_else(|| panic!("no {algorithm} challenge in {:?}", self.challenges))
    }
}

async fn send(config: &AuthConfig, req: TestRequest) -> Answer {
    let app = test::init_service(
        App::new()
            .app_data(config.clone())
            .service(ops)
            .service(ops_struct)
            .service(either),
    )
    .await;
    let res = app.call(req.to_request()).await.unwrap();
    let challenges = res
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .flat_map(|v| parse(v.to_str().unwrap()).unwrap())
        .collect();
    let retry_after = res
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_owned());
    let status = res.status().as_u16();
    if status >= 400 {
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-store"
        );
    }
    let body = to_bytes(res.into_body()).await.unwrap().to_vec();
    Answer {
        status,
        challenges,
        retry_after,
        body,
    }
}

fn get(path: &str) -> TestRequest {
    TestRequest::get().uri(path)
}

/// What a client puts in its answer; each field can be bent by a test.
#[derive(Clone)]
struct Reply {
    user: String,
    password: String,
    realm: String,
    nonce: String,
    opaque: Option<String>,
    algorithm: &'static str,
    uri: String,
    method: &'static str,
    nc: u32,
    cnonce: String,
    qop: &'static str,
    userhash: bool,
}

impl Reply {
    /// The answer to `challenge` for `uri`, as RFC 7616 §3.4 computes it.
    fn to(challenge: &Challenge, uri: &str) -> Reply {
        Reply {
            user: "ops".into(),
            password: PASSWORD.into(),
            realm: challenge.get("realm").unwrap().into(),
            nonce: challenge.get("nonce").unwrap().into(),
            opaque: challenge.get("opaque").map(str::to_owned),
            algorithm: if challenge.get("algorithm") == Some("MD5") {
                "MD5"
            } else {
                "SHA-256"
            },
            uri: uri.into(),
            method: "GET",
            nc: 1,
            cnonce: "0a4f113b".into(),
            qop: "auth",
            userhash: false,
        }
    }

    fn header(&self) -> String {
        // An algorithm the server does not know is still sent (and refused); hash with SHA-256.
        let alg = DigestAlgorithm::from_name(self.algorithm).unwrap_or(DigestAlgorithm::Sha256);
        let ha1 = alg.hex(format!("{}:{}:{}", self.user, self.realm, self.password).as_bytes());
        let ha2 = alg.hex(format!("{}:{}", self.method, self.uri).as_bytes());
        let nc = format!("{:08x}", self.nc);
        let response = alg.hex(
            format!(
                "{ha1}:{}:{nc}:{}:{}:{ha2}",
                self.nonce, self.cnonce, self.qop
            )
            .as_bytes(),
        );
        let username = if self.userhash {
            alg.hex(format!("{}:{}", self.user, self.realm).as_bytes())
        } else {
            self.user.clone()
        };
        let mut value = format!(
            "Digest username=\"{username}\", realm=\"{}\", uri=\"{}\", algorithm={}, \
             nonce=\"{}\", nc={nc}, cnonce=\"{}\", qop={}, response=\"{response}\"",
            self.realm, self.uri, self.algorithm, self.nonce, self.cnonce, self.qop
        );
        if let Some(opaque) = &self.opaque {
            value.push_str(&format!(", opaque=\"{opaque}\""));
        }
        if self.userhash {
            value.push_str(", userhash=true");
        }
        value
    }

    fn request(&self, path: &str) -> TestRequest {
        get(path).insert_header((header::AUTHORIZATION, self.header()))
    }
}

/// A fresh challenge of `algorithm` from `path`.
async fn challenge(config: &AuthConfig, path: &str, algorithm: &str) -> Challenge {
    let refused = send(config, get(path)).await;
    assert_eq!(refused.status, 401);
    refused.challenge(algorithm).clone()
}

#[actix_web::test]
async fn no_credentials_get_one_challenge_per_algorithm_sha256_first() {
    let config = config();
    for path in ["/ops", "/ops-struct"] {
        let res = send(&config, get(path)).await;
        assert_eq!(res.status, 401, "{path}");
        let algorithms: Vec<_> = res.challenges.iter().map(|c| c.get("algorithm")).collect();
        assert_eq!(algorithms, [Some("SHA-256"), Some("MD5")], "{path}");
        for c in &res.challenges {
            assert_eq!(c.scheme, "Digest");
            assert_eq!(c.get("realm"), Some(OPS_REALM));
            assert_eq!(c.get("qop"), Some("auth"));
            assert_eq!(c.get("charset"), Some("UTF-8"));
            assert_eq!(c.get("userhash"), Some("true"));
            assert!(c.get("opaque").is_some_and(|o| !o.is_empty()));
            assert!(c.get("stale").is_none());
        }
        assert_ne!(
            res.challenges[0].get("nonce"),
            res.challenges[1].get("nonce")
        );
        let doc: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
        assert_eq!(doc["status"], 401);
    }
    let first = challenge(&config, "/ops", "SHA-256").await;
    let second = challenge(&config, "/ops", "SHA-256").await;
    assert_ne!(
        first.get("nonce"),
        second.get("nonce"),
        "a fresh nonce each time"
    );
}

#[actix_web::test]
async fn the_challenge_writes_algorithm_and_flags_as_tokens() {
    let config = config();
    let app = test::init_service(App::new().app_data(config.clone()).service(ops)).await;
    let res = app.call(get("/ops").to_request()).await.unwrap();
    let raw: Vec<_> = res
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    // One field per challenge (curl answers the first field it reads), each beginning with the
    // realm and carrying the same parameters (requests folds the fields into one dictionary).
    assert_eq!(raw.len(), 2, "{raw:?}");
    for (field, algorithm) in raw.iter().zip(["SHA-256", "MD5"]) {
        assert!(field.starts_with(r#"Digest realm="orders-ops", qop="auth", nonce=""#));
        let tail = format!(", algorithm={algorithm}, charset=UTF-8, userhash=true");
        assert!(field.ends_with(&tail), "{field}");
    }
}

#[actix_web::test]
async fn a_right_answer_is_accepted_with_sha256_and_md5_in_both_forms() {
    let config = config();
    for path in ["/ops", "/ops-struct"] {
        for algorithm in ["SHA-256", "MD5"] {
            let c = challenge(&config, path, algorithm).await;
            let res = send(&config, Reply::to(&c, path).request(path)).await;
            assert_eq!(res.status, 200, "{path} {algorithm}");
            assert_eq!(res.body, b"Digest ops");
        }
    }
}

#[actix_web::test]
async fn md5_is_neither_offered_nor_accepted_unless_enabled() {
    let config = config_with(DigestAuth::new(users()), None);
    let res = send(&config, get("/ops")).await;
    let algorithms: Vec<_> = res.challenges.iter().map(|c| c.get("algorithm")).collect();
    assert_eq!(algorithms, [Some("SHA-256")]);
    let mut reply = Reply::to(&res.challenges[0], "/ops");
    reply.algorithm = "MD5";
    assert_eq!(send(&config, reply.request("/ops")).await.status, 401);
    reply.algorithm = "SHA-256";
    assert_eq!(send(&config, reply.request("/ops")).await.status, 200);
}

#[actix_web::test]
async fn a_hashed_user_name_is_accepted() {
    let config = config();
    let c = challenge(&config, "/ops", "SHA-256").await;
    let mut reply = Reply::to(&c, "/ops");
    reply.userhash = true;
    assert_eq!(send(&config, reply.request("/ops")).await.status, 200);
}

#[actix_web::test]
async fn the_next_count_on_the_same_nonce_is_accepted_and_a_replay_is_not() {
    let config = config();
    let c = challenge(&config, "/ops", "SHA-256").await;
    let mut reply = Reply::to(&c, "/ops");
    assert_eq!(send(&config, reply.request("/ops")).await.status, 200);
    let replayed = send(&config, reply.request("/ops")).await;
    assert_eq!(replayed.status, 401);
    assert!(replayed.challenge("SHA-256").get("stale").is_none());
    reply.nc = 2;
    assert_eq!(send(&config, reply.request("/ops")).await.status, 200);
}

/// Every failure but an expired nonce gets the same answer: 401, fresh challenges without
/// `stale`, and one body, byte for byte (`invalid_credentials`).
#[actix_web::test]
async fn every_failure_gets_one_answer_with_a_fresh_challenge() {
    let config = config();
    let c = challenge(&config, "/ops", "SHA-256").await;
    let right = Reply::to(&c, "/ops");
    let mut cases: Vec<(&str, String)> = Vec::new();
    let bent = |f: &dyn Fn(&mut Reply)| {
        let mut r = right.clone();
        f(&mut r);
        r.header()
    };
    cases.push(("unknown user", bent(&|r| r.user = "nobody".into())));
    cases.push(("wrong password", bent(&|r| r.password = "wrong".into())));
    cases.push(("other realm", bent(&|r| r.realm = "orders".into())));
    cases.push(("other uri", bent(&|r| r.uri = "/ops-struct".into())));
    cases.push(("other method", bent(&|r| r.method = "POST")));
    cases.push(("qop auth-int", bent(&|r| r.qop = "auth-int")));
    cases.push(("unknown algorithm", bent(&|r| r.algorithm = "SHA-512-256")));
    cases.push(("forged nonce", bent(&|r| r.nonce = "AAAA".repeat(11))));
    cases.push(("foreign opaque", bent(&|r| r.opaque = Some("x".into()))));
    let header = right.header();
    cases.push((
        "missing response",
        header.replace(", response=", ", responsX="),
    ));
    cases.push(("repeated parameter", format!("{header}, nc=00000002")));
    cases.push(("token68", "Digest abcdef==".into()));
    cases.push(("no credentials after the scheme", "Digest".into()));
    cases.push(("short nc", header.replace("nc=00000001", "nc=1")));
    let mut bodies = std::collections::BTreeSet::new();
    for (case, value) in cases {
        let res = send(
            &config,
            get("/ops").insert_header((header::AUTHORIZATION, value)),
        )
        .await;
        assert_eq!(res.status, 401, "{case}");
        let doc: serde_json::Value = serde_json::from_slice(&res.body).unwrap();
        assert_eq!(doc["error"], "invalid_credentials", "{case}");
        bodies.insert(res.body.clone());
        let fresh = res.challenge("SHA-256");
        assert!(fresh.get("stale").is_none(), "{case}");
        assert_ne!(fresh.get("nonce"), c.get("nonce"), "{case}");
    }
    assert_eq!(bodies.len(), 1, "one body for every cause");
    // None of the failures above used the nonce up.
    assert_eq!(send(&config, right.request("/ops")).await.status, 200);
}

#[actix_web::test]
async fn an_expired_nonce_in_a_right_answer_is_stale_and_in_a_wrong_one_is_not() {
    let config = config_with(
        DigestAuth::new(users()).nonce_lifetime(Duration::from_secs(1)),
        None,
    );
    let c = challenge(&config, "/ops", "SHA-256").await;
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    let right = Reply::to(&c, "/ops");
    let stale = send(&config, right.request("/ops")).await;
    assert_eq!(stale.status, 401);
    let fresh = stale.challenge("SHA-256");
    assert_eq!(fresh.get("stale"), Some("true"));
    let mut wrong = right.clone();
    wrong.password = "wrong".into();
    let refused = send(&config, wrong.request("/ops")).await;
    assert_eq!(refused.status, 401);
    assert!(refused.challenge("SHA-256").get("stale").is_none());
    assert_eq!(refused.body, stale.body);
    // The client retries with the fresh nonce without asking its user.
    let retry = Reply::to(fresh, "/ops");
    assert_eq!(send(&config, retry.request("/ops")).await.status, 200);
}

#[actix_web::test]
async fn bearer_or_digest_challenges_with_both_and_accepts_either() {
    let config = config();
    let res = send(&config, get("/either")).await;
    assert_eq!(res.status, 401);
    let schemes: Vec<_> = res.challenges.iter().map(|c| c.scheme.as_str()).collect();
    assert_eq!(schemes, ["Bearer", "Digest", "Digest"]);
    assert_eq!(res.challenges[0].get("realm"), Some(OPS_REALM));
    let bearer = get("/either").insert_header((
        header::AUTHORIZATION,
        format!(
            "Bearer {}",
            minter(Algorithm::HS256).token(&["orders:read"])
        ),
    ));
    let ok = send(&config, bearer).await;
    assert_eq!((ok.status, ok.body.starts_with(b"Bearer")), (200, true));
    let c = challenge(&config, "/either", "SHA-256").await;
    let ok = send(&config, Reply::to(&c, "/either").request("/either")).await;
    assert_eq!((ok.status, ok.body), (200, b"Digest ops".to_vec()));
}

#[actix_web::test]
async fn failures_are_throttled_per_user_like_basic() {
    let config = config_with(
        DigestAuth::new(users()),
        Some(FailureThrottle::per_minute(3)),
    );
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let c = challenge(&config, "/ops", "SHA-256").await;
        let mut wrong = Reply::to(&c, "/ops");
        wrong.password = "guess".into();
        let res = send(&config, wrong.request("/ops")).await;
        statuses.push(res.status);
        if res.status == 429 {
            assert!(res.retry_after.is_some());
        }
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}

/// A store that cannot answer.
struct Down;

impl DigestVerifier for Down {
    fn lookup(&self, _: DigestUser<'_>, _: &str, _: DigestAlgorithm) -> DigestFuture {
        Box::pin(async { DigestLookup::Unavailable })
    }
}

#[actix_web::test]
async fn a_store_that_cannot_answer_is_a_503_with_retry_after() {
    let config = config_with(DigestAuth::new(Down), None);
    let res = send(&config, get("/ops")).await;
    assert_eq!(res.status, 401);
    assert!(
        res.challenges[0].get("userhash").is_none(),
        "userhash only where the store supports it"
    );
    let reply = Reply::to(&res.challenges[0], "/ops");
    let res = send(&config, reply.request("/ops")).await;
    assert_eq!(res.status, 503);
    assert_eq!(res.retry_after.as_deref(), Some("5"));
    assert!(res.challenges.is_empty());
}

#[actix_web::test]
async fn a_fleet_sharing_the_nonce_secret_accepts_each_others_nonces() {
    let secret = b"a nonce secret shared by every instance";
    let a = config_with(DigestAuth::new(users()).nonce_secret(secret), None);
    let b = config_with(DigestAuth::new(users()).nonce_secret(secret), None);
    let alone = config_with(DigestAuth::new(users()), None);
    let c = challenge(&a, "/ops", "SHA-256").await;
    assert_eq!(
        send(&b, Reply::to(&c, "/ops").request("/ops")).await.status,
        200
    );
    assert_eq!(
        send(&alone, Reply::to(&c, "/ops").request("/ops"))
            .await
            .status,
        401
    );
}

/// A hashed user name is hex, matched in any case: re-casing its letters is the same user and
/// the same throttle budget.
#[actix_web::test]
async fn re_casing_a_hashed_user_name_does_not_buy_a_fresh_throttle_budget() {
    let config = config_with(
        DigestAuth::new(users()),
        Some(FailureThrottle::per_minute(3)),
    );
    let userhash = DigestAlgorithm::Sha256.hex(format!("ops:{OPS_REALM}").as_bytes());
    let mut statuses = Vec::new();
    for attempt in 0..4 {
        let c = challenge(&config, "/ops", "SHA-256").await;
        let mut wrong = Reply::to(&c, "/ops");
        wrong.password = "guess".into();
        wrong.userhash = true;
        // A different spelling of the same hex name each time.
        let spelled: String = userhash
            .chars()
            .enumerate()
            .map(|(i, ch)| {
                if (i + attempt) % 2 == 0 {
                    ch.to_ascii_uppercase()
                } else {
                    ch
                }
            })
            .collect();
        let header = wrong.header().replace(&userhash, &spelled);
        let res = send(
            &config,
            get("/ops").insert_header((header::AUTHORIZATION, header)),
        )
        .await;
        statuses.push(res.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}

/// `stale=true` follows a right answer: the client's retry with the fresh nonce must not find
/// the stale answer counted as a guess.
#[actix_web::test]
async fn a_stale_nonce_is_not_counted_as_a_failure() {
    let config = config_with(
        DigestAuth::new(users()).nonce_lifetime(Duration::from_secs(1)),
        Some(FailureThrottle::per_minute(1)),
    );
    let c = challenge(&config, "/ops", "SHA-256").await;
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    let stale = send(&config, Reply::to(&c, "/ops").request("/ops")).await;
    assert_eq!(stale.status, 401);
    let fresh = stale.challenge("SHA-256").clone();
    assert_eq!(fresh.get("stale"), Some("true"));
    let retry = send(&config, Reply::to(&fresh, "/ops").request("/ops")).await;
    assert_eq!(retry.status, 200);
}

/// A replay memory whose backend is down.
struct ReplayMemoryDown;

impl NonceStore for ReplayMemoryDown {
    fn record(&self, _: &NonceAnswer<'_>) -> StoreFuture<Result<NonceUse, StoreError>> {
        Box::pin(async { Err(StoreError::Unavailable("connection refused")) })
    }
}

/// Replay protection fails closed: a right answer the memory cannot record is a 503, not a
/// 200 (and not a 401, which would send the client's user to retype a right password).
#[actix_web::test]
async fn a_replay_memory_that_cannot_answer_is_a_503_with_retry_after() {
    let config = config_with(DigestAuth::new(users()).nonce_store(ReplayMemoryDown), None);
    let c = challenge(&config, "/ops", "SHA-256").await;
    for path in ["/ops", "/ops-struct"] {
        let res = send(&config, Reply::to(&c, path).request(path)).await;
        assert_eq!(res.status, 503, "{path}");
        assert_eq!(res.retry_after.as_deref(), Some("5"));
        assert!(res.challenges.is_empty());
    }
}

/// Instances sharing a nonce secret and a replay memory: a request captured from one is
/// refused by the other.
#[actix_web::test]
async fn a_fleet_sharing_a_replay_memory_refuses_a_replay_on_the_other_instance() {
    let secret = b"a nonce secret shared by every instance";
    let memory = Arc::new(MemoryNonces::new());
    let instance = || {
        config_with(
            DigestAuth::new(users())
                .nonce_secret(secret)
                .nonce_store(Arc::clone(&memory)),
            None,
        )
    };
    let (a, b) = (instance(), instance());
    let c = challenge(&a, "/ops", "SHA-256").await;
    let captured = Reply::to(&c, "/ops");
    assert_eq!(send(&a, captured.request("/ops")).await.status, 200);
    let replayed = send(&b, captured.request("/ops")).await;
    assert_eq!(replayed.status, 401);
    assert!(replayed.challenge("SHA-256").get("stale").is_none());
}

fn two_users() -> Htdigest {
    users()
        .with_password("audit", OPS_REALM, "another password")
        .unwrap()
}

/// One account answering more nonces than its share only forgets its own oldest (which are
/// then stale, never accepted again); another account is not affected.
#[actix_web::test]
async fn one_user_filling_their_share_of_the_replay_memory_locks_out_nobody_else() {
    let config = config_with(
        DigestAuth::new(two_users()).nonce_store(MemoryNonces::new().capacity(3).per_user(2)),
        None,
    );
    let mut answered = Vec::new();
    for _ in 0..3 {
        let c = challenge(&config, "/ops", "SHA-256").await;
        let reply = Reply::to(&c, "/ops");
        assert_eq!(send(&config, reply.request("/ops")).await.status, 200);
        answered.push(reply);
        // Nonces a second apart, so the oldest is older than the newest.
        actix_web::rt::time::sleep(Duration::from_millis(1050)).await;
    }
    let mut oldest = answered[0].clone();
    let replayed = send(&config, oldest.request("/ops")).await;
    assert_eq!(
        replayed.status, 401,
        "a forgotten nonce is never accepted again"
    );
    oldest.nc = 2;
    let next = send(&config, oldest.request("/ops")).await;
    assert_eq!(next.status, 401);
    assert_eq!(next.challenge("SHA-256").get("stale"), Some("true"));
    let mut newest = answered[2].clone();
    newest.nc = 2;
    assert_eq!(send(&config, newest.request("/ops")).await.status, 200);

    let c = challenge(&config, "/ops", "SHA-256").await;
    let mut other = Reply::to(&c, "/ops");
    other.user = "audit".into();
    other.password = "another password".into();
    assert_eq!(send(&config, other.request("/ops")).await.status, 200);
    // The whole memory (3) is full of live nonces now: a new one is refused, closed.
    let c = challenge(&config, "/ops", "SHA-256").await;
    let mut more = Reply::to(&c, "/ops");
    more.user = "audit".into();
    more.password = "another password".into();
    let full = send(&config, more.request("/ops")).await;
    assert_eq!(full.status, 503);
}

/// Two instances sharing the nonce secret and a real Redis as replay memory: a request captured
/// from one is refused by the other; the next count is accepted anywhere; with Redis gone, a
/// right answer is a 503 (fail closed), and served again once Redis is back.
#[actix_web::test]
async fn a_fleet_sharing_a_redis_replay_memory_refuses_a_replay_on_the_other_instance() {
    use auth_core::redis_store::RedisStore;
    use auth_tests::redis::{RedisServer, eventually, fresh_store};

    let mut server = RedisServer::start();
    let secret = b"a nonce secret shared by every instance";
    let (store_a, store_b) = (
        fresh_store(&server, "digest").await,
        fresh_store(&server, "digest").await,
    );
    let instance = |store: RedisStore| {
        config_with(
            DigestAuth::new(users())
                .nonce_secret(secret)
                .nonce_store(store),
            None,
        )
    };
    let (a, b) = (instance(store_a.clone()), instance(store_b.clone()));
    let c = challenge(&a, "/ops", "SHA-256").await;
    let mut captured = Reply::to(&c, "/ops");
    assert_eq!(send(&a, captured.request("/ops")).await.status, 200);
    let replayed = send(&b, captured.request("/ops")).await;
    assert_eq!(replayed.status, 401, "replayed to the other instance");
    assert!(replayed.challenge("SHA-256").get("stale").is_none());
    captured.nc = 2;
    assert_eq!(send(&b, captured.request("/ops")).await.status, 200);

    server.stop();
    captured.nc = 3;
    let down = send(&a, captured.request("/ops")).await;
    assert_eq!(down.status, 503);
    assert_eq!(down.retry_after.as_deref(), Some("5"));
    server.restart();
    assert!(
        eventually(Duration::from_secs(15), || store_a.is_connected())
            .await
            .is_some()
    );
    // Redis restarted empty (no persistence in the test): a fresh nonce works again.
    let c = challenge(&a, "/ops", "SHA-256").await;
    assert_eq!(
        send(&a, Reply::to(&c, "/ops").request("/ops")).await.status,
        200
    );
}
