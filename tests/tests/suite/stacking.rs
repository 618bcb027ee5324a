//! The attribute stacked every supported way still guards at runtime: under `#[routes]` (above,
//! between and below the method attributes), inside an actix `#[scope]` module, on a generic
//! handler, and twice on one handler.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, Responder, get, routes, scope, web};
use auth_core::{Principal, require_auth};
use auth_tests::*;

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[routes]
#[get("/routes/above")]
#[post("/routes/above")]
async fn routes_above() -> &'static str {
    "ok"
}

#[routes]
#[get("/routes/between")]
#[require_auth(scheme = "bearer", scope = "orders:read")]
#[post("/routes/between")]
async fn routes_between() -> &'static str {
    "ok"
}

#[routes]
#[get("/routes/below")]
#[post("/routes/below")]
#[require_auth(scheme = "bearer", scope = "orders:read")]
async fn routes_below() -> &'static str {
    "ok"
}

#[scope("/api")]
mod api {
    use super::*;

    #[require_auth(scheme = "bearer", scope = "orders:read")]
    #[get("/above")]
    pub async fn above(user: Principal) -> String {
        user.subject().unwrap_or("?").to_owned()
    }

    #[get("/below")]
    #[require_auth(scheme = "bearer", scope = "orders:read")]
    pub async fn below(user: Principal) -> String {
        user.subject().unwrap_or("?").to_owned()
    }
}

trait Greeting {
    fn greet() -> &'static str;
}

struct Hello;

impl Greeting for Hello {
    fn greet() -> &'static str {
        "ok"
    }
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
async fn generic<G>(_: web::Query<std::collections::HashMap<String, String>>) -> impl Responder
where
    G: Greeting + 'static,
{
    G::greet()
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[require_auth(scheme = "bearer", scope = "orders:write")]
#[get("/twice")]
async fn twice() -> &'static str {
    "ok"
}

#[actix_rt::test]
async fn every_stacking_guards() {
    let app = test::init_service(
        App::new()
            .app_data(config())
            .service(routes_above)
            .service(routes_between)
            .service(routes_below)
            .service(api::above)
            .service(api::below)
            .service(twice)
            .route("/generic", web::get().to(generic::<Hello>)),
    )
    .await;
    let paths = [
        "/routes/above",
        "/routes/between",
        "/routes/below",
        "/api/above",
        "/api/below",
        "/generic",
    ];
    for path in paths {
        for method in [actix_web::http::Method::GET, actix_web::http::Method::POST] {
            if method == actix_web::http::Method::POST && !path.starts_with("/routes") {
                continue;
            }
            let res = app
                .call(
                    TestRequest::default()
                        .method(method.clone())
                        .uri(path)
                        .to_request(),
                )
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{method} {path} without a token");
            let res = app
                .call(
                    TestRequest::default()
                        .method(method.clone())
                        .uri(path)
                        .insert_header((
                            header::AUTHORIZATION,
                            format!(
                                "Bearer {}",
                                minter(Algorithm::HS256).token(&["orders:write"])
                            ),
                        ))
                        .to_request(),
                )
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{method} {path} with the wrong scope");
            let res = app
                .call(
                    TestRequest::default()
                        .method(method)
                        .uri(path)
                        .insert_header((
                            header::AUTHORIZATION,
                            format!(
                                "Bearer {}",
                                minter(Algorithm::HS256).token(&["orders:read"])
                            ),
                        ))
                        .to_request(),
                )
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{path} with the scope");
        }
    }
    // Two stacked requirements: both apply.
    let call = |scope: &'static str| {
        TestRequest::get()
            .uri("/twice")
            .insert_header((
                header::AUTHORIZATION,
                format!("Bearer {}", minter(Algorithm::HS256).token(&[scope])),
            ))
            .to_request()
    };
    assert_eq!(app.call(call("orders:read")).await.unwrap().status(), 403);
    assert_eq!(app.call(call("orders:write")).await.unwrap().status(), 403);
    assert_eq!(
        app.call(call("orders:read orders:write"))
            .await
            .unwrap()
            .status(),
        200
    );
}
