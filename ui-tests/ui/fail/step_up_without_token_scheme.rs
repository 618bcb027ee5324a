use auth_core::require_auth;

// `acr` and `max_age` are claims of an access token: Basic and API keys have none.
#[require_auth(scheme = "basic | api_key", acr = "urn:orders:mfa", max_age = 300)]
async fn status() -> &'static str {
    "ok"
}

fn main() {}
