//! The scope-wide form: `RequireAuth` on a `web::scope` answers every row exactly as the
//! attribute does, leaves named routes public, and checks whatever reaches it, CORS preflights too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::body::to_bytes;
use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, get, web};
use auth_core::{Principal, RequireAuth, Requirement, Scheme, SchemeSet, require_auth};
use auth_tests::*;

const API: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_all_scopes(&["orders:read"]);

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
            minter(auth_core::Algorithm::HS256).sign(&expired)
        )),
        Some(format!(
            "Bearer {}",
            minter(Algorithm::HS256).token(&["orders:write"])
        )),
        Some(format!(
            "Bearer {}",
            minter(Algorithm::HS256).token(&["orders:read"])
        )),
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
    // The public route passes without credentials; a preflight does not (CORS answers
    // preflights outside the guard: `attacks_guard.rs`).
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
    assert_eq!(
        res.status(),
        401,
        "a preflight reaching the guard is checked"
    );
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

#[actix_rt::test]
async fn a_scope_waits_for_a_basic_check() {
    use base64::Engine as _;
    const OPS: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Basic));
    let config = auth_core::AuthConfig::builder()
        .basic(
            auth_core::Htpasswd::parse(
                "ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu",
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let app = test::init_service(
        App::new().app_data(config).service(
            web::scope("/ops")
                .wrap(RequireAuth::new(&OPS))
                .route("/status", web::get().to(orders)),
        ),
    )
    .await;
    let basic = |pw: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("ops:{pw}"))
        )
    };
    let ok = app
        .call(
            TestRequest::get()
                .uri("/ops/status")
                .insert_header((header::AUTHORIZATION, basic("correct horse")))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(to_bytes(ok.into_body()).await.unwrap(), "ops");
    let bad = app
        .call(
            TestRequest::get()
                .uri("/ops/status")
                .insert_header((header::AUTHORIZATION, basic("nope")))
                .to_request(),
        )
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(
        bad.headers().get(header::WWW_AUTHENTICATE).unwrap(),
        r#"Basic realm="api", charset="UTF-8""#
    );
}
