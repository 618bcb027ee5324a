//! Token locations beyond the `Authorization` field (cookie, RFC 6750 query and form body),
//! two methods at once, and the CSRF defence of cookie tokens — for every handler form: the
//! attribute on a fn, the generated extractor struct, and the scope-wide `RequireAuth`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, get, web};
use auth_core::transport::{CsrfDefence, TokenLocation, TokenLocations};
use auth_core::{
    AuthConfig, Principal, ReadFormToken, RequireAuth, Requirement, Scheme, SchemeSet, require_auth,
};
use auth_tests::*;

const ALL: TokenLocations = TokenLocations::HEADER
    .with(TokenLocation::Cookie)
    .with(TokenLocation::Query)
    .with(TokenLocation::Form);

const SPA: &str = "http://app.test:8080";

fn config_with(locations: TokenLocations) -> AuthConfig {
    AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .token_locations(locations)
        .token_cookie("session")
        .csrf(CsrfDefence::new().trust_origin(SPA))
        .build()
        .unwrap()
}

#[derive(serde::Deserialize)]
struct Note {
    note: String,
}

async fn echo(user: Principal, form: Option<web::Form<Note>>) -> String {
    let note = form.map(|f| f.into_inner().note).unwrap_or_default();
    format!("{} {note}", user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
async fn by_attribute(user: Principal, form: Option<web::Form<Note>>) -> String {
    echo(user, form).await
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
struct Reader(Principal);

async fn by_struct(Reader(user): Reader, form: Option<web::Form<Note>>) -> String {
    echo(user, form).await
}

const READ: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_all_scopes(&["orders:read"]);

/// The three forms, each under its own prefix; `/attr` and `/struct` behind `ReadFormToken`.
macro_rules! app {
    ($locations:expr) => {
        test::init_service(
            App::new()
                .app_data(config_with($locations))
                .service(
                    web::scope("/attr")
                        .wrap(ReadFormToken)
                        .route("", web::route().to(by_attribute)),
                )
                .service(
                    web::scope("/struct")
                        .wrap(ReadFormToken)
                        .route("", web::route().to(by_struct)),
                )
                .service(
                    web::scope("/scope")
                        .wrap(RequireAuth::new(&READ))
                        .route("", web::route().to(echo)),
                ),
        )
        .await
    };
}

const FORMS: [&str; 3] = ["/attr", "/struct", "/scope"];

fn good() -> String {
    minter(Algorithm::HS256).token(&["orders:read"])
}

#[actix_rt::test]
async fn each_location_authenticates_when_enabled_and_is_ignored_when_not() {
    let on = app!(ALL);
    let off = app!(TokenLocations::HEADER);
    let t = good();
    for path in FORMS {
        let cookie = || {
            TestRequest::get()
                .uri(path)
                .insert_header((header::COOKIE, format!("a=1; session={t}")))
        };
        let query = || TestRequest::get().uri(&format!("{path}?x=1&access_token={t}"));
        let form = || {
            TestRequest::post()
                .uri(path)
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(format!("note=kept+intact&access_token={t}"))
        };
        let a = call(&on, cookie()).await;
        let (status, body) = (a.status, a.text());
        assert_eq!((status, body.trim()), (200, "alice"), "{path} cookie");
        let a = call(&on, query()).await;
        let status = a.status;
        assert_eq!(status, StatusCode::OK, "{path} query");
        if path == "/scope" {
            // RFC 6750 §2.3: a success answered to a query token is `private`.
            assert_eq!(a.header("cache-control"), Some("private"));
        }
        let a = call(&on, form()).await;
        let (status, body) = (a.status, a.text());
        assert_eq!(
            (status, body.as_str()),
            (200, "alice kept intact"),
            "{path} form: authenticated, and the handler still reads the whole body"
        );
        // Off: the location is not looked at, so there are no credentials at all.
        for req in [cookie(), query(), form()] {
            let a = call(&off, req).await;
            let (status, body) = (a.status, a.text());
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
            assert_eq!(
                a.header("www-authenticate"),
                Some(r#"Bearer realm="orders""#)
            );
            assert!(body.contains(r#""error":"unauthorized""#), "{body}");
        }
    }
}

#[actix_rt::test]
async fn a_token_sent_by_two_methods_is_invalid_request() {
    let app = app!(ALL);
    let t = good();
    for path in FORMS {
        let pairs = [
            TestRequest::get()
                .uri(&format!("{path}?access_token={t}"))
                .insert_header((header::AUTHORIZATION, format!("Bearer {t}"))),
            TestRequest::get()
                .uri(path)
                .insert_header((header::COOKIE, format!("session={t}")))
                .insert_header((header::AUTHORIZATION, format!("Bearer {t}"))),
            TestRequest::get()
                .uri(&format!("{path}?access_token={t}"))
                .insert_header((header::COOKIE, format!("session={t}"))),
            TestRequest::post()
                .uri(&format!("{path}?access_token={t}"))
                .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
                .set_payload(format!("access_token={t}")),
            TestRequest::get().uri(&format!("{path}?access_token={t}&access_token={t}")),
            TestRequest::get().uri(&format!("{path}?access_token=not%20a%20b64token")),
            TestRequest::get()
                .uri(path)
                .append_header((header::COOKIE, format!("session={t}")))
                .append_header((header::COOKIE, format!("session={t}"))),
        ];
        for (i, req) in pairs.into_iter().enumerate() {
            let a = call(&app, req).await;
            let (status, body) = (a.status, a.text());
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} case {i}");
            assert_eq!(
                a.header("www-authenticate"),
                Some(r#"Bearer realm="orders", error="invalid_request""#)
            );
            assert!(body.contains(r#""error":"invalid_request""#));
            assert!(!body.contains(&t) && !a.headers.iter().any(|(_, v)| v.contains(&t)));
        }
    }
}

#[actix_rt::test]
async fn cookie_tokens_answer_every_verification_row() {
    let app = app!(ALL);
    let mut expired = claims("orders:read");
    expired["exp"] = serde_json::json!(now() - 3600);
    let expired = minter(auth_core::Algorithm::HS256).sign(&expired);
    for path in FORMS {
        let with_cookie = |value: &str| {
            TestRequest::get()
                .uri(path)
                .insert_header((header::COOKIE, format!("session={value}")))
        };
        let a = call(&app, with_cookie("x.y.z")).await;
        let status = a.status;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            a.header("www-authenticate"),
            Some(r#"Bearer realm="orders", error="invalid_token""#)
        );
        let a = call(&app, with_cookie(&expired)).await;
        let (status, body) = (a.status, a.text());
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("token_expired"));
        let a = call(
            &app,
            with_cookie(&minter(Algorithm::HS256).token(&["orders:write"])),
        )
        .await;
        let status = a.status;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            a.header("www-authenticate"),
            Some(r#"Bearer realm="orders", error="insufficient_scope", scope="orders:read""#)
        );
    }
}

#[actix_rt::test]
async fn cookie_tokens_on_unsafe_methods_need_a_trusted_origin() {
    let app = app!(ALL);
    let t = good();
    for path in FORMS {
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            let req = |extra: Option<(&'static str, &'static str)>| {
                let mut req = TestRequest::default()
                    .method(method.clone())
                    .uri(&format!("http://api.test{path}"))
                    .insert_header((header::COOKIE, format!("session={t}")));
                if let Some(h) = extra {
                    req = req.insert_header(h);
                }
                req
            };
            for refused in [
                None,
                Some(("origin", "http://evil.test")),
                Some(("origin", "null")),
                Some(("sec-fetch-site", "cross-site")),
                Some(("sec-fetch-site", "same-site")),
                Some(("x-requested-with", "XMLHttpRequest")),
            ] {
                let a = call(&app, req(refused)).await;
                let (status, body) = (a.status, a.text());
                assert_eq!(status, StatusCode::FORBIDDEN, "{path} {method} {refused:?}");
                assert_eq!(a.header("www-authenticate"), None);
                assert_eq!(a.header("cache-control"), Some("no-store"));
                assert_eq!(a.header("content-type"), Some("application/problem+json"));
                assert!(body.contains(r#""error":"cross_site_request""#), "{body}");
            }
            for allowed in [
                ("origin", SPA),
                ("origin", "http://api.test"),
                ("sec-fetch-site", "same-origin"),
            ] {
                let a = call(&app, req(Some(allowed))).await;
                let status = a.status;
                assert_eq!(status, StatusCode::OK, "{path} {method} {allowed:?}");
            }
        }
        // Safe methods need no proof; header tokens never do.
        let get = TestRequest::get()
            .uri(path)
            .insert_header((header::COOKIE, format!("session={t}")))
            .insert_header(("origin", "http://evil.test"));
        assert_eq!(call(&app, get).await.status, StatusCode::OK);
        let header_post = TestRequest::post()
            .uri(path)
            .insert_header((header::AUTHORIZATION, format!("Bearer {t}")))
            .insert_header(("origin", "http://evil.test"));
        assert_eq!(call(&app, header_post).await.status, StatusCode::OK);
    }
}

#[actix_rt::test]
async fn a_custom_header_can_be_the_csrf_proof() {
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .token_locations(TokenLocations::HEADER.with(TokenLocation::Cookie))
        .csrf(CsrfDefence::new().accept_header(header::HeaderName::from_static("x-requested-with")))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(config)
            .route("/attr", web::post().to(by_attribute)),
    )
    .await;
    let t = good();
    let req = |proof: bool| {
        let mut req = TestRequest::post()
            .uri("/attr")
            .insert_header((header::COOKIE, format!("access_token={t}")));
        if proof {
            req = req.insert_header(("x-requested-with", "fetch"));
        }
        req
    };
    assert_eq!(call(&app, req(false)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&app, req(true)).await.status, StatusCode::OK);
}

#[require_auth(scheme = "bearer", token_in = "cookie")]
#[get("/cookie-only")]
async fn cookie_only(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[require_auth(scheme = "bearer", token_in = "header | query")]
#[get("/events")]
async fn events(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[actix_rt::test]
async fn an_endpoint_chooses_its_own_locations() {
    // The application reads the header only; each endpoint widens or narrows that.
    let app = test::init_service(
        App::new()
            .app_data(config_with(TokenLocations::HEADER))
            .service(cookie_only)
            .service(events),
    )
    .await;
    let t = good();
    let cookie = TestRequest::get()
        .uri("/cookie-only")
        .insert_header((header::COOKIE, format!("session={t}")));
    assert_eq!(call(&app, cookie).await.status, StatusCode::OK);
    let header = TestRequest::get()
        .uri("/cookie-only")
        .insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    let a = call(&app, header).await;
    let (status, body) = (a.status, a.text());
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the header is not a location here"
    );
    assert_eq!(
        a.header("www-authenticate"),
        Some(r#"Bearer realm="orders""#)
    );
    assert!(body.contains(r#""error":"unauthorized""#));
    let query = TestRequest::get().uri(&format!("/events?access_token={t}"));
    assert_eq!(call(&app, query).await.status, StatusCode::OK);
    let cookie = TestRequest::get()
        .uri("/events")
        .insert_header((header::COOKIE, format!("session={t}")));
    assert_eq!(call(&app, cookie).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_rt::test]
async fn form_tokens_without_the_body_reader_fail_closed() {
    let app = test::init_service(
        App::new()
            .app_data(config_with(ALL))
            .route("/attr", web::post().to(by_attribute))
            .route("/open", web::post().to(HttpResponse::Ok)),
    )
    .await;
    let form = |path: &str| {
        TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(format!("access_token={}", good()))
    };
    let a = call(&app, form("/attr")).await;
    let (status, body) = (a.status, a.text());
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(a.header("www-authenticate"), None);
    assert!(body.contains("server_error"));
    assert_eq!(call(&app, form("/open")).await.status, StatusCode::OK);
}

#[actix_rt::test]
async fn long_form_bodies_reach_unprotected_handlers_whole() {
    async fn length(body: web::Bytes) -> String {
        body.len().to_string()
    }
    let app = test::init_service(
        App::new()
            .app_data(config_with(ALL))
            .app_data(web::PayloadConfig::new(1 << 20))
            .wrap(ReadFormToken)
            .route("/open", web::post().to(length))
            .route("/attr", web::post().to(by_attribute)),
    )
    .await;
    let body = format!("note={}", "a".repeat(200_000));
    let req = |path: &str| {
        TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .set_payload(body.clone())
    };
    let a = call(&app, req("/open")).await;
    let (status, echoed) = (a.status, a.text());
    assert_eq!((status, echoed), (200, body.len().to_string()));
    // A protected form endpoint refuses a body it cannot search.
    let a = call(
        &app,
        req("/attr").insert_header((header::AUTHORIZATION, format!("Bearer {}", good()))),
    )
    .await;
    let status = a.status;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[require_auth(scheme = "bearer", token_in = "header")]
async fn header_only(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

#[actix_rt::test]
async fn a_principal_from_a_cookie_does_not_serve_a_header_only_endpoint() {
    // The scope reads the header and the cookie; the endpoint inside it, the header only.
    let app = test::init_service(
        App::new().app_data(config_with(ALL)).service(
            web::scope("/s")
                .wrap(RequireAuth::new(&READ))
                .route("/h", web::get().to(header_only)),
        ),
    )
    .await;
    let t = good();
    let cookie = TestRequest::get()
        .uri("/s/h")
        .insert_header((header::COOKIE, format!("session={t}")));
    let a = call(&app, cookie).await;
    let status = a.status;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        a.header("www-authenticate"),
        Some(r#"Bearer realm="orders""#)
    );
    let header = TestRequest::get()
        .uri("/s/h")
        .insert_header((header::AUTHORIZATION, format!("Bearer {t}")));
    assert_eq!(call(&app, header).await.status, StatusCode::OK);
}

#[actix_rt::test]
async fn a_cross_origin_websocket_handshake_with_a_cookie_is_refused() {
    let app = app!(ALL);
    let t = good();
    for path in FORMS {
        let handshake = |origin: &'static str| {
            TestRequest::get()
                .uri(&format!("http://api.test{path}"))
                .insert_header((header::COOKIE, format!("session={t}")))
                .insert_header((header::UPGRADE, "websocket"))
                .insert_header((header::CONNECTION, "Upgrade"))
                .insert_header((header::ORIGIN, origin))
        };
        let a = call(&app, handshake("http://evil.test")).await;
        let (status, body) = (a.status, a.text());
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.contains("cross_site_request"));
        assert_eq!(
            call(&app, handshake(SPA)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

#[actix_rt::test]
async fn compressed_form_bodies_are_not_searched() {
    let app = app!(ALL);
    for path in FORMS {
        let req = TestRequest::post()
            .uri(path)
            .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .insert_header((header::AUTHORIZATION, format!("Bearer {}", good())))
            .set_payload("not really gzip");
        assert_eq!(
            call(&app, req).await.status,
            StatusCode::BAD_REQUEST,
            "{path}"
        );
    }
}

#[actix_rt::test]
async fn junk_tokens_a_foreign_page_makes_browsers_send_do_not_throttle_the_visitor() {
    use auth_core::FailureThrottle;
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .token_locations(ALL)
        .throttle(FailureThrottle::per_minute(2))
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(config)
            .route("/attr", web::get().to(by_attribute)),
    )
    .await;
    let peer: std::net::SocketAddr = "203.0.113.9:4000".parse().unwrap();
    let junk = |cross_site: bool| {
        let mut req = TestRequest::get()
            .uri("/attr?access_token=x.y.z")
            .peer_addr(peer);
        if cross_site {
            req = req.insert_header(("sec-fetch-site", "cross-site"));
        }
        req
    };
    // An `<img src=…?access_token=junk>` on another site, loaded ten times: counted under the
    // visitor's cross-site key only (any client can forge the mark, so it is bounded too).
    for i in 0..10 {
        let expected = if i < 2 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(call(&app, junk(true)).await.status, expected, "{i}");
    }
    let ok = TestRequest::get()
        .uri("/attr")
        .peer_addr(peer)
        .insert_header((header::AUTHORIZATION, format!("Bearer {}", good())));
    assert_eq!(call(&app, ok).await.status, StatusCode::OK);
    // The same junk sent by the client itself counts as usual.
    for _ in 0..2 {
        assert_eq!(
            call(&app, junk(false)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        call(&app, junk(false)).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
