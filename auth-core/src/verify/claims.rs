//! Claim parsing and checks that `jsonwebtoken`'s `Validation` cannot express exactly:
//! duplicate members refused, `exp` refused *at* `exp + leeway`, `iss`/`aud` required whenever
//! configured, and every registered claim type-checked (a string `exp`, a numeric `sub` or an
//! object `aud` is a refusal, not a skipped check).

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::rejection::Reason;

/// A JSON object whose members are unique: RFC 7519 §4 lets a parser refuse duplicates, and we
/// do, so `{"sub":"a","sub":"admin"}` cannot mean different things to different parsers.
pub(crate) struct UniqueObject(pub(crate) Map<String, Value>);

impl<'de> serde::Deserialize<'de> for UniqueObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UniqueObject;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<UniqueObject, A::Error> {
                let mut map = Map::new();
                while let Some((k, v)) = access.next_entry::<String, Value>()? {
                    if map.contains_key(&k) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    map.insert(k, v);
                }
                Ok(UniqueObject(map))
            }
        }
        d.deserialize_map(V)
    }
}

/// The claim checks a verifier was configured with.
#[derive(Clone, Debug)]
pub(crate) struct ClaimRules {
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) leeway: u64,
    pub(crate) require_exp: bool,
    pub(crate) scope_claim: Option<String>,
}

/// What the checks extract from valid claims.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) subject: Option<String>,
    pub(crate) scopes: Vec<String>,
}

fn number(claims: &Map<String, Value>, name: &'static str) -> Result<Option<f64>, Reason> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(Reason::InvalidClaim(name)),
        Some(_) => Err(Reason::InvalidClaim(name)),
    }
}

fn string<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, Reason> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Reason::InvalidClaim(name)),
    }
}

impl ClaimRules {
    /// Checks `claims` at `now` (seconds since the epoch).
    pub(crate) fn check(&self, claims: &Map<String, Value>, now: u64) -> Result<Checked, Reason> {
        let now = now as f64;
        let leeway = self.leeway as f64;
        // Type checks of every registered claim first: a malformed claim is never "absent".
        let exp = number(claims, "exp")?;
        let nbf = number(claims, "nbf")?;
        number(claims, "iat")?;
        let iss = string(claims, "iss")?;
        let sub = string(claims, "sub")?;
        let aud = match claims.get("aud") {
            None => None,
            Some(Value::String(s)) => Some(vec![s.as_str()]),
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|v| v.as_str().ok_or(Reason::InvalidClaim("aud")))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => return Err(Reason::InvalidClaim("aud")),
        };
        let scopes = self.scopes(claims)?;

        match exp {
            Some(exp) if now >= exp + leeway => return Err(Reason::Expired),
            None if self.require_exp => return Err(Reason::InvalidClaim("exp")),
            _ => {}
        }
        if nbf.is_some_and(|nbf| now + leeway < nbf) {
            return Err(Reason::NotYetValid);
        }
        if let Some(expected) = &self.issuer
            && iss != Some(expected.as_str())
        {
            return Err(Reason::WrongIssuer);
        }
        if let Some(expected) = &self.audience
            && !aud.is_some_and(|list| list.contains(&expected.as_str()))
        {
            return Err(Reason::WrongAudience);
        }
        Ok(Checked {
            subject: sub.map(str::to_owned),
            scopes,
        })
    }

    /// Scopes from the configured claim, or by default from `scope` (space-delimited string,
    /// RFC 8693 §4.2 / RFC 9068) and else `scp` (array, common in Azure AD and Okta). Either
    /// claim may be a string or an array of strings; any other type is a refusal.
    fn scopes(&self, claims: &Map<String, Value>) -> Result<Vec<String>, Reason> {
        let (name, value): (&'static str, Option<&Value>) = match &self.scope_claim {
            Some(name) => ("scope", claims.get(name)),
            None => match claims.get("scope") {
                Some(v) => ("scope", Some(v)),
                None => ("scp", claims.get("scp")),
            },
        };
        match value {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(s
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or(Reason::InvalidClaim(name))
                })
                .collect(),
            Some(_) => Err(Reason::InvalidClaim(name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules() -> ClaimRules {
        ClaimRules {
            issuer: Some("iss-1".into()),
            audience: Some("aud-1".into()),
            leeway: 60,
            require_exp: true,
            scope_claim: None,
        }
    }

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn exp_boundary_is_exclusive() {
        let c = obj(json!({"exp": 1000, "iss": "iss-1", "aud": ["x", "aud-1"]}));
        assert!(rules().check(&c, 1059).is_ok());
        assert_eq!(rules().check(&c, 1060).unwrap_err(), Reason::Expired);
    }

    #[test]
    fn configured_claims_are_required() {
        let c = obj(json!({"exp": 1000, "aud": "aud-1"}));
        assert_eq!(rules().check(&c, 0).unwrap_err(), Reason::WrongIssuer);
        let c = obj(json!({"exp": 1000, "iss": "iss-1"}));
        assert_eq!(rules().check(&c, 0).unwrap_err(), Reason::WrongAudience);
        let c = obj(json!({"iss": "iss-1", "aud": "aud-1"}));
        assert_eq!(
            rules().check(&c, 0).unwrap_err(),
            Reason::InvalidClaim("exp")
        );
    }

    #[test]
    fn types_are_checked() {
        for bad in [
            json!({"exp": "1000"}),
            json!({"exp": null}),
            json!({"sub": 1}),
            json!({"aud": {}}),
            json!({"scope": 1}),
            json!({"scp": [1]}),
        ] {
            let mut c = obj(json!({"exp": 1000, "iss": "iss-1", "aud": "aud-1"}));
            c.extend(obj(bad.clone()));
            assert!(
                matches!(rules().check(&c, 0), Err(Reason::InvalidClaim(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn duplicate_members_are_refused() {
        assert!(serde_json::from_str::<UniqueObject>(r#"{"sub":"a","sub":"b"}"#).is_err());
        assert!(serde_json::from_str::<UniqueObject>(r#"{"sub":"a"}"#).is_ok());
    }
}
