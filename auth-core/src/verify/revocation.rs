//! Revocation of JWTs before they expire: by token id (`iss` + `jti`) until the token's `exp`,
//! and by subject ("sign out everywhere": every token of `iss` + `sub` issued before a cut-off).
//!
//! A [`JwtVerifier`](crate::JwtVerifier) given a store
//! ([`revocations`](crate::JwtVerifierBuilder::revocations)) asks it on every request, after
//! the signature and the claims are verified **and** on every hit of the verdict cache, so a
//! token revoked after it was cached is refused from the next request on: 401
//! `invalid_token`, as any other token that fails a check.
//!
//! **Never by the token's bytes or their hash.** A token is revoked by what its issuer signed
//! into it (`iss`, `jti`, `sub`, `iat`), never by the bytes a client sent: ECDSA signatures
//! are malleable (`(r, s)` and `(r, n − s)` both verify), and so is any encoding a verifier
//! tolerates, so one token has several byte strings that all verify. A deny-list of token
//! hashes would let the holder of a revoked token send another of its spellings.
//!
//! **The seam.** [`RevocationStore::check`] is a synchronous read of a local view — a hash
//! lookup, no network, no allocation — since it runs on the success path of every request.
//! The writes ([`revoke_token`](RevocationStore::revoke_token),
//! [`revoke_subject`](RevocationStore::revoke_subject)) are asynchronous ([`StoreFuture`]): a
//! store shared by several instances (a Redis, in a later release) writes through to its
//! backend and keeps its local view fresh in the background, and its view answers
//! [`RevocationCheck::Stale`] once it is older than the bound the store was configured with.
//! The verifier then refuses with 503 `temporarily_unavailable` and `Retry-After`, as the
//! response contract says: revocation serves its last view up to a bound, then fails closed.
//! Time is wall-clock ([`SystemTime`]), never a process-local `Instant`.
//!
//! [`MemoryRevocations`] is the in-memory store of one process: bounded, always fresh.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::{Duration, SystemTime};
//! use futures_util::FutureExt as _;
//! use auth_core::verify::revocation::{MemoryRevocations, RevocationCheck, RevocationStore, TokenIdentity};
//!
//! let store = Arc::new(MemoryRevocations::new(1_000));
//! let (now, exp) = (SystemTime::now(), SystemTime::now() + Duration::from_secs(3600));
//! let issuer = Some("https://id.example.com");
//! store.revoke_token(issuer, "t-1", exp).now_or_never().unwrap()?;
//! let token = TokenIdentity { issuer, jti: Some("t-1"), subject: Some("alice"), issued_at: None };
//! assert_eq!(store.check(&token, now), RevocationCheck::Revoked);
//! // The same id under another issuer is another token.
//! let other = TokenIdentity { issuer: Some("https://other.example"), ..token };
//! assert_eq!(store.check(&other, now), RevocationCheck::Live);
//! # Ok::<(), auth_core::store::StoreError>(())
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::store::{StoreError, StoreFuture};

/// What a token is revoked by: the claims its issuer signed. Built by the verifier from a
/// verified token (or from its cached principal); `jti` and `iss` are read when they are
/// strings, `iat` when it is a number (rounded down to whole seconds).
///
/// ```
/// use auth_core::verify::revocation::TokenIdentity;
///
/// let token = TokenIdentity {
///     issuer: Some("https://id.example.com"),
///     jti: Some("t-1"),
///     subject: Some("alice"),
///     issued_at: Some(1_700_000_000),
/// };
/// let unnamed = TokenIdentity { jti: None, ..token };
/// assert_eq!(unnamed.subject, Some("alice"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenIdentity<'a> {
    /// `iss`: token ids and subjects are an issuer's, so every revocation is per issuer.
    pub issuer: Option<&'a str>,
    /// `jti`: the token's id.
    pub jti: Option<&'a str>,
    /// `sub`: whose token it is.
    pub subject: Option<&'a str>,
    /// `iat`, in seconds since the Unix epoch.
    pub issued_at: Option<i64>,
}

/// What the local view says of a token.
///
/// ```
/// use auth_core::verify::revocation::RevocationCheck;
///
/// // What the verifier answers for each.
/// let answer = |check| match check {
///     RevocationCheck::Live => "accepted",
///     RevocationCheck::Revoked => "401 invalid_token",
///     RevocationCheck::Stale => "503 temporarily_unavailable",
/// };
/// assert_eq!(answer(RevocationCheck::Stale), "503 temporarily_unavailable");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RevocationCheck {
    /// Not revoked, as far as a view fresh enough can tell.
    Live,
    /// Revoked (by its id, or by its subject's cut-off).
    Revoked,
    /// The local view is older than the store's configured bound (its backend has been
    /// unreachable for too long): the token is refused with 503 `temporarily_unavailable`,
    /// since a revocation made meanwhile may be missing.
    Stale,
}

/// Where revocations live: a synchronous read of a local view on every request, asynchronous
/// writes. See the [module](self) for the contract.
///
/// A store shared by several instances updates its local view synchronously in its writes
/// (before returning the future), so this instance refuses the token at once, and answers
/// [`StoreError`] from the future when the backend did not take the write: the caller then
/// knows the revocation is not in force everywhere, and retries or reports it.
///
/// ```
/// use std::time::SystemTime;
/// use auth_core::store::{StoreError, StoreFuture};
/// use auth_core::verify::revocation::{RevocationCheck, RevocationStore, TokenIdentity};
///
/// /// A store whose backend has been unreachable past its bound.
/// struct Unreachable;
/// impl RevocationStore for Unreachable {
///     fn check(&self, _: &TokenIdentity<'_>, _: SystemTime) -> RevocationCheck {
///         RevocationCheck::Stale
///     }
///     fn revoke_token(&self, _: Option<&str>, _: &str, _: SystemTime) -> StoreFuture<Result<(), StoreError>> {
///         Box::pin(std::future::ready(Err(StoreError::Unavailable("connection refused"))))
///     }
///     fn revoke_subject(&self, _: Option<&str>, _: &str, _: SystemTime) -> StoreFuture<Result<(), StoreError>> {
///         Box::pin(std::future::ready(Err(StoreError::Unavailable("connection refused"))))
///     }
/// }
/// let token = TokenIdentity { issuer: None, jti: Some("t-1"), subject: None, issued_at: None };
/// assert_eq!(Unreachable.check(&token, SystemTime::now()), RevocationCheck::Stale);
/// ```
pub trait RevocationStore: Send + Sync + 'static {
    /// Whether `token` is revoked at `now`, from the local view: no network round trip, and
    /// no allocation on the way to [`RevocationCheck::Live`] (it runs on every request).
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use auth_core::verify::revocation::{MemoryRevocations, RevocationCheck, RevocationStore, TokenIdentity};
    ///
    /// let token = TokenIdentity { issuer: None, jti: Some("t-1"), subject: Some("alice"), issued_at: Some(1_000) };
    /// assert_eq!(MemoryRevocations::default().check(&token, SystemTime::now()), RevocationCheck::Live);
    /// ```
    fn check(&self, token: &TokenIdentity<'_>, now: SystemTime) -> RevocationCheck;

    /// Revokes the token `jti` of `issuer` until `until` (the token's `exp`: it is refused as
    /// expired after that, so the entry may be forgotten then; a store keeps it past `until`
    /// at least as long as the verifier's leeway).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use futures_util::FutureExt as _;
    /// use auth_core::verify::revocation::{MemoryRevocations, RevocationCheck, RevocationStore, TokenIdentity};
    ///
    /// let store = MemoryRevocations::default();
    /// let (now, exp) = (SystemTime::now(), SystemTime::now() + Duration::from_secs(600));
    /// store.revoke_token(Some("https://id.example.com"), "t-1", exp).now_or_never().unwrap()?;
    /// let token = TokenIdentity { issuer: Some("https://id.example.com"), jti: Some("t-1"), subject: None, issued_at: None };
    /// assert_eq!(store.check(&token, now), RevocationCheck::Revoked);
    /// // Long after `exp` (and the leeway) the entry is forgotten: the token is expired anyway.
    /// assert_eq!(store.check(&token, exp + Duration::from_secs(3600)), RevocationCheck::Live);
    /// # Ok::<(), auth_core::store::StoreError>(())
    /// ```
    fn revoke_token(
        &self,
        issuer: Option<&str>,
        jti: &str,
        until: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>>;

    /// Signs `subject` of `issuer` out everywhere: every token of that subject whose `iat` is
    /// before `issued_before` is refused, and so is every token of that subject **without**
    /// `iat` (nothing tells it was issued after the cut-off: fail closed). A token issued at
    /// or after the cut-off is accepted. `iat` is in whole seconds: to accept a token issued
    /// in the very second of the sign-out, give a cut-off of whole seconds.
    ///
    /// A later cut-off replaces an earlier one; an earlier one never moves a later one back.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime, UNIX_EPOCH};
    /// use futures_util::FutureExt as _;
    /// use auth_core::verify::revocation::{MemoryRevocations, RevocationCheck, RevocationStore, TokenIdentity};
    ///
    /// let store = MemoryRevocations::default();
    /// let cut_off = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// store.revoke_subject(None, "alice", cut_off).now_or_never().unwrap()?;
    /// let issued = |at| TokenIdentity { issuer: None, jti: None, subject: Some("alice"), issued_at: at };
    /// let now = cut_off + Duration::from_secs(60);
    /// assert_eq!(store.check(&issued(Some(1_699_999_999)), now), RevocationCheck::Revoked);
    /// assert_eq!(store.check(&issued(Some(1_700_000_000)), now), RevocationCheck::Live);
    /// assert_eq!(store.check(&issued(None), now), RevocationCheck::Revoked, "no iat: fail closed");
    /// # Ok::<(), auth_core::store::StoreError>(())
    /// ```
    fn revoke_subject(
        &self,
        issuer: Option<&str>,
        subject: &str,
        issued_before: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>>;
}

/// A shared store is a store: keep one handle to revoke through, give the verifier another.
///
/// ```
/// use std::sync::Arc;
/// use auth_core::{Algorithm, JwtKey, JwtVerifier};
/// use auth_core::verify::revocation::MemoryRevocations;
///
/// let revocations = Arc::new(MemoryRevocations::default());
/// let verifier = JwtVerifier::builder()
///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
///     .revocations(revocations.clone())
///     .build()?;
/// assert!(revocations.is_empty());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
impl<T: RevocationStore + ?Sized> RevocationStore for Arc<T> {
    fn check(&self, token: &TokenIdentity<'_>, now: SystemTime) -> RevocationCheck {
        (**self).check(token, now)
    }

    fn revoke_token(
        &self,
        issuer: Option<&str>,
        jti: &str,
        until: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        (**self).revoke_token(issuer, jti, until)
    }

    fn revoke_subject(
        &self,
        issuer: Option<&str>,
        subject: &str,
        issued_before: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        (**self).revoke_subject(issuer, subject, issued_before)
    }
}

/// The default number of revocations (token ids and subject cut-offs together) a
/// [`MemoryRevocations`] holds.
///
/// ```
/// use auth_core::verify::revocation::{MemoryRevocations, DEFAULT_REVOCATION_CAPACITY};
/// assert_eq!(DEFAULT_REVOCATION_CAPACITY, 65_536);
/// assert_eq!(MemoryRevocations::default().capacity(), DEFAULT_REVOCATION_CAPACITY);
/// ```
pub const DEFAULT_REVOCATION_CAPACITY: usize = 65_536;

/// How long past a token's `exp` its revocation is kept by default: the verifier's default
/// leeway, during which it still accepts an expired token.
///
/// ```
/// use auth_core::verify::jwt::DEFAULT_LEEWAY;
/// use auth_core::verify::revocation::DEFAULT_EXPIRY_LEEWAY;
/// assert_eq!(DEFAULT_EXPIRY_LEEWAY, DEFAULT_LEEWAY);
/// ```
pub const DEFAULT_EXPIRY_LEEWAY: Duration = Duration::from_secs(60);

/// How long a subject's cut-off is kept by default: a day, longer than access tokens live.
///
/// ```
/// use std::time::Duration;
/// use auth_core::verify::revocation::DEFAULT_SUBJECT_RETENTION;
/// assert_eq!(DEFAULT_SUBJECT_RETENTION, Duration::from_secs(24 * 3600));
/// ```
pub const DEFAULT_SUBJECT_RETENTION: Duration = Duration::from_secs(24 * 3600);

type RandomState = foldhash::quality::RandomState;

/// The revocations of one issuer (`None`: tokens without `iss`).
#[derive(Debug)]
struct IssuerRevocations {
    issuer: Option<Box<str>>,
    /// `jti` → until when the token is refused (its `exp` + the leeway).
    tokens: HashMap<Box<str>, SystemTime, RandomState>,
    /// `sub` → the cut-off: tokens issued before it are refused.
    subjects: HashMap<Box<str>, SystemTime, RandomState>,
}

impl IssuerRevocations {
    fn len(&self) -> usize {
        self.tokens.len() + self.subjects.len()
    }
}

/// The in-memory [`RevocationStore`] of one process: always fresh (never
/// [`RevocationCheck::Stale`]), its writes done before they return (the futures are ready).
///
/// **Bounded.** It holds at most [`capacity`](Self::capacity) revocations, token ids and
/// subject cut-offs together ([`DEFAULT_REVOCATION_CAPACITY`] by default). A token id is
/// forgotten once its token has expired (`until` + [`expiry_leeway`](Self::expiry_leeway)), a
/// cut-off after [`subject_retention`](Self::subject_retention); forgotten entries are dropped
/// when room is needed. When it is full of entries still in force, a write fails with
/// [`StoreError::Full`] and changes nothing: a revocation is never lost silently, nor does it
/// push out another one. Revocations live as long as the process: a restart forgets them (a
/// shared store keeps them).
///
/// A read takes a shared lock and makes one hash lookup per kind; with nothing revoked it
/// takes no lock at all.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use futures_util::FutureExt as _;
/// use auth_core::store::StoreError;
/// use auth_core::verify::revocation::{MemoryRevocations, RevocationStore};
///
/// let store = MemoryRevocations::new(2);
/// let exp = SystemTime::now() + Duration::from_secs(600);
/// store.revoke_token(None, "t-1", exp).now_or_never().unwrap()?;
/// store.revoke_subject(None, "alice", SystemTime::now()).now_or_never().unwrap()?;
/// let full = store.revoke_token(None, "t-2", exp).now_or_never().unwrap();
/// assert_eq!(full, Err(StoreError::Full { capacity: 2 }));
/// assert_eq!(store.len(), 2);
/// # Ok::<(), StoreError>(())
/// ```
#[derive(Debug)]
pub struct MemoryRevocations {
    issuers: RwLock<Vec<IssuerRevocations>>,
    /// Entries held, readable without the lock: a read with none skips the lookup.
    len: AtomicUsize,
    capacity: usize,
    expiry_leeway: Duration,
    subject_retention: Duration,
}

impl Default for MemoryRevocations {
    fn default() -> Self {
        Self::new(DEFAULT_REVOCATION_CAPACITY)
    }
}

impl MemoryRevocations {
    /// A store of at most `capacity` revocations (at least 1).
    ///
    /// ```
    /// use auth_core::verify::revocation::MemoryRevocations;
    /// assert_eq!(MemoryRevocations::new(10_000).capacity(), 10_000);
    /// assert_eq!(MemoryRevocations::new(0).capacity(), 1);
    /// ```
    pub fn new(capacity: usize) -> Self {
        MemoryRevocations {
            issuers: RwLock::new(Vec::new()),
            len: AtomicUsize::new(0),
            capacity: capacity.max(1),
            expiry_leeway: DEFAULT_EXPIRY_LEEWAY,
            subject_retention: DEFAULT_SUBJECT_RETENTION,
        }
    }

    /// How long past `until` a token id stays revoked ([`DEFAULT_EXPIRY_LEEWAY`] by default).
    /// The verifier accepts a token until `exp` + its leeway: keep this at least as long as
    /// the verifier's [`leeway`](crate::JwtVerifierBuilder::leeway).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use futures_util::FutureExt as _;
    /// use auth_core::verify::revocation::{MemoryRevocations, RevocationCheck, RevocationStore, TokenIdentity};
    ///
    /// let store = MemoryRevocations::new(100).expiry_leeway(Duration::from_secs(10));
    /// let exp = SystemTime::now();
    /// store.revoke_token(None, "t-1", exp).now_or_never().unwrap()?;
    /// let token = TokenIdentity { issuer: None, jti: Some("t-1"), subject: None, issued_at: None };
    /// assert_eq!(store.check(&token, exp + Duration::from_secs(9)), RevocationCheck::Revoked);
    /// assert_eq!(store.check(&token, exp + Duration::from_secs(10)), RevocationCheck::Live);
    /// # Ok::<(), auth_core::store::StoreError>(())
    /// ```
    pub fn expiry_leeway(mut self, leeway: Duration) -> Self {
        self.expiry_leeway = leeway;
        self
    }

    /// How long a subject's cut-off is kept ([`DEFAULT_SUBJECT_RETENTION`] by default): at
    /// least the longest lifetime of a token (plus the verifier's leeway), since a token
    /// issued just before the cut-off lives that long. Once it is forgotten, a token of that
    /// subject without `iat` is accepted again.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use futures_util::FutureExt as _;
    /// use auth_core::verify::revocation::{MemoryRevocations, RevocationCheck, RevocationStore, TokenIdentity};
    ///
    /// let store = MemoryRevocations::new(100).subject_retention(Duration::from_secs(3600));
    /// let cut_off = SystemTime::now();
    /// store.revoke_subject(None, "alice", cut_off).now_or_never().unwrap()?;
    /// let token = TokenIdentity { issuer: None, jti: None, subject: Some("alice"), issued_at: None };
    /// assert_eq!(store.check(&token, cut_off + Duration::from_secs(3599)), RevocationCheck::Revoked);
    /// assert_eq!(store.check(&token, cut_off + Duration::from_secs(3600)), RevocationCheck::Live);
    /// # Ok::<(), auth_core::store::StoreError>(())
    /// ```
    pub fn subject_retention(mut self, retention: Duration) -> Self {
        self.subject_retention = retention;
        self
    }

    /// How long past a token's expiry, and past a subject's cut-off, entries are kept (for a
    /// shared store's own expiry of what it holds).
    #[cfg(feature = "redis")]
    pub(crate) fn retention(&self) -> (Duration, Duration) {
        (self.expiry_leeway, self.subject_retention)
    }

    /// The most revocations the store holds.
    ///
    /// ```
    /// use auth_core::verify::revocation::MemoryRevocations;
    /// assert_eq!(MemoryRevocations::new(5).capacity(), 5);
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many revocations are held now (forgotten ones included until room is needed).
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use futures_util::FutureExt as _;
    /// use auth_core::verify::revocation::{MemoryRevocations, RevocationStore};
    ///
    /// let store = MemoryRevocations::default();
    /// store.revoke_subject(None, "alice", SystemTime::now()).now_or_never().unwrap()?;
    /// store.revoke_subject(None, "alice", SystemTime::now()).now_or_never().unwrap()?; // the same subject
    /// assert_eq!(store.len(), 1);
    /// # Ok::<(), auth_core::store::StoreError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Whether nothing is revoked.
    ///
    /// ```
    /// use auth_core::verify::revocation::MemoryRevocations;
    /// assert!(MemoryRevocations::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records one revocation: `subject` picks the table, `at` is the token's `exp` or the
    /// cut-off; a repeated key keeps the later time.
    fn insert(
        &self,
        issuer: Option<&str>,
        key: &str,
        at: SystemTime,
        subject: bool,
    ) -> Result<(), StoreError> {
        // A poisoned lock only means a panic elsewhere mid-update; the tables are plain data.
        let mut issuers = self.issuers.write().unwrap_or_else(|e| e.into_inner());
        let exists = |issuers: &[IssuerRevocations]| {
            issuers
                .iter()
                .find(|i| i.issuer.as_deref() == issuer)
                .is_some_and(|i| {
                    let table = if subject { &i.subjects } else { &i.tokens };
                    table.contains_key(key)
                })
        };
        if !exists(&issuers) && self.len() >= self.capacity {
            self.forget_past(&mut issuers, SystemTime::now());
            if self.len() >= self.capacity {
                return Err(StoreError::Full {
                    capacity: self.capacity,
                });
            }
        }
        let index = match issuers.iter().position(|i| i.issuer.as_deref() == issuer) {
            Some(index) => index,
            None => {
                issuers.push(IssuerRevocations {
                    issuer: issuer.map(Box::from),
                    tokens: HashMap::with_hasher(RandomState::default()),
                    subjects: HashMap::with_hasher(RandomState::default()),
                });
                issuers.len() - 1
            }
        };
        let entry = &mut issuers[index];
        let table = if subject {
            &mut entry.subjects
        } else {
            &mut entry.tokens
        };
        match table.get_mut(key) {
            Some(held) => *held = (*held).max(at),
            None => {
                table.insert(Box::from(key), at);
                self.len.fetch_add(1, Ordering::Release);
            }
        }
        Ok(())
    }

    /// Drops the entries no longer in force at `now`.
    fn forget_past(&self, issuers: &mut Vec<IssuerRevocations>, now: SystemTime) {
        let (leeway, retention) = (self.expiry_leeway, self.subject_retention);
        for entry in issuers.iter_mut() {
            entry
                .tokens
                .retain(|_, until| in_force(*until, leeway, now));
            entry
                .subjects
                .retain(|_, cut_off| in_force(*cut_off, retention, now));
        }
        issuers.retain(|i| i.len() > 0);
        let held = issuers.iter().map(IssuerRevocations::len).sum();
        self.len.store(held, Ordering::Release);
    }
}

/// Whether an entry recorded at `at` and kept `for_` after it still holds at `now`.
fn in_force(at: SystemTime, for_: Duration, now: SystemTime) -> bool {
    at.checked_add(for_).is_none_or(|end| now < end)
}

/// Whether a token issued at `iat` (seconds since the epoch) was issued before `cut_off`.
fn issued_before(iat: i64, cut_off: SystemTime) -> bool {
    match cut_off.duration_since(UNIX_EPOCH) {
        // iat < cut_off, in exact arithmetic: iat seconds against the cut-off's seconds and
        // nanoseconds.
        Ok(since) => {
            let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
            iat < secs || (iat == secs && since.subsec_nanos() > 0)
        }
        // A cut-off before the epoch, -(secs + a fraction): the integers below it are those
        // below -secs, fraction or not.
        Err(before) => {
            let secs = i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX);
            iat < -secs
        }
    }
}

impl RevocationStore for MemoryRevocations {
    fn check(&self, token: &TokenIdentity<'_>, now: SystemTime) -> RevocationCheck {
        if self.len.load(Ordering::Acquire) == 0 {
            return RevocationCheck::Live;
        }
        let issuers = self.issuers.read().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = issuers.iter().find(|i| i.issuer.as_deref() == token.issuer) else {
            return RevocationCheck::Live;
        };
        if let Some(jti) = token.jti
            && let Some(until) = entry.tokens.get(jti)
            && in_force(*until, self.expiry_leeway, now)
        {
            return RevocationCheck::Revoked;
        }
        if let Some(subject) = token.subject
            && let Some(cut_off) = entry.subjects.get(subject)
            && in_force(*cut_off, self.subject_retention, now)
            && token
                .issued_at
                .is_none_or(|iat| issued_before(iat, *cut_off))
        {
            return RevocationCheck::Revoked;
        }
        RevocationCheck::Live
    }

    fn revoke_token(
        &self,
        issuer: Option<&str>,
        jti: &str,
        until: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        Box::pin(std::future::ready(self.insert(issuer, jti, until, false)))
    }

    fn revoke_subject(
        &self,
        issuer: Option<&str>,
        subject: &str,
        issued_before: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        Box::pin(std::future::ready(self.insert(
            issuer,
            subject,
            issued_before,
            true,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt as _;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn done(write: StoreFuture<Result<(), StoreError>>) -> Result<(), StoreError> {
        write.now_or_never().unwrap_or(Err(StoreError::Timeout))
    }

    #[test]
    fn cut_offs_compare_exactly() {
        assert!(issued_before(999, at(1_000)));
        assert!(!issued_before(1_000, at(1_000)));
        assert!(issued_before(1_000, at(1_000) + Duration::from_millis(1)));
        assert!(!issued_before(1_001, at(1_000) + Duration::from_millis(1)));
        let before_epoch = UNIX_EPOCH - Duration::from_millis(1_500);
        assert!(issued_before(-2, before_epoch));
        assert!(!issued_before(-1, before_epoch));
        assert!(issued_before(-1, UNIX_EPOCH));
    }

    #[test]
    fn full_of_entries_in_force_refuses_new_ones_and_drops_forgotten_ones() {
        let store = MemoryRevocations::new(2).expiry_leeway(Duration::ZERO);
        let far = SystemTime::now() + Duration::from_secs(3600);
        assert_eq!(done(store.revoke_token(None, "a", far)), Ok(()));
        assert_eq!(done(store.revoke_token(None, "b", at(1))), Ok(()));
        // Re-revoking a held key needs no room, and keeps the later time.
        assert_eq!(done(store.revoke_token(None, "a", at(5))), Ok(()));
        let a = TokenIdentity {
            issuer: None,
            jti: Some("a"),
            subject: None,
            issued_at: None,
        };
        assert_eq!(store.check(&a, SystemTime::now()), RevocationCheck::Revoked);
        // "b" expired long ago: dropped to make room for "c".
        assert_eq!(done(store.revoke_token(Some("i"), "c", far)), Ok(()));
        assert_eq!(store.len(), 2);
        assert_eq!(
            done(store.revoke_subject(None, "alice", SystemTime::now())),
            Err(StoreError::Full { capacity: 2 })
        );
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn nothing_revoked_takes_no_lock() {
        let store = MemoryRevocations::default();
        let token = TokenIdentity {
            issuer: Some("i"),
            jti: Some("a"),
            subject: Some("s"),
            issued_at: None,
        };
        let guard = store.issuers.write();
        assert_eq!(store.check(&token, at(0)), RevocationCheck::Live);
        drop(guard);
    }
}
