//! The OpenAPI document of the `orders` example tells the truth: for every operation, the
//! `security` it declares is what the running service enforces. Each operation is probed over
//! HTTP: without credentials it must answer 401 with exactly one challenge per declared
//! scheme (and a public one must not); for Bearer alternatives, a token without scopes must get
//! 403 naming exactly the declared scopes, and a token holding one alternative's scopes must
//! pass the guard.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use actix_web::http::{Method, header};
use actix_web::test::{self, TestRequest};
use actix_web::{App, web};
use auth_examples::orders::{ApiDoc, Store, routes};
use auth_tests::{call, orders};
use utoipa::OpenApi as _;

/// The auth-scheme names a 401's `WWW-Authenticate` fields name, mapped to the document's.
fn challenged_schemes(challenges: &[String]) -> BTreeSet<String> {
    challenges
        .iter()
        .map(|c| match c.split(' ').next().unwrap() {
            "Bearer" => "bearer".to_owned(),
            "Basic" => "basic".to_owned(),
            "ApiKey" => "api_key".to_owned(),
            "Digest" => "digest".to_owned(),
            "DPoP" => "dpop".to_owned(),
            other => panic!("unexpected challenge scheme {other}"),
        })
        .collect()
}

#[actix_rt::test]
async fn every_operations_security_matches_what_its_guard_enforces() {
    let settings = orders::settings(None, None);
    let app = test::init_service(
        App::new()
            .app_data(settings.auth_config().unwrap())
            .app_data(web::Data::new(Store::default()))
            .configure(routes),
    )
    .await;

    // The document as served, and as built in-process: the same.
    let res = call(&app, TestRequest::get().uri("/openapi.json")).await;
    assert_eq!(res.status, 200);
    let served = res.json();
    assert_eq!(served, serde_json::to_value(ApiDoc::openapi()).unwrap());
    let schemes = served["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(
        schemes.keys().collect::<Vec<_>>(),
        ["api_key", "basic", "bearer", "digest", "dpop"]
    );

    let mut probed = 0;
    let mut stepped_up = 0;
    let mut with_policy = 0;
    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let uri = path.replace("{id}", "1");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let send = |auth: Option<String>| {
                let mut req = TestRequest::default().method(method.clone()).uri(&uri);
                if let Some(auth) = auth {
                    req = req.insert_header((header::AUTHORIZATION, auth));
                }
                call(&app, req)
            };
            let res = send(None).await;
            let security = operation["security"].as_array();
            let Some(alternatives) = security else {
                assert_ne!(res.status, 401, "{method} {path} is public");
                probed += 1;
                continue;
            };
            // 1. The challenges name exactly the declared schemes.
            assert_eq!(res.status, 401, "{method} {path}");
            let challenges = res.challenges();
            let declared: BTreeSet<String> = alternatives
                .iter()
                .flat_map(|a| a.as_object().unwrap().keys().cloned())
                .collect();
            assert_eq!(challenged_schemes(&challenges), declared, "{method} {path}");

            // 2. Bearer scopes: a token with none gets a 403 naming them all (or passes, when
            //    none are declared); a token with one alternative's scopes passes the guard.
            if !declared.contains("bearer") {
                probed += 1;
                continue;
            }
            let bearer_alternatives: Vec<Vec<String>> = alternatives
                .iter()
                .filter_map(|a| a.get("bearer"))
                .map(|scopes| {
                    scopes
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_owned())
                        .collect()
                })
                .collect();
            let mut all_scopes: Vec<String> = Vec::new();
            for scope in bearer_alternatives.iter().flatten() {
                if !all_scopes.contains(scope) {
                    all_scopes.push(scope.clone());
                }
            }
            // A multi-factor sign-in just now: what the step-up endpoint asks for.
            let minter = orders::minter(&settings)
                .claim("sub", "dora")
                .claim("acr", "urn:orders:mfa")
                .claim("auth_time", auth_tests::now())
                .lifetime(600);
            // 3. Step-up (RFC 9470): the `x-step-up` extension says what the guard demands; a
            //    token without it gets 401 `insufficient_user_authentication` naming the same.
            if let Some(step_up) = operation.get("x-step-up") {
                let plain = orders::minter(&settings).claim("sub", "dora").lifetime(600);
                let res = send(Some(format!("Bearer {}", plain.token(&[""])))).await;
                assert_eq!(res.status, 401, "{method} {path}");
                let challenge = res.challenge().unwrap();
                for (param, value) in step_up.as_object().unwrap() {
                    let value = value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned);
                    let expected = format!("{param}=\"{value}\"");
                    assert!(
                        challenge.contains(&expected),
                        "{method} {path}: {challenge} vs {expected}"
                    );
                }
                stepped_up += 1;
            }
            let bearer = |scope: &str| Some(format!("Bearer {}", minter.token(&[scope])));
            let res = send(bearer("")).await;
            if all_scopes.is_empty() {
                assert!(
                    (200..300).contains(&res.status),
                    "{method} {path}: {}",
                    res.status
                );
            } else {
                assert_eq!(res.status, 403, "{method} {path}");
                let challenge = res.challenge().unwrap();
                let expected = format!("scope=\"{}\"", all_scopes.join(" "));
                assert!(
                    challenge.contains(&expected),
                    "{method} {path}: {challenge:?} vs {expected}"
                );
            }
            // 4. A policy (`x-policy`) decides after the scopes: the scopes alone get past the
            //    guard's own conditions, and the policy may still refuse with 403 `forbidden`
            //    and no challenge (here: the order is not the caller's).
            let policy = operation
                .get("x-policy")
                .and_then(serde_json::Value::as_str);
            for scopes in &bearer_alternatives {
                let res = send(bearer(&scopes.join(" "))).await;
                match policy {
                    Some(name) if res.status == 403 => {
                        assert_eq!(res.json()["error"], "forbidden", "{method} {path} ({name})");
                        assert!(res.challenge().is_none(), "{method} {path}: no challenge");
                        with_policy += 1;
                    }
                    _ => assert!(
                        ![401, 403].contains(&res.status),
                        "{method} {path} with {scopes:?}: {}",
                        res.status
                    ),
                }
            }
            probed += 1;
        }
    }
    assert_eq!(probed, 15, "every operation of the document was probed");
    assert_eq!(stepped_up, 1, "GET /account/security declares its step-up");
    assert_eq!(with_policy, 1, "DELETE /orders/{{id}} declares its policy");
}
