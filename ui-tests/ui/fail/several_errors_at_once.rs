use auth_core::require_auth;

#[require_auth(
    scheme = "bearer | basik",
    scope = "orders:read  orders:write",
    realm = "orders\n",
    scopes = "admin",
    scheme = "bearer"
)]
fn list_orders() -> &'static str {
    "orders"
}

fn main() {}
