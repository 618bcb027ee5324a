use auth_core::{Principal, require_auth};

#[require_auth(scope = "orders:read")]
struct Reader(Principal, String);

fn main() {}
