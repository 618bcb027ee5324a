//! Key sets from an identity provider, served by a real HTTP server on 127.0.0.1 that each test
//! controls: rotation, `kid` storms, outages, cold starts, garbage, OpenID discovery, and the
//! URLs a token names (never fetched).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, HttpServer, web};
use auth_core::{Algorithm, ConfigError, JwtVerifier, KeySet};
use auth_tests::http::TestServer;
use auth_tests::*;
use serde_json::{Value, json};

/// What the provider answers on its JWKS endpoint.
#[derive(Clone)]
enum Mode {
    Keys(Value),
    Status(u16),
    Body(&'static str),
}

#[derive(Clone)]
struct Provider {
    mode: Arc<Mutex<Mode>>,
    issuer: Arc<Mutex<String>>,
    jwks_hits: Arc<AtomicU64>,
    attacker_hits: Arc<AtomicU64>,
}

async fn jwks(p: web::Data<Provider>) -> HttpResponse {
    p.jwks_hits.fetch_add(1, Ordering::SeqCst);
    let mode = p.mode.lock().unwrap().clone();
    match mode {
        Mode::Keys(keys) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .json(keys),
        Mode::Status(code) => {
            HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).finish()
        }
        Mode::Body(body) => HttpResponse::Ok()
            .content_type("application/json")
            .body(body),
    }
}

async fn discovery(p: web::Data<Provider>, req: actix_web::HttpRequest) -> HttpResponse {
    let base = format!("http://{}", req.connection_info().host());
    HttpResponse::Ok()
        .json(json!({ "issuer": *p.issuer.lock().unwrap(), "jwks_uri": format!("{base}/jwks") }))
}

/// RFC 8414 metadata of the tenant `tenant-a`, whose issuer has a path.
async fn oauth_metadata(p: web::Data<Provider>, req: actix_web::HttpRequest) -> HttpResponse {
    let base = format!("http://{}", req.connection_info().host());
    let issuer = format!("{}/tenant-a", *p.issuer.lock().unwrap());
    HttpResponse::Ok().json(json!({ "issuer": issuer, "jwks_uri": format!("{base}/jwks") }))
}

async fn attacker(p: web::Data<Provider>) -> HttpResponse {
    p.attacker_hits.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok()
        .json(json!({ "keys": [public_jwk(ATTACKER_RSA_PRIVATE, Algorithm::RS256, "evil")] }))
}

fn start_provider(mode: Mode) -> (TestServer, Provider) {
    let provider = Provider {
        mode: Arc::new(Mutex::new(mode)),
        issuer: Arc::new(Mutex::new(String::new())),
        jwks_hits: Arc::default(),
        attacker_hits: Arc::default(),
    };
    let shared = provider.clone();
    let server = TestServer::start(move || {
        let data = web::Data::new(shared);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/jwks", web::get().to(jwks))
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route(
                    "/.well-known/oauth-authorization-server/tenant-a",
                    web::get().to(oauth_metadata),
                )
                .route("/attacker-jwks", web::get().to(attacker))
        })
        .workers(1)
        .bind("127.0.0.1:0")?;
        let addr = server.addrs()[0];
        Ok((server.run(), addr))
    });
    *provider.issuer.lock().unwrap() = format!("http://{}", server.addr);
    (server, provider)
}

fn set(provider: &Provider, mode: Mode) {
    *provider.mode.lock().unwrap() = mode;
}

/// The provider's JWK of a key pair: the public key, named `kid`, for signatures.
fn public_jwk(private_pem: &[u8], alg: Algorithm, kid: &str) -> Value {
    let mut jwk = Minter::from_pem(alg, private_pem).kid(Some(kid)).jwk();
    jwk["use"] = json!("sig");
    jwk
}

/// A token the provider's RSA key `key-a` signed.
fn signed_by_key_a(claims: &Value) -> String {
    Minter::from_pem(Algorithm::RS256, RSA_PRIVATE)
        .kid(Some("key-a"))
        .sign(claims)
}

fn key_a() -> Value {
    json!({ "keys": [public_jwk(RSA_PRIVATE, Algorithm::RS256, "key-a"), public_jwk(EC256_PRIVATE, Algorithm::ES256, "key-ec"), public_jwk(ED25519_PRIVATE, Algorithm::EdDSA, "key-ed")] })
}

fn key_b() -> Value {
    json!({ "keys": [public_jwk(ATTACKER_RSA_PRIVATE, Algorithm::RS256, "key-b")] })
}

fn verifier_for(addr: SocketAddr, tune: impl FnOnce(KeySet) -> KeySet) -> JwtVerifier {
    JwtVerifier::builder()
        .key_set(tune(KeySet::jwks(format!("http://{addr}/jwks"))))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap()
}

#[actix_rt::test]
async fn every_key_type_of_the_set_verifies() {
    let (srv, _p) = start_provider(Mode::Keys(key_a()));
    let v = verifier_for(srv.addr, |s| s);
    let c = claims("orders:read");
    for (pem, alg, kid) in [
        (RSA_PRIVATE, Algorithm::RS256, "key-a"),
        (EC256_PRIVATE, Algorithm::ES256, "key-ec"),
        (ED25519_PRIVATE, Algorithm::EdDSA, "key-ed"),
    ] {
        assert_eq!(
            call_bearer(&v, &Minter::from_pem(alg, pem).kid(Some(kid)).sign(&c))
                .await
                .status,
            200,
            "{alg:?}"
        );
    }
    // A JWK's alg binds it: the RSA key does not verify PS256, even with its kid.
    assert_eq!(
        call_bearer(
            &v,
            &Minter::from_pem(Algorithm::PS256, RSA_PRIVATE)
                .kid(Some("key-a"))
                .sign(&c)
        )
        .await
        .status,
        401
    );
}

#[actix_rt::test]
async fn rotation_is_picked_up_without_restart_and_removed_keys_are_refused() {
    let (srv, p) = start_provider(Mode::Keys(key_a()));
    let v = verifier_for(srv.addr, |s| s.cooldown(Duration::from_millis(200)));
    let c = claims("orders:read");
    let old = signed_by_key_a(&c);
    let new = Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE)
        .kid(Some("key-b"))
        .sign(&c);
    assert_eq!(call_bearer(&v, &old).await.status, 200);
    set(&p, Mode::Keys(key_b()));
    let started = Instant::now();
    assert_eq!(
        call_bearer(&v, &new).await.status,
        200,
        "the new key, fetched on demand"
    );
    println!("first request after rotation: {:?}", started.elapsed());
    assert_eq!(
        call_bearer(&v, &old).await.status,
        401,
        "the removed key, after the refresh"
    );
    assert_eq!(call_bearer(&v, &new).await.status, 200);
}

#[actix_rt::test]
async fn a_storm_of_unknown_kids_costs_at_most_one_fetch_per_cooldown() {
    let (srv, p) = start_provider(Mode::Keys(key_a()));
    let v = verifier_for(srv.addr, |s| s.cooldown(Duration::from_secs(30)));
    let c = claims("orders:read");
    assert_eq!(call_bearer(&v, &signed_by_key_a(&c)).await.status, 200);
    let before = p.jwks_hits.load(Ordering::SeqCst);
    let app = test::init_service(
        App::new()
            .app_data(config_with(v.clone()))
            .service(protected),
    )
    .await;
    // 300 requests with random kids, 100 of them concurrent.
    let tokens: Vec<String> = (0..300)
        .map(|i| {
            Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE)
                .kid(Some(&format!("random-{i}")))
                .sign(&c)
        })
        .collect();
    let concurrent = tokens[..100].iter().map(|t| {
        app.call(
            TestRequest::get()
                .uri("/p")
                .insert_header((header::AUTHORIZATION, format!("Bearer {t}")))
                .to_request(),
        )
    });
    for res in futures_util::future::join_all(concurrent).await {
        assert_eq!(res.unwrap().status(), 401);
    }
    for t in &tokens[100..] {
        let res = app
            .call(
                TestRequest::get()
                    .uri("/p")
                    .insert_header((header::AUTHORIZATION, format!("Bearer {t}")))
                    .to_request(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let storm = p.jwks_hits.load(Ordering::SeqCst) - before;
    println!("fetches caused by 300 unknown kids: {storm}");
    assert!(storm <= 1, "{storm} fetches");
    assert_eq!(v.key_set_fetches(), p.jwks_hits.load(Ordering::SeqCst));
}

#[actix_rt::test]
async fn an_outage_with_a_warm_cache_keeps_serving() {
    let (srv, p) = start_provider(Mode::Keys(key_a()));
    let fast = Duration::from_millis(50);
    let v = verifier_for(srv.addr, |s| {
        s.refresh_interval(fast, fast, fast).cooldown(fast)
    });
    let ok = Minter::from_pem(Algorithm::RS256, RSA_PRIVATE)
        .kid(Some("key-a"))
        .sign(&claims("orders:read"));
    assert_eq!(call_bearer(&v, &ok).await.status, 200);
    for mode in [
        Mode::Status(500),
        Mode::Body("<html>oops</html>"),
        Mode::Body(r#"{"keys": "nope"}"#),
        Mode::Body(r#"{"keys": [{"kty":"oct","k":"c2VjcmV0","alg":"HS256"}]}"#),
    ] {
        let hits = p.jwks_hits.load(Ordering::SeqCst);
        set(&p, mode);
        while p.jwks_hits.load(Ordering::SeqCst) < hits + 2 {
            actix_rt::time::sleep(fast).await;
        }
        assert_eq!(
            call_bearer(&v, &ok).await.status,
            200,
            "the last good set still serves"
        );
    }
    drop(srv); // the provider is gone entirely
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(call_bearer(&v, &ok).await.status, 200);
}

#[actix_rt::test]
async fn stale_keys_expire() {
    let (srv, p) = start_provider(Mode::Keys(key_a()));
    let fast = Duration::from_millis(50);
    let v = verifier_for(srv.addr, |s| {
        s.refresh_interval(fast, fast, fast)
            .max_stale(Duration::from_millis(300))
    });
    let ok = Minter::from_pem(Algorithm::RS256, RSA_PRIVATE)
        .kid(Some("key-a"))
        .sign(&claims("orders:read"));
    assert_eq!(call_bearer(&v, &ok).await.status, 200);
    set(&p, Mode::Status(503));
    actix_rt::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        call_bearer(&v, &ok).await.status,
        503,
        "past max_stale nothing is trusted"
    );
}

#[actix_rt::test]
async fn a_cold_start_with_no_key_set_is_503_and_recovers() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let v = verifier_for(closed, |s| s);
    let token = Minter::from_pem(Algorithm::RS256, RSA_PRIVATE)
        .kid(Some("key-a"))
        .sign(&claims("orders:read"));
    let answer = call_bearer(&v, &token).await;
    let (status, challenge, retry) = (
        answer.status,
        answer.challenge(),
        answer.header("retry-after"),
    );
    assert_eq!(
        (status, challenge),
        (503, None),
        "not 401: the token is not at fault"
    );
    assert_eq!(retry, Some("5"));

    // Garbage on a cold start is the same; the set is used as soon as it is good.
    let (srv, p) = start_provider(Mode::Body("not json"));
    let fast = Duration::from_millis(50);
    let v = verifier_for(srv.addr, |s| s.cooldown(fast));
    assert_eq!(call_bearer(&v, &token).await.status, 503);
    set(&p, Mode::Keys(key_a()));
    actix_rt::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(call_bearer(&v, &token).await.status, 200);
}

#[actix_rt::test]
async fn openid_discovery_enforces_the_issuer() {
    let (srv, p) = start_provider(Mode::Keys(key_a()));
    let issuer = p.issuer.lock().unwrap().clone();
    let v = JwtVerifier::builder()
        .key_set(KeySet::discover(&issuer))
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let mut c = claims("orders:read");
    c["iss"] = json!(issuer);
    assert_eq!(call_bearer(&v, &signed_by_key_a(&c)).await.status, 200);
    c["iss"] = json!(ISSUER);
    assert_eq!(
        call_bearer(&v, &signed_by_key_a(&c)).await.status,
        401,
        "another issuer"
    );
    // A configured issuer that contradicts discovery is a start-up error.
    assert!(
        JwtVerifier::builder()
            .key_set(KeySet::discover(&issuer))
            .issuer("https://other")
            .build()
            .is_err()
    );
    // A discovery document naming another issuer is never trusted.
    *p.issuer.lock().unwrap() = "https://impostor.example".into();
    let v = JwtVerifier::builder()
        .key_set(KeySet::discover(&issuer))
        .build()
        .unwrap();
    c["iss"] = json!(issuer);
    assert_eq!(call_bearer(&v, &signed_by_key_a(&c)).await.status, 503);
    drop(srv);
}

/// RFC 8414 discovery of a plain OAuth server whose issuer has a path: the metadata is found
/// where §3.1 puts it (not where OpenID discovery would look), and its issuer is enforced.
#[actix_rt::test]
async fn rfc8414_discovery_url_must_insert_well_known_before_issuer_path() {
    let (srv, p) = start_provider(Mode::Keys(key_a()));
    let tenant = format!("{}/tenant-a", p.issuer.lock().unwrap());
    let v = JwtVerifier::builder()
        .key_set(KeySet::discover_oauth(&tenant))
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let mut c = claims("orders:read");
    c["iss"] = json!(tenant);
    assert_eq!(call_bearer(&v, &signed_by_key_a(&c)).await.status, 200);
    c["iss"] = json!(format!("{}/tenant-b", p.issuer.lock().unwrap()));
    assert_eq!(
        call_bearer(&v, &signed_by_key_a(&c)).await.status,
        401,
        "another tenant"
    );
    // OpenID discovery of the same issuer looks under its path, where nothing is served.
    let openid = JwtVerifier::builder()
        .key_set(KeySet::discover(&tenant))
        .audience(AUDIENCE)
        .build()
        .unwrap();
    c["iss"] = json!(tenant);
    assert_eq!(call_bearer(&openid, &signed_by_key_a(&c)).await.status, 503);
    drop(srv);
}

#[actix_rt::test]
async fn urls_and_keys_named_by_the_token_are_never_used() {
    let (srv, p) = start_provider(Mode::Keys(key_a()));
    let v = verifier_for(srv.addr, |s| s.cooldown(Duration::from_secs(60)));
    let c = claims("orders:read");
    let attacker_url = format!("http://{}/attacker-jwks", srv.addr);
    let evil_jwk = public_jwk(ATTACKER_RSA_PRIVATE, Algorithm::RS256, "evil");
    let attacker = Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE);
    for extra in [
        json!({"jku": attacker_url}),
        json!({"x5u": attacker_url}),
        json!({"jwk": evil_jwk}),
        json!({"x5c": ["MIIB"]}),
    ] {
        for kid in ["evil", "key-a"] {
            let mut header = json!({"alg": "RS256", "kid": kid});
            header
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            let token = attacker.sign_parts(header.to_string(), c.to_string());
            assert_eq!(call_bearer(&v, &token).await.status, 401, "{extra}");
        }
    }
    assert_eq!(
        p.attacker_hits.load(Ordering::SeqCst),
        0,
        "a URL named by a token was fetched"
    );
}

#[test]
fn key_set_urls_must_be_https_or_loopback() {
    for bad in [
        "http://id.example.com/jwks",
        "ftp://127.0.0.1/jwks",
        "not a url",
    ] {
        let err = JwtVerifier::builder()
            .key_set(KeySet::jwks(bad))
            .build()
            .unwrap_err();
        assert!(matches!(err, ConfigError::InvalidSetting { .. }), "{bad}");
    }
    for good in [
        "https://127.0.0.1:1/jwks",
        "http://127.0.0.1:1/jwks",
        "http://[::1]:1/jwks",
        "http://localhost:1/jwks",
    ] {
        assert!(
            JwtVerifier::builder()
                .key_set(KeySet::jwks(good))
                .build()
                .is_ok(),
            "{good}"
        );
    }
    assert!(
        JwtVerifier::builder()
            .key(verification_key(Algorithm::HS256))
            .key_set(KeySet::jwks("https://x/jwks"))
            .build()
            .is_err()
    );
}
