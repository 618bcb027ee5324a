use auth_core::require_auth;

#[require_auth(scope = "orders:read", realm = "orders", scope = "orders:write")]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
