//! One rule for sender-constrained tokens (`responses.md`: "a token carrying `cnf` must satisfy
//! every binding it names, whichever scheme carried it"), through real actix services:
//! certificate-bound tokens (RFC 8705) with a certificate forwarded by a trusted proxy (RFC
//! 9440 `Client-Cert`), tokens of a custom `BearerVerifier` whose claims carry `cnf`, and a
//! DPoP request checked twice (an inner scope with a configuration of its own). The TLS path
//! itself (rustls, `curl --cert`) is `tests/interop/mtls_interop.py`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, get, web};
use auth_core::mtls::ClientCertificate;
use auth_core::testing::DpopProver;
use auth_core::{
    AuthConfig, BearerVerdict, BearerVerifier, Dpop, Principal, RequireAuth, Requirement, Scheme,
    SchemeSet, require_auth,
};
use auth_tests::*;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use serde_json::{Value, json};

const ORIGIN: &str = "https://api.test.example";
const PROXY: &str = "10.0.0.2:443";
const DER: &[u8] = b"the DER bytes of the client's certificate";

#[require_auth(scheme = "bearer | dpop", scope = "orders:read")]
#[get("/orders")]
async fn orders(user: Principal) -> String {
    format!("{:?}", user.scheme())
}

fn x5t(der: &[u8]) -> String {
    ClientCertificate::from_der(der).thumbprint().to_owned()
}

fn from(peer: &str) -> TestRequest {
    TestRequest::get()
        .uri("/orders")
        .peer_addr(peer.parse::<SocketAddr>().unwrap())
}

fn bearer(req: TestRequest, token: &str) -> TestRequest {
    req.insert_header(("authorization", format!("Bearer {token}")))
}

#[actix_web::test]
async fn a_certificate_bound_token_needs_its_certificate_forwarded_by_a_trusted_proxy() {
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .client_certificate_proxies(["10.0.0.2".parse().unwrap()])
        .build()
        .unwrap();
    let app = test::init_service(App::new().app_data(config).service(orders)).await;
    let token = minter(Algorithm::ES256)
        .claim("cnf", json!({"x5t#S256": x5t(DER)}))
        .token(&["orders:read"]);
    let cert = |der: &[u8]| format!(":{}:", STANDARD.encode(der));

    let ok = bearer(from(PROXY), &token).insert_header(("client-cert", cert(DER)));
    assert_eq!(call(&app, ok).await.status, 200);
    let unpadded = format!(":{}:", STANDARD_NO_PAD.encode(DER));
    let ok = bearer(from(PROXY), &token).insert_header(("client-cert", unpadded));
    assert_eq!(
        call(&app, ok).await.status,
        200,
        "RFC 8941: padding optional"
    );

    for (what, req) in [
        ("no certificate", bearer(from(PROXY), &token)),
        (
            "another certificate",
            bearer(from(PROXY), &token).insert_header(("client-cert", cert(b"another"))),
        ),
        (
            "the right one, from a client (not the proxy)",
            bearer(from("192.0.2.7:5000"), &token).insert_header(("client-cert", cert(DER))),
        ),
        (
            "two fields",
            bearer(from(PROXY), &token)
                .insert_header(("client-cert", cert(DER)))
                .append_header(("client-cert", cert(DER))),
        ),
        (
            "not a byte sequence",
            bearer(from(PROXY), &token).insert_header(("client-cert", STANDARD.encode(DER))),
        ),
    ] {
        call(&app, req).await.assert_invalid_token(what);
    }
    // A plain token needs no certificate at all.
    let plain = minter(Algorithm::ES256).token(&["orders:read"]);
    assert_eq!(
        call(&app, bearer(from("192.0.2.7:5000"), &plain))
            .await
            .status,
        200
    );
}

/// A verifier of the application's own: it hands over the token's claims, `cnf` among them
/// (an introspection answer carries it, RFC 7662 + RFC 9449 §6.2 / RFC 8705 §3.2).
#[derive(Debug)]
struct Introspected(Value);

impl BearerVerifier for Introspected {
    fn verify_token(&self, _: &str) -> BearerVerdict {
        let claims = self.0.as_object().unwrap().clone();
        BearerVerdict::Ready(Ok(Principal::new(
            Scheme::Bearer,
            Some("svc".into()),
            vec!["orders:read".into()],
            claims,
        )))
    }
}

fn custom(claims: Value) -> AuthConfig {
    AuthConfig::builder()
        .realm(REALM)
        .bearer(Introspected(claims))
        .dpop(Dpop::builder(ORIGIN).build().unwrap())
        .build()
        .unwrap()
}

#[actix_web::test]
async fn a_custom_verifiers_bound_tokens_are_held_to_their_binding_too() {
    let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, ED25519_PRIVATE));
    let dpop = |token: &str, prover: &DpopProver| {
        TestRequest::get()
            .uri("/orders")
            .insert_header(("authorization", format!("DPoP {token}")))
            .insert_header((
                "dpop",
                prover.proof("GET", &format!("{ORIGIN}/orders"), Some(token)),
            ))
    };
    let bound = custom(json!({"cnf": {"jkt": prover.thumbprint()}}));
    let app = test::init_service(App::new().app_data(bound).service(orders)).await;
    let answer = call(
        &app,
        bearer(TestRequest::get().uri("/orders"), "opaque-token-1"),
    )
    .await;
    assert_eq!(
        answer.status, 401,
        "a DPoP-bound opaque token is no bearer token"
    );
    let answer = call(&app, dpop("opaque-token-1", &prover)).await;
    assert_eq!((answer.status, answer.text().as_str()), (200, "Dpop"));
    let thief = DpopProver::new(Minter::from_pem(Algorithm::ES384, EC384_PRIVATE));
    assert_eq!(call(&app, dpop("opaque-token-1", &thief)).await.status, 401);

    for cnf in [
        json!({"jwk": {"kty": "EC"}}),
        json!({}),
        json!("x"),
        json!({"jkt": 7}),
    ] {
        let app = test::init_service(
            App::new()
                .app_data(custom(json!({"cnf": cnf})))
                .service(orders),
        )
        .await;
        let answer = call(
            &app,
            bearer(TestRequest::get().uri("/orders"), "opaque-token-2"),
        )
        .await;
        assert_eq!(
            answer.status, 401,
            "an uncheckable cnf {cnf} is never satisfied"
        );
        assert_eq!(
            call(&app, dpop("opaque-token-2", &prover)).await.status,
            401,
            "{cnf}"
        );
    }
}

const OUTER: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Dpop));

/// An inner scope with a configuration of its own checks the request again (it must see the
/// token itself); the proof that the outer check recorded is not a replay of itself.
#[actix_web::test]
async fn a_request_checked_twice_is_not_its_own_replay() {
    let dpop = Dpop::builder(ORIGIN).build().unwrap();
    let outer = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .dpop(dpop.clone())
        .build()
        .unwrap();
    let inner = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .dpop(dpop)
        .build()
        .unwrap();
    let app = test::init_service(
        App::new().app_data(outer).service(
            web::scope("/api")
                .wrap(RequireAuth::new(&OUTER))
                .service(web::scope("").app_data(inner).service(orders))
                .default_service(web::to(HttpResponse::Ok)),
        ),
    )
    .await;
    let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, ED25519_PRIVATE));
    let token = minter(Algorithm::ES256)
        .claim("cnf", json!({"jkt": prover.thumbprint()}))
        .token(&["orders:read"]);
    let proof = prover.proof("GET", &format!("{ORIGIN}/api/orders"), Some(&token));
    let req = || {
        TestRequest::get()
            .uri("/api/orders")
            .insert_header(("authorization", format!("DPoP {token}")))
            .insert_header(("dpop", proof.clone()))
    };
    let answer = call(&app, req()).await;
    assert_eq!((answer.status, answer.text().as_str()), (200, "Dpop"));
    assert_eq!(
        call(&app, req()).await.error(),
        "invalid_dpop_proof",
        "the next request is a replay"
    );
}
