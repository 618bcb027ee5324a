//! Claim layouts (issue 15 item 2): tokens shaped like each provider's documented access
//! tokens (Keycloak `realm_access`/`resource_access`, Entra ID `scp` + `roles`, Auth0
//! `permissions`, Okta `scp` array + `groups`, Google `scope`), signed with real keys and
//! verified by a real actix service, give the same decisions; a missing role is 403
//! `insufficient_scope` whose challenge names the endpoint's scopes only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpResponse, get, web};
use auth_core::claim_layout::{ClaimLayout, ClaimPath};
use auth_core::{
    AuthConfig, JwtVerifier, Principal, RequireAuth, Requirement, Scheme, SchemeSet, require_auth,
};
use auth_tests::*;
use serde_json::{Value, json};

/// Read orders: the scope `orders:read`.
#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/orders")]
async fn orders(user: Principal) -> String {
    format!("{}|{}", user.scopes().join(" "), user.roles().join(" "))
}

/// Refunds: the scope and the role `refunds`.
#[require_auth(scheme = "bearer", scope = "orders:read", role = "refunds")]
#[get("/refunds")]
async fn refunds() -> &'static str {
    "refunds"
}

/// Support staff: any of two roles, no scope.
#[require_auth(scheme = "bearer", any_role = "support admin")]
struct Staff(Principal);

#[get("/staff")]
async fn staff(Staff(user): Staff) -> String {
    user.subject().unwrap_or("?").to_owned()
}

const ADMIN: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
    .with_all_scopes(&["orders:read"])
    .with_all_roles(&["admin"]);

async fn app(
    layout: ClaimLayout,
) -> impl actix_web::dev::Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    let verifier = JwtVerifier::builder()
        .key(verification_key(Algorithm::RS256))
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .claims(layout)
        .build()
        .unwrap();
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier)
        .build()
        .unwrap();
    test::init_service(
        App::new()
            .app_data(config)
            .service(orders)
            .service(refunds)
            .service(staff)
            .service(
                web::scope("/admin")
                    .wrap(RequireAuth::new(&ADMIN))
                    .default_service(web::to(HttpResponse::Ok)),
            ),
    )
    .await
}

/// A token with the test issuer and audience, an hour of validity, and `claims`.
fn token(claims: Value) -> String {
    let minter = minter(Algorithm::RS256);
    let mut all = minter.claims(&[]);
    all.as_object_mut().unwrap().remove("scope");
    for (name, value) in claims.as_object().unwrap() {
        all[name] = value.clone();
    }
    minter.sign(&all)
}

fn get(path: &str, token: &str) -> TestRequest {
    TestRequest::get()
        .uri(path)
        .insert_header(("authorization", format!("Bearer {token}")))
}

/// Statuses of `/orders`, `/refunds`, `/staff`, `/admin/x` for one token.
async fn decisions<S>(app: &S, token: &str) -> [u16; 4]
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let mut out = [0; 4];
    for (i, path) in ["/orders", "/refunds", "/staff", "/admin/x"]
        .iter()
        .enumerate()
    {
        out[i] = call(app, get(path, token)).await.status;
    }
    out
}

/// The one answer of a missing role: `insufficient_scope` naming no scope (the token has the
/// endpoint's scopes: naming them would make a client re-request them and loop) and no role.
async fn assert_missing_role<S>(app: &S, token: &str)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
{
    let answer = call(app, get("/refunds", token)).await;
    answer.assert_refusal(
        403,
        r#"Bearer realm="orders", error="insufficient_scope""#,
        "insufficient_scope",
    );
    assert!(!String::from_utf8_lossy(&answer.raw).contains("refunds\""));
    // No scope on the endpoint: no `scope` parameter at all.
    let answer = call(app, get("/staff", token)).await;
    answer.assert_refusal(
        403,
        r#"Bearer realm="orders", error="insufficient_scope""#,
        "insufficient_scope",
    );
}

#[actix_web::test]
async fn keycloak_realm_and_own_client_roles_count_other_clients_do_not() {
    let app = app(ClaimLayout::keycloak().keycloak_client("orders-api")).await;
    // Shaped like a Keycloak access token (`azp`, `realm_access`, `resource_access`).
    let full = token(json!({
        "typ": "Bearer", "azp": "orders-web", "scope": "openid profile orders:read",
        "realm_access": {"roles": ["default-roles-orders", "support"]},
        "resource_access": {
            "orders-api": {"roles": ["refunds"]},
            "account": {"roles": ["manage-account"]},
            "billing": {"roles": ["admin"]},
        },
    }));
    assert_eq!(decisions(&app, &full).await, [200, 200, 200, 403]);
    let answer = call(&app, get("/orders", &full)).await;
    assert_eq!(
        answer.text(),
        "openid profile orders:read|default-roles-orders support refunds"
    );
    let other_client = token(json!({
        "scope": "orders:read",
        "resource_access": {"billing": {"roles": ["refunds", "support", "admin"]}},
    }));
    assert_eq!(decisions(&app, &other_client).await, [200, 403, 403, 403]);
    assert_missing_role(&app, &other_client).await;
    // A `realm_access` that is not an object refuses the token: fail closed.
    let malformed = token(json!({"scope": "orders:read", "realm_access": ["admin"]}));
    call(&app, get("/orders", &malformed))
        .await
        .assert_invalid_token("realm_access not an object");
}

#[actix_web::test]
async fn entra_scp_string_and_app_roles() {
    let app = app(ClaimLayout::entra()).await;
    let delegated = token(json!({
        "ver": "2.0", "oid": "00000000-0000-0000-0000-000000000001", "tid": "t",
        "scp": "orders:read profile", "roles": ["refunds", "admin"],
    }));
    assert_eq!(decisions(&app, &delegated).await, [200, 200, 200, 200]);
    // `scope` is not where Entra puts scopes.
    let wrong_place = token(json!({"scope": "orders:read", "roles": ["support"]}));
    assert_eq!(decisions(&app, &wrong_place).await, [403, 403, 200, 403]);
    let bad = token(json!({"scp": "orders:read", "roles": "admin"}));
    assert_eq!(
        decisions(&app, &bad).await,
        [200, 403, 200, 200],
        "a string of roles counts"
    );
    let wrong_type = token(json!({"scp": "orders:read", "roles": [1]}));
    call(&app, get("/orders", &wrong_type))
        .await
        .assert_invalid_token("roles of the wrong type");
}

/// Auth0: `scope` is what the client was granted; `permissions` is everything the user may do
/// at the API whatever the client asked for, so it is read as roles, never as scopes (a client
/// granted `openid` must not pass an `orders:read` endpoint because its user could).
#[actix_web::test]
async fn auth0_permissions_are_the_users_roles_never_the_clients_scopes() {
    let service = app(ClaimLayout::auth0()).await;
    let delegated = token(json!({
        "azp": "client-1", "scope": "openid orders:read", "permissions": ["orders:read", "refunds", "support"],
    }));
    assert_eq!(decisions(&service, &delegated).await, [200, 200, 200, 403]);
    let user_only = token(
        json!({"azp": "client-1", "scope": "openid", "permissions": ["orders:read", "admin"]}),
    );
    let answer = call(&service, get("/orders", &user_only)).await;
    assert_eq!(
        answer.status, 403,
        "the user's permission is not the client's scope"
    );
    assert_eq!(
        call(&service, get("/orders", &delegated)).await.text(),
        "openid orders:read|orders:read refunds support"
    );
    // A namespaced roles claim is one member (its dots are not a path).
    let namespaced = "https://orders.example.com/roles";
    let with_namespaced =
        app(ClaimLayout::auth0().with_role_source(ClaimPath::parse(namespaced))).await;
    let t = token(json!({"scope": "orders:read", namespaced: ["admin"]}));
    assert_eq!(decisions(&with_namespaced, &t).await, [200, 403, 200, 200]);
    // A `roles` claim is not Auth0's.
    let with_roles_claim = token(json!({"scope": "orders:read", "roles": ["admin"]}));
    assert_eq!(
        decisions(&service, &with_roles_claim).await,
        [200, 403, 403, 403]
    );
}

/// A role is a name: given as a string, it is one role, never split at its spaces.
#[actix_web::test]
async fn a_role_string_is_one_role() {
    for layout in [
        ClaimLayout::default(),
        ClaimLayout::entra().with_role_source(ClaimPath::member("roles")),
    ] {
        let service = app(layout).await;
        let t =
            token(json!({"scope": "orders:read", "scp": "orders:read", "roles": "support admin"}));
        assert_eq!(decisions(&service, &t).await, [200, 403, 403, 403]);
        let one = token(json!({"scope": "orders:read", "scp": "orders:read", "roles": "admin"}));
        assert_eq!(decisions(&service, &one).await, [200, 403, 200, 200]);
    }
}

#[actix_web::test]
async fn okta_scp_array_and_groups() {
    let app = app(ClaimLayout::okta()).await;
    let okta = token(json!({
        "ver": 1, "cid": "0oa1", "uid": "00u1", "scp": ["orders:read", "openid"],
        "groups": ["Everyone", "refunds", "admin"],
    }));
    assert_eq!(decisions(&app, &okta).await, [200, 200, 200, 200]);
    let everyone = token(json!({"scp": ["orders:read"], "groups": ["Everyone"]}));
    assert_eq!(decisions(&app, &everyone).await, [200, 403, 403, 403]);
}

#[actix_web::test]
async fn google_scope_no_roles() {
    let app = app(ClaimLayout::google()).await;
    let google = token(json!({
        "azp": "1234.apps.googleusercontent.com",
        "scope": "https://www.googleapis.com/auth/userinfo.email orders:read",
        "roles": ["admin"],
    }));
    assert_eq!(decisions(&app, &google).await, [200, 403, 403, 403]);
}

#[actix_web::test]
async fn the_default_layout_reads_rfc9068_roles() {
    let app = app(ClaimLayout::default()).await;
    let rfc9068 = token(json!({"scope": "orders:read", "roles": ["refunds", "support"]}));
    assert_eq!(decisions(&app, &rfc9068).await, [200, 200, 200, 403]);
    let scp = token(json!({"scp": ["orders:read"], "roles": "admin"}));
    assert_eq!(decisions(&app, &scp).await, [200, 403, 200, 200]);
    let bad = token(json!({"scope": "orders:read", "roles": {"admin": true}}));
    call(&app, get("/orders", &bad))
        .await
        .assert_invalid_token("roles of the wrong type");
    // The default verifier (no `claims(..)`) decides the same.
    let config = config();
    let plain = test::init_service(App::new().app_data(config).service(refunds)).await;
    assert_eq!(call(&plain, get("/refunds", &rfc9068)).await.status, 200);
    assert_eq!(call(&plain, get("/refunds", &scp)).await.status, 403);
}

#[test]
fn scope_claim_stays_sugar_over_a_layout() {
    let key = || verification_key(Algorithm::RS256);
    let verifier = JwtVerifier::builder()
        .key(key())
        .claims(ClaimLayout::okta())
        .scope_claim("permissions")
        .build()
        .unwrap();
    let t = token(json!({"scp": ["a"], "permissions": ["b"], "groups": ["g"]}));
    let p = verifier.verify_now(&t).unwrap();
    assert_eq!(
        (p.scopes(), p.roles()),
        (&["b".to_owned()][..], &["g".to_owned()][..])
    );
    let empty = JwtVerifier::builder()
        .key(key())
        .claims(ClaimLayout::default().with_subject(ClaimPath::parse("a..b")))
        .build();
    assert!(empty.is_err());
}
