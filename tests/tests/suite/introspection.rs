//! Opaque access tokens checked by introspection (RFC 7662), through real actix services in the
//! three handler forms, against a real HTTP authorization server on 127.0.0.1
//! (`auth_tests::authorization_server`): the response contract's "Opaque tokens" rows, the
//! checks beyond `active`, single flight, the caches and their bounds, the server's failures
//! (503, never 401 or 500, never open), client authentication, discovery, DPoP binding, and the
//! choice between JWT and opaque tokens. Conformance cases are named by their catalog ids.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, get, web};
use auth_core::testing::DpopProver;
use auth_core::{
    AuthConfig, ClientAuth, Dpop, Introspection, IntrospectionBuilder, JwtOrOpaque, Principal,
    RequireAuth, Requirement, Scheme, SchemeSet, require_auth,
};
use auth_tests::authorization_server::{AuthorizationServer, CLIENT_ID, CLIENT_SECRET, Mode};
use auth_tests::*;
use serde_json::json;

const ORIGIN: &str = "https://api.test.example";

/// The authorization server's key for signed answers (RFC 9701).
fn as_key() -> auth_core::testing::Minter {
    auth_core::testing::Minter::from_pem(auth_core::Algorithm::ES256, EC256_PRIVATE)
        .kid(Some("as-1"))
        .typ("token-introspection+jwt")
}

#[require_auth(scheme = "bearer | dpop", scope = "orders:read")]
#[get("/fn")]
async fn by_fn(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
struct Reader(Principal);

#[get("/struct")]
async fn by_struct(Reader(user): Reader) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[require_auth(scheme = "bearer", scope = "orders:write")]
#[actix_web::post("/fn-body")]
async fn with_body(body: web::Json<serde_json::Value>) -> String {
    body["item"].as_str().unwrap_or("?").to_owned()
}

#[require_auth(scheme = "bearer", scope = "orders:write")]
struct Writer(Principal);

/// The guarded struct before the body: actix hands the body to the first extractor that asks
/// for it, so an extractor written before the struct would take it before the struct could
/// hold it back (docs/attribute.md: the struct comes first).
#[actix_web::post("/struct-body")]
async fn with_body_struct(Writer(user): Writer, body: web::Json<serde_json::Value>) -> String {
    let _ = user;
    body["item"].as_str().unwrap_or("?").to_owned()
}

const GUARDED: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_all_scopes(&["orders:read"]);

/// The three handler forms.
const FORMS: [&str; 3] = ["/fn", "/struct", "/guarded/x"];

fn builder(server: &AuthorizationServer) -> IntrospectionBuilder {
    Introspection::builder(server.endpoint())
        .client(ClientAuth::secret_basic(CLIENT_ID, CLIENT_SECRET))
        .issuer(server.issuer())
        .audience(AUDIENCE)
        .timeout(Duration::from_secs(2))
}

async fn app_with(
    bearer: impl auth_core::BearerVerifier,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(bearer)
        .dpop(Dpop::builder(ORIGIN).build().unwrap())
        .build()
        .unwrap();
    test::init_service(
        App::new()
            .app_data(config)
            .service(by_fn)
            .service(by_struct)
            .service(with_body)
            .service(with_body_struct)
            .service(
                web::scope("/guarded")
                    .wrap(RequireAuth::new(&GUARDED))
                    .default_service(web::to(|user: Principal| async move {
                        HttpResponse::Ok().body(user.subject().unwrap_or("?").to_owned())
                    })),
            ),
    )
    .await
}

fn bearer(path: &str, token: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {token}")))
}

fn assert_unavailable(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 503, "{what}: {}", answer.text());
    answer.assert_problem(503);
    let retry: u32 = answer.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0, "{what}");
    assert!(
        answer.challenges().is_empty(),
        "{what}: no challenge on 503"
    );
    assert_eq!(answer.json()["error"], "temporarily_unavailable", "{what}");
}

#[actix_web::test]
async fn an_active_token_with_the_scope_is_accepted_in_every_form() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read orders:write");
    let app = app_with(builder(&server).build().unwrap()).await;
    for path in FORMS {
        let answer = call(&app, bearer(path, "opaque-read")).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        assert_eq!(answer.text(), "alice", "{path}");
    }
    assert_eq!(server.calls(), 1, "one call for the token, then the cache");
}

#[actix_web::test]
async fn an_active_token_lacking_the_scope_is_403_insufficient_scope() {
    let server = AuthorizationServer::start();
    server.active("opaque-write", "orders:write");
    let app = app_with(builder(&server).build().unwrap()).await;
    for path in ["/struct", "/guarded/x"] {
        let answer = call(&app, bearer(path, "opaque-write")).await;
        answer.assert_refusal(
            403,
            r#"Bearer realm="orders", error="insufficient_scope", scope="orders:read""#,
            "insufficient_scope",
        );
    }
}

/// Case `rfc7662-verifier-active-false-must-reject-token`: `active: false` is 401
/// `invalid_token`, the same bytes as every other invalid token, whatever else the answer says.
#[actix_web::test]
async fn rfc7662_verifier_active_false_must_reject_token() {
    let server = AuthorizationServer::start();
    server.answer(
        "opaque-dead",
        json!({"active": false, "scope": "orders:read", "sub": "alice", "iss": server.issuer(), "aud": AUDIENCE}),
    );
    let app = app_with(builder(&server).build().unwrap()).await;
    for path in ["/struct", "/guarded/x"] {
        call(&app, bearer(path, "opaque-dead"))
            .await
            .assert_invalid_token(path);
        call(&app, bearer(path, "never-issued"))
            .await
            .assert_invalid_token(path);
    }
}

#[actix_web::test]
async fn active_alone_is_never_enough() {
    let server = AuthorizationServer::start();
    let exp = now() + 3600;
    let iss = server.issuer();
    let cases = [
        ("bare", json!({"active": true, "scope": "orders:read"})),
        (
            "wrong-iss",
            json!({"active": true, "scope": "orders:read", "iss": "http://evil.example", "aud": AUDIENCE, "exp": exp}),
        ),
        (
            "wrong-aud",
            json!({"active": true, "scope": "orders:read", "iss": iss, "aud": ["other-api"], "exp": exp}),
        ),
        (
            "no-aud",
            json!({"active": true, "scope": "orders:read", "iss": iss, "exp": exp}),
        ),
        (
            "refresh",
            json!({"active": true, "scope": "orders:read", "iss": iss, "aud": AUDIENCE, "exp": exp, "token_type": "refresh_token"}),
        ),
        (
            "future",
            json!({"active": true, "scope": "orders:read", "iss": iss, "aud": AUDIENCE, "nbf": exp}),
        ),
        (
            "string-scope-type",
            json!({"active": true, "scope": 7, "iss": iss, "aud": AUDIENCE}),
        ),
    ];
    for (token, answer) in &cases {
        server.answer(token, answer.clone());
    }
    let app = app_with(builder(&server).build().unwrap()).await;
    for (token, _) in &cases {
        call(&app, bearer("/struct", token))
            .await
            .assert_invalid_token(token);
    }
    server.answer(
        "expired",
        json!({"active": true, "scope": "orders:read", "iss": iss, "aud": AUDIENCE, "exp": now() - 120}),
    );
    let answer = call(&app, bearer("/struct", "expired")).await;
    assert_eq!(answer.status, 401);
    assert!(
        answer
            .challenge()
            .unwrap()
            .contains(r#"error="invalid_token""#),
        "{:?}",
        answer.challenge()
    );
}

/// Case `rfc7662-introspection-fail-open-policy-must-be-explicitly-tested`, answered otherwise
/// on purpose: the catalog expects an opt-in fail-open mode that accepts tokens while the
/// server fails. RFC 7662 gives a resource server no basis to accept a token nobody vouched for,
/// and our contract is fail closed: there is no such setting, and a 500 (or any failure) is 503
/// with `Retry-After`, never an acceptance, never 401 (the client keeps its good token).
#[actix_web::test]
async fn rfc7662_introspection_fail_open_policy_must_be_explicitly_tested_deviation_never_fails_open()
 {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let app = app_with(builder(&server).build().unwrap()).await;
    for (mode, what) in [
        (Mode::Status(500), "500"),
        (Mode::Status(503), "503"),
        (Mode::Status(401), "our credentials refused"),
        (Mode::Status(400), "400 for the token"),
        (Mode::Garbage, "not JSON"),
        (Mode::WrongType, "not application/json"),
        (Mode::NoActive, "no active member"),
    ] {
        server.set_mode(mode);
        for path in FORMS {
            let answer = call(&app, bearer(path, "opaque-read")).await;
            assert_unavailable(&answer, &format!("{what} {path}"));
            assert!(
                !answer.text().contains("opaque"),
                "{what}: nothing of the token"
            );
        }
    }
    server.set_mode(Mode::Normal);
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
}

#[actix_web::test]
async fn a_slow_server_is_503_for_each_waiter_and_its_late_answer_is_kept() {
    let server = AuthorizationServer::start();
    server.active("opaque-slow", "orders:read");
    server.set_delay(Duration::from_millis(1500));
    let verifier = builder(&server)
        .timeout(Duration::from_secs(5))
        .wait_for(Duration::from_millis(300))
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    let answer = call(&app, bearer("/fn", "opaque-slow")).await;
    assert_unavailable(&answer, "past the waiter's timeout");
    // The call went on without the request: its answer serves the next one, no second call.
    actix_rt::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-slow")).await.status, 200);
    assert_eq!(server.calls(), 1);
}

#[actix_web::test]
async fn a_call_past_the_timeout_is_503() {
    let server = AuthorizationServer::start();
    server.active("opaque-slow", "orders:read");
    server.set_delay(Duration::from_millis(1500));
    let verifier = builder(&server)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    assert_unavailable(&call(&app, bearer("/fn", "opaque-slow")).await, "timeout");
}

#[actix_web::test]
async fn the_server_stopped_is_503_and_back_is_200() {
    let mut server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let verifier = builder(&server).cache_for(Duration::ZERO).build().unwrap();
    let app = app_with(verifier).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
    server.stop();
    for path in FORMS {
        assert_unavailable(&call(&app, bearer(path, "opaque-read")).await, path);
    }
    server.restart();
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
}

#[actix_web::test]
async fn concurrent_requests_with_one_new_token_make_one_call() {
    let server = AuthorizationServer::start();
    server.active("opaque-burst", "orders:read");
    server.set_delay(Duration::from_millis(300));
    let app = app_with(builder(&server).build().unwrap()).await;
    let requests = (0..200).map(|i| {
        let path = FORMS[i % FORMS.len()];
        call(&app, bearer(path, "opaque-burst"))
    });
    let answers = futures_util::future::join_all(requests).await;
    assert!(answers.iter().all(|a| a.status == 200));
    assert_eq!(
        server.calls(),
        1,
        "single flight: one call for 200 requests"
    );
}

#[actix_web::test]
async fn answers_are_kept_no_longer_than_the_bound_so_a_revocation_takes_effect() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let verifier = builder(&server)
        .cache_for(Duration::from_secs(1))
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
    server.revoke("opaque-read");
    assert_eq!(
        call(&app, bearer("/fn", "opaque-read")).await.status,
        200,
        "within the bound, the kept answer"
    );
    assert_eq!(server.calls(), 1);
    actix_rt::time::sleep(Duration::from_millis(2100)).await;
    call(&app, bearer("/struct", "opaque-read"))
        .await
        .assert_invalid_token("revoked, past the bound");
    assert_eq!(server.calls(), 2);
}

#[actix_web::test]
async fn answers_are_never_kept_past_the_tokens_exp() {
    let server = AuthorizationServer::start();
    let exp = now() + 2;
    server.answer(
        "opaque-short",
        json!({"active": true, "scope": "orders:read", "iss": server.issuer(), "aud": AUDIENCE, "exp": exp}),
    );
    let verifier = builder(&server)
        .leeway(Duration::ZERO)
        .cache_for(Duration::from_secs(600))
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-short")).await.status, 200);
    server.revoke("opaque-short");
    actix_rt::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-short")).await.status, 401);
    assert_eq!(server.calls(), 2, "asked again once exp passed");
}

#[actix_web::test]
async fn inactive_answers_are_kept_briefly_or_not_at_all() {
    let server = AuthorizationServer::start();
    let brief = builder(&server)
        .cache_inactive_for(Duration::from_secs(30))
        .build()
        .unwrap();
    let app = app_with(brief).await;
    for _ in 0..3 {
        assert_eq!(call(&app, bearer("/fn", "junk-1")).await.status, 401);
    }
    assert_eq!(server.calls(), 1, "kept for a while");
    let never = builder(&server)
        .cache_inactive_for(Duration::ZERO)
        .build()
        .unwrap();
    let app = app_with(never).await;
    for _ in 0..3 {
        assert_eq!(call(&app, bearer("/fn", "junk-2")).await.status, 401);
    }
    assert_eq!(server.calls(), 4, "never kept");
}

#[actix_web::test]
async fn too_many_distinct_tokens_in_flight_is_503_at_once() {
    let server = AuthorizationServer::start();
    server.set_delay(Duration::from_millis(500));
    let verifier = builder(&server).max_in_flight(2).build().unwrap();
    let app = app_with(verifier).await;
    let requests = (0..6).map(|i| call(&app, bearer("/fn", &format!("junk-{i}"))));
    let answers = futures_util::future::join_all(requests).await;
    let refused = answers.iter().filter(|a| a.status == 503).count();
    assert_eq!(refused, 4, "two calls at a time; the rest 503");
    assert_eq!(server.calls(), 2);
}

#[actix_web::test]
async fn client_secret_basic_form_encodes_the_credentials() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let app = app_with(builder(&server).build().unwrap()).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
    let sent = server.last_call().unwrap();
    use base64::Engine as _;
    let basic = sent.authorization.unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(basic.strip_prefix("Basic ").unwrap())
        .unwrap();
    // RFC 6749 §2.3.1: each of id and secret form-urlencoded before Basic's encoding.
    assert_eq!(
        String::from_utf8(decoded).unwrap(),
        "orders-api:s3cret%3Awith%25and%2B"
    );
    assert_eq!(sent.form["token"], "opaque-read");
    assert_eq!(sent.form["token_type_hint"], "access_token");
    assert!(!sent.form.contains_key("client_secret"));
}

#[actix_web::test]
async fn client_secret_post_sends_the_credentials_in_the_body() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let verifier = builder(&server)
        .client(ClientAuth::secret_post(CLIENT_ID, CLIENT_SECRET))
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
    let sent = server.last_call().unwrap();
    assert_eq!(sent.authorization, None);
    assert_eq!(sent.form["client_id"], CLIENT_ID);
    assert_eq!(sent.form["client_secret"], CLIENT_SECRET);
}

#[actix_web::test]
async fn private_key_jwt_signs_a_fresh_assertion_per_call() {
    let server = AuthorizationServer::start();
    server.active("opaque-1", "orders:read");
    server.active("opaque-2", "orders:read");
    let auth = ClientAuth::private_key_jwt(
        CLIENT_ID,
        auth_core::Algorithm::ES256,
        EC256_PRIVATE,
        Some("rs-1".into()),
    )
    .unwrap();
    let app = app_with(builder(&server).client(auth).build().unwrap()).await;
    let mut jtis = Vec::new();
    for token in ["opaque-1", "opaque-2"] {
        assert_eq!(call(&app, bearer("/fn", token)).await.status, 200);
        let sent = server.last_call().unwrap();
        assert_eq!(sent.authorization, None);
        assert_eq!(
            sent.form["client_assertion_type"],
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.set_audience(&[server.issuer()]);
        validation.set_issuer(&[CLIENT_ID]);
        let key = jsonwebtoken::DecodingKey::from_ec_pem(EC256_PUBLIC).unwrap();
        let verified = jsonwebtoken::decode::<serde_json::Value>(
            &sent.form["client_assertion"],
            &key,
            &validation,
        )
        .unwrap();
        assert_eq!(verified.header.kid.as_deref(), Some("rs-1"));
        assert_eq!(verified.claims["sub"], CLIENT_ID);
        let lifetime =
            verified.claims["exp"].as_u64().unwrap() - verified.claims["iat"].as_u64().unwrap();
        assert!(lifetime <= 60);
        jtis.push(verified.claims["jti"].as_str().unwrap().to_owned());
    }
    assert_ne!(jtis[0], jtis[1], "a fresh jti per call");
}

#[actix_web::test]
async fn the_endpoint_is_discovered_by_openid_and_by_rfc8414_with_an_issuer_path() {
    for path in ["", "/tenant-a"] {
        let server = AuthorizationServer::start_with_path(path);
        server.active("opaque-read", "orders:read");
        for discover in [Introspection::discover, Introspection::discover_oauth] {
            let verifier = discover(server.issuer())
                .client(ClientAuth::secret_basic(CLIENT_ID, CLIENT_SECRET))
                .audience(AUDIENCE)
                .build()
                .unwrap();
            let app = app_with(verifier).await;
            let answer = call(&app, bearer("/fn", "opaque-read")).await;
            assert_eq!(
                answer.status,
                200,
                "issuer path {path:?}: {}",
                answer.text()
            );
        }
    }
}

#[actix_web::test]
async fn a_discovery_document_for_another_issuer_is_refused_and_nothing_is_introspected() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    server.claim_issuer("http://127.0.0.1:1/impostor");
    let verifier = Introspection::discover_oauth(server.issuer())
        .client(ClientAuth::secret_basic(CLIENT_ID, CLIENT_SECRET))
        .audience(AUDIENCE)
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    assert_unavailable(&call(&app, bearer("/fn", "opaque-read")).await, "impostor");
    assert_eq!(server.calls(), 0);
}

#[actix_web::test]
async fn a_dpop_bound_opaque_token_needs_its_proof() {
    let server = AuthorizationServer::start();
    let prover = DpopProver::new(minter(auth_core::Algorithm::ES256));
    server.answer(
        "opaque-bound",
        json!({"active": true, "scope": "orders:read", "sub": "alice", "iss": server.issuer(),
               "aud": AUDIENCE, "token_type": "DPoP", "cnf": {"jkt": prover.thumbprint()}}),
    );
    let app = app_with(builder(&server).build().unwrap()).await;
    let as_bearer = call(&app, bearer("/fn", "opaque-bound")).await;
    assert_eq!(
        as_bearer.status, 401,
        "a DPoP-bound token is never a bearer token"
    );
    let proof = prover.proof("GET", &format!("{ORIGIN}/fn"), Some("opaque-bound"));
    let with_proof = TestRequest::get()
        .uri("/fn")
        .insert_header(("authorization", "DPoP opaque-bound"))
        .insert_header(("dpop", proof));
    let answer = call(&app, with_proof).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(server.calls(), 1, "the second request was a cache hit");
}

#[actix_web::test]
async fn jwts_go_to_the_jwt_verifier_and_the_rest_to_introspection() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let both = JwtOrOpaque::new(verifier(), builder(&server).build().unwrap());
    let app = app_with(both).await;
    let jwt = minter(auth_core::Algorithm::ES256).token(&["orders:read"]);
    assert_eq!(call(&app, bearer("/fn", &jwt)).await.status, 200);
    assert_eq!(
        server.calls(),
        0,
        "a JWT never reaches the authorization server"
    );
    let forged = minter(auth_core::Algorithm::ES256).token(&["orders:read"]) + "x";
    call(&app, bearer("/struct", &forged))
        .await
        .assert_invalid_token("a forged JWT is refused, not introspected");
    assert_eq!(server.calls(), 0);
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
    assert_eq!(server.calls(), 1);
}

#[actix_web::test]
async fn signed_answers_rfc9701_are_verified_and_a_plain_one_is_a_downgrade() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    server.answer("opaque-dead", json!({"active": false}));
    let as_key = as_key();
    server.sign_answers(as_key.clone());
    let signed = || {
        builder(&server)
            .cache_for(Duration::ZERO)
            .cache_inactive_for(Duration::ZERO)
            .signed_answers(auth_core::KeySet::jwks(server.jwks()))
            .build()
            .unwrap()
    };
    let app = app_with(signed()).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
    assert_eq!(
        server.last_call().unwrap().accept.as_deref(),
        Some("application/token-introspection+jwt"),
        "asked for the JWT form"
    );
    call(&app, bearer("/struct", "opaque-dead"))
        .await
        .assert_invalid_token("signed inactive");
    // The server's answers signed by another key, of the wrong type, or sent unsigned: each is
    // the server failing (503), never an acceptance.
    for (minter, what) in [
        (
            auth_core::testing::Minter::from_pem(auth_core::Algorithm::RS256, ATTACKER_RSA_PRIVATE)
                .kid(Some("as-1"))
                .typ("token-introspection+jwt"),
            "another key",
        ),
        (as_key.clone().typ("JWT"), "typ JWT"),
    ] {
        let app = app_with(signed()).await;
        server.sign_with(minter);
        assert_unavailable(&call(&app, bearer("/fn", "opaque-read")).await, what);
    }
    server.sign_answers(as_key);
    let plain_app = app_with(signed()).await;
    server.stop_signing();
    assert_unavailable(
        &call(&plain_app, bearer("/fn", "opaque-read")).await,
        "plain JSON where a signed answer was asked for",
    );
}

#[actix_web::test]
async fn refresh_tokens_and_unbound_dpop_answers_are_never_bearer_tokens() {
    let server = AuthorizationServer::start();
    let base =
        json!({"active": true, "scope": "orders:read", "iss": server.issuer(), "aud": AUDIENCE});
    let with = |extra: serde_json::Value| {
        let mut answer = base.clone();
        answer
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        answer
    };
    // Ory Hydra says what a token is in `token_use`, Keycloak in `typ`; RFC 9449 §6.2 has a
    // DPoP token's answer name its key.
    server.answer(
        "hydra-refresh",
        with(json!({"token_type": "Bearer", "token_use": "refresh_token"})),
    );
    server.answer("keycloak-refresh", with(json!({"typ": "Refresh"})));
    server.answer("dpop-unbound", with(json!({"token_type": "DPoP"})));
    server.answer(
        "hydra-access",
        with(json!({"token_type": "Bearer", "token_use": "access_token"})),
    );
    server.answer("fosite-access", with(json!({"token_type": "access_token"})));
    let app = app_with(builder(&server).build().unwrap()).await;
    for token in ["hydra-refresh", "keycloak-refresh", "dpop-unbound"] {
        call(&app, bearer("/struct", token))
            .await
            .assert_invalid_token(token);
    }
    for token in ["hydra-access", "fosite-access"] {
        assert_eq!(
            call(&app, bearer("/fn", token)).await.status,
            200,
            "{token}"
        );
    }
}

#[actix_web::test]
async fn an_old_signed_answer_is_refused_by_its_age() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    server.sign_answers(as_key());
    server.date_signed_answers(-600);
    let verifier = builder(&server)
        .signed_answers(auth_core::KeySet::jwks(server.jwks()))
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    assert_unavailable(
        &call(&app, bearer("/fn", "opaque-read")).await,
        "ten minutes old",
    );
}

#[actix_web::test]
async fn every_token_shaped_as_a_jwt_stays_with_the_jwt_verifier() {
    let server = AuthorizationServer::start();
    let both = JwtOrOpaque::new(verifier(), builder(&server).build().unwrap());
    let app = app_with(both).await;
    for token in [
        "eyJhbGciOiJub25lIn0.e30.",
        "a.b.c",
        "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
        "a.b.c.d.e",
    ] {
        call(&app, bearer("/struct", token))
            .await
            .assert_invalid_token(token);
    }
    assert_eq!(server.calls(), 0, "none reached the authorization server");
}

/// A shared cache of the test's own: a map, whose reads can be made to panic or its writes to
/// hang, and which a test can fill by hand.
#[derive(Debug, Default, Clone)]
struct TestStore {
    entries: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<[u8; 32], Vec<u8>>>>,
    panic_on_get: std::sync::Arc<std::sync::atomic::AtomicBool>,
    slow_put: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl auth_core::verify::introspection_store::IntrospectionStore for TestStore {
    fn get(
        &self,
        token: auth_core::verify::introspection_store::TokenDigest,
    ) -> auth_core::store::StoreFuture<Result<Option<Vec<u8>>, auth_core::store::StoreError>> {
        if self.panic_on_get.load(std::sync::atomic::Ordering::SeqCst) {
            panic!("a store that panics");
        }
        let found = self.entries.lock().unwrap().get(token.as_bytes()).cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn put(
        &self,
        token: auth_core::verify::introspection_store::TokenDigest,
        answer: Vec<u8>,
        _until: std::time::SystemTime,
    ) -> auth_core::store::StoreFuture<Result<(), auth_core::store::StoreError>> {
        self.entries
            .lock()
            .unwrap()
            .insert(*token.as_bytes(), answer);
        let slow = self.slow_put.load(std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            if slow {
                actix_rt::time::sleep(Duration::from_secs(10)).await;
            }
            Ok(())
        })
    }
}

#[actix_web::test]
async fn a_store_that_panics_costs_one_503_and_frees_its_slot() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    server.active("opaque-other", "orders:read");
    let store = TestStore::default();
    store
        .panic_on_get
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let verifier = builder(&server)
        .shared_cache(store.clone())
        .max_in_flight(1)
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    assert_unavailable(
        &call(&app, bearer("/fn", "opaque-read")).await,
        "the job panicked",
    );
    store
        .panic_on_get
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        call(&app, bearer("/fn", "opaque-read")).await.status,
        200,
        "a new call"
    );
    assert_eq!(
        call(&app, bearer("/fn", "opaque-other")).await.status,
        200,
        "the slot is free"
    );
}

#[actix_web::test]
async fn waiters_never_wait_for_the_shared_write() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    let store = TestStore::default();
    store
        .slow_put
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let verifier = builder(&server)
        .shared_cache(store)
        .wait_for(Duration::from_secs(2))
        .build()
        .unwrap();
    let app = app_with(verifier).await;
    let started = std::time::Instant::now();
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[actix_web::test]
async fn a_planted_plain_entry_is_not_believed_where_answers_are_signed() {
    let server = AuthorizationServer::start();
    server.active("opaque-read", "orders:read");
    server.sign_answers(as_key());
    let store = TestStore::default();
    let signed = |store: TestStore| {
        builder(&server)
            .signed_answers(auth_core::KeySet::jwks(server.jwks()))
            .shared_cache(store)
            .build()
            .unwrap()
    };
    // The entry the verifier shares for a token, read back for the shape of its key.
    let app = app_with(signed(store.clone())).await;
    assert_eq!(call(&app, bearer("/fn", "opaque-read")).await.status, 200);
    assert_eq!(server.calls(), 1);
    // Shared after the waiters were answered.
    let shared = auth_tests::redis::eventually(Duration::from_secs(5), || {
        !store.entries.lock().unwrap().is_empty()
    })
    .await;
    assert!(shared.is_some());
    let entries = store.entries.lock().unwrap().clone();
    let (key, entry) = entries.iter().next().unwrap();
    let entry: serde_json::Value = serde_json::from_slice(entry).unwrap();
    assert!(
        entry["jwt"].is_string() && entry.get("answer").is_none(),
        "kept signed"
    );
    // Someone who can write the store plants a plain acceptance for a token the server
    // never issued, under the same key scheme: a second instance does not believe it.
    let planted = json!({"v": 1, "until": now() + 3600,
        "answer": {"active": true, "scope": "orders:read", "iss": server.issuer(), "aud": AUDIENCE}});
    store
        .entries
        .lock()
        .unwrap()
        .insert(*key, serde_json::to_vec(&planted).unwrap());
    let other = app_with(signed(store.clone())).await;
    assert_eq!(call(&other, bearer("/fn", "opaque-read")).await.status, 200);
    assert_eq!(
        server.calls(),
        2,
        "the planted entry was not believed: the server was asked"
    );
}

/// actix polls a handler's extractors in one pass: while the token is being introspected, a
/// `Json` argument must not read the body, so the refusal comes first (never the body's 400)
/// and a refused client's body is never read.
#[actix_web::test]
async fn the_body_waits_for_the_introspection() {
    let server = AuthorizationServer::start();
    server.active("opaque-write", "orders:write");
    server.set_delay(Duration::from_millis(200));
    let app = app_with(builder(&server).cache_for(Duration::ZERO).build().unwrap()).await;
    for path in ["/fn-body", "/struct-body"] {
        let post = |token: &str, body: &'static str| {
            TestRequest::post()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {token}")))
                .insert_header(("content-type", "application/json"))
                .set_payload(body)
        };
        call(&app, post("never-issued", "{not json"))
            .await
            .assert_invalid_token(&format!("{path}: the refusal, not the body's 400"));
        let answer = call(&app, post("opaque-write", r#"{"item":"tea"}"#)).await;
        assert_eq!(
            (answer.status, answer.text()),
            (200, "tea".to_owned()),
            "{path}: then read"
        );
        let answer = call(&app, post("opaque-write", "{not json")).await;
        assert_eq!(
            answer.status, 400,
            "{path}: a bad body of an accepted request"
        );
    }
}

#[test]
fn a_verifier_needs_client_credentials_and_a_safe_endpoint() {
    let missing = Introspection::builder("https://as.example/introspect").build();
    assert!(missing.is_err());
    for endpoint in [
        "http://as.example/introspect",
        "ftp://as.example",
        "not a url",
    ] {
        let built = Introspection::builder(endpoint)
            .client(ClientAuth::secret_basic(CLIENT_ID, CLIENT_SECRET))
            .build();
        assert!(built.is_err(), "{endpoint}");
    }
}
