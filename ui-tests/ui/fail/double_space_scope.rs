use auth_core::require_auth;

#[require_auth(scope = "orders:read  orders:write")]
async fn doubled() -> &'static str {
    "orders"
}

#[require_auth(any_scope = "orders:read ")]
async fn trailing() -> &'static str {
    "orders"
}

fn main() {}
