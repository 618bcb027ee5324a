use auth_core::require_auth;

struct Orders;

impl Orders {
    #[require_auth(scope = "orders:read")]
    async fn list(&self) -> &'static str {
        "orders"
    }
}

fn main() {}
