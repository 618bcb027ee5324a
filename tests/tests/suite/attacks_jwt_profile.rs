//! The access-token profile of the JWT verifier, over HTTP against a real actix service with
//! tokens signed by real keys: what RFC 9068, RFC 8725 and RFC 9449 require of a resource server
//! beyond a valid signature. One test per finding, named after its conformance case where it has
//! one: sender-bound tokens (`cnf`) never accepted as bearer tokens, `iat` in the future, JWK
//! `use`/`key_ops`/`alg` honoured for static and fetched keys, the opt-in RFC 9068 profile,
//! `kid` requirement and asymmetric-only switches, and discovery documents whose `jwks_uri`
//! points inwards. Every refusal is 401 `invalid_token` with the one body every such refusal
//! has (or 503 where no key set could be had).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use auth_core::{Algorithm, ConfigError, JwtKey, JwtVerifier, KeySet, Reason};
use auth_tests::http::TestServer;
use auth_tests::*;
use serde_json::{Value, json};

async fn assert_accepted(verifier: &JwtVerifier, token: &str, what: &str) {
    let answer = call_bearer(verifier, token).await;
    assert_eq!(answer.status, 200, "{what}: {}", answer.text());
}

/// Each token, sent twice (the second answer may come from the verdict cache), is refused
/// with the one `invalid_token` answer.
async fn assert_refused(verifier: &JwtVerifier, tokens: &[String], what: &str) {
    for token in tokens {
        for attempt in ["first", "again"] {
            call_bearer(verifier, token)
                .await
                .assert_invalid_token(&format!("{what} ({attempt}): {token:.80}"));
        }
    }
}

/// The public JWK of a test signing key, without `kid` or `use` (the caller adds what it tests).
fn public_jwk(alg: Algorithm) -> Value {
    minter(alg).kid(None).jwk()
}

fn with(mut jwk: Value, members: Value) -> Value {
    jwk.as_object_mut()
        .unwrap()
        .extend(members.as_object().unwrap().clone());
    jwk
}

#[actix_web::test]
async fn rfc9449_dpop_bound_token_refused_when_dpop_unsupported() {
    // RFC 9449 §7.2, RFC 8705 §3, RFC 7800: a token bound to a key (DPoP) or a certificate
    // (mTLS), or by any `cnf` this verifier cannot check, is never a bearer token.
    let verifier = verifier();
    assert_accepted(
        &verifier,
        &minter(Algorithm::ES256).sign(&claims("orders:read")),
        "the same claims without cnf",
    )
    .await;
    let cnfs = [
        json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}),
        json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
        json!({"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I", "x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}),
        json!({"jwk": public_jwk(Algorithm::ES256)}),
        json!({"kid": "dfd1aa97-6d8d-4575-a0fe-34b96de2bfad"}),
        json!({"jku": "https://keys.example.com/jwks"}),
        json!({"jkt": 7}),
        json!({}),
        json!(null),
        json!("0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"),
        json!([{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}]),
        json!(true),
        json!(1),
    ];
    let mut tokens = Vec::new();
    for cnf in &cnfs {
        for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::HS256] {
            let mut c = claims("orders:read");
            c["cnf"] = cnf.clone();
            tokens.push(minter(alg).sign(&c));
        }
    }
    assert_refused(&verifier, &tokens, "cnf presented as Bearer").await;
    for token in &tokens {
        assert!(
            matches!(
                verifier.verify_now(token),
                Err(Reason::UnverifiableBinding(_))
            ),
            "the audit log names the binding: {token:.80}"
        );
    }
}

#[actix_web::test]
async fn rfc9068_iat_future_must_be_rejected_beyond_leeway() {
    // RFC 9068 §4 / RFC 7519 §4.1.6: `iat` past now + leeway (60 s) is refused; within it, fine.
    let verifier = verifier();
    let with_iat = |iat: Value| {
        let mut c = claims("orders:read");
        c["iat"] = iat;
        minter(Algorithm::RS256).sign(&c)
    };
    for iat in [now() - 600, now(), now() + 30] {
        assert_accepted(&verifier, &with_iat(json!(iat)), &format!("iat {iat}")).await;
    }
    let future = with_iat(json!(now() + 3600));
    assert_eq!(
        verifier.verify_now(&future).unwrap_err(),
        Reason::IssuedInFuture
    );
    let mut tokens = vec![future, with_iat(json!(now() + 180))];
    // Not a number: refused (already so; kept so).
    for iat in [
        json!(null),
        json!(true),
        json!(now().to_string()),
        json!([now()]),
        json!({}),
    ] {
        tokens.push(with_iat(iat));
    }
    assert_refused(&verifier, &tokens, "iat").await;
}

/// A key set whose only keys for `k1` must not be used, plus two usable keys.
fn mixed_jwks() -> Value {
    let ec = public_jwk(Algorithm::ES256);
    json!({"keys": [
        with(ec.clone(), json!({"kid": "k1", "use": "enc", "alg": "ES256"})),
        with(ec.clone(), json!({"kid": "k1", "key_ops": ["sign"], "alg": "ES256"})),
        with(ec.clone(), json!({"kid": "k1", "key_ops": [], "alg": "ES256"})),
        with(ec.clone(), json!({"kid": "k1", "key_ops": ["encrypt", "wrapKey"], "alg": "ES256"})),
        with(ec.clone(), json!({"kid": "k1", "use": "sig", "key_ops": ["verify"], "alg": "RS256"})),
        with(ec, json!({"kid": "ec-ok", "key_ops": ["verify"], "alg": "ES256"})),
        with(public_jwk(Algorithm::RS256), json!({"kid": "rsa-ok", "use": "sig", "alg": "RS256"})),
    ]})
}

/// Refused: the `k1` keys, and a usable key under another algorithm than its own. Accepted: the
/// usable keys.
async fn assert_jwk_selection(verifier: &JwtVerifier, source: &str) {
    let c = claims("orders:read");
    let signed = |alg, kid| minter(alg).kid(Some(kid)).sign(&c);
    assert_accepted(verifier, &signed(Algorithm::ES256, "ec-ok"), source).await;
    assert_accepted(verifier, &signed(Algorithm::RS256, "rsa-ok"), source).await;
    let tokens = [
        signed(Algorithm::ES256, "k1"),
        signed(Algorithm::RS256, "k1"),
        // The JWK's alg binds it (already so): RS256 key, PS256 token; ES256 key, ES384 token.
        signed(Algorithm::PS256, "rsa-ok"),
        signed(Algorithm::ES384, "ec-ok"),
    ];
    assert_refused(verifier, &tokens, source).await;
}

#[actix_web::test]
async fn rfc8725_jwk_selection_must_honor_use_key_ops_and_alg() {
    // RFC 7517 §4.2–4.3, RFC 8725 §3.1: a JWK not published for verifying signatures (its `use`
    // is not `sig`, its `key_ops` lacks `verify`) or for this algorithm is never used.
    let doc = mixed_jwks();
    // One static JWK: refused at configuration.
    for entry in doc["keys"].as_array().unwrap() {
        let usable = entry["kid"] != "k1";
        assert_eq!(
            JwtKey::from_jwk(&entry.to_string()).is_ok(),
            usable,
            "{entry}"
        );
    }
    // A static JWKS: the unusable keys are skipped.
    let keys = JwtKey::from_jwk_set(&doc.to_string()).unwrap();
    let kids: Vec<_> = keys.iter().map(|k| k.kid().unwrap().to_owned()).collect();
    assert_eq!(kids, ["ec-ok", "rsa-ok"]);
    let static_verifier = keys
        .into_iter()
        .fold(JwtVerifier::builder(), |b, k| b.key(k))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    assert_jwk_selection(&static_verifier, "static JWKS").await;

    // A fetched key set: the same.
    let served = web::Data::new(doc);
    let srv = TestServer::start(move || {
        let server = HttpServer::new(move || {
            App::new().app_data(served.clone()).route(
                "/jwks",
                web::get().to(|doc: web::Data<Value>| async move {
                    HttpResponse::Ok().json(doc.get_ref())
                }),
            )
        })
        .workers(1)
        .bind("127.0.0.1:0")?;
        let addr = server.addrs()[0];
        Ok((server.run(), addr))
    });
    let fetched = JwtVerifier::builder()
        .key_set(KeySet::jwks(format!("http://{}/jwks", srv.addr)))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    assert_jwk_selection(&fetched, "fetched key set").await;
    drop(srv);
}

/// Claims of an RFC 9068 access token, every required claim present.
fn access_token_claims() -> Value {
    json!({
        "iss": ISSUER,
        "exp": now() + 3600,
        "aud": AUDIENCE,
        "sub": "alice",
        "client_id": "orders-web",
        "iat": now(),
        "jti": "5d2d0c4e-7a0f-4f0e-9d65-3a8f0d1c9b21",
        "scope": "orders:read",
    })
}

#[actix_web::test]
async fn rfc9068_required_claims_must_be_enforced() {
    // RFC 9068 §2.1–2.2: `typ` at+jwt, and iss, exp, aud, sub, client_id, iat, jti required.
    let base = || {
        JwtVerifier::builder()
            .key(verification_key(Algorithm::ES256))
            .require_exp(false)
    };
    let without = base().build().unwrap();
    // The profile wins over an earlier require_exp(false).
    let profile = base()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .rfc9068_profile()
        .build()
        .unwrap();
    // RFC 9068 §4: the profile without the values to check `iss` and `aud` against is refused.
    assert!(base().rfc9068_profile().build().is_err());
    assert!(base().issuer(ISSUER).rfc9068_profile().build().is_err());
    assert!(base().audience(AUDIENCE).rfc9068_profile().build().is_err());
    let at_jwt = |c: &Value| minter(Algorithm::ES256).typ("at+jwt").sign(c);
    let full = access_token_claims();
    assert_accepted(&profile, &at_jwt(&full), "a complete access token").await;
    let mut refused = Vec::new();
    for name in ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"] {
        let mut c = full.clone();
        c.as_object_mut().unwrap().remove(name);
        let token = at_jwt(&c);
        assert_accepted(&without, &token, &format!("no {name}, no profile")).await;
        assert_eq!(
            profile.verify_now(&token).unwrap_err(),
            Reason::InvalidClaim(name)
        );
        refused.push(token);
    }
    for (name, value) in [
        ("client_id", json!(7)),
        ("client_id", json!("")),
        ("jti", json!(["a"])),
        ("jti", json!("")),
        ("aud", json!([])),
    ] {
        let mut c = full.clone();
        c[name] = value;
        refused.push(at_jwt(&c));
    }
    // typ JWT (an ID token, or any other JWT of the issuer).
    let plain_jwt = minter(Algorithm::ES256).sign(&full);
    assert_accepted(&without, &plain_jwt, "typ JWT, no profile").await;
    refused.push(plain_jwt);
    assert_refused(&profile, &refused, "RFC 9068 profile").await;
}

#[actix_web::test]
async fn rfc9068_token_header_must_contain_kid() {
    // RFC 9068 / RFC 8725: with require_kid, a key is always chosen by name.
    let base = || {
        JwtVerifier::builder()
            .key(verification_key(Algorithm::ES256))
            .issuer(ISSUER)
            .audience(AUDIENCE)
    };
    let without = base().build().unwrap();
    let with_switch = base().require_kid().build().unwrap();
    let c = claims("orders:read");
    let unnamed = minter(Algorithm::ES256).kid(None).sign(&c);
    let named = minter(Algorithm::ES256).sign(&c);
    assert_accepted(&without, &unnamed, "no kid, no switch").await;
    assert_accepted(&with_switch, &named, "kid, switch").await;
    let empty = minter(Algorithm::ES256).kid(Some("")).sign(&c);
    assert_refused(&with_switch, &[unnamed, empty], "require_kid").await;
}

#[actix_web::test]
async fn rfc8725_allowed_jwt_algorithms_must_be_restricted() {
    // RFC 8725 §3.1–3.2: with asymmetric_only, no HMAC key is configurable and HS* is refused.
    let hmac_config = JwtVerifier::builder()
        .key(verification_key(Algorithm::RS256))
        .key(verification_key(Algorithm::HS256))
        .asymmetric_only()
        .build()
        .unwrap_err();
    assert!(
        matches!(&hmac_config, ConfigError::InvalidSetting { what: "keys", detail } if detail.contains("asymmetric_only")),
        "{hmac_config}"
    );
    let public_keys = || {
        [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA]
            .iter()
            .fold(JwtVerifier::builder(), |b, alg| {
                b.key(verification_key(*alg))
            })
            .issuer(ISSUER)
            .audience(AUDIENCE)
    };
    let asymmetric = public_keys().asymmetric_only().build().unwrap();
    let c = claims("orders:read");
    for alg in [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA] {
        assert_accepted(&asymmetric, &minter(alg).sign(&c), &format!("{alg:?}")).await;
    }
    // Without the switch, the HMAC tokens of a configured secret are accepted.
    let hs = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512].map(|alg| minter(alg).sign(&c));
    for token in &hs {
        assert_accepted(&auth_tests::verifier(), token, "HS*, no switch").await;
    }
    let mut refused = hs.to_vec();
    // And an HS256 token keyed with the RSA public key (algorithm confusion).
    refused.push(Minter::hmac(Algorithm::HS256, RSA_PUBLIC).sign_parts(
        json!({"alg": "HS256", "kid": "kid-RS256"}).to_string(),
        c.to_string(),
    ));
    refused.push(raw_jwt(&json!({"alg": "none"}), &c, b""));
    assert_refused(&asymmetric, &refused, "asymmetric_only").await;
}

/// What the provider's discovery document says.
#[derive(Default)]
struct Discovery {
    issuer: Mutex<String>,
    jwks_uri: Mutex<String>,
}

/// An OpenID provider on 127.0.0.1 whose discovery document names the `jwks_uri` a test sets.
fn start_provider() -> (TestServer, Arc<Discovery>) {
    let doc = Arc::new(Discovery::default());
    let data = web::Data::from(doc.clone());
    let server = TestServer::start(move || {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(|doc: web::Data<Discovery>| async move {
                        let issuer = doc.issuer.lock().unwrap().clone();
                        let jwks_uri = doc.jwks_uri.lock().unwrap().clone();
                        HttpResponse::Ok().json(json!({"issuer": issuer, "jwks_uri": jwks_uri}))
                    }),
                )
                .route(
                    "/jwks",
                    web::get().to(|| async {
                        let key = with(
                            public_jwk(Algorithm::RS256),
                            json!({"kid": "key-a", "use": "sig", "alg": "RS256"}),
                        );
                        HttpResponse::Ok().json(json!({"keys": [key]}))
                    }),
                )
        })
        .workers(1)
        .bind("127.0.0.1:0")?;
        let addr = server.addrs()[0];
        Ok((server.run(), addr))
    });
    *doc.issuer.lock().unwrap() = format!("http://{}", server.addr);
    (server, doc)
}

#[actix_web::test]
async fn discovery_jwks_uri_pointing_inwards_is_never_fetched() {
    // A discovery document must not make the refresher send a blind request inwards (SSRF): the
    // unspecified address connects to this machine, 169.254.0.0/16 reaches cloud metadata.
    // The non-loopback-issuer cases (a public issuer naming 127.0.0.1) are unit-tested in
    // auth-core's keyset.rs: a test provider can only run on loopback.
    let (server, doc) = start_provider();
    let issuer = format!("http://{}", server.addr);
    let mut c = claims("orders:read");
    c["iss"] = json!(issuer);
    let token = minter(Algorithm::RS256).kid(Some("key-a")).sign(&c);
    let discover = || {
        JwtVerifier::builder()
            .key_set(KeySet::discover(&issuer))
            .audience(AUDIENCE)
            .build()
            .unwrap()
    };

    // A loopback issuer publishing its keys on loopback keeps working.
    *doc.jwks_uri.lock().unwrap() = format!("{issuer}/jwks");
    assert_accepted(&discover(), &token, "loopback issuer, loopback jwks_uri").await;

    // Something listening on this machine, which `0.0.0.0` reaches.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicU64::new(0));
    let counter = connections.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stream.is_ok() {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        }
    });
    for jwks_uri in [
        format!("https://0.0.0.0:{port}/jwks"),
        format!("https://[::]:{port}/jwks"),
    ] {
        *doc.jwks_uri.lock().unwrap() = jwks_uri.clone();
        let status = call_bearer(&discover(), &token).await.status;
        assert_eq!(status, 503, "{jwks_uri}: no key set could be had");
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the refresher connected to the address the document named"
    );
}
