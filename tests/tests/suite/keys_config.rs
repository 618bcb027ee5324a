//! Start-up configuration: keys from PEM and JWK, each bound to one algorithm, and the unsafe
//! configurations refused with a clear error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_core::{Algorithm, AuthConfig, ConfigError, JwtKey, JwtVerifier, Reason};
use auth_tests::*;
use serde_json::json;

fn public_jwk(alg: Algorithm, kid: &str) -> String {
    minter(alg).kid(Some(kid)).jwk().to_string()
}

#[test]
fn jwk_keys_verify_their_algorithm() {
    for alg in [
        Algorithm::RS256,
        Algorithm::PS384,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ] {
        let key = JwtKey::from_jwk(&public_jwk(alg, &format!("kid-{alg:?}"))).unwrap();
        assert_eq!(key.algorithm(), alg);
        let verifier = JwtVerifier::builder()
            .key(key)
            .issuer(ISSUER)
            .audience(AUDIENCE)
            .build()
            .unwrap();
        let principal = verifier
            .verify_now(&minter(alg).sign(&claims("a b")))
            .unwrap();
        assert_eq!(principal.subject(), Some("alice"));
        assert_eq!(principal.scopes(), ["a", "b"]);
    }
}

#[test]
fn unusable_jwks_are_refused() {
    let mut rsa: serde_json::Value =
        serde_json::from_str(&public_jwk(Algorithm::RS256, "k")).unwrap();
    rsa.as_object_mut().unwrap().remove("alg");
    assert!(
        matches!(
            JwtKey::from_jwk(&rsa.to_string()),
            Err(ConfigError::BadJwk(_))
        ),
        "RSA without alg"
    );
    let mut enc: serde_json::Value =
        serde_json::from_str(&public_jwk(Algorithm::RS256, "k")).unwrap();
    enc["use"] = json!("enc");
    assert!(JwtKey::from_jwk(&enc.to_string()).is_err(), "use=enc");
    let mut mismatch: serde_json::Value =
        serde_json::from_str(&public_jwk(Algorithm::ES256, "k")).unwrap();
    mismatch["alg"] = json!("ES384");
    assert!(
        JwtKey::from_jwk(&mismatch.to_string()).is_err(),
        "alg contradicts the curve"
    );
    let mut hs_on_rsa: serde_json::Value =
        serde_json::from_str(&public_jwk(Algorithm::RS256, "k")).unwrap();
    hs_on_rsa["alg"] = json!("HS256");
    assert!(
        JwtKey::from_jwk(&hs_on_rsa.to_string()).is_err(),
        "HMAC alg on an RSA key"
    );
    let short_oct = json!({"kty": "oct", "alg": "HS256", "k": "c2hvcnQ"}).to_string();
    assert!(matches!(
        JwtKey::from_jwk(&short_oct),
        Err(ConfigError::WeakSecret { .. })
    ));
    assert!(JwtKey::from_jwk("{").is_err());
}

#[test]
fn weak_secrets_are_refused_at_start_up() {
    for (alg, min) in [
        (Algorithm::HS256, 32),
        (Algorithm::HS384, 48),
        (Algorithm::HS512, 64),
    ] {
        let err = JwtKey::hmac(alg, &vec![b'x'; min - 1]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::WeakSecret {
                alg: format!("{alg:?}"),
                len: min - 1,
                min
            }
        );
        assert!(err.to_string().contains("at least"), "{err}");
        assert!(JwtKey::hmac(alg, &vec![b'x'; min]).is_ok());
    }
    assert!(JwtKey::hmac(Algorithm::RS256, &[0; 64]).is_err());
    assert!(JwtKey::from_pem(Algorithm::HS256, RSA_PUBLIC).is_err());
    assert!(JwtKey::from_pem(Algorithm::RS256, b"not a pem").is_err());
}

#[test]
fn unsafe_settings_are_refused() {
    assert_eq!(
        JwtVerifier::builder().build().unwrap_err(),
        ConfigError::NoKeys
    );
    assert!(
        JwtVerifier::builder()
            .key(verification_key(Algorithm::HS256))
            .issuer("")
            .build()
            .is_err()
    );
    for realm in ["", "a\r\nb", "caf\u{e9}", "tab\there"] {
        assert!(
            AuthConfig::builder().realm(realm).build().is_err(),
            "{realm:?}"
        );
    }
    assert!(
        AuthConfig::builder()
            .realm(r#"quote " and \ are escaped"#)
            .build()
            .is_ok()
    );
}

#[test]
fn expiry_boundaries_follow_the_clock() {
    let verifier = |now: u64| {
        JwtVerifier::builder()
            .key(verification_key(Algorithm::HS256))
            .clock(move || now)
            .build()
            .unwrap()
    };
    let tok = minter(Algorithm::HS256).sign(&json!({"exp": 1_000_000, "nbf": 999_000}));
    assert!(
        verifier(1_000_059).verify_now(&tok).is_ok(),
        "inside the 60 s leeway"
    );
    assert_eq!(
        verifier(1_000_060).verify_now(&tok).unwrap_err(),
        Reason::Expired,
        "refused at exp + leeway"
    );
    assert!(verifier(998_940).verify_now(&tok).is_ok(), "nbf - leeway");
    assert_eq!(
        verifier(998_939).verify_now(&tok).unwrap_err(),
        Reason::NotYetValid
    );
}

#[test]
fn tokens_over_the_bound_are_refused_before_decoding() {
    let v = JwtVerifier::builder()
        .key(verification_key(Algorithm::HS256))
        .max_token_bytes(64)
        .build()
        .unwrap();
    let long = "a".repeat(65);
    assert_eq!(v.verify_now(&long).unwrap_err(), Reason::TokenTooLarge(65));
}

#[test]
fn cached_verdicts_still_expire_and_revocation_still_applies() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let now = Arc::new(AtomicU64::new(1_000_000));
    let revoked = Arc::new(AtomicBool::new(false));
    let (clock, flag) = (now.clone(), revoked.clone());
    let v = JwtVerifier::builder()
        .key(verification_key(Algorithm::HS256))
        .clock(move || clock.load(Ordering::SeqCst))
        .revocation(move |_| flag.load(Ordering::SeqCst))
        .build()
        .unwrap();
    let tok = minter(Algorithm::HS256).sign(&json!({"exp": 1_000_100, "sub": "a"}));
    for _ in 0..3 {
        assert!(
            v.verify_now(&tok).is_ok(),
            "served (from the cache after the first time)"
        );
    }
    revoked.store(true, Ordering::SeqCst);
    assert_eq!(
        v.verify_now(&tok).unwrap_err(),
        Reason::Revoked,
        "revocation applies to a cached verdict"
    );
    revoked.store(false, Ordering::SeqCst);
    now.store(1_000_159, Ordering::SeqCst);
    assert!(v.verify_now(&tok).is_ok());
    now.store(1_000_160, Ordering::SeqCst);
    assert_eq!(
        v.verify_now(&tok).unwrap_err(),
        Reason::Expired,
        "a cached verdict dies at exp + leeway"
    );
    // A forged token is refused again and again, from the cache.
    let forged = format!("{tok}x");
    for _ in 0..3 {
        assert_eq!(v.verify_now(&forged).unwrap_err(), Reason::BadSignature);
    }
    // With the cache off, the same answers.
    let v = JwtVerifier::builder()
        .key(verification_key(Algorithm::HS256))
        .verdict_cache(0, std::time::Duration::ZERO)
        .build()
        .unwrap();
    assert!(
        v.verify_now(&minter(Algorithm::HS256).sign(&claims("")))
            .is_ok()
    );
}
