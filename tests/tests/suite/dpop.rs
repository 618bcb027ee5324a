//! DPoP (RFC 9449): every row of the "DPoP" section of `responses.md`, through real actix
//! services, for the three handler forms (the attribute on a handler, an extractor struct,
//! the scope-wide `RequireAuth`), with proofs signed by real keys (`testing::DpopProver`) and
//! access tokens by the test issuer.
//!
//! Tests named `rfc9449_…` are the resource-server cases of the public conformance catalog
//! (`AuthPlane/conformance`, surface `sdk-verifier.dpop.inbound`), one test per case id.
//! Where the catalog's expected error differs from the RFC's registered code, the test follows
//! RFC 9449 §7.1 / §12.2 and says so in its name (`…_deviation_…`) and docs. An independent
//! client (panva's `oauth4webapi`) against a real provider is in
//! `tests/interop/dpop_interop.py`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use actix_web::dev::Service;
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, get, web};
use auth_core::store::{StoreError, StoreFuture};
use auth_core::testing::DpopProver;
use auth_core::verify::dpop_replay::{MemoryProofs, ProofId, ProofReplayStore, ProofUse};
use auth_core::{
    AuthConfig, Dpop, DpopMode, DpopNonces, Principal, RequireAuth, Requirement, Scheme, SchemeSet,
    require_auth,
};
use auth_tests::*;
use serde_json::{Value, json};

/// The origin clients dial: proofs' `htu` are this plus the path.
const ORIGIN: &str = "https://api.test.example";
const ALGS: &str = "ES256 ES384 EdDSA Ed25519 PS256 RS256";
const NONCE_SECRET: &[u8] = b"the nonce secret of the dpop tests, 32+";

#[require_auth(scheme = "dpop", scope = "orders:read")]
#[get("/dpop")]
async fn dpop_only(user: Principal) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "bearer | dpop", scope = "orders:read")]
#[get("/either")]
async fn either(user: Principal) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/bearer")]
async fn bearer_only(user: Principal) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

#[require_auth(scheme = "dpop", scope = "orders:read")]
struct DpopReader(Principal);

#[get("/dpop-struct")]
async fn dpop_struct(DpopReader(user): DpopReader) -> String {
    format!("{:?} {}", user.scheme(), user.subject().unwrap_or("?"))
}

const GUARDED: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Dpop)).with_all_scopes(&["orders:read"]);

/// The three forms of a DPoP-only endpoint requiring `orders:read`.
const FORMS: [&str; 3] = ["/dpop", "/dpop-struct", "/guarded/dpop"];

fn client() -> DpopProver {
    DpopProver::new(Minter::from_pem(Algorithm::EdDSA, ED25519_PRIVATE))
}

fn thief() -> DpopProver {
    DpopProver::new(Minter::from_pem(Algorithm::ES384, EC384_PRIVATE))
}

/// An access token bound to `prover`'s key, granting `scope`.
fn bound_token(prover: &DpopProver, scope: &str) -> String {
    minter(Algorithm::ES256)
        .claim("cnf", json!({"jkt": prover.thumbprint()}))
        .token(&[scope])
}

fn plain_token(scope: &str) -> String {
    minter(Algorithm::ES256).token(&[scope])
}

fn dpop(mode: DpopMode, nonces: Option<DpopNonces>) -> Dpop {
    let b = Dpop::builder(ORIGIN).mode(mode);
    match nonces {
        Some(n) => b.nonces(n),
        None => b,
    }
    .build()
    .unwrap()
}

fn config_of(dpop: Dpop) -> AuthConfig {
    AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .dpop(dpop)
        .build()
        .unwrap()
}

fn config() -> AuthConfig {
    config_of(dpop(DpopMode::Allowed, None))
}

async fn app(
    config: AuthConfig,
) -> impl Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .app_data(config)
            .service(dpop_only)
            .service(either)
            .service(bearer_only)
            .service(dpop_struct)
            .service(
                web::scope("/guarded")
                    .wrap(RequireAuth::new(&GUARDED))
                    .default_service(web::to(|user: Principal| async move {
                        HttpResponse::Ok().body(format!(
                            "{:?} {}",
                            user.scheme(),
                            user.subject().unwrap_or("?")
                        ))
                    })),
            ),
    )
    .await
}

/// `GET path` with `Authorization: DPoP token` and the proof `proof`.
fn dpop_request(path: &str, token: &str, proof: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header(("authorization", format!("DPoP {token}")))
        .insert_header(("dpop", proof.to_owned()))
}

/// A request with a fresh, right proof by `prover` for `path` and `token`.
fn proven(prover: &DpopProver, path: &str, token: &str) -> TestRequest {
    let url = format!("{ORIGIN}{}", path.split('?').next().unwrap());
    dpop_request(path, token, &prover.proof("GET", &url, Some(token)))
}

fn challenge(error: Option<&str>) -> String {
    match error {
        None => format!(r#"DPoP realm="orders", algs="{ALGS}""#),
        Some(e) => format!(r#"DPoP realm="orders", algs="{ALGS}", error="{e}""#),
    }
}

const INVALID_DPOP_PROOF_BODY: &str = r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The DPoP proof is invalid.","error":"invalid_dpop_proof"}"#;

fn assert_invalid_proof(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 401, "{what}: {}", answer.text());
    assert_eq!(
        answer.challenges(),
        [challenge(Some("invalid_dpop_proof"))],
        "{what}"
    );
    assert_eq!(
        answer.body,
        INVALID_DPOP_PROOF_BODY.as_bytes(),
        "{what}: the one body"
    );
    assert_eq!(answer.header("cache-control"), Some("no-store"), "{what}");
}

fn assert_dpop_invalid_token(answer: &Answer, what: &str) {
    answer.assert_refusal(401, &challenge(Some("invalid_token")), "invalid_token");
    assert_eq!(
        answer.body,
        INVALID_TOKEN_BODY.as_bytes(),
        "{what}: the one invalid_token body"
    );
}

/// A proof by `prover` for `path` with its claims changed by `edit`.
fn proof_with(
    prover: &DpopProver,
    token: &str,
    edit: impl FnOnce(&mut Value, &mut Value),
) -> String {
    let mut header = prover.header();
    let mut claims = prover.claims("GET", &format!("{ORIGIN}/dpop"), Some(token));
    edit(&mut header, &mut claims);
    prover.sign(&header, &claims)
}

async fn refused_proof(edit: impl FnOnce(&mut Value, &mut Value), what: &str) {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let proof = proof_with(&client(), &token, edit);
    let answer = call(&app, dpop_request("/dpop", &token, &proof)).await;
    assert_invalid_proof(&answer, what);
}

// ---- the accepted path -------------------------------------------------------------------

/// Case `rfc9449-inbound-dpop-proof-must-validate-method-url-and-binding`: a bound token with
/// a right proof (method, URL, `ath`, key) is accepted, in every handler form, and the handler
/// is told the scheme was DPoP.
#[actix_web::test]
async fn rfc9449_inbound_dpop_proof_must_validate_method_url_and_binding() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    for path in FORMS.iter().chain(&["/either"]) {
        let answer = call(&app, proven(&client(), path, &token)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
        assert_eq!(answer.text(), "Dpop alice", "{path}");
    }
}

/// Case `rfc9449-dpop-proof-htu-must-be-normalized-before-comparison`: scheme and host case
/// and the default port are normalised, the query of the request and of `htu` ignored.
#[actix_web::test]
async fn rfc9449_dpop_proof_htu_must_be_normalized_before_comparison() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    for htu in [
        "HTTPS://API.TEST.EXAMPLE:443/dpop",
        "https://api.test.example/dpop?page=2",
        "https://api.test.example/%64pop",
        "https://api.test.example/x/../dpop",
    ] {
        let proof = client().proof("GET", htu, Some(&token));
        let answer = call(&app, dpop_request("/dpop?page=2", &token, &proof)).await;
        assert_eq!(answer.status, 200, "{htu}: {}", answer.text());
    }
}

/// Case `rfc9449-bearer-token-with-request-context-and-no-proof-must-still-verify-as-bearer`: a
/// token with no `cnf`, sent as Bearer where Bearer is accepted, is a bearer token.
#[actix_web::test]
async fn rfc9449_bearer_token_with_request_context_and_no_proof_must_still_verify_as_bearer() {
    let app = app(config()).await;
    let req = TestRequest::get().uri("/either").insert_header((
        "authorization",
        format!("Bearer {}", plain_token("orders:read")),
    ));
    let answer = call(&app, req).await;
    assert_eq!(
        (answer.status, answer.text().as_str()),
        (200, "Bearer alice")
    );
}

// ---- no credentials, malformed credentials ---------------------------------------------

#[actix_web::test]
async fn no_credentials_get_the_dpop_challenge_and_the_bearer_one_where_accepted() {
    let app = app(config()).await;
    for path in FORMS {
        let answer = call(&app, TestRequest::get().uri(path)).await;
        answer.assert_refusal(401, &challenge(None), "unauthorized");
    }
    let answer = call(&app, TestRequest::get().uri("/either")).await;
    answer.assert_problem(401);
    assert_eq!(
        answer.challenges(),
        [r#"Bearer realm="orders""#.to_owned(), challenge(None)]
    );
}

#[actix_web::test]
async fn malformed_dpop_credentials_are_invalid_request() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    for path in FORMS {
        for value in ["DPoP", "DPoP ", "DPoP a b", "DPoP a,b"] {
            let req = TestRequest::get()
                .uri(path)
                .insert_header(("authorization", value));
            let answer = call(&app, req).await;
            answer.assert_refusal(400, &challenge(Some("invalid_request")), "invalid_request");
        }
        let req = proven(&client(), path, &token)
            .append_header(("authorization", format!("DPoP {token}")));
        let answer = call(&app, req).await;
        answer.assert_refusal(400, &challenge(Some("invalid_request")), "invalid_request");
    }
}

// ---- every proof check (RFC 9449 §4.3): `invalid_dpop_proof` --------------------------

/// Case `rfc9449-dpop-bound-token-with-request-context-and-no-proof-must-be-rejected-via-main-verify-path`:
/// a bound token with `Authorization: DPoP` and no `DPoP` field is refused, in every form. (The
/// catalog's category `dpop_proof_missing` is, on the wire, RFC 9449's `invalid_dpop_proof`.)
#[actix_web::test]
async fn rfc9449_dpop_bound_token_with_request_context_and_no_proof_must_be_rejected_via_main_verify_path()
 {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    for path in FORMS {
        let req = TestRequest::get()
            .uri(path)
            .insert_header(("authorization", format!("DPoP {token}")));
        assert_invalid_proof(&call(&app, req).await, path);
    }
}

/// Case `rfc9449-dpop-proof-required-when-validating-dpop-bound-token`: the DPoP endpoint
/// answers a bound token without a proof with `invalid_dpop_proof`, and the Bearer scheme
/// never accepts it either (§7.2).
#[actix_web::test]
async fn rfc9449_dpop_proof_required_when_validating_dpop_bound_token() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let req = TestRequest::get()
        .uri("/either")
        .insert_header(("authorization", format!("DPoP {token}")));
    let answer = call(&app, req).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.challenges(),
        [
            r#"Bearer realm="orders""#.to_owned(),
            challenge(Some("invalid_dpop_proof"))
        ]
    );
}

#[actix_web::test]
async fn two_dpop_fields_or_a_proof_that_is_not_a_jws_are_refused() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let url = format!("{ORIGIN}/dpop");
    let two = proven(&client(), "/dpop", &token)
        .append_header(("dpop", client().proof("GET", &url, Some(&token))));
    assert_invalid_proof(&call(&app, two).await, "two DPoP fields");
    for junk in [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        "e30.e30.",
        "%%%.e30.c2ln",
        &"a".repeat(9000),
    ] {
        assert_invalid_proof(&call(&app, dpop_request("/dpop", &token, junk)).await, junk);
    }
}

/// Case `rfc9449-dpop-proof-header-typ-must-be-dpop-jwt`.
#[actix_web::test]
async fn rfc9449_dpop_proof_header_typ_must_be_dpop_jwt() {
    for typ in [json!("JWT"), json!("at+jwt"), json!(null), json!(7)] {
        refused_proof(|h, _| h["typ"] = typ.clone(), "typ").await;
    }
    refused_proof(
        |h, _| drop(h.as_object_mut().unwrap().remove("typ")),
        "no typ",
    )
    .await;
}

/// Case `rfc9449-dpop-proof-alg-must-be-supported-asymmetric`: HS256 (even signed with the
/// JWK's bytes as a secret), `none`, and algorithms not in the allow-list are refused.
#[actix_web::test]
async fn rfc9449_dpop_proof_alg_must_be_supported_asymmetric() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let prover = client();
    let claims = prover.claims("GET", &format!("{ORIGIN}/dpop"), Some(&token));
    let mut header = prover.header();
    header["alg"] = json!("HS256");
    let hmac = Minter::hmac(
        Algorithm::HS256,
        prover.jwk()["x"].as_str().unwrap().as_bytes(),
    );
    let symmetric = hmac.sign_parts(header.to_string(), claims.to_string());
    assert_invalid_proof(
        &call(&app, dpop_request("/dpop", &token, &symmetric)).await,
        "HS256",
    );
    header["alg"] = json!("none");
    let none = format!("{}.", raw_jwt(&header, &claims, b"").trim_end_matches('.'));
    assert_invalid_proof(
        &call(&app, dpop_request("/dpop", &token, &none)).await,
        "none",
    );
    header["alg"] = json!("eddsa");
    let lower = prover.sign(&header, &claims);
    assert_invalid_proof(
        &call(&app, dpop_request("/dpop", &token, &lower)).await,
        "alg case",
    );
    // An allowed algorithm the configuration left out.
    let only_es256 = config_of(
        Dpop::builder(ORIGIN)
            .algorithms(&[Algorithm::ES256])
            .build()
            .unwrap(),
    );
    let narrow = crate::dpop::app(only_es256).await;
    let answer = call(&narrow, proven(&client(), "/dpop", &token)).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.challenges(),
        [r#"DPoP realm="orders", algs="ES256", error="invalid_dpop_proof""#]
    );
}

/// Case `rfc9449-dpop-proof-must-carry-public-jwk`: no `jwk`, or one that is not a key of the
/// kind `alg` names, or `jwk` not an object.
#[actix_web::test]
async fn rfc9449_dpop_proof_must_carry_public_jwk() {
    refused_proof(
        |h, _| drop(h.as_object_mut().unwrap().remove("jwk")),
        "no jwk",
    )
    .await;
    refused_proof(|h, _| h["jwk"] = json!("a key"), "jwk a string").await;
    refused_proof(|h, _| h["jwk"]["crv"] = json!("X25519"), "another curve").await;
    refused_proof(|h, _| h["jwk"] = thief().jwk(), "an EC key for EdDSA").await;
    refused_proof(|h, _| h["jwk"]["x"] = json!("AAAA"), "another key").await;
}

/// Case `rfc9449-dpop-proof-jwk-must-not-include-private-key-material`.
#[actix_web::test]
async fn rfc9449_dpop_proof_jwk_must_not_include_private_key_material() {
    for member in ["d", "p", "q", "dp", "dq", "qi", "k"] {
        refused_proof(|h, _| h["jwk"][member] = json!("c2VjcmV0"), member).await;
    }
}

#[actix_web::test]
async fn a_proof_signed_by_another_key_than_its_jwk_or_with_crit_is_refused() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let claims = client().claims("GET", &format!("{ORIGIN}/dpop"), Some(&token));
    let forged = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, ED25519_PRIVATE));
    let mut header = forged.header();
    let signed_by_thief = thief().sign(
        &json!({"typ": "dpop+jwt", "alg": "EdDSA", "jwk": header["jwk"]}),
        &claims,
    );
    assert_invalid_proof(
        &call(&app, dpop_request("/dpop", &token, &signed_by_thief)).await,
        "signature",
    );
    header["crit"] = json!(["exp"]);
    let crit = forged.sign(&header, &claims);
    assert_invalid_proof(
        &call(&app, dpop_request("/dpop", &token, &crit)).await,
        "crit",
    );
    let dup = Minter::from_pem(Algorithm::EdDSA, ED25519_PRIVATE).sign_parts(
        format!(
            r#"{{"typ":"dpop+jwt","alg":"EdDSA","alg":"ES256","jwk":{}}}"#,
            forged.jwk()
        ),
        claims.to_string(),
    );
    assert_invalid_proof(
        &call(&app, dpop_request("/dpop", &token, &dup)).await,
        "duplicate member",
    );
}

/// Case `rfc9449-dpop-method-mismatch-must-be-rejected`.
#[actix_web::test]
async fn rfc9449_dpop_method_mismatch_must_be_rejected() {
    refused_proof(|_, c| c["htm"] = json!("POST"), "POST for GET").await;
    refused_proof(
        |_, c| drop(c.as_object_mut().unwrap().remove("htm")),
        "no htm",
    )
    .await;
}

/// Case `rfc9449-dpop-proof-htm-must-be-case-sensitive` (RFC 9110 §9.1).
#[actix_web::test]
async fn rfc9449_dpop_proof_htm_must_be_case_sensitive() {
    refused_proof(|_, c| c["htm"] = json!("get"), "get").await;
}

/// Case `rfc9449-dpop-url-mismatch-must-be-rejected`: another path, origin, scheme, port, or
/// the request's `Host` (which the client chooses: never trusted).
#[actix_web::test]
async fn rfc9449_dpop_url_mismatch_must_be_rejected() {
    for htu in [
        "https://api.test.example/other",
        "https://api.test.example/dpop/",
        "https://evil.example/dpop",
        "http://api.test.example/dpop",
        "https://api.test.example:8443/dpop",
        "/dpop",
    ] {
        refused_proof(|_, c| c["htu"] = json!(htu), htu).await;
    }
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let proof = client().proof("GET", "https://evil.example/dpop", Some(&token));
    let req = dpop_request("/dpop", &token, &proof).insert_header(("host", "evil.example"));
    assert_invalid_proof(&call(&app, req).await, "Host is not the origin");
}

/// Case `rfc9449-dpop-proof-iat-must-not-be-in-the-future-beyond-leeway` (60 s by default).
#[actix_web::test]
async fn rfc9449_dpop_proof_iat_must_not_be_in_the_future_beyond_leeway() {
    refused_proof(|_, c| c["iat"] = json!(now() + 120), "iat +120 s").await;
    refused_proof(|_, c| c["iat"] = json!("now"), "iat a string").await;
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let within = proof_with(&client(), &token, |_, c| c["iat"] = json!(now() + 30));
    assert_eq!(
        call(&app, dpop_request("/dpop", &token, &within))
            .await
            .status,
        200
    );
}

/// Case `rfc9449-dpop-proof-must-not-be-too-old` (60 s by default).
#[actix_web::test]
async fn rfc9449_dpop_proof_must_not_be_too_old() {
    refused_proof(|_, c| c["iat"] = json!(now() - 120), "iat -120 s").await;
    refused_proof(
        |_, c| drop(c.as_object_mut().unwrap().remove("iat")),
        "no iat",
    )
    .await;
}

/// Case `rfc9449-dpop-proof-exp-must-be-enforced-when-present`.
#[actix_web::test]
async fn rfc9449_dpop_proof_exp_must_be_enforced_when_present() {
    refused_proof(|_, c| c["exp"] = json!(now() - 120), "exp past").await;
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let future = proof_with(&client(), &token, |_, c| c["exp"] = json!(now() + 30));
    assert_eq!(
        call(&app, dpop_request("/dpop", &token, &future))
            .await
            .status,
        200
    );
}

/// Case `rfc9449-dpop-ath-mismatch-must-be-rejected`: the hash of another token, or none.
#[actix_web::test]
async fn rfc9449_dpop_ath_mismatch_must_be_rejected() {
    let other = bound_token(&client(), "orders:write");
    let other_ath = client().claims("GET", "x", Some(&other))["ath"].clone();
    refused_proof(|_, c| c["ath"] = other_ath, "ath of another token").await;
    refused_proof(
        |_, c| drop(c.as_object_mut().unwrap().remove("ath")),
        "no ath",
    )
    .await;
}

#[actix_web::test]
async fn jti_is_required_and_length_capped() {
    refused_proof(
        |_, c| drop(c.as_object_mut().unwrap().remove("jti")),
        "no jti",
    )
    .await;
    refused_proof(|_, c| c["jti"] = json!(""), "empty jti").await;
    refused_proof(|_, c| c["jti"] = json!("j".repeat(257)), "257-byte jti").await;
    refused_proof(|_, c| c["jti"] = json!(7), "numeric jti").await;
}

/// Case `rfc9449-dpop-replay-must-be-detected`: the same proof twice. The catalog's category
/// (`dpop_replay_detected`) is RFC 9449's `invalid_dpop_proof` on the wire (§7.1, §11.1).
#[actix_web::test]
async fn rfc9449_dpop_replay_must_be_detected() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    for path in FORMS {
        let proof = client().proof("GET", &format!("{ORIGIN}{path}"), Some(&token));
        assert_eq!(
            call(&app, dpop_request(path, &token, &proof)).await.status,
            200,
            "{path}"
        );
        assert_invalid_proof(&call(&app, dpop_request(path, &token, &proof)).await, path);
    }
}

/// Every proof failure is one answer: the same challenge, the same body, byte for byte.
#[actix_web::test]
async fn every_invalid_proof_cause_yields_the_same_bytes() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let causes: Vec<String> = vec![
        proof_with(&client(), &token, |h, _| h["typ"] = json!("JWT")),
        proof_with(&client(), &token, |_, c| c["htm"] = json!("PUT")),
        proof_with(&client(), &token, |_, c| c["iat"] = json!(1)),
        proof_with(&client(), &token, |h, _| h["jwk"]["d"] = json!("eA")),
        "not.a.proof".into(),
    ];
    let mut heads = Vec::new();
    for proof in causes {
        let answer = call(&app, dpop_request("/dpop", &token, &proof)).await;
        heads.push((answer.challenges(), answer.body.clone()));
    }
    heads.dedup();
    assert_eq!(heads.len(), 1, "{heads:?}");
}

// ---- the token and its binding: `invalid_token` --------------------------------------------

/// Case `rfc9449-dpop-binding-mismatch-must-be-rejected`: a valid proof by another key than
/// the token's `cnf.jkt` (a thief with the token and a key of their own).
#[actix_web::test]
async fn rfc9449_dpop_binding_mismatch_must_be_rejected() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    for path in FORMS {
        let answer = call(&app, proven(&thief(), path, &token)).await;
        assert_dpop_invalid_token(&answer, path);
    }
}

/// Case `rfc9449-dpop-proof-validation-must-not-skip-binding-when-access-token-is-provided`:
/// the token names a key, the proof is by a key that is valid but not that one.
#[actix_web::test]
async fn rfc9449_dpop_proof_validation_must_not_skip_binding_when_access_token_is_provided() {
    let app = app(config()).await;
    let thiefs_token = bound_token(&thief(), "orders:read");
    let answer = call(&app, proven(&client(), "/dpop", &thiefs_token)).await;
    assert_dpop_invalid_token(&answer, "token bound to another key");
}

/// Case `rfc9449-dpop-bound-token-must-contain-cnf-jkt`: `cnf` of no method, or a `jkt` that
/// is not a string.
#[actix_web::test]
async fn rfc9449_dpop_bound_token_must_contain_cnf_jkt() {
    let app = app(config()).await;
    for cnf in [
        json!({}),
        json!({"jkt": 7}),
        json!({"jkt": ""}),
        json!(null),
    ] {
        let token = minter(Algorithm::ES256)
            .claim("cnf", cnf.clone())
            .token(&["orders:read"]);
        let answer = call(&app, proven(&client(), "/dpop", &token)).await;
        assert_dpop_invalid_token(&answer, &cnf.to_string());
    }
}

/// Case `rfc9449-verifier-must-reject-dpop-proof-when-access-token-is-not-dpop-bound`: a
/// proof with a plain bearer token proves nothing about the token.
#[actix_web::test]
async fn rfc9449_verifier_must_reject_dpop_proof_when_access_token_is_not_dpop_bound() {
    let app = app(config()).await;
    let token = plain_token("orders:read");
    for path in FORMS {
        assert_dpop_invalid_token(&call(&app, proven(&client(), path, &token)).await, path);
    }
}

/// RFC 9449 §7.2: a DPoP-bound token presented as `Bearer` is refused where Bearer is
/// accepted, with the Bearer challenge's `invalid_token` (the DPoP challenge stays plain).
#[actix_web::test]
async fn a_dpop_bound_token_presented_as_bearer_is_refused() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let bearer = |path: &str| {
        TestRequest::get()
            .uri(path)
            .insert_header(("authorization", format!("Bearer {token}")))
    };
    call(&app, bearer("/bearer"))
        .await
        .assert_invalid_token("bearer-only endpoint");
    for attempt in ["first", "again (verdict cache)"] {
        let answer = call(&app, bearer("/either")).await;
        assert_eq!(answer.status, 401, "{attempt}");
        assert_eq!(
            answer.challenges(),
            [INVALID_TOKEN.to_owned(), challenge(None)],
            "{attempt}"
        );
        assert_eq!(answer.body, INVALID_TOKEN_BODY.as_bytes());
    }
    // Even with a (valid) proof beside it: the scheme says Bearer.
    let with_proof = bearer("/either").insert_header((
        "dpop",
        client().proof("GET", &format!("{ORIGIN}/either"), Some(&token)),
    ));
    assert_eq!(call(&app, with_proof).await.status, 401);
}

#[actix_web::test]
async fn an_expired_bound_token_says_so_in_the_dpop_challenge() {
    let app = app(config()).await;
    let token = minter(Algorithm::ES256)
        .claim("cnf", json!({"jkt": client().thumbprint()}))
        .expired_token(&["orders:read"]);
    let answer = call(&app, proven(&client(), "/dpop", &token)).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.challenges(),
        [format!(
            r#"DPoP realm="orders", algs="{ALGS}", error="invalid_token", error_description="The access token expired""#
        )]
    );
    assert_eq!(answer.error(), "token_expired");
}

#[actix_web::test]
async fn a_bound_token_lacking_the_scope_is_403_with_the_dpop_challenge() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:write");
    for path in FORMS {
        let answer = call(&app, proven(&client(), path, &token)).await;
        answer.assert_refusal(
            403,
            &format!(r#"DPoP realm="orders", algs="{ALGS}", error="insufficient_scope", scope="orders:read""#),
            "insufficient_scope",
        );
    }
}

// ---- rollout modes ---------------------------------------------------------------------

/// Case `rfc9449-verifier-must-reject-bearer-only-token-when-resource-requires-dpop`: under
/// `DpopMode::Required` Bearer is DPoP everywhere: a bearer token is refused (its scheme is
/// not accepted: 401 with the DPoP challenge), a bound one with its proof passes.
#[actix_web::test]
async fn rfc9449_verifier_must_reject_bearer_only_token_when_resource_requires_dpop() {
    let app = app(config_of(dpop(DpopMode::Required, None))).await;
    for path in ["/bearer", "/either"] {
        let req = TestRequest::get().uri(path).insert_header((
            "authorization",
            format!("Bearer {}", plain_token("orders:read")),
        ));
        let answer = call(&app, req).await;
        answer.assert_refusal(401, &challenge(None), "unauthorized");
        let token = bound_token(&client(), "orders:read");
        let answer = call(&app, proven(&client(), path, &token)).await;
        assert_eq!(
            (answer.status, answer.text().as_str()),
            (200, "Dpop alice"),
            "{path}"
        );
        // A plain token with a proof is still not DPoP-bound.
        let answer = call(&app, proven(&client(), path, &plain_token("orders:read"))).await;
        assert_dpop_invalid_token(&answer, path);
    }
}

/// Case `rfc9449-verifier-must-reject-dpop-bound-token-when-resource-does-not-support-dpop`: with
/// DPoP off (or not configured), a bound token is refused as a bearer token, and the DPoP
/// scheme is not accepted at all (fail closed).
#[actix_web::test]
async fn rfc9449_verifier_must_reject_dpop_bound_token_when_resource_does_not_support_dpop() {
    let token = bound_token(&client(), "orders:read");
    for config in [
        config_of(dpop(DpopMode::Off, None)),
        config_with(verifier()),
    ] {
        let app = app(config).await;
        let req = TestRequest::get()
            .uri("/either")
            .insert_header(("authorization", format!("Bearer {token}")));
        call(&app, req)
            .await
            .assert_invalid_token("bound token as Bearer");
        let answer = call(&app, proven(&client(), "/either", &token)).await;
        answer.assert_refusal(401, r#"Bearer realm="orders""#, "unauthorized");
        // A DPoP-only endpoint has nothing registered: a loud 500, never an open door.
        let answer = call(&app, proven(&client(), "/dpop", &token)).await;
        answer.assert_problem(500);
    }
}

// ---- server nonces ---------------------------------------------------------------------

/// Case `rfc9449-dpop-inbound-nonce-must-be-validated-when-required`, deviation: the catalog
/// expects `invalid_dpop_proof`; RFC 9449 §9 registers `use_dpop_nonce` (with a fresh
/// `DPoP-Nonce`) for a missing or wrong nonce at a resource server, and that is the answer.
#[actix_web::test]
async fn rfc9449_dpop_inbound_nonce_must_be_validated_when_required_deviation_use_dpop_nonce() {
    let nonces = DpopNonces::new(NONCE_SECRET).unwrap();
    let app = app(config_of(dpop(DpopMode::Allowed, Some(nonces.clone())))).await;
    let token = bound_token(&client(), "orders:read");
    let use_nonce = challenge(Some("use_dpop_nonce"));
    let body = r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The resource requires a DPoP proof with its nonce.","error":"use_dpop_nonce"}"#;
    for path in FORMS {
        let answer = call(&app, proven(&client(), path, &token)).await;
        assert_eq!(
            (answer.status, answer.challenges()),
            (401, vec![use_nonce.clone()]),
            "{path}"
        );
        assert_eq!(answer.body, body.as_bytes());
        let nonce = answer
            .header("dpop-nonce")
            .expect("a fresh DPoP-Nonce")
            .to_owned();
        assert!(nonces.accepts(&nonce));
        let with_nonce = proof_with(&client(), &token, |_, c| {
            c["nonce"] = json!(nonce);
            c["htu"] = json!(format!("{ORIGIN}{path}"));
        });
        let answer = call(&app, dpop_request(path, &token, &with_nonce)).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text());
    }
    let stale = nonces.issue_at(now() - 3 * DpopNonces::DEFAULT_PERIOD_SECS);
    let foreign = DpopNonces::new(b"another secret, of another resource!")
        .unwrap()
        .issue();
    for nonce in [stale, foreign, "made-up".to_owned()] {
        let proof = proof_with(&client(), &token, |_, c| c["nonce"] = json!(nonce));
        let answer = call(&app, dpop_request("/dpop", &token, &proof)).await;
        assert_eq!(
            (answer.status, answer.challenges()),
            (401, vec![use_nonce.clone()]),
            "{nonce}"
        );
    }
    // A proof that fails another check is told so, not asked for a nonce.
    let bad = proof_with(&client(), &token, |_, c| c["htm"] = json!("POST"));
    assert_invalid_proof(
        &call(&app, dpop_request("/dpop", &token, &bad)).await,
        "htm",
    );
    // Every DPoP challenge hands out the nonce, so a client learns it from its first 401.
    let answer = call(&app, TestRequest::get().uri("/dpop")).await;
    assert!(nonces.accepts(answer.header("dpop-nonce").unwrap()));
}

// ---- the replay memory -----------------------------------------------------------------

/// Case `rfc9449-dpop-replay-store-must-evict-expired-entries`: an expired entry does not
/// block a proof and is removed; a live one still does.
#[actix_web::test]
async fn rfc9449_dpop_replay_store_must_evict_expired_entries() {
    let store = MemoryProofs::new();
    let (expired, live) = (ProofId::new("k", "old"), ProofId::new("k", "new"));
    assert_eq!(store.record_at(expired, 1_000, 900), Ok(ProofUse::First));
    assert_eq!(store.record_at(live, 2_000, 900), Ok(ProofUse::First));
    assert_eq!(store.len(), 2);
    assert_eq!(
        store.record_at(ProofId::new("k", "third"), 2_000, 1_001),
        Ok(ProofUse::First)
    );
    assert_eq!(store.len(), 2, "the expired entry is gone");
    assert_eq!(
        store.record_at(expired, 3_000, 1_001),
        Ok(ProofUse::First),
        "accepted again: its iat is out of the window by now anyway"
    );
    assert_eq!(store.record_at(live, 2_000, 1_002), Ok(ProofUse::Replayed));
}

/// A store that cannot answer.
#[derive(Debug)]
struct Down(Arc<AtomicUsize>);

impl ProofReplayStore for Down {
    fn record(&self, _: ProofId, _: SystemTime) -> StoreFuture<Result<ProofUse, StoreError>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(std::future::ready(Err(StoreError::Unavailable(
            "connection refused",
        ))))
    }
}

/// `responses.md`: the replay store cannot answer → 503 `temporarily_unavailable`,
/// `Retry-After`, no challenge (fail closed). It is asked only for proofs that passed every
/// other check.
#[actix_web::test]
async fn an_unreachable_replay_store_fails_closed_with_503() {
    let asked = Arc::new(AtomicUsize::new(0));
    let dpop = Dpop::builder(ORIGIN)
        .replay_store(Down(asked.clone()))
        .build()
        .unwrap();
    let app = app(config_of(dpop)).await;
    let token = bound_token(&client(), "orders:read");
    for path in FORMS {
        let answer = call(&app, proven(&client(), path, &token)).await;
        answer.assert_problem(503);
        assert!(answer.challenges().is_empty());
        assert_eq!(answer.header("retry-after"), Some("5"));
        assert_eq!(answer.error(), "temporarily_unavailable");
    }
    assert_eq!(asked.load(Ordering::SeqCst), 3);
    let thiefs = call(&app, proven(&thief(), "/dpop", &token)).await;
    assert_eq!(thiefs.status, 401);
    let forged = call(&app, dpop_request("/dpop", &token, "not.a.proof")).await;
    assert_eq!(forged.status, 401);
    assert_eq!(
        asked.load(Ordering::SeqCst),
        3,
        "refused proofs are never recorded"
    );
}

/// A flood of unique, valid proofs fills a bounded memory and is then refused with 503 until
/// entries expire: memory never grows past the bound, and no replay slips through.
#[actix_web::test]
async fn a_full_replay_memory_refuses_new_proofs_and_stays_bounded() {
    let dpop = Dpop::builder(ORIGIN)
        .replay_store(MemoryProofs::with_capacity(20))
        .build()
        .unwrap();
    let app = app(config_of(dpop)).await;
    let token = bound_token(&client(), "orders:read");
    let mut statuses = Vec::new();
    let first = client().proof("GET", &format!("{ORIGIN}/dpop"), Some(&token));
    statuses.push(
        call(&app, dpop_request("/dpop", &token, &first))
            .await
            .status,
    );
    for _ in 0..24 {
        statuses.push(call(&app, proven(&client(), "/dpop", &token)).await.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        20,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 503).count(),
        5,
        "{statuses:?}"
    );
    assert_invalid_proof(
        &call(&app, dpop_request("/dpop", &token, &first)).await,
        "a replay when full",
    );
}

/// One client — any holder of a bound token and its key — cannot fill the replay memory for
/// everyone: past its key's share, its new proofs get 503, and other keys go on.
#[actix_web::test]
async fn one_key_cannot_fill_the_replay_memory_for_everyone() {
    let store = MemoryProofs::with_capacity(1000).per_key(3);
    let dpop = Dpop::builder(ORIGIN).replay_store(store).build().unwrap();
    let app = app(config_of(dpop)).await;
    let token = bound_token(&client(), "orders:read");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(call(&app, proven(&client(), "/dpop", &token)).await.status);
    }
    assert_eq!(statuses, [200, 200, 200, 503, 503]);
    let others = bound_token(&thief(), "orders:read");
    assert_eq!(
        call(&app, proven(&thief(), "/dpop", &others)).await.status,
        200
    );
}

/// The request path is taken as routed: a path with dot segments is never matched to a proof
/// for the path a URL parser would resolve it to.
#[actix_web::test]
async fn a_request_path_with_dot_segments_matches_no_proof() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    for routed in ["/guarded/x/../dpop", "/guarded/x/%2e%2e/dpop"] {
        let proof = client().proof("GET", &format!("{ORIGIN}/guarded/dpop"), Some(&token));
        assert_invalid_proof(
            &call(&app, dpop_request(routed, &token, &proof)).await,
            routed,
        );
    }
}

/// RFC 7515 §4.1.9: `application/dpop+jwt` is the same `typ` as `dpop+jwt`.
#[actix_web::test]
async fn typ_may_carry_the_application_prefix() {
    let app = app(config()).await;
    let token = bound_token(&client(), "orders:read");
    let proof = proof_with(&client(), &token, |h, _| {
        h["typ"] = json!("application/dpop+jwt")
    });
    assert_eq!(
        call(&app, dpop_request("/dpop", &token, &proof))
            .await
            .status,
        200
    );
}

/// RFC 9449 §8.2: a successful DPoP response offers the current nonce (with `OfferDpopNonce`
/// wrapped around the app), so the client's next proof needs no `use_dpop_nonce` round trip;
/// a Bearer response, or one without nonces configured, carries none.
#[actix_web::test]
async fn a_successful_dpop_response_offers_a_fresh_nonce() {
    use auth_core::OfferDpopNonce;
    let nonces = DpopNonces::new(NONCE_SECRET).unwrap();
    let app = test::init_service(
        App::new()
            .app_data(config_of(dpop(DpopMode::Allowed, Some(nonces.clone()))))
            .wrap(OfferDpopNonce)
            .service(either),
    )
    .await;
    let token = bound_token(&client(), "orders:read");
    let proof = proof_with(&client(), &token, |_, c| {
        c["nonce"] = json!(nonces.issue());
        c["htu"] = json!(format!("{ORIGIN}/either"));
    });
    let answer = call(&app, dpop_request("/either", &token, &proof)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert!(nonces.accepts(answer.header("dpop-nonce").expect("a nonce on the 200")));
    let bearer = TestRequest::get().uri("/either").insert_header((
        "authorization",
        format!("Bearer {}", plain_token("orders:read")),
    ));
    let answer = call(&app, bearer).await;
    assert_eq!((answer.status, answer.header("dpop-nonce")), (200, None));
}
