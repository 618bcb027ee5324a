use std::fmt::Display;

use actix_web::{App, Responder, web};
use auth_core::require_auth;

#[require_auth(scope = "settings:read")]
pub(crate) async fn show<T>(value: web::Data<T>) -> impl Responder
where
    T: Display + 'static,
{
    format!("value {}", value.get_ref())
}

#[require_auth]
async fn echo<B: Into<String> + actix_web::FromRequest + 'static>(body: B) -> String {
    body.into()
}

pub(crate) fn run() {
    let _app = App::new()
        .app_data(web::Data::new(42_u32))
        .route("/settings", web::get().to(show::<u32>))
        .route("/echo", web::post().to(echo::<String>));
}
