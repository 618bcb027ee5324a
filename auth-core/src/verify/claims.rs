//! Claim parsing and checks that `jsonwebtoken`'s `Validation` cannot express exactly:
//! duplicate members refused, `exp` refused *at* `exp + leeway`, `iat` refused past
//! `now + leeway`, `iss`/`aud` required whenever configured, the RFC 9068 claims required under
//! that profile, and every registered claim type-checked (a string `exp`, a numeric `sub` or an
//! object `aud` is a refusal, not a skipped check). A `cnf` claim (RFC 7800) is read here, in
//! one place, `read_sender_binding`, into the bindings the request must satisfy.
//!
//! The header and the payload are read in one pass each into borrowed, typed views: the hot path
//! allocates no map. The full claims map a handler may ask for (`Principal::claims`) is built
//! lazily from the same bytes.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::rejection::Reason;

/// A JSON object whose members are unique: RFC 7519 §4 lets a parser refuse duplicates, and we
/// do, so `{"sub":"a","sub":"admin"}` cannot mean different things to different parsers.
pub(crate) struct UniqueObject(pub(crate) Map<String, Value>);

impl<'de> Deserialize<'de> for UniqueObject {
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

/// The JOSE header members we act on. Unknown members are ignored (never used for key
/// selection: `jwk`, `jku`, `x5u`, `x5c` included); a known member given twice is refused.
#[derive(Deserialize)]
pub(crate) struct JoseHeader<'a> {
    #[serde(borrow)]
    pub(crate) alg: Cow<'a, str>,
    #[serde(default, borrow)]
    pub(crate) kid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub(crate) typ: Option<Cow<'a, str>>,
    /// Whether a `crit` member is present at all (whatever its value, even `null`).
    #[serde(default, deserialize_with = "present")]
    pub(crate) crit: bool,
}

fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    IgnoredAny::deserialize(d).map(|_| true)
}

/// Skips any JSON value through `deserialize_any`, so serde_json's nesting limit (128) applies:
/// its `IgnoredAny` skips iteratively with no limit, and the claims map a handler may ask for
/// later is parsed with the limit, so a token must not pass here and fail there.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Skip;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_unit<E>(self) -> Result<Skip, E> {
                Ok(Skip)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Skip)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Skip)
            }
        }
        d.deserialize_any(V)
    }
}

impl Claim<'static> {
    /// The claim a whole JSON value is (a layout captured it).
    fn of_value(value: &Value) -> Self {
        match value {
            Value::Number(n) => n.as_f64().map_or(Claim::Other, Claim::Number),
            Value::String(s) => Claim::Text(Cow::Owned(s.clone())),
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(|s| Cow::Owned(s.to_owned())))
                .collect::<Option<Vec<_>>>()
                .map_or(Claim::Other, Claim::Texts),
            _ => Claim::Other,
        }
    }
}

/// A registered claim's value, by JSON type.
#[derive(Debug, Default, PartialEq)]
pub(crate) enum Claim<'a> {
    #[default]
    Absent,
    Number(f64),
    Text(Cow<'a, str>),
    Texts(Vec<Cow<'a, str>>),
    /// `null`, a boolean, an object, or an array holding anything but strings.
    Other,
}

impl<'de> Deserialize<'de> for Claim<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Claim<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a claim")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Claim<'de>, E> {
                Ok(Claim::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Claim<'de>, E> {
                Ok(Claim::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Claim<'de>, E> {
                Ok(Claim::Number(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Claim<'de>, E> {
                Ok(Claim::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Claim<'de>, E> {
                Ok(Claim::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Claim<'de>, E> {
                Ok(Claim::Text(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Claim<'de>, E> {
                Ok(Claim::Other)
            }
            fn visit_unit<E>(self) -> Result<Claim<'de>, E> {
                Ok(Claim::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Claim<'de>, A::Error> {
                let mut items = Vec::new();
                let mut all_text = true;
                while let Some(item) = seq.next_element::<Claim<'de>>()? {
                    match item {
                        Claim::Text(t) if all_text => items.push(t),
                        _ => all_text = false,
                    }
                }
                Ok(if all_text {
                    Claim::Texts(items)
                } else {
                    Claim::Other
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Claim<'de>, A::Error> {
                while map.next_entry::<Skip, Skip>()?.is_some() {}
                Ok(Claim::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// The `cnf` (confirmation) claim of RFC 7800: what a sender-constrained token is bound to.
#[derive(Debug, Default, PartialEq)]
pub(crate) enum Confirmation<'a> {
    /// No `cnf` member: a plain bearer token.
    #[default]
    Absent,
    /// A JSON object: the confirmation methods it names.
    Methods(ConfirmationMethods<'a>),
    /// `cnf` is present but is not a JSON object (`null` included).
    NotAnObject,
}

/// The members of a `cnf` object.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ConfirmationMethods<'a> {
    /// `jkt`: the RFC 7638 thumbprint of a DPoP key (RFC 9449 §6.1).
    pub(crate) jkt: Claim<'a>,
    /// `x5t#S256`: the SHA-256 thumbprint of a client certificate (RFC 8705 §3.1).
    pub(crate) x5t_s256: Claim<'a>,
    /// Whether any other member is present (`jwk`, `jwe`, `jku`, `kid`, an extension …).
    pub(crate) other: bool,
}

impl<'de> Deserialize<'de> for Confirmation<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Confirmation<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a cnf claim")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Confirmation<'de>, E> {
                Ok(Confirmation::NotAnObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Confirmation<'de>, E> {
                Ok(Confirmation::NotAnObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Confirmation<'de>, E> {
                Ok(Confirmation::NotAnObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Confirmation<'de>, E> {
                Ok(Confirmation::NotAnObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Confirmation<'de>, E> {
                Ok(Confirmation::NotAnObject)
            }
            fn visit_unit<E>(self) -> Result<Confirmation<'de>, E> {
                Ok(Confirmation::NotAnObject)
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Confirmation<'de>, A::Error> {
                while seq.next_element::<Skip>()?.is_some() {}
                Ok(Confirmation::NotAnObject)
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Confirmation<'de>, A::Error> {
                let mut methods = ConfirmationMethods::default();
                let (mut jkt, mut x5t) = (false, false);
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let (seen, slot) = match key.as_ref() {
                        "jkt" => (&mut jkt, &mut methods.jkt),
                        "x5t#S256" => (&mut x5t, &mut methods.x5t_s256),
                        _ => {
                            methods.other = true;
                            map.next_value::<Skip>()?;
                            continue;
                        }
                    };
                    if std::mem::replace(seen, true) {
                        return Err(de::Error::custom("duplicate member"));
                    }
                    *slot = map.next_value::<Claim<'de>>()?;
                }
                Ok(Confirmation::Methods(methods))
            }
        }
        d.deserialize_any(V)
    }
}

/// The one place a `cnf` claim is read, after the signature and the other claims: into the
/// bindings the request must then satisfy (`crate::binding`, whichever scheme carried it).
///
/// Refused here already: a `cnf` that is not an object, one naming no method, one naming a
/// method this framework does not check (`jwk`, `jwe`, `jku`, `kid`, an extension), and `jkt`
/// or `x5t#S256` values that are not non-empty strings. A token carrying `cnf` must satisfy
/// every binding it names (`responses.md`), so a binding we cannot check would turn a
/// sender-constrained token into a bearer token.
pub(crate) fn read_sender_binding(
    cnf: &Confirmation<'_>,
) -> Result<Option<Box<crate::confirmation::Binding>>, Reason> {
    let methods = match cnf {
        Confirmation::Absent => return Ok(None),
        Confirmation::NotAnObject => {
            return Err(Reason::UnverifiableBinding("cnf is not an object"));
        }
        Confirmation::Methods(m) => m,
    };
    if methods.other {
        return Err(Reason::UnverifiableBinding(
            "cnf names a confirmation method this verifier does not implement",
        ));
    }
    let text = |claim: &Claim<'_>, what| match claim {
        Claim::Absent => Ok(None),
        Claim::Text(t) if !t.is_empty() => Ok(Some(Box::<str>::from(t.as_ref()))),
        _ => Err(Reason::UnverifiableBinding(what)),
    };
    let binding = crate::confirmation::Binding {
        jkt: text(&methods.jkt, "cnf.jkt is not a non-empty string")?,
        x5t_s256: text(&methods.x5t_s256, "cnf.x5t#S256 is not a non-empty string")?,
        unverifiable: false,
    };
    if binding.jkt.is_none() && binding.x5t_s256.is_none() {
        return Err(Reason::UnverifiableBinding(
            "cnf names no confirmation method",
        ));
    }
    Ok(Some(Box::new(binding)))
}

/// The registered claims of a payload, read in one pass that also refuses duplicate members.
#[derive(Debug, Default)]
pub(crate) struct Registered<'a> {
    exp: Claim<'a>,
    nbf: Claim<'a>,
    iat: Claim<'a>,
    iss: Claim<'a>,
    sub: Claim<'a>,
    aud: Claim<'a>,
    client_id: Claim<'a>,
    jti: Claim<'a>,
    scope: Claim<'a>,
    scp: Claim<'a>,
    /// `roles` (RFC 9068 §2.2.3.1), read by the default layout.
    roles: Claim<'a>,
    /// With a claim layout: the top-level members it names, whole (the default layout reads
    /// the borrowed slots above instead, and keeps nothing).
    pub(crate) captured: Vec<(Cow<'a, str>, Value)>,
    /// Decided by [`check_sender_binding`], not by [`ClaimRules::check`].
    pub(crate) cnf: Confirmation<'a>,
}

/// Reads `payload` (JSON bytes) with the scope claim configured (`None`: `scope`, then `scp`).
impl Registered<'_> {
    /// What revocation is decided on besides the subject: `iss` and `jti` when they are
    /// strings, `iat` when it is a number (rounded down to whole seconds: an earlier `iat` is
    /// the one more often refused).
    pub(crate) fn revocation_ids(&self) -> (Option<&str>, Option<&str>, Option<i64>) {
        let iss = match &self.iss {
            Claim::Text(t) => Some(t.as_ref()),
            _ => None,
        };
        let jti = match &self.jti {
            Claim::Text(t) => Some(t.as_ref()),
            _ => None,
        };
        let iat = match self.iat {
            Claim::Number(n) => Some(n.floor() as i64),
            _ => None,
        };
        (iss, jti, iat)
    }
}

#[cfg(test)]
pub(crate) fn read_payload<'a>(
    payload: &'a [u8],
    scope_claim: Option<&str>,
) -> Result<Registered<'a>, Reason> {
    read_payload_for(payload, scope_claim, None)
}

/// [`read_payload`], keeping whole the top-level members named in `capture` (a claim layout's;
/// then `scope`, `scp` and `roles` are left to the layout).
pub(crate) fn read_payload_for<'a>(
    payload: &'a [u8],
    scope_claim: Option<&str>,
    capture: Option<&[String]>,
) -> Result<Registered<'a>, Reason> {
    let mut de = serde_json::Deserializer::from_slice(payload);
    let registered = PayloadSeed {
        scope_claim,
        capture,
    }
    .deserialize(&mut de)
    .map_err(|_| Reason::MalformedToken("payload"))?;
    de.end().map_err(|_| Reason::MalformedToken("payload"))?;
    Ok(registered)
}

struct PayloadSeed<'s> {
    scope_claim: Option<&'s str>,
    capture: Option<&'s [String]>,
}

impl<'de> DeserializeSeed<'de> for PayloadSeed<'_> {
    type Value = Registered<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PayloadSeed<'_> {
    type Value = Registered<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Registered<'de>, A::Error> {
        let mut out = Registered::default();
        let mut seen: Vec<Cow<'de, str>> = Vec::new();
        while let Some(key) = access.next_key::<Cow<'de, str>>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom("duplicate member"));
            }
            if key == "cnf" {
                out.cnf = access.next_value::<Confirmation<'de>>()?;
                seen.push(key);
                continue;
            }
            let layout = self.capture.is_some();
            let captured = self
                .capture
                .is_some_and(|names| names.iter().any(|n| *n == key));
            let slot = match key.as_ref() {
                "exp" => Some(&mut out.exp),
                "nbf" => Some(&mut out.nbf),
                "iat" => Some(&mut out.iat),
                "iss" => Some(&mut out.iss),
                "sub" => Some(&mut out.sub),
                "aud" => Some(&mut out.aud),
                "client_id" => Some(&mut out.client_id),
                "jti" => Some(&mut out.jti),
                _ if layout => None,
                name if Some(name) == self.scope_claim => Some(&mut out.scope),
                "scope" if self.scope_claim.is_none() => Some(&mut out.scope),
                "scp" if self.scope_claim.is_none() => Some(&mut out.scp),
                "roles" => Some(&mut out.roles),
                _ => None,
            };
            match (slot, captured) {
                (slot, true) => {
                    let value = access.next_value::<Value>()?;
                    if let Some(slot) = slot {
                        *slot = Claim::of_value(&value);
                    }
                    out.captured.push((key.clone(), value));
                }
                (Some(slot), false) => *slot = access.next_value::<Claim<'de>>()?,
                (None, false) => {
                    access.next_value::<Skip>()?;
                }
            }
            seen.push(key);
        }
        Ok(out)
    }
}

/// The claim checks a verifier was configured with.
#[derive(Clone, Debug)]
pub(crate) struct ClaimRules {
    pub(crate) issuer: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) leeway: u64,
    pub(crate) require_exp: bool,
    /// RFC 9068 §2.2: `iss`, `aud`, `sub`, `client_id`, `iat` and `jti` must be present (`exp`
    /// through `require_exp`), `client_id` and `jti` as strings.
    pub(crate) require_rfc9068_claims: bool,
    pub(crate) scope_claim: Option<String>,
}

/// What the checks extract from valid claims.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) subject: Option<String>,
    pub(crate) scopes: Vec<String>,
    /// The default layout's roles (`roles`).
    pub(crate) roles: Vec<String>,
    /// `exp` + leeway: from then on the token is refused.
    pub(crate) dies_at: Option<f64>,
}

fn number(claim: &Claim<'_>, name: &'static str) -> Result<Option<f64>, Reason> {
    match claim {
        Claim::Absent => Ok(None),
        Claim::Number(n) => Ok(Some(*n)),
        _ => Err(Reason::InvalidClaim(name)),
    }
}

fn text<'c>(claim: &'c Claim<'_>, name: &'static str) -> Result<Option<&'c str>, Reason> {
    match claim {
        Claim::Absent => Ok(None),
        Claim::Text(t) => Ok(Some(t)),
        _ => Err(Reason::InvalidClaim(name)),
    }
}

impl ClaimRules {
    /// Checks the registered claims at `now` (seconds since the epoch).
    pub(crate) fn check(&self, claims: &Registered<'_>, now: u64) -> Result<Checked, Reason> {
        let now = now as f64;
        let leeway = self.leeway as f64;
        // Type checks of every registered claim first: a malformed claim is never "absent".
        let exp = number(&claims.exp, "exp")?;
        let nbf = number(&claims.nbf, "nbf")?;
        let iat = number(&claims.iat, "iat")?;
        let iss = text(&claims.iss, "iss")?;
        let sub = text(&claims.sub, "sub")?;
        let aud: Option<Vec<&str>> = match &claims.aud {
            Claim::Absent => None,
            Claim::Text(t) => Some(vec![t.as_ref()]),
            Claim::Texts(items) => Some(items.iter().map(AsRef::as_ref).collect()),
            _ => return Err(Reason::InvalidClaim("aud")),
        };
        let scopes = match (&claims.scope, &claims.scp) {
            (Claim::Absent, scp) => scope_list(scp, "scp")?,
            (scope, _) => scope_list(scope, "scope")?,
        };
        let roles = role_list(&claims.roles)?;

        if self.require_rfc9068_claims {
            let present = |claim: &Claim<'_>| match claim {
                Claim::Absent => false,
                Claim::Texts(items) => !items.is_empty(),
                _ => true,
            };
            for (claim, name) in [
                (&claims.iss, "iss"),
                (&claims.aud, "aud"),
                (&claims.sub, "sub"),
                (&claims.iat, "iat"),
            ] {
                if !present(claim) {
                    return Err(Reason::InvalidClaim(name));
                }
            }
            for (claim, name) in [(&claims.client_id, "client_id"), (&claims.jti, "jti")] {
                if !matches!(claim, Claim::Text(text) if !text.is_empty()) {
                    return Err(Reason::InvalidClaim(name));
                }
            }
        }

        let dies_at = exp.map(|exp| exp + leeway);
        match dies_at {
            Some(dies_at) if now >= dies_at => return Err(Reason::Expired),
            None if self.require_exp => return Err(Reason::InvalidClaim("exp")),
            _ => {}
        }
        if nbf.is_some_and(|nbf| now + leeway < nbf) {
            return Err(Reason::NotYetValid);
        }
        // RFC 9068 §4 / RFC 7519 §4.1.6: a token issued in the future (past the clock skew) is
        // not one the issuer minted yet.
        if iat.is_some_and(|iat| now + leeway < iat) {
            return Err(Reason::IssuedInFuture);
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
            roles,
            dies_at,
        })
    }
}

/// Scopes from a space-delimited string (RFC 8693 §4.2 / RFC 9068) or an array of strings
/// (`scp`, Azure AD and Okta); any other type is a refusal.
fn scope_list(claim: &Claim<'_>, name: &'static str) -> Result<Vec<String>, Reason> {
    match claim {
        Claim::Absent => Ok(Vec::new()),
        Claim::Text(s) => Ok(s
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect()),
        Claim::Texts(items) => Ok(items.iter().map(|s| s.as_ref().to_owned()).collect()),
        _ => Err(Reason::InvalidClaim(name)),
    }
}

/// Roles (RFC 9068 §2.2.3.1) from a string (one role: a role is a name, never split, as the
/// layouts read it too) or an array of strings, without empty or repeated names.
fn role_list(claim: &Claim<'_>) -> Result<Vec<String>, Reason> {
    let mut roles: Vec<String> = Vec::new();
    let mut add = |role: &str| {
        if !role.is_empty() && !roles.iter().any(|r| r == role) {
            roles.push(role.to_owned());
        }
    };
    match claim {
        Claim::Absent => {}
        Claim::Text(role) => add(role),
        Claim::Texts(items) => items.iter().for_each(|r| add(r)),
        _ => return Err(Reason::InvalidClaim("roles")),
    }
    Ok(roles)
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
            require_rfc9068_claims: false,
            scope_claim: None,
        }
    }

    fn check(v: Value, now: u64) -> Result<Checked, Reason> {
        let bytes = v.to_string().into_bytes();
        let registered = read_payload(&bytes, None)?;
        rules().check(&registered, now)
    }

    #[test]
    fn exp_boundary_is_exclusive() {
        let c = json!({"exp": 1000, "iss": "iss-1", "aud": ["x", "aud-1"]});
        assert!(check(c.clone(), 1059).is_ok());
        assert_eq!(check(c, 1060).unwrap_err(), Reason::Expired);
    }

    #[test]
    fn configured_claims_are_required() {
        assert_eq!(
            check(json!({"exp": 1000, "aud": "aud-1"}), 0).unwrap_err(),
            Reason::WrongIssuer
        );
        assert_eq!(
            check(json!({"exp": 1000, "iss": "iss-1"}), 0).unwrap_err(),
            Reason::WrongAudience
        );
        assert_eq!(
            check(json!({"iss": "iss-1", "aud": "aud-1"}), 0).unwrap_err(),
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
            json!({"aud": ["aud-1", 2]}),
        ] {
            let mut c = json!({"exp": 1000, "iss": "iss-1", "aud": "aud-1"});
            for (k, v) in bad.as_object().unwrap() {
                c[k] = v.clone();
            }
            assert!(matches!(check(c, 0), Err(Reason::InvalidClaim(_))), "{bad}");
        }
    }

    #[test]
    fn duplicate_members_are_refused() {
        assert!(read_payload(br#"{"sub":"a","sub":"b"}"#, None).is_err());
        assert!(
            read_payload(br#"{"x":1,"x":2}"#, None).is_err(),
            "unknown members too"
        );
        assert!(read_payload(br#"{"sub":"a"} trailing"#, None).is_err());
        let deep = format!(r#"{{"x":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        assert!(
            read_payload(deep.as_bytes(), None).is_err(),
            "serde_json's nesting limit applies"
        );
        assert!(serde_json::from_str::<UniqueObject>(r#"{"sub":"a","sub":"b"}"#).is_err());
        let r = read_payload(br#"{"sub":"a\u0041","other":{"deep":[1,{"x":2}]}}"#, None).unwrap();
        assert_eq!(r.sub, Claim::Text(Cow::Borrowed("aA")));
    }

    #[test]
    fn iat_in_the_future_is_refused_past_the_leeway() {
        let c = |iat: Value| json!({"exp": 5000, "iss": "iss-1", "aud": "aud-1", "iat": iat});
        assert!(check(c(json!(1060)), 1000).is_ok(), "within the leeway");
        assert_eq!(
            check(c(json!(1061)), 1000).unwrap_err(),
            Reason::IssuedInFuture
        );
        for bad in [
            json!("1000"),
            json!(true),
            json!(null),
            json!([1000]),
            json!({}),
        ] {
            assert_eq!(
                check(c(bad), 1000).unwrap_err(),
                Reason::InvalidClaim("iat")
            );
        }
    }

    #[test]
    fn cnf_is_read_into_bindings_or_refused() {
        fn binding(payload: &str) -> Result<Option<Box<crate::confirmation::Binding>>, Reason> {
            read_payload(payload.as_bytes(), None).and_then(|r| read_sender_binding(&r.cnf))
        }
        assert_eq!(binding(r#"{"sub":"a"}"#).unwrap(), None);
        let dpop = binding(r#"{"cnf":{"jkt":"abc"}}"#).unwrap().unwrap();
        assert_eq!(
            (dpop.jkt.as_deref(), dpop.x5t_s256.as_deref()),
            (Some("abc"), None)
        );
        let both = binding(r#"{"cnf":{"jkt":"a","x5t#S256":"b"}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            (both.jkt.as_deref(), both.x5t_s256.as_deref()),
            (Some("a"), Some("b"))
        );
        for payload in [
            r#"{"cnf":{"jwk":{"kty":"EC"}}}"#,
            r#"{"cnf":{"jkt":"abc","kid":"k"}}"#,
            r#"{"cnf":{"jkt":""}}"#,
            r#"{"cnf":{"jkt":7}}"#,
            r#"{"cnf":{"x5t#S256":["a"]}}"#,
            r#"{"cnf":{}}"#,
            r#"{"cnf":null}"#,
            r#"{"cnf":"abc"}"#,
            r#"{"cnf":[{"jkt":"abc"}]}"#,
        ] {
            assert!(
                matches!(binding(payload), Err(Reason::UnverifiableBinding(_))),
                "{payload}"
            );
        }
        assert!(
            binding(r#"{"cnf":{"jkt":"a","jkt":"b"}}"#).is_err(),
            "duplicate member"
        );
        assert!(binding(r#"{"cnf":{},"cnf":{}}"#).is_err(), "duplicate cnf");
    }

    #[test]
    fn rfc9068_claims_are_required_under_the_profile() {
        let full = json!({"exp": 9, "iss": "iss-1", "aud": "aud-1", "sub": "s", "client_id": "c", "iat": 0, "jti": "j"});
        let profile = ClaimRules {
            require_rfc9068_claims: true,
            ..rules()
        };
        let run = |rules: &ClaimRules, v: &Value| {
            rules
                .check(&read_payload(v.to_string().as_bytes(), None).unwrap(), 0)
                .map(|_| ())
        };
        assert!(run(&profile, &full).is_ok());
        for name in ["sub", "client_id", "iat", "jti"] {
            let mut c = full.clone();
            c.as_object_mut().unwrap().remove(name);
            assert!(
                run(&rules(), &c).is_ok(),
                "{name} is optional without the profile"
            );
            assert_eq!(run(&profile, &c).unwrap_err(), Reason::InvalidClaim(name));
        }
        let mut numeric = full.clone();
        numeric["jti"] = json!(7);
        assert_eq!(
            run(&profile, &numeric).unwrap_err(),
            Reason::InvalidClaim("jti")
        );
    }

    #[test]
    fn scopes_from_either_claim() {
        let c = |v: Value| {
            rules()
                .check(&read_payload(v.to_string().as_bytes(), None).unwrap(), 0)
                .map(|c| c.scopes)
        };
        assert_eq!(
            c(json!({"exp": 9, "iss": "iss-1", "aud": "aud-1", "scope": "a  b"})).unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            c(json!({"exp": 9, "iss": "iss-1", "aud": "aud-1", "scp": ["a"]})).unwrap(),
            ["a"]
        );
    }
}
