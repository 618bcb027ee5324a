//! Every row of the Bearer table in `responses.md`, through real actix services, for each
//! handler form: the attribute above `#[get]`, below `#[get]`, and the extractor struct.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::body::to_bytes;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::test::{self, TestRequest};
use actix_web::{App, get, web};
use auth_core::{
    Algorithm, AuthConfig, Claims, CustomBody, JwtVerifier, MaybePrincipal, Principal, require_auth,
};
use auth_tests::*;
use serde::Deserialize;
use serde_json::{Value, json};

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/above")]
async fn above(user: Principal) -> String {
    format!("hello {}", user.subject().unwrap_or("?"))
}

#[get("/below")]
#[require_auth(scheme = "bearer", scope = "orders:read")]
async fn below(user: Principal) -> String {
    format!("hello {}", user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
struct Reader(Principal);

#[get("/struct")]
async fn via_struct(Reader(user): Reader) -> String {
    format!("hello {}", user.subject().unwrap_or("?"))
}

const FORMS: [&str; 3] = ["/above", "/below", "/struct"];

#[require_auth(scheme = "bearer", scope = "orders:write orders:admin")]
#[get("/all-of")]
async fn all_of() -> &'static str {
    "ok"
}

#[require_auth(scheme = "bearer", any_scope = "reports:read admin", realm = "reports")]
#[get("/any-of")]
async fn any_of() -> &'static str {
    "ok"
}

/// No attribute: the `Principal` argument authenticates by itself.
#[get("/bare-principal")]
async fn bare_principal(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[get("/maybe")]
async fn maybe(MaybePrincipal(user): MaybePrincipal) -> String {
    match user {
        Some(u) => format!("user {}", u.subject().unwrap_or("?")),
        None => "anonymous".to_owned(),
    }
}

#[derive(Deserialize)]
struct Tenant {
    tenant: String,
}

#[require_auth(scheme = "bearer")]
#[get("/claims")]
async fn typed_claims(Claims(t): Claims<Tenant>) -> String {
    t.tenant
}

fn app_with(
    config: Option<AuthConfig>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let app = App::new();
    let app = match config {
        Some(c) => app.app_data(c),
        None => app,
    };
    app.service(above)
        .service(below)
        .service(via_struct)
        .service(all_of)
        .service(any_of)
        .service(bare_principal)
        .service(maybe)
        .service(typed_claims)
}

/// Sends `req` to the forms of this file, configured with `config` (none: unconfigured). Every
/// answer has at most one `WWW-Authenticate` field and is never a redirect.
async fn call_with(config: Option<AuthConfig>, req: TestRequest) -> Answer {
    let app = test::init_service(app_with(config)).await;
    let a = call(&app, req).await;
    assert!(a.challenges().len() <= 1, "one WWW-Authenticate field");
    assert!(a.header("location").is_none(), "never a redirect");
    a
}

async fn send(path: &str, authorization: &[&str]) -> Answer {
    let mut req = TestRequest::get().uri(path);
    for value in authorization {
        req = req.append_header((header::AUTHORIZATION, *value));
    }
    call_with(Some(config()), req).await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

const NO_ERROR: &str = r#"Bearer realm="orders""#;
const INVALID_REQUEST: &str = r#"Bearer realm="orders", error="invalid_request""#;
const INVALID_TOKEN: &str = r#"Bearer realm="orders", error="invalid_token""#;
const EXPIRED: &str =
    r#"Bearer realm="orders", error="invalid_token", error_description="The access token expired""#;
const INSUFFICIENT: &str =
    r#"Bearer realm="orders", error="insufficient_scope", scope="orders:read""#;

#[actix_rt::test]
async fn valid_token_is_served_by_every_form() {
    for path in FORMS {
        let a = send(
            path,
            &[&bearer(&minter(Algorithm::HS256).token(&["orders:read"]))],
        )
        .await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.body, b"hello alice");
        // Scheme names are case-insensitive; the separator is 1*SP.
        for auth in [
            format!(
                "bearer {}",
                minter(Algorithm::HS256).token(&["orders:read"])
            ),
            format!(
                "BEARER   {}",
                minter(Algorithm::HS256).token(&["orders:read"])
            ),
        ] {
            assert_eq!(send(path, &[&auth]).await.status, 200, "{path} {auth:.10}");
        }
    }
}

#[actix_rt::test]
async fn no_credentials_is_401_without_error() {
    for path in FORMS {
        let a = send(path, &[]).await;
        a.assert_refusal(401, NO_ERROR, "unauthorized");
        assert_eq!(a.json()["title"], "Unauthorized");
    }
}

#[actix_rt::test]
async fn another_scheme_is_401_without_error() {
    for path in FORMS {
        for other in [
            "Basic YWxpY2U6c2VjcmV0",
            "Digest username=\"alice\"",
            "Bearerx abc",
            "Token abc",
        ] {
            let a = send(path, &[other]).await;
            a.assert_refusal(401, NO_ERROR, "unauthorized");
        }
    }
}

#[actix_rt::test]
async fn malformed_bearer_is_400_invalid_request() {
    let good = minter(Algorithm::HS256).token(&["orders:read"]);
    let cases = [
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        "bearer    ".to_owned(),
        format!("Bearer\t{good}"),
        format!("Bearer {good} extra"),
        format!("Bearer {good},"),
        "Bearer abc\"def".to_owned(),
        "Bearer =abc".to_owned(),
        "Bearer a=b".to_owned(),
        "Bearer a%20b".to_owned(),
    ];
    for path in FORMS {
        for case in &cases {
            let a = send(path, &[case]).await;
            a.assert_refusal(400, INVALID_REQUEST, "invalid_request");
        }
        // Two Authorization fields, even two valid ones.
        let a = send(path, &[&bearer(&good), &bearer(&good)]).await;
        a.assert_refusal(400, INVALID_REQUEST, "invalid_request");
        let a = send(path, &[&bearer(&good), "Basic YWxpY2U6c2VjcmV0"]).await;
        a.assert_refusal(400, INVALID_REQUEST, "invalid_request");
    }
}

/// Every cause of `invalid_token`, each minted with real keys.
fn invalid_tokens() -> Vec<(&'static str, String)> {
    let now = now();
    let valid = claims("orders:read");
    let with = |patch: Value| {
        let mut c = valid.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let hs = |c: &Value| minter(Algorithm::HS256).sign(c);
    let good = minter(Algorithm::HS256).token(&["orders:read"]);
    let (h, p, s) = {
        let mut it = good.split('.');
        (
            it.next().unwrap().to_owned(),
            it.next().unwrap().to_owned(),
            it.next().unwrap().to_owned(),
        )
    };
    let attacker = Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE)
        .kid(Some("kid-RS256"))
        .sign(&valid);
    let unknown_kid = Minter::hmac(Algorithm::HS256, b"another-secret-of-32-bytes-or-more!!")
        .kid(Some("no-such-kid"))
        .sign(&valid);
    let tampered_payload = {
        let forged = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            with(json!({"scope": "orders:read admin"})).to_string(),
        );
        format!("{h}.{forged}.{s}")
    };
    let mut flipped = s.clone().into_bytes();
    flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
    vec![
        ("not a JWT", "abc".to_owned()),
        ("two parts", format!("{h}.{p}")),
        ("four parts", format!("{good}.{s}")),
        ("empty signature", format!("{h}.{p}.")),
        ("header not JSON", format!("bm90IGpzb24.{p}.{s}")),
        (
            "alg none",
            raw_jwt(&json!({"alg": "none", "typ": "JWT"}), &valid, b""),
        ),
        (
            "alg none with a signature",
            raw_jwt(&json!({"alg": "none"}), &valid, b"x"),
        ),
        ("alg None", raw_jwt(&json!({"alg": "None"}), &valid, b"x")),
        (
            "HS256 signed with another secret",
            Minter::hmac(Algorithm::HS256, b"0123456789abcdef0123456789abcdef").sign_parts(
                json!({"alg": "HS256", "kid": "kid-HS256"}).to_string(),
                valid.to_string(),
            ),
        ),
        (
            "HS256 keyed with the RSA public key",
            Minter::hmac(Algorithm::HS256, RSA_PUBLIC)
                .sign_parts(json!({"alg": "HS256"}).to_string(), valid.to_string()),
        ),
        ("signed by an attacker's RSA key", attacker),
        ("unknown kid", unknown_kid),
        (
            "kid not a string",
            Minter::hmac(Algorithm::HS256, HS256_SECRET).sign_parts(
                json!({"alg": "HS256", "kid": 7}).to_string(),
                valid.to_string(),
            ),
        ),
        (
            "crit header",
            Minter::hmac(Algorithm::HS256, HS256_SECRET).sign_parts(
                json!({"alg": "HS256", "crit": ["exp"], "exp": 1}).to_string(),
                valid.to_string(),
            ),
        ),
        (
            "duplicate header member",
            format!(
                "{}.{p}.{s}",
                base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    r#"{"alg":"HS256","alg":"none"}"#
                )
            ),
        ),
        ("payload edited", tampered_payload),
        (
            "signature bit flip",
            format!("{h}.{p}.{}", String::from_utf8(flipped).unwrap()),
        ),
        (
            "wrong issuer",
            hs(&with(json!({"iss": "https://evil.example"}))),
        ),
        ("missing issuer", hs(&with(json!({"iss": null})))),
        ("wrong audience", hs(&with(json!({"aud": ["other-api"]})))),
        ("missing audience", hs(&with(json!({"aud": null})))),
        ("missing exp", hs(&with(json!({"exp": null})))),
        (
            "exp as a string",
            hs(&with(json!({"exp": (now + 3600).to_string()}))),
        ),
        ("nbf in the future", hs(&with(json!({"nbf": now + 3600})))),
        (
            "scope of the wrong type",
            hs(&with(json!({"scope": {"orders:read": true}}))),
        ),
        (
            "oversized token",
            hs(&with(json!({"pad": "x".repeat(9000)}))),
        ),
    ]
}

#[actix_rt::test]
async fn every_invalid_token_cause_is_401_with_identical_bytes() {
    let reference = send("/above", &[&bearer("abc")]).await;
    reference.assert_refusal(401, INVALID_TOKEN, "invalid_token");
    for path in FORMS {
        for (cause, tok) in invalid_tokens() {
            let a = send(path, &[&bearer(&tok)]).await;
            assert_eq!(a.status, 401, "{cause} on {path}");
            a.assert_refusal(401, INVALID_TOKEN, "invalid_token");
            assert_eq!(a.body, reference.body, "{cause}: bodies are byte-identical");
        }
    }
}

#[actix_rt::test]
async fn expired_token_says_so_and_leeway_applies() {
    let mut c = claims("orders:read");
    c["exp"] = json!(now() - 61);
    let expired = minter(Algorithm::HS256).sign(&c);
    c["exp"] = json!(now() - 30);
    let within_leeway = minter(Algorithm::HS256).sign(&c);
    for path in FORMS {
        let a = send(path, &[&bearer(&expired)]).await;
        a.assert_refusal(401, EXPIRED, "token_expired");
        assert_eq!(send(path, &[&bearer(&within_leeway)]).await.status, 200);
    }
}

#[actix_rt::test]
async fn missing_scope_is_403_naming_the_required_scope() {
    for path in FORMS {
        for scope in ["", "orders:write", "ORDERS:READ", "orders:read2", "orders"] {
            let a = send(path, &[&bearer(&minter(Algorithm::HS256).token(&[scope]))]).await;
            a.assert_refusal(403, INSUFFICIENT, "insufficient_scope");
            assert_eq!(a.json()["title"], "Forbidden");
        }
    }
    // `scp` as an array is read when `scope` is absent.
    let mut c = claims("");
    c.as_object_mut().unwrap().remove("scope");
    c["scp"] = json!(["orders:read"]);
    assert_eq!(
        send("/above", &[&bearer(&minter(Algorithm::HS256).sign(&c))])
            .await
            .status,
        200
    );
}

#[actix_rt::test]
async fn all_of_and_any_of_requirements() {
    let all =
        r#"Bearer realm="orders", error="insufficient_scope", scope="orders:write orders:admin""#;
    send(
        "/all-of",
        &[&bearer(&minter(Algorithm::HS256).token(&["orders:write"]))],
    )
    .await
    .assert_refusal(403, all, "insufficient_scope");
    assert_eq!(
        send(
            "/all-of",
            &[&bearer(
                &minter(Algorithm::HS256).token(&["orders:admin orders:write"])
            )]
        )
        .await
        .status,
        200
    );
    let any = r#"Bearer realm="reports", error="insufficient_scope", scope="reports:read admin""#;
    send(
        "/any-of",
        &[&bearer(&minter(Algorithm::HS256).token(&["orders:read"]))],
    )
    .await
    .assert_refusal(403, any, "insufficient_scope");
    assert_eq!(
        send(
            "/any-of",
            &[&bearer(&minter(Algorithm::HS256).token(&["admin"]))]
        )
        .await
        .status,
        200
    );
    assert_eq!(
        send(
            "/any-of",
            &[&bearer(&minter(Algorithm::HS256).token(&["reports:read"]))]
        )
        .await
        .status,
        200
    );
    // The endpoint's realm replaces the application's.
    send("/any-of", &[])
        .await
        .assert_refusal(401, r#"Bearer realm="reports""#, "unauthorized");
}

#[actix_rt::test]
async fn misconfiguration_is_500_never_2xx() {
    // No AuthConfig at all.
    for path in FORMS.iter().chain(&["/bare-principal", "/maybe"]) {
        let a = call_with(
            None,
            TestRequest::get().uri(path).insert_header((
                header::AUTHORIZATION,
                bearer(&minter(Algorithm::HS256).token(&["orders:read"])),
            )),
        )
        .await;
        assert_eq!(a.status, 500, "{path}");
        assert_eq!(a.challenge(), None);
        assert_eq!(a.json()["error"], "server_error");
    }
    // An AuthConfig with no verifier for the required scheme.
    let empty = AuthConfig::builder().realm(REALM).build().unwrap();
    for path in FORMS {
        let a = call_with(
            Some(empty.clone()),
            TestRequest::get().uri(path).insert_header((
                header::AUTHORIZATION,
                bearer(&minter(Algorithm::HS256).token(&["orders:read"])),
            )),
        )
        .await;
        assert_eq!(a.status, 500);
        assert_eq!(a.challenge(), None);
        assert_eq!(a.header("content-type"), Some("application/problem+json"));
    }
}

#[actix_rt::test]
async fn principal_without_attribute_authenticates_itself() {
    send("/bare-principal", &[])
        .await
        .assert_refusal(401, NO_ERROR, "unauthorized");
    send("/bare-principal", &[&bearer("x.y.z")])
        .await
        .assert_refusal(401, INVALID_TOKEN, "invalid_token");
    let a = send(
        "/bare-principal",
        &[&bearer(&minter(Algorithm::HS256).token(&[]))],
    )
    .await;
    assert_eq!((a.status, a.body.as_slice()), (200, b"alice".as_slice()));
}

#[actix_rt::test]
async fn optional_authentication() {
    assert_eq!(send("/maybe", &[]).await.body, b"anonymous");
    assert_eq!(
        send("/maybe", &[&bearer(&minter(Algorithm::HS256).token(&[]))])
            .await
            .body,
        b"user alice"
    );
    // A bad token is refused, not served as anonymous.
    send("/maybe", &[&bearer("x.y.z")])
        .await
        .assert_refusal(401, INVALID_TOKEN, "invalid_token");
    send("/maybe", &["Bearer"])
        .await
        .assert_refusal(400, INVALID_REQUEST, "invalid_request");
}

#[actix_rt::test]
async fn typed_claims_are_deserialized() {
    let mut c = claims("");
    c["tenant"] = json!("acme");
    let a = send("/claims", &[&bearer(&minter(Algorithm::HS256).sign(&c))]).await;
    assert_eq!((a.status, a.body.as_slice()), (200, b"acme".as_slice()));
    // Claims that do not fit the type: invalid_token, same body as every other cause.
    let a = send("/claims", &[&bearer(&minter(Algorithm::HS256).token(&[]))]).await;
    a.assert_refusal(401, INVALID_TOKEN, "invalid_token");
}

#[actix_rt::test]
async fn typ_at_jwt_can_be_required() {
    let verifier = JwtVerifier::builder()
        .key(verification_key(Algorithm::HS256))
        .require_at_jwt_type(true)
        .build()
        .unwrap();
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier)
        .build()
        .unwrap();
    let c = claims("orders:read");
    let send = |tok: String| {
        let config = config.clone();
        async move {
            call_with(
                Some(config),
                TestRequest::get()
                    .uri("/above")
                    .insert_header((header::AUTHORIZATION, bearer(&tok))),
            )
            .await
        }
    };
    send(minter(Algorithm::HS256).sign(&c))
        .await
        .assert_refusal(401, INVALID_TOKEN, "invalid_token");
    for typ in ["at+jwt", "application/at+JWT"] {
        let t = Minter::hmac(Algorithm::HS256, HS256_SECRET).sign_parts(
            json!({"alg": "HS256", "typ": typ}).to_string(),
            c.to_string(),
        );
        assert_eq!(send(t).await.status, 200, "{typ}");
    }
}

#[actix_rt::test]
async fn body_hook_replaces_the_body_only() {
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .problem_body(|p| CustomBody {
            content_type: HeaderValue::from_static("application/json"),
            body: format!(r#"{{"code":"{}","status":{}}}"#, p.code, p.status.as_u16()).into(),
        })
        .build()
        .unwrap();
    let a = call_with(Some(config.clone()), TestRequest::get().uri("/above")).await;
    assert_eq!(a.status, 401);
    assert_eq!(a.challenge(), Some(NO_ERROR));
    assert_eq!(a.header("cache-control"), Some("no-store"));
    assert_eq!(a.header("content-type"), Some("application/json"));
    assert_eq!(a.body, br#"{"code":"unauthorized","status":401}"#);
    let a = call_with(
        Some(config),
        TestRequest::get().uri("/above").insert_header((
            header::AUTHORIZATION,
            bearer(&minter(Algorithm::HS256).token(&[])),
        )),
    )
    .await;
    assert_eq!((a.status, a.challenge()), (403, Some(INSUFFICIENT)));
}

#[actix_rt::test]
async fn nothing_of_the_token_or_configuration_leaks() {
    let secrets = [
        ISSUER,
        AUDIENCE,
        "alice",
        "kid-",
        "no-such-kid",
        "evil.example",
        "other-api",
        "HS256",
        "RS256",
        "none",
        "jsonwebtoken",
        "InvalidSignature",
        "Error",
    ];
    for (cause, tok) in invalid_tokens() {
        let req = TestRequest::get()
            .uri("/above")
            .insert_header((header::AUTHORIZATION, bearer(&tok)));
        let app = test::init_service(app_with(Some(config()))).await;
        let res = app.call(req.to_request()).await.unwrap();
        let mut wire = format!("{:?}", res.headers());
        wire.push_str(&String::from_utf8_lossy(
            &to_bytes(res.into_body()).await.unwrap(),
        ));
        for part in tok.split('.').filter(|p| p.len() > 3) {
            assert!(!wire.contains(part), "{cause}: a token part leaked");
        }
        for s in secrets {
            assert!(!wire.contains(s), "{cause}: {s:?} leaked in {wire}");
        }
    }
}

#[actix_rt::test]
async fn every_algorithm_verifies_with_its_key_only() {
    for alg in ALL_ALGORITHMS {
        let tok = minter(alg).sign(&claims("orders:read"));
        assert_eq!(
            send("/above", &[&bearer(&tok)]).await.status,
            200,
            "{alg:?}"
        );
        // The same token presented under another algorithm's kid is refused.
        let verifier = JwtVerifier::builder()
            .key(verification_key(if alg == Algorithm::HS256 {
                Algorithm::HS384
            } else {
                Algorithm::HS256
            }))
            .build()
            .unwrap();
        let config = AuthConfig::builder()
            .realm(REALM)
            .bearer(verifier)
            .build()
            .unwrap();
        let a = call_with(
            Some(config),
            TestRequest::get()
                .uri("/above")
                .insert_header((header::AUTHORIZATION, bearer(&tok))),
        )
        .await;
        a.assert_refusal(401, INVALID_TOKEN, "invalid_token");
    }
}

#[actix_rt::test]
async fn head_and_post_get_the_same_refusal() {
    let app = test::init_service(
        App::new()
            .app_data(config())
            .route("/any", web::route().to(|_: Reader| async { "ok" })),
    )
    .await;
    for req in [
        TestRequest::post(),
        TestRequest::delete(),
        TestRequest::with_uri("/any").method(actix_web::http::Method::HEAD),
    ] {
        let res = app.call(req.uri("/any").to_request()).await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(
            res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            NO_ERROR
        );
    }
}
