use actix_web::{App, Responder, get};
use auth_core::{Principal, require_auth};

/// Lists the caller's orders.
#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/orders")]
pub async fn list_orders(user: Principal) -> impl Responder {
    format!("orders of {}", user.subject().unwrap_or("?"))
}

pub(crate) fn run() {
    let _app = App::new().service(list_orders);
}
