//! The `Authorization` parser: never panics; a Bearer token it accepts is a `b64token`.
#![no_main]
use auth_core::credentials::{Authorization, is_b64token, parse_authorization};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Authorization::Bearer(Ok(token)) = parse_authorization(data) {
        assert!(is_b64token(token.as_bytes()));
    }
});
