//! Opaque access tokens, checked by asking the authorization server (RFC 7662): a
//! [`BearerVerifier`] for the Bearer slot (and so for DPoP, whose token it is too).
//!
//! ```no_run
//! use std::time::Duration;
//! use auth_core::{AuthConfig, ClientAuth, Introspection};
//!
//! let introspection = Introspection::builder("https://as.example/oauth2/introspect")
//!     .client(ClientAuth::secret_basic("orders-api", "s3cret"))
//!     .issuer("https://as.example")
//!     .audience("https://api.example/orders")
//!     .cache_for(Duration::from_secs(60))
//!     .build()?;
//! let auth = AuthConfig::builder().bearer(introspection).build()?;
//! # Ok::<(), auth_core::ConfigError>(())
//! ```
//!
//! **What a request costs.** A token seen before is answered from this instance's memory (a
//! SHA-256 of the token and a hash lookup: no network). A token new to this instance is one
//! call to the authorization server however many requests carry it at once (*single flight*:
//! the first request starts the call, the others wait for the same answer, each with its own
//! timeout), or one read of the fleet's shared cache first when one is configured
//! ([`IntrospectionBuilder::shared_cache`]). The call runs on the verifier's own thread, so a
//! client that gives up does not cancel it and its answer still fills the cache.
//!
//! **How long an answer is trusted.** An active answer is kept until the earlier of the
//! token's `exp` and the configured bound ([`IntrospectionBuilder::cache_for`], 60 s by
//! default): a token revoked at the authorization server is refused at the latest that long
//! after. An inactive answer is kept for [`IntrospectionBuilder::cache_inactive_for`] (5 s by
//! default, 0 for never), so a replayed dead token does not cost a call each time. Failures
//! are never kept.
//!
//! **Failures are 503, never a door.** The server unreachable, slower than the timeout, a
//! status other than 200, an answer that is not a JSON object with a boolean `active`: the
//! request is refused with 503 `temporarily_unavailable` and `Retry-After` (never 401, which
//! would make the client drop a good token, and never an acceptance: there is no fail-open
//! setting). A 400, 401 or 403 from the server means it refused *this resource server's*
//! credentials: the same 503, and an error-level log line saying so.
//!
//! **What is checked** (`introspection_answer`): never `active` alone, but also `token_type`,
//! `exp`, `nbf`, `iss` and `aud` (required and exact when configured), and the types of `sub`
//! and `scope`; a `cnf` binds the token to its DPoP key or client certificate as for a JWT.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::collections::HashMap;

use tokio::sync::{mpsc, watch};

use crate::error::ConfigError;
use crate::principal::Principal;
use crate::rejection::Reason;
use crate::verify::bearer::{BearerVerdict, BearerVerifier};
use crate::verify::cache::VerdictCache;
use crate::verify::introspection_answer::{self, AnswerRules, Unreadable};
use crate::verify::introspection_client::{ClientAuth, Endpoint, Upstream};
use crate::verify::introspection_store::{IntrospectionStore, TokenDigest};
use crate::verify::keyset::Discovery;

/// A verdict as the single flight hands it to its waiters.
type Answered = Option<Result<Principal, Reason>>;

/// Work for the verifier's thread.
type Job = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// An RFC 7662 introspection verifier (feature `introspection`): see the [module
/// docs](crate::verify::introspection). Clones share the cache, the calls in flight and the
/// thread.
///
/// ```no_run
/// use auth_core::{AuthConfig, ClientAuth, Introspection};
/// // The endpoint from the authorization server's discovery document (RFC 8414; OpenID
/// // Connect discovery with `discover`).
/// let introspection = Introspection::discover_oauth("https://as.example/tenant-a")
///     .client(ClientAuth::secret_post("orders-api", "s3cret"))
///     .audience("orders-api")
///     .build()?;
/// assert_eq!(introspection.calls(), 0);
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Introspection {
    inner: Arc<Inner>,
}

struct Inner {
    upstream: Upstream,
    rules: AnswerRules,
    cache: Option<VerdictCache>,
    inactive_ttl: u64,
    shared: Option<Arc<dyn IntrospectionStore>>,
    /// Calls in flight, by token: their waiters subscribe here.
    in_flight: Mutex<HashMap<TokenDigest, watch::Receiver<Answered>>>,
    max_in_flight: usize,
    wait: Duration,
    jobs: mpsc::UnboundedSender<Job>,
    calls: AtomicU64,
}

impl fmt::Debug for Introspection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Introspection")
            .field("upstream", &self.inner.upstream)
            .field("rules", &self.inner.rules)
            .field("cache", &self.inner.cache)
            .field("shared", &self.inner.shared)
            .finish_non_exhaustive()
    }
}

/// Configures an [`Introspection`].
///
/// ```
/// use auth_core::{ClientAuth, ConfigError, Introspection};
/// // A resource server must authenticate to the endpoint (RFC 7662 §2.1).
/// let unauthenticated = Introspection::builder("https://as.example/introspect").build();
/// assert!(matches!(unauthenticated, Err(ConfigError::InvalidSetting { what: "introspection client", .. })));
/// // Clear text only to this machine.
/// let clear = Introspection::builder("http://as.example/introspect")
///     .client(ClientAuth::secret_basic("rs", "s")).build();
/// assert!(matches!(clear, Err(ConfigError::InvalidSetting { what: "introspection endpoint", .. })));
/// ```
pub struct IntrospectionBuilder {
    endpoint: Endpoint,
    auth: Option<ClientAuth>,
    rules: AnswerRules,
    cache_for: Duration,
    cache_inactive_for: Duration,
    capacity: usize,
    timeout: Duration,
    wait: Option<Duration>,
    max_in_flight: usize,
    shared: Option<Arc<dyn IntrospectionStore>>,
    signed: Option<crate::KeySet>,
}

impl fmt::Debug for IntrospectionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionBuilder")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Introspection {
    /// A verifier calling the introspection endpoint at `endpoint` (`https`, or `http` to a
    /// loopback address).
    ///
    /// ```
    /// use auth_core::{ClientAuth, Introspection};
    /// let verifier = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("orders-api", "s3cret"))
    ///     .build()?;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn builder(endpoint: impl Into<String>) -> IntrospectionBuilder {
        IntrospectionBuilder::new(Endpoint::Fixed(endpoint.into()), None)
    }

    /// The endpoint from `issuer`'s OpenID Connect discovery document
    /// (`{issuer}/.well-known/openid-configuration`), whose `issuer` must be exactly `issuer`;
    /// answers must then carry that `iss`. Fetched on first use, again after a failure.
    ///
    /// ```
    /// use auth_core::{ClientAuth, Introspection};
    /// let verifier = Introspection::discover("https://id.example.com")
    ///     .client(ClientAuth::secret_basic("orders-api", "s3cret"))
    ///     .build()?;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn discover(issuer: impl Into<String>) -> IntrospectionBuilder {
        let issuer = issuer.into();
        IntrospectionBuilder::new(
            Endpoint::Discovered {
                issuer: issuer.clone(),
                kind: Discovery::OpenId,
            },
            Some(issuer),
        )
    }

    /// The endpoint from `issuer`'s RFC 8414 metadata (`/.well-known/oauth-authorization-server`
    /// inserted before the issuer's path, §3.1), whose `issuer` must be exactly `issuer`.
    ///
    /// ```
    /// use auth_core::{ClientAuth, Introspection};
    /// let verifier = Introspection::discover_oauth("https://as.example/tenant-a")
    ///     .client(ClientAuth::secret_basic("orders-api", "s3cret"))
    ///     .build()?;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn discover_oauth(issuer: impl Into<String>) -> IntrospectionBuilder {
        let issuer = issuer.into();
        IntrospectionBuilder::new(
            Endpoint::Discovered {
                issuer: issuer.clone(),
                kind: Discovery::OAuth,
            },
            Some(issuer),
        )
    }

    /// How many introspection calls this verifier (and its clones) made.
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// let verifier = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .build()?;
    /// assert_eq!(verifier.calls(), 0);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    fn now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    /// The answer this instance keeps for the token, if any.
    fn remembered(&self, digest: &TokenDigest) -> Option<Result<Principal, Reason>> {
        self.inner.cache.as_ref()?;
        let hit = self.lookup(digest);
        crate::metrics::verdict_cache(hit.is_some());
        hit
    }

    /// The kept answer, uncounted: the second look of a request that already counted a miss.
    fn lookup(&self, digest: &TokenDigest) -> Option<Result<Principal, Reason>> {
        let cache = self.inner.cache.as_ref()?;
        cache.get(digest.as_bytes(), Self::now(), 0)
    }

    /// Joins the call in flight for the token, or starts one.
    fn join_or_start(&self, token: &str, digest: TokenDigest) -> BearerVerdict {
        let inner = &*self.inner;
        let receiver = {
            let mut in_flight = inner.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            // Under the lock: a call that ended meanwhile put its answer before leaving the map.
            // (Uncounted: this request's miss was counted already.)
            if let Some(hit) = self.lookup(&digest) {
                return BearerVerdict::Repeated(hit);
            }
            match in_flight.get(&digest) {
                Some(receiver) => receiver.clone(),
                None => {
                    if in_flight.len() >= inner.max_in_flight {
                        tracing::warn!(target: crate::audit::TARGET, limit = inner.max_in_flight, "introspection: too many distinct tokens in flight; refusing with 503");
                        return BearerVerdict::Ready(Err(Reason::Unavailable));
                    }
                    let (sender, receiver) = watch::channel(None);
                    in_flight.insert(digest, receiver.clone());
                    let job: Job =
                        Box::pin(self.clone().introspect(token.to_owned(), digest, sender));
                    if inner.jobs.send(job).is_err() {
                        in_flight.remove(&digest);
                        return BearerVerdict::Ready(Err(Reason::Unavailable));
                    }
                    receiver
                }
            }
        };
        let wait = inner.wait;
        BearerVerdict::Later(Box::pin(async move {
            let mut receiver = receiver;
            let answer = async {
                loop {
                    if let Some(answer) = receiver.borrow_and_update().clone() {
                        return answer;
                    }
                    if receiver.changed().await.is_err() {
                        return Err(Reason::Unavailable);
                    }
                }
            };
            tokio::time::timeout(wait, answer)
                .await
                .unwrap_or(Err(Reason::Unavailable))
        }))
    }

    /// One token's introspection, on the verifier's thread: the shared cache, else the
    /// authorization server; the answer kept, handed to every waiter, then shared.
    async fn introspect(self, token: String, digest: TokenDigest, done: watch::Sender<Answered>) {
        // Whatever happens to this job (a panic in a store, the runtime shutting down), its
        // waiters get an answer and the token leaves the in-flight map.
        let mut flight = Flight {
            verifier: &self,
            digest,
            done: Some(done),
        };
        let now = Self::now();
        let shared_key = self.shared_key(&token);
        if let Some(verdict) = self.shared_answer(shared_key, digest, now).await {
            flight.land(verdict);
            return;
        }
        let (verdict, share) = self.ask(&token, digest, now).await;
        flight.land(verdict);
        if let (Some(shared), Some((entry, until))) = (&self.inner.shared, share) {
            let until = UNIX_EPOCH + Duration::from_secs(until);
            if let Err(e) = shared.put(shared_key, entry, until).await {
                crate::metrics::store_error("introspections");
                tracing::warn!(target: crate::audit::TARGET, error = %e, "introspection: the answer could not be shared");
            }
        }
    }

    /// The key of the token's entry in the shared cache: the token's digest under this
    /// verifier's identity (endpoint or issuer, and client), since the server may answer each
    /// resource server differently; one verifier never reads another's answer.
    fn shared_key(&self, token: &str) -> TokenDigest {
        TokenDigest::of(&format!(
            "auth-core introspection\0{}\0{token}",
            self.inner.upstream.identity()
        ))
    }

    /// The fleet's answer for the token, if one is shared and still usable.
    async fn shared_answer(
        &self,
        key: TokenDigest,
        digest: TokenDigest,
        now: u64,
    ) -> Option<Result<Principal, Reason>> {
        let inner = &*self.inner;
        let shared = inner.shared.as_ref()?;
        let entry = match shared.get(key).await {
            Ok(found) => found?,
            Err(e) => {
                crate::metrics::store_error("introspections");
                tracing::warn!(target: crate::audit::TARGET, error = %e, "introspection: the shared cache could not answer; asking the authorization server");
                return None;
            }
        };
        // An entry that is unreadable, another version's, or past the writer's bound is asked
        // for again.
        let entry: SharedEntry = serde_json::from_slice(&entry).ok()?;
        if entry.v != 1 || entry.until <= now {
            return None;
        }
        let body = match (&entry.jwt, &entry.answer) {
            // Signed answers are kept signed and verified again on every read, so an entry
            // planted in the store without the server's key is never believed.
            (Some(jwt), _) if inner.upstream.signs() => inner.upstream.reopen(jwt).await.ok()?,
            (None, Some(answer)) if !inner.upstream.signs() => serde_json::to_vec(answer).ok()?,
            _ => return None,
        };
        let read = self.judge(&body, now).ok()?;
        // Never past the bound its writer was held to, nor past this verifier's own.
        let expires = Some(read.expires.map_or(entry.until, |e| e.min(entry.until)));
        self.keep(&digest, &read.verdict, expires, now);
        Some(read.verdict)
    }

    /// Asks the authorization server: the verdict, and what to share (the entry and until
    /// when it is usable), if anything.
    async fn ask(
        &self,
        token: &str,
        digest: TokenDigest,
        now: u64,
    ) -> (Result<Principal, Reason>, Option<(Vec<u8>, u64)>) {
        let inner = &*self.inner;
        inner.calls.fetch_add(1, Ordering::Relaxed);
        let fetched = match inner.upstream.call(token).await {
            Ok(fetched) => fetched,
            Err(e) => {
                crate::metrics::introspection("error");
                if e.is_ours() {
                    tracing::error!(target: crate::audit::TARGET, "introspection failed: {e}; refusing with 503")
                } else {
                    tracing::warn!(target: crate::audit::TARGET, "introspection failed: {e}; refusing with 503")
                }
                return (Err(Reason::Unavailable), None);
            }
        };
        let read = match self.judge(&fetched.json, now) {
            Ok(read) => read,
            Err(Unreadable(why)) => {
                crate::metrics::introspection("error");
                tracing::warn!(target: crate::audit::TARGET, "introspection answer unusable: {why}; refusing with 503");
                return (Err(Reason::Unavailable), None);
            }
        };
        crate::metrics::introspection(if read.verdict.is_ok() {
            "active"
        } else {
            "inactive"
        });
        let until = self.keep(&digest, &read.verdict, read.expires, now);
        let share = match (&inner.shared, until) {
            (Some(_), Some(until)) => {
                let entry = SharedEntry {
                    v: 1,
                    until,
                    answer: match fetched.signed {
                        Some(_) => None,
                        None => serde_json::from_slice(&fetched.json).ok(),
                    },
                    jwt: fetched.signed,
                };
                serde_json::to_vec(&entry).ok().map(|e| (e, until))
            }
            _ => None,
        };
        (read.verdict, share)
    }

    fn judge(&self, body: &[u8], now: u64) -> Result<introspection_answer::Read, Unreadable> {
        let answer = introspection_answer::parse(body)?;
        introspection_answer::read(answer, &self.inner.rules, now)
    }

    /// Keeps a verdict in this instance's memory; when it is kept until (none: not kept).
    fn keep(
        &self,
        digest: &TokenDigest,
        verdict: &Result<Principal, Reason>,
        expires: Option<u64>,
        now: u64,
    ) -> Option<u64> {
        let inner = &*self.inner;
        let cache = inner.cache.as_ref()?;
        let until = match verdict {
            Ok(_) => expires,
            // Other refusals (an expired, misaddressed or mistyped token) are as final as the
            // inactive ones.
            Err(_) if inner.inactive_ttl > 0 => Some(now.saturating_add(inner.inactive_ttl)),
            Err(_) => return None,
        };
        cache.put_admitted(digest.as_bytes(), verdict, until, now, 0)
    }
}

/// What the fleet shares per token: the server's answer (or, with signed answers, the JWT as
/// received) and the bound its writer was held to.
#[derive(serde::Serialize, serde::Deserialize)]
struct SharedEntry {
    v: u8,
    /// Seconds since the epoch: no reader keeps the answer past it.
    until: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    answer: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jwt: Option<String>,
}

/// A call in flight: when it lands (or is dropped unlanded, by a panic or a shutdown), the
/// token leaves the in-flight map and its waiters get the verdict (`Unavailable` unlanded).
struct Flight<'v> {
    verifier: &'v Introspection,
    digest: TokenDigest,
    done: Option<watch::Sender<Answered>>,
}

impl Flight<'_> {
    fn land(&mut self, verdict: Result<Principal, Reason>) {
        self.leave();
        if let Some(done) = self.done.take() {
            let _ = done.send(Some(verdict));
        }
    }

    fn leave(&self) {
        let mut in_flight = self
            .verifier
            .inner
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        in_flight.remove(&self.digest);
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        if self.done.is_some() {
            self.land(Err(Reason::Unavailable));
        }
    }
}

impl BearerVerifier for Introspection {
    fn verify_token(&self, token: &str) -> BearerVerdict {
        let digest = TokenDigest::of(token);
        if let Some(hit) = self.remembered(&digest) {
            return BearerVerdict::Repeated(hit);
        }
        self.join_or_start(token, digest)
    }

    fn cached(&self, token: &[u8]) -> Option<Result<Principal, Reason>> {
        let token = std::str::from_utf8(token).ok()?;
        self.remembered(&TokenDigest::of(token))
    }
}

impl IntrospectionBuilder {
    fn new(endpoint: Endpoint, issuer: Option<String>) -> Self {
        IntrospectionBuilder {
            endpoint,
            auth: None,
            rules: AnswerRules {
                issuer,
                audience: None,
                leeway: 60,
                require_exp: false,
                layout: crate::claim_layout::ClaimLayout::default(),
            },
            cache_for: Duration::from_secs(60),
            cache_inactive_for: Duration::from_secs(5),
            capacity: 100_000,
            timeout: Duration::from_secs(5),
            wait: None,
            max_in_flight: 1024,
            shared: None,
            signed: None,
        }
    }

    /// How this resource server authenticates to the endpoint (required).
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("orders-api", "s3cret"));
    /// assert!(builder.build().is_ok());
    /// ```
    pub fn client(mut self, auth: ClientAuth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// Answers must carry this `iss` (set already by discovery).
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .issuer("https://as.example");
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.rules.issuer = Some(issuer.into());
        self
    }

    /// Answers' `aud` must contain this value (this resource server's identifier).
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .audience("https://api.example/orders");
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.rules.audience = Some(audience.into());
        self
    }

    /// Clock skew tolerated on `exp` and `nbf` (default 60 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .leeway(Duration::from_secs(5));
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.rules.leeway = leeway.as_secs();
        self
    }

    /// Refuses active answers without `exp` (default: accepted; the cache bound then alone
    /// limits how long the answer is trusted).
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .require_exp(true);
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn require_exp(mut self, required: bool) -> Self {
        self.rules.require_exp = required;
        self
    }

    /// Where answers put the subject, scopes and roles (default: RFC 7662's `sub` and `scope`,
    /// `scp`, and `roles`): Keycloak's introspection answers carry `realm_access.roles`, for
    /// one.
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// use auth_core::claim_layout::ClaimLayout;
    /// let builder = Introspection::builder("https://kc.example/realms/shop/protocol/openid-connect/token/introspect")
    ///     .client(ClientAuth::secret_basic("orders-api", "s3cret"))
    ///     .claims(ClaimLayout::keycloak().keycloak_client("orders-api"));
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn claims(mut self, layout: crate::claim_layout::ClaimLayout) -> Self {
        self.rules.layout = layout;
        self
    }

    /// The longest an active answer is trusted without asking again (default 60 s; never past
    /// the token's `exp`; zero turns caching off, leaving single flight alone).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .cache_for(Duration::from_secs(10));
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn cache_for(mut self, bound: Duration) -> Self {
        self.cache_for = bound;
        self
    }

    /// How long a refusal (`active: false`, or an answer failing a check) is kept (default
    /// 5 s; zero: never kept). Never longer than [`cache_for`](Self::cache_for).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .cache_inactive_for(Duration::ZERO);
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn cache_inactive_for(mut self, bound: Duration) -> Self {
        self.cache_inactive_for = bound;
        self
    }

    /// The most tokens this instance keeps answers for (default 100 000).
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .capacity(10_000);
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn capacity(mut self, tokens: usize) -> Self {
        self.capacity = tokens;
        self
    }

    /// The timeout of one call to the authorization server (default 5 s), and of each waiting
    /// request unless [`wait_for`](Self::wait_for) says otherwise.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .timeout(Duration::from_secs(2));
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The longest one request waits for the token's answer (503 after it; the call goes on
    /// and its answer is kept for the next request).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .wait_for(Duration::from_millis(800));
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn wait_for(mut self, wait: Duration) -> Self {
        self.wait = Some(wait);
        self
    }

    /// The most distinct tokens being introspected at once (default 1 024); past it, 503 at
    /// once, so a flood of fresh junk tokens cannot queue unbounded work against the server.
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .max_in_flight(64);
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.max(1);
        self
    }

    /// Answers shared by a fleet (e.g. a [`RedisStore`](crate::redis_store::RedisStore)): a
    /// token introspected by one instance costs the others one store read, no call. A store
    /// that cannot answer falls back to asking the server.
    ///
    /// ```
    /// # use std::time::SystemTime;
    /// # use auth_core::store::{StoreError, StoreFuture};
    /// # use auth_core::verify::introspection_store::{IntrospectionStore, TokenDigest};
    /// # use auth_core::{ClientAuth, Introspection};
    /// # #[derive(Debug)] struct Nothing;
    /// # impl IntrospectionStore for Nothing {
    /// #     fn get(&self, _: TokenDigest) -> StoreFuture<Result<Option<Vec<u8>>, StoreError>> { Box::pin(std::future::ready(Ok(None))) }
    /// #     fn put(&self, _: TokenDigest, _: Vec<u8>, _: SystemTime) -> StoreFuture<Result<(), StoreError>> { Box::pin(std::future::ready(Ok(()))) }
    /// # }
    /// let builder = Introspection::builder("https://as.example/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .shared_cache(Nothing);
    /// # assert!(builder.build().is_ok());
    /// ```
    pub fn shared_cache(mut self, store: impl IntrospectionStore) -> Self {
        self.shared = Some(Arc::new(store));
        self
    }

    /// Asks for answers in the JWT form (RFC 9701) and accepts only those: signed by one of
    /// the server's keys in `keys` (its JWKS, or its discovery document's), `typ`
    /// `token-introspection+jwt`, `iss` the server's issuer (which must be known: discovery, or
    /// [`issuer`](Self::issuer)), `aud` this client's id. A plain JSON answer is then refused
    /// (503) as a downgrade. Use it where the server offers the form (its metadata lists
    /// `introspection_signing_alg_values_supported`): the answer then proves its origin even
    /// through a TLS-terminating proxy, and can be kept as evidence.
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection, KeySet};
    /// let verifier = Introspection::discover("https://id.example.com")
    ///     .client(ClientAuth::secret_basic("orders-api", "s3cret"))
    ///     .signed_answers(KeySet::discover("https://id.example.com"))
    ///     .build()?;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn signed_answers(mut self, keys: crate::KeySet) -> Self {
        self.signed = Some(keys);
        self
    }

    /// Builds the verifier and starts its thread.
    ///
    /// ```
    /// # use auth_core::{ClientAuth, Introspection};
    /// let verifier = Introspection::builder("http://127.0.0.1:9/introspect")
    ///     .client(ClientAuth::secret_basic("rs", "s"))
    ///     .build()?;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn build(self) -> Result<Introspection, ConfigError> {
        let auth = self.auth.ok_or_else(|| ConfigError::InvalidSetting {
            what: "introspection client",
            detail: "the resource server must authenticate to the introspection endpoint (RFC 7662 §2.1): set .client(ClientAuth::…)".into(),
        })?;
        if auth.client_id().is_empty() {
            return Err(ConfigError::InvalidSetting {
                what: "introspection client",
                detail: "empty client id".into(),
            });
        }
        let issuer = self.rules.issuer.clone();
        let upstream = Upstream::new(self.endpoint, auth, issuer, self.timeout, self.signed)?;
        let cache_for = self.cache_for.as_secs();
        let inactive_ttl = self.cache_inactive_for.as_secs().min(cache_for);
        let cache = VerdictCache::new(self.capacity, cache_for);
        let (jobs, mut queue) = mpsc::unbounded_channel::<Job>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ConfigError::InvalidSetting {
                what: "introspection thread",
                detail: e.to_string(),
            })?;
        std::thread::Builder::new()
            .name("auth-core-introspection".into())
            .spawn(move || {
                runtime.block_on(async move {
                    // Ends when the last clone of the verifier is dropped.
                    while let Some(job) = queue.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .map_err(|e| ConfigError::InvalidSetting {
                what: "introspection thread",
                detail: e.to_string(),
            })?;
        Ok(Introspection {
            inner: Arc::new(Inner {
                upstream,
                rules: self.rules,
                cache,
                inactive_ttl,
                shared: self.shared,
                in_flight: Mutex::new(HashMap::new()),
                max_in_flight: self.max_in_flight,
                wait: self
                    .wait
                    .unwrap_or(self.timeout + Duration::from_millis(500)),
                jobs,
                calls: AtomicU64::new(0),
            }),
        })
    }
}
