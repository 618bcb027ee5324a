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

struct Answer {
    status: u16,
    challenge: Option<String>,
    cache_control: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

async fn call_with(config: Option<AuthConfig>, req: TestRequest) -> Answer {
    let app = test::init_service(app_with(config)).await;
    let res = app.call(req.to_request()).await.unwrap();
    let get = |name| {
        res.headers()
            .get(name)
            .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
    };
    let challenges: Vec<_> = res.headers().get_all(header::WWW_AUTHENTICATE).collect();
    assert!(challenges.len() <= 1, "one WWW-Authenticate field");
    let (status, challenge) = (res.status().as_u16(), get(header::WWW_AUTHENTICATE));
    let (cache_control, content_type) = (get(header::CACHE_CONTROL), get(header::CONTENT_TYPE));
    assert!(
        res.headers().get(header::LOCATION).is_none(),
        "never a redirect"
    );
    let body = to_bytes(res.into_body()).await.unwrap().to_vec();
    Answer {
        status,
        challenge,
        cache_control,
        content_type,
        body,
    }
}

async fn call(path: &str, authorization: &[&str]) -> Answer {
    let mut req = TestRequest::get().uri(path);
    for value in authorization {
        req = req.append_header((header::AUTHORIZATION, *value));
    }
    call_with(Some(config()), req).await
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn assert_refusal(a: &Answer, status: u16, challenge: &str, error: &str) {
    assert_eq!(
        a.status,
        status,
        "body: {}",
        String::from_utf8_lossy(&a.body)
    );
    assert_eq!(a.challenge.as_deref(), Some(challenge));
    assert_eq!(a.cache_control.as_deref(), Some("no-store"));
    assert_eq!(a.content_type.as_deref(), Some("application/problem+json"));
    let body = a.json();
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["status"], status);
    assert_eq!(body["error"], error);
    assert!(body["title"].is_string() && body["detail"].is_string());
    assert_eq!(
        body.as_object().unwrap().len(),
        5,
        "exactly the five members"
    );
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
        let a = call(path, &[&bearer(&token("orders:read"))]).await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.body, b"hello alice");
        // Scheme names are case-insensitive; the separator is 1*SP.
        for auth in [
            format!("bearer {}", token("orders:read")),
            format!("BEARER   {}", token("orders:read")),
        ] {
            assert_eq!(call(path, &[&auth]).await.status, 200, "{path} {auth:.10}");
        }
    }
}

#[actix_rt::test]
async fn no_credentials_is_401_without_error() {
    for path in FORMS {
        let a = call(path, &[]).await;
        assert_refusal(&a, 401, NO_ERROR, "unauthorized");
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
            let a = call(path, &[other]).await;
            assert_refusal(&a, 401, NO_ERROR, "unauthorized");
        }
    }
}

#[actix_rt::test]
async fn malformed_bearer_is_400_invalid_request() {
    let good = token("orders:read");
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
            let a = call(path, &[case]).await;
            assert_refusal(&a, 400, INVALID_REQUEST, "invalid_request");
        }
        // Two Authorization fields, even two valid ones.
        let a = call(path, &[&bearer(&good), &bearer(&good)]).await;
        assert_refusal(&a, 400, INVALID_REQUEST, "invalid_request");
        let a = call(path, &[&bearer(&good), "Basic YWxpY2U6c2VjcmV0"]).await;
        assert_refusal(&a, 400, INVALID_REQUEST, "invalid_request");
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
    let hs = |c: &Value| token_with(Algorithm::HS256, c);
    let good = token("orders:read");
    let (h, p, s) = {
        let mut it = good.split('.');
        (
            it.next().unwrap().to_owned(),
            it.next().unwrap().to_owned(),
            it.next().unwrap().to_owned(),
        )
    };
    let attacker = {
        let mut header = jsonwebtoken::Header::new(Algorithm::RS256);
        header.kid = Some("kid-RS256".into());
        jsonwebtoken::encode(
            &header,
            &valid,
            &jsonwebtoken::EncodingKey::from_rsa_pem(ATTACKER_RSA_PRIVATE).unwrap(),
        )
        .unwrap()
    };
    let unknown_kid = {
        let mut header = jsonwebtoken::Header::new(Algorithm::HS256);
        header.kid = Some("no-such-kid".into());
        jsonwebtoken::encode(
            &header,
            &valid,
            &jsonwebtoken::EncodingKey::from_secret(b"another-secret-of-32-bytes-or-more!!"),
        )
        .unwrap()
    };
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
            hs256_raw(
                &json!({"alg": "HS256", "kid": "kid-HS256"}),
                &valid,
                b"0123456789abcdef0123456789abcdef",
            ),
        ),
        (
            "HS256 keyed with the RSA public key",
            hs256_raw(&json!({"alg": "HS256"}), &valid, RSA_PUBLIC),
        ),
        ("signed by an attacker's RSA key", attacker),
        ("unknown kid", unknown_kid),
        (
            "kid not a string",
            hs256_raw(&json!({"alg": "HS256", "kid": 7}), &valid, HS256_SECRET),
        ),
        (
            "crit header",
            hs256_raw(
                &json!({"alg": "HS256", "crit": ["exp"], "exp": 1}),
                &valid,
                HS256_SECRET,
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
    let reference = call("/above", &[&bearer("abc")]).await;
    assert_refusal(&reference, 401, INVALID_TOKEN, "invalid_token");
    for path in FORMS {
        for (cause, tok) in invalid_tokens() {
            let a = call(path, &[&bearer(&tok)]).await;
            assert_eq!(a.status, 401, "{cause} on {path}");
            assert_refusal(&a, 401, INVALID_TOKEN, "invalid_token");
            assert_eq!(a.body, reference.body, "{cause}: bodies are byte-identical");
        }
    }
}

#[actix_rt::test]
async fn expired_token_says_so_and_leeway_applies() {
    let mut c = claims("orders:read");
    c["exp"] = json!(now() - 61);
    let expired = token_with(Algorithm::HS256, &c);
    c["exp"] = json!(now() - 30);
    let within_leeway = token_with(Algorithm::HS256, &c);
    for path in FORMS {
        let a = call(path, &[&bearer(&expired)]).await;
        assert_refusal(&a, 401, EXPIRED, "token_expired");
        assert_eq!(call(path, &[&bearer(&within_leeway)]).await.status, 200);
    }
}

#[actix_rt::test]
async fn missing_scope_is_403_naming_the_required_scope() {
    for path in FORMS {
        for scope in ["", "orders:write", "ORDERS:READ", "orders:read2", "orders"] {
            let a = call(path, &[&bearer(&token(scope))]).await;
            assert_refusal(&a, 403, INSUFFICIENT, "insufficient_scope");
            assert_eq!(a.json()["title"], "Forbidden");
        }
    }
    // `scp` as an array is read when `scope` is absent.
    let mut c = claims("");
    c.as_object_mut().unwrap().remove("scope");
    c["scp"] = json!(["orders:read"]);
    assert_eq!(
        call("/above", &[&bearer(&token_with(Algorithm::HS256, &c))])
            .await
            .status,
        200
    );
}

#[actix_rt::test]
async fn all_of_and_any_of_requirements() {
    let all =
        r#"Bearer realm="orders", error="insufficient_scope", scope="orders:write orders:admin""#;
    assert_refusal(
        &call("/all-of", &[&bearer(&token("orders:write"))]).await,
        403,
        all,
        "insufficient_scope",
    );
    assert_eq!(
        call("/all-of", &[&bearer(&token("orders:admin orders:write"))])
            .await
            .status,
        200
    );
    let any = r#"Bearer realm="reports", error="insufficient_scope", scope="reports:read admin""#;
    assert_refusal(
        &call("/any-of", &[&bearer(&token("orders:read"))]).await,
        403,
        any,
        "insufficient_scope",
    );
    assert_eq!(
        call("/any-of", &[&bearer(&token("admin"))]).await.status,
        200
    );
    assert_eq!(
        call("/any-of", &[&bearer(&token("reports:read"))])
            .await
            .status,
        200
    );
    // The endpoint's realm replaces the application's.
    assert_refusal(
        &call("/any-of", &[]).await,
        401,
        r#"Bearer realm="reports""#,
        "unauthorized",
    );
}

#[actix_rt::test]
async fn misconfiguration_is_500_never_2xx() {
    // No AuthConfig at all.
    for path in FORMS.iter().chain(&["/bare-principal", "/maybe"]) {
        let a = call_with(
            None,
            TestRequest::get()
                .uri(path)
                .insert_header((header::AUTHORIZATION, bearer(&token("orders:read")))),
        )
        .await;
        assert_eq!(a.status, 500, "{path}");
        assert_eq!(a.challenge, None);
        assert_eq!(a.json()["error"], "server_error");
    }
    // An AuthConfig with no verifier for the required scheme.
    let empty = AuthConfig::builder().realm(REALM).build().unwrap();
    for path in FORMS {
        let a = call_with(
            Some(empty.clone()),
            TestRequest::get()
                .uri(path)
                .insert_header((header::AUTHORIZATION, bearer(&token("orders:read")))),
        )
        .await;
        assert_eq!(a.status, 500);
        assert_eq!(a.challenge, None);
        assert_eq!(a.content_type.as_deref(), Some("application/problem+json"));
    }
}

#[actix_rt::test]
async fn principal_without_attribute_authenticates_itself() {
    assert_refusal(
        &call("/bare-principal", &[]).await,
        401,
        NO_ERROR,
        "unauthorized",
    );
    assert_refusal(
        &call("/bare-principal", &[&bearer("x.y.z")]).await,
        401,
        INVALID_TOKEN,
        "invalid_token",
    );
    let a = call("/bare-principal", &[&bearer(&token(""))]).await;
    assert_eq!((a.status, a.body.as_slice()), (200, b"alice".as_slice()));
}

#[actix_rt::test]
async fn optional_authentication() {
    assert_eq!(call("/maybe", &[]).await.body, b"anonymous");
    assert_eq!(
        call("/maybe", &[&bearer(&token(""))]).await.body,
        b"user alice"
    );
    // A bad token is refused, not served as anonymous.
    assert_refusal(
        &call("/maybe", &[&bearer("x.y.z")]).await,
        401,
        INVALID_TOKEN,
        "invalid_token",
    );
    assert_refusal(
        &call("/maybe", &["Bearer"]).await,
        400,
        INVALID_REQUEST,
        "invalid_request",
    );
}

#[actix_rt::test]
async fn typed_claims_are_deserialized() {
    let mut c = claims("");
    c["tenant"] = json!("acme");
    let a = call("/claims", &[&bearer(&token_with(Algorithm::HS256, &c))]).await;
    assert_eq!((a.status, a.body.as_slice()), (200, b"acme".as_slice()));
    // Claims that do not fit the type: invalid_token, same body as every other cause.
    let a = call("/claims", &[&bearer(&token(""))]).await;
    assert_refusal(&a, 401, INVALID_TOKEN, "invalid_token");
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
    assert_refusal(
        &send(token_with(Algorithm::HS256, &c)).await,
        401,
        INVALID_TOKEN,
        "invalid_token",
    );
    for typ in ["at+jwt", "application/at+JWT"] {
        let t = hs256_raw(&json!({"alg": "HS256", "typ": typ}), &c, HS256_SECRET);
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
    assert_eq!(a.challenge.as_deref(), Some(NO_ERROR));
    assert_eq!(a.cache_control.as_deref(), Some("no-store"));
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    assert_eq!(a.body, br#"{"code":"unauthorized","status":401}"#);
    let a = call_with(
        Some(config),
        TestRequest::get()
            .uri("/above")
            .insert_header((header::AUTHORIZATION, bearer(&token("")))),
    )
    .await;
    assert_eq!(
        (a.status, a.challenge.as_deref()),
        (403, Some(INSUFFICIENT))
    );
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
        let tok = token_with(alg, &claims("orders:read"));
        assert_eq!(
            call("/above", &[&bearer(&tok)]).await.status,
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
        assert_refusal(&a, 401, INVALID_TOKEN, "invalid_token");
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
