//! The challenge renderer: whatever values it accepts produce a header that parses back to
//! them, and it never lets a control character through.
#![no_main]
use auth_core::challenge::{Challenge, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.split('\u{1}');
    let scheme = parts.next().unwrap_or_default();
    let mut challenge = Challenge::new(scheme);
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        challenge = challenge.param(name, value);
    }
    if let Ok(rendered) = challenge.render() {
        assert!(!rendered.bytes().any(|b| b < 0x20 || b == 0x7f));
        assert_eq!(parse(&rendered).ok(), Some(vec![challenge]));
    }
});
