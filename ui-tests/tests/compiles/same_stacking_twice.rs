use actix_web::{App, Responder, get, post};
use auth_core::require_auth;

#[require_auth(scope = "orders:read")]
#[get("/orders")]
async fn list_orders() -> impl Responder {
    "orders"
}

#[require_auth(scope = "orders:read")]
#[get("/orders/count")]
async fn count_orders() -> impl Responder {
    "0"
}

#[get("/invoices")]
#[require_auth(scope = "invoices:read")]
async fn list_invoices() -> impl Responder {
    "invoices"
}

#[post("/invoices")]
#[require_auth(scope = "invoices:read")]
async fn create_invoice() -> impl Responder {
    "created"
}

// Two requirements on one handler: both must pass.
#[require_auth(scope = "reports:read")]
#[require_auth(scheme = "bearer")]
#[get("/reports")]
async fn reports() -> impl Responder {
    "reports"
}

pub(crate) fn run() {
    let _app = App::new()
        .service(list_orders)
        .service(count_orders)
        .service(list_invoices)
        .service(create_invoice)
        .service(reports);
}
