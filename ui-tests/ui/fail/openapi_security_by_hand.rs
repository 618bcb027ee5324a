use auth_core::require_auth;

#[require_auth(scheme = "bearer", scope = "orders:read")]
#[utoipa::path(get, path = "/orders", security(("bearer" = [])), responses((status = 200)))]
async fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
