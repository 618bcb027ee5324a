use auth_core::require_auth;

#[require_auth(scheme = "bearer", token_in = "header | body")]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
