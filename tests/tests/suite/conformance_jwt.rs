//! The JWT-area resource-server cases of the conformance catalog (`AuthPlane/conformance`,
//! surfaces `sdk-verifier.jwt`, `sdk-verifier.jwks`, `sdk-verifier.claims`,
//! `sdk-verifier.error-response`) not already covered in `attacks_jwt_profile.rs`, each named by
//! its case id, over HTTP against a real actix service with tokens signed by real keys. Where
//! this framework answers otherwise on purpose, the name says `deviation` and the doc says why.
//! Every refusal of a token is 401 `invalid_token` with the one body every such refusal has
//! (RFC 9068 §4, RFC 6750 §3.1); the catalog's SDK error categories are internal reasons here,
//! which the audit log records (`Reason`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use auth_core::{Algorithm, JwtVerifier, KeySet, Reason};
use auth_tests::http::TestServer;
use auth_tests::*;
use serde_json::{Value, json};

const RESOURCE: &str = "https://api.example.com";

/// The RFC 9068 profile (typ `at+jwt`, the seven claims), ES256 and RS256 keys, the test
/// issuer, audience [`RESOURCE`], 30 s of clock skew.
fn profile() -> JwtVerifier {
    JwtVerifier::builder()
        .key(verification_key(Algorithm::ES256))
        .key(verification_key(Algorithm::RS256))
        .issuer(ISSUER)
        .audience(RESOURCE)
        .leeway(Duration::from_secs(30))
        .rfc9068_profile()
        .build()
        .unwrap()
}

fn access_token_claims() -> Value {
    let now = now();
    json!({
        "iss": ISSUER, "aud": RESOURCE, "sub": "user123", "client_id": "client456",
        "iat": now, "exp": now + 600, "jti": "token-id-123", "scope": "orders:read",
    })
}

fn at_jwt(alg: Algorithm, claims: &Value) -> String {
    minter(alg).typ("at+jwt").sign(claims)
}

async fn assert_accepted(verifier: &JwtVerifier, token: &str, what: &str) {
    let answer = call_bearer(verifier, token).await;
    assert_eq!(answer.status, 200, "{what}: {}", answer.text());
}

async fn assert_refused(verifier: &JwtVerifier, token: &str, what: &str) {
    call_bearer(verifier, token)
        .await
        .assert_invalid_token(what);
}

fn with(mut claims: Value, members: Value) -> Value {
    claims
        .as_object_mut()
        .unwrap()
        .extend(members.as_object().unwrap().clone());
    claims
}

/// Case `rfc9068-valid-at-jwt-must-verify`, with ES256 and with RS256 (which RFC 9068 §2.1
/// makes mandatory to support, and the catalog does not test).
#[actix_web::test]
async fn rfc9068_valid_at_jwt_must_verify() {
    let verifier = profile();
    for alg in [Algorithm::ES256, Algorithm::RS256] {
        let token = at_jwt(alg, &access_token_claims());
        assert_accepted(&verifier, &token, &format!("{alg:?}")).await;
        let principal = verifier.verify_now(&token).unwrap();
        assert_eq!(principal.subject(), Some("user123"));
        assert_eq!(principal.claim("client_id"), Some(&json!("client456")));
    }
}

/// Case `rfc9068-typ-must-be-at-jwt`: `JWT` (an ID token's type) and no `typ` are refused;
/// and, where the catalog is silent, the forms RFC 9068 §4 and RFC 7515 §4.1.9 also allow
/// (`application/at+jwt`, any case, as in RFC 9068's own `at+JWT` example) are accepted.
#[actix_web::test]
async fn rfc9068_typ_must_be_at_jwt() {
    let verifier = profile();
    let claims = access_token_claims();
    for typ in ["JWT", "jwt", "at+jwt+x", "application/jwt"] {
        let token = minter(Algorithm::ES256).typ(typ).sign(&claims);
        assert_refused(&verifier, &token, typ).await;
        assert_eq!(verifier.verify_now(&token).unwrap_err(), Reason::WrongType);
    }
    let untyped = minter(Algorithm::ES256)
        .sign_parts(r#"{"alg":"ES256","kid":"kid-ES256"}"#, claims.to_string());
    assert_refused(&verifier, &untyped, "no typ").await;
    for typ in ["at+jwt", "at+JWT", "AT+JWT", "application/at+jwt"] {
        let token = minter(Algorithm::ES256).typ(typ).sign(&claims);
        assert_accepted(&verifier, &token, typ).await;
    }
}

/// Case `rfc9068-token-header-must-contain-alg`: a header without `alg` (RFC 7515 §4.1.1:
/// required) is refused before any key is tried.
#[actix_web::test]
async fn rfc9068_token_header_must_contain_alg() {
    let token = minter(Algorithm::ES256).sign_parts(
        r#"{"typ":"at+jwt","kid":"kid-ES256"}"#,
        access_token_claims().to_string(),
    );
    assert_refused(&profile(), &token, "no alg").await;
}

/// Case `rfc9068-signature-failure-must-reject-token`: a corrupted signature, and a signature
/// by another key under the same `kid`.
#[actix_web::test]
async fn rfc9068_signature_failure_must_reject_token() {
    let verifier = profile();
    let good = at_jwt(Algorithm::ES256, &access_token_claims());
    let (message, signature) = good.rsplit_once('.').unwrap();
    let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
    let corrupted = format!("{message}.{flipped}{}", &signature[1..]);
    assert_refused(&verifier, &corrupted, "corrupted signature").await;
    let impostor = auth_core::testing::Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE)
        .kid(Some("kid-RS256"))
        .typ("at+jwt")
        .sign(&access_token_claims());
    assert_refused(&verifier, &impostor, "another key's signature").await;
    assert_eq!(
        verifier.verify_now(&impostor).unwrap_err(),
        Reason::BadSignature
    );
}

/// Case `rfc9068-issuer-must-match`: exact string comparison (RFC 9068 §4), so a trailing
/// slash on one side only is a mismatch too (the variant the catalog leaves out); with the
/// slash on both sides it matches.
#[actix_web::test]
async fn rfc9068_issuer_must_match() {
    let verifier = profile();
    for iss in [
        "https://wrong-issuer.com",
        &format!("{ISSUER}/"),
        &ISSUER.to_uppercase(),
    ] {
        let token = at_jwt(
            Algorithm::ES256,
            &with(access_token_claims(), json!({"iss": iss})),
        );
        assert_refused(&verifier, &token, iss).await;
    }
    let slashed = JwtVerifier::builder()
        .key(verification_key(Algorithm::ES256))
        .issuer("https://auth.example.com/")
        .audience(RESOURCE)
        .rfc9068_profile()
        .build()
        .unwrap();
    let token = at_jwt(
        Algorithm::ES256,
        &with(
            access_token_claims(),
            json!({"iss": "https://auth.example.com/"}),
        ),
    );
    assert_accepted(&slashed, &token, "the slash on both sides").await;
    let unslashed = at_jwt(
        Algorithm::ES256,
        &with(
            access_token_claims(),
            json!({"iss": "https://auth.example.com"}),
        ),
    );
    assert_refused(&slashed, &unslashed, "the slash on one side").await;
}

/// Case `rfc9068-audience-must-match-resource`.
#[actix_web::test]
async fn rfc9068_audience_must_match_resource() {
    let verifier = profile();
    for aud in [
        json!("https://wrong-audience.com"),
        json!(["https://a.example", "https://b.example"]),
        json!(format!("{RESOURCE}/")),
    ] {
        let token = at_jwt(
            Algorithm::ES256,
            &with(access_token_claims(), json!({"aud": aud})),
        );
        assert_refused(&verifier, &token, &aud.to_string()).await;
    }
}

/// Case `rfc8707-verifier-must-accept-resource-when-present-in-aud-array`.
#[actix_web::test]
async fn rfc8707_verifier_must_accept_resource_when_present_in_aud_array() {
    let token = at_jwt(
        Algorithm::ES256,
        &with(
            access_token_claims(),
            json!({"aud": ["https://other.example.com", RESOURCE]}),
        ),
    );
    assert_accepted(&profile(), &token, "the resource among others").await;
}

/// Case `rfc9068-expiration-and-clock-skew-must-be-enforced`, with 30 s of skew, and the
/// equality edges the catalog omits: `exp` is exclusive (refused at `exp` + skew), `nbf`
/// inclusive (accepted at `nbf` - skew).
#[actix_web::test]
async fn rfc9068_expiration_and_clock_skew_must_be_enforced() {
    let verifier = profile();
    let now = now() as i64;
    for (members, accepted, what) in [
        (json!({"exp": now - 60}), false, "exp past beyond the skew"),
        (
            json!({"exp": now - 30}),
            false,
            "exp + skew == now: refused (exclusive)",
        ),
        (json!({"exp": now - 10}), true, "exp past within the skew"),
        (json!({"nbf": now + 60}), false, "nbf ahead beyond the skew"),
        (json!({"nbf": now + 10}), true, "nbf ahead within the skew"),
        (
            json!({"nbf": now + 29}),
            true,
            "nbf - skew just before now: accepted",
        ),
    ] {
        let token = at_jwt(Algorithm::ES256, &with(access_token_claims(), members));
        if accepted {
            assert_accepted(&verifier, &token, what).await;
        } else {
            // `invalid_token`, with the description when it is the expiry (RFC 6750 §3).
            let answer = call_bearer(&verifier, &token).await;
            assert_eq!(answer.status, 401, "{what}");
            assert!(
                answer
                    .challenge()
                    .unwrap()
                    .starts_with(r#"Bearer realm="orders", error="invalid_token""#),
                "{what}"
            );
        }
    }
    let expired = at_jwt(
        Algorithm::ES256,
        &with(access_token_claims(), json!({"exp": now - 60})),
    );
    let answer = call_bearer(&verifier, &expired).await;
    assert_eq!(
        answer.challenge(),
        Some(
            r#"Bearer realm="orders", error="invalid_token", error_description="The access token expired""#
        )
    );
}

/// Case `rfc9068-nbf-must-be-honored-when-present`: five minutes ahead, past the 30 s skew.
#[actix_web::test]
async fn rfc9068_nbf_must_be_honored_when_present() {
    let verifier = profile();
    let token = at_jwt(
        Algorithm::ES256,
        &with(access_token_claims(), json!({"nbf": now() + 300})),
    );
    assert_refused(&verifier, &token, "nbf in five minutes").await;
    assert_eq!(
        verifier.verify_now(&token).unwrap_err(),
        Reason::NotYetValid
    );
}

/// Case `rfc8725-kid-must-resolve-through-jwks-with-single-refresh-on-miss`: the key set starts
/// empty; a token naming a `kid` it lacks makes one refetch, which finds the key (accepted);
/// a token naming a `kid` still absent after it is refused and makes no second fetch within the
/// cool-down (never a loop).
#[actix_web::test]
async fn rfc8725_kid_must_resolve_through_jwks_with_single_refresh_on_miss() {
    let fetches = Arc::new(AtomicU64::new(0));
    let served = fetches.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let jwks = TestServer::start(move || {
        let server = HttpServer::new(move || {
            let served = served.clone();
            App::new().route(
                "/jwks",
                web::get().to(move || {
                    let n = served.fetch_add(1, Ordering::SeqCst);
                    // Empty at first; the key appears from the second fetch on.
                    let keys: Vec<Value> = if n == 0 {
                        vec![]
                    } else {
                        vec![minter(Algorithm::ES256).jwk()]
                    };
                    async move { HttpResponse::Ok().json(json!({ "keys": keys })) }
                }),
            )
        })
        .workers(1)
        .listen(listener)?;
        let addr = server.addrs()[0];
        Ok((server.run(), addr))
    });
    let verifier = JwtVerifier::builder()
        .key_set(
            KeySet::jwks(format!("http://{}/jwks", jwks.addr)).cooldown(Duration::from_secs(60)),
        )
        .issuer(ISSUER)
        .audience(RESOURCE)
        .build()
        .unwrap();
    let _ = eventually(Duration::from_secs(5), || {
        fetches.load(Ordering::SeqCst) >= 1
    })
    .await;
    let token = at_jwt(Algorithm::ES256, &access_token_claims());
    assert_accepted(&verifier, &token, "found by the one refetch").await;
    assert_eq!(fetches.load(Ordering::SeqCst), 2, "one refetch on the miss");
    let unknown = minter(Algorithm::ES256)
        .kid(Some("kid-unknown"))
        .typ("at+jwt")
        .sign(&access_token_claims());
    for _ in 0..3 {
        assert_refused(&verifier, &unknown, "still absent").await;
    }
    assert!(
        fetches.load(Ordering::SeqCst) <= 3,
        "at most one more fetch for the unknown kid, then the cool-down"
    );
}

/// Polls `ready` every few milliseconds for up to `within`.
async fn eventually(within: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < within {
        if ready() {
            return true;
        }
        actix_rt::time::sleep(Duration::from_millis(5)).await;
    }
    ready()
}

/// Case `authplane-agent-id-must-be-exposed-as-first-class-field`, answered otherwise on
/// purpose: `agent_id` is one vendor's private claim (RFC 7519 §4.3), not a registered one, so
/// `Principal` has no field for it; the claim is there, typed, through `claim` and through
/// `Claims<T>` / `deserialize_claims` with the application's own struct, and absent is `None`.
#[actix_web::test]
async fn authplane_agent_id_must_be_exposed_as_first_class_field_deviation_private_claims_are_typed_by_the_application()
 {
    #[derive(serde::Deserialize, Default)]
    struct Agent {
        #[serde(default)]
        agent_id: String,
        #[serde(default)]
        agent_chain: Vec<String>,
    }
    let verifier = profile();
    let token = at_jwt(
        Algorithm::ES256,
        &with(access_token_claims(), json!({"agent_id": "research-agent"})),
    );
    assert_accepted(&verifier, &token, "an agent's token").await;
    let principal = verifier.verify_now(&token).unwrap();
    assert_eq!(
        principal.claim("agent_id").and_then(Value::as_str),
        Some("research-agent")
    );
    assert_eq!(
        principal.deserialize_claims::<Agent>().unwrap().agent_id,
        "research-agent"
    );
    let plain = verifier
        .verify_now(&at_jwt(Algorithm::ES256, &access_token_claims()))
        .unwrap();
    assert_eq!(plain.claim("agent_id"), None);
    assert_eq!(plain.deserialize_claims::<Agent>().unwrap().agent_id, "");
    assert!(
        plain
            .deserialize_claims::<Agent>()
            .unwrap()
            .agent_chain
            .is_empty()
    );
}

/// Case `authplane-agent-chain-must-be-exposed-as-first-class-field`, answered otherwise on
/// purpose for the same reason: the chain is read, in order, through the application's type.
#[actix_web::test]
async fn authplane_agent_chain_must_be_exposed_as_first_class_field_deviation_private_claims_are_typed_by_the_application()
 {
    #[derive(serde::Deserialize)]
    struct Chain {
        agent_chain: Vec<String>,
    }
    let chain = ["orchestrator", "research-agent", "summarizer"];
    let token = at_jwt(
        Algorithm::ES256,
        &with(access_token_claims(), json!({"agent_chain": chain})),
    );
    let principal = profile().verify_now(&token).unwrap();
    assert_eq!(
        principal.deserialize_claims::<Chain>().unwrap().agent_chain,
        chain
    );
}

/// Case `authplane-nbf-must-be-exposed-as-typed-field-on-verified-claims`, answered otherwise
/// on purpose: registered claims stay claims (`Principal::claim("nbf")`, a JSON number, or a
/// field of the application's `Claims<T>`); there is no invented `0` for an absent `nbf`, which
/// would be indistinguishable from a token valid since 1970.
#[actix_web::test]
async fn authplane_nbf_must_be_exposed_as_typed_field_on_verified_claims_deviation_absent_is_none_not_zero()
 {
    #[derive(serde::Deserialize)]
    struct Times {
        nbf: Option<u64>,
    }
    let nbf = now() - 5;
    let verifier = profile();
    let token = at_jwt(
        Algorithm::ES256,
        &with(access_token_claims(), json!({"nbf": nbf})),
    );
    let principal = verifier.verify_now(&token).unwrap();
    assert_eq!(principal.claim("nbf").and_then(Value::as_u64), Some(nbf));
    assert_eq!(
        principal.deserialize_claims::<Times>().unwrap().nbf,
        Some(nbf)
    );
    let without = verifier
        .verify_now(&at_jwt(Algorithm::ES256, &access_token_claims()))
        .unwrap();
    assert_eq!(without.deserialize_claims::<Times>().unwrap().nbf, None);
}

/// Case `rfc6750-error-response-must-map-error-codes`: expired → `invalid_token` (with the
/// description), a bad signature → `invalid_token`, a missing scope → 403 `insufficient_scope`
/// naming the scope; no credentials → a challenge without `error` (RFC 6750 §3.1).
#[actix_web::test]
async fn rfc6750_error_response_must_map_error_codes() {
    let verifier = profile();
    let expired = at_jwt(
        Algorithm::ES256,
        &with(access_token_claims(), json!({"exp": now() - 120})),
    );
    let answer = call_bearer(&verifier, &expired).await;
    assert_eq!(answer.status, 401);
    assert!(
        answer
            .challenge()
            .unwrap()
            .contains(r#"error="invalid_token""#)
    );
    let forged = at_jwt(Algorithm::ES256, &access_token_claims()) + "A";
    call_bearer(&verifier, &forged)
        .await
        .assert_invalid_token("bad signature");
    let no_scope = at_jwt(
        Algorithm::ES256,
        &with(access_token_claims(), json!({"scope": "orders:write"})),
    );
    let answer = call_bearer(&verifier, &no_scope).await;
    answer.assert_refusal(
        403,
        r#"Bearer realm="orders", error="insufficient_scope", scope="orders:read""#,
        "insufficient_scope",
    );
    let config = config_with(verifier);
    let app = actix_web::test::init_service(App::new().app_data(config).service(protected)).await;
    let answer = call(&app, actix_web::test::TestRequest::get().uri("/p")).await;
    answer.assert_refusal(401, r#"Bearer realm="orders""#, "unauthorized");
}
