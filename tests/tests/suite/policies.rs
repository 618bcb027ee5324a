//! Policies beyond scopes (`responses.md`, "Policies beyond scopes"): an application function
//! that sees the verified principal and the request decides last, through real actix services
//! in the three handler forms (attribute on a fn, attribute on a struct extractor, the
//! scope-wide `RequireAuth`), as plain and as `async fn`s. A denial is 403 `forbidden` with no
//! `WWW-Authenticate`; a policy that cannot decide is 503 with `Retry-After`; a policy never
//! runs for a request that failed authentication or scopes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpRequest, HttpResponse, get, web};
use auth_core::{
    Decision, Principal, RequireAuth, Requirement, Scheme, SchemeSet, policy, require_auth,
};
use auth_tests::*;
use serde_json::{Value, json};

const FORBIDDEN_BODY: &str = r#"{"type":"about:blank","title":"Forbidden","status":403,"detail":"The resource's access policy does not allow this request.","error":"forbidden"}"#;
const UNAVAILABLE_BODY: &str = r#"{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"Authentication is temporarily unavailable; retry later.","error":"temporarily_unavailable"}"#;

/// Whether the caller owns the order of the path's `{id}`: the token's `orders` claim lists the
/// ids of the caller's orders.
fn owns(user: &Principal, req: &HttpRequest) -> bool {
    let Some(id) = req.match_info().get("id") else {
        return false;
    };
    user.claim("orders")
        .and_then(Value::as_array)
        .is_some_and(|ids| ids.iter().any(|o| o.as_str() == Some(id)))
}

/// The plain-`fn` ownership policy.
fn owns_order(user: &Principal, req: &HttpRequest) -> Decision {
    owns(user, req).into()
}

// Named as the attribute's paths read (`policy = policies::…`), which the assertions on the
// audit log and OpenAPI quote.
#[allow(clippy::module_inception)]
mod policies {
    use super::*;

    /// The same policy as an `async fn` that really waits before deciding (a lookup).
    pub async fn owns_order_async(user: &Principal, req: &HttpRequest) -> Decision {
        actix_rt::task::yield_now().await;
        owns(user, req).into()
    }

    /// A policy whose data source is down.
    pub async fn orders_db_down(_: &Principal, _: &HttpRequest) -> Decision {
        Decision::Undecided("orders database unreachable")
    }
}

fn undecided(_: &Principal, _: &HttpRequest) -> Decision {
    Decision::Undecided("orders database unreachable")
}

/// Calls of [`counted`]: only the test of calls uses its endpoints.
static COUNTED: AtomicUsize = AtomicUsize::new(0);

fn counted(_: &Principal, _: &HttpRequest) -> Decision {
    COUNTED.fetch_add(1, Ordering::SeqCst);
    Decision::Allow
}

// 1. The attribute on a handler.
#[require_auth(scheme = "bearer", scope = "orders:read", policy = owns_order)]
#[get("/fn/orders/{id}")]
async fn order_fn(id: web::Path<String>, user: Principal) -> String {
    format!("order {id} of {}", user.subject().unwrap_or("?"))
}

#[require_auth(
    scheme = "bearer",
    scope = "orders:read",
    policy = policies::owns_order_async
)]
#[get("/fn-async/orders/{id}")]
async fn order_fn_async(id: web::Path<String>) -> String {
    format!("order {id}")
}

#[require_auth(scheme = "bearer", policy = policies::orders_db_down)]
#[get("/fn/undecided")]
async fn undecided_fn() -> &'static str {
    "never"
}

#[require_auth(scheme = "bearer", scope = "orders:read", policy = counted)]
#[get("/fn/counted")]
async fn counted_fn() -> &'static str {
    "ok"
}

#[require_auth(
    scheme = "bearer",
    scope = "orders:read",
    policy = policies::owns_order_async
)]
#[actix_web::post("/fn-async/orders/{id}/notes")]
async fn note_fn_async(body: web::Json<Value>) -> String {
    body["note"].as_str().unwrap_or("?").to_owned()
}

// 2. The attribute on a struct extractor.
#[require_auth(scheme = "bearer", scope = "orders:read", policy = owns_order)]
struct Owner(Principal);

#[require_auth(
    scheme = "bearer",
    scope = "orders:read",
    policy = policies::owns_order_async
)]
struct AsyncOwner;

#[require_auth(scheme = "bearer", policy = undecided)]
struct Undecided;

#[require_auth(scheme = "bearer", scope = "orders:read", policy = counted)]
struct Counted;

#[get("/struct/orders/{id}")]
async fn order_struct(Owner(user): Owner, id: web::Path<String>) -> String {
    format!("order {id} of {}", user.subject().unwrap_or("?"))
}

#[get("/struct-async/orders/{id}")]
async fn order_struct_async(_: AsyncOwner, id: web::Path<String>) -> String {
    format!("order {id}")
}

/// The guarded struct first, then the body: the body waits for the struct's async policy.
#[actix_web::post("/struct-async/orders/{id}/notes")]
async fn note_struct_async(_: AsyncOwner, body: web::Json<Value>) -> String {
    body["note"].as_str().unwrap_or("?").to_owned()
}

#[get("/struct/undecided")]
async fn undecided_struct(_: Undecided) -> &'static str {
    "never"
}

#[get("/struct/counted")]
async fn counted_struct(_: Counted) -> &'static str {
    "ok"
}

/// A second guard on the same request: the attribute verifies the token and checks the scope,
/// the struct reuses that principal, and its policy still decides.
#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/reused/orders/{id}")]
async fn order_reused(_: Owner, id: web::Path<String>) -> String {
    format!("order {id}")
}

// 3. The scope-wide guard: the policy sees the scope's own path parameters.
const OWNER: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
    .with_all_scopes(&["orders:read"])
    .with_policy(policy!(owns_order));
const ASYNC_OWNER: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
    .with_all_scopes(&["orders:read"])
    .with_policy(policy!(policies::owns_order_async));
const UNDECIDED: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_policy(policy!(undecided));
const COUNTED_SCOPE: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
    .with_all_scopes(&["orders:read"])
    .with_policy(policy!(counted));

async fn app() -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    let guarded = |path: &str, requirement: &'static Requirement| {
        web::scope(path)
            .wrap(RequireAuth::new(requirement))
            .default_service(web::to(HttpResponse::Ok))
    };
    test::init_service(
        App::new()
            .app_data(config())
            .service(order_fn)
            .service(order_fn_async)
            .service(undecided_fn)
            .service(counted_fn)
            .service(order_struct)
            .service(order_struct_async)
            .service(note_fn_async)
            .service(note_struct_async)
            .service(undecided_struct)
            .service(counted_struct)
            .service(order_reused)
            .service(guarded("/scoped/orders/{id}", &OWNER))
            .service(guarded("/scoped-async/orders/{id}", &ASYNC_OWNER))
            .service(guarded("/scoped/undecided", &UNDECIDED))
            .service(guarded("/scoped/counted", &COUNTED_SCOPE)),
    )
    .await
}

/// Every ownership endpoint: the three forms, plain and async, and the reused principal.
const OWNERSHIP: [&str; 7] = [
    "/fn/orders",
    "/fn-async/orders",
    "/struct/orders",
    "/struct-async/orders",
    "/scoped/orders",
    "/scoped-async/orders",
    "/reused/orders",
];

/// A token of alice with `scope`, owning the orders `owned`.
fn token(scope: &str, owned: &[&str]) -> String {
    let mut claims = minter(Algorithm::ES256).claims(&[scope]);
    claims["orders"] = json!(owned);
    minter(Algorithm::ES256).sign(&claims)
}

fn get(path: &str, token: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {token}")))
}

fn assert_forbidden(answer: &Answer, what: &str) {
    answer.assert_problem(403);
    assert!(
        answer.all("www-authenticate").is_empty(),
        "{what}: no challenge, a new token would not help"
    );
    assert_eq!(answer.body, FORBIDDEN_BODY.as_bytes(), "{what}");
    assert!(answer.header("retry-after").is_none(), "{what}");
}

fn assert_undecided(answer: &Answer, what: &str) {
    assert_eq!(answer.status, 503, "{what}");
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json"),
        "{what}"
    );
    assert!(answer.all("www-authenticate").is_empty(), "{what}");
    assert_eq!(answer.header("retry-after"), Some("5"), "{what}");
    assert_eq!(answer.body, UNAVAILABLE_BODY.as_bytes(), "{what}");
}

#[actix_web::test]
async fn the_owner_is_allowed_in_every_form() {
    let app = app().await;
    let mine = token("orders:read", &["17", "18"]);
    for base in OWNERSHIP {
        let answer = call(&app, get(&format!("{base}/17"), &mine)).await;
        assert_eq!(answer.status, 200, "{base}: {}", answer.text());
        assert!(answer.header("www-authenticate").is_none());
    }
    let answer = call(&app, get("/fn/orders/18", &mine)).await;
    assert_eq!(answer.text(), "order 18 of alice");
}

#[actix_web::test]
async fn another_callers_order_is_forbidden_without_a_challenge() {
    let app = app().await;
    let theirs = token("orders:read", &["18"]);
    for base in OWNERSHIP {
        let answer = call(&app, get(&format!("{base}/17"), &theirs)).await;
        assert_forbidden(&answer, base);
    }
    // No `orders` claim at all: the policy decides alone (deny).
    let bare = minter(Algorithm::ES256).token(&["orders:read"]);
    for base in OWNERSHIP {
        assert_forbidden(&call(&app, get(&format!("{base}/17"), &bare)).await, base);
    }
}

#[actix_web::test]
async fn an_undecided_policy_is_503_with_retry_after() {
    let app = app().await;
    let any = token("orders:read", &[]);
    for path in ["/fn/undecided", "/struct/undecided", "/scoped/undecided"] {
        assert_undecided(&call(&app, get(path, &any)).await, path);
    }
}

/// Authentication and scopes come first: with a missing, invalid, expired or under-scoped
/// token the policy is never called, and the answer is the one it would be without a policy.
#[actix_web::test]
async fn a_policy_never_runs_for_a_refused_request() {
    let app = app().await;
    let paths = ["/fn/counted", "/struct/counted", "/scoped/counted"];
    let before = COUNTED.load(Ordering::SeqCst);
    let minted = minter(Algorithm::ES256);
    let forged = Minter::from_pem(Algorithm::RS256, ATTACKER_RSA_PRIVATE)
        .kid(Some("kid-RS256"))
        .token(&["orders:read"]);
    for path in paths {
        let none = call(&app, TestRequest::get().uri(path)).await;
        assert_eq!(none.status, 401, "{path}");
        assert_eq!(none.challenges(), [r#"Bearer realm="orders""#], "{path}");
        call(&app, get(path, &forged))
            .await
            .assert_invalid_token(path);
        call(&app, get(path, "not-a-jwt"))
            .await
            .assert_invalid_token(path);
        let expired = call(&app, get(path, &minted.expired_token(&["orders:read"]))).await;
        assert_eq!(
            (expired.status, expired.error()),
            (401, "token_expired".to_owned())
        );
        let narrow = call(&app, get(path, &token("orders:write", &[]))).await;
        narrow.assert_refusal(
            403,
            r#"Bearer realm="orders", error="insufficient_scope", scope="orders:read""#,
            "insufficient_scope",
        );
    }
    assert_eq!(
        COUNTED.load(Ordering::SeqCst),
        before,
        "no policy call for a refused request"
    );
    for path in paths {
        let ok = call(&app, get(path, &token("orders:read", &[]))).await;
        assert_eq!(ok.status, 200, "{path}");
    }
    assert_eq!(
        COUNTED.load(Ordering::SeqCst),
        before + 3,
        "one call per allowed request"
    );
}

/// The audit log names the policy and its decision; the response never does.
#[actix_web::test]
async fn the_audit_log_names_the_policy_and_the_body_does_not() {
    let app = app().await;
    let (log, _guard) = log::capture_log();
    let theirs = token("orders:read", &["18"]);
    let denied = call(&app, get("/fn/orders/17", &theirs)).await;
    assert_forbidden(&denied, "denied");
    let unsure = call(&app, get("/fn/undecided", &theirs)).await;
    assert_undecided(&unsure, "undecided");
    let text = log.text();
    assert!(
        text.contains("policy owns_order denied the request"),
        "{text}"
    );
    assert!(text.contains("code=\"forbidden\""), "{text}");
    assert!(
        text.contains("policy could not decide: orders database unreachable")
            && text.contains("policy=\"policies::orders_db_down\""),
        "{text}"
    );
    assert!(
        text.contains("policy policies::orders_db_down could not decide"),
        "{text}"
    );
    for answer in [&denied, &unsure] {
        let raw = String::from_utf8_lossy(&answer.raw);
        assert!(!raw.contains("owns_order") && !raw.contains("orders_db_down"));
        assert!(!raw.contains("unreachable") && !raw.contains("alice"));
    }
}

#[test]
fn requirements_name_their_policy() {
    assert_eq!(OWNER.policy().map(|p| p.name()), Some("owns_order"));
    assert_eq!(
        ASYNC_OWNER.policy().map(|p| p.name()),
        Some("policies::owns_order_async")
    );
    assert!(OWNER.validate().is_ok());
    assert_ne!(OWNER, ASYNC_OWNER);
}

/// OpenAPI: a policy is named in the operation's `x-policy` extension, beside `x-step-up`, by
/// the attribute at compile time and by `ExtractorSecurity` for the struct form.
mod openapi {
    use auth_core::openapi::{ExtractorSecurity, SecuritySchemes};
    use utoipa::OpenApi;

    use super::*;

    #[require_auth(scheme = "bearer", scope = "orders:read", acr = "mfa", policy = owns_order)]
    #[utoipa::path(get, path = "/orders/{id}", responses((status = 200, description = "The order")))]
    #[get("/doc/orders/{id}")]
    async fn documented(id: web::Path<String>) -> String {
        id.into_inner()
    }

    #[utoipa::path(get, path = "/owned/{id}", responses((status = 200, description = "The order")))]
    #[get("/doc/owned/{id}")]
    async fn owned(_: Owner, id: web::Path<String>) -> String {
        id.into_inner()
    }

    const SECURITY: SecuritySchemes = SecuritySchemes::DEFAULT;
    const OWNED: ExtractorSecurity = ExtractorSecurity::of::<Owner>("get", "/owned/{id}");

    #[derive(OpenApi)]
    #[openapi(paths(documented, owned), modifiers(&SECURITY, &OWNED))]
    struct Doc;

    #[test]
    fn the_operation_names_its_policy() {
        let doc = serde_json::to_value(Doc::openapi()).unwrap();
        let get = &doc["paths"]["/orders/{id}"]["get"];
        assert_eq!(get["x-policy"], "owns_order");
        assert_eq!(get["x-step-up"], json!({"acr_values": "mfa"}));
        assert_eq!(get["security"], json!([{"bearer": ["orders:read"]}]));
        let by_struct = &doc["paths"]["/owned/{id}"]["get"];
        assert_eq!(by_struct["x-policy"], "owns_order");
        assert_eq!(by_struct["security"], json!([{"bearer": ["orders:read"]}]));
        // The responses stay the application's.
        assert_eq!(
            get["responses"]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["200"]
        );
    }
}

/// An async policy runs while actix polls the handler's other extractors: the body is held back
/// until the policy decided, so a denied caller gets the 403, never the body's 400, and its
/// body is never read.
#[actix_web::test]
async fn the_body_waits_for_an_async_policy() {
    let app = app().await;
    for path in ["/fn-async/orders/7/notes", "/struct-async/orders/7/notes"] {
        let post = |token: &str, body: &'static str| {
            TestRequest::post()
                .uri(path)
                .insert_header(("authorization", format!("Bearer {token}")))
                .insert_header(("content-type", "application/json"))
                .set_payload(body)
        };
        let denied = call(&app, post(&token("orders:read", &["8"]), "{not json")).await;
        assert_eq!(denied.status, 403, "{path}: {}", denied.text());
        assert_eq!(denied.json()["error"], "forbidden", "{path}");
        let allowed = call(
            &app,
            post(&token("orders:read", &["7"]), r#"{"note":"hi"}"#),
        )
        .await;
        assert_eq!(
            (allowed.status, allowed.text()),
            (200, "hi".to_owned()),
            "{path}"
        );
        let bad_body = call(&app, post(&token("orders:read", &["7"]), "{not json")).await;
        assert_eq!(
            bad_body.status, 400,
            "{path}: an allowed request's bad body"
        );
    }
}
