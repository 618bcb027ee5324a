use auth_core::{require_auth, Principal};

#[require_auth(scope = "orders:read")]
struct Reader(Principal, String);

fn main() {}
