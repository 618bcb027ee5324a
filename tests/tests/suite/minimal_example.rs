//! The minimal example: 401 without a token, 403 without the scope, 200 with the token it
//! prints at start-up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use actix_web::App;
use actix_web::test::{self, TestRequest};
use auth_core::testing::Minter;
use auth_core::{Algorithm, DEFAULT_REALM};
use auth_examples::minimal::{DEV_SECRET, auth_config, dev_token, orders};
use auth_tests::call;

#[actix_rt::test]
async fn one_handler_answers_401_403_and_200() {
    let config = auth_config(DEV_SECRET).unwrap();
    let app = test::init_service(App::new().app_data(config).service(orders)).await;
    let get = |token: &str| {
        TestRequest::get()
            .uri("/orders")
            .insert_header(("authorization", format!("Bearer {token}")))
    };

    let anonymous = call(&app, TestRequest::get().uri("/orders")).await;
    let challenge = format!(r#"Bearer realm="{DEFAULT_REALM}""#);
    anonymous.assert_refusal(401, &challenge, "unauthorized");

    let writer = Minter::hmac(Algorithm::HS256, DEV_SECRET).token(&["orders:write"]);
    let weak = call(&app, get(&writer)).await;
    let challenge = format!(
        r#"Bearer realm="{DEFAULT_REALM}", error="insufficient_scope", scope="orders:read""#
    );
    weak.assert_refusal(403, &challenge, "insufficient_scope");

    let printed = call(&app, get(&dev_token(DEV_SECRET, "orders:read"))).await;
    assert_eq!(
        (printed.status, printed.text()),
        (200, "orders of demo\n".to_owned())
    );
}
