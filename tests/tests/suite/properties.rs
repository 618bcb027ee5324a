//! Property tests: challenges round-trip through render and parse, and no input makes the
//! header parsers or the JWT verifier panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_core::challenge::{Challenge, parse, render_list};
use auth_core::credentials::{Authorization, parse_authorization};
use proptest::prelude::*;

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
}

fn challenge() -> impl Strategy<Value = Challenge> {
    (
        token(),
        prop::collection::vec((token(), "[ -~]{0,24}"), 0..4),
    )
        .prop_map(|(scheme, params)| {
            params
                .into_iter()
                .fold(Challenge::new(scheme), |c, (n, v)| c.param(n, v))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn challenges_round_trip(list in prop::collection::vec(challenge(), 1..4)) {
        let rendered = render_list(&list).unwrap();
        prop_assert_eq!(parse(&rendered).unwrap(), list);
    }

    #[test]
    fn challenge_parser_never_panics(input in "\\PC{0,64}|[ -~\\t]{0,64}") {
        let _ = parse(&input);
    }

    #[test]
    fn authorization_parser_never_panics(input in prop::collection::vec(any::<u8>(), 0..96)) {
        if let Authorization::Bearer(Ok(token)) = parse_authorization(&input) {
            prop_assert!(auth_core::credentials::is_b64token(token.as_bytes()));
        }
    }

    #[test]
    fn bearer_tokens_round_trip(t in "[A-Za-z0-9._~+/-]{1,40}={0,2}", spaces in 1usize..4, scheme in "(?i)bearer") {
        let value = format!("{scheme}{}{t}", " ".repeat(spaces));
        prop_assert_eq!(parse_authorization(value.as_bytes()), Authorization::Bearer(Ok(t.as_str())));
    }

    #[test]
    fn verifier_never_panics(input in "[A-Za-z0-9._~+/=-]{0,200}") {
        let _ = auth_tests::verifier().verify_now(&input);
    }

    #[test]
    fn verifier_never_panics_on_json_parts(header in "\\PC{0,40}", payload in "\\PC{0,40}") {
        use base64::Engine as _;
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let token = format!("{}.{}.c2ln", e.encode(header), e.encode(payload));
        prop_assert!(auth_tests::verifier().verify_now(&token).is_err());
    }
}
