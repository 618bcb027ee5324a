use actix_web::{App, scope};

#[scope("/api")]
mod api {
    use actix_web::{Responder, get, post, web};
    use auth_core::{Principal, require_auth};

    #[require_auth(scope = "orders:read")]
    #[get("/orders")]
    pub async fn list_orders(user: Principal) -> impl Responder {
        format!("orders of {}", user.subject().unwrap_or("?"))
    }

    #[post("/orders")]
    #[require_auth(scope = "orders:write")]
    pub async fn create_order(body: String) -> impl Responder {
        body
    }

    #[get("/orders/{id}")]
    pub async fn public_order(id: web::Path<u64>) -> impl Responder {
        format!("order {id}")
    }
}

pub(crate) fn run() {
    let _app = App::new()
        .service(api::list_orders)
        .service(api::create_order)
        .service(api::public_order);
}
