//! Basic (RFC 7617), API keys, several schemes on one endpoint, and throttling of failed
//! attempts: every row of those sections of `responses.md`, through real actix services, for
//! the attribute and the extractor-struct forms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, get};
use auth_core::{
    ApiKeys, AuthConfig, BasicCredentials, BasicFuture, BasicOutcome, BasicVerifier,
    FailureThrottle, Htpasswd, Principal, Scheme, require_auth,
};
use auth_tests::*;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// `ops` / `correct horse` and `ünï` / `pä:ss` (bcrypt, written by Debian's `htpasswd -nbB`).
const HTPASSWD: &str = "ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n\
                        \u{fc}n\u{ef}:$2y$05$L/oVhZjh0lYwkdr8Swv8Iuq43r.6Gb0eeXEtNoPT1wzEJ3JRLD462\n";
const PARTNER_KEY: &str = "pk_test_0123456789abcdef";

#[require_auth(scheme = "basic", realm = "orders-ops")]
#[get("/ops")]
async fn ops(user: Principal) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "basic", realm = "orders-ops")]
struct Operator(Principal);

#[get("/ops-struct")]
async fn ops_struct(Operator(user): Operator) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "api_key")]
#[get("/partner")]
async fn partner(user: Principal) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "api_key")]
struct Partner(Principal);

#[get("/partner-struct")]
async fn partner_struct(Partner(user): Partner) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "bearer | basic")]
#[get("/either")]
async fn either(user: Principal) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "bearer | basic | api_key", scope = "orders:read")]
#[get("/all-three")]
async fn all_three() -> &'static str {
    "ok"
}

fn auth_config(throttle: Option<FailureThrottle>) -> AuthConfig {
    let mut b = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .basic(Htpasswd::parse(HTPASSWD).unwrap())
        .api_keys(
            ApiKeys::builder()
                .key("partner-a", PARTNER_KEY)
                .build()
                .unwrap(),
        );
    if let Some(t) = throttle {
        b = b.throttle(t);
    }
    b.build().unwrap()
}

/// Sends `req` to the handlers of this file; every refusal is a problem that is not cached.
async fn send(config: &AuthConfig, req: TestRequest) -> Answer {
    let app = test::init_service(
        App::new()
            .app_data(config.clone())
            .service(ops)
            .service(ops_struct)
            .service(partner)
            .service(partner_struct)
            .service(either)
            .service(all_three),
    )
    .await;
    let a = call(&app, req).await;
    if a.status >= 400 {
        a.assert_problem(a.status);
    }
    a
}

fn get_with(path: &str, headers: &[(&str, &str)]) -> TestRequest {
    headers
        .iter()
        .fold(TestRequest::get().uri(path), |r, (n, v)| {
            r.append_header((*n, *v))
        })
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

const BASIC_CHALLENGE: &str = r#"Basic realm="orders-ops", charset="UTF-8""#;

#[actix_rt::test]
async fn basic_accepts_valid_credentials_in_every_form() {
    let config = auth_config(None);
    for path in ["/ops", "/ops-struct"] {
        for auth in [
            basic("ops", "correct horse"),
            basic("ops", "correct horse").replace("Basic", "bAsIc"),
        ] {
            let a = send(&config, get_with(path, &[("Authorization", &auth)])).await;
            assert_eq!(
                (a.status, a.body.as_slice()),
                (200, b"Basic ops".as_slice()),
                "{path}"
            );
        }
        // UTF-8 user-id, and a password holding a colon (split at the first one only).
        let a = send(
            &config,
            get_with(path, &[("Authorization", &basic("ünï", "pä:ss"))]),
        )
        .await;
        assert_eq!(a.body, "Basic ünï".as_bytes());
    }
}

#[actix_rt::test]
async fn every_basic_failure_is_the_same_401() {
    let config = auth_config(None);
    let reference = send(
        &config,
        get_with("/ops", &[("Authorization", &basic("ops", "wrong"))]),
    )
    .await;
    assert_eq!(reference.status, 401);
    assert_eq!(reference.challenges(), [BASIC_CHALLENGE]);
    assert_eq!(reference.error(), "invalid_credentials");
    let malformed = [
        "Basic".to_owned(),
        "Basic ".to_owned(),
        "Basic !!!notbase64".to_owned(),
        format!("Basic {}", STANDARD.encode("no-colon")),
        format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', b'x'])),
        format!("Basic {}", STANDARD.encode("ops:pass\u{7}word")),
        format!("Basic {}", STANDARD.encode("ops\n:correct horse")),
        format!("Basic\t{}", STANDARD.encode("ops:correct horse")),
        format!(
            "Basic {}",
            STANDARD.encode("ops:correct horse").trim_end_matches('=')
        ),
    ];
    let wrong = [
        basic("nobody", "correct horse"),
        basic("ops", "correct horsE"),
        basic("ops", ""),
        basic("", ""),
    ];
    for path in ["/ops", "/ops-struct"] {
        for auth in malformed.iter().chain(&wrong) {
            let a = send(&config, get_with(path, &[("Authorization", auth)])).await;
            assert_eq!(a.status, 401, "{auth}");
            assert_eq!(a.challenges(), [BASIC_CHALLENGE], "{auth}");
            assert_eq!(a.body, reference.body, "{auth}: byte-identical");
        }
        // No credentials, or another scheme's: the same challenge, `unauthorized`.
        for headers in [vec![], vec![("Authorization", "Bearer abc")]] {
            let a = send(&config, get_with(path, &headers)).await;
            assert_eq!(
                (a.status, a.challenges()),
                (401, vec![BASIC_CHALLENGE.to_owned()])
            );
            assert_eq!(a.error(), "unauthorized");
        }
    }
}

#[actix_rt::test]
async fn api_keys() {
    let config = auth_config(None);
    let challenge = r#"ApiKey realm="orders""#;
    for path in ["/partner", "/partner-struct"] {
        let a = send(&config, get_with(path, &[("X-API-Key", PARTNER_KEY)])).await;
        assert_eq!(
            (a.status, a.body.as_slice()),
            (200, b"ApiKey partner-a".as_slice())
        );
        let missing = send(&config, get_with(path, &[])).await;
        assert_eq!(
            (missing.status, missing.challenges()),
            (401, vec![challenge.to_owned()])
        );
        let wrong = send(
            &config,
            get_with(path, &[("X-API-Key", "pk_test_0123456789abcdeF")]),
        )
        .await;
        assert_eq!(
            (wrong.status, wrong.challenges()),
            (401, vec![challenge.to_owned()])
        );
        for other in [
            vec![("X-API-Key", "")],
            vec![("X-API-Key", PARTNER_KEY), ("X-API-Key", PARTNER_KEY)],
        ] {
            let a = send(&config, get_with(path, &other)).await;
            assert_eq!((a.status, a.body.clone()), (401, wrong.body.clone()));
        }
        // The key in `Authorization` is not the API-key scheme.
        let a = send(
            &config,
            get_with(path, &[("Authorization", &format!("Bearer {PARTNER_KEY}"))]),
        )
        .await;
        assert_eq!((a.status, a.error()), (401, "unauthorized".to_owned()));
    }
    // A configured header and challenge name.
    let custom = AuthConfig::builder()
        .realm(REALM)
        .api_keys(
            ApiKeys::builder()
                .header("X-Partner-Token")
                .challenge_scheme("PartnerKey")
                .key("p", PARTNER_KEY)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    assert_eq!(
        send(
            &custom,
            get_with("/partner", &[("X-Partner-Token", PARTNER_KEY)])
        )
        .await
        .status,
        200
    );
    let a = send(&custom, get_with("/partner", &[("X-API-Key", PARTNER_KEY)])).await;
    assert_eq!(
        (a.status, a.challenges()),
        (401, vec![r#"PartnerKey realm="orders""#.to_owned()])
    );
}

#[actix_rt::test]
async fn several_schemes_challenge_each_and_the_first_credential_decides() {
    let config = auth_config(None);
    let both = vec![
        r#"Bearer realm="orders""#.to_owned(),
        r#"Basic realm="orders", charset="UTF-8""#.to_owned(),
    ];
    let a = send(&config, get_with("/either", &[])).await;
    assert_eq!((a.status, a.challenges()), (401, both.clone()));
    let a = send(
        &config,
        get_with("/either", &[("Authorization", &basic("ops", "nope"))]),
    )
    .await;
    assert_eq!(
        (a.status, a.challenges(), a.error()),
        (401, both.clone(), "invalid_credentials".to_owned())
    );
    let a = send(
        &config,
        get_with("/either", &[("Authorization", "Bearer x.y.z")]),
    )
    .await;
    assert_eq!(
        a.challenges(),
        [
            r#"Bearer realm="orders", error="invalid_token""#,
            r#"Basic realm="orders", charset="UTF-8""#
        ]
    );
    let a = send(&config, get_with("/either", &[("Authorization", "Bearer")])).await;
    assert_eq!((a.status, a.error()), (400, "invalid_request".to_owned()));
    let a = send(
        &config,
        get_with(
            "/either",
            &[("Authorization", &basic("ops", "correct horse"))],
        ),
    )
    .await;
    assert_eq!(a.body, b"Basic ops");
    let a = send(
        &config,
        get_with(
            "/either",
            &[(
                "Authorization",
                &format!("Bearer {}", minter(Algorithm::HS256).token(&[])),
            )],
        ),
    )
    .await;
    assert_eq!(a.body, b"Bearer alice");
    // Authorization comes first: a valid API key does not rescue a wrong password.
    let a = send(
        &config,
        get_with(
            "/all-three",
            &[
                ("Authorization", &basic("ops", "nope")),
                ("X-API-Key", PARTNER_KEY),
            ],
        ),
    )
    .await;
    assert_eq!(a.status, 401);
    assert_eq!(a.challenges().len(), 3);
    assert_eq!(a.challenges()[2], r#"ApiKey realm="orders""#);
    // A Basic or API-key principal has no scopes: 403, with the Bearer challenge naming them.
    let a = send(
        &config,
        get_with("/all-three", &[("X-API-Key", PARTNER_KEY)]),
    )
    .await;
    assert_eq!(
        (a.status, a.challenges()),
        (
            403,
            vec![
                r#"Bearer realm="orders", error="insufficient_scope", scope="orders:read""#
                    .to_owned()
            ]
        )
    );
    let a = send(
        &config,
        get_with(
            "/all-three",
            &[(
                "Authorization",
                &format!(
                    "Bearer {}",
                    minter(Algorithm::HS256).token(&["orders:read"])
                ),
            )],
        ),
    )
    .await;
    assert_eq!(a.status, 200);
}

fn from(ip: [u8; 4]) -> SocketAddr {
    SocketAddr::from((ip, 40000))
}

#[actix_rt::test]
async fn failed_attempts_are_throttled_per_client() {
    let config = auth_config(Some(FailureThrottle::per_minute(3)));
    let attacker = from([192, 0, 2, 1]);
    for _ in 0..3 {
        let a = send(
            &config,
            get_with("/ops", &[("Authorization", &basic("ops", "guess"))]).peer_addr(attacker),
        )
        .await;
        assert_eq!(a.status, 401);
    }
    // Blocked: even the right password, and on every protected endpoint.
    for req in [
        get_with("/ops", &[("Authorization", &basic("ops", "correct horse"))]),
        get_with("/partner", &[("X-API-Key", PARTNER_KEY)]),
    ] {
        let a = send(&config, req.peer_addr(attacker)).await;
        assert_eq!((a.status, a.error()), (429, "too_many_requests".to_owned()));
        let retry: u32 = a.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        assert!(a.challenges().is_empty());
    }
    // Another client is not affected.
    let a = send(
        &config,
        get_with("/partner", &[("X-API-Key", PARTNER_KEY)]).peer_addr(from([192, 0, 2, 2])),
    )
    .await;
    assert_eq!(a.status, 200);
    // Missing credentials and expired tokens are not failures (`ops` itself is blocked now:
    // its user-id failed three times).
    let quiet = from([192, 0, 2, 3]);
    let mut c = claims("");
    c["exp"] = serde_json::json!(now() - 3600);
    let expired = format!("Bearer {}", minter(auth_core::Algorithm::HS256).sign(&c));
    for _ in 0..5 {
        assert_eq!(
            send(&config, get_with("/either", &[]).peer_addr(quiet))
                .await
                .status,
            401
        );
        assert_eq!(
            send(
                &config,
                get_with("/either", &[("Authorization", &expired)]).peer_addr(quiet)
            )
            .await
            .status,
            401
        );
    }
    assert_eq!(
        send(
            &config,
            get_with("/either", &[("Authorization", &basic("ünï", "pä:ss"))]).peer_addr(quiet)
        )
        .await
        .status,
        200
    );
}

#[actix_rt::test]
async fn failed_attempts_are_throttled_per_basic_user() {
    let config = auth_config(Some(FailureThrottle::per_minute(3)));
    for i in 0..3u8 {
        let a = send(
            &config,
            get_with("/ops", &[("Authorization", &basic("ops", "guess"))])
                .peer_addr(from([198, 51, 100, i])),
        )
        .await;
        assert_eq!(a.status, 401);
    }
    let a = send(
        &config,
        get_with("/ops", &[("Authorization", &basic("ops", "correct horse"))])
            .peer_addr(from([198, 51, 100, 99])),
    )
    .await;
    assert_eq!(a.status, 429, "the user-id is blocked whatever the address");
    let a = send(
        &config,
        get_with("/ops", &[("Authorization", &basic("ünï", "pä:ss"))])
            .peer_addr(from([198, 51, 100, 99])),
    )
    .await;
    assert_eq!(a.status, 200, "other users are not");
}

#[actix_rt::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    let proxy = from([10, 0, 0, 1]);
    let untrusted = auth_config(Some(FailureThrottle::per_minute(2)));
    for i in 0..2u8 {
        // A client rotating X-Forwarded-For does not escape: the socket address counts.
        let spoof = format!("203.0.113.{i}");
        let a = send(
            &untrusted,
            get_with(
                "/partner",
                &[
                    ("X-API-Key", "wrong-key-0000000000"),
                    ("X-Forwarded-For", &spoof),
                ],
            )
            .peer_addr(proxy),
        )
        .await;
        assert_eq!(a.status, 401);
    }
    assert_eq!(
        send(
            &untrusted,
            get_with("/partner", &[("X-Forwarded-For", "203.0.113.50")]).peer_addr(proxy)
        )
        .await
        .status,
        429
    );

    let trusted = auth_config(Some(
        FailureThrottle::per_minute(2).trust_forwarded_for([proxy.ip()]),
    ));
    for _ in 0..2 {
        let a = send(
            &trusted,
            get_with(
                "/partner",
                &[
                    ("X-API-Key", "wrong-key-0000000000"),
                    ("X-Forwarded-For", "203.0.113.7, 10.0.0.1"),
                ],
            )
            .peer_addr(proxy),
        )
        .await;
        assert_eq!(a.status, 401);
    }
    let blocked = send(
        &trusted,
        get_with("/partner", &[("X-Forwarded-For", "203.0.113.7")]).peer_addr(proxy),
    )
    .await;
    assert_eq!(blocked.status, 429);
    let other = send(
        &trusted,
        get_with(
            "/partner",
            &[
                ("X-API-Key", PARTNER_KEY),
                ("X-Forwarded-For", "203.0.113.8"),
            ],
        )
        .peer_addr(proxy),
    )
    .await;
    assert_eq!(other.status, 200, "another client behind the same proxy");
}

/// A user store that counts its calls and can be "down".
struct Counting {
    calls: Arc<AtomicUsize>,
    down: bool,
}

impl BasicVerifier for Counting {
    fn verify(&self, credentials: BasicCredentials) -> BasicFuture {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let down = self.down;
        Box::pin(async move {
            actix_rt::time::sleep(std::time::Duration::from_millis(5)).await;
            match (down, credentials.password()) {
                (true, _) => BasicOutcome::Unavailable,
                (false, "pw") => BasicOutcome::Valid(Principal::new(
                    Scheme::Basic,
                    Some(credentials.user_id().to_owned()),
                    vec![],
                    Default::default(),
                )),
                _ => BasicOutcome::Invalid,
            }
        })
    }
}

#[require_auth(scheme = "basic")]
#[get("/count")]
async fn count(first: Principal, again: Principal, m: auth_core::MaybePrincipal) -> String {
    format!(
        "{} {} {}",
        first.subject().unwrap(),
        again.subject().unwrap(),
        m.0.unwrap().subject().unwrap()
    )
}

#[get("/count-struct-last")]
async fn count_struct_last(p: Principal, Operator(o): Operator) -> String {
    format!("{} {}", p.subject().unwrap(), o.subject().unwrap())
}

#[actix_rt::test]
async fn a_pending_check_is_shared_not_repeated_and_an_outage_is_503() {
    let calls = Arc::new(AtomicUsize::new(0));
    let config = AuthConfig::builder()
        .basic(Counting {
            calls: calls.clone(),
            down: false,
        })
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(config)
            .service(count)
            .service(count_struct_last),
    )
    .await;
    for path in ["/count", "/count-struct-last"] {
        calls.store(0, Ordering::SeqCst);
        let req = TestRequest::get()
            .uri(path)
            .insert_header((header::AUTHORIZATION, basic("ops", "pw")));
        let res = app.call(req.to_request()).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "{path}: one verification per request"
        );
    }

    let down = AuthConfig::builder()
        .basic(Counting { calls, down: true })
        .build()
        .unwrap();
    let app = test::init_service(App::new().app_data(down).service(count)).await;
    let res = app
        .call(
            TestRequest::get()
                .uri("/count")
                .insert_header((header::AUTHORIZATION, basic("ops", "pw")))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "5");
    assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
}
