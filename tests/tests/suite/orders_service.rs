//! The `orders` example on a real socket, driven by a plain HTTP client that writes raw bytes:
//! its routes and handler forms, HEAD, duplicated fields and the order of extractors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_examples::orders::Settings;
use auth_tests::http::{TestServer, request, send};
use auth_tests::{AUDIENCE, ISSUER, orders};
use serde_json::json;

fn settings() -> Settings {
    orders::settings(Some(ISSUER), Some(AUDIENCE))
}

fn start() -> TestServer {
    orders::start(&settings())
}

fn auth(scope: &str) -> String {
    format!("Authorization: Bearer {}", token(scope))
}

/// What the tests of this file send: `carol`'s token with `scope`, for ten minutes.
fn token(scope: &str) -> String {
    orders::minter(&settings())
        .claim("sub", "carol")
        .lifetime(600)
        .token(&[scope])
}

#[test]
fn routes_answer_per_their_requirement() {
    let srv = start();
    let a = srv.addr;
    assert_eq!(request(a, "GET", "/health", &[]).status, 200);
    assert_eq!(request(a, "GET", "/orders", &[]).status, 401);
    assert_eq!(
        request(a, "GET", "/orders", &[&auth("orders:read")]).status,
        200
    );

    let body = r#"{"item":"book","quantity":2}"#;
    let post = |scope: &str| {
        let req = format!(
            "POST /orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            auth(scope),
            body.len()
        );
        send(a, req.as_bytes())
    };
    let refused = post("orders:read");
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.header("www-authenticate"),
        Some(
            format!(
                r#"Bearer realm="orders", error="insufficient_scope", scope="orders:write"{}"#,
                metadata(a)
            )
            .as_str()
        )
    );
    let created = post("orders:write");
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), Some("/orders/1"));
    let order = created.json();
    assert_eq!(order["owner"], "carol");

    let one = request(a, "GET", "/orders/1", &[&auth("orders:read")]);
    assert_eq!(one.status, 200);
    assert_eq!(request(a, "GET", "/orders/1", &[]).status, 401);

    // DELETE: `orders:write`, then the policy: the owner, or `orders:admin`.
    let dave = format!(
        "Authorization: Bearer {}",
        orders::minter(&settings())
            .claim("sub", "dave")
            .lifetime(600)
            .token(&["orders:write"])
    );
    let refused = request(a, "DELETE", "/orders/1", &[&dave]);
    assert_eq!(refused.status, 403, "another caller's order");
    assert_eq!(refused.header("www-authenticate"), None, "no challenge");
    assert_eq!(refused.json()["error"], "forbidden");
    let missing = request(a, "DELETE", "/orders/99", &[&dave]);
    assert_eq!(
        (missing.status, missing.json()["error"].clone()),
        (403, json!("forbidden")),
        "a missing order reads like another's"
    );
    assert_eq!(
        request(a, "DELETE", "/orders/1", &[&auth("orders:read")]).status,
        403,
        "insufficient_scope before any policy"
    );
    assert_eq!(
        request(a, "DELETE", "/orders/1", &[&auth("orders:write")]).status,
        204,
        "its owner deletes it"
    );
    assert_eq!(
        request(
            a,
            "DELETE",
            "/orders/99",
            &[&auth("orders:write orders:admin")]
        )
        .status,
        404,
        "an administrator learns it does not exist"
    );
    assert_eq!(
        request(a, "GET", "/orders/1", &[&auth("orders:read")]).status,
        404
    );

    assert_eq!(
        request(a, "GET", "/reports", &[&auth("orders:read")]).status,
        403
    );
    assert_eq!(request(a, "GET", "/reports", &[&auth("admin")]).status, 200);

    let me = request(a, "GET", "/me", &[&auth("")]);
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["subject"], "carol");
}

#[test]
fn refusal_comes_before_other_extractors() {
    let srv = start();
    // No credentials and a body that is not JSON: the check answers first (401, not 400).
    let req = "POST /orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{{{{{";
    let res = send(srv.addr, req.as_bytes());
    assert_eq!(res.status, 401);
    assert_eq!(
        res.header("www-authenticate"),
        Some(format!(r#"Bearer realm="orders"{}"#, metadata(srv.addr)).as_str())
    );
}

#[test]
fn raw_wire_forms() {
    let srv = start();
    let a = srv.addr;
    let token = token("orders:read");
    // Two Authorization fields on the wire.
    let dup = request(
        a,
        "GET",
        "/orders",
        &[
            &format!("Authorization: Bearer {token}"),
            &format!("Authorization: Bearer {token}"),
        ],
    );
    assert_eq!(dup.status, 400);
    assert_eq!(
        dup.all("www-authenticate"),
        [
            format!(
                r#"Bearer realm="orders", error="invalid_request"{}"#,
                metadata(a)
            ),
            format!(
                r#"DPoP realm="orders", algs="ES256 ES384 EdDSA Ed25519 PS256 RS256", error="invalid_request"{}"#,
                metadata(a)
            ),
        ]
    );
    // A tab is not the separator; lower-case scheme and two spaces are fine.
    assert_eq!(
        request(
            a,
            "GET",
            "/orders",
            &[&format!("Authorization: Bearer\t{token}")]
        )
        .status,
        400
    );
    assert_eq!(
        request(
            a,
            "GET",
            "/orders",
            &[&format!("authorization: bearer  {token}")]
        )
        .status,
        200
    );
    // One challenge field per accepted scheme (Bearer, DPoP), and a no-store cache directive.
    let none = request(a, "GET", "/orders", &[]);
    assert_eq!(none.all("www-authenticate").len(), 2);
    let bearer_only = request(a, "GET", "/orders/1", &[]);
    assert_eq!(bearer_only.all("www-authenticate").len(), 1);
    assert_eq!(none.header("cache-control"), Some("no-store"));
    assert_eq!(
        none.header("content-type"),
        Some("application/problem+json")
    );
}

#[test]
fn head_gets_the_same_status_and_headers_without_a_body() {
    let srv = start();
    let get = request(srv.addr, "GET", "/orders", &["Authorization: Bearer x.y.z"]);
    let head = request(
        srv.addr,
        "HEAD",
        "/orders",
        &["Authorization: Bearer x.y.z"],
    );
    assert_eq!((get.status, head.status), (401, 401));
    assert!(!get.body.is_empty());
    assert!(head.body.is_empty(), "HEAD carries no body");
    for name in ["www-authenticate", "cache-control", "content-type"] {
        assert_eq!(get.header(name), head.header(name), "{name}");
    }
}

#[test]
fn basic_api_key_and_either_routes() {
    use auth_examples::orders::{DEV_API_KEYS, DEV_OPS_PASSWORD};
    use base64::Engine as _;
    let srv = start();
    let a = srv.addr;
    let basic = |user: &str, pw: &str| {
        format!(
            "Authorization: Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"))
        )
    };
    let none = request(a, "GET", "/ops/status", &[]);
    assert_eq!(none.status, 401);
    assert_eq!(
        none.header("www-authenticate"),
        Some(r#"Basic realm="orders-ops", charset="UTF-8""#)
    );
    assert_eq!(
        request(a, "GET", "/ops/status", &[&basic("ops", DEV_OPS_PASSWORD)]).status,
        200
    );
    assert_eq!(
        request(a, "GET", "/ops/status", &[&basic("ops", "nope")]).status,
        401
    );

    let key = DEV_API_KEYS.split_once('=').unwrap().1;
    let ok = request(a, "GET", "/partner/orders", &[&format!("X-API-Key: {key}")]);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["partner"], "partner-dev");

    let either = request(a, "GET", "/whoami", &[]);
    assert_eq!(
        either.all("www-authenticate"),
        [
            format!(r#"Bearer realm="orders"{}"#, metadata(a)),
            r#"Basic realm="orders", charset="UTF-8""#.to_owned()
        ]
    );
    let me = request(a, "GET", "/whoami", &[&basic("ops", DEV_OPS_PASSWORD)]);
    assert_eq!(me.json()["scheme"], "Basic");
    assert_eq!(request(a, "GET", "/whoami", &[&auth("")]).status, 200);
}

/// The `resource_metadata` parameter every Bearer and DPoP challenge of the service carries
/// (RFC 9728 §5.1): its public origin is its own address.
fn metadata(addr: std::net::SocketAddr) -> String {
    format!(r#", resource_metadata="http://{addr}/.well-known/oauth-protected-resource""#)
}
