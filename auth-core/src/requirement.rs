//! What an endpoint demands: accepted schemes, scopes (all-of and any-of) and the realm.
//!
//! A [`Requirement`] is plain data with `const` constructors, so `#[require_auth]` turns its
//! arguments into a `const` and nothing about the requirement is computed per request.

use crate::policy::Policy;
use crate::scheme::SchemeSet;
use crate::token_location::TokenLocations;

/// What an endpoint demands of a request.
///
/// Built by `#[require_auth]` as a `const`; it can also be written by hand:
///
/// ```
/// use auth_core::{Requirement, Scheme, SchemeSet};
/// const WRITE: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
///     .with_all_scopes(&["orders:write", "orders:admin"])
///     .with_realm("orders");
/// assert_eq!(WRITE.required_scopes().collect::<Vec<_>>(), ["orders:write", "orders:admin"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requirement {
    schemes: SchemeSet,
    all_of: &'static [&'static str],
    any_of: &'static [&'static str],
    realm: Option<&'static str>,
    locations: Option<TokenLocations>,
    acr: &'static [&'static str],
    max_age: Option<u32>,
    policy: Option<Policy>,
    all_roles: &'static [&'static str],
    any_roles: &'static [&'static str],
}

impl Requirement {
    /// Any valid credential of any registered scheme; no scope; the application's realm.
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// assert_eq!(Requirement::AUTHENTICATED.schemes(), SchemeSet::ANY);
    /// assert!(Requirement::AUTHENTICATED.scopes_satisfied::<&str>(&[]));
    /// assert_eq!(Requirement::AUTHENTICATED.realm(), None);
    /// ```
    pub const AUTHENTICATED: Requirement = Requirement::new(SchemeSet::ANY);

    /// A requirement accepting `schemes`, with no scope and the application's default realm.
    ///
    /// ```
    /// use auth_core::{Requirement, Scheme, SchemeSet};
    /// const BASIC: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Basic));
    /// assert!(BASIC.schemes().contains(Scheme::Basic));
    /// assert_eq!(BASIC.required_scopes().count(), 0);
    /// ```
    pub const fn new(schemes: SchemeSet) -> Self {
        Requirement {
            schemes,
            all_of: &[],
            any_of: &[],
            realm: None,
            locations: None,
            acr: &[],
            max_age: None,
            policy: None,
            all_roles: &[],
            any_roles: &[],
        }
    }

    /// Every one of these roles is required (see [`Principal::roles`](crate::Principal::roles));
    /// otherwise 403 `insufficient_scope`, whose challenge names the endpoint's scopes only.
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// const R: Requirement = Requirement::new(SchemeSet::ANY).with_all_roles(&["staff", "refunds"]);
    /// assert!(R.roles_satisfied(&["refunds", "staff"]));
    /// assert!(!R.roles_satisfied(&["staff"]));
    /// ```
    pub const fn with_all_roles(mut self, roles: &'static [&'static str]) -> Self {
        self.all_roles = roles;
        self
    }

    /// At least one of these roles is required.
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// const R: Requirement = Requirement::new(SchemeSet::ANY).with_any_role(&["admin", "support"]);
    /// assert!(R.roles_satisfied(&["support"]));
    /// assert!(!R.roles_satisfied(&["Support"]));
    /// ```
    pub const fn with_any_role(mut self, roles: &'static [&'static str]) -> Self {
        self.any_roles = roles;
        self
    }

    /// Roles that must all be held.
    ///
    /// ```
    /// use auth_core::Requirement;
    /// assert!(Requirement::AUTHENTICATED.all_roles().is_empty());
    /// ```
    pub const fn all_roles(&self) -> &'static [&'static str] {
        self.all_roles
    }

    /// Roles of which one must be held (empty: no such condition).
    ///
    /// ```
    /// use auth_core::Requirement;
    /// assert_eq!(Requirement::AUTHENTICATED.with_any_role(&["a"]).any_roles(), ["a"]);
    /// ```
    pub const fn any_roles(&self) -> &'static [&'static str] {
        self.any_roles
    }

    /// Whether a principal holding `held` satisfies the role conditions (exact,
    /// case-sensitive).
    ///
    /// ```
    /// use auth_core::Requirement;
    /// let r = Requirement::AUTHENTICATED.with_all_roles(&["staff"]).with_any_role(&["a", "b"]);
    /// assert!(r.roles_satisfied(&["b", "staff"]));
    /// assert!(!r.roles_satisfied(&["staff"]));
    /// assert!(Requirement::AUTHENTICATED.roles_satisfied::<&str>(&[]));
    /// ```
    pub fn roles_satisfied<S: AsRef<str>>(&self, held: &[S]) -> bool {
        let has = |wanted: &str| held.iter().any(|g| g.as_ref() == wanted);
        self.all_roles.iter().all(|r| has(r))
            && (self.any_roles.is_empty() || self.any_roles.iter().any(|r| has(r)))
    }

    /// An application policy decides last, after the credentials verified and the scopes
    /// (and step-up conditions) passed: [`Decision::Deny`](crate::Decision::Deny) is a 403
    /// `forbidden` with no challenge, [`Decision::Undecided`](crate::Decision::Undecided) a
    /// 503 (see [`mod@crate::policy`]).
    ///
    /// ```
    /// use actix_web::HttpRequest;
    /// use auth_core::{policy, Decision, Principal, Requirement, Scheme, SchemeSet};
    /// fn owner(user: &Principal, req: &HttpRequest) -> Decision {
    ///     (user.subject() == req.match_info().get("user")).into()
    /// }
    /// const MINE: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
    ///     .with_policy(policy!(owner));
    /// assert_eq!(MINE.policy().map(|p| p.name()), Some("owner"));
    /// ```
    pub const fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The endpoint's application policy, if any.
    ///
    /// ```
    /// use auth_core::Requirement;
    /// assert!(Requirement::AUTHENTICATED.policy().is_none());
    /// ```
    pub const fn policy(&self) -> Option<Policy> {
        self.policy
    }

    /// The token's `acr` (authentication context class, RFC 9470) must be one of these;
    /// otherwise 401 `insufficient_user_authentication` with `acr_values`, so the client asks
    /// its authorization server for a stronger sign-in.
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// const MFA: Requirement = Requirement::new(SchemeSet::ANY).with_acr_values(&["urn:orders:mfa"]);
    /// assert_eq!(MFA.acr_values(), ["urn:orders:mfa"]);
    /// ```
    pub const fn with_acr_values(mut self, acr: &'static [&'static str]) -> Self {
        self.acr = acr;
        self
    }

    /// The token's `auth_time` must be at most `seconds` ago (RFC 9470 `max_age`); a token
    /// without `auth_time` fails it.
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// const RECENT: Requirement = Requirement::new(SchemeSet::ANY).with_max_age(300);
    /// assert_eq!(RECENT.max_age(), Some(300));
    /// ```
    pub const fn with_max_age(mut self, seconds: u32) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// The accepted `acr` values (empty: any).
    ///
    /// ```
    /// use auth_core::Requirement;
    /// assert!(Requirement::AUTHENTICATED.acr_values().is_empty());
    /// ```
    pub const fn acr_values(&self) -> &'static [&'static str] {
        self.acr
    }

    /// The `max_age`, in seconds, if any.
    ///
    /// ```
    /// use auth_core::Requirement;
    /// assert_eq!(Requirement::AUTHENTICATED.max_age(), None);
    /// ```
    pub const fn max_age(&self) -> Option<u32> {
        self.max_age
    }

    /// Whether a principal with these claims meets the step-up conditions (`acr`, `max_age`)
    /// at the Unix second `now`: `Err` names the one that failed (for the audit log).
    ///
    /// ```
    /// use auth_core::{Principal, Reason, Requirement, Scheme, SchemeSet};
    /// const R: Requirement = Requirement::new(SchemeSet::ANY).with_acr_values(&["mfa"]).with_max_age(300);
    /// let with = |claims: serde_json::Value| Principal::new(Scheme::Bearer, None, vec![], claims.as_object().unwrap().clone());
    /// assert!(R.authentication_satisfied(&with(serde_json::json!({"acr": "mfa", "auth_time": 1000})), 1200).is_ok());
    /// assert_eq!(R.authentication_satisfied(&with(serde_json::json!({"acr": "pwd", "auth_time": 1000})), 1200), Err(Reason::InsufficientAcr));
    /// assert_eq!(R.authentication_satisfied(&with(serde_json::json!({"acr": "mfa", "auth_time": 1000})), 1301), Err(Reason::AuthenticationTooOld));
    /// assert_eq!(R.authentication_satisfied(&with(serde_json::json!({"acr": "mfa"})), 1200), Err(Reason::AuthenticationTooOld));
    /// assert_eq!(R.authentication_satisfied(&with(serde_json::json!({"acr": "mfa", "auth_time": 99_999})), 1200), Err(Reason::AuthenticationTooOld));
    /// ```
    pub fn authentication_satisfied(
        &self,
        principal: &crate::Principal,
        now: u64,
    ) -> Result<(), crate::Reason> {
        if !self.acr.is_empty() {
            let acr = principal.claim("acr").and_then(serde_json::Value::as_str);
            if !acr.is_some_and(|acr| self.acr.contains(&acr)) {
                return Err(crate::Reason::InsufficientAcr);
            }
        }
        if let Some(max_age) = self.max_age {
            let auth_time = principal
                .claim("auth_time")
                .and_then(serde_json::Value::as_f64)
                .filter(|t| t.is_finite());
            // An `auth_time` in the future (beyond a minute of clock skew) is refused: it would
            // satisfy any `max_age` forever.
            let now = now as f64;
            let recent =
                auth_time.is_some_and(|t| now - t <= f64::from(max_age) && t <= now + 60.0);
            if !recent {
                return Err(crate::Reason::AuthenticationTooOld);
            }
        }
        Ok(())
    }

    /// Every one of these scopes is required (RFC 6749 §3.3 scope tokens).
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// const R: Requirement = Requirement::new(SchemeSet::ANY).with_all_scopes(&["a", "b"]);
    /// assert!(R.scopes_satisfied(&["b", "a"]));
    /// assert!(!R.scopes_satisfied(&["a"]));
    /// ```
    pub const fn with_all_scopes(mut self, scopes: &'static [&'static str]) -> Self {
        self.all_of = scopes;
        self
    }

    /// At least one of these scopes is required.
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// const R: Requirement = Requirement::new(SchemeSet::ANY).with_any_scopes(&["read", "admin"]);
    /// assert!(R.scopes_satisfied(&["admin"]));
    /// assert!(!R.scopes_satisfied(&["write"]));
    /// ```
    pub const fn with_any_scopes(mut self, scopes: &'static [&'static str]) -> Self {
        self.any_of = scopes;
        self
    }

    /// The realm of this endpoint's challenges, instead of the application's default.
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// const R: Requirement = Requirement::new(SchemeSet::ANY).with_realm("orders");
    /// assert_eq!(R.realm(), Some("orders"));
    /// ```
    pub const fn with_realm(mut self, realm: &'static str) -> Self {
        self.realm = Some(realm);
        self
    }

    /// Where this endpoint reads a Bearer token from, instead of the application's
    /// [`token_locations`](crate::AuthConfigBuilder::token_locations) (see [`crate::transport`]).
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    /// use auth_core::{Requirement, Scheme, SchemeSet};
    /// const EVENTS: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
    ///     .with_token_locations(TokenLocations::HEADER.with(TokenLocation::Query));
    /// assert!(EVENTS.token_locations().is_some());
    /// ```
    pub const fn with_token_locations(mut self, locations: TokenLocations) -> Self {
        self.locations = Some(locations);
        self
    }

    /// The endpoint's own token locations, if it overrides the application's.
    ///
    /// ```
    /// use auth_core::transport::TokenLocations;
    /// use auth_core::Requirement;
    /// assert!(Requirement::AUTHENTICATED.token_locations().is_none());
    /// let r = Requirement::AUTHENTICATED.with_token_locations(TokenLocations::HEADER);
    /// assert!(r.token_locations() == Some(TokenLocations::HEADER));
    /// ```
    pub const fn token_locations(&self) -> Option<TokenLocations> {
        self.locations
    }

    /// The accepted schemes.
    ///
    /// ```
    /// use auth_core::{Requirement, Scheme, SchemeSet};
    /// let r = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer));
    /// assert_eq!(r.schemes().iter().collect::<Vec<_>>(), [Scheme::Bearer]);
    /// ```
    pub const fn schemes(&self) -> SchemeSet {
        self.schemes
    }

    /// The endpoint's own realm, if it overrides the application's.
    ///
    /// ```
    /// use auth_core::Requirement;
    /// assert_eq!(Requirement::AUTHENTICATED.realm(), None);
    /// assert_eq!(Requirement::AUTHENTICATED.with_realm("admin").realm(), Some("admin"));
    /// ```
    pub const fn realm(&self) -> Option<&'static str> {
        self.realm
    }

    /// Scopes that must all be granted.
    ///
    /// ```
    /// use auth_core::Requirement;
    /// let r = Requirement::AUTHENTICATED.with_all_scopes(&["a", "b"]).with_any_scopes(&["c"]);
    /// assert_eq!(r.all_scopes(), ["a", "b"]);
    /// ```
    pub const fn all_scopes(&self) -> &'static [&'static str] {
        self.all_of
    }

    /// Scopes of which one must be granted (empty: no such condition).
    ///
    /// ```
    /// use auth_core::Requirement;
    /// assert!(Requirement::AUTHENTICATED.any_scopes().is_empty());
    /// let r = Requirement::AUTHENTICATED.with_all_scopes(&["a"]).with_any_scopes(&["b", "c"]);
    /// assert_eq!(r.any_scopes(), ["b", "c"]);
    /// ```
    pub const fn any_scopes(&self) -> &'static [&'static str] {
        self.any_of
    }

    /// Every scope named by the requirement (all-of first), as written in the `scope`
    /// parameter of an `insufficient_scope` challenge.
    ///
    /// ```
    /// use auth_core::Requirement;
    /// let r = Requirement::AUTHENTICATED.with_any_scopes(&["b", "c"]).with_all_scopes(&["a"]);
    /// assert_eq!(r.required_scopes().collect::<Vec<_>>(), ["a", "b", "c"]);
    /// ```
    pub fn required_scopes(&self) -> impl Iterator<Item = &'static str> {
        self.all_of.iter().chain(self.any_of.iter()).copied()
    }

    /// Checks a hand-written requirement the way `#[require_auth]` checks its arguments at
    /// compile time: scope tokens per RFC 6749 §3.3 and a printable-ASCII realm. (A requirement
    /// that fails this is refused at request time with a 500 and a loud log line, never rendered.)
    ///
    /// ```
    /// use auth_core::{Requirement, SchemeSet};
    /// assert!(Requirement::new(SchemeSet::ANY).with_all_scopes(&["orders:read"]).validate().is_ok());
    /// assert!(Requirement::new(SchemeSet::ANY).with_all_scopes(&["two words"]).validate().is_err());
    /// assert!(Requirement::new(SchemeSet::ANY).with_realm("a\r\nb").validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<(), crate::ConfigError> {
        let invalid = |what, detail: String| crate::ConfigError::InvalidSetting { what, detail };
        for scope in self.required_scopes() {
            let token_ok = !scope.is_empty()
                && scope
                    .bytes()
                    .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e));
            if !token_ok {
                return Err(invalid(
                    "scope",
                    format!("{scope:?} is not an RFC 6749 scope token"),
                ));
            }
        }
        if let Some(realm) = self.realm
            && (realm.is_empty() || !crate::syntax::is_quotable(realm))
        {
            return Err(invalid("realm", "must be non-empty printable ASCII".into()));
        }
        for role in self.all_roles.iter().chain(self.any_roles) {
            let ok = !role.is_empty()
                && role
                    .bytes()
                    .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e));
            if !ok {
                return Err(invalid(
                    "role",
                    format!(
                        "{role:?} is not a role name (printable, no space, quote or backslash)"
                    ),
                ));
            }
        }
        for acr in self.acr {
            let ok = !acr.is_empty()
                && acr
                    .bytes()
                    .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e));
            if !ok {
                return Err(invalid(
                    "acr",
                    format!(
                        "{acr:?} is not an acr value (printable, no space, quote or backslash)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether a principal holding `granted` satisfies the scope conditions.
    /// Matching is exact and case-sensitive (RFC 6749 §3.3).
    ///
    /// ```
    /// use auth_core::Requirement;
    /// let r = Requirement::AUTHENTICATED.with_all_scopes(&["orders:read"]);
    /// assert!(r.scopes_satisfied(&["orders:read", "profile"]));
    /// assert!(!r.scopes_satisfied(&["ORDERS:READ"]));
    /// ```
    pub fn scopes_satisfied<S: AsRef<str>>(&self, granted: &[S]) -> bool {
        let has = |wanted: &str| granted.iter().any(|g| g.as_ref() == wanted);
        self.all_of.iter().all(|s| has(s))
            && (self.any_of.is_empty() || self.any_of.iter().any(|s| has(s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_and_any_of() {
        const R: Requirement = Requirement::new(SchemeSet::ANY)
            .with_all_scopes(&["a"])
            .with_any_scopes(&["b", "c"]);
        assert!(R.scopes_satisfied(&["a", "c"]));
        assert!(!R.scopes_satisfied(&["a"]));
        assert!(!R.scopes_satisfied(&["b", "c"]));
        assert!(
            !R.scopes_satisfied(&["A", "b"]),
            "matching is case-sensitive"
        );
        assert!(Requirement::AUTHENTICATED.scopes_satisfied::<&str>(&[]));
    }
}
