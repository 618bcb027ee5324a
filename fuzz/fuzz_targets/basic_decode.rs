//! The Basic decoder: never panics; what it accepts has no control character.
#![no_main]
use auth_core::credentials::decode_basic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(credentials) = decode_basic(data) {
        assert!(!credentials.user_id().chars().any(char::is_control));
        assert!(!credentials.user_id().contains(':'));
        assert!(!credentials.password().chars().any(char::is_control));
    }
});
