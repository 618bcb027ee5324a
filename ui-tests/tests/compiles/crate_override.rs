use actix_web::{App, Responder, get};
use auth_core::{Principal, require_auth};

mod reexport {
    pub use auth_core as auth;
}

#[require_auth(crate = "auth_core", scope = "orders:read")]
#[get("/orders")]
async fn list_orders(user: Principal) -> impl Responder {
    format!("orders of {}", user.subject().unwrap_or("?"))
}

#[require_auth(crate = "self::reexport::auth")]
#[get("/me")]
async fn me(user: Principal) -> impl Responder {
    format!("{:?}", user.subject())
}

#[require_auth(crate = "::auth_core", scope = "orders:write")]
struct OrderWriter(Principal);

#[get("/orders/new")]
async fn new_order(OrderWriter(user): OrderWriter) -> impl Responder {
    format!("{:?}", user.subject())
}

pub(crate) fn run() {
    let _app = App::new()
        .service(list_orders)
        .service(me)
        .service(new_order);
}
