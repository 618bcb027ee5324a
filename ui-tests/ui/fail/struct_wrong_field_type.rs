use auth_core::require_auth;

#[require_auth(scope = "orders:read")]
struct Reader(String);

fn main() {}
