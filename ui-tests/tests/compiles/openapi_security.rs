use actix_web::get;
use auth_core::openapi::SecuritySchemes;
use auth_core::require_auth;
use utoipa::OpenApi;

// Every argument shape: several schemes, all-of and any-of scopes, a trailing comma.
#[require_auth(scheme = "bearer | api_key", scope = "a", any_scope = "b c")]
#[utoipa::path(get, path = "/x", responses((status = 200, description = "ok")),)]
#[get("/x")]
async fn x() -> &'static str {
    "x"
}

// No scheme: every scheme.
#[require_auth]
#[utoipa::path(get, path = "/y", responses((status = 200, description = "ok")))]
#[get("/y")]
async fn y() -> &'static str {
    "y"
}

const SECURITY: SecuritySchemes = SecuritySchemes::DEFAULT;

#[derive(OpenApi)]
#[openapi(paths(x, y), modifiers(&SECURITY))]
struct ApiDoc;

pub(crate) fn run() {
    let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
    assert_eq!(
        doc["paths"]["/x"]["get"]["security"],
        serde_json::json!([
            { "bearer": ["a", "b"] }, { "bearer": ["a", "c"] },
            { "api_key": ["a", "b"] }, { "api_key": ["a", "c"] }
        ])
    );
    assert_eq!(
        doc["paths"]["/y"]["get"]["security"],
        serde_json::json!([{ "bearer": [] }, { "dpop": [] }, { "digest": [] }, { "basic": [] }, { "api_key": [] }])
    );
}
