use actix_web::{App, Responder, get};
use auth_core::__private::RequirementSource;
use auth_core::{Claims, Principal, Scheme, require_auth};
use serde::Deserialize;

/// Any authenticated caller; nothing kept.
#[require_auth]
struct Authenticated;

#[require_auth(scope = "orders:read")]
struct Braced {}

#[require_auth(scope = "orders:read")]
struct Parens();

#[require_auth(scheme = "bearer", scope = "orders:write")]
struct OrderWriter(Principal);

#[derive(Deserialize)]
struct StaffClaims {
    team: String,
}

#[require_auth(any_scope = "admin support", realm = "staff")]
pub struct Staff {
    claims: Claims<StaffClaims>,
}

#[require_auth(scope = "tenant")]
struct Tenant<T>(Claims<T>)
where
    T: for<'de> Deserialize<'de>;

#[derive(Deserialize)]
struct TenantClaims {
    tenant: String,
}

#[get("/ping")]
async fn ping(_: Authenticated) -> impl Responder {
    "pong"
}

#[get("/orders")]
async fn list_orders(_: Braced, _: Parens) -> impl Responder {
    "orders"
}

#[get("/orders/new")]
async fn new_order(OrderWriter(user): OrderWriter) -> impl Responder {
    format!("{:?}", user.subject())
}

#[get("/staff")]
async fn staff(staff: Staff) -> impl Responder {
    staff.claims.0.team
}

#[get("/tenant")]
async fn tenant(Tenant(Claims(claims)): Tenant<TenantClaims>) -> impl Responder {
    claims.tenant
}

pub(crate) fn run() {
    let _app = App::new()
        .service(ping)
        .service(list_orders)
        .service(new_order)
        .service(staff)
        .service(tenant);

    let writer = OrderWriter::REQUIREMENT;
    assert!(writer.schemes().contains(Scheme::Bearer));
    assert_eq!(writer.all_scopes(), ["orders:write"]);
    assert!(writer.any_scopes().is_empty());
    assert_eq!(writer.realm(), None);

    let staff_req = Staff::REQUIREMENT;
    assert!(staff_req.all_scopes().is_empty());
    assert_eq!(staff_req.any_scopes(), ["admin", "support"]);
    assert_eq!(staff_req.realm(), Some("staff"));

    assert_eq!(
        *Authenticated::REQUIREMENT,
        auth_core::Requirement::AUTHENTICATED
    );
    assert_eq!(<Tenant<TenantClaims>>::REQUIREMENT.all_scopes(), ["tenant"]);
}
