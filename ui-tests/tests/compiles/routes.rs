use actix_web::{App, Responder, routes, web};
use auth_core::require_auth;

#[require_auth(scope = "orders:read")]
#[routes]
#[get("/orders/{id}")]
#[head("/orders/{id}")]
async fn above(id: web::Path<u64>) -> impl Responder {
    format!("order {id}")
}

#[routes]
#[get("/invoices/{id}")]
#[require_auth(scope = "invoices:read")]
#[head("/invoices/{id}")]
async fn between(id: web::Path<u64>) -> impl Responder {
    format!("invoice {id}")
}

#[routes]
#[get("/carts/{id}")]
#[head("/carts/{id}")]
#[require_auth(scope = "carts:read")]
async fn below(id: web::Path<u64>) -> impl Responder {
    format!("cart {id}")
}

pub(crate) fn run() {
    let _app = App::new().service(above).service(between).service(below);
}
