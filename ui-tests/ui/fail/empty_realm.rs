use auth_core::require_auth;

#[require_auth(realm = "")]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
