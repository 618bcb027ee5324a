use actix_web::{App, HttpResponse, post, web};
use auth_core::{Principal, require_auth};

#[require_auth(scope = "orders:write")]
#[post("/orders/{id}/cancel")]
async fn cancel(user: Principal, id: web::Path<u64>) -> HttpResponse {
    if *id == 0 {
        return HttpResponse::BadRequest().body("no such order");
    }
    let Some(subject) = user.subject() else {
        return HttpResponse::Forbidden().finish();
    };
    HttpResponse::Ok().body(format!("order {id} cancelled by {subject}"))
}

pub(crate) fn run() {
    let _app = App::new().service(cancel);
}
