use actix_web::{App, Responder, get};
use auth_core::{Principal, require_auth};

#[require_auth(
    scheme = "Bearer",
    scope = "orders:read https://api.example.com/orders!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
    any_scope = "admin support",
    realm = "orders \"EU\" \\ west",
    token_in = "header | Cookie | query | form"
)]
#[get("/orders")]
async fn list_orders(user: Principal) -> impl Responder {
    format!("orders of {}", user.subject().unwrap_or("?"))
}

pub(crate) fn run() {
    let _app = App::new().service(list_orders);
}
