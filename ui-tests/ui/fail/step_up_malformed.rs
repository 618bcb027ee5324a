use auth_core::require_auth;

#[require_auth(scheme = "bearer", acr = "urn:mfa  \"pwd\"", max_age = 0)]
async fn account() -> &'static str {
    "ok"
}

#[require_auth(scheme = "bearer | dpop", max_age = "300")]
async fn recent() -> &'static str {
    "ok"
}

#[require_auth(scheme = "dpop", max_age = 300u64)]
async fn suffixed() -> &'static str {
    "ok"
}

fn main() {}
