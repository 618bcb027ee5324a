use auth_core::require_auth;

#[require_auth(realm = "orders\r\nX-Injected: 1")]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
