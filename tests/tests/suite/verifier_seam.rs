//! The Bearer slot takes any `BearerVerifier`: one that decides later (as an introspection
//! client would) is answered exactly as a `JwtVerifier` is, for every handler form — the guard
//! awaits it, maps its reason to the contract's row, and keeps scopes, challenges and the
//! audit log to itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, web};
use auth_core::{
    AuthConfig, BearerVerdict, BearerVerifier, Principal, Reason, RequireAuth, Requirement, Scheme,
    SchemeSet, require_auth,
};

/// Decides after a pause, as a network call would: `good-<scope>` tokens carry `orders:<scope>`,
/// `down` means the upstream is unreachable, anything else is invalid.
#[derive(Debug)]
struct SlowVerifier;

impl BearerVerifier for SlowVerifier {
    fn verify_token(&self, token: &str) -> BearerVerdict {
        let token = token.to_owned();
        BearerVerdict::Later(Box::pin(async move {
            actix_rt::time::sleep(Duration::from_millis(5)).await;
            match token.strip_prefix("good-") {
                Some(scope) => Ok(Principal::new(
                    Scheme::Bearer,
                    Some("svc".into()),
                    vec![format!("orders:{scope}")],
                    Default::default(),
                )),
                None if token == "down" => Err(Reason::Unavailable),
                None => Err(Reason::BadSignature),
            }
        }))
    }
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
async fn by_attribute(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
struct Reader(Principal);

async fn by_struct(Reader(user): Reader) -> String {
    user.subject().unwrap_or("?").to_owned()
}

const READ: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_all_scopes(&["orders:read"]);

#[actix_rt::test]
async fn a_verifier_that_decides_later_is_answered_by_the_contract_in_every_form() {
    let config = AuthConfig::builder()
        .realm("orders")
        .bearer(SlowVerifier)
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(config)
            .route("/attr", web::get().to(by_attribute))
            .route("/struct", web::get().to(by_struct))
            .service(
                web::scope("/scope")
                    .wrap(RequireAuth::new(&READ))
                    .default_service(web::to(HttpResponse::Ok)),
            ),
    )
    .await;
    let cases = [
        ("good-read", 200, None),
        (
            "good-write",
            403,
            Some(r#"Bearer realm="orders", error="insufficient_scope", scope="orders:read""#),
        ),
        (
            "forged",
            401,
            Some(r#"Bearer realm="orders", error="invalid_token""#),
        ),
        ("down", 503, None),
    ];
    for path in ["/attr", "/struct", "/scope/x"] {
        for (token, status, challenge) in cases {
            let req = TestRequest::get()
                .uri(path)
                .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
            let res = app.call(req.to_request()).await.unwrap();
            assert_eq!(res.status(), status, "{path} {token}");
            assert_eq!(
                res.headers()
                    .get(header::WWW_AUTHENTICATE)
                    .map(|v| v.to_str().unwrap()),
                challenge,
                "{path} {token}"
            );
            if status == 503 {
                assert!(res.headers().contains_key(header::RETRY_AFTER));
            }
        }
    }
}
