//! The JWK and JWKS parsers: never panic; a key they accept is bound to one algorithm.
#![no_main]
use auth_core::JwtKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = JwtKey::from_jwk(text) {
        let _ = key.algorithm();
    }
    let _ = JwtKey::from_jwk_set(text);
});
