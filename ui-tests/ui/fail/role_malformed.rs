use auth_core::require_auth;

#[require_auth(scheme = "bearer", role = "admin admin")]
async fn duplicate() -> &'static str {
    "a"
}

#[require_auth(scheme = "bearer", any_role = "")]
async fn empty() -> &'static str {
    "b"
}

#[require_auth(scheme = "bearer", role = "staff  \"ops\"")]
struct Malformed;

fn main() {}
