//! The `WWW-Authenticate` parser: never panics; what it parses and can render parses back
//! to the same challenges.
#![no_main]
use auth_core::challenge::{parse, render_list};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(challenges) = parse(text)
        && let Ok(rendered) = render_list(&challenges)
    {
        assert_eq!(parse(&rendered).ok(), Some(challenges));
    }
});
