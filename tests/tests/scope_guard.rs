//! The scope-wide form: `RequireAuth` on a `web::scope` answers every row exactly as the
//! attribute does, leaves named routes public, and never challenges a CORS preflight.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::body::to_bytes;
use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, get, web};
use auth_core::{Principal, RequireAuth, Requirement, Scheme, SchemeSet, require_auth};
use auth_tests::*;

const API: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).all_scopes(&["orders:read"]);

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/attr")]
async fn attr(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

async fn orders(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[actix_rt::test]
async fn a_scope_answers_like_the_attribute() {
    let app = test::init_service(
        App::new().app_data(config()).service(attr).service(
            web::scope("/api")
                .wrap(RequireAuth::new(&API).public("/api/health"))
                .route("/health", web::get().to(HttpResponse::Ok))
                .route("/orders", web::get().to(orders)),
        ),
    )
    .await;
    let send = |path: &'static str, auth: Option<String>| {
        let mut req = TestRequest::get().uri(path);
        if let Some(a) = auth {
            req = req.insert_header((header::AUTHORIZATION, a));
        }
        req.to_request()
    };
    let mut expired = claims("orders:read");
    expired["exp"] = serde_json::json!(now() - 3600);
    let cases: Vec<Option<String>> = vec![
        None,
        Some("Basic YTpi".into()),
        Some("Bearer".into()),
        Some("Bearer x.y.z".into()),
        Some(format!(
            "Bearer {}",
            token_with(auth_core::Algorithm::HS256, &expired)
        )),
        Some(format!("Bearer {}", token("orders:write"))),
        Some(format!("Bearer {}", token("orders:read"))),
    ];
    for auth in cases {
        let a = app.call(send("/attr", auth.clone())).await.unwrap();
        let s = app.call(send("/api/orders", auth.clone())).await.unwrap();
        assert_eq!(a.status(), s.status(), "{auth:?}");
        for name in [
            header::WWW_AUTHENTICATE,
            header::CACHE_CONTROL,
            header::CONTENT_TYPE,
        ] {
            assert_eq!(
                a.headers().get(&name),
                s.headers().get(&name),
                "{auth:?} {name}"
            );
        }
        assert_eq!(
            to_bytes(a.into_body()).await.unwrap(),
            to_bytes(s.into_body()).await.unwrap(),
            "{auth:?}"
        );
    }
    // The public route, and a preflight, pass without credentials.
    assert_eq!(
        app.call(send("/api/health", None)).await.unwrap().status(),
        200
    );
    let preflight = TestRequest::default()
        .method(actix_web::http::Method::OPTIONS)
        .uri("/api/orders")
        .insert_header((header::ORIGIN, "http://app.test"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"))
        .to_request();
    let res = app.call(preflight).await.unwrap();
    assert_ne!(res.status(), 401, "a preflight is never challenged");
    assert!(res.headers().get(header::WWW_AUTHENTICATE).is_none());
    // An OPTIONS that is not a preflight is protected like any request.
    let res = app
        .call(
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/api/orders")
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}
