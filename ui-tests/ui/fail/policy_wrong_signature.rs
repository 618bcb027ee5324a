use actix_web::HttpRequest;
use auth_core::{Decision, Principal, require_auth};

/// Takes the principal by value: a policy borrows it.
fn by_value(_: Principal, _: &HttpRequest) -> Decision {
    Decision::Allow
}

/// Returns a `bool`: a policy returns a `Decision` (`.into()` converts).
fn returns_bool(_: &Principal, _: &HttpRequest) -> bool {
    true
}

/// Forgets the request.
async fn one_argument(_: &Principal) -> Decision {
    Decision::Allow
}

#[require_auth(scheme = "bearer", policy = by_value)]
async fn a() -> &'static str {
    "a"
}

#[require_auth(scheme = "bearer", policy = returns_bool)]
async fn b() -> &'static str {
    "b"
}

#[require_auth(scheme = "bearer", policy = one_argument)]
struct C;

fn main() {}
