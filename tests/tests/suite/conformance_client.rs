//! The client-side cases of the conformance catalog (`AuthPlane/conformance`, every surface
//! `sdk-client.*`), each named by its case id, run against `auth-client` talking over real HTTP
//! to a scripted authorization server on 127.0.0.1 (`auth_tests::mock_as`). The catalog's
//! authorization server is `https://auth.example.com`; here it is the mock's loopback `http`
//! origin, the one plain-http origin `auth-client` sends credentials to. The cases that need
//! an endpoint to be refused for plain `http` use `http://auth.example.com/...` URLs, which are
//! refused before any request is sent.
//!
//! The catalog's error categories map to `auth_client::Error` variants: `protocol_error` is
//! `BadResponse`, `metadata_fetch_error`, `missing_metadata_endpoint` and
//! `metadata_or_transport_failure` are `Discovery`, `validation_error` is
//! `MissingSubjectToken`, and the RFC 6749 §5.2 codes (`invalid_client`, `invalid_grant`,
//! `server_error`) are `TokenRefused` with that `error`. Form bodies are compared as decoded
//! pairs (`url::form_urlencoded::parse`), never as raw substrings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use auth_client::{
    ACCESS_TOKEN_TYPE, AuthorizationServer, ClientAuth, DpopKey, Error, OAuthClient, Secret,
    TokenKind, TokenRequest,
};
use auth_tests::mock_as::{MockAs, Recorded, Reply};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use url::Url;

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const SUBJECT: &str = "eyJ...";

// ---- helpers ---------------------------------------------------------------------------

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// The mock configured by hand: issuer `base()`, `/token`, `/introspect`, `/revoke`.
fn server(mock: &MockAs) -> AuthorizationServer {
    AuthorizationServer::new(mock.base(), &mock.url("/token"))
        .unwrap()
        .with_introspection_endpoint(&mock.url("/introspect"))
        .unwrap()
        .with_revocation_endpoint(&mock.url("/revoke"))
        .unwrap()
}

fn client(mock: &MockAs, auth: ClientAuth) -> OAuthClient {
    OAuthClient::new(http(), server(mock), auth)
}

fn basic_client(mock: &MockAs) -> OAuthClient {
    client(
        mock,
        ClientAuth::secret_basic("my-client-id", "my-client-secret"),
    )
}

fn dpop_client(mock: &MockAs) -> OAuthClient {
    client(mock, ClientAuth::secret_basic("svc", "s3cret"))
        .with_dpop(DpopKey::generate_es256().unwrap())
}

fn token_reply(body: Value) -> Reply {
    Reply::json(200, &body)
}

fn bearer(access_token: &str) -> Reply {
    token_reply(json!({"access_token": access_token, "token_type": "Bearer"}))
}

fn dpop_token(access_token: &str) -> Reply {
    token_reply(json!({"access_token": access_token, "token_type": "DPoP"}))
}

fn exchanged() -> Reply {
    token_reply(json!({
        "access_token": "exchanged_token", "token_type": "Bearer",
        "issued_token_type": ACCESS_TOKEN_TYPE,
    }))
}

fn exchange_request() -> TokenRequest {
    TokenRequest::new().subject_token(SUBJECT, "")
}

/// The one request the mock got for `path`.
fn only(mock: &MockAs, path: &str) -> Recorded {
    let mut requests = mock.requests_to(path);
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request to {path}, got {:?}",
        mock.requests()
    );
    requests.remove(0)
}

fn assert_bad_response(err: &Error, hint: &str) {
    assert!(
        matches!(err, Error::BadResponse(_)),
        "expected BadResponse (protocol_error), got {err:?}"
    );
    assert!(
        err.to_string().contains(hint),
        "the error `{err}` does not name `{hint}`"
    );
}

fn assert_discovery(err: &Error, hint: &str) {
    assert!(
        matches!(err, Error::Discovery(_)),
        "expected Discovery, got {err:?}"
    );
    assert!(
        err.to_string().contains(hint),
        "the error `{err}` does not name `{hint}`"
    );
}

fn assert_refused(err: &Error, status: u16, code: &str) {
    match err {
        Error::TokenRefused { status: s, .. } => assert_eq!(*s, status, "{err:?}"),
        other => panic!("expected TokenRefused {status} {code}, got {other:?}"),
    }
    assert_eq!(err.oauth_error(), Some(code), "{err:?}");
}

fn b64json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// The JOSE header and claims of a compact JWS (three parts).
fn jws(proof: &str) -> (Value, Value) {
    let parts: Vec<&str> = proof.split('.').collect();
    assert_eq!(parts.len(), 3, "not a compact JWS: {proof}");
    (b64json(parts[0]), b64json(parts[1]))
}

/// The claims of the DPoP proof a recorded request carried.
fn proof_claims(request: &Recorded) -> Value {
    let proof = request
        .header("dpop")
        .expect("the request carries a DPoP proof");
    jws(proof).1
}

fn metadata(mock: &MockAs, extra: &Value) -> Value {
    let mut doc = json!({
        "issuer": mock.base(),
        "jwks_uri": mock.url("/jwks.json"),
    });
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    doc
}

// ---- sdk-client.discovery ----------------------------------------------------------------

/// Case `rfc8414-metadata-issuer-must-match-configured-issuer` (RFC 8414 §3.3, §6.2): a
/// metadata `issuer` other than the configured one, also one differing by a trailing slash
/// only, fails discovery with "issuer mismatch", and no server handle is produced.
#[tokio::test]
async fn rfc8414_metadata_issuer_must_match_configured_issuer() {
    let mock = MockAs::start();
    mock.metadata(
        "",
        &json!({"issuer": "https://evil.example.com",
                "jwks_uri": "https://auth.example.com/.well-known/jwks.json"}),
    );
    let err = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap_err();
    assert_discovery(&err, "issuer mismatch");

    // Variant: configured without a trailing slash, the document has one.
    let mock = MockAs::start();
    mock.metadata(
        "",
        &json!({"issuer": format!("{}/", mock.base()),
                "jwks_uri": "https://auth.example.com/.well-known/jwks.json"}),
    );
    let err = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap_err();
    assert_discovery(&err, "issuer mismatch");
    assert_eq!(
        mock.requests()[0].path,
        "/.well-known/oauth-authorization-server",
        "the document that was refused is the one served"
    );
}

/// Case `rfc8414-jwks-uri-required-for-jwt-validation` (RFC 8414 §2, RFC 9068): metadata
/// without `jwks_uri` yields no JWKS location; asking for it fails naming `jwks_uri`, no URL is
/// guessed. (`jwks_uri` is OPTIONAL in RFC 8414, so discovery itself succeeds; the refusal
/// comes when the JWKS location is needed, which the catalog allows.)
#[tokio::test]
async fn rfc8414_jwks_uri_required_for_jwt_validation() {
    let mock = MockAs::start();
    mock.metadata("", &json!({"issuer": mock.base()}));
    let server = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap();
    let err = server.jwks_uri().unwrap_err();
    assert_discovery(&err, "jwks_uri");
    assert_eq!(mock.requests().len(), 1, "nothing but the metadata fetched");
}

/// Case `rfc8414-metadata-must-contain-issuer` (RFC 8414 §2, §3.3): a document without
/// `issuer`, or with an empty one, fails discovery naming `issuer`; the configured issuer is
/// not used as a fallback.
#[tokio::test]
async fn rfc8414_metadata_must_contain_issuer() {
    for doc in [
        json!({"jwks_uri": "https://auth.example.com/.well-known/jwks.json"}),
        json!({"issuer": "", "jwks_uri": "https://auth.example.com/.well-known/jwks.json"}),
    ] {
        let mock = MockAs::start();
        mock.metadata("", &doc);
        let err = AuthorizationServer::discover(&http(), &mock.base())
            .await
            .unwrap_err();
        assert_discovery(&err, "issuer");
        assert!(!err.to_string().contains("mismatch"), "{err}");
    }
}

/// Case `rfc8414-jwks-uri-must-be-absolute-https-url` (RFC 8414 §2, §6.1): a relative
/// `jwks_uri` is not resolved against the issuer, and a plain-`http` non-loopback one is not
/// accepted: discovery fails.
#[tokio::test]
async fn rfc8414_jwks_uri_must_be_absolute_https_url() {
    for jwks_uri in ["/relative-jwks", "http://auth.example.com/jwks.json"] {
        let mock = MockAs::start();
        mock.metadata("", &json!({"issuer": mock.base(), "jwks_uri": jwks_uri}));
        let err = AuthorizationServer::discover(&http(), &mock.base())
            .await
            .unwrap_err();
        assert_discovery(&err, "jwks_uri");
    }
}

/// Case `rfc8414-jwks-uri-rotation-must-reconfigure-jwks-cache` (RFC 8414 §2 `jwks_uri`,
/// §3; RFC 8725): after the metadata changes (`rediscover`), every handle of the server,
/// including the one inside an existing client, names the new `jwks_uri`; nothing is
/// recreated.
#[tokio::test]
async fn rfc8414_jwks_uri_rotation_must_reconfigure_jwks_cache() {
    let mock = MockAs::start();
    let v1 = mock.url("/jwks-v1.json");
    let v2 = mock.url("/jwks-v2.json");
    mock.metadata("", &json!({"issuer": mock.base(), "jwks_uri": v1}));
    mock.metadata("", &json!({"issuer": mock.base(), "jwks_uri": v2}));
    let server = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap();
    let client = OAuthClient::new(http(), server.clone(), ClientAuth::none("cli"));
    assert_eq!(server.jwks_uri().unwrap().as_str(), v1);
    server.rediscover(&http()).await.unwrap();
    assert_eq!(server.jwks_uri().unwrap().as_str(), v2);
    assert_eq!(client.server().jwks_uri().unwrap().as_str(), v2);
    assert_eq!(mock.requests().len(), 2);
}

/// Case `rfc8414-discovery-url-must-insert-well-known-before-issuer-path` (RFC 8414 §3, §3.1):
/// for issuer `<origin>/tenant-a` the document is read from
/// `<origin>/.well-known/oauth-authorization-server/tenant-a`, first; the appended form (here
/// a 404) is never needed.
#[tokio::test]
async fn rfc8414_discovery_url_must_insert_well_known_before_issuer_path() {
    let mock = MockAs::start();
    let issuer = mock.url("/tenant-a");
    mock.metadata(
        "/tenant-a",
        &json!({"issuer": issuer, "jwks_uri": mock.url("/jwks.json")}),
    );
    mock.reply(
        "/tenant-a/.well-known/oauth-authorization-server",
        Reply::json(404, &json!({})),
    );
    let server = AuthorizationServer::discover(&http(), &issuer)
        .await
        .unwrap();
    assert_eq!(server.issuer(), issuer);
    assert_eq!(server.jwks_uri().unwrap().as_str(), mock.url("/jwks.json"));
    let requests = mock.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].method, "GET");
    assert_eq!(
        requests[0].path,
        "/.well-known/oauth-authorization-server/tenant-a"
    );
}

// ---- sdk-client.token-endpoint -------------------------------------------------------------

/// Case `rfc8414-token-endpoint-required-when-token-operation-is-used` (RFC 8414 §2): with no
/// `token_endpoint` in the metadata, client credentials and token exchange fail naming
/// `token_endpoint`, and no request is sent (no `<issuer>/token` default).
#[tokio::test]
async fn rfc8414_token_endpoint_required_when_token_operation_is_used() {
    let mock = MockAs::start();
    mock.metadata("", &metadata(&mock, &json!({})));
    let server = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap();
    assert_discovery(&server.token_endpoint().unwrap_err(), "token_endpoint");
    let client = OAuthClient::new(http(), server, ClientAuth::secret_basic("svc", "s3cret"));
    let err = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap_err();
    assert_discovery(&err, "token_endpoint");
    let err = client.exchange(&exchange_request()).await.unwrap_err();
    assert_discovery(&err, "token_endpoint");
    assert_eq!(mock.requests().len(), 1, "only the metadata was fetched");
}

/// Case `rfc8414-token-endpoint-must-be-absolute-https-url` (RFC 6749 §3.2, RFC 8414): a
/// plain-`http` `token_endpoint` is refused, in discovered metadata and when configured by
/// hand, so no client that could send credentials to it exists.
#[tokio::test]
async fn rfc8414_token_endpoint_must_be_absolute_https_url() {
    let mock = MockAs::start();
    mock.metadata(
        "",
        &metadata(
            &mock,
            &json!({"token_endpoint": "http://auth.example.com/oauth/token"}),
        ),
    );
    let err = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap_err();
    assert_discovery(&err, "token_endpoint");
    assert_eq!(mock.requests().len(), 1);

    let err = AuthorizationServer::new(
        "https://auth.example.com",
        "http://auth.example.com/oauth/token",
    )
    .unwrap_err();
    assert_discovery(&err, "token_endpoint");
}

// ---- sdk-client.token-endpoint-errors ------------------------------------------------------

/// Case `rfc6749-invalid-client-must-map-to-authentication-failure` (RFC 6749 §5.2): 401
/// `invalid_client` is a refusal carrying `invalid_client` (and its description), not a
/// generic or server error.
#[tokio::test]
async fn rfc6749_invalid_client_must_map_to_authentication_failure() {
    let mock = MockAs::start();
    mock.reply(
        "/token",
        Reply::json(
            401,
            &json!({"error": "invalid_client", "error_description": "bad creds"}),
        ),
    );
    let err = basic_client(&mock)
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap_err();
    assert_refused(&err, 401, "invalid_client");
    match &err {
        Error::TokenRefused { description, .. } => {
            assert_eq!(description.as_deref(), Some("bad creds"));
        }
        other => panic!("{other:?}"),
    }
}

// ---- sdk-client.token-response-parsing -----------------------------------------------------

/// Case `rfc6749-token-response-must-contain-access-token` (RFC 6749 §5.1): a 200 without
/// `access_token`, or with an empty one, is a protocol error naming `access_token`.
#[tokio::test]
async fn rfc6749_token_response_must_contain_access_token() {
    let mock = MockAs::start();
    mock.reply("/token", token_reply(json!({"token_type": "Bearer"})));
    mock.reply(
        "/token",
        token_reply(json!({"access_token": "", "token_type": "Bearer"})),
    );
    let client = basic_client(&mock);
    for _ in 0..2 {
        let err = client
            .client_credentials(&TokenRequest::new())
            .await
            .unwrap_err();
        assert_bad_response(&err, "access_token");
    }
    assert_eq!(mock.requests_to("/token").len(), 2);
}

/// Case `rfc6749-token-response-token-type-must-be-supported` (RFC 6749 §5.1, §7.1): outside
/// token exchange, `token_type` `N_A` (or any type but Bearer and DPoP) is a protocol error
/// naming `token_type`. In a token-exchange answer `N_A` is RFC 8693 §2.2.1's own value and is
/// accepted.
#[tokio::test]
async fn rfc6749_token_response_token_type_must_be_supported() {
    let mock = MockAs::start();
    mock.reply(
        "/token",
        token_reply(json!({"access_token": "tok", "token_type": "N_A"})),
    );
    mock.reply(
        "/token",
        token_reply(json!({"access_token": "tok", "token_type": "mac"})),
    );
    let client = basic_client(&mock);
    for _ in 0..2 {
        let err = client
            .client_credentials(&TokenRequest::new())
            .await
            .unwrap_err();
        assert_bad_response(&err, "token_type");
    }

    mock.reply(
        "/token",
        token_reply(json!({
            "access_token": "tok", "token_type": "N_A",
            "issued_token_type": "urn:ietf:params:oauth:token-type:refresh_token",
        })),
    );
    let token = client.exchange(&exchange_request()).await.unwrap();
    assert_eq!(token.access_token().expose(), "tok");
}

/// Case `rfc9449-token-response-token-type-dpop-must-be-accepted` (RFC 9449 §5): with DPoP in
/// use, `token_type` `DPoP` parses, and the token is presented as `DPoP`.
#[tokio::test]
async fn rfc9449_token_response_token_type_dpop_must_be_accepted() {
    let mock = MockAs::start();
    mock.reply("/token", dpop_token("tok"));
    let token = dpop_client(&mock)
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    assert_eq!(token.access_token().expose(), "tok");
    assert_eq!(token.kind(), TokenKind::Dpop);
    assert_eq!(token.kind().scheme(), "DPoP");
}

/// Case `rfc6749-token-response-expires-in-must-be-non-negative-integer` (RFC 6749 §5.1):
/// `expires_in` -1 (or a fraction, or a non-numeric string) is a protocol error saying
/// "non-negative"; 0 is non-negative and accepted; absent is no lifetime.
#[tokio::test]
async fn rfc6749_token_response_expires_in_must_be_non_negative_integer() {
    let mock = MockAs::start();
    let client = basic_client(&mock);
    for bad in [json!(-1), json!(1.5), json!("soon")] {
        mock.reply(
            "/token",
            token_reply(json!({"access_token": "tok", "token_type": "Bearer", "expires_in": bad})),
        );
        let err = client
            .client_credentials(&TokenRequest::new())
            .await
            .unwrap_err();
        assert_bad_response(&err, "non-negative");
    }
    mock.reply(
        "/token",
        token_reply(json!({"access_token": "tok", "token_type": "Bearer", "expires_in": 0})),
    );
    let token = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    assert_eq!(token.lifetime(), Some(Duration::ZERO));
    mock.reply("/token", bearer("tok"));
    let token = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    assert_eq!(token.lifetime(), None);
}

/// Case `rfc9449-dpop-grant-token-type-must-be-dpop` (RFC 9449 §5): when the token request
/// carried a DPoP proof, a `Bearer` answer is a protocol error naming `token_type`; `dpop` and
/// `DPOP` are DPoP (case-insensitive). (RFC 9449 §5 lets a server issue a Bearer token anyway;
/// taking it is an explicit opt-in, `accept_bearer_downgrade`, so the default is the
/// catalog's.)
#[tokio::test]
async fn rfc9449_dpop_grant_token_type_must_be_dpop() {
    let mock = MockAs::start();
    let client = dpop_client(&mock);
    mock.reply("/token", bearer("tok"));
    let err = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap_err();
    assert_bad_response(&err, "token_type");
    assert!(
        only(&mock, "/token").header("dpop").is_some(),
        "a proof was sent"
    );
    for spelling in ["dpop", "DPOP"] {
        mock.reply(
            "/token",
            token_reply(json!({"access_token": "tok", "token_type": spelling})),
        );
        let token = client
            .client_credentials(&TokenRequest::new())
            .await
            .unwrap();
        assert_eq!(token.kind(), TokenKind::Dpop, "{spelling}");
    }
}

// ---- sdk-client.client-credentials ---------------------------------------------------------

/// Case `rfc6749-client-credentials-success-response` (RFC 6749 §4.4.3, §5.1): the 200 answer
/// becomes a token with its access token, type, lifetime and scope; the request was a POST of
/// `grant_type=client_credentials`.
#[tokio::test]
async fn rfc6749_client_credentials_success_response() {
    let mock = MockAs::start();
    mock.reply(
        "/token",
        token_reply(json!({"access_token": "new_token", "token_type": "Bearer",
                           "expires_in": 3600, "scope": "read"})),
    );
    let token = basic_client(&mock)
        .client_credentials(&TokenRequest::new().scope("read"))
        .await
        .unwrap();
    assert_eq!(token.access_token().expose(), "new_token");
    assert_eq!(token.kind(), TokenKind::Bearer);
    assert_eq!(token.lifetime(), Some(Duration::from_secs(3600)));
    assert_eq!(token.scope(), Some("read"));
    assert!(token.refresh_token().is_none());
    let request = only(&mock, "/token");
    assert_eq!(request.method, "POST");
    assert_eq!(request.form_value("grant_type"), Some("client_credentials"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
}

/// Case `rfc8707-client-credentials-resource-parameter-should-be-supported` (RFC 8707 §2,
/// §2.2): the configured resource is sent as `resource`.
#[tokio::test]
async fn rfc8707_client_credentials_resource_parameter_should_be_supported() {
    let mock = MockAs::start();
    mock.reply("/token", bearer("tok"));
    basic_client(&mock)
        .client_credentials(&TokenRequest::new().resource("https://api.example.com"))
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(request.form_values("resource"), ["https://api.example.com"]);
}

/// Case `rfc8707-client-credentials-multiple-resource-parameters-must-be-emitted` (RFC 8707
/// §2): two resources are two `resource` pairs, not one joined value.
#[tokio::test]
async fn rfc8707_client_credentials_multiple_resource_parameters_must_be_emitted() {
    let mock = MockAs::start();
    mock.reply("/token", bearer("tok"));
    basic_client(&mock)
        .client_credentials(
            &TokenRequest::new()
                .resource("https://api-one.example.com")
                .resource("https://api-two.example.com"),
        )
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(
        request.form_values("resource"),
        ["https://api-one.example.com", "https://api-two.example.com"]
    );
}

/// Case `rfc6749-client-credentials-scopes-must-support-multiple-values` (RFC 6749 §3.3): the
/// scopes `read` and `write` go out as one `scope` pair, `read write`.
#[tokio::test]
async fn rfc6749_client_credentials_scopes_must_support_multiple_values() {
    let mock = MockAs::start();
    mock.reply("/token", bearer("tok"));
    basic_client(&mock)
        .client_credentials(&TokenRequest::new().scope("read").scope("write"))
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(request.form_values("scope"), ["read write"]);
}

// ---- sdk-client.http-auth ------------------------------------------------------------------

/// Case `rfc6749-basic-auth-credentials-must-be-form-urlencoded-before-base64` (RFC 6749
/// §2.3.1, Appendix B): the client id and secret are each form-urlencoded, then joined with
/// `:` and base64-encoded, on introspection and token-exchange requests alike.
#[tokio::test]
async fn rfc6749_basic_auth_credentials_must_be_form_urlencoded_before_base64() {
    const RIGHT: &str = "Basic aHR0cCUzQSUyRiUyRmxvY2FsaG9zdCUzQTgwODAlMkZtY3A6czNjcmV0";
    const WRONG: &str = "Basic aHR0cDovL2xvY2FsaG9zdDo4MDgwL21jcDpzM2NyZXQ=";
    let mock = MockAs::start();
    mock.reply("/introspect", Reply::json(200, &json!({"active": false})));
    mock.reply("/token", exchanged());
    let client = client(
        &mock,
        ClientAuth::secret_basic("http://localhost:8080/mcp", "s3cret"),
    );
    client.introspect(&"my.raw.token".into()).await.unwrap();
    client.exchange(&exchange_request()).await.unwrap();
    for path in ["/introspect", "/token"] {
        let request = only(&mock, path);
        let authorization = request.header("authorization").unwrap();
        assert_ne!(authorization, WRONG, "{path}: raw id:secret was encoded");
        assert_eq!(authorization, RIGHT, "{path}");
        let decoded = STANDARD
            .decode(authorization.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(decoded, b"http%3A%2F%2Flocalhost%3A8080%2Fmcp:s3cret");
        assert!(!request.has_form_field("client_secret"), "{path}");
    }
}

// ---- sdk-client.introspection --------------------------------------------------------------

/// Case `rfc7662-introspection-request-must-post-token-and-access-token-hint` (RFC 7662 §2.1):
/// a POST with `token=my.raw.token` and `token_type_hint=access_token`.
#[tokio::test]
async fn rfc7662_introspection_request_must_post_token_and_access_token_hint() {
    let mock = MockAs::start();
    mock.reply("/introspect", Reply::json(200, &json!({"active": false})));
    basic_client(&mock)
        .introspect(&"my.raw.token".into())
        .await
        .unwrap();
    let request = only(&mock, "/introspect");
    assert_eq!(request.method, "POST");
    assert_eq!(request.form_value("token"), Some("my.raw.token"));
    assert_eq!(request.form_value("token_type_hint"), Some("access_token"));
}

/// Case `rfc7662-introspection-without-credentials-must-not-send-authorization-header` (RFC
/// 7662 §2.1): a client without a secret (`none`) sends no `Authorization` header at all.
#[tokio::test]
async fn rfc7662_introspection_without_credentials_must_not_send_authorization_header() {
    let mock = MockAs::start();
    mock.reply("/introspect", Reply::json(200, &json!({"active": false})));
    client(&mock, ClientAuth::none("my-client-id"))
        .introspect(&"my.raw.token".into())
        .await
        .unwrap();
    let request = only(&mock, "/introspect");
    assert_eq!(
        request.header("authorization"),
        None,
        "{:?}",
        request.headers
    );
    assert_eq!(request.form_value("token"), Some("my.raw.token"));
}

/// Case `rfc7662-introspection-basic-auth-must-be-supported` (RFC 7662 §2.1, RFC 6749
/// §2.3.1): `my-client-id` / `my-client-secret` go as
/// `Basic bXktY2xpZW50LWlkOm15LWNsaWVudC1zZWNyZXQ=`. (The catalog's verifier-side half,
/// `IntrospectionRevocation` mode, is auth-core's and not part of this client.)
#[tokio::test]
async fn rfc7662_introspection_basic_auth_must_be_supported() {
    let mock = MockAs::start();
    mock.reply("/introspect", Reply::json(200, &json!({"active": false})));
    basic_client(&mock)
        .introspect(&"my.raw.token".into())
        .await
        .unwrap();
    let request = only(&mock, "/introspect");
    assert_eq!(
        request.header("authorization"),
        Some("Basic bXktY2xpZW50LWlkOm15LWNsaWVudC1zZWNyZXQ=")
    );
}

/// Case `rfc7662-introspection-active-false-must-parse-as-inactive` (RFC 7662 §2.2):
/// `{"active":false}` is a successful answer, inactive.
#[tokio::test]
async fn rfc7662_introspection_active_false_must_parse_as_inactive() {
    let mock = MockAs::start();
    mock.reply("/introspect", Reply::json(200, &json!({"active": false})));
    let answer = basic_client(&mock)
        .introspect(&"my.raw.token".into())
        .await
        .unwrap();
    assert!(!answer.active());
    assert_eq!(answer.get("active"), Some(&json!(false)));
}

/// Case `rfc7662-introspection-missing-active-must-default-to-inactive` (RFC 7662 §2.2): a 200
/// without `active` (`{"error":"invalid_token"}`) is a successful answer, inactive (fail
/// closed).
#[tokio::test]
async fn rfc7662_introspection_missing_active_must_default_to_inactive() {
    let mock = MockAs::start();
    mock.reply(
        "/introspect",
        Reply::json(200, &json!({"error": "invalid_token"})),
    );
    let answer = basic_client(&mock)
        .introspect(&"my.raw.token".into())
        .await
        .unwrap();
    assert!(!answer.active());
    assert_eq!(answer.get("error"), Some(&json!("invalid_token")));
}

/// Case `rfc7662-introspection-standard-fields-must-round-trip` (RFC 7662 §2.2): every member
/// of the answer is exposed unchanged; the past `exp` is not judged at this layer.
#[tokio::test]
async fn rfc7662_introspection_standard_fields_must_round_trip() {
    let body = json!({
        "active": true, "scope": "read:data write:data", "client_id": "client456",
        "sub": "user123", "token_type": "access_token", "iss": "https://auth.example.com",
        "aud": "https://api.example.com", "exp": 1_234_567_890, "iat": 1_234_567_800,
        "jti": "token-id-123",
    });
    let mock = MockAs::start();
    mock.reply("/introspect", Reply::json(200, &body));
    let answer = basic_client(&mock)
        .introspect(&"my.raw.token".into())
        .await
        .unwrap();
    assert!(answer.active());
    for (name, value) in body.as_object().unwrap() {
        assert_eq!(answer.get(name), Some(value), "{name}");
    }
    assert_eq!(answer.audiences(), ["https://api.example.com"]);
}

/// Case `rfc7662-introspection-audience-must-parse-string-or-array` (RFC 7519 §4.1.3): `aud`
/// as a string and as an array both parse, every value kept.
#[tokio::test]
async fn rfc7662_introspection_audience_must_parse_string_or_array() {
    let mock = MockAs::start();
    mock.reply(
        "/introspect",
        Reply::json(
            200,
            &json!({"active": true, "aud": "https://api.example.com"}),
        ),
    );
    mock.reply(
        "/introspect",
        Reply::json(
            200,
            &json!({"active": true,
                    "aud": ["https://api.example.com", "https://other.example.com"]}),
        ),
    );
    let client = basic_client(&mock);
    let one = client.introspect(&"t1".into()).await.unwrap();
    assert_eq!(one.audiences(), ["https://api.example.com"]);
    let two = client.introspect(&"t2".into()).await.unwrap();
    assert_eq!(
        two.audiences(),
        ["https://api.example.com", "https://other.example.com"]
    );
}

/// Case `rfc8414-introspection-endpoint-required-when-introspection-is-used` (RFC 8414 §2,
/// RFC 7662 §2): metadata without `introspection_endpoint` makes `introspect` fail naming it,
/// with no request sent (no guessed endpoint).
#[tokio::test]
async fn rfc8414_introspection_endpoint_required_when_introspection_is_used() {
    let mock = MockAs::start();
    mock.metadata("", &metadata(&mock, &json!({})));
    let server = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap();
    let client = OAuthClient::new(http(), server, ClientAuth::secret_basic("svc", "s3cret"));
    let err = client.introspect(&"tok".into()).await.unwrap_err();
    assert_discovery(&err, "introspection_endpoint");
    assert_eq!(mock.requests().len(), 1, "only the metadata was fetched");
}

/// Case `rfc8414-introspection-endpoint-must-be-absolute-https-url` (RFC 8414 §2, RFC 7662
/// §4): a plain-`http` `introspection_endpoint` is refused, discovered or configured by hand,
/// so the token is never sent there.
#[tokio::test]
async fn rfc8414_introspection_endpoint_must_be_absolute_https_url() {
    let mock = MockAs::start();
    mock.metadata(
        "",
        &metadata(
            &mock,
            &json!({"introspection_endpoint": "http://auth.example.com/oauth/introspect"}),
        ),
    );
    let err = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap_err();
    assert_discovery(&err, "introspection_endpoint");
    assert_eq!(mock.requests().len(), 1);

    let err =
        AuthorizationServer::new("https://auth.example.com", "https://auth.example.com/token")
            .unwrap()
            .with_introspection_endpoint("http://auth.example.com/oauth/introspect")
            .unwrap_err();
    assert_discovery(&err, "introspection_endpoint");
}

// ---- sdk-client.revocation -----------------------------------------------------------------

/// Case `rfc7009-revocation-200-is-success-even-for-already-invalid-token` (RFC 7009 §2.2): a
/// 200, with `{}` or with no body at all, is success.
#[tokio::test]
async fn rfc7009_revocation_200_is_success_even_for_already_invalid_token() {
    let mock = MockAs::start();
    mock.reply("/revoke", Reply::json(200, &json!({})));
    mock.reply("/revoke", Reply::empty(200));
    let client = basic_client(&mock);
    client
        .revoke(&"token_to_revoke".into(), Some("access_token"))
        .await
        .unwrap();
    client
        .revoke(&"token_to_revoke".into(), Some("access_token"))
        .await
        .unwrap();
    assert_eq!(mock.requests_to("/revoke").len(), 2);
}

/// Case `rfc7009-revocation-request-must-post-token-and-token-type-hint` (RFC 7009 §2.1): a
/// POST with `token=token_to_revoke` and `token_type_hint=access_token`.
#[tokio::test]
async fn rfc7009_revocation_request_must_post_token_and_token_type_hint() {
    let mock = MockAs::start();
    mock.reply("/revoke", Reply::json(200, &json!({})));
    basic_client(&mock)
        .revoke(&"token_to_revoke".into(), Some("access_token"))
        .await
        .unwrap();
    let request = only(&mock, "/revoke");
    assert_eq!(request.method, "POST");
    assert_eq!(request.form_value("token"), Some("token_to_revoke"));
    assert_eq!(request.form_value("token_type_hint"), Some("access_token"));
}

/// Case `rfc8414-revocation-endpoint-required-when-revocation-is-used` (RFC 8414 §2, RFC
/// 7009 §2): metadata without `revocation_endpoint` makes `revoke` fail naming it, with no
/// request sent.
#[tokio::test]
async fn rfc8414_revocation_endpoint_required_when_revocation_is_used() {
    let mock = MockAs::start();
    mock.metadata("", &metadata(&mock, &json!({})));
    let server = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap();
    let client = OAuthClient::new(http(), server, ClientAuth::secret_basic("svc", "s3cret"));
    let err = client
        .revoke(&"tok".into(), Some("access_token"))
        .await
        .unwrap_err();
    assert_discovery(&err, "revocation_endpoint");
    assert_eq!(mock.requests().len(), 1, "only the metadata was fetched");
}

/// Case `rfc8414-revocation-endpoint-must-be-absolute-https-url` (RFC 8414 §2, RFC 7009 §2:
/// clients MUST verify that the URL is an HTTPS URL): a plain-`http` `revocation_endpoint` is
/// refused, discovered or configured by hand.
#[tokio::test]
async fn rfc8414_revocation_endpoint_must_be_absolute_https_url() {
    let mock = MockAs::start();
    mock.metadata(
        "",
        &metadata(
            &mock,
            &json!({"revocation_endpoint": "http://auth.example.com/oauth/revoke"}),
        ),
    );
    let err = AuthorizationServer::discover(&http(), &mock.base())
        .await
        .unwrap_err();
    assert_discovery(&err, "revocation_endpoint");
    assert_eq!(mock.requests().len(), 1);

    let err =
        AuthorizationServer::new("https://auth.example.com", "https://auth.example.com/token")
            .unwrap()
            .with_revocation_endpoint("http://auth.example.com/oauth/revoke")
            .unwrap_err();
    assert_discovery(&err, "revocation_endpoint");
}

/// Case `rfc7009-revocation-server-errors-must-surface` (RFC 7009 §2.2.1, RFC 6749 §5.2): 500
/// `server_error` is an error carrying the status and `server_error`, not success.
#[tokio::test]
async fn rfc7009_revocation_server_errors_must_surface() {
    let mock = MockAs::start();
    mock.reply(
        "/revoke",
        Reply::json(500, &json!({"error": "server_error"})),
    );
    let err = basic_client(&mock)
        .revoke(&"token_to_revoke".into(), Some("access_token"))
        .await
        .unwrap_err();
    assert_refused(&err, 500, "server_error");
}

// ---- sdk-client.token-exchange -------------------------------------------------------------

/// Case `rfc8693-grant-type-must-be-token-exchange` (RFC 8693 §2.1): `grant_type` is
/// `urn:ietf:params:oauth:grant-type:token-exchange`, with the subject token.
#[tokio::test]
async fn rfc8693_grant_type_must_be_token_exchange() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    basic_client(&mock)
        .exchange(&exchange_request())
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(request.method, "POST");
    assert_eq!(request.form_value("grant_type"), Some(TOKEN_EXCHANGE));
    assert_eq!(request.form_value("subject_token"), Some(SUBJECT));
}

/// Case `rfc8693-subject-token-is-required` (RFC 8693 §2.1): an empty (or missing) subject
/// token fails locally with "subject_token is required", and nothing is sent.
#[tokio::test]
async fn rfc8693_subject_token_is_required() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    let client = basic_client(&mock);
    for request in [
        TokenRequest::new().subject_token("", ""),
        TokenRequest::new(),
    ] {
        let err = client.exchange(&request).await.unwrap_err();
        assert!(matches!(err, Error::MissingSubjectToken), "{err:?}");
        assert!(
            err.to_string().contains("subject_token is required"),
            "{err}"
        );
    }
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

/// Case `rfc8693-default-subject-token-type-is-access-token` (RFC 8693 §2.1, §3): an empty
/// subject token type is sent as `urn:ietf:params:oauth:token-type:access_token`.
#[tokio::test]
async fn rfc8693_default_subject_token_type_is_access_token() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    basic_client(&mock)
        .exchange(&TokenRequest::new().subject_token(SUBJECT, ""))
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(
        request.form_value("subject_token_type"),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
}

/// Case `rfc8693-actor-token-type-defaults-when-actor-token-is-present` (RFC 8693 §2.1): an
/// actor token with an empty type is sent with
/// `actor_token_type=urn:ietf:params:oauth:token-type:access_token`.
#[tokio::test]
async fn rfc8693_actor_token_type_defaults_when_actor_token_is_present() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    basic_client(&mock)
        .exchange(
            &TokenRequest::new()
                .subject_token(SUBJECT, "")
                .actor_token("eyJactor...", ""),
        )
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(request.form_value("actor_token"), Some("eyJactor..."));
    assert_eq!(
        request.form_value("actor_token_type"),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
}

/// Case `rfc8693-resource-parameter-must-be-sent-when-configured` (RFC 8693 §2.1, RFC 8707):
/// `resource=https://mcp.example.com/`, trailing slash kept.
#[tokio::test]
async fn rfc8693_resource_parameter_must_be_sent_when_configured() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    basic_client(&mock)
        .exchange(&exchange_request().resource("https://mcp.example.com/"))
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(
        request.form_values("resource"),
        ["https://mcp.example.com/"]
    );
}

/// Case `rfc8693-multiple-resource-parameters-must-be-emitted` (RFC 8693 §2.1, RFC 8707): two
/// resources, two `resource` pairs.
#[tokio::test]
async fn rfc8693_multiple_resource_parameters_must_be_emitted() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    basic_client(&mock)
        .exchange(
            &exchange_request()
                .resource("https://api-one.example.com")
                .resource("https://api-two.example.com"),
        )
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(
        request.form_values("resource"),
        ["https://api-one.example.com", "https://api-two.example.com"]
    );
}

/// Case `rfc8693-error-mapping-invalid-grant` (RFC 6749 §5.2, RFC 8693 §2.2.2): 400
/// `invalid_grant` is a refusal carrying `invalid_grant`, not a client-auth or server error.
#[tokio::test]
async fn rfc8693_error_mapping_invalid_grant() {
    let mock = MockAs::start();
    mock.reply(
        "/token",
        Reply::json(400, &json!({"error": "invalid_grant"})),
    );
    let err = basic_client(&mock)
        .exchange(&exchange_request())
        .await
        .unwrap_err();
    assert_refused(&err, 400, "invalid_grant");
}

/// Case `rfc8693-audience-parameter-must-be-sent-when-configured` (RFC 8693 §2.1): `audience`
/// = `api://inventory` (on the wire `api%3A%2F%2Finventory`).
#[tokio::test]
async fn rfc8693_audience_parameter_must_be_sent_when_configured() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    basic_client(&mock)
        .exchange(&exchange_request().audience("api://inventory"))
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(request.form_values("audience"), ["api://inventory"]);
}

/// Case `rfc8693-multiple-audience-parameters-must-be-emitted` (RFC 8693 §2.1): two audiences,
/// two `audience` pairs.
#[tokio::test]
async fn rfc8693_multiple_audience_parameters_must_be_emitted() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    basic_client(&mock)
        .exchange(
            &exchange_request()
                .audience("api://inventory")
                .audience("api://billing"),
        )
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert_eq!(
        request.form_values("audience"),
        ["api://inventory", "api://billing"]
    );
}

/// Case `rfc8693-empty-resource-and-audience-values-must-be-omitted` (RFC 8693 §2.1, RFC
/// 8707): empty resource and audience values are dropped: no `resource` or `audience` key.
#[tokio::test]
async fn rfc8693_empty_resource_and_audience_values_must_be_omitted() {
    let mock = MockAs::start();
    mock.reply("/token", exchanged());
    basic_client(&mock)
        .exchange(&exchange_request().resource("").audience(""))
        .await
        .unwrap();
    let request = only(&mock, "/token");
    assert!(!request.has_form_field("resource"), "{:?}", request.form);
    assert!(!request.has_form_field("audience"), "{:?}", request.form);
    assert_eq!(request.form_value("subject_token"), Some(SUBJECT));
}

/// Case `rfc8693-success-response-must-use-access-token-issued-token-type-when-present` (RFC
/// 8693 §2.2.1): `issued_token_type` is returned exactly as sent.
#[tokio::test]
async fn rfc8693_success_response_must_use_access_token_issued_token_type_when_present() {
    let mock = MockAs::start();
    mock.reply(
        "/token",
        token_reply(json!({
            "access_token": "new_token", "token_type": "Bearer",
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
        })),
    );
    let token = basic_client(&mock)
        .exchange(&exchange_request())
        .await
        .unwrap();
    assert_eq!(token.access_token().expose(), "new_token");
    assert_eq!(
        token.issued_token_type(),
        Some("urn:ietf:params:oauth:token-type:access_token")
    );
}

/// Case `rfc8693-token-exchange-response-must-contain-issued-token-type` (RFC 8693 §2.2.1): an
/// exchange answer without `issued_token_type` is a protocol error naming it; the same body in
/// a client-credentials answer is accepted.
#[tokio::test]
async fn rfc8693_token_exchange_response_must_contain_issued_token_type() {
    let body = json!({"access_token": "exchanged_token", "token_type": "Bearer"});
    let mock = MockAs::start();
    mock.reply("/token", token_reply(body.clone()));
    mock.reply("/token", token_reply(body));
    let client = basic_client(&mock);
    let err = client.exchange(&exchange_request()).await.unwrap_err();
    assert_bad_response(&err, "issued_token_type");
    let token = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    assert_eq!(token.access_token().expose(), "exchanged_token");
    assert_eq!(token.issued_token_type(), None);
}

// ---- sdk-client.dpop.outbound --------------------------------------------------------------

/// Case `rfc9449-dpop-provider-must-build-dpop-jwt-header` (RFC 9449 §4.2): the proof in the
/// `DPoP` request header has `typ` `dpop+jwt`, `alg` `ES256` and the public `jwk` (no `d`),
/// and its signature verifies with that `jwk`.
#[tokio::test]
async fn rfc9449_dpop_provider_must_build_dpop_jwt_header() {
    let mock = MockAs::start();
    mock.reply("/token", dpop_token("ok"));
    let client = dpop_client(&mock);
    assert_eq!(client.dpop_key().unwrap().algorithm(), "ES256");
    client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    let request = only(&mock, "/token");
    let proof = request.header("dpop").expect("a DPoP header");
    let (header, claims) = jws(proof);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    let jwk = header["jwk"].as_object().expect("a jwk member");
    assert_eq!(jwk["kty"], "EC");
    assert_eq!(jwk["crv"], "P-256");
    assert!(!jwk.contains_key("d"), "private key in the proof: {jwk:?}");
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], mock.url("/token"));

    let key = jsonwebtoken::DecodingKey::from_ec_components(
        jwk["x"].as_str().unwrap(),
        jwk["y"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<Value>(proof, &key, &validation).expect("the proof verifies");
}

/// Case `rfc9449-dpop-nonce-challenge-must-trigger-single-retry` (RFC 9449 §8): 400
/// `use_dpop_nonce` with `DPoP-Nonce: nonce-123` is retried once with a fresh proof carrying
/// the nonce and a new `jti`; the nonce is kept for the origin (the next request there, to
/// another path, carries it); a second `use_dpop_nonce` is not retried again.
#[tokio::test]
async fn rfc9449_dpop_nonce_challenge_must_trigger_single_retry() {
    let mock = MockAs::start();
    mock.reply(
        "/token",
        Reply::json(400, &json!({"error": "use_dpop_nonce"})).header("DPoP-Nonce", "nonce-123"),
    );
    mock.reply("/token", dpop_token("ok"));
    mock.reply("/introspect", Reply::json(200, &json!({"active": false})));
    let client = dpop_client(&mock);
    let token = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    assert_eq!(token.access_token().expose(), "ok");
    assert_eq!(token.kind(), TokenKind::Dpop);
    let tries = mock.requests_to("/token");
    assert_eq!(tries.len(), 2, "exactly one retry");
    let (first, second) = (proof_claims(&tries[0]), proof_claims(&tries[1]));
    assert!(first.get("nonce").is_none(), "{first}");
    assert_eq!(second["nonce"], "nonce-123");
    assert_ne!(first["jti"], second["jti"], "the retry has a fresh proof");
    assert_eq!(tries[0].body, tries[1].body, "the same form is resent");

    client.introspect(&"tok".into()).await.unwrap();
    assert_eq!(
        proof_claims(&only(&mock, "/introspect"))["nonce"],
        "nonce-123",
        "the nonce is kept for the origin"
    );

    // Never more than one retry.
    let mock = MockAs::start();
    for n in ["n-1", "n-2", "n-3"] {
        mock.reply(
            "/token",
            Reply::json(400, &json!({"error": "use_dpop_nonce"})).header("DPoP-Nonce", n),
        );
    }
    let err = dpop_client(&mock)
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap_err();
    assert_refused(&err, 400, "use_dpop_nonce");
    assert_eq!(mock.requests_to("/token").len(), 2, "no loop");
}

/// Case `rfc9449-dpop-nonce-on-success-response-should-be-stored` (RFC 9449 §8.2): a
/// `DPoP-Nonce` on a 200 is kept and used in the next proof to that origin.
#[tokio::test]
async fn rfc9449_dpop_nonce_on_success_response_should_be_stored() {
    let mock = MockAs::start();
    mock.reply("/token", dpop_token("ok").header("DPoP-Nonce", "nonce-456"));
    mock.reply("/token", dpop_token("ok2"));
    let client = dpop_client(&mock);
    client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    let token = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    assert_eq!(token.access_token().expose(), "ok2");
    let tries = mock.requests_to("/token");
    assert_eq!(tries.len(), 2);
    assert!(proof_claims(&tries[0]).get("nonce").is_none());
    assert_eq!(proof_claims(&tries[1])["nonce"], "nonce-456");
}

/// Case `rfc9110-rfc9449-dpop-nonce-header-must-be-treated-case-insensitively` (RFC 9110
/// §5.1, RFC 9449 §8): the nonce header written `Dpop-Nonce` on the wire (checked on a raw
/// socket first) is recognised: one retry with the nonce, and the nonce kept for the origin.
/// actix cannot write the mixed `DPoP-Nonce` spelling; `Dpop-Nonce` differs from the
/// lower-case `dpop-nonce` it writes by default, which is what exercises the matching.
#[tokio::test]
async fn rfc9110_rfc9449_dpop_nonce_header_must_be_treated_case_insensitively() {
    let challenge = || {
        Reply::json(400, &json!({"error": "use_dpop_nonce"}))
            .header("Dpop-Nonce", "nonce-123")
            .camel_case_headers()
    };
    let mock = MockAs::start();
    mock.reply("/probe", challenge());
    let raw = auth_tests::http::request(mock.addr, "GET", "/probe", &[]).raw;
    let raw = String::from_utf8_lossy(&raw);
    assert!(raw.contains("\r\nDpop-Nonce: nonce-123\r\n"), "{raw}");
    assert!(!raw.contains("dpop-nonce"), "{raw}");

    mock.reply("/token", challenge());
    mock.reply("/token", dpop_token("ok"));
    mock.reply("/token", dpop_token("ok2"));
    let client = dpop_client(&mock);
    let token = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    assert_eq!(token.access_token().expose(), "ok");
    let tries = mock.requests_to("/token");
    assert_eq!(tries.len(), 2, "exactly one retry");
    assert_eq!(proof_claims(&tries[1])["nonce"], "nonce-123");
    client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap();
    let tries = mock.requests_to("/token");
    assert_eq!(tries.len(), 3);
    assert_eq!(
        proof_claims(&tries[2])["nonce"],
        "nonce-123",
        "stored for the origin"
    );
}

/// Case `rfc9449-generated-dpop-proof-should-include-exp` (RFC 9449 §4.2; `exp` is the
/// catalog's profile extra, not an RFC 9449 claim): the ES256 proof has integer `iat` and
/// `exp`, `exp > iat`, `iat` now.
#[tokio::test]
async fn rfc9449_generated_dpop_proof_should_include_exp() {
    let key = DpopKey::generate_es256().unwrap();
    let url = Url::parse("https://auth.example.com/token").unwrap();
    let proof = key.proof("POST", &url, None, None).unwrap();
    let (_, claims) = jws(&proof);
    let iat = claims["iat"].as_u64().expect("an integer iat");
    let exp = claims["exp"].as_u64().expect("an integer exp");
    assert!(exp > iat, "exp {exp} <= iat {iat}");
    assert!(iat.abs_diff(auth_tests::now()) <= 5, "iat {iat} is not now");
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
}

// ---- sdk-client.dpop-proof-generation ------------------------------------------------------

/// Case `rfc9449-dpop-proof-htu-must-strip-query-and-fragment` (RFC 9449 §4.2, §4.3): for
/// `GET https://api.example.com/resource?page=1&size=10#section` the proof's `htu` is
/// `https://api.example.com/resource` and `htm` `GET`; the access token's hash is `ath`.
#[tokio::test]
async fn rfc9449_dpop_proof_htu_must_strip_query_and_fragment() {
    let key = DpopKey::generate_es256().unwrap();
    let url = Url::parse("https://api.example.com/resource?page=1&size=10#section").unwrap();
    let token = Secret::new("tok");
    let proof = key.proof("GET", &url, Some(&token), None).unwrap();
    let (_, claims) = jws(&proof);
    assert_eq!(claims["htu"], "https://api.example.com/resource");
    assert_eq!(claims["htm"], "GET");
    assert!(claims["ath"].as_str().is_some(), "{claims}");
}
