// An error in the attribute of a struct used as an extractor: the only message is ours (the
// macro emits a stub `FromRequest` impl, so the handler does not add a cascade).
use actix_web::{web, App};
use auth_core::{require_auth, Principal};

#[require_auth(scheme = "bearer", scop = "orders:read")]
struct Reader(Principal);

async fn handler(Reader(user): Reader) -> String {
    user.subject().unwrap_or("?").to_owned()
}

fn main() {
    let _ = App::new().route("/", web::get().to(handler));
}
