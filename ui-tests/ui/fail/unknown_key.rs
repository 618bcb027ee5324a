use auth_core::require_auth;

#[require_auth(scop = "orders:read")]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
