//! The examples of `#[require_auth]`'s documentation, compiled.

use actix_web::{App, Responder, get, post, routes, scope, web};
use auth_core::{Claims, Principal, require_auth};
use serde::Deserialize;

mod on_a_handler {
    use super::*;

    #[require_auth(scheme = "bearer", scope = "orders:read")]
    #[get("/orders")]
    pub async fn list_orders(user: Principal) -> impl Responder {
        format!("orders of {}", user.subject().unwrap_or("?"))
    }
}

mod on_a_struct {
    use super::*;

    /// A caller allowed to write orders, with their identity.
    #[require_auth(scheme = "bearer", scope = "orders:write")]
    struct OrderWriter(Principal);

    #[derive(Deserialize)]
    struct StaffClaims {
        team: String,
    }

    /// A member of staff, with the token's claims.
    #[require_auth(any_scope = "admin support")]
    struct Staff {
        claims: Claims<StaffClaims>,
    }

    /// Any authenticated caller; the check alone.
    #[require_auth]
    struct Authenticated;

    #[post("/orders")]
    pub async fn create_order(OrderWriter(user): OrderWriter, body: String) -> impl Responder {
        format!("{body} ordered by {}", user.subject().unwrap_or("?"))
    }

    #[post("/orders/{id}/refund")]
    pub async fn refund(staff: Staff, id: web::Path<u64>) -> impl Responder {
        format!("order {id} refunded by team {}", staff.claims.0.team)
    }

    #[get("/ping")]
    pub async fn ping(_: Authenticated) -> impl Responder {
        "pong"
    }
}

mod with_routing_macros {
    use super::*;

    #[get("/orders")]
    #[require_auth(scope = "orders:read")]
    pub async fn list_orders() -> impl Responder {
        "orders"
    }

    #[require_auth(scope = "orders:read")]
    #[routes]
    #[get("/orders/{id}")]
    #[head("/orders/{id}")]
    pub async fn order(id: web::Path<u64>) -> impl Responder {
        format!("order {id}")
    }

    #[scope("/api")]
    pub mod api {
        use super::*;

        #[require_auth(scope = "invoices:read")]
        #[get("/invoices")]
        pub async fn list_invoices() -> impl Responder {
            "invoices"
        }
    }
}

pub(crate) fn run() {
    let _app = App::new()
        .service(on_a_handler::list_orders)
        .service(on_a_struct::create_order)
        .service(on_a_struct::refund)
        .service(on_a_struct::ping)
        .service(with_routing_macros::list_orders)
        .service(with_routing_macros::order)
        .service(with_routing_macros::api::list_invoices);
}
