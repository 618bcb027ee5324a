//! The application-level registration: verifiers per scheme, the default realm and the body
//! hook. Register it once with `App::app_data(config.clone())` (it is one `Arc`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::http::header::HeaderValue;

use crate::challenge::ChallengeError;
use crate::rejection::ErrorCode;
use crate::requirement::Requirement;

use crate::csrf::CsrfDefence;
use crate::error::ConfigError;
use crate::rejection::{BodyHook, CustomBody, Problem};
use crate::resource_metadata::ResourceMetadata;
use crate::scheme::{Scheme, SchemeSet};
use crate::throttle::FailureThrottle;
use crate::token_location::{TokenLocation, TokenLocations};
use crate::transport::DEFAULT_TOKEN_COOKIE;
use crate::verify::api_key::ApiKeys;
use crate::verify::basic::BasicVerifier;
use crate::verify::bearer::BearerVerifier;
#[cfg(feature = "digest")]
use crate::verify::digest::DigestAuth;
use crate::verify::dpop::{Dpop, DpopMode};

/// The realm of challenges when neither the application nor the endpoint names one.
///
/// ```
/// use auth_core::{AuthConfig, DEFAULT_REALM};
///
/// let auth = AuthConfig::builder().build()?;
/// assert_eq!(auth.realm(), DEFAULT_REALM);
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const DEFAULT_REALM: &str = "api";

/// The authentication settings of an application.
///
/// ```
/// use actix_web::App;
/// use auth_core::{Algorithm, AuthConfig, JwtKey, JwtVerifier};
///
/// let auth = AuthConfig::builder()
///     .realm("orders")
///     .bearer(JwtVerifier::builder()
///         .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
///         .build()?)
///     .build()?;
/// let app = App::new().app_data(auth.clone());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct AuthConfig {
    inner: Arc<Inner>,
}

/// Rendered challenges by (requirement address, code).
type ChallengeCache = HashMap<(usize, ErrorCode, Option<Scheme>), Arc<[HeaderValue]>>;

/// Which configuration verified a principal: unique per built [`AuthConfig`] for the life of
/// the process (clones share it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConfigIdentity(u64);

impl ConfigIdentity {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        ConfigIdentity(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

struct Inner {
    identity: ConfigIdentity,
    /// Rendered challenges per (requirement address, code): requirements are `'static` consts,
    /// so the map holds one entry per endpoint and refusal kind.
    challenges: Mutex<ChallengeCache>,
    realm: String,
    bearer: Option<Arc<dyn BearerVerifier>>,
    basic: Option<Arc<dyn BasicVerifier>>,
    api_keys: Option<ApiKeys>,
    #[cfg(feature = "digest")]
    digest: Option<DigestAuth>,
    throttle: Option<FailureThrottle>,
    body_hook: Option<BodyHook>,
    dpop: Option<Dpop>,
    certificate_proxies: Vec<IpAddr>,
    metadata: Option<ResourceMetadata>,
    schemes: SchemeSet,
    token_locations: TokenLocations,
    token_cookie: String,
    csrf: CsrfDefence,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("realm", &self.inner.realm)
            .field("bearer", &self.inner.bearer)
            .field("basic", &self.inner.basic.is_some())
            .field("api_keys", &self.inner.api_keys)
            .field("throttle", &self.inner.throttle)
            .field("body_hook", &self.inner.body_hook.is_some())
            .field("token_locations", &self.inner.token_locations)
            .field("token_cookie", &self.inner.token_cookie)
            .field("csrf", &self.inner.csrf)
            .finish()
    }
}

impl AuthConfig {
    /// Starts a configuration with no verifier and the realm `"api"`.
    ///
    /// ```
    /// use auth_core::AuthConfig;
    ///
    /// let auth = AuthConfig::builder().build()?;
    /// assert_eq!(auth.realm(), "api");
    /// assert!(auth.registered_schemes().is_empty());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn builder() -> AuthConfigBuilder {
        AuthConfigBuilder {
            realm: DEFAULT_REALM.to_owned(),
            bearer: None,
            basic: None,
            api_keys: None,
            #[cfg(feature = "digest")]
            digest: None,
            throttle: None,
            body_hook: None,
            dpop: None,
            certificate_proxies: Vec::new(),
            metadata: None,
            token_locations: TokenLocations::HEADER,
            token_cookie: DEFAULT_TOKEN_COOKIE.to_owned(),
            csrf: CsrfDefence::new(),
        }
    }

    /// The default realm of challenges.
    ///
    /// ```
    /// use auth_core::AuthConfig;
    ///
    /// let auth = AuthConfig::builder().realm("orders").build()?;
    /// assert_eq!(auth.realm(), "orders");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    /// The schemes a verifier is registered for.
    ///
    /// ```
    /// use auth_core::{ApiKeys, AuthConfig, Scheme};
    ///
    /// let keys = ApiKeys::builder().key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
    /// let auth = AuthConfig::builder().api_keys(keys).build()?;
    /// assert!(auth.registered_schemes().contains(Scheme::ApiKey));
    /// assert!(!auth.registered_schemes().contains(Scheme::Bearer));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn registered_schemes(&self) -> SchemeSet {
        self.inner.schemes
    }

    pub(crate) fn identity(&self) -> ConfigIdentity {
        self.inner.identity
    }

    pub(crate) fn bearer(&self) -> Option<&dyn BearerVerifier> {
        self.inner.bearer.as_deref()
    }

    pub(crate) fn basic(&self) -> Option<&Arc<dyn BasicVerifier>> {
        self.inner.basic.as_ref()
    }

    pub(crate) fn api_keys(&self) -> Option<&ApiKeys> {
        self.inner.api_keys.as_ref()
    }

    #[cfg(feature = "digest")]
    pub(crate) fn digest(&self) -> Option<&DigestAuth> {
        self.inner.digest.as_ref()
    }

    pub(crate) fn throttle(&self) -> Option<&FailureThrottle> {
        self.inner.throttle.as_ref()
    }

    /// The DPoP settings, when DPoP is registered (not [`DpopMode::Off`]).
    pub(crate) fn dpop(&self) -> Option<&Dpop> {
        self.inner
            .dpop
            .as_ref()
            .filter(|d| self.inner.schemes.contains(Scheme::Dpop) && d.mode() != DpopMode::Off)
    }

    /// The protected-resource metadata (RFC 9728), if configured.
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// use auth_core::AuthConfig;
    /// let metadata = ResourceMetadata::builder("https://api.example.com").build()?;
    /// let auth = AuthConfig::builder().resource_metadata(metadata).build()?;
    /// assert_eq!(auth.resource_metadata().unwrap().resource(), "https://api.example.com");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn resource_metadata(&self) -> Option<&ResourceMetadata> {
        self.inner.metadata.as_ref()
    }

    /// The URL every token-scheme challenge names in `resource_metadata`.
    pub(crate) fn resource_metadata_url(&self) -> Option<&str> {
        self.inner.metadata.as_ref().map(ResourceMetadata::url)
    }

    /// The proxies whose `Client-Cert` field is believed ([`crate::mtls`]).
    pub(crate) fn client_certificate_proxies(&self) -> &[IpAddr] {
        &self.inner.certificate_proxies
    }

    /// The schemes an endpoint declaring `declared` accepts under this configuration: those
    /// registered, after the DPoP rollout mode ([`DpopMode::Required`] turns Bearer into DPoP).
    ///
    /// ```
    /// use auth_core::{Algorithm, AuthConfig, Dpop, DpopMode, JwtKey, JwtVerifier, Scheme, SchemeSet};
    /// let jwt = || JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, &[7; 32]).unwrap()).build().unwrap();
    /// let dpop = |mode| Dpop::builder("https://api.example.com").mode(mode).build().unwrap();
    /// let bearer = SchemeSet::EMPTY.with(Scheme::Bearer);
    /// let both = bearer.with(Scheme::Dpop);
    ///
    /// let allowed = AuthConfig::builder().bearer(jwt()).dpop(dpop(DpopMode::Allowed)).build()?;
    /// assert_eq!(allowed.accepted(both), both);
    /// let required = AuthConfig::builder().bearer(jwt()).dpop(dpop(DpopMode::Required)).build()?;
    /// assert_eq!(required.accepted(bearer), SchemeSet::EMPTY.with(Scheme::Dpop));
    /// let off = AuthConfig::builder().bearer(jwt()).dpop(dpop(DpopMode::Off)).build()?;
    /// assert_eq!(off.accepted(both), bearer);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn accepted(&self, declared: SchemeSet) -> SchemeSet {
        let required = self
            .inner
            .dpop
            .as_ref()
            .is_some_and(|d| d.mode() == DpopMode::Required);
        let declared = if required && declared.contains(Scheme::Bearer) {
            declared.without(Scheme::Bearer).with(Scheme::Dpop)
        } else {
            declared
        };
        declared.intersection(self.inner.schemes)
    }

    pub(crate) fn body_hook(&self) -> Option<BodyHook> {
        self.inner.body_hook.clone()
    }

    /// Where Bearer tokens are read from unless an endpoint says otherwise.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    /// use auth_core::AuthConfig;
    ///
    /// assert_eq!(AuthConfig::builder().build()?.token_locations(), TokenLocations::HEADER);
    /// let browser = TokenLocations::HEADER.with(TokenLocation::Cookie);
    /// let auth = AuthConfig::builder().token_locations(browser).build()?;
    /// assert!(auth.token_locations().contains(TokenLocation::Cookie));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn token_locations(&self) -> TokenLocations {
        self.inner.token_locations
    }

    /// The name of the token cookie.
    ///
    /// ```
    /// use auth_core::transport::DEFAULT_TOKEN_COOKIE;
    /// use auth_core::AuthConfig;
    ///
    /// assert_eq!(AuthConfig::builder().build()?.token_cookie(), DEFAULT_TOKEN_COOKIE);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn token_cookie(&self) -> &str {
        &self.inner.token_cookie
    }

    /// The CSRF defence of cookie-borne tokens.
    ///
    /// ```
    /// use auth_core::transport::CsrfDefence;
    /// use auth_core::AuthConfig;
    ///
    /// assert!(AuthConfig::builder().build()?.csrf().is_enabled());
    /// let auth = AuthConfig::builder().csrf(CsrfDefence::disabled()).build()?;
    /// assert!(!auth.csrf().is_enabled());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn csrf(&self) -> &CsrfDefence {
        &self.inner.csrf
    }

    /// The token locations in force for `requirement`.
    pub(crate) fn locations_for(&self, requirement: &Requirement) -> TokenLocations {
        requirement
            .token_locations()
            .unwrap_or(self.inner.token_locations)
    }

    /// The challenges of `code` for `requirement`, rendered by `render` the first time.
    pub(crate) fn challenges(
        &self,
        requirement: &'static Requirement,
        code: ErrorCode,
        used: Option<Scheme>,
        render: impl FnOnce() -> Result<Vec<HeaderValue>, ChallengeError>,
    ) -> Result<Arc<[HeaderValue]>, ChallengeError> {
        let key = (std::ptr::from_ref(requirement) as usize, code, used);
        if let Some(hit) = self
            .inner
            .challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(hit.clone());
        }
        let rendered: Arc<[HeaderValue]> = render()?.into();
        self.inner
            .challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, rendered.clone());
        Ok(rendered)
    }
}

/// Configures an [`AuthConfig`].
///
/// ```
/// use auth_core::{AuthConfig, AuthConfigBuilder};
///
/// let builder: AuthConfigBuilder = AuthConfig::builder().realm("orders");
/// let auth: AuthConfig = builder.build()?;
/// assert_eq!(auth.realm(), "orders");
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub struct AuthConfigBuilder {
    realm: String,
    bearer: Option<Arc<dyn BearerVerifier>>,
    basic: Option<Arc<dyn BasicVerifier>>,
    api_keys: Option<ApiKeys>,
    #[cfg(feature = "digest")]
    digest: Option<DigestAuth>,
    throttle: Option<FailureThrottle>,
    body_hook: Option<BodyHook>,
    dpop: Option<Dpop>,
    certificate_proxies: Vec<IpAddr>,
    metadata: Option<ResourceMetadata>,
    token_locations: TokenLocations,
    token_cookie: String,
    csrf: CsrfDefence,
}

impl std::fmt::Debug for AuthConfigBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfigBuilder")
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

impl AuthConfigBuilder {
    /// Accepts DPoP-bound access tokens (RFC 9449) with these settings: the `DPoP` scheme
    /// (`#[require_auth(scheme = "dpop")]`, or `"bearer | dpop"`), its tokens verified by the
    /// [`bearer`](AuthConfigBuilder::bearer) verifier and its proofs by `dpop`. Needs a Bearer
    /// verifier; [`DpopMode`] rolls it out per application.
    ///
    /// ```
    /// use auth_core::{Algorithm, AuthConfig, Dpop, JwtKey, JwtVerifier, Scheme};
    /// let jwt = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, &[7; 32])?).build()?;
    /// let dpop = Dpop::builder("https://api.example.com").build()?;
    /// let auth = AuthConfig::builder().bearer(jwt).dpop(dpop.clone()).build()?;
    /// assert!(auth.registered_schemes().contains(Scheme::Dpop));
    /// // Without a verifier for the tokens, DPoP is a configuration error.
    /// assert!(AuthConfig::builder().dpop(dpop).build().is_err());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn dpop(mut self, dpop: Dpop) -> Self {
        self.dpop = Some(dpop);
        self
    }

    /// Publishes protected-resource metadata (RFC 9728): every Bearer and DPoP challenge then
    /// names it in `resource_metadata`, and [`AuthConfig::resource_metadata_service`]
    /// serves it.
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// use auth_core::AuthConfig;
    /// let metadata = ResourceMetadata::builder("https://api.example.com").build()?;
    /// assert!(AuthConfig::builder().resource_metadata(metadata).build()?.resource_metadata().is_some());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn resource_metadata(mut self, metadata: ResourceMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// Believes the `Client-Cert` field (RFC 9440) of requests whose connection comes from one
    /// of `proxies` (TLS-terminating proxies that verified the client's certificate), for
    /// certificate-bound tokens ([`crate::mtls`]). From any other address the field is ignored.
    ///
    /// ```
    /// use std::net::IpAddr;
    /// use auth_core::AuthConfig;
    /// let proxy: IpAddr = "10.0.0.2".parse().unwrap();
    /// let auth = AuthConfig::builder().client_certificate_proxies([proxy]).build()?;
    /// # let _ = auth;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn client_certificate_proxies(mut self, proxies: impl IntoIterator<Item = IpAddr>) -> Self {
        self.certificate_proxies = proxies.into_iter().map(|ip| ip.to_canonical()).collect();
        self
    }

    /// The realm written in challenges of endpoints that do not name their own.
    ///
    /// ```
    /// use auth_core::AuthConfig;
    ///
    /// assert_eq!(AuthConfig::builder().realm("orders").build()?.realm(), "orders");
    /// // An empty realm could not be written into a challenge.
    /// assert!(AuthConfig::builder().realm("").build().is_err());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Registers the Bearer verifier: a [`JwtVerifier`](crate::JwtVerifier) or any
    /// other [`BearerVerifier`].
    ///
    /// ```
    /// use auth_core::{Algorithm, AuthConfig, JwtKey, JwtVerifier, Scheme};
    ///
    /// let verifier = JwtVerifier::builder()
    ///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
    ///     .build()?;
    /// let auth = AuthConfig::builder().bearer(verifier).build()?;
    /// assert!(auth.registered_schemes().contains(Scheme::Bearer));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn bearer(mut self, verifier: impl BearerVerifier) -> Self {
        self.bearer = Some(Arc::new(verifier));
        self
    }

    /// Registers the Basic verifier: an [`Htpasswd`](crate::Htpasswd) file or the application's
    /// own user store.
    ///
    /// ```
    /// # #[cfg(feature = "htpasswd")] {
    /// use auth_core::{AuthConfig, Htpasswd, Scheme};
    ///
    /// // Written by `htpasswd -nbB ops 'correct horse'`.
    /// let users = Htpasswd::parse("ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n")?;
    /// let auth = AuthConfig::builder().basic(users).build()?;
    /// assert!(auth.registered_schemes().contains(Scheme::Basic));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn basic(mut self, verifier: impl BasicVerifier) -> Self {
        self.basic = Some(Arc::new(verifier));
        self
    }

    /// Registers the API keys.
    ///
    /// ```
    /// use auth_core::{ApiKeys, AuthConfig, Scheme, SchemeSet};
    ///
    /// let keys = ApiKeys::builder().key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
    /// let auth = AuthConfig::builder().api_keys(keys).build()?;
    /// assert_eq!(auth.registered_schemes(), SchemeSet::EMPTY.with(Scheme::ApiKey));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn api_keys(mut self, keys: ApiKeys) -> Self {
        self.api_keys = Some(keys);
        self
    }

    /// Registers the Digest scheme (RFC 7616): its user store, algorithms and nonce settings
    /// (feature `digest`).
    ///
    /// ```
    /// use auth_core::{AuthConfig, DigestAuth, Htdigest, Scheme};
    ///
    /// let users = Htdigest::new().with_password("ops", "orders-ops", "ops-dev-password")?;
    /// let auth = AuthConfig::builder().digest(DigestAuth::new(users)).build()?;
    /// assert!(auth.registered_schemes().contains(Scheme::Digest));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "digest")]
    pub fn digest(mut self, digest: DigestAuth) -> Self {
        self.digest = Some(digest);
        self
    }

    /// Throttles failed attempts (off by default: behind a proxy every client shares one
    /// address until [`FailureThrottle::trust_forwarded_for`] says which proxies to believe).
    ///
    /// ```
    /// use auth_core::{AuthConfig, FailureThrottle};
    ///
    /// let auth = AuthConfig::builder()
    ///     .throttle(FailureThrottle::per_minute(5))
    ///     .build()?;
    /// assert!(format!("{auth:?}").contains("limit: 5"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn throttle(mut self, throttle: FailureThrottle) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// Where Bearer tokens are read from, for endpoints that do not say
    /// (`#[require_auth(token_in = "…")]`): the `Authorization` field only by default. See
    /// [`crate::transport`] for each location and its risks.
    ///
    /// ```
    /// use auth_core::transport::{CsrfDefence, TokenLocation, TokenLocations};
    /// use auth_core::AuthConfig;
    ///
    /// // A browser app: the header for scripts, an HttpOnly cookie for the page itself.
    /// let auth = AuthConfig::builder()
    ///     .token_locations(TokenLocations::HEADER.with(TokenLocation::Cookie))
    ///     .token_cookie("orders_session")
    ///     .csrf(CsrfDefence::new().trust_origin("https://app.example.com"))
    ///     .build()?;
    /// assert_eq!(auth.token_cookie(), "orders_session");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn token_locations(mut self, locations: TokenLocations) -> Self {
        self.token_locations = locations;
        self
    }

    /// The name of the cookie that carries a Bearer token (`access_token` by default). Used
    /// where [`TokenLocation::Cookie`] is enabled.
    ///
    /// ```
    /// use auth_core::AuthConfig;
    ///
    /// let auth = AuthConfig::builder().token_cookie("orders_session").build()?;
    /// assert_eq!(auth.token_cookie(), "orders_session");
    /// // A cookie name must be an RFC 9110 token.
    /// assert!(AuthConfig::builder().token_cookie("orders session").build().is_err());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn token_cookie(mut self, name: impl Into<String>) -> Self {
        self.token_cookie = name.into();
        self
    }

    /// The CSRF defence of cookie-borne tokens on unsafe methods (on by default:
    /// [`CsrfDefence::new`]).
    ///
    /// ```
    /// use auth_core::transport::CsrfDefence;
    /// use auth_core::AuthConfig;
    ///
    /// let auth = AuthConfig::builder()
    ///     .csrf(CsrfDefence::new().trust_origin("https://app.example.com"))
    ///     .build()?;
    /// assert!(auth.csrf().is_enabled());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn csrf(mut self, defence: CsrfDefence) -> Self {
        self.csrf = defence;
        self
    }

    /// Replaces the body of every refusal (the status, `WWW-Authenticate`, `Retry-After` and
    /// `Cache-Control` stay the framework's).
    ///
    /// ```
    /// use actix_web::http::header::HeaderValue;
    /// use auth_core::{AuthConfig, CustomBody};
    ///
    /// let auth = AuthConfig::builder()
    ///     .problem_body(|p| CustomBody {
    ///         content_type: HeaderValue::from_static("application/json"),
    ///         body: format!(r#"{{"code":"{}"}}"#, p.code).into(),
    ///     })
    ///     .build()?;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn problem_body(
        mut self,
        hook: impl Fn(&Problem) -> CustomBody + Send + Sync + 'static,
    ) -> Self {
        self.body_hook = Some(Arc::new(hook));
        self
    }

    /// Checks the configuration: the realm must be non-empty printable ASCII, so it can always
    /// be written into a challenge.
    ///
    /// ```
    /// use auth_core::{AuthConfig, ConfigError};
    ///
    /// assert!(AuthConfig::builder().realm("orders").build().is_ok());
    /// let err = AuthConfig::builder().realm("line\nbreak").build().unwrap_err();
    /// assert!(matches!(err, ConfigError::InvalidSetting { what: "realm", .. }));
    /// ```
    pub fn build(self) -> Result<AuthConfig, ConfigError> {
        if self.dpop.is_some() && self.bearer.is_none() {
            return Err(ConfigError::InvalidSetting {
                what: "dpop",
                detail: "DPoP needs a Bearer verifier (AuthConfigBuilder::bearer) for its access \
                         tokens"
                    .into(),
            });
        }
        if self.realm.is_empty() || !crate::syntax::is_quotable(&self.realm) {
            return Err(ConfigError::InvalidSetting {
                what: "realm",
                detail: "must be non-empty printable ASCII (no control characters)".into(),
            });
        }
        let mut schemes = SchemeSet::EMPTY;
        for (registered, scheme) in [
            (self.bearer.is_some(), Scheme::Bearer),
            (self.basic.is_some(), Scheme::Basic),
            (self.api_keys.is_some(), Scheme::ApiKey),
        ] {
            if registered {
                schemes = schemes.with(scheme);
            }
        }
        #[cfg(feature = "digest")]
        if let Some(digest) = &self.digest {
            digest.validate()?;
            schemes = schemes.with(Scheme::Digest);
        }
        if self
            .dpop
            .as_ref()
            .is_some_and(|d| d.mode() != DpopMode::Off)
        {
            schemes = schemes.with(Scheme::Dpop);
        }
        self.csrf.validate()?;
        let cookie_ok =
            !self.token_cookie.is_empty() && self.token_cookie.bytes().all(crate::syntax::is_tchar);
        if !cookie_ok {
            return Err(ConfigError::InvalidSetting {
                what: "token_cookie",
                detail: "a cookie name must be a non-empty RFC 9110 token".into(),
            });
        }
        if self.token_locations.contains(TokenLocation::Cookie) && !self.csrf.is_enabled() {
            tracing::warn!(
                target: crate::audit::TARGET,
                "cookie-borne tokens are enabled with the CSRF defence off"
            );
        }
        if schemes.is_empty() {
            tracing::warn!(
                target: crate::audit::TARGET,
                "AuthConfig has no verifier: every protected endpoint will answer 500"
            );
        }
        Ok(AuthConfig {
            inner: Arc::new(Inner {
                identity: ConfigIdentity::next(),
                challenges: Mutex::new(HashMap::new()),
                realm: self.realm,
                bearer: self.bearer,
                basic: self.basic,
                api_keys: self.api_keys,
                #[cfg(feature = "digest")]
                digest: self.digest,
                throttle: self.throttle,
                body_hook: self.body_hook,
                dpop: self.dpop,
                certificate_proxies: self.certificate_proxies,
                metadata: self.metadata,
                schemes,
                token_locations: self.token_locations,
                token_cookie: self.token_cookie,
                csrf: self.csrf,
            }),
        })
    }
}
