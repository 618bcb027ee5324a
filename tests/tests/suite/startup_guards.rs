//! Unsafe configurations are refused before the server runs, each with one clear message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_core::{
    Algorithm, ApiKeys, AuthConfig, ConfigError, Htpasswd, JwtKey, JwtVerifier, KeySet,
    Requirement, SchemeSet,
};
use auth_examples::orders::Settings;
use auth_tests::*;

fn message<T: std::fmt::Debug, E: std::fmt::Display>(r: Result<T, E>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn weak_hmac_secrets() {
    let m = message(JwtKey::hmac(Algorithm::HS256, b"0123456789"));
    assert_eq!(
        m,
        "the HS256 secret is 10 bytes; it must be at least 32 bytes (RFC 7518 §3.2)"
    );
    let mut settings = Settings::for_tests(b"short", None, None);
    assert!(
        settings
            .auth_config()
            .unwrap_err()
            .contains("at least 32 bytes")
    );
    settings.secret = vec![b'k'; 32];
    assert!(settings.auth_config().is_ok());
}

#[test]
fn empty_key_configurations() {
    assert_eq!(
        message(JwtVerifier::builder().build()),
        ConfigError::NoKeys.to_string()
    );
    assert!(message(JwtKey::from_jwk_set(r#"{"keys":[]}"#)).contains("no usable signature key"));
    assert!(message(JwtKey::from_jwk_set(r#"{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0","alg":"HS256"}]}"#)).contains("no usable"));
    assert!(message(Htpasswd::parse("# nobody\n")).contains("no user"));
    assert!(message(ApiKeys::builder().build()).contains("no key"));
}

#[test]
fn hmac_mixed_with_public_key_algorithms() {
    // Static keys are bound to one algorithm each, so the mix cannot be written; the one list
    // of algorithms there is (for RSA keys without `alg` in a key set) is checked.
    let m = message(
        JwtVerifier::builder()
            .key_set(
                KeySet::jwks("http://127.0.0.1:1/jwks")
                    .rsa_algorithms([Algorithm::RS256, Algorithm::HS256]),
            )
            .build(),
    );
    assert!(m.contains("RS*/PS*"), "{m}");
    assert!(
        message(
            JwtVerifier::builder()
                .key_set(KeySet::jwks("http://127.0.0.1:1/jwks").rsa_algorithms([]))
                .build()
        )
        .contains("non-empty")
    );
    assert!(message(JwtKey::from_pem(Algorithm::HS256, RSA_PUBLIC)).contains("use JwtKey::hmac"));
    assert!(message(JwtKey::hmac(Algorithm::RS256, &[7; 64])).contains("not an HMAC algorithm"));
}

#[test]
fn unrenderable_realms_and_scopes() {
    for realm in ["", "line\r\nbreak", "caf\u{e9}", "\u{7}"] {
        let m = message(AuthConfig::builder().realm(realm).build());
        assert!(m.contains("printable ASCII"), "{m}");
    }
    assert!(
        message(
            Requirement::new(SchemeSet::ANY)
                .with_any_scopes(&["a\"b"])
                .validate()
        )
        .contains("scope token")
    );
    assert!(
        message(
            Requirement::new(SchemeSet::ANY)
                .with_all_scopes(&[""])
                .validate()
        )
        .contains("scope token")
    );
    assert!(
        message(
            ApiKeys::builder()
                .challenge_scheme("Api Key")
                .key("a", "0123456789abcdef")
                .build()
        )
        .contains("token")
    );
    assert!(
        message(
            JwtVerifier::builder()
                .key(verification_key(Algorithm::HS256))
                .scope_claim("")
                .build()
        )
        .contains("scope claim")
    );
}

#[test]
fn the_example_refuses_unsafe_settings() {
    let base = || Settings::for_tests(&[b'k'; 32], None, None);
    let mut s = base();
    s.api_keys = "partner=short".into();
    assert!(s.auth_config().unwrap_err().starts_with("AUTH_API_KEYS: "));
    let mut s = base();
    s.htpasswd = "old:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=".into();
    let m = s.auth_config().unwrap_err();
    assert!(
        m.contains("line 1") && m.contains("old") && m.contains("htpasswd -B"),
        "{m}"
    );
    let mut s = base();
    s.jwks_url = Some("http://id.example.com/jwks".into());
    assert!(s.auth_config().unwrap_err().contains("must be https"));
}
