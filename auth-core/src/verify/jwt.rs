//! Bearer tokens as JWTs (RFC 7519) in JWS compact serialization, verified by `jsonwebtoken`'s
//! signature primitives under the rules of RFC 8725:
//!
//! - the token's `alg` only selects among the configured keys, each bound to one algorithm, so
//!   `none`, algorithm confusion and unconfigured algorithms are refused by construction;
//! - `jwk`, `jku`, `x5u` and `x5c` header parameters are never read; `kid` only picks a
//!   configured key;
//! - a `crit` header parameter is refused (we implement no extension);
//! - the size bound is checked before any decoding; header and payload members must be unique;
//! - claims are checked after the signature, by [`ClaimRules`](super::claims), and a `cnf`
//!   claim (a sender-constrained token) is read into the bindings the guard checks;
//! - revocation ([`revocations`](JwtVerifierBuilder::revocations)) is checked after the
//!   claims and on every verdict-cache hit, never cached itself.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::borrow::Cow;

use jsonwebtoken::{Algorithm, AlgorithmFamily};

use super::bearer::{BearerVerdict, BearerVerifier};
use super::cache::VerdictCache;
use super::claims::{ClaimRules, JoseHeader, read_payload_for, read_sender_binding};
use super::keys::{JwtKey, algorithm_from_header};
#[cfg(feature = "jwks")]
use super::keyset::{Demand, KeySet, RemoteKeys, wait_for_attempt};
use super::revocation::{RevocationCheck, RevocationStore, TokenIdentity};
use crate::claim_layout::{ClaimLayout, ClaimPath};
use crate::error::ConfigError;
use crate::principal::{Principal, TokenIds};
use crate::rejection::Reason;

/// The default bound on a token's length, checked before decoding.
///
/// ```
/// use auth_core::verify::jwt::DEFAULT_MAX_TOKEN_BYTES;
/// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
/// # let verifier = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?).build()?;
/// assert_eq!(DEFAULT_MAX_TOKEN_BYTES, 8 * 1024);
/// let oversized = "a".repeat(DEFAULT_MAX_TOKEN_BYTES + 1);
/// assert_eq!(verifier.verify_now(&oversized).unwrap_err(), Reason::TokenTooLarge(DEFAULT_MAX_TOKEN_BYTES + 1));
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;
/// The default clock-skew allowance on `exp`, `nbf` and `iat`.
///
/// ```
/// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
/// # use serde_json::json;
/// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
/// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
/// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
/// use auth_core::verify::jwt::DEFAULT_LEEWAY;
/// assert_eq!(DEFAULT_LEEWAY.as_secs(), 60);
/// let verifier = JwtVerifier::builder().key(key).clock(|| 1_000).build()?;
/// // Expired 30 s ago, within the leeway: still accepted; 60 s ago: refused.
/// assert!(verifier.verify_now(&mint(json!({"sub": "alice", "exp": 970}))).is_ok());
/// assert_eq!(verifier.verify_now(&mint(json!({"sub": "alice", "exp": 940}))).unwrap_err(), Reason::Expired);
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;
type RevocationHook = Arc<dyn Fn(&Principal) -> bool + Send + Sync>;

/// The default number of verdicts cached per verifier.
///
/// ```
/// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
/// # use serde_json::json;
/// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
/// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
/// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
/// use auth_core::verify::jwt::{DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_TTL};
/// assert_eq!(DEFAULT_CACHE_CAPACITY, 8192);
/// // The default cache, spelled out.
/// let verifier = JwtVerifier::builder().key(key).verdict_cache(DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_TTL).build()?;
/// assert!(verifier.verify_now(&mint(json!({"sub": "alice", "exp": 4102444800u64}))).is_ok());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const DEFAULT_CACHE_CAPACITY: usize = 8192;
/// The default longest time a verdict is reused.
///
/// ```
/// use std::time::Duration;
/// use auth_core::verify::jwt::DEFAULT_CACHE_TTL;
/// assert_eq!(DEFAULT_CACHE_TTL, Duration::from_secs(60));
/// ```
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);

/// Verifies Bearer JWTs against statically configured keys.
///
/// Cheap to clone (one `Arc`). Built once at start-up:
///
/// ```
/// use auth_core::{Algorithm, JwtKey, JwtVerifier};
///
/// let verifier = JwtVerifier::builder()
///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
///     .issuer("https://id.example.com")
///     .audience("orders-api")
///     .build()?;
/// assert!(verifier.verify_now("not.a.jwt").is_err());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct JwtVerifier {
    inner: Arc<Inner>,
}

enum KeySource {
    Static(Vec<JwtKey>),
    #[cfg(feature = "jwks")]
    Remote(RemoteKeys),
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Static(keys) => f.debug_tuple("Static").field(keys).finish(),
            #[cfg(feature = "jwks")]
            KeySource::Remote(remote) => f.debug_tuple("Remote").field(remote).finish(),
        }
    }
}

struct Inner {
    keys: KeySource,
    cache: Option<VerdictCache>,
    revocations: Option<Box<dyn RevocationStore>>,
    revoked: Option<RevocationHook>,
    rules: ClaimRules,
    /// A layout other than the default, and the top-level members it reads (the default
    /// layout is the borrowed `scope`/`scp`/`roles` fast path of `read_payload`).
    layout: Option<(ClaimLayout, Vec<String>)>,
    require_at_jwt: bool,
    require_kid: bool,
    asymmetric_only: bool,
    max_token_bytes: usize,
    clock: Clock,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("keys", &self.inner.keys)
            .field("rules", &self.inner.rules)
            .field("require_at_jwt", &self.inner.require_at_jwt)
            .field("require_kid", &self.inner.require_kid)
            .field("asymmetric_only", &self.inner.asymmetric_only)
            .field("max_token_bytes", &self.inner.max_token_bytes)
            .field("revocations", &self.inner.revocations.is_some())
            .finish_non_exhaustive()
    }
}

/// Configures a [`JwtVerifier`].
///
/// ```
/// use auth_core::{Algorithm, ConfigError, JwtKey, JwtVerifier};
///
/// // A verifier needs at least one key.
/// assert_eq!(JwtVerifier::builder().build().unwrap_err(), ConfigError::NoKeys);
/// let verifier = JwtVerifier::builder()
///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
///     .audience("orders-api")
///     .build()?;
/// assert!(verifier.verify_now("not.a.jwt").is_err());
/// # Ok::<(), ConfigError>(())
/// ```
pub struct JwtVerifierBuilder {
    keys: Vec<JwtKey>,
    #[cfg(feature = "jwks")]
    key_set: Option<KeySet>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: Duration,
    require_exp: bool,
    require_at_jwt: bool,
    rfc9068_profile: bool,
    require_kid: bool,
    asymmetric_only: bool,
    scope_claim: Option<String>,
    layout: Option<ClaimLayout>,
    max_token_bytes: usize,
    clock: Option<Clock>,
    cache: (usize, Duration),
    revocations: Option<Box<dyn RevocationStore>>,
    revoked: Option<RevocationHook>,
}

impl std::fmt::Debug for JwtVerifierBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifierBuilder")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// Starts a configuration: no key, `exp` required, 60 s leeway, 8 KiB bound.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).build()?;
    /// // `exp` is required by default.
    /// assert_eq!(verifier.verify_now(&mint(json!({"sub": "alice"}))).unwrap_err(), Reason::InvalidClaim("exp"));
    /// assert!(verifier.verify_now(&mint(json!({"sub": "alice", "exp": 4102444800u64}))).is_ok());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn builder() -> JwtVerifierBuilder {
        JwtVerifierBuilder {
            keys: Vec::new(),
            #[cfg(feature = "jwks")]
            key_set: None,
            issuer: None,
            audience: None,
            leeway: DEFAULT_LEEWAY,
            require_exp: true,
            require_at_jwt: false,
            rfc9068_profile: false,
            require_kid: false,
            asymmetric_only: false,
            scope_claim: None,
            layout: None,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            clock: None,
            cache: (DEFAULT_CACHE_CAPACITY, DEFAULT_CACHE_TTL),
            revocations: None,
            revoked: None,
        }
    }

    /// Verifies a token and returns its principal, or the internal reason of the refusal
    /// ([`Reason::Expired`] is the one a client is told apart). With a [`KeySet`] (feature
    /// `jwks`), a `kid` missing from the current keys waits for the (shared, rate-limited) refetch first, as
    /// `#[require_auth]` does: the one entry point that decides as the framework does. A
    /// sender-constrained token (`cnf`) is refused here: without the request, its binding
    /// cannot be checked.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).build()?;
    /// let token = mint(json!({"sub": "alice", "scope": "orders:read", "exp": 4102444800u64}));
    /// let principal = actix_web::rt::System::new().block_on(verifier.verify(&token)).unwrap();
    /// assert_eq!(principal.subject(), Some("alice"));
    /// assert!(principal.has_scope("orders:read"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub async fn verify(&self, token: &str) -> Result<Principal, Reason> {
        let verified = match self.start(token) {
            Verdict::Ready(result) | Verdict::Cached(result) => result,
            #[cfg(feature = "jwks")]
            Verdict::Refetch(receiver, bound) => {
                wait_for_attempt(receiver, bound).await;
                self.finish(token)
            }
        };
        unbound(verified)
    }

    /// Verifies a token with the keys there are now, never waiting. Exactly
    /// [`JwtVerifier::verify`] with static keys; with a [`KeySet`] (feature `jwks`) a token
    /// whose `kid` is not in the current keys is refused at once (a refetch is requested in the background), so
    /// during a key rotation this refuses tokens `verify` accepts. For tests and synchronous
    /// tools with static keys.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).build()?;
    /// let token = mint(json!({"sub": "alice", "scope": "orders:read", "exp": 4102444800u64}));
    /// assert_eq!(verifier.verify_now(&token).unwrap().subject(), Some("alice"));
    /// assert_eq!(verifier.verify_now(&mint(json!({"sub": "alice", "exp": 1}))).unwrap_err(), Reason::Expired);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn verify_now(&self, token: &str) -> Result<Principal, Reason> {
        let verified = match self.start(token) {
            Verdict::Ready(result) | Verdict::Cached(result) => result,
            #[cfg(feature = "jwks")]
            Verdict::Refetch(..) => self.finish(token),
        };
        unbound(verified)
    }

    /// How many times the key set was fetched (0 with static keys).
    ///
    /// ```
    /// use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// let verifier = JwtVerifier::builder()
    ///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
    ///     .build()?;
    /// assert_eq!(verifier.key_set_fetches(), 0); // static keys are never fetched
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn key_set_fetches(&self) -> u64 {
        match &self.inner.keys {
            KeySource::Static(_) => 0,
            #[cfg(feature = "jwks")]
            KeySource::Remote(remote) => remote.fetch_count(),
        }
    }

    /// Decides at once (from the verdict cache when the same token was seen), or asks to wait
    /// for a refetch of the key set.
    fn start(&self, token: &str) -> Verdict {
        if token.len() > self.inner.max_token_bytes {
            return Verdict::Ready(Err(Reason::TokenTooLarge(token.len())));
        }
        match &self.inner.keys {
            KeySource::Static(keys) => self.decide(token, 0, |_| Ok(keys)),
            #[cfg(feature = "jwks")]
            KeySource::Remote(remote) => {
                let snapshot = remote.snapshot();
                let generation = snapshot.as_ref().map_or(0, |s| s.generation);
                self.decide(token, generation, |parsed| match &snapshot {
                    Some(s) if parsed.kid.is_none() || has_candidate(parsed, &s.keys) => {
                        Ok(&s.keys)
                    }
                    _ => match remote.demand() {
                        Demand::Wait(receiver, bound) => Err(Verdict::Refetch(receiver, bound)),
                        Demand::No => match &snapshot {
                            Some(s) => Ok(&s.keys),
                            None => Err(Verdict::Ready(Err(Reason::Unavailable))),
                        },
                    },
                })
            }
        }
    }

    /// The verdict cache for keys of this `generation`, else parse, the keys `choose` picks for
    /// the token (or its verdict, when there are none to decide with now), and check.
    fn decide<'k>(
        &self,
        token: &str,
        generation: u64,
        choose: impl FnOnce(&Parsed<'_>) -> Result<&'k [JwtKey], Verdict>,
    ) -> Verdict {
        let inner = &*self.inner;
        let now = (inner.clock)();
        if let Some(cache) = inner.cache.as_ref() {
            let hit = cache.get(token.as_bytes(), now, generation);
            crate::metrics::verdict_cache(hit.is_some());
            if let Some(hit) = hit {
                return Verdict::Cached(self.revocation(hit, now));
            }
        }
        let parsed = match self.parse(token) {
            Ok(parsed) => parsed,
            Err(reason) => {
                return Verdict::Ready(self.remember(token, Err(reason), now, generation));
            }
        };
        let keys = match choose(&parsed) {
            Ok(keys) => keys,
            Err(verdict) => return verdict,
        };
        let verdict = self.check(&parsed, keys, now);
        Verdict::Ready(self.remember(token, verdict, now, generation))
    }

    /// The cached verdict for exactly these bytes, if any (revocation applied). Only tokens that
    /// passed the `b64token` syntax were ever cached, so a hit needs no syntax check: the guard
    /// tries this before parsing the header.
    pub(crate) fn cached_verdict(&self, token: &[u8]) -> Option<Result<Principal, Reason>> {
        let inner = &*self.inner;
        let cache = inner.cache.as_ref()?;
        if token.len() > inner.max_token_bytes {
            return None;
        }
        let generation = match &inner.keys {
            KeySource::Static(_) => 0,
            #[cfg(feature = "jwks")]
            KeySource::Remote(remote) => remote.snapshot()?.generation,
        };
        let now = (inner.clock)();
        cache
            .get(token, now, generation)
            .map(|hit| self.revocation(hit, now))
    }

    /// Decides with the keys there are now (after waiting for a refetch).
    #[cfg(feature = "jwks")]
    fn finish(&self, token: &str) -> Result<Principal, Reason> {
        let now = (self.inner.clock)();
        let parsed = self.parse(token)?;
        match &self.inner.keys {
            KeySource::Static(keys) => {
                let verdict = self.check(&parsed, keys, now);
                self.remember(token, verdict, now, 0)
            }
            KeySource::Remote(remote) => match remote.snapshot() {
                Some(snapshot) => {
                    let verdict = self.check(&parsed, &snapshot.keys, now);
                    self.remember(token, verdict, now, snapshot.generation)
                }
                None => Err(Reason::Unavailable),
            },
        }
    }

    /// Caches a fresh verdict, then applies revocation (never cached: it runs on every
    /// request).
    fn remember(
        &self,
        token: &str,
        verdict: Result<Principal, Reason>,
        now: u64,
        generation: u64,
    ) -> Result<Principal, Reason> {
        if let Some(cache) = &self.inner.cache {
            let expires = verdict
                .as_ref()
                .ok()
                .and_then(Principal::dies_at)
                .map(|at| at.ceil().max(0.0) as u64);
            cache.put(token.as_bytes(), &verdict, expires, now, generation);
        }
        self.revocation(verdict, now)
    }

    /// The one check point of revocation, after verification and on every cache hit: the
    /// store's local view (a lookup; nothing when no store is configured), then the hook.
    fn revocation(
        &self,
        verdict: Result<Principal, Reason>,
        now: u64,
    ) -> Result<Principal, Reason> {
        let inner = &*self.inner;
        let principal = verdict?;
        if let Some(store) = &inner.revocations {
            let ids = principal.token_ids();
            let token = TokenIdentity {
                issuer: ids.and_then(|i| i.issuer.as_deref()),
                jti: ids.and_then(|i| i.jti.as_deref()),
                subject: principal.subject(),
                issued_at: ids.and_then(|i| i.issued_at),
            };
            match store.check(&token, at_unix(now)) {
                RevocationCheck::Live => {}
                RevocationCheck::Revoked => return Err(Reason::Revoked),
                RevocationCheck::Stale => return Err(Reason::RevocationStale),
            }
        }
        match &inner.revoked {
            Some(revoked) if revoked(&principal) => Err(Reason::Revoked),
            _ => Ok(principal),
        }
    }

    /// Everything that needs no key: size, shape, header.
    fn parse<'t>(&self, token: &'t str) -> Result<Parsed<'t>, Reason> {
        let inner = &*self.inner;
        if token.len() > inner.max_token_bytes {
            return Err(Reason::TokenTooLarge(token.len()));
        }
        let mut parts = token.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Reason::MalformedToken("not three dot-separated parts"));
        };
        // base64url without padding (RFC 7515 §2), by table lookup (this runs on every miss).
        static B64URL: [bool; 256] = {
            let mut table = [false; 256];
            let mut b = 0;
            while b < 256 {
                let c = b as u8;
                table[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
                b += 1;
            }
            table
        };
        let is_b64url = |s: &str| !s.is_empty() && s.bytes().all(|b| B64URL[usize::from(b)]);
        if !(is_b64url(header_b64) && is_b64url(payload_b64) && is_b64url(signature_b64)) {
            return Err(Reason::MalformedToken("a part is empty or not base64url"));
        }
        let header_json = URL_SAFE_NO_PAD
            .decode(header_b64)
            .map_err(|_| Reason::MalformedToken("header is not base64url"))?;
        let header: JoseHeader<'_> =
            serde_json::from_slice(&header_json).map_err(|_| Reason::MalformedToken("header"))?;
        if header.crit {
            return Err(Reason::CriticalHeader);
        }
        let alg = algorithm_from_header(&header.alg).ok_or(Reason::AlgorithmNotAllowed)?;
        // No HMAC key can be configured then; refusing here too keeps it so whatever the keys.
        if inner.asymmetric_only && alg.family() == AlgorithmFamily::Hmac {
            return Err(Reason::AlgorithmNotAllowed);
        }
        if inner.require_at_jwt && !header.typ.as_deref().is_some_and(is_at_jwt) {
            return Err(Reason::WrongType);
        }
        if inner.require_kid && header.kid.as_deref().is_none_or(str::is_empty) {
            return Err(Reason::MalformedToken("no kid in the header"));
        }
        let kid = header.kid.map(Cow::into_owned);
        Ok(Parsed {
            alg,
            kid,
            message: &token[..header_b64.len() + 1 + payload_b64.len()],
            payload: payload_b64,
            signature: signature_b64,
        })
    }

    /// Signature with the candidate keys, then claims.
    fn check(&self, parsed: &Parsed<'_>, keys: &[JwtKey], now: u64) -> Result<Principal, Reason> {
        let inner = &*self.inner;
        if !keys.iter().any(|k| k.alg == parsed.alg) {
            return Err(Reason::AlgorithmNotAllowed);
        }
        let mut tried = false;
        let verified = keys.iter().filter(|k| is_candidate(parsed, k)).any(|k| {
            tried = true;
            // An error here (a signature that is not base64url, a key the backend refuses) is
            // a failed verification like any other.
            k.verifies(parsed.alg, parsed.message.as_bytes(), parsed.signature)
        });
        if !tried {
            return Err(Reason::UnknownKey);
        }
        if !verified {
            return Err(Reason::BadSignature);
        }
        let payload = URL_SAFE_NO_PAD
            .decode(parsed.payload)
            .map_err(|_| Reason::MalformedToken("payload is not base64url"))?;
        let capture = inner.layout.as_ref().map(|(_, names)| names.as_slice());
        let mut registered =
            read_payload_for(&payload, inner.rules.scope_claim.as_deref(), capture)?;
        let checked = inner.rules.check(&registered, now)?;
        let (subject, scopes, roles) = match &inner.layout {
            None => (checked.subject, checked.scopes, checked.roles),
            Some((layout, _)) => {
                let captured: serde_json::Map<String, serde_json::Value> = registered
                    .captured
                    .drain(..)
                    .map(|(name, value)| (name.into_owned(), value))
                    .collect();
                let read = layout.read(&captured)?;
                (read.subject, read.scopes, read.roles)
            }
        };
        let binding = read_sender_binding(&registered.cnf)?;
        // Read once here, so the check on every cache hit is a lookup (only with a store).
        let token_ids = inner.revocations.as_ref().map(|_| {
            let (issuer, jti, issued_at) = registered.revocation_ids();
            TokenIds {
                issuer: issuer.map(Box::from),
                jti: jti.map(Box::from),
                issued_at,
            }
        });
        drop(registered);
        Ok(Principal::from_verified_jwt(
            subject,
            scopes,
            roles,
            payload,
            checked.dies_at,
            token_ids,
            binding,
        ))
    }
}

/// The standalone entry points (`verify`, `verify_now`) have no request to check a binding
/// against, so a sender-constrained token is refused there: it is never a bearer token. (The
/// guard, through [`BearerVerifier`], gets it and checks its binding against the request.)
fn unbound(verified: Result<Principal, Reason>) -> Result<Principal, Reason> {
    match verified {
        Ok(principal) if principal.binding().is_some() => Err(Reason::UnverifiableBinding(
            "a sender-constrained token (cnf) verified without its request",
        )),
        other => other,
    }
}

/// A token whose header parsed, before any key is chosen.
struct Parsed<'t> {
    alg: Algorithm,
    kid: Option<String>,
    message: &'t str,
    payload: &'t str,
    signature: &'t str,
}

/// A key may verify the token: same algorithm, and the token's `kid` when both name one.
fn is_candidate(parsed: &Parsed<'_>, key: &JwtKey) -> bool {
    key.alg == parsed.alg
        && (parsed.kid.is_none()
            || key.kid.is_none()
            || key.kid.as_deref() == parsed.kid.as_deref())
}

#[cfg(feature = "jwks")]
fn has_candidate(parsed: &Parsed<'_>, keys: &[JwtKey]) -> bool {
    keys.iter().any(|k| is_candidate(parsed, k))
}

impl BearerVerifier for JwtVerifier {
    fn verify_token(&self, token: &str) -> BearerVerdict {
        match self.start(token) {
            Verdict::Ready(result) => BearerVerdict::Ready(result),
            Verdict::Cached(result) => BearerVerdict::Repeated(result),
            #[cfg(feature = "jwks")]
            Verdict::Refetch(receiver, bound) => {
                // The token names a key the set lacks: wait for the (shared, rate-limited)
                // refetch, then decide with the keys there are.
                let (verifier, token) = (self.clone(), token.to_owned());
                BearerVerdict::Later(Box::pin(async move {
                    wait_for_attempt(receiver, bound).await;
                    verifier.finish(&token)
                }))
            }
        }
    }

    fn cached(&self, token: &[u8]) -> Option<Result<Principal, Reason>> {
        self.cached_verdict(token)
    }
}

/// What [`JwtVerifier::start`] decided.
enum Verdict {
    Ready(Result<Principal, Reason>),
    /// Answered from the verdict cache (the same token was decided before).
    Cached(Result<Principal, Reason>),
    /// The key is not in the current set: wait for this fetch attempt, then [`JwtVerifier::finish`].
    #[cfg(feature = "jwks")]
    Refetch(tokio::sync::watch::Receiver<u64>, Duration),
}

/// RFC 9068 §2.1: `typ` is `at+jwt`; media types compare case-insensitively and may carry the
/// `application/` prefix (RFC 7515 §4.1.9).
fn is_at_jwt(typ: &str) -> bool {
    typ.strip_prefix("application/")
        .unwrap_or(typ)
        .eq_ignore_ascii_case("at+jwt")
}

/// `secs` since the Unix epoch as a `SystemTime` (the latest one when out of range).
fn at_unix(secs: u64) -> SystemTime {
    UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .unwrap_or_else(|| UNIX_EPOCH + Duration::from_secs(i64::MAX as u64 / 2))
}

fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl JwtVerifierBuilder {
    /// Adds a key. Its algorithm becomes an allowed algorithm; nothing else does.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).build()?;
    /// assert!(verifier.verify_now(&mint(json!({"exp": 4102444800u64}))).is_ok());
    /// // HS384 is the algorithm of no configured key.
    /// let hs384 = auth_core::testing::Minter::hmac(Algorithm::HS384, SECRET).sign(&json!({"exp": 4102444800u64}));
    /// assert_eq!(verifier.verify_now(&hs384).unwrap_err(), Reason::AlgorithmNotAllowed);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn key(mut self, key: JwtKey) -> Self {
        self.keys.push(key);
        self
    }

    /// Takes the keys from an identity provider's key set (JWKS URL or OpenID discovery)
    /// instead of static keys. A background thread fetches it at once and keeps it fresh.
    /// Requires the feature `jwks` (on by default).
    ///
    /// ```
    /// use auth_core::{Algorithm, ConfigError, JwtKey, JwtVerifier, KeySet};
    /// // Static keys or a key set, not both (refused before anything is fetched).
    /// let both = JwtVerifier::builder()
    ///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
    ///     .key_set(KeySet::jwks("https://id.example.com/jwks.json"))
    ///     .build();
    /// assert!(matches!(both, Err(ConfigError::InvalidSetting { what: "keys", .. })));
    /// # Ok::<(), ConfigError>(())
    /// ```
    #[cfg(feature = "jwks")]
    pub fn key_set(mut self, key_set: KeySet) -> Self {
        self.key_set = Some(key_set);
        self
    }

    /// Requires `iss` to equal `issuer` exactly; a token without `iss` is refused.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).issuer("https://id.example.com").build()?;
    /// assert!(verifier.verify_now(&mint(json!({"iss": "https://id.example.com", "exp": 4102444800u64}))).is_ok());
    /// let forged = mint(json!({"iss": "https://evil.example", "exp": 4102444800u64}));
    /// assert_eq!(verifier.verify_now(&forged).unwrap_err(), Reason::WrongIssuer);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Requires `aud` (a string or an array) to contain `audience`; a token without `aud` is
    /// refused.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).audience("orders-api").build()?;
    /// assert!(verifier.verify_now(&mint(json!({"aud": ["billing", "orders-api"], "exp": 4102444800u64}))).is_ok());
    /// let other = mint(json!({"aud": "billing", "exp": 4102444800u64}));
    /// assert_eq!(verifier.verify_now(&other).unwrap_err(), Reason::WrongAudience);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = Some(audience.into());
        self
    }

    /// Clock-skew allowance for `exp`, `nbf` and `iat` (default 60 s): a token is refused at or
    /// after `exp + leeway`, before `nbf - leeway`, and before `iat - leeway` (issued in the
    /// future).
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// use std::time::Duration;
    /// let verifier = JwtVerifier::builder().key(key).leeway(Duration::from_secs(10)).clock(|| 1_000).build()?;
    /// assert!(verifier.verify_now(&mint(json!({"exp": 995}))).is_ok());
    /// assert_eq!(verifier.verify_now(&mint(json!({"exp": 990}))).unwrap_err(), Reason::Expired);
    /// // Issued 10 s from now: within the leeway; 11 s: refused.
    /// assert!(verifier.verify_now(&mint(json!({"exp": 2_000, "iat": 1_010}))).is_ok());
    /// assert_eq!(verifier.verify_now(&mint(json!({"exp": 2_000, "iat": 1_011}))).unwrap_err(), Reason::IssuedInFuture);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Whether `exp` is required (default `true`; turning it off accepts tokens that never
    /// expire, which RFC 9068 forbids for access tokens).
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).require_exp(false).build()?;
    /// assert!(verifier.verify_now(&mint(json!({"sub": "a-service"}))).is_ok());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn require_exp(mut self, required: bool) -> Self {
        self.require_exp = required;
        self
    }

    /// Requires the header's `typ` to be `at+jwt` (RFC 9068 access tokens), so an ID token or
    /// another JWT signed by the same issuer cannot be replayed as an access token.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).require_at_jwt_type(true).build()?;
    /// let claims = json!({"sub": "alice", "exp": 4102444800u64});
    /// let access = auth_core::testing::Minter::hmac(Algorithm::HS256, SECRET).typ("at+jwt").sign(&claims);
    /// assert!(verifier.verify_now(&access).is_ok());
    /// assert_eq!(verifier.verify_now(&mint(claims)).unwrap_err(), Reason::WrongType); // `typ` is "JWT"
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn require_at_jwt_type(mut self, required: bool) -> Self {
        self.require_at_jwt = required;
        self
    }

    /// The JWT profile for OAuth 2.0 access tokens (RFC 9068): the header's `typ` must be
    /// `at+jwt` (as [`require_at_jwt_type`](Self::require_at_jwt_type)), and the claims `iss`,
    /// `exp`, `aud`, `sub`, `client_id`, `iat` and `jti` must all be present (RFC 9068 §2.2),
    /// `client_id` and `jti` as non-empty strings. The values of `iss` and `aud` are checked by
    /// [`issuer`](Self::issuer) and [`audience`](Self::audience), which RFC 9068 §4 requires a
    /// resource server to configure: `build` refuses the profile without both.
    ///
    /// Not the default: many identity providers still mint access tokens as plain `JWT`s
    /// without `client_id` or `jti` (and some without `sub` for client-credentials tokens);
    /// requiring the profile everywhere would refuse their tokens.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// let no_issuer = JwtVerifier::builder().key(key.clone()).audience("orders-api").rfc9068_profile();
    /// assert!(no_issuer.build().is_err(), "RFC 9068 §4: iss and aud are checked");
    /// let verifier = JwtVerifier::builder().key(key)
    ///     .issuer("https://id.example.com").audience("orders-api").rfc9068_profile().build()?;
    /// let claims = json!({"iss": "https://id.example.com", "exp": 4102444800u64, "aud": "orders-api",
    ///     "sub": "alice", "client_id": "web", "iat": 1_700_000_000, "jti": "t-1"});
    /// let at_jwt = auth_core::testing::Minter::hmac(Algorithm::HS256, SECRET).typ("at+jwt");
    /// assert!(verifier.verify_now(&at_jwt.sign(&claims)).is_ok());
    /// let mut no_jti = claims.clone();
    /// no_jti.as_object_mut().unwrap().remove("jti");
    /// assert_eq!(verifier.verify_now(&at_jwt.sign(&no_jti)).unwrap_err(), Reason::InvalidClaim("jti"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn rfc9068_profile(mut self) -> Self {
        self.rfc9068_profile = true;
        self
    }

    /// Refuses a token whose header has no `kid` (or an empty one), so a key is always chosen
    /// by name, never by trying every key of the algorithm.
    ///
    /// Not the default: with one key per algorithm the `kid` selects nothing, and many
    /// single-key issuers and HMAC setups omit it; a key set whose keys all carry a `kid` is
    /// where this pays.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// let verifier = JwtVerifier::builder().key(key.with_kid("k1")).require_kid().build()?;
    /// let claims = json!({"sub": "alice", "exp": 4102444800u64});
    /// let minter = auth_core::testing::Minter::hmac(Algorithm::HS256, SECRET);
    /// let unnamed = minter.sign(&claims);
    /// assert!(matches!(verifier.verify_now(&unnamed).unwrap_err(), Reason::MalformedToken(_)));
    /// let named = minter.kid(Some("k1")).sign(&claims);
    /// assert!(verifier.verify_now(&named).is_ok());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn require_kid(mut self) -> Self {
        self.require_kid = true;
        self
    }

    /// Accepts only asymmetric algorithms (RSA, EC, EdDSA): [`build`](Self::build) fails if an
    /// HMAC key is configured, and `HS*` tokens are refused. A resource server that can verify a
    /// token with a shared secret could also mint one; with public keys only, a leak of this
    /// service's configuration forges nothing (RFC 8725 §3.2, §3.5).
    ///
    /// Not the default: an HMAC secret shared by the issuer and this service is a legitimate,
    /// common setup (first-party tokens, one trust domain), and it is refused only on request.
    ///
    /// ```
    /// use auth_core::{Algorithm, ConfigError, JwtKey, JwtVerifier};
    /// let hmac = JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?;
    /// let built = JwtVerifier::builder().key(hmac).asymmetric_only().build();
    /// assert!(matches!(built, Err(ConfigError::InvalidSetting { what: "keys", .. })));
    /// // The Ed25519 public key of RFC 8410 §10.1.
    /// let pem = b"-----BEGIN PUBLIC KEY-----
    /// MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
    /// -----END PUBLIC KEY-----";
    /// let ed = JwtKey::from_pem(Algorithm::EdDSA, pem)?;
    /// assert!(JwtVerifier::builder().key(ed).asymmetric_only().build().is_ok());
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn asymmetric_only(mut self) -> Self {
        self.asymmetric_only = true;
        self
    }

    /// Reads scopes from this claim only (a space-delimited string or an array of strings).
    /// Default: `scope`, and `scp` when `scope` is absent.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).scope_claim("permissions").build()?;
    /// let token = mint(json!({"permissions": ["orders:read"], "scope": "admin", "exp": 4102444800u64}));
    /// let principal = verifier.verify_now(&token).unwrap();
    /// assert!(principal.has_scope("orders:read") && !principal.has_scope("admin"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn scope_claim(mut self, name: impl Into<String>) -> Self {
        self.scope_claim = Some(name.into());
        self
    }

    /// Where the subject, scopes and roles come from: a [`ClaimLayout`] preset (Keycloak,
    /// Entra ID, Auth0, Okta, Google) or one of your own. Default: [`ClaimLayout::default`]
    /// (`scope` else `scp`, `roles`, `sub`). A [`scope_claim`](Self::scope_claim) given too
    /// replaces the layout's scope sources.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// # use serde_json::json;
    /// use auth_core::claim_layout::ClaimLayout;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder()
    ///     .key(key)
    ///     .claims(ClaimLayout::keycloak().keycloak_client("orders-api"))
    ///     .build()?;
    /// let token = mint(json!({
    ///     "sub": "alice", "exp": 4102444800u64, "scope": "orders:read",
    ///     "realm_access": {"roles": ["staff"]},
    ///     "resource_access": {"orders-api": {"roles": ["refunds"]}, "billing": {"roles": ["admin"]}},
    /// }));
    /// let principal = verifier.verify_now(&token).unwrap();
    /// assert_eq!(principal.roles(), ["staff", "refunds"]);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn claims(mut self, layout: ClaimLayout) -> Self {
        self.layout = Some(layout);
        self
    }

    /// Refuses tokens longer than `bytes` before decoding them (default 8 KiB).
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let verifier = JwtVerifier::builder().key(key).max_token_bytes(64).build()?;
    /// let token = mint(json!({"sub": "alice", "exp": 4102444800u64}));
    /// assert!(token.len() > 64);
    /// assert_eq!(verifier.verify_now(&token).unwrap_err(), Reason::TokenTooLarge(token.len()));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn max_token_bytes(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// The verdict cache: at most `capacity` tokens (0 turns it off), each reused at most `ttl`
    /// and never past its `exp` + leeway. Default: 8 192 tokens, 60 s.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// use std::time::Duration;
    /// let verifier = JwtVerifier::builder().key(key.clone()).verdict_cache(1024, Duration::from_secs(30)).build()?;
    /// let token = mint(json!({"sub": "alice", "exp": 4102444800u64}));
    /// // The second answer comes from the cache, and is the same.
    /// assert_eq!(verifier.verify_now(&token).unwrap().subject(), Some("alice"));
    /// assert_eq!(verifier.verify_now(&token).unwrap().subject(), Some("alice"));
    /// // A capacity of 0 turns the cache off.
    /// assert!(JwtVerifier::builder().key(key).verdict_cache(0, Duration::ZERO).build().is_ok());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn verdict_cache(mut self, capacity: usize, ttl: Duration) -> Self {
        self.cache = (capacity, ttl);
        self
    }

    /// A revocation check run on every request, after verification and after a cache hit alike:
    /// `true` refuses the token (401 `invalid_token`). It runs after the
    /// [`revocations`](Self::revocations) store, at the same check point.
    ///
    /// A store is the way forward: it revokes by `jti` and by subject cut-off, takes writes,
    /// can be shared by every instance, and answers from a local view by a hash lookup, where
    /// a hook is an opaque function of the principal (reading a claim through it parses the
    /// token's claims on every verification that is not a cache hit).
    ///
    /// ```
    /// use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// let verifier = JwtVerifier::builder()
    ///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
    ///     .revocation(|principal| principal.claim("jti").and_then(|j| j.as_str()) == Some("revoked-id"))
    ///     .build()?;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn revocation(
        mut self,
        revoked: impl Fn(&Principal) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.revoked = Some(Arc::new(revoked));
        self
    }

    /// Checks every token against `store` ([`verify::revocation`](super::revocation)): after
    /// the signature and the claims, and on every hit of the verdict cache, so a token revoked
    /// after it was cached is refused from the next request on. A revoked token is refused
    /// with 401 `invalid_token` ([`Reason::Revoked`]); when the store's local view is older
    /// than its bound ([`RevocationCheck::Stale`]), with 503 `temporarily_unavailable` and
    /// `Retry-After` ([`Reason::RevocationStale`]).
    ///
    /// The check is one synchronous read of the store's local view at the verifier's
    /// [`clock`](Self::clock); `iss`, `jti` and `iat` are read once, when the token is
    /// verified. Without a store, no work at all.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &jsonwebtoken::EncodingKey::from_secret(SECRET)).unwrap();
    /// use std::sync::Arc;
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use futures_util::FutureExt as _;
    /// use auth_core::{MemoryRevocations, RevocationStore};
    ///
    /// let revocations = Arc::new(MemoryRevocations::default());
    /// let verifier = JwtVerifier::builder().key(key).revocations(revocations.clone()).build()?;
    /// let exp = 4102444800u64;
    /// let token = mint(json!({"iss": "https://id.example.com", "jti": "t-1", "sub": "alice", "exp": exp}));
    /// for _ in 0..3 {
    ///     assert!(verifier.verify_now(&token).is_ok()); // cached from the second time on
    /// }
    /// let until = UNIX_EPOCH + Duration::from_secs(exp);
    /// revocations.revoke_token(Some("https://id.example.com"), "t-1", until).now_or_never().unwrap().unwrap();
    /// assert_eq!(verifier.verify_now(&token).unwrap_err(), Reason::Revoked);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn revocations(mut self, store: impl RevocationStore) -> Self {
        self.revocations = Some(Box::new(store));
        self
    }

    /// Replaces the clock (seconds since the Unix epoch), for tests of expiry boundaries.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// # use serde_json::json;
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let key = JwtKey::hmac(Algorithm::HS256, SECRET)?;
    /// # let mint = |claims: serde_json::Value| auth_core::testing::Minter::hmac(auth_core::Algorithm::HS256, SECRET).sign(&claims);
    /// let token = mint(json!({"sub": "alice", "exp": 2_000}));
    /// let before = JwtVerifier::builder().key(key.clone()).clock(|| 1_000).build()?;
    /// assert!(before.verify_now(&token).is_ok());
    /// let after = JwtVerifier::builder().key(key).clock(|| 3_000).build()?;
    /// assert_eq!(after.verify_now(&token).unwrap_err(), Reason::Expired);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn clock(mut self, now: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(now));
        self
    }

    /// Checks the configuration and builds the verifier (starting the key-set refresher, which
    /// does not wait for the provider: the service starts even when it is down).
    ///
    /// ```
    /// use auth_core::{Algorithm, ConfigError, JwtKey, JwtVerifier};
    /// let key = JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?;
    /// assert!(JwtVerifier::builder().key(key.clone()).build().is_ok());
    /// let empty_issuer = JwtVerifier::builder().key(key).issuer("").build();
    /// assert!(matches!(empty_issuer, Err(ConfigError::InvalidSetting { what: "issuer", .. })));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn build(self) -> Result<JwtVerifier, ConfigError> {
        let issuer = self.enforced_issuer()?;
        for (what, value) in [("issuer", &issuer), ("audience", &self.audience)] {
            if value.as_deref().is_some_and(str::is_empty) {
                return Err(ConfigError::InvalidSetting {
                    what,
                    detail: "must not be empty".into(),
                });
            }
        }
        if self.rfc9068_profile && (issuer.is_none() || self.audience.is_none()) {
            // RFC 9068 §4: the resource server checks `iss` and `aud`; a profile that only
            // demanded their presence would accept another tenant's tokens.
            return Err(ConfigError::InvalidSetting {
                what: "rfc9068_profile",
                detail: "requires issuer(..) and audience(..) (RFC 9068 §4)".into(),
            });
        }
        if self.asymmetric_only
            && let Some(key) = self
                .keys
                .iter()
                .find(|k| k.alg.family() == AlgorithmFamily::Hmac)
        {
            return Err(ConfigError::InvalidSetting {
                what: "keys",
                detail: format!(
                    "asymmetric_only() refuses HMAC keys, and a {:?} key is configured",
                    key.alg
                ),
            });
        }
        // `scope_claim` on top of a layout replaces the layout's scope sources.
        let layout = match (self.layout, &self.scope_claim) {
            (Some(layout), Some(name)) => Some(layout.with_scopes_only(ClaimPath::member(name))),
            (layout, _) => layout,
        };
        let scope_claim = match layout {
            Some(_) => None,
            None => self.scope_claim.clone(),
        };
        if layout.as_ref().is_some_and(ClaimLayout::has_empty_path) {
            return Err(ConfigError::InvalidSetting {
                what: "claim layout",
                detail: "a claim path has an empty member name".into(),
            });
        }
        let layout = layout.filter(|l| !l.is_default()).map(|l| {
            let names = l.top_level_names();
            (l, names)
        });
        if self.scope_claim.as_deref().is_some_and(str::is_empty) {
            return Err(ConfigError::InvalidSetting {
                what: "scope claim",
                detail: "must not be empty".into(),
            });
        }
        // Whatever features other crates turn on in `jsonwebtoken`, verification runs on
        // aws-lc-rs (the measured choice); installing fails harmlessly if one is installed.
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
        );
        #[cfg(feature = "jwks")]
        let keys = match (self.key_set, self.keys.is_empty()) {
            (None, true) => return Err(ConfigError::NoKeys),
            (None, false) => KeySource::Static(self.keys),
            (Some(set), true) => KeySource::Remote(RemoteKeys::start(set)?),
            (Some(_), false) => {
                return Err(ConfigError::InvalidSetting {
                    what: "keys",
                    detail: "give static keys or a key set, not both".into(),
                });
            }
        };
        #[cfg(not(feature = "jwks"))]
        let keys = match self.keys.is_empty() {
            true => return Err(ConfigError::NoKeys),
            false => KeySource::Static(self.keys),
        };
        Ok(JwtVerifier {
            inner: Arc::new(Inner {
                keys,
                cache: VerdictCache::new(self.cache.0, self.cache.1.as_secs()),
                revocations: self.revocations,
                revoked: self.revoked,
                rules: ClaimRules {
                    issuer,
                    audience: self.audience,
                    leeway: self.leeway.as_secs(),
                    require_exp: self.require_exp || self.rfc9068_profile,
                    require_rfc9068_claims: self.rfc9068_profile,
                    scope_claim,
                },
                layout,
                require_at_jwt: self.require_at_jwt || self.rfc9068_profile,
                require_kid: self.require_kid,
                asymmetric_only: self.asymmetric_only,
                max_token_bytes: self.max_token_bytes,
                clock: self.clock.unwrap_or_else(|| Arc::new(system_clock)),
            }),
        })
    }

    /// The issuer tokens must name: the configured one, or that of a discovery key set (which a
    /// configured one must equal).
    fn enforced_issuer(&self) -> Result<Option<String>, ConfigError> {
        #[cfg(feature = "jwks")]
        if let Some(discovered) = self.key_set.as_ref().and_then(KeySet::discovered_issuer) {
            return match &self.issuer {
                Some(configured) if configured != discovered => Err(ConfigError::InvalidSetting {
                    what: "issuer",
                    detail: "differs from the issuer of the discovery key set".into(),
                }),
                _ => Ok(Some(discovered.to_owned())),
            };
        }
        Ok(self.issuer.clone())
    }
}
