//! What a handler receives: the verified identity. Plain data, built by the verifiers; how a
//! request turns into one lives in `extract`.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::confirmation::{Binding, UnownedConfirmation};
use crate::scheme::Scheme;

/// A verified identity: the scheme that proved it, the subject, the granted scopes and the
/// token's claims.
///
/// As a handler argument it is the identity checked by the handler's `#[require_auth]` (no
/// second verification). On a handler without `#[require_auth]` it authenticates the request
/// itself, with any registered scheme and no scope, so forgetting the attribute never opens a
/// door.
///
/// ```
/// use auth_core::{Principal, Scheme};
/// let p = Principal::new(Scheme::Bearer, Some("alice".into()), vec!["orders:read".into()], Default::default());
/// assert_eq!(p.subject(), Some("alice"));
/// assert!(p.has_scope("orders:read") && !p.has_scope("orders:READ"));
/// ```
#[derive(Clone)]
pub struct Principal {
    inner: Arc<Inner>,
}

struct Inner {
    scheme: Scheme,
    subject: Option<String>,
    scopes: Vec<String>,
    /// Roles (RFC 9068 §2.2.3.1, or where the verifier's claim layout finds them).
    roles: Vec<String>,
    claims: ClaimSource,
    /// For a JWT: `exp` + leeway (when the verdict cache must forget it).
    dies_at: Option<f64>,
    /// For a JWT verified by a verifier with a revocation store: what it is revoked by.
    token_ids: Option<TokenIds>,
    /// What a sender-constrained token is bound to (its `cnf` claim, RFC 7800).
    binding: Option<Box<Binding>>,
}

/// A verified JWT's `iss`, `jti` and `iat` (its `sub` is the principal's subject), read once
/// at verification so the revocation check of every later request (a verdict-cache hit) is a
/// lookup, not a parse.
#[derive(Clone, Debug)]
pub(crate) struct TokenIds {
    pub(crate) issuer: Option<Box<str>>,
    pub(crate) jti: Option<Box<str>>,
    pub(crate) issued_at: Option<i64>,
}

/// The claims: given, or the verified payload's JSON, parsed into a map the first time a
/// handler asks (most never do, and the checks did not need one).
enum ClaimSource {
    Map(Map<String, Value>),
    Json {
        json: Vec<u8>,
        map: OnceLock<Map<String, Value>>,
    },
}

impl Principal {
    /// Builds a principal (verifiers do; so can tests and custom verifiers).
    ///
    /// ```
    /// use auth_core::{Principal, Scheme};
    /// let claims = serde_json::json!({"tenant": 7}).as_object().unwrap().clone();
    /// let p = Principal::new(Scheme::ApiKey, Some("ci".into()), vec![], claims);
    /// assert_eq!((p.scheme(), p.subject()), (Scheme::ApiKey, Some("ci")));
    /// assert_eq!(p.claim("tenant"), Some(&serde_json::json!(7)));
    /// ```
    pub fn new(
        scheme: Scheme,
        subject: Option<String>,
        scopes: Vec<String>,
        claims: Map<String, Value>,
    ) -> Self {
        // A verifier of its own (introspection, an opaque-token store) hands over the token's
        // claims: a `cnf` among them binds the token just as a JWT's does, so it is read here
        // and the guard checks it. One this framework cannot check can never be satisfied.
        let binding = claims.get("cnf").map(|cnf| {
            let read = serde_json::from_value::<UnownedConfirmation>(cnf.clone())
                .ok()
                .and_then(|c| c.binding());
            Box::new(read.unwrap_or(Binding {
                unverifiable: true,
                ..Binding::default()
            }))
        });
        Principal {
            inner: Arc::new(Inner {
                scheme,
                subject,
                scopes,
                roles: Vec::new(),
                claims: ClaimSource::Map(claims),
                dies_at: None,
                token_ids: None,
                binding,
            }),
        }
    }

    /// A verified JWT's principal; `payload` is its (checked, duplicate-free) claims JSON.
    pub(crate) fn from_verified_jwt(
        subject: Option<String>,
        scopes: Vec<String>,
        roles: Vec<String>,
        payload: Vec<u8>,
        dies_at: Option<f64>,
        token_ids: Option<TokenIds>,
        binding: Option<Box<Binding>>,
    ) -> Self {
        Principal {
            inner: Arc::new(Inner {
                scheme: Scheme::Bearer,
                subject,
                scopes,
                roles,
                claims: ClaimSource::Json {
                    json: payload,
                    map: OnceLock::new(),
                },
                dies_at,
                token_ids,
                binding,
            }),
        }
    }

    /// What the token is bound to, if it is sender-constrained.
    pub(crate) fn binding(&self) -> Option<&Binding> {
        self.inner.binding.as_deref()
    }

    /// Whether the token is sender-constrained (it has a `cnf` claim, RFC 7800): bound to a
    /// DPoP key or a client certificate. The guard accepts such a token only from its sender;
    /// code verifying tokens by itself (through [`BearerVerifier`](crate::BearerVerifier)
    /// outside the guard) must not treat one as a bearer token.
    ///
    /// ```
    /// use auth_core::{Principal, Scheme};
    /// let claims = |v: serde_json::Value| v.as_object().unwrap().clone();
    /// let bound = Principal::new(Scheme::Bearer, None, vec![], claims(serde_json::json!({"cnf": {"jkt": "abc"}})));
    /// assert!(bound.is_sender_constrained());
    /// assert!(!Principal::new(Scheme::Bearer, None, vec![], Default::default()).is_sender_constrained());
    /// ```
    pub fn is_sender_constrained(&self) -> bool {
        self.inner.binding.is_some()
    }

    /// This principal as authenticated by `scheme`: a token verified once (and cached) by the
    /// Bearer verifier is the same identity whether it came as `Bearer` or as `DPoP`, but the
    /// handler is told which scheme proved it.
    pub(crate) fn presented_as(self, scheme: Scheme) -> Principal {
        if self.inner.scheme == scheme {
            return self;
        }
        self.rebuilt(|inner| inner.scheme = scheme)
    }

    /// This principal holding `roles` (replacing any): for verifiers of their own (an
    /// introspection answer read with a [`ClaimLayout`](crate::claim_layout::ClaimLayout)).
    ///
    /// ```
    /// use auth_core::{Principal, Scheme};
    /// let p = Principal::new(Scheme::Bearer, Some("alice".into()), vec![], Default::default())
    ///     .with_roles(vec!["admin".into()]);
    /// assert!(p.has_role("admin") && !p.has_role("Admin"));
    /// ```
    pub fn with_roles(self, roles: Vec<String>) -> Principal {
        self.rebuilt(|inner| inner.roles = roles)
    }

    /// A copy of this principal with `change` applied (the claims map re-parsed lazily).
    fn rebuilt(self, change: impl FnOnce(&mut Inner)) -> Principal {
        let inner = &*self.inner;
        let claims = match &inner.claims {
            ClaimSource::Map(map) => ClaimSource::Map(map.clone()),
            ClaimSource::Json { json, .. } => ClaimSource::Json {
                json: json.clone(),
                map: OnceLock::new(),
            },
        };
        Principal {
            inner: Arc::new({
                let mut copy = Inner {
                    scheme: inner.scheme,
                    subject: inner.subject.clone(),
                    scopes: inner.scopes.clone(),
                    roles: inner.roles.clone(),
                    claims,
                    dies_at: inner.dies_at,
                    token_ids: inner.token_ids.clone(),
                    binding: inner.binding.clone(),
                };
                change(&mut copy);
                copy
            }),
        }
    }

    pub(crate) fn dies_at(&self) -> Option<f64> {
        self.inner.dies_at
    }

    pub(crate) fn token_ids(&self) -> Option<&TokenIds> {
        self.inner.token_ids.as_ref()
    }

    /// The scheme that authenticated the request.
    ///
    /// ```
    /// use auth_core::{Principal, Scheme};
    /// let p = Principal::new(Scheme::Basic, Some("ops".into()), vec![], Default::default());
    /// assert_eq!(p.scheme(), Scheme::Basic);
    /// ```
    pub fn scheme(&self) -> Scheme {
        self.inner.scheme
    }

    /// The subject (`sub`), if the credential names one.
    ///
    /// ```
    /// use auth_core::{Principal, Scheme};
    /// let p = Principal::new(Scheme::Bearer, Some("alice".into()), vec![], Default::default());
    /// assert_eq!(p.subject(), Some("alice"));
    /// let anonymous_client = Principal::new(Scheme::Bearer, None, vec![], Default::default());
    /// assert_eq!(anonymous_client.subject(), None);
    /// ```
    pub fn subject(&self) -> Option<&str> {
        self.inner.subject.as_deref()
    }

    /// The granted scopes.
    ///
    /// ```
    /// # use auth_core::{Principal, Scheme};
    /// # use serde_json::json;
    /// # let claims = json!({"tenant": 7, "name": "Alice"}).as_object().unwrap().clone();
    /// let p = Principal::new(Scheme::Bearer, Some("alice".into()), vec!["orders:read".into()], claims);
    /// assert_eq!(p.scopes(), ["orders:read"]);
    /// ```
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// Whether `scope` is granted (exact, case-sensitive).
    ///
    /// ```
    /// # use auth_core::{Principal, Scheme};
    /// # use serde_json::json;
    /// # let claims = json!({"tenant": 7, "name": "Alice"}).as_object().unwrap().clone();
    /// let p = Principal::new(Scheme::Bearer, Some("alice".into()), vec!["orders:read".into()], claims);
    /// assert!(p.has_scope("orders:read"));
    /// assert!(!p.has_scope("orders:write") && !p.has_scope("orders"));
    /// ```
    pub fn has_scope(&self, scope: &str) -> bool {
        self.inner.scopes.iter().any(|s| s == scope)
    }

    /// The roles (RFC 9068 §2.2.3.1 `roles` by default; where the verifier's
    /// [`ClaimLayout`](crate::claim_layout::ClaimLayout) says otherwise).
    ///
    /// ```
    /// use auth_core::{Principal, Scheme};
    /// let p = Principal::new(Scheme::Bearer, None, vec![], Default::default());
    /// assert!(p.roles().is_empty());
    /// assert_eq!(p.with_roles(vec!["ops".into()]).roles(), ["ops"]);
    /// ```
    pub fn roles(&self) -> &[String] {
        &self.inner.roles
    }

    /// Whether the principal holds `role` (exact, case-sensitive).
    ///
    /// ```
    /// use auth_core::{Principal, Scheme};
    /// let p = Principal::new(Scheme::Bearer, None, vec![], Default::default()).with_roles(vec!["ops".into()]);
    /// assert!(p.has_role("ops") && !p.has_role("OPS"));
    /// ```
    pub fn has_role(&self, role: &str) -> bool {
        self.inner.roles.iter().any(|r| r == role)
    }

    /// Every claim of the token (empty for Basic and API keys).
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let verifier = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET)?).build()?;
    /// # let claims = serde_json::json!({"sub": "alice", "tenant": 7, "exp": 4102444800u64});
    /// # let token = auth_core::testing::Minter::hmac(Algorithm::HS256, SECRET).sign(&claims);
    /// let principal = verifier.verify_now(&token).unwrap();
    /// assert_eq!(principal.claims().len(), 3);
    /// assert_eq!(principal.claims()["tenant"], 7);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn claims(&self) -> &Map<String, Value> {
        match &self.inner.claims {
            ClaimSource::Map(map) => map,
            ClaimSource::Json { json, map } => map.get_or_init(|| {
                // The payload was parsed and checked (an object with unique members) before
                // this principal existed; an empty map is the fail-safe answer otherwise.
                serde_json::from_slice::<crate::verify::claims::UniqueObject>(json)
                    .map(|o| o.0)
                    .unwrap_or_default()
            }),
        }
    }

    /// One claim.
    ///
    /// ```
    /// # use auth_core::{Principal, Scheme};
    /// # use serde_json::json;
    /// # let claims = json!({"tenant": 7, "name": "Alice"}).as_object().unwrap().clone();
    /// let p = Principal::new(Scheme::Bearer, Some("alice".into()), vec!["orders:read".into()], claims);
    /// assert_eq!(p.claim("name").and_then(|v| v.as_str()), Some("Alice"));
    /// assert_eq!(p.claim("email"), None);
    /// ```
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims().get(name)
    }

    /// The claims as an application type.
    ///
    /// ```
    /// # use auth_core::{Principal, Scheme};
    /// # use serde_json::json;
    /// # let claims = json!({"tenant": 7, "name": "Alice"}).as_object().unwrap().clone();
    /// let p = Principal::new(Scheme::Bearer, Some("alice".into()), vec!["orders:read".into()], claims);
    /// #[derive(serde::Deserialize)]
    /// struct Tenant { tenant: u32 }
    /// assert_eq!(p.deserialize_claims::<Tenant>()?.tenant, 7);
    /// assert!(p.deserialize_claims::<Vec<u32>>().is_err()); // the claims are an object
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn deserialize_claims<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        match &self.inner.claims {
            ClaimSource::Json { json, .. } => serde_json::from_slice(json),
            ClaimSource::Map(map) => T::deserialize(&Value::Object(map.clone())),
        }
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Claims may hold personal data: only their number is shown.
        f.debug_struct("Principal")
            .field("scheme", &self.inner.scheme)
            .field("subject", &self.inner.subject)
            .field("scopes", &self.inner.scopes)
            .field("roles", &self.inner.roles)
            .field("claims", &format_args!("{} claims", self.claims().len()))
            .finish()
    }
}
