use auth_core::{require_auth, Principal};

#[require_auth(scope = "orders:read")]
enum Reader {
    User(Principal),
}

fn main() {}
