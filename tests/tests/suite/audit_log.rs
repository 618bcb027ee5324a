//! Every refusal is one `tracing` event on target `auth` with its reason, and the credential
//! never appears in it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::dev::Service;
use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use actix_web::{App, get};
use auth_core::{AuthConfig, FailureThrottle, Htpasswd, Principal, require_auth};
use auth_tests::log::capture_log;
use auth_tests::*;

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/p")]
async fn protected(_: Principal) -> &'static str {
    "ok"
}

#[actix_rt::test]
async fn refusals_are_logged_with_reason_and_redacted_credential() {
    let (capture, _guard) = capture_log();

    let app = test::init_service(App::new().app_data(config()).service(protected)).await;
    let bad = format!("{}x", minter(Algorithm::HS256).token(&["orders:read"]));
    let cases = [
        (Some(bad.clone()), "signature does not verify"),
        (
            Some(minter(Algorithm::HS256).token(&[])),
            "token lacks a required scope",
        ),
        (None, "no credentials"),
        (Some("Bearer".to_owned()), "malformed credentials"),
    ];
    for (tok, _) in &cases {
        let mut req = TestRequest::get().uri("/p");
        if let Some(t) = tok {
            let value = if t == "Bearer" {
                t.clone()
            } else {
                format!("Bearer {t}")
            };
            req = req.insert_header((header::AUTHORIZATION, value));
        }
        let res = app.call(req.to_request()).await.unwrap();
        assert!(res.status().is_client_error());
    }
    let log = capture.text();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), cases.len(), "one event per refusal:\n{log}");
    for (line, (_, reason)) in lines.iter().zip(&cases) {
        assert!(line.contains(" auth:"), "target auth: {line}");
        assert!(line.contains(reason), "{reason:?} in {line}");
        assert!(line.contains("credential="), "{line}");
    }
    for part in bad.split('.') {
        assert!(!log.contains(part), "a token part reached the log");
    }
}

#[require_auth(scheme = "basic")]
#[get("/ops")]
async fn ops(_: Principal) -> &'static str {
    "ok"
}

#[actix_rt::test]
async fn basic_failures_and_throttling_log_the_user_never_the_password() {
    let (capture, _guard) = capture_log();
    let config = AuthConfig::builder()
        .basic(
            Htpasswd::parse("ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu")
                .unwrap(),
        )
        .throttle(FailureThrottle::per_minute(2))
        .build()
        .unwrap();
    let app = test::init_service(App::new().app_data(config).service(ops)).await;
    use base64::Engine as _;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ops:Sup3r-Secret-Guess")
    );
    for _ in 0..3 {
        let req = TestRequest::get()
            .uri("/ops")
            .peer_addr("192.0.2.9:5000".parse().unwrap())
            .insert_header((header::AUTHORIZATION, auth.as_str()));
        app.call(req.to_request()).await.unwrap();
    }
    let log = capture.text();
    assert!(log.contains("unknown user or wrong password"), "{log}");
    assert!(
        log.contains("user=\"ops\"") || log.contains("user=ops"),
        "{log}"
    );
    assert!(
        log.contains("peer=\"192.0.2.9:5000\"") || log.contains("peer=192.0.2.9:5000"),
        "{log}"
    );
    assert!(log.contains("blocked"), "the block is logged: {log}");
    assert!(log.contains("too many failed attempts"), "{log}");
    assert!(
        !log.contains("Sup3r-Secret-Guess"),
        "the password never reaches the log"
    );
    assert!(
        !log.contains(auth.trim_start_matches("Basic ")),
        "nor its base64"
    );
}

#[require_auth(scheme = "bearer", scope = "orders:write")]
#[actix_web::post("/p")]
async fn protected_write(_: Principal) -> &'static str {
    "ok"
}

#[actix_rt::test]
async fn tokens_from_cookies_and_queries_are_logged_by_location_and_length_only() {
    use auth_core::transport::{TokenLocation, TokenLocations};
    let (capture, _guard) = capture_log();
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .token_locations(
            TokenLocations::HEADER
                .with(TokenLocation::Cookie)
                .with(TokenLocation::Query),
        )
        .build()
        .unwrap();
    let app = test::init_service(
        App::new()
            .app_data(config)
            .service(protected)
            .service(protected_write),
    )
    .await;
    let forged = format!("{}x", minter(Algorithm::HS256).token(&["orders:read"]));
    let requests = [
        TestRequest::get()
            .uri("/p")
            .insert_header((header::COOKIE, format!("access_token={forged}"))),
        TestRequest::get().uri(&format!("/p?access_token={forged}")),
        TestRequest::post()
            .uri("/p")
            .insert_header((header::COOKIE, format!("access_token={forged}")))
            .insert_header((header::ORIGIN, "http://evil.test")),
    ];
    for req in requests {
        let res = app.call(req.to_request()).await.unwrap();
        assert!(res.status().is_client_error());
    }
    let log = capture.text();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "one event per refusal:\n{log}");
    let len = forged.len();
    assert!(
        lines[0].contains(&format!("({len} bytes, from cookie)")),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(&format!("({len} bytes, from query)")),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("cross-site request refused"),
        "{}",
        lines[2]
    );
    assert!(lines[2].contains("from cookie"), "{}", lines[2]);
    for part in forged.split('.') {
        assert!(!log.contains(part), "a token part reached the log:\n{log}");
    }
}
