use auth_core::require_auth;

#[require_auth(scope = "orders:read orders:write orders:read")]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
