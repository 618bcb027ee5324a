use auth_core::{Principal, require_auth};

#[require_auth(scope = "orders:read")]
enum Reader {
    User(Principal),
}

fn main() {}
