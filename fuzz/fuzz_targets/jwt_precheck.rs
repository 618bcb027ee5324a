//! Everything a JWT goes through before and around the signature check (size, shape, header
//! JSON, `alg`/`kid`/`crit`/`typ`, key selection, claims): never panics, never accepts a token
//! it did not sign.
#![no_main]
use std::sync::OnceLock;

use auth_core::{Algorithm, JwtKey, JwtVerifier};
use libfuzzer_sys::fuzz_target;

fn verifier() -> &'static JwtVerifier {
    static V: OnceLock<JwtVerifier> = OnceLock::new();
    V.get_or_init(|| {
        let key = JwtKey::hmac(Algorithm::HS256, b"fuzzing-secret-of-at-least-32-bytes!")
            .map(|k| k.with_kid("k1"));
        let builder = key.map(|k| JwtVerifier::builder().key(k).require_at_jwt_type(true));
        match builder.and_then(|b| b.build()) {
            Ok(v) => v,
            Err(e) => panic!("fuzz set-up: {e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    assert!(
        verifier().verify_now(token).is_err(),
        "a fuzzed token was accepted"
    );
});
