use actix_web::{App, Responder, get};
use auth_core::{Principal, require_auth};

#[require_auth(
    scheme = "bearer | DPoP",
    scope = "account:read",
    acr = "urn:orders:mfa phr",
    max_age = 300
)]
#[get("/account/security")]
async fn security(user: Principal) -> impl Responder {
    format!("security of {}", user.subject().unwrap_or("?"))
}

pub(crate) fn run() {
    let _app = App::new().service(security);
}
