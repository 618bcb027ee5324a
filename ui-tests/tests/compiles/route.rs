use actix_web::{App, Responder, route};
use auth_core::require_auth;

#[require_auth(scope = "orders:read")]
#[route("/orders", method = "GET", method = "HEAD")]
async fn above() -> impl Responder {
    "orders"
}

#[route("/invoices", method = "GET", method = "HEAD")]
#[require_auth(scope = "invoices:read")]
async fn below() -> impl Responder {
    "invoices"
}

pub(crate) fn run() {
    let _app = App::new().service(above).service(below);
}
