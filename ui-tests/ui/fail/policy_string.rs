use auth_core::require_auth;

#[require_auth(scheme = "bearer", policy = "owns_order")]
async fn a() -> &'static str {
    "a"
}

fn main() {}
