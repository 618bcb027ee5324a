//! What a handler receives: the verified identity.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::__private::FromPrincipal;
use crate::guard::{self, AUTHENTICATED, AuthFuture, Outcome};
use crate::rejection::{ErrorCode, Reason, Rejection};
use crate::requirement::Scheme;

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
    claims: ClaimSource,
    /// For a JWT: `exp` + leeway (when the verdict cache must forget it).
    dies_at: Option<f64>,
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
        Principal {
            inner: Arc::new(Inner {
                scheme,
                subject,
                scopes,
                claims: ClaimSource::Map(claims),
                dies_at: None,
            }),
        }
    }

    /// A verified JWT's principal; `payload` is its (checked, duplicate-free) claims JSON.
    pub(crate) fn from_verified_jwt(
        subject: Option<String>,
        scopes: Vec<String>,
        payload: Vec<u8>,
        dies_at: Option<f64>,
    ) -> Self {
        Principal {
            inner: Arc::new(Inner {
                scheme: Scheme::Bearer,
                subject,
                scopes,
                claims: ClaimSource::Json {
                    json: payload,
                    map: OnceLock::new(),
                },
                dies_at,
            }),
        }
    }

    pub(crate) fn dies_at(&self) -> Option<f64> {
        self.inner.dies_at
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

    /// Every claim of the token (empty for Basic and API keys).
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let verifier = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET)?).build()?;
    /// # let claims = serde_json::json!({"sub": "alice", "tenant": 7, "exp": 4102444800u64});
    /// # let token = jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET)).unwrap();
    /// let principal = verifier.verify(&token).unwrap();
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
            .field("claims", &format_args!("{} claims", self.claims().len()))
            .finish()
    }
}

/// The token's claims deserialized into `T`.
///
/// Claims that do not fit `T` are refused as `invalid_token` (the token is not one this
/// endpoint can use); the mismatch is logged, never sent.
///
/// ```
/// use auth_core::{require_auth, Claims};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Tenant { tenant: String }
///
/// #[require_auth(scheme = "bearer")]
/// async fn tenant(Claims(t): Claims<Tenant>) -> String {
///     t.tenant
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Claims<T>(pub T);

/// Optional authentication: `None` when the request carries no credential for the accepted
/// schemes, the principal when it carries a valid one, and a refusal when it carries an
/// invalid one (a client with an expired token must learn it, not be served as anonymous).
///
/// Unlike `Option<Principal>`, whose actix implementation turns every refusal into `None`.
///
/// ```
/// use auth_core::MaybePrincipal;
///
/// async fn greet(MaybePrincipal(user): MaybePrincipal) -> String {
///     match user.as_ref().and_then(|u| u.subject()) {
///         Some(name) => format!("hello {name}"),
///         None => "hello stranger".to_owned(),
///     }
/// }
/// ```
#[derive(Clone, Debug)]
pub struct MaybePrincipal(pub Option<Principal>);

impl FromPrincipal for Principal {
    fn from_principal(principal: Principal) -> Result<Self, Rejection> {
        Ok(principal)
    }
}

impl<T: DeserializeOwned> FromPrincipal for Claims<T> {
    fn from_principal(principal: Principal) -> Result<Self, Rejection> {
        principal.deserialize_claims().map(Claims).map_err(|e| {
            // serde's message can quote a claim's value ("invalid type: string \"alice@…\""):
            // log only what kind of mismatch it was, and where.
            tracing::warn!(
                target: "auth",
                category = ?e.classify(),
                line = e.line(),
                column = e.column(),
                expected = std::any::type_name::<T>(),
                "claims do not fit the handler's type"
            );
            Rejection::new(ErrorCode::InvalidToken, Reason::ClaimsShape)
        })
    }
}

/// Resolves once polled: by then every `#[require_auth]` guard of the handler has started
/// (actix calls every extractor's `from_request` before polling any), so the principal it
/// verified is found in the request's extensions, or the future waits for a guard still
/// checking. With no guard at all, the request is authenticated here.
#[doc(hidden)]
pub struct IdentityFuture<T> {
    state: IdentityState,
    optional: bool,
    build: fn(Option<Principal>) -> Result<T, Rejection>,
}

enum IdentityState {
    Start(HttpRequest),
    Checking(AuthFuture, HttpRequest),
    Done,
}

impl<T> fmt::Debug for IdentityFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityFuture")
    }
}

// No field is structurally pinned.
impl<T> Unpin for IdentityFuture<T> {}

impl<T> IdentityFuture<T> {
    fn new(
        req: &HttpRequest,
        optional: bool,
        build: fn(Option<Principal>) -> Result<T, Rejection>,
    ) -> Self {
        IdentityFuture {
            state: IdentityState::Start(req.clone()),
            optional,
            build,
        }
    }

    fn conclude(
        &self,
        req: &HttpRequest,
        result: Result<Option<Principal>, Rejection>,
    ) -> Result<T, Rejection> {
        result.and_then(|p| (self.build)(p).map_err(|e| guard::complete(req, &AUTHENTICATED, e)))
    }
}

impl<T> Future for IdentityFuture<T> {
    type Output = Result<T, Rejection>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match std::mem::replace(&mut self.state, IdentityState::Done) {
                IdentityState::Start(req) => {
                    let found = req
                        .app_data::<crate::config::AuthConfig>()
                        .and_then(|config| guard::verified_under(&req, config));
                    if let Some(principal) = found {
                        return Poll::Ready(self.conclude(&req, Ok(Some(principal))));
                    }
                    if guard::wait_in_flight(&req, cx) {
                        self.state = IdentityState::Start(req);
                        return Poll::Pending;
                    }
                    match guard::run(&req, &AUTHENTICATED, self.optional) {
                        Outcome::Ready(result) => return Poll::Ready(self.conclude(&req, result)),
                        Outcome::Pending(check) => self.state = IdentityState::Checking(check, req),
                    }
                }
                IdentityState::Checking(mut check, req) => match check.as_mut().poll(cx) {
                    Poll::Ready(result) => return Poll::Ready(self.conclude(&req, result)),
                    Poll::Pending => {
                        self.state = IdentityState::Checking(check, req);
                        return Poll::Pending;
                    }
                },
                IdentityState::Done => {
                    return Poll::Ready(Err(Rejection::new(
                        ErrorCode::ServerError,
                        Reason::NoConfig,
                    )));
                }
            }
        }
    }
}

fn required(p: Option<Principal>) -> Result<Principal, Rejection> {
    // Only optional authentication yields `None`; fail closed if it ever reached here.
    p.ok_or_else(|| Rejection::new(ErrorCode::Unauthorized, Reason::NoCredentials))
}

impl FromRequest for Principal {
    type Error = Rejection;
    type Future = IdentityFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        IdentityFuture::new(req, false, required)
    }
}

impl<T: DeserializeOwned> FromRequest for Claims<T> {
    type Error = Rejection;
    type Future = IdentityFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        IdentityFuture::new(req, false, |p| required(p).and_then(Claims::from_principal))
    }
}

impl FromRequest for MaybePrincipal {
    type Error = Rejection;
    type Future = IdentityFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        IdentityFuture::new(req, true, |p| Ok(MaybePrincipal(p)))
    }
}
