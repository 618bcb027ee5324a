use auth_core::require_auth;

#[require_auth(scheme = "basic | api_key", token_in = "cookie")]
async fn status() -> &'static str {
    "ok"
}

fn main() {}
