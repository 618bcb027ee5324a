//! Protected-resource metadata (RFC 9728), through a real actix service: the document is
//! served path-aware at `/.well-known/oauth-protected-resource[/path]` from configuration
//! (never from request headers), and every Bearer and DPoP challenge, 401 and 403, names it in
//! `resource_metadata` (§5.1).
//!
//! Tests named `rfc9728_…` are the cases of the public conformance catalog
//! (`AuthPlane/conformance`, surface `sdk-resource-metadata`), one test per case id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::test::{self, TestRequest};
use actix_web::{App, get};
use auth_core::resource_metadata::ResourceMetadata;
use auth_core::{Algorithm, ApiKeys, AuthConfig, Dpop, DpopMode, Principal, require_auth};
use auth_tests::*;
use serde_json::{Value, json};

const RESOURCE: &str = "https://api.test.example";
const AS: &str = "https://id.test.example";
const METADATA_URL: &str = "https://api.test.example/.well-known/oauth-protected-resource";

#[require_auth(scheme = "bearer | dpop | api_key", scope = "orders:read")]
#[get("/orders")]
async fn orders(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

fn metadata(resource: &str) -> ResourceMetadata {
    ResourceMetadata::builder(resource)
        .authorization_server(AS)
        .scopes_supported(["orders:read", "orders:write"])
        .resource_name("Orders")
        .build()
        .unwrap()
}

fn config(metadata: ResourceMetadata, dpop: Option<Dpop>) -> AuthConfig {
    let mut b = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .api_keys(
            ApiKeys::builder()
                .key("ci", "k_8c1f2d9e6b7a40f1c3d2")
                .build()
                .unwrap(),
        )
        .resource_metadata(metadata);
    if let Some(dpop) = dpop {
        b = b.dpop(dpop);
    }
    b.build().unwrap()
}

/// The document as served by the application at `path`.
async fn served(config: AuthConfig, path: &str) -> Answer {
    let metadata = config.resource_metadata_service().unwrap();
    let app = test::init_service(
        App::new()
            .app_data(config)
            .service(metadata)
            .service(orders),
    )
    .await;
    call(
        &app,
        TestRequest::get()
            .uri(path)
            .insert_header(("host", "evil.example")),
    )
    .await
}

async fn document(config: AuthConfig, path: &str) -> Value {
    let answer = served(config, path).await;
    assert_eq!(answer.status, 200, "{path}");
    assert_eq!(answer.header("content-type"), Some("application/json"));
    answer.json()
}

/// Case `rfc9728-prm-must-contain-required-fields`.
#[actix_web::test]
async fn rfc9728_prm_must_contain_required_fields() {
    let doc = document(
        config(metadata(RESOURCE), None),
        "/.well-known/oauth-protected-resource",
    )
    .await;
    assert_eq!(doc["resource"], RESOURCE);
    assert_eq!(doc["authorization_servers"], json!([AS]));
    assert_eq!(
        doc["scopes_supported"],
        json!(["orders:read", "orders:write"])
    );
    assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    assert_eq!(doc["resource_name"], "Orders");
    assert!(
        doc.get("dpop_signing_alg_values_supported").is_none(),
        "no DPoP configured"
    );
}

/// Case `rfc9728-prm-authorization-servers-must-list-the-issuer`; and the document is built
/// from configuration: the request's `Host` (here `evil.example`) never reaches it.
#[actix_web::test]
async fn rfc9728_prm_authorization_servers_must_list_the_issuer() {
    let answer = served(
        config(metadata(RESOURCE), None),
        "/.well-known/oauth-protected-resource",
    )
    .await;
    assert_eq!(answer.json()["authorization_servers"], json!([AS]));
    assert!(!answer.text().contains("evil.example"));
}

/// Case `rfc9728-prm-supported-bearer-methods-should-be-stable`.
#[actix_web::test]
async fn rfc9728_prm_supported_bearer_methods_should_be_stable() {
    for dpop in [None, Some(Dpop::builder(RESOURCE).build().unwrap())] {
        let doc = document(
            config(metadata(RESOURCE), dpop),
            "/.well-known/oauth-protected-resource",
        )
        .await;
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
    }
}

/// Case `rfc9728-well-known-path-must-derive-from-resource-uri`: the well-known segment goes
/// between the host and the resource's path; the slash right after the host is removed.
#[actix_web::test]
async fn rfc9728_well_known_path_must_derive_from_resource_uri() {
    for (resource, path) in [
        (
            "https://api.test.example",
            "/.well-known/oauth-protected-resource",
        ),
        (
            "https://api.test.example/",
            "/.well-known/oauth-protected-resource",
        ),
        (
            "https://api.test.example/mcp",
            "/.well-known/oauth-protected-resource/mcp",
        ),
        (
            "https://api.test.example/v2/mcp",
            "/.well-known/oauth-protected-resource/v2/mcp",
        ),
    ] {
        let m = metadata(resource);
        assert_eq!(m.path(), path, "{resource}");
        assert_eq!(
            m.url(),
            format!("https://api.test.example{path}"),
            "{resource}"
        );
        let doc = document(config(m, None), path).await;
        assert_eq!(doc["resource"], resource);
    }
    let elsewhere = served(
        config(metadata("https://api.test.example/mcp"), None),
        "/.well-known/oauth-protected-resource",
    )
    .await;
    assert_eq!(elsewhere.status, 404, "served only at its own path");
}

/// Case `rfc9728-well-known-path-must-derive-from-resource-uri`, deviation: the catalog drops a
/// path's trailing slash (`/mcp/` like `/mcp`); RFC 9728 §3.1 removes only a terminating slash
/// right after the host, so `/mcp/` keeps it, and its metadata is another document's.
#[actix_web::test]
async fn rfc9728_well_known_path_must_derive_from_resource_uri_deviation_path_slash_kept() {
    let m = metadata("https://api.test.example/mcp/");
    assert_eq!(m.path(), "/.well-known/oauth-protected-resource/mcp/");
    let doc = document(
        config(m, None),
        "/.well-known/oauth-protected-resource/mcp/",
    )
    .await;
    assert_eq!(doc["resource"], "https://api.test.example/mcp/");
}

/// `bearer_methods_supported` says what the application accepts: the header, and the query
/// or form body where it enables them (cookies are not an RFC 6750 method).
#[actix_web::test]
async fn bearer_methods_follow_the_token_locations() {
    use auth_core::transport::{TokenLocation, TokenLocations};
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .token_locations(
            TokenLocations::HEADER
                .with(TokenLocation::Query)
                .with(TokenLocation::Cookie),
        )
        .resource_metadata(metadata(RESOURCE))
        .build()
        .unwrap();
    let doc = document(config, "/.well-known/oauth-protected-resource").await;
    assert_eq!(doc["bearer_methods_supported"], json!(["header", "query"]));
}

/// Case `rfc9728-prm-dpop-fields-should-be-advertised-when-dpop-is-supported`.
#[actix_web::test]
async fn rfc9728_prm_dpop_fields_should_be_advertised_when_dpop_is_supported() {
    let dpop = Dpop::builder(RESOURCE)
        .algorithms(&[Algorithm::ES256, Algorithm::RS256])
        .build()
        .unwrap();
    let doc = document(
        config(metadata(RESOURCE), Some(dpop)),
        "/.well-known/oauth-protected-resource",
    )
    .await;
    assert_eq!(
        doc["dpop_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    assert_eq!(doc["dpop_bound_access_tokens_required"], false);
}

/// Case `rfc9728-prm-must-advertise-dpop-required-when-resource-requires-dpop`.
#[actix_web::test]
async fn rfc9728_prm_must_advertise_dpop_required_when_resource_requires_dpop() {
    let dpop = Dpop::builder(RESOURCE)
        .mode(DpopMode::Required)
        .build()
        .unwrap();
    let doc = document(
        config(metadata(RESOURCE), Some(dpop)),
        "/.well-known/oauth-protected-resource",
    )
    .await;
    assert_eq!(doc["dpop_bound_access_tokens_required"], true);
}

/// Every 401 and 403 challenge of the token schemes names the document; the API-key
/// challenge does not (RFC 9728 §5.1 is about bearer-style tokens).
#[actix_web::test]
async fn every_token_challenge_names_the_metadata() {
    let config = config(
        metadata(RESOURCE),
        Some(Dpop::builder(RESOURCE).build().unwrap()),
    );
    let app = test::init_service(App::new().app_data(config).service(orders)).await;
    let algs = "ES256 ES384 EdDSA Ed25519 PS256 RS256";
    let none = call(&app, TestRequest::get().uri("/orders")).await;
    assert_eq!(
        none.challenges(),
        [
            format!(r#"Bearer realm="orders", resource_metadata="{METADATA_URL}""#),
            format!(r#"DPoP realm="orders", algs="{algs}", resource_metadata="{METADATA_URL}""#),
            r#"ApiKey realm="orders""#.to_owned(),
        ]
    );
    let bad = TestRequest::get()
        .uri("/orders")
        .insert_header(("authorization", "Bearer a.b.c"));
    let answer = call(&app, bad).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.challenges()[0],
        format!(
            r#"Bearer realm="orders", error="invalid_token", resource_metadata="{METADATA_URL}""#
        )
    );
    let no_scope = TestRequest::get().uri("/orders").insert_header((
        "authorization",
        format!(
            "Bearer {}",
            minter(Algorithm::ES256).token(&["orders:write"])
        ),
    ));
    let answer = call(&app, no_scope).await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.challenges()[0],
        format!(
            r#"Bearer realm="orders", error="insufficient_scope", scope="orders:read", resource_metadata="{METADATA_URL}""#
        )
    );
    assert!(answer.challenges()[1].ends_with(&format!(r#"resource_metadata="{METADATA_URL}""#)));
}

#[test]
fn a_resource_that_is_not_a_url_or_has_a_fragment_is_refused() {
    for bad in [
        "api.test.example",
        "https://api.test.example/#x",
        "ftp://api.test.example",
        "https://u@api.test.example",
        "https://API.test.example",
        "https://api.test.example:443/x",
    ] {
        assert!(ResourceMetadata::builder(bad).build().is_err(), "{bad}");
    }
}
