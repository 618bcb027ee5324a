//! What an introspection answer (RFC 7662 §2.2) means for the request: checked member by member,
//! never on `active` alone, into a [`Principal`] or a refusal. Pure: no network, no clock of its
//! own, so every rule is unit-tested here.
//!
//! - The answer must be a JSON object with unique members and a boolean `active`; anything else
//!   is the authorization server failing (503), not the token (the token may be fine).
//! - `active: false` is the one answer RFC 7662 §2.2 gives for every kind of invalid token:
//!   401 `invalid_token`, like every other invalid token.
//! - `active: true` then `token_type` (absent, `Bearer` or `DPoP`: a refresh token the server
//!   vouches for is not an access token), `exp` (with the leeway; required only if configured),
//!   `nbf`, `iss` and `aud` (required and exact whenever configured, as for a JWT), and the
//!   types of `sub` and `scope`.
//! - A `cnf` member (RFC 8705 §3.2, RFC 9449 §6.2) binds the token: [`Principal::new`] reads it
//!   and the guard checks it against the request, as for a JWT.

use serde_json::{Map, Value};

use crate::claim_layout::{ClaimLayout, LayoutClaims};
use crate::principal::Principal;
use crate::rejection::Reason;
use crate::scheme::Scheme;

/// The checks an answer must pass beyond `active`.
#[derive(Clone, Debug, Default)]
pub(crate) struct AnswerRules {
    /// The authorization server's issuer identifier, when known: `iss` must equal it.
    pub(crate) issuer: Option<String>,
    /// This resource server's audience: `aud` must contain it.
    pub(crate) audience: Option<String>,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    pub(crate) leeway: u64,
    /// Whether an answer without `exp` is refused.
    pub(crate) require_exp: bool,
    /// Where the subject, scopes and roles are.
    pub(crate) layout: ClaimLayout,
}

/// Why an answer could not be read at all: the server's fault, answered with 503.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unreadable(pub(crate) &'static str);

/// An answer that was read: the token's verdict and, for an active token, its `exp`.
#[derive(Debug)]
pub(crate) struct Read {
    pub(crate) verdict: Result<Principal, Reason>,
    /// The token's `exp` (seconds since the epoch), which no cache may outlive.
    pub(crate) expires: Option<u64>,
}

/// Parses an answer's JSON body: an object with unique members (RFC 7159 lets parsers differ on
/// duplicates; we refuse them, as for a JWT payload).
pub(crate) fn parse(body: &[u8]) -> Result<Map<String, Value>, Unreadable> {
    serde_json::from_slice::<crate::verify::claims::UniqueObject>(body)
        .map(|o| o.0)
        .map_err(|_| Unreadable("the answer is not a JSON object with unique members"))
}

/// Reads an answer at `now` (seconds since the epoch).
pub(crate) fn read(
    answer: Map<String, Value>,
    rules: &AnswerRules,
    now: u64,
) -> Result<Read, Unreadable> {
    let refused = |reason| {
        Ok(Read {
            verdict: Err(reason),
            expires: None,
        })
    };
    match answer.get("active") {
        Some(Value::Bool(true)) => {}
        Some(Value::Bool(false)) => return refused(Reason::Inactive),
        _ => return Err(Unreadable("the answer has no boolean active member")),
    }
    // RFC 7662 §2.1: the hint is only a hint, and a server finding nothing under it searches
    // every kind of token, so the answer may be about a refresh token. `token_type` is the
    // access token's type (RFC 6749 §7.1), which servers also write for refresh tokens; some
    // say what the token is in `token_use` (Ory Hydra) or `typ`. Any of them naming something
    // other than an access token refuses it.
    let mut dpop = false;
    match answer.get("token_type") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("access_token") => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("dpop") => dpop = true,
        Some(_) => return refused(Reason::InvalidClaim("token_type")),
    }
    match answer.get("token_use") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("access_token") => {}
        Some(_) => return refused(Reason::InvalidClaim("token_use")),
    }
    if let Some(Value::String(t)) = answer.get("typ")
        && (t.to_ascii_lowercase().contains("refresh") || t.eq_ignore_ascii_case("id"))
    {
        return refused(Reason::InvalidClaim("typ"));
    }
    // RFC 9449 §6.2: a DPoP token's answer carries the key it is bound to. Without it the
    // binding cannot be checked, and the token must not turn into a bearer token.
    if dpop
        && !answer
            .get("cnf")
            .and_then(|cnf| cnf.get("jkt"))
            .is_some_and(Value::is_string)
    {
        return refused(Reason::UnverifiableBinding(
            "token_type DPoP without cnf.jkt",
        ));
    }
    let number = |name: &'static str| match answer.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(Reason::InvalidClaim(name)),
        Some(_) => Err(Reason::InvalidClaim(name)),
    };
    let (exp, nbf) = match (number("exp"), number("nbf")) {
        (Ok(exp), Ok(nbf)) => (exp, nbf),
        (Err(reason), _) | (_, Err(reason)) => return refused(reason),
    };
    let now_f = now as f64;
    let leeway = rules.leeway as f64;
    match exp {
        Some(exp) if now_f >= exp + leeway => return refused(Reason::Expired),
        None if rules.require_exp => return refused(Reason::InvalidClaim("exp")),
        _ => {}
    }
    if nbf.is_some_and(|nbf| now_f + leeway < nbf) {
        return refused(Reason::NotYetValid);
    }
    if let Some(expected) = &rules.issuer {
        match answer.get("iss") {
            Some(Value::String(iss)) if iss == expected => {}
            Some(Value::String(_)) | None => return refused(Reason::WrongIssuer),
            Some(_) => return refused(Reason::InvalidClaim("iss")),
        }
    }
    if let Some(expected) = &rules.audience {
        let contains = match answer.get("aud") {
            Some(Value::String(aud)) => aud == expected,
            Some(Value::Array(list)) => {
                if list.iter().any(|v| !v.is_string()) {
                    return refused(Reason::InvalidClaim("aud"));
                }
                list.iter().any(|v| v.as_str() == Some(expected))
            }
            None => false,
            Some(_) => return refused(Reason::InvalidClaim("aud")),
        };
        if !contains {
            return refused(Reason::WrongAudience);
        }
    }
    // Subject, scopes and roles where the server's layout puts them (RFC 7662's `scope` and
    // `sub` by default: the same layout as a JWT's); a value of the wrong type refuses.
    let LayoutClaims {
        subject,
        scopes,
        roles,
    } = match rules.layout.read(&answer) {
        Ok(read) => read,
        Err(reason) => return refused(reason),
    };
    let expires = exp.map(|exp| exp.max(0.0).floor() as u64);
    let principal = Principal::new(Scheme::Bearer, subject, scopes, answer);
    let principal = if roles.is_empty() {
        principal
    } else {
        principal.with_roles(roles)
    };
    Ok(Read {
        verdict: Ok(principal),
        expires,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn rules() -> AnswerRules {
        AnswerRules {
            issuer: Some("https://as.example".into()),
            audience: Some("orders-api".into()),
            leeway: 60,
            require_exp: false,
            layout: ClaimLayout::default(),
        }
    }

    fn active(extra: Value) -> Map<String, Value> {
        let mut answer = json!({"active": true, "iss": "https://as.example", "aud": "orders-api"});
        for (k, v) in extra.as_object().unwrap() {
            answer[k] = v.clone();
        }
        answer.as_object().unwrap().clone()
    }

    fn verdict(answer: Map<String, Value>, now: u64) -> Result<Principal, Reason> {
        read(answer, &rules(), now).unwrap().verdict
    }

    #[test]
    fn active_false_is_inactive_whatever_else_it_says() {
        let answer = json!({"active": false, "scope": "orders:read", "sub": "alice"});
        let read = read(answer.as_object().unwrap().clone(), &rules(), 0).unwrap();
        assert_eq!(read.verdict.unwrap_err(), Reason::Inactive);
    }

    #[test]
    fn active_must_be_a_boolean() {
        for answer in [json!({}), json!({"active": "true"}), json!({"active": 1})] {
            assert!(read(answer.as_object().unwrap().clone(), &rules(), 0).is_err());
        }
        assert!(parse(b"[1]").is_err());
        assert!(parse(b"{\"active\":true,\"active\":false}").is_err());
        assert!(parse(b"<html>").is_err());
    }

    #[test]
    fn active_alone_is_not_enough() {
        let bare = json!({"active": true}).as_object().unwrap().clone();
        assert_eq!(verdict(bare, 0).unwrap_err(), Reason::WrongIssuer);
        let mut wrong_aud = active(json!({}));
        wrong_aud.insert("aud".into(), json!(["other-api"]));
        assert_eq!(verdict(wrong_aud, 0).unwrap_err(), Reason::WrongAudience);
        let mut wrong_iss = active(json!({}));
        wrong_iss.insert("iss".into(), json!("https://evil.example"));
        assert_eq!(verdict(wrong_iss, 0).unwrap_err(), Reason::WrongIssuer);
    }

    #[test]
    fn time_claims_with_the_leeway() {
        assert_eq!(
            verdict(active(json!({"exp": 1000})), 1060).unwrap_err(),
            Reason::Expired
        );
        assert!(verdict(active(json!({"exp": 1000})), 1059).is_ok());
        assert_eq!(
            verdict(active(json!({"nbf": 2000})), 1000).unwrap_err(),
            Reason::NotYetValid
        );
        assert_eq!(
            verdict(active(json!({"exp": "1000"})), 0).unwrap_err(),
            Reason::InvalidClaim("exp")
        );
        let strict = AnswerRules {
            require_exp: true,
            ..rules()
        };
        let no_exp = read(active(json!({})), &strict, 0).unwrap().verdict;
        assert_eq!(no_exp.unwrap_err(), Reason::InvalidClaim("exp"));
    }

    #[test]
    fn only_access_tokens() {
        for t in ["Bearer", "bearer", "access_token"] {
            assert!(verdict(active(json!({"token_type": t})), 0).is_ok(), "{t}");
        }
        let bound = json!({"token_type": "DPoP", "cnf": {"jkt": "abc"}});
        assert!(verdict(active(bound), 0).is_ok());
        for unbound in [
            json!({"token_type": "DPoP"}),
            json!({"token_type": "DPoP", "cnf": {"x5t#S256": "a"}}),
        ] {
            assert!(matches!(
                verdict(active(unbound), 0),
                Err(Reason::UnverifiableBinding(_))
            ));
        }
        // Ory Hydra: the kind in `token_use`; others in `typ`.
        for refresh in [
            json!({"token_type": "Bearer", "token_use": "refresh_token"}),
            json!({"token_use": 1}),
            json!({"typ": "Refresh"}),
            json!({"typ": "refresh_token"}),
            json!({"typ": "ID"}),
        ] {
            assert!(
                matches!(
                    verdict(active(refresh.clone()), 0),
                    Err(Reason::InvalidClaim(_))
                ),
                "{refresh}"
            );
        }
        assert!(
            verdict(
                active(json!({"token_use": "access_token", "typ": "Bearer"})),
                0
            )
            .is_ok()
        );
        for t in [json!("refresh_token"), json!("N_A"), json!(1)] {
            assert_eq!(
                verdict(active(json!({"token_type": t})), 0).unwrap_err(),
                Reason::InvalidClaim("token_type")
            );
        }
    }

    #[test]
    fn subject_scopes_and_binding() {
        let read = read(
            active(json!({"sub": "alice", "scope": "orders:read  orders:write", "exp": 5000, "cnf": {"jkt": "abc"}})),
            &rules(),
            0,
        )
        .unwrap();
        assert_eq!(read.expires, Some(5000));
        let p = read.verdict.unwrap();
        assert_eq!(p.subject(), Some("alice"));
        assert_eq!(p.scopes(), ["orders:read", "orders:write"]);
        assert!(p.is_sender_constrained());
        for bad in [
            json!({"sub": 7}),
            json!({"scope": 7}),
            json!({"scope": [1]}),
        ] {
            assert!(matches!(
                verdict(active(bad), 0),
                Err(Reason::InvalidClaim(_))
            ));
        }
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[a-z:/ .]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// Whatever the server answers, only `active: true` with matching `iss` and `aud` is
        /// ever an acceptance, and nothing panics.
        #[test]
        fn only_a_true_active_with_the_right_iss_and_aud_is_accepted(
            members in proptest::collection::btree_map(
                proptest::prop_oneof![
                    proptest::strategy::Just("active".to_owned()),
                    proptest::strategy::Just("iss".to_owned()),
                    proptest::strategy::Just("aud".to_owned()),
                    proptest::strategy::Just("exp".to_owned()),
                    proptest::strategy::Just("scope".to_owned()),
                    proptest::strategy::Just("token_type".to_owned()),
                    proptest::strategy::Just("cnf".to_owned()),
                    "[a-z]{1,6}",
                ],
                json_value(),
                0..8,
            ),
            now in 0u64..4_000_000_000,
        ) {
            let answer: Map<String, Value> = members.into_iter().collect();
            let active = answer.get("active") == Some(&Value::Bool(true));
            let iss_ok = answer.get("iss") == Some(&json!("https://as.example"));
            let aud_ok = match answer.get("aud") {
                Some(Value::String(a)) => a == "orders-api",
                Some(Value::Array(l)) => l.iter().all(Value::is_string) && l.contains(&json!("orders-api")),
                _ => false,
            };
            if let Ok(Read { verdict: Ok(_), .. }) = read(answer, &rules(), now) {
                proptest::prop_assert!(active && iss_ok && aud_ok);
            }
        }
    }
}
