//! The JWT attacks that break real systems, one named test each, citing its source. Every
//! forged token must end in 401 `invalid_token` with the one body every such refusal has:
//! never a 2xx, never a 5xx. (Tokens that are not even an RFC 6750 `b64token` are a malformed
//! request, 400, per `responses.md`; they are covered in `bearer_matrix.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::{App, HttpResponse, HttpServer, web};
use auth_core::{Algorithm, JwtKey, JwtVerifier};
use auth_tests::http::TestServer;
use auth_tests::*;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// Every test key; plus a verifier holding only public-key algorithms.
fn verifiers() -> Vec<(&'static str, JwtVerifier)> {
    let public_only = JwtVerifier::builder()
        .key(verification_key(Algorithm::RS256))
        .key(verification_key(Algorithm::ES256))
        .key(verification_key(Algorithm::EdDSA))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .build()
        .unwrap();
    vec![
        ("every algorithm", verifier()),
        ("public keys only", public_only),
    ]
}

/// Sends each token to every configuration and asserts the one refusal.
async fn assert_refused(attack: &str, tokens: &[String]) {
    for (name, verifier) in verifiers() {
        for token in tokens {
            call_bearer(&verifier, token)
                .await
                .assert_invalid_token(&format!("{attack} ({name}): {token:.80}"));
        }
    }
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn valid_claims() -> Value {
    claims("orders:read")
}

fn pem_to_der(pem: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(pem).unwrap();
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

#[actix_rt::test]
async fn alg_none_in_every_case() {
    // RFC 8725 §2.1 and §3.1; CVE-2015-9235 (node-jsonwebtoken); jwt_tool "alg:none" check.
    let p = valid_claims();
    let tokens: Vec<String> = ["none", "None", "NONE", "nOnE"]
        .iter()
        .flat_map(|alg| {
            let h = json!({"alg": alg, "typ": "JWT"});
            [
                format!("{}.{}.", b64(h.to_string()), b64(p.to_string())),
                format!("{}.{}.{}", b64(h.to_string()), b64(p.to_string()), b64("x")),
            ]
        })
        .collect();
    assert_refused("alg none", &tokens).await;
}

#[actix_rt::test]
async fn signature_stripped() {
    // RFC 8725 §2.1: a verifier that accepts an unsigned form of a signed token.
    let good = minter(Algorithm::RS256).sign(&valid_claims());
    let (hp, _) = good.rsplit_once('.').unwrap();
    assert_refused("signature stripped", &[format!("{hp}."), hp.to_owned()]).await;
}

#[actix_rt::test]
async fn rsa_and_ec_public_keys_used_as_hmac_secrets() {
    // RFC 8725 §2.1 and §3.1 (algorithm confusion); CVE-2016-10555, CVE-2022-29217 (PyJWT),
    // CVE-2023-48238; jwt_tool "key confusion" check.
    let p = valid_claims();
    let mut tokens = Vec::new();
    for (public, kid) in [
        (RSA_PUBLIC, "kid-RS256"),
        (EC256_PUBLIC, "kid-ES256"),
        (ED25519_PUBLIC, "kid-EdDSA"),
    ] {
        for secret in [public.to_vec(), pem_to_der(public)] {
            for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
                tokens.push(Minter::hmac(alg, &secret).sign_parts(
                    json!({"alg": format!("{alg:?}"), "kid": kid}).to_string(),
                    p.to_string(),
                ));
                tokens.push(Minter::hmac(alg, &secret).sign_parts(
                    json!({"alg": format!("{alg:?}")}).to_string(),
                    p.to_string(),
                ));
            }
        }
    }
    assert_refused("key confusion", &tokens).await;
}

#[actix_rt::test]
async fn attacker_keys_embedded_in_the_header() {
    // CVE-2018-0114 (node-jose, embedded jwk); RFC 8725 §3.10 (jwk/x5c); jwt_tool "jwk injection".
    let p = valid_claims();
    let attacker = Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE);
    let mut jwk = attacker.jwk();
    jwk.as_object_mut()
        .unwrap()
        .retain(|k, _| ["kty", "n", "e", "alg"].contains(&k.as_str()));
    let der = STANDARD.encode(pem_to_der(ATTACKER_RSA_PRIVATE));
    let mut tokens = Vec::new();
    for extra in [json!({"jwk": jwk}), json!({"x5c": [der]})] {
        for kid in [json!("kid-RS256"), json!("attacker")] {
            let mut h = json!({"alg": "RS256", "kid": kid});
            h.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            tokens.push(attacker.sign_parts(h.to_string(), p.to_string()));
        }
    }
    assert_refused("embedded jwk/x5c", &tokens).await;
}

#[actix_rt::test]
async fn key_urls_named_by_the_token_are_never_contacted() {
    // RFC 8725 §3.10 (jku/x5u); CVE-2018-0114 family; jwt_tool "jku/x5u spoofing".
    let hits = Arc::new(AtomicU64::new(0));
    let counter = hits.clone();
    let attacker_server = TestServer::start(move || {
        let counter = web::Data::new(counter);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(counter.clone())
                .default_service(web::to(|c: web::Data<Arc<AtomicU64>>| async move {
                    c.fetch_add(1, Ordering::SeqCst);
                    HttpResponse::Ok().json(json!({"keys": []}))
                }))
        })
        .workers(1)
        .bind("127.0.0.1:0")?;
        let addr = server.addrs()[0];
        Ok((server.run(), addr))
    });
    let url = format!("http://{}/jwks.json", attacker_server.addr);
    let attacker = Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE);
    let p = valid_claims();
    let mut tokens = Vec::new();
    for param in ["jku", "x5u"] {
        for kid in ["kid-RS256", "attacker"] {
            let h = json!({"alg": "RS256", "kid": kid, param: url});
            tokens.push(attacker.sign_parts(h.to_string(), p.to_string()));
        }
    }
    assert_refused("jku/x5u", &tokens).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the attacker's server was contacted"
    );
}

#[actix_rt::test]
async fn kid_injection() {
    // CVE-2018-1000531-style kid path traversal; jwt_tool "kid injection" (path traversal, SQLi,
    // command injection); RFC 8725 §3.10.
    let p = valid_claims();
    let kids = [
        json!(""),
        json!("../../dev/null"),
        json!("/dev/null"),
        json!("' OR '1'='1"),
        json!("kid-HS256' -- "),
        json!("$(touch /tmp/pwned)"),
        json!("`id`|nc 127.0.0.1 1"),
        json!("kid-HS256\u{0}"),
        json!("k".repeat(4000)),
        json!(7),
        json!(null),
        json!(["kid-HS256"]),
        json!({"kid": "kid-HS256"}),
    ];
    let mut tokens = Vec::new();
    for kid in kids {
        // Signed with the empty secret (what /dev/null would read) and with a guess.
        for secret in [&b""[..], b"secret"] {
            tokens.push(Minter::hmac(Algorithm::HS256, secret).sign_parts(
                json!({"alg": "HS256", "kid": kid}).to_string(),
                p.to_string(),
            ));
        }
    }
    assert_refused("kid injection", &tokens).await;
}

#[actix_rt::test]
async fn weak_hmac_secrets() {
    // RFC 8725 §3.5; jwt_tool / hashcat mode 16500 wordlist attacks; jwt.io's default secret.
    let p = valid_claims();
    let weak = [
        "",
        "secret",
        "password",
        "123456",
        "changeme",
        "your-256-bit-secret",
        "your-384-bit-secret",
        "your-512-bit-secret",
        "jwt",
        "key",
        "admin",
        "test",
        "qwerty",
        "default",
        "supersecret",
        "secretkey",
        "jwt_secret",
        "JWT_SECRET",
        "mysecret",
        "shhhhh",
        "s3cr3t",
        "letmein",
    ];
    let mut tokens = Vec::new();
    for secret in weak {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            for kid in [None, Some(format!("kid-{alg:?}"))] {
                let mut h = json!({"alg": format!("{alg:?}")});
                if let Some(kid) = &kid {
                    h["kid"] = json!(kid);
                }
                tokens.push(
                    Minter::hmac(alg, secret.as_bytes()).sign_parts(h.to_string(), p.to_string()),
                );
            }
        }
    }
    assert_refused("weak secrets", &tokens).await;
}

#[actix_rt::test]
async fn ecdsa_psychic_and_out_of_range_signatures() {
    // CVE-2022-21449 ("psychic signatures", Java 15–18): r = s = 0; plus r or s equal to the group
    // order n, all-ones, wrong lengths and DER instead of the JWS raw r||s (RFC 7518 §3.4).
    let p = valid_claims();
    let n256 = hex("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    let n384 = hex(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
    );
    let mut tokens = Vec::new();
    for (alg, n, size) in [("ES256", n256, 32), ("ES384", n384, 48)] {
        let h = json!({"alg": alg, "kid": format!("kid-{alg}")});
        let input = format!("{}.{}", b64(h.to_string()), b64(p.to_string()));
        let one = {
            let mut v = vec![0u8; size];
            v[size - 1] = 1;
            v
        };
        let sigs: Vec<Vec<u8>> = vec![
            vec![0; 2 * size],
            [n.clone(), n.clone()].concat(),
            [n.clone(), one.clone()].concat(),
            [one.clone(), n.clone()].concat(),
            vec![0xff; 2 * size],
            [one.clone(), vec![0; size]].concat(),
            vec![0; 2 * size - 1],
            vec![0; 2 * size + 1],
            [vec![0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]].concat(),
        ];
        for sig in sigs {
            tokens.push(format!("{input}.{}", b64(sig)));
        }
    }
    assert_refused("ECDSA signature values", &tokens).await;
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[actix_rt::test]
async fn critical_header_extensions() {
    // RFC 7515 §4.1.11 / RFC 8725 §3.1: `crit` naming what we do not implement; RFC 7797 b64.
    let p = valid_claims();
    let tokens: Vec<String> = [
        json!({"alg": "HS256", "crit": ["x-custom"], "x-custom": true}),
        json!({"alg": "HS256", "crit": ["b64"], "b64": false}),
        json!({"alg": "HS256", "crit": []}),
        json!({"alg": "HS256", "crit": null}),
        json!({"alg": "HS256", "crit": "exp"}),
    ]
    .iter()
    .map(|h| Minter::hmac(Algorithm::HS256, HS256_SECRET).sign_parts(h.to_string(), p.to_string()))
    .collect();
    assert_refused("crit", &tokens).await;
}

#[actix_rt::test]
async fn tampered_payloads_and_signatures() {
    // RFC 7515 §5.2: any change to the signing input or the signature invalidates the token.
    let good = minter(Algorithm::ES256).sign(&valid_claims());
    let (h, rest) = good.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let mut tokens = Vec::new();
    let mut elevated = valid_claims();
    elevated["sub"] = json!("admin");
    elevated["scope"] = json!("orders:read admin");
    tokens.push(format!("{h}.{}.{sig}", b64(elevated.to_string())));
    let sig_bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    for bit in [0, 7, 100, 255, sig_bytes.len() * 8 - 1] {
        let mut flipped = sig_bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        tokens.push(format!("{h}.{payload}.{}", b64(flipped)));
    }
    // A signature moved from another token, and the header swapped for another algorithm's.
    let other = minter(Algorithm::ES256).sign(&claims("other"));
    tokens.push(format!(
        "{h}.{payload}.{}",
        other.rsplit_once('.').unwrap().1
    ));
    tokens.push(format!(
        "{}.{payload}.{sig}",
        b64(json!({"alg": "ES384", "kid": "kid-ES384"}).to_string())
    ));
    assert_refused("tampering", &tokens).await;
}

#[actix_rt::test]
async fn claim_type_confusion() {
    // RFC 7519 §4.1 claim types; the "type juggling" class (e.g. CVE-2021-29451-style lax
    // parsing): every registered claim of the wrong JSON type is a refusal, not a skipped check.
    let cases: &[(&str, &[Value])] = &[
        (
            "exp",
            &[
                json!(null),
                json!(true),
                json!("9999999999"),
                json!([]),
                json!({}),
            ],
        ),
        (
            "nbf",
            &[json!(null), json!(true), json!("0"), json!([0]), json!({})],
        ),
        ("iat", &[json!(null), json!("0"), json!({})]),
        (
            "iss",
            &[
                json!(null),
                json!(true),
                json!(0),
                json!([ISSUER]),
                json!({"iss": ISSUER}),
            ],
        ),
        (
            "aud",
            &[
                json!(null),
                json!(true),
                json!(0),
                json!({}),
                json!([AUDIENCE, 1]),
                json!([[AUDIENCE]]),
            ],
        ),
        (
            "scope",
            &[
                json!(null),
                json!(true),
                json!(0),
                json!({"orders:read": true}),
                json!(["orders:read", 1]),
            ],
        ),
        (
            "sub",
            &[
                json!(null),
                json!(true),
                json!(0),
                json!(["alice"]),
                json!({}),
            ],
        ),
    ];
    let mut tokens = Vec::new();
    for (claim, values) in cases {
        for value in *values {
            let mut c = valid_claims();
            c[*claim] = value.clone();
            tokens.push(minter(Algorithm::HS256).sign(&c));
        }
    }
    assert_refused("claim types", &tokens).await;
}

#[actix_rt::test]
async fn hostile_json_and_encodings() {
    // Deep nesting (stack exhaustion, e.g. CVE-2022-24785-class parser DoS), duplicate members
    // (RFC 7519 §4: parsers must refuse or take the last; we refuse), oversized parts (RFC 8725
    // §3.12 resource use), and base64 that is not base64url without padding (RFC 7515 §2).
    let p = valid_claims();
    let mut tokens = Vec::new();
    let deep = format!("{}{}", "[".repeat(3000), "]".repeat(3000));
    tokens.push(minter(Algorithm::HS256).sign_parts(
        r#"{"alg":"HS256"}"#,
        format!(
            r#"{{"sub":"alice","exp":9999999999,"iss":"{ISSUER}","aud":"{AUDIENCE}","x":{deep}}}"#
        ),
    ));
    tokens.push(format!(
        "{}.{}.{}",
        b64(format!(r#"{{"alg":"HS256","x":{deep}}}"#)),
        b64(p.to_string()),
        b64("sig")
    ));
    tokens.push(minter(Algorithm::HS256).sign_parts(r#"{"alg":"HS256"}"#, format!(r#"{{"sub":"alice","sub":"admin","exp":9999999999,"iss":"{ISSUER}","aud":"{AUDIENCE}"}}"#)));
    tokens.push(minter(Algorithm::HS256).sign_parts(
        r#"{"alg":"HS256","kid":"x","kid":"kid-HS256"}"#,
        p.to_string(),
    ));
    tokens.push(minter(Algorithm::HS256).sign_parts(r#"{"alg":"HS256"}"#, r#"{"exp":1e999}"#));
    tokens.push(minter(Algorithm::HS256).sign_parts(r#"{"alg":"HS256"}"#, "[1,2,3]"));
    tokens.push(minter(Algorithm::HS256).sign_parts(r#"{"alg":"HS256"}"#, "null"));
    tokens.push(
        minter(Algorithm::HS256).sign_parts(r#"{"alg":"HS256"}"#, "{\"sub\":\"\u{fffd}\"\u{0}}"),
    );
    tokens.push(minter(Algorithm::HS256).sign_parts("[\"alg\",\"HS256\"]", p.to_string()));
    let mut big = p.clone();
    big["pad"] = json!("x".repeat(7000));
    tokens.push(minter(Algorithm::HS256).sign(&big));
    tokens.push(minter(Algorithm::HS256).sign_parts(
        format!(r#"{{"alg":"HS256","pad":"{}"}}"#, "x".repeat(7000)),
        p.to_string(),
    ));
    // Valid b64token, not base64url: '+', '/', '~', '.' inside, and '=' padding.
    let good = minter(Algorithm::HS256).sign(&p);
    let (h, rest) = good.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    tokens.push(format!("{h}.{payload}.{sig}="));
    tokens.push(format!("{h}.{payload}.{sig}=="));
    // Standard-alphabet characters where base64url has '-' and '_' (asserted to change it).
    let standard_alphabet = format!("{h}.{payload}.{}+/{}", &sig[..10], &sig[12..]);
    assert_ne!(standard_alphabet, good);
    tokens.push(standard_alphabet);
    tokens.push(format!("{h}~.{payload}.{sig}"));
    tokens.push(format!("{h}.{payload}.{sig}.{sig}"));
    tokens.push(format!("{h}..{sig}"));
    tokens.push("...".to_owned());
    assert!(
        tokens.iter().all(|t| *t != good),
        "every case differs from the valid token"
    );
    assert_refused("hostile JSON and encodings", &tokens).await;
}

#[test]
fn an_hmac_key_is_never_derived_from_a_public_key() {
    // RFC 8725 §3.1: keys are bound to one algorithm at configuration.
    assert!(JwtKey::from_pem(Algorithm::HS256, RSA_PUBLIC).is_err());
    assert!(JwtKey::hmac(Algorithm::RS256, RSA_PUBLIC).is_err());
    let rsa_as_oct = json!({"kty": "oct", "alg": "RS256", "k": b64(RSA_PUBLIC)}).to_string();
    assert!(JwtKey::from_jwk(&rsa_as_oct).is_err());
}
