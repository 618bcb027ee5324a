//! The `testing` feature as a user meets it: three lines per test of their own handler, for
//! each handler form; and assertions that fail when the response is not the refusal they name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::test::{self, TestRequest};
use actix_web::{HttpResponse, get, web};
use auth_core::testing::*;
use auth_core::{Principal, RequireAuth, Requirement, Scheme, SchemeSet, require_auth};

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/orders")]
async fn list_orders(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[require_auth(scheme = "bearer", scope = "orders:write")]
struct Writer(Principal);

async fn write(Writer(user): Writer) -> String {
    user.subject().unwrap_or("?").to_owned()
}

const ADMIN: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_all_scopes(&["admin"]);

#[actix_rt::test]
async fn three_lines_per_refusal_for_every_handler_form() {
    let auth = TestAuth::new();
    let app = test::init_service(
        auth.app()
            .service(list_orders)
            .route("/write", web::post().to(write))
            .service(
                web::scope("/admin")
                    .wrap(RequireAuth::new(&ADMIN))
                    .route("", web::get().to(HttpResponse::Ok)),
            ),
    )
    .await;
    for (method, path, scope) in [
        ("GET", "/orders", "orders:read"),
        ("POST", "/write", "orders:write"),
        ("GET", "/admin", "admin"),
    ] {
        let req = || {
            TestRequest::default()
                .method(method.parse().unwrap())
                .uri(path)
        };
        let call = |r: TestRequest| test::call_service(&app, r.to_request());
        assert_unauthorized(call(req()).await).await;
        let bad = req().insert_header(("authorization", "Bearer x.y.z"));
        assert_invalid_token(call(bad).await).await;
        let expired = auth.expired_token(&[scope]);
        let expired = req().insert_header(("authorization", format!("Bearer {expired}")));
        assert_token_expired(call(expired).await).await;
        let malformed = req().insert_header(("authorization", "Bearer a b"));
        assert_invalid_request(call(malformed).await).await;
        let weak = req().insert_header(auth.bearer(&["other"]));
        assert_insufficient_scope(call(weak).await, scope).await;
        let good = req().insert_header(auth.bearer(&[scope]));
        assert!(call(good).await.status().is_success());
    }
}

#[actix_rt::test]
#[should_panic(expected = "status")]
async fn asserting_a_refusal_on_a_success_fails() {
    let auth = TestAuth::new();
    let app = test::init_service(auth.app().service(list_orders)).await;
    let req = TestRequest::get()
        .uri("/orders")
        .insert_header(auth.bearer(&["orders:read"]));
    assert_unauthorized(test::call_service(&app, req.to_request()).await).await;
}

#[actix_rt::test]
#[should_panic(expected = "challenge `scope`")]
async fn asserting_the_wrong_scope_fails() {
    let auth = TestAuth::new();
    let app = test::init_service(auth.app().service(list_orders)).await;
    let req = TestRequest::get()
        .uri("/orders")
        .insert_header(auth.bearer(&["nothing"]));
    assert_insufficient_scope(
        test::call_service(&app, req.to_request()).await,
        "orders:write",
    )
    .await;
}

#[actix_rt::test]
#[should_panic(expected = "problem `error`")]
async fn asserting_invalid_token_on_an_expired_token_fails() {
    let auth = TestAuth::new();
    let app = test::init_service(auth.app().service(list_orders)).await;
    let req = TestRequest::get().uri("/orders").insert_header((
        "authorization",
        format!("Bearer {}", auth.expired_token(&["orders:read"])),
    ));
    assert_invalid_token(test::call_service(&app, req.to_request()).await).await;
}
