//! Leak proofs: every refusal cause of every scheme, and not one response (status line, headers,
//! body) carries the credential, a claim value, the expected issuer or audience, a `kid`, an
//! algorithm named by the token, whether a user exists, or library error text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use actix_web::test::{self, TestRequest};
use actix_web::{App, get};
use auth_core::{
    Algorithm, ApiKeys, AuthConfig, FailureThrottle, Htpasswd, JwtVerifier, KeySet, Principal,
    require_auth,
};
use auth_tests::*;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/bearer")]
async fn bearer(_: Principal) -> &'static str {
    "ok"
}

#[require_auth(scheme = "basic")]
#[get("/basic")]
async fn basic(_: Principal) -> &'static str {
    "ok"
}

#[require_auth(scheme = "api_key")]
#[get("/key")]
async fn key(_: Principal) -> &'static str {
    "ok"
}

#[require_auth(scheme = "bearer | basic | api_key", scope = "orders:read")]
#[get("/any")]
async fn any(_: Principal) -> &'static str {
    "ok"
}

const USERS: &str = "ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n";
const SECRET_KEY: &str = "pk_leak_0123456789abcdef";

fn full_config(throttle: bool) -> AuthConfig {
    let mut b = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .basic(Htpasswd::parse(USERS).unwrap())
        .api_keys(
            ApiKeys::builder()
                .key("partner-leak", SECRET_KEY)
                .build()
                .unwrap(),
        );
    if throttle {
        b = b.throttle(FailureThrottle::per_minute(1));
    }
    b.build().unwrap()
}

fn basic_header(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

struct Case {
    name: &'static str,
    path: &'static str,
    headers: Vec<(&'static str, String)>,
    config: Option<AuthConfig>,
}

fn cases() -> Vec<Case> {
    let mut c = claims("orders:write");
    c["tenant"] = json!("acme-secret-tenant");
    let wrong_scope = minter(Algorithm::HS256).sign(&c);
    let mut expired = claims("orders:read");
    expired["exp"] = json!(now() - 3600);
    let mut wrong_iss = claims("orders:read");
    wrong_iss["iss"] = json!("https://issuer-from-the-token.example");
    let mut no_aud = claims("orders:read");
    no_aud.as_object_mut().unwrap().remove("aud");
    let attacker = Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE)
        .kid(Some("secret-kid-name"))
        .sign(&claims("orders:read"));
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(claims("orders:read").to_string())
    );
    let bearer_tokens = [
        (
            "bearer: bad signature",
            format!("{}x", minter(Algorithm::HS256).token(&["orders:read"])),
        ),
        ("bearer: unknown kid", attacker),
        ("bearer: alg none", none),
        (
            "bearer: wrong issuer",
            minter(Algorithm::HS256).sign(&wrong_iss),
        ),
        (
            "bearer: no audience",
            minter(Algorithm::ES256).sign(&no_aud),
        ),
        ("bearer: expired", minter(Algorithm::RS256).sign(&expired)),
        ("bearer: insufficient scope", wrong_scope),
        ("bearer: garbage", "not.a.jwt".to_owned()),
    ];
    let cold = {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let v = JwtVerifier::builder()
            .key_set(KeySet::jwks(format!("http://{closed}/jwks")))
            .build()
            .unwrap();
        AuthConfig::builder()
            .realm(REALM)
            .bearer(v)
            .build()
            .unwrap()
    };
    let mut out = Vec::new();
    for path in ["/bearer", "/any"] {
        for (name, token) in &bearer_tokens {
            out.push(Case {
                name,
                path,
                headers: vec![("authorization", format!("Bearer {token}"))],
                config: None,
            });
        }
        out.push(Case {
            name: "bearer: malformed",
            path,
            headers: vec![("authorization", "Bearer a b".into())],
            config: None,
        });
        out.push(Case {
            name: "bearer: two fields",
            path,
            headers: vec![
                (
                    "authorization",
                    format!(
                        "Bearer {}",
                        minter(Algorithm::HS256).token(&["orders:read"])
                    ),
                ),
                ("authorization", "Bearer x".into()),
            ],
            config: None,
        });
        out.push(Case {
            name: "bearer: none",
            path,
            headers: vec![],
            config: None,
        });
        out.push(Case {
            name: "bearer: cold key set (503)",
            path,
            headers: vec![(
                "authorization",
                format!(
                    "Bearer {}",
                    minter(Algorithm::HS256).token(&["orders:read"])
                ),
            )],
            config: Some(cold.clone()),
        });
        out.push(Case {
            name: "no AuthConfig (500)",
            path,
            headers: vec![(
                "authorization",
                format!(
                    "Bearer {}",
                    minter(Algorithm::HS256).token(&["orders:read"])
                ),
            )],
            config: Some(AuthConfig::builder().build().unwrap()),
        });
    }
    for path in ["/basic", "/any"] {
        out.push(Case {
            name: "basic: unknown user",
            path,
            headers: vec![(
                "authorization",
                basic_header("mallory-user", "hunter2-secret"),
            )],
            config: None,
        });
        out.push(Case {
            name: "basic: wrong password",
            path,
            headers: vec![("authorization", basic_header("ops", "hunter2-secret"))],
            config: None,
        });
        out.push(Case {
            name: "basic: not base64",
            path,
            headers: vec![("authorization", "Basic hunter2-secret!".into())],
            config: None,
        });
        out.push(Case {
            name: "basic: throttled (429)",
            path,
            headers: vec![("authorization", basic_header("ops", "hunter2-secret"))],
            config: Some(full_config(true)),
        });
    }
    for path in ["/key", "/any"] {
        out.push(Case {
            name: "api key: unknown",
            path,
            headers: vec![("x-api-key", "pk_leak_guess_hunter2-secret".into())],
            config: None,
        });
        out.push(Case {
            name: "api key: twice",
            path,
            headers: vec![
                ("x-api-key", SECRET_KEY.into()),
                ("x-api-key", SECRET_KEY.into()),
            ],
            config: None,
        });
    }
    out
}

/// Everything a response puts on the wire.
async fn wire(case: &Case) -> Answer {
    let config = case.config.clone().unwrap_or_else(|| full_config(false));
    let app = test::init_service(
        App::new()
            .app_data(config)
            .service(bearer)
            .service(basic)
            .service(key)
            .service(any),
    )
    .await;
    let build = || {
        case.headers.iter().fold(
            TestRequest::get()
                .uri(case.path)
                .peer_addr("192.0.2.77:4000".parse().unwrap()),
            |req, (name, value)| req.append_header((*name, value.as_str())),
        )
    };
    // The throttled case fails once to get blocked, then is answered 429.
    let attempts = if case.name.contains("429") { 2 } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        last = Some(call(&app, build()).await);
    }
    last.unwrap()
}

#[actix_rt::test]
async fn no_refusal_of_any_scheme_leaks_anything() {
    let forbidden_static = [
        ISSUER,
        AUDIENCE,
        "issuer-from-the-token",
        "alice",
        "acme-secret-tenant",
        "orders:write",
        "kid-",
        "secret-kid-name",
        "HS256",
        "RS256",
        "ES256",
        "EdDSA",
        "\"none\"",
        "mallory-user",
        "hunter2-secret",
        "correct horse",
        "partner-leak",
        SECRET_KEY,
        "pk_leak",
        "Error(",
        "Error {",
        "ErrorKind",
        "error:",
        "invalid type",
        "missing field",
        "line 1",
        "column",
        "jsonwebtoken",
        "serde",
        "bcrypt",
        "reqwest",
        "refused",
        "os error",
        "panicked",
        "src/",
        ".rs",
    ];
    let mut invalid_token_bodies = BTreeSet::new();
    let mut basic_bodies = BTreeSet::new();
    let cases = cases();
    assert!(cases.len() >= 38, "{}", cases.len());
    for case in &cases {
        let answer = wire(case).await;
        let (status, head, body) = (answer.status, answer.head(), answer.text());
        assert!(status >= 400, "{}: {status}", case.name);
        let everything = String::from_utf8(answer.raw).unwrap();
        for s in forbidden_static {
            assert!(
                !everything.contains(s),
                "{} on {}: {s:?} leaked in\n{everything}",
                case.name,
                case.path
            );
        }
        for (_, value) in &case.headers {
            let credential = value.split_once(' ').map_or(value.as_str(), |(_, c)| c);
            for part in credential.split('.').filter(|p| p.len() > 3) {
                assert!(
                    !everything.contains(part),
                    "{}: a credential part leaked",
                    case.name
                );
            }
        }
        if body.contains("invalid_token") {
            invalid_token_bodies.insert(body.clone());
        }
        if case.name.starts_with("basic: ") && status == 401 && case.path == "/basic" {
            basic_bodies.insert((head.clone(), body.clone()));
        }
    }
    assert_eq!(invalid_token_bodies.len(), 1, "{invalid_token_bodies:?}");
    assert_eq!(
        basic_bodies.len(),
        1,
        "unknown user, wrong password and malformed are one answer: {basic_bodies:?}"
    );
}
