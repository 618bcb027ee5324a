use auth_core::require_auth;

#[require_auth(scope = "orders:read \"admin\"")]
async fn quoted() -> &'static str {
    "orders"
}

#[require_auth(scope = r"orders\write")]
async fn backslash() -> &'static str {
    "orders"
}

#[require_auth(any_scope = "orders:read commandes:écrire")]
async fn non_ascii() -> &'static str {
    "orders"
}

fn main() {}
