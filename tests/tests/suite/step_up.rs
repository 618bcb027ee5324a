//! Step-up authentication (RFC 9470): `acr` and `max_age` requirements, through real actix
//! services in the three handler forms, for Bearer and DPoP tokens: a valid token whose
//! authentication is not the one the endpoint demands gets 401
//! `insufficient_user_authentication` with `acr_values` / `max_age`, so the client asks its
//! authorization server for a stronger or fresher sign-in (`responses.md`, "Step-up").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, get, web};
use auth_core::testing::DpopProver;
use auth_core::{
    AuthConfig, Dpop, Principal, RequireAuth, Requirement, Scheme, SchemeSet, require_auth,
};
use auth_tests::*;
use serde_json::{Value, json};

const ORIGIN: &str = "https://api.test.example";

#[require_auth(
    scheme = "bearer | dpop",
    scope = "account:read",
    acr = "urn:orders:mfa phr",
    max_age = 300
)]
#[get("/account")]
async fn account(user: Principal) -> String {
    format!("{:?}", user.scheme())
}

#[require_auth(scheme = "bearer", acr = "urn:orders:mfa")]
struct Mfa(Principal);

#[get("/mfa-struct")]
async fn mfa_struct(Mfa(user): Mfa) -> String {
    format!("{:?}", user.scheme())
}

#[require_auth(scheme = "bearer", max_age = 60)]
#[get("/recent")]
async fn recent(user: Principal) -> String {
    format!("{:?}", user.scheme())
}

const GUARDED: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
    .with_acr_values(&["urn:orders:mfa"])
    .with_max_age(300);

async fn app() -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .dpop(Dpop::builder(ORIGIN).build().unwrap())
        .build()
        .unwrap();
    test::init_service(
        App::new()
            .app_data(config)
            .service(account)
            .service(mfa_struct)
            .service(recent)
            .service(
                web::scope("/guarded")
                    .wrap(RequireAuth::new(&GUARDED))
                    .default_service(web::to(HttpResponse::Ok)),
            ),
    )
    .await
}

fn token(extra: Value, scope: &str) -> String {
    let mut claims = minter(Algorithm::ES256).claims(&[scope]);
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    minter(Algorithm::ES256).sign(&claims)
}

fn bearer(path: &str, token: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {token}")))
}

const BODY: &str = r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The authentication behind the access token is not sufficient for this resource.","error":"insufficient_user_authentication"}"#;

fn assert_step_up(answer: &Answer, challenges: &[&str], what: &str) {
    answer.assert_problem(401);
    assert_eq!(answer.challenges(), challenges, "{what}");
    assert_eq!(answer.body, BODY.as_bytes(), "{what}");
}

#[actix_web::test]
async fn the_right_acr_and_a_recent_auth_time_pass() {
    let app = app().await;
    let good = token(
        json!({"acr": "phr", "auth_time": now() - 10}),
        "account:read",
    );
    assert_eq!(call(&app, bearer("/account", &good)).await.status, 200);
    assert_eq!(
        call(
            &app,
            bearer(
                "/guarded/x",
                &token(json!({"acr": "urn:orders:mfa", "auth_time": now()}), "x")
            )
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(
            &app,
            bearer("/mfa-struct", &token(json!({"acr": "urn:orders:mfa"}), "x"))
        )
        .await
        .status,
        200
    );
    assert_eq!(
        call(
            &app,
            bearer("/recent", &token(json!({"auth_time": now() - 59}), "x"))
        )
        .await
        .status,
        200
    );
}

#[actix_web::test]
async fn another_acr_asks_for_acr_values() {
    let app = app().await;
    let both = r#"Bearer realm="orders", error="insufficient_user_authentication", error_description="A different authentication level or a more recent authentication is required", acr_values="urn:orders:mfa phr", max_age="300""#;
    let both_dpop = r#"DPoP realm="orders", algs="ES256 ES384 EdDSA Ed25519 PS256 RS256""#;
    for claims in [
        json!({"acr": "pwd", "auth_time": now()}),
        json!({"auth_time": now()}),
        json!({"acr": ["urn:orders:mfa"], "auth_time": now()}),
    ] {
        let answer = call(
            &app,
            bearer("/account", &token(claims.clone(), "account:read")),
        )
        .await;
        assert_step_up(&answer, &[both, both_dpop], &claims.to_string());
    }
    let only_acr = r#"Bearer realm="orders", error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:orders:mfa""#;
    let answer = call(
        &app,
        bearer("/mfa-struct", &token(json!({"acr": "URN:ORDERS:MFA"}), "x")),
    )
    .await;
    assert_step_up(&answer, &[only_acr], "acr values are compared exactly");
}

#[actix_web::test]
async fn an_old_or_missing_auth_time_asks_for_max_age() {
    let app = app().await;
    let fresher = r#"Bearer realm="orders", error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="60""#;
    for claims in [
        json!({"auth_time": now() + 3600}),
        json!({"auth_time": now() - 61}),
        json!({}),
        json!({"auth_time": "yesterday"}),
    ] {
        let answer = call(&app, bearer("/recent", &token(claims.clone(), "x"))).await;
        assert_step_up(&answer, &[fresher], &claims.to_string());
    }
    let guarded = r#"Bearer realm="orders", error="insufficient_user_authentication", error_description="A different authentication level or a more recent authentication is required", acr_values="urn:orders:mfa", max_age="300""#;
    let answer = call(
        &app,
        bearer(
            "/guarded/x",
            &token(
                json!({"acr": "urn:orders:mfa", "auth_time": now() - 301}),
                "x",
            ),
        ),
    )
    .await;
    assert_step_up(&answer, &[guarded], "the scope-wide guard");
}

/// Step-up comes before scopes: signing in again may also bring the scope; and a DPoP token
/// gets the step-up parameters in its DPoP challenge (the Bearer one stays plain).
#[actix_web::test]
async fn step_up_is_checked_before_scopes_and_speaks_the_scheme_used() {
    let app = app().await;
    let weak_no_scope = token(json!({"acr": "pwd", "auth_time": now()}), "other");
    let answer = call(&app, bearer("/account", &weak_no_scope)).await;
    assert_eq!(
        (answer.status, answer.error()),
        (401, "insufficient_user_authentication".to_owned())
    );
    let strong_no_scope = token(json!({"acr": "phr", "auth_time": now()}), "other");
    assert_eq!(
        call(&app, bearer("/account", &strong_no_scope))
            .await
            .status,
        403
    );

    let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, ED25519_PRIVATE));
    let bound = token(
        json!({"acr": "pwd", "auth_time": now(), "cnf": {"jkt": prover.thumbprint()}}),
        "account:read",
    );
    let req = TestRequest::get()
        .uri("/account")
        .insert_header(("authorization", format!("DPoP {bound}")))
        .insert_header((
            "dpop",
            prover.proof("GET", &format!("{ORIGIN}/account"), Some(&bound)),
        ));
    let answer = call(&app, req).await;
    assert_step_up(
        &answer,
        &[
            r#"Bearer realm="orders""#,
            r#"DPoP realm="orders", algs="ES256 ES384 EdDSA Ed25519 PS256 RS256", error="insufficient_user_authentication", error_description="A different authentication level or a more recent authentication is required", acr_values="urn:orders:mfa phr", max_age="300""#,
        ],
        "DPoP",
    );
}

#[test]
fn a_hand_written_requirement_with_a_bad_acr_is_refused_by_validate() {
    const BAD: Requirement = Requirement::new(SchemeSet::ANY).with_acr_values(&["two words"]);
    assert!(BAD.validate().is_err());
    assert!(GUARDED.validate().is_ok());
}
