//! Where a token's subject, scopes and roles come from: a [`ClaimLayout`], with presets for the
//! common authorization servers.
//!
//! | preset | scopes | roles | subject |
//! |---|---|---|---|
//! | [`ClaimLayout::default`] | `scope`, else `scp` | `roles` (RFC 9068 §2.2.3.1) | `sub` |
//! | [`ClaimLayout::keycloak`] | `scope` | `realm_access.roles`, plus `resource_access.<client>.roles` with [`keycloak_client`](ClaimLayout::keycloak_client) | `sub` |
//! | [`ClaimLayout::entra`] | `scp` (space-delimited) | `roles` | `sub` |
//! | [`ClaimLayout::auth0`] | `scope` and `permissions`, together | none | `sub` |
//! | [`ClaimLayout::okta`] | `scp` (an array) | `groups` | `sub` |
//! | [`ClaimLayout::google`] | `scope` | none | `sub` |
//!
//! A value is a space-delimited string or an array of strings. Any other type at a path, or a
//! value that is not an object on the way to it, refuses the token ([`Reason::InvalidClaim`]):
//! fail closed, as for `scope`. A path that is absent gives nothing.
//!
//! ```
//! use auth_core::claim_layout::{ClaimLayout, ClaimPath};
//! use serde_json::json;
//!
//! let layout = ClaimLayout::keycloak().keycloak_client("orders-api");
//! let claims = json!({
//!     "sub": "f:1b2c:alice",
//!     "scope": "openid orders:read",
//!     "realm_access": {"roles": ["staff"]},
//!     "resource_access": {"orders-api": {"roles": ["refunds"]}, "billing": {"roles": ["admin"]}},
//! });
//! let read = layout.read(claims.as_object().unwrap()).unwrap();
//! assert_eq!(read.subject.as_deref(), Some("f:1b2c:alice"));
//! assert_eq!(read.scopes, ["openid", "orders:read"]);
//! assert_eq!(read.roles, ["staff", "refunds"]); // never billing's `admin`
//! ```

use serde_json::{Map, Value};

use crate::rejection::Reason;

/// A claim's place in the claims object: member names, outermost first.
///
/// ```
/// use auth_core::claim_layout::ClaimPath;
/// assert_eq!(ClaimPath::parse("realm_access.roles").segments(), ["realm_access", "roles"]);
/// // A namespaced claim name holds dots: one member.
/// assert_eq!(ClaimPath::member("https://example.com/roles").segments(), ["https://example.com/roles"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClaimPath {
    segments: Vec<String>,
}

impl ClaimPath {
    /// A dotted path: `realm_access.roles` is the member `roles` of the member `realm_access`.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimPath;
    /// assert_eq!(ClaimPath::parse("scp").segments(), ["scp"]);
    /// ```
    pub fn parse(dotted: &str) -> Self {
        // A namespaced claim (`https://example.com/roles`, as Auth0 requires) is one member:
        // split at its dots, it would name a path no token has.
        if dotted.contains("://") {
            return ClaimPath::member(dotted);
        }
        ClaimPath {
            segments: dotted.split('.').map(str::to_owned).collect(),
        }
    }

    /// One top-level member, whatever its name holds (dots included).
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimPath;
    /// let path = ClaimPath::member("https://orders.example.com/roles");
    /// assert_eq!(path.segments().len(), 1);
    /// ```
    pub fn member(name: impl Into<String>) -> Self {
        ClaimPath {
            segments: vec![name.into()],
        }
    }

    /// This path, then the member `name` of what it names.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimPath;
    /// let path = ClaimPath::member("resource_access").then("orders.api").then("roles");
    /// assert_eq!(path.segments(), ["resource_access", "orders.api", "roles"]);
    /// ```
    pub fn then(mut self, name: impl Into<String>) -> Self {
        self.segments.push(name.into());
        self
    }

    /// The member names, outermost first.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimPath;
    /// assert_eq!(ClaimPath::parse("a.b").segments(), ["a", "b"]);
    /// ```
    pub fn segments(&self) -> &[String] {
        &self.segments
    }

    /// The top-level member the path starts at.
    pub(crate) fn top(&self) -> &str {
        self.segments.first().map_or("", String::as_str)
    }

    fn is_empty(&self) -> bool {
        self.segments.is_empty() || self.segments.iter().any(String::is_empty)
    }

    /// The value at this path: `Ok(None)` when absent, `Err` when a step is not an object.
    fn find<'c>(&self, claims: &'c Map<String, Value>) -> Result<Option<&'c Value>, ()> {
        let Some((last, steps)) = self.segments.split_last() else {
            return Ok(None);
        };
        let mut object = claims;
        for step in steps {
            match object.get(step) {
                None => return Ok(None),
                Some(Value::Object(inner)) => object = inner,
                Some(_) => return Err(()),
            }
        }
        Ok(object.get(last))
    }
}

/// How scope sources combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Combine {
    /// The first source present decides (`scope`, else `scp`).
    FirstPresent,
    /// Every source adds its values.
    Union,
}

/// Where a token's subject, scopes and roles come from (module docs: the presets).
///
/// ```
/// use auth_core::claim_layout::{ClaimLayout, ClaimPath};
/// let layout = ClaimLayout::okta()
///     .with_subject(ClaimPath::member("uid"))
///     .with_role_source(ClaimPath::member("https://example.com/roles"));
/// let claims = serde_json::json!({"uid": "00u1ab", "scp": ["x"], "https://example.com/roles": ["ops"]});
/// let read = layout.read(claims.as_object().unwrap()).unwrap();
/// assert_eq!((read.subject.as_deref(), read.roles.as_slice()), (Some("00u1ab"), &["ops".to_owned()][..]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimLayout {
    subject: ClaimPath,
    scopes: Vec<ClaimPath>,
    combine: Combine,
    roles: Vec<ClaimPath>,
}

/// What a [`ClaimLayout`] read from a token's claims.
///
/// ```
/// use auth_core::claim_layout::{ClaimLayout, LayoutClaims};
/// let claims = serde_json::json!({"sub": "alice", "scp": ["a", "b"], "roles": "admin"});
/// let read: LayoutClaims = ClaimLayout::default().read(claims.as_object().unwrap()).unwrap();
/// assert_eq!(read, LayoutClaims { subject: Some("alice".into()), scopes: vec!["a".into(), "b".into()], roles: vec!["admin".into()] });
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayoutClaims {
    /// The subject, if the token names one.
    pub subject: Option<String>,
    /// The granted scopes, in token order, without duplicates.
    pub scopes: Vec<String>,
    /// The roles, in token order, without duplicates.
    pub roles: Vec<String>,
}

impl Default for ClaimLayout {
    /// Scopes from `scope`, else `scp`; roles from `roles` (RFC 9068 §2.2.3.1); subject `sub`.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimLayout;
    /// let claims = serde_json::json!({"sub": "alice", "scope": "a", "scp": ["b"]});
    /// assert_eq!(ClaimLayout::default().read(claims.as_object().unwrap()).unwrap().scopes, ["a"]);
    /// ```
    fn default() -> Self {
        ClaimLayout {
            subject: ClaimPath::member("sub"),
            scopes: vec![ClaimPath::member("scope"), ClaimPath::member("scp")],
            combine: Combine::FirstPresent,
            roles: vec![ClaimPath::member("roles")],
        }
    }
}

impl ClaimLayout {
    /// A layout with scopes from `scopes` alone, no roles, subject `sub`.
    fn only(scopes: &str) -> Self {
        ClaimLayout {
            subject: ClaimPath::member("sub"),
            scopes: vec![ClaimPath::member(scopes)],
            combine: Combine::Union,
            roles: Vec::new(),
        }
    }

    /// Keycloak: scopes from `scope`, realm roles from `realm_access.roles`. Client roles count
    /// only for the client named with [`keycloak_client`](Self::keycloak_client): a token
    /// carries the roles its user holds at *every* client of the realm, and another client's
    /// `admin` is not this API's.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimLayout;
    /// let claims = serde_json::json!({"realm_access": {"roles": ["staff"]}, "resource_access": {"billing": {"roles": ["admin"]}}});
    /// assert_eq!(ClaimLayout::keycloak().read(claims.as_object().unwrap()).unwrap().roles, ["staff"]);
    /// ```
    pub fn keycloak() -> Self {
        ClaimLayout {
            roles: vec![ClaimPath::parse("realm_access.roles")],
            ..ClaimLayout::only("scope")
        }
    }

    /// Adds the roles of the Keycloak client `client` (`resource_access.<client>.roles`; the
    /// client id may hold dots).
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimLayout;
    /// let claims = serde_json::json!({"resource_access": {"orders-api": {"roles": ["refunds"]}}});
    /// let layout = ClaimLayout::keycloak().keycloak_client("orders-api");
    /// assert_eq!(layout.read(claims.as_object().unwrap()).unwrap().roles, ["refunds"]);
    /// ```
    pub fn keycloak_client(self, client: impl Into<String>) -> Self {
        self.with_role_source(
            ClaimPath::member("resource_access")
                .then(client)
                .then("roles"),
        )
    }

    /// Microsoft Entra ID: delegated scopes in `scp` (space-delimited), app roles in `roles`.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimLayout;
    /// let claims = serde_json::json!({"scp": "Orders.Read Orders.Write", "roles": ["Orders.Admin"]});
    /// let read = ClaimLayout::entra().read(claims.as_object().unwrap()).unwrap();
    /// assert_eq!((read.scopes.len(), read.roles.len()), (2, 1));
    /// ```
    pub fn entra() -> Self {
        ClaimLayout {
            roles: vec![ClaimPath::member("roles")],
            ..ClaimLayout::only("scp")
        }
    }

    /// Auth0: the union of `scope` and the `permissions` array (RBAC with "Add Permissions in
    /// the Access Token"); no roles unless a namespaced claim is added with
    /// [`with_role_source`](Self::with_role_source).
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimLayout;
    /// let claims = serde_json::json!({"scope": "openid read:orders", "permissions": ["read:orders", "refund:orders"]});
    /// let read = ClaimLayout::auth0().read(claims.as_object().unwrap()).unwrap();
    /// assert_eq!(read.scopes, ["openid", "read:orders"]); // what the client was granted
    /// assert_eq!(read.roles, ["read:orders", "refund:orders"]); // what the user may do
    /// ```
    pub fn auth0() -> Self {
        // `scope` is what this client was granted (with RBAC, the requested scopes the user's
        // permissions allow); `permissions` is everything the user may do at this API,
        // whatever the client asked for. Counting the second as scopes would let a client
        // that asked for `read:orders` pass a `refund:orders` endpoint: permissions are the
        // user's, so they are roles here (`role = "refund:orders"` asks for them).
        ClaimLayout {
            roles: vec![ClaimPath::member("permissions")],
            ..ClaimLayout::only("scope")
        }
    }

    /// Okta: scopes in the `scp` array, groups (as roles) in `groups`.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimLayout;
    /// let claims = serde_json::json!({"scp": ["orders.read"], "groups": ["Everyone", "Support"]});
    /// assert_eq!(ClaimLayout::okta().read(claims.as_object().unwrap()).unwrap().roles, ["Everyone", "Support"]);
    /// ```
    pub fn okta() -> Self {
        ClaimLayout {
            roles: vec![ClaimPath::member("groups")],
            ..ClaimLayout::only("scp")
        }
    }

    /// Google: scopes in `scope`; no roles.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimLayout;
    /// let claims = serde_json::json!({"scope": "https://www.googleapis.com/auth/userinfo.email openid"});
    /// assert_eq!(ClaimLayout::google().read(claims.as_object().unwrap()).unwrap().scopes.len(), 2);
    /// ```
    pub fn google() -> Self {
        ClaimLayout::only("scope")
    }

    /// Scopes from `claim` alone (what [`scope_claim`](crate::JwtVerifierBuilder::scope_claim)
    /// sets), roles and subject as in `self`.
    ///
    /// ```
    /// use auth_core::claim_layout::{ClaimLayout, ClaimPath};
    /// let layout = ClaimLayout::default().with_scopes_only(ClaimPath::member("permissions"));
    /// let claims = serde_json::json!({"scope": "admin", "permissions": ["read"]});
    /// assert_eq!(layout.read(claims.as_object().unwrap()).unwrap().scopes, ["read"]);
    /// ```
    pub fn with_scopes_only(mut self, claim: ClaimPath) -> Self {
        self.scopes = vec![claim];
        self.combine = Combine::Union;
        self
    }

    /// Reads the subject from `path` instead of `sub`. The subject is what ownership policies
    /// and revocations by subject key on: choose a claim that is unique and never reassigned
    /// (Entra ID's `oid`, with `tid` where several tenants sign in; Okta's `uid`), never an
    /// e-mail address or a user name, which change hands; revocations must then name that
    /// value.
    ///
    /// ```
    /// use auth_core::claim_layout::{ClaimLayout, ClaimPath};
    /// let layout = ClaimLayout::default().with_subject(ClaimPath::member("oid"));
    /// let claims = serde_json::json!({"sub": "pairwise", "oid": "00000000-0000-0000-0000-000000000001"});
    /// assert_eq!(layout.read(claims.as_object().unwrap()).unwrap().subject.unwrap().len(), 36);
    /// ```
    pub fn with_subject(mut self, path: ClaimPath) -> Self {
        self.subject = path;
        self
    }

    /// Adds a scope source: from then on every source adds its scopes (a layout whose first
    /// present source decided, like the default's `scope` else `scp`, becomes a union).
    ///
    /// ```
    /// use auth_core::claim_layout::{ClaimLayout, ClaimPath};
    /// let layout = ClaimLayout::google().with_scope_source(ClaimPath::parse("ext.scopes"));
    /// let claims = serde_json::json!({"scope": "a", "ext": {"scopes": ["b"]}});
    /// assert_eq!(layout.read(claims.as_object().unwrap()).unwrap().scopes, ["a", "b"]);
    /// ```
    pub fn with_scope_source(mut self, path: ClaimPath) -> Self {
        self.scopes.push(path);
        self.combine = Combine::Union;
        self
    }

    /// Adds a role source.
    ///
    /// ```
    /// use auth_core::claim_layout::{ClaimLayout, ClaimPath};
    /// let layout = ClaimLayout::auth0().with_role_source(ClaimPath::member("https://orders.example.com/roles"));
    /// let claims = serde_json::json!({"https://orders.example.com/roles": ["support"]});
    /// assert_eq!(layout.read(claims.as_object().unwrap()).unwrap().roles, ["support"]);
    /// ```
    pub fn with_role_source(mut self, path: ClaimPath) -> Self {
        self.roles.push(path);
        self
    }

    /// Whether this is the default layout (the JWT verifier's borrowed fast path).
    pub(crate) fn is_default(&self) -> bool {
        *self == ClaimLayout::default()
    }

    /// A path with no segment or an empty one, if any (a configuration error).
    pub(crate) fn has_empty_path(&self) -> bool {
        self.subject.is_empty()
            || self.scopes.iter().any(ClaimPath::is_empty)
            || self.roles.iter().any(ClaimPath::is_empty)
    }

    /// Every top-level member the layout reads (what a verifier must keep of a payload).
    pub(crate) fn top_level_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let paths = std::iter::once(&self.subject)
            .chain(&self.scopes)
            .chain(&self.roles);
        for path in paths {
            if !names.iter().any(|n| n == path.top()) {
                names.push(path.top().to_owned());
            }
        }
        names
    }

    /// Reads the subject, scopes and roles from a token's (or an introspection answer's)
    /// claims. `Err(Reason::InvalidClaim(..))` when a value at a path is neither a string nor
    /// an array of strings, or a step on the way is not an object: the token is refused.
    ///
    /// ```
    /// use auth_core::claim_layout::ClaimLayout;
    /// use auth_core::Reason;
    /// let bad = serde_json::json!({"realm_access": ["staff"]});
    /// assert_eq!(ClaimLayout::keycloak().read(bad.as_object().unwrap()), Err(Reason::InvalidClaim("roles")));
    /// let none = serde_json::json!({});
    /// assert_eq!(ClaimLayout::keycloak().read(none.as_object().unwrap()).unwrap().roles, Vec::<String>::new());
    /// ```
    pub fn read(&self, claims: &Map<String, Value>) -> Result<LayoutClaims, Reason> {
        let subject = match self.subject.find(claims) {
            Ok(None) => None,
            Ok(Some(Value::String(s))) => Some(s.clone()),
            _ => return Err(Reason::InvalidClaim("sub")),
        };
        let mut scopes = Vec::new();
        for path in &self.scopes {
            let found = values(path, claims, &mut scopes, "scope")?;
            if found && self.combine == Combine::FirstPresent {
                break;
            }
        }
        let mut roles = Vec::new();
        for path in &self.roles {
            values(path, claims, &mut roles, "roles")?;
        }
        Ok(LayoutClaims {
            subject,
            scopes,
            roles,
        })
    }
}

/// Adds the values at `path` to `out` (no duplicates); whether the path was present.
fn values(
    path: &ClaimPath,
    claims: &Map<String, Value>,
    out: &mut Vec<String>,
    what: &'static str,
) -> Result<bool, Reason> {
    // A hash set for membership: an introspection answer may carry thousands of values, and
    // a linear search per value would make that quadratic.
    let mut seen: std::collections::HashSet<String> = out.iter().cloned().collect();
    let mut add = |value: &str| {
        if !value.is_empty() && seen.insert(value.to_owned()) {
            out.push(value.to_owned());
        }
    };
    match path.find(claims) {
        Ok(None) => Ok(false),
        // Scopes are space-delimited (RFC 6749 §3.3); a role is a name, whatever it holds:
        // split, `"billing admin"` would grant `admin`.
        Ok(Some(Value::String(list))) if what == "scope" => {
            list.split(' ').for_each(&mut add);
            Ok(true)
        }
        Ok(Some(Value::String(one))) => {
            add(one);
            Ok(true)
        }
        Ok(Some(Value::Array(items))) => {
            for item in items {
                match item {
                    Value::String(s) => add(s),
                    _ => return Err(Reason::InvalidClaim(what)),
                }
            }
            Ok(true)
        }
        _ => Err(Reason::InvalidClaim(what)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(layout: &ClaimLayout, claims: Value) -> Result<LayoutClaims, Reason> {
        layout.read(claims.as_object().unwrap_or(&Map::new()))
    }

    #[test]
    fn default_first_present_scope_then_scp() {
        let d = ClaimLayout::default();
        assert!(d.is_default());
        assert_eq!(
            read(&d, json!({"scp": ["a", "b"]})).map(|r| r.scopes),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            read(&d, json!({"scope": "", "scp": ["b"]})).map(|r| r.scopes),
            Ok(vec![])
        );
        assert_eq!(
            read(&d, json!({"scope": 7})),
            Err(Reason::InvalidClaim("scope"))
        );
        assert_eq!(
            read(&d, json!({"sub": 7})),
            Err(Reason::InvalidClaim("sub"))
        );
        assert_eq!(
            read(&d, json!({"roles": ["a", 1]})),
            Err(Reason::InvalidClaim("roles"))
        );
    }

    #[test]
    fn nested_paths_fail_closed() {
        let k = ClaimLayout::keycloak().keycloak_client("orders.api");
        assert_eq!(
            read(
                &k,
                json!({"resource_access": {"orders.api": {"roles": ["x"]}}})
            )
            .map(|r| r.roles),
            Ok(vec!["x".to_owned()])
        );
        for bad in [
            json!({"realm_access": "staff"}),
            json!({"realm_access": {"roles": {"staff": true}}}),
            json!({"resource_access": {"orders.api": []}}),
            json!({"resource_access": null}),
        ] {
            assert_eq!(
                read(&k, bad.clone()),
                Err(Reason::InvalidClaim("roles")),
                "{bad}"
            );
        }
        assert_eq!(
            read(
                &k,
                json!({"resource_access": {"billing": {"roles": ["admin"]}}})
            )
            .map(|r| r.roles),
            Ok(vec![])
        );
    }

    #[test]
    fn unions_have_no_duplicates_and_names_are_collected() {
        let a = ClaimLayout::auth0().with_scope_source(ClaimPath::member("permissions"));
        assert_eq!(
            read(&a, json!({"scope": "a b", "permissions": ["b", "c"]})).map(|r| r.scopes),
            Ok(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()])
        );
        assert_eq!(a.top_level_names(), ["sub", "scope", "permissions"]);
        assert_eq!(
            ClaimLayout::keycloak()
                .keycloak_client("c")
                .top_level_names(),
            ["sub", "scope", "realm_access", "resource_access"]
        );
        assert!(
            ClaimLayout::default()
                .with_subject(ClaimPath::parse("a..b"))
                .has_empty_path()
        );
        assert!(!ClaimLayout::okta().is_default());
    }
}
