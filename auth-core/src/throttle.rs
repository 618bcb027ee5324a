//! Throttling of failed attempts: after `limit` failures from one client (and, for Basic, for
//! one user-id) within `window`, requests are answered 429 with `Retry-After` until the window
//! has passed.
//!
//! Counted as failures: malformed credentials, invalid tokens, wrong passwords, unknown API
//! keys. Not counted: a request with no credentials (a browser's first request always is), an
//! expired token (a client refreshes it), a missing scope.
//!
//! **Who the client is.** The peer address, canonicalised (`::ffff:192.0.2.1` is `192.0.2.1`),
//! unless it is a trusted proxy ([`FailureThrottle::trust_forwarded_for`]): then the right-most
//! `X-Forwarded-For` element that is not a trusted proxy. IPv6 clients are keyed by their /64
//! ([`FailureThrottle::ipv6_prefix`]), since one host can rotate through its own range. Cookie,
//! query and form-token failures on requests marked `Sec-Fetch-Site: cross-site` are counted
//! under a key of their own ([`ThrottleKey::CrossSite`]): a hostile page cannot lock its
//! visitors out, and a client forging the mark is still throttled.
//!
//! The counters live behind [`AttemptStore`]; the default, [`MemoryAttemptStore`], is bounded
//! in entries and, since every key is fixed-size, in bytes ([`MemoryAttemptStore::max_bytes`]):
//! an attacker spraying addresses or user-ids of any length evicts the oldest entries, never
//! grows memory. The store's read ([`AttemptStore::blocked_for`]) is synchronous because it runs
//! on every protected request: a store shared by several instances answers it from a local view
//! it keeps fresh in the background. Its write ([`AttemptStore::record_failure`]) is
//! asynchronous (a [`StoreFuture`]), so a network store never blocks an actix worker; time is
//! wall-clock ([`SystemTime`]), which instances sharing a store agree on.
//!
//! **When the store fails** (a write answers [`StoreError`]), throttling fails open, as the
//! response contract says: the failure is not counted, requests are decided as if no client
//! were blocked, an error is logged (target `auth`) and counted
//! ([`FailureThrottle::store_errors`]). A throttle that locked everyone out whenever its store
//! was down would turn an outage of the store into one of the service.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use actix_web::HttpRequest;
use futures_util::FutureExt as _;
use sha2::{Digest as _, Sha256};

use crate::store::{StoreError, StoreFuture};

/// A failure being written to a network store: the refusal that counted it awaits it.
pub(crate) type Recording = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// What failures are counted under. Every key is a fixed-size value (`Copy`, no heap): an
/// attacker who sends enormous user-ids or sprays addresses grows neither a key nor the store
/// beyond its capacity in entries, so the store's memory is bounded in bytes
/// ([`MemoryAttemptStore::max_bytes`]).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use futures_util::FutureExt as _;
/// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
///
/// let (now, minute) = (SystemTime::now(), Duration::from_secs(60));
/// let store = MemoryAttemptStore::new(64, minute);
/// store.record_failure(&ThrottleKey::user("ops"), now, 1, minute).now_or_never(); // ready at once
/// assert!(store.blocked_for(&ThrottleKey::user("ops"), now).is_some());
/// assert!(store.blocked_for(&ThrottleKey::Client([192, 0, 2, 1].into()), now).is_none());
/// // A user-id of any length is a 32-byte key.
/// assert_eq!(ThrottleKey::user(&"x".repeat(90_000)), ThrottleKey::user(&"x".repeat(90_000)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A client: its IPv4 address, or its IPv6 address cut to the policy's prefix
    /// ([`FailureThrottle::ipv6_prefix`]).
    Client(IpAddr),
    /// Failures caused by a cookie, query or form token on requests the browser marked
    /// `Sec-Fetch-Site: cross-site` or `same-site`, per client and per origin class. Kept
    /// apart from [`ThrottleKey::Client`] so a page of another site cannot lock its visitors
    /// out, yet bounded like any other key, since any non-browser client can write that
    /// header.
    CrossSite {
        /// The client, as in [`ThrottleKey::Client`].
        client: IpAddr,
        /// `0` for an origin the application does not trust (or none sent), `n` for the n-th
        /// origin trusted by its CSRF defence: a hostile page cannot spend a trusted app's
        /// budget, since a browser never lets a page forge `Origin`.
        origin: u8,
    },
    /// A Basic user-id, by its SHA-256 digest (so guessing one account's password from many
    /// addresses is slowed too). A digest, not the name: fixed-size, and the same on every
    /// instance sharing a store.
    User(UserDigest),
}

impl ThrottleKey {
    /// The key of a user-id.
    ///
    /// ```
    /// use auth_core::ThrottleKey;
    /// assert_eq!(ThrottleKey::user("ops"), ThrottleKey::user("ops"));
    /// assert_ne!(ThrottleKey::user("ops"), ThrottleKey::user("Ops"));
    /// ```
    pub fn user(user_id: &str) -> Self {
        ThrottleKey::User(UserDigest(Sha256::digest(user_id.as_bytes()).into()))
    }
}

/// The SHA-256 digest of a user-id. Its `Display` (for logs) shows the first 8 bytes in hex.
///
/// ```
/// use auth_core::ThrottleKey;
/// let ThrottleKey::User(digest) = ThrottleKey::user("ops") else { unreachable!() };
/// assert_eq!(digest.to_string().len(), 16);
/// assert_eq!(digest.as_bytes().len(), 32);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserDigest([u8; 32]);

impl UserDigest {
    /// The digest's bytes.
    ///
    /// ```
    /// use auth_core::ThrottleKey;
    /// let ThrottleKey::User(digest) = ThrottleKey::user("") else { unreachable!() };
    /// assert_eq!(digest.as_bytes()[..4], [0xe3, 0xb0, 0xc4, 0x42]); // SHA-256 of ""
    /// ```
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A digest as a store read it back (its bytes, as [`as_bytes`](Self::as_bytes) gave).
    #[cfg(feature = "redis")]
    pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
        UserDigest(bytes)
    }
}

impl std::fmt::Display for UserDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0[..8].iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Where failure counters live: a synchronous read of the local view on the request path, and
/// an asynchronous write on failures.
///
/// A store shared by several instances (a Redis) answers [`blocked_for`](Self::blocked_for)
/// from a local view it keeps fresh in the background, and in
/// [`record_failure`](Self::record_failure) updates that view synchronously (before returning
/// its future), so this instance throttles the client at once while the round trip runs. When
/// the write fails it answers [`StoreError`]; the throttle then fails open (the module's docs).
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use futures_util::FutureExt as _;
/// use auth_core::store::{StoreError, StoreFuture};
/// use auth_core::{AttemptStore, FailureThrottle, ThrottleKey};
///
/// // A store that counts nothing and blocks nobody.
/// struct Open;
/// impl AttemptStore for Open {
///     fn blocked_for(&self, _: &ThrottleKey, _: SystemTime) -> Option<Duration> { None }
///     fn record_failure(&self, _: &ThrottleKey, _: SystemTime, _: u32, _: Duration)
///         -> StoreFuture<Result<Option<Duration>, StoreError>> {
///         Box::pin(std::future::ready(Ok(None)))
///     }
/// }
/// let key = ThrottleKey::user("ops");
/// let answer = Open.record_failure(&key, SystemTime::now(), 1, Duration::from_secs(60));
/// assert_eq!(answer.now_or_never(), Some(Ok(None)));
/// let throttle = FailureThrottle::per_minute(1).store(Open);
/// assert_eq!(throttle.limit(), 1);
/// ```
pub trait AttemptStore: Send + Sync + 'static {
    /// How long `key` is still blocked at `now`, if it is: the local view, read on every
    /// protected request (never a network round trip).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use futures_util::FutureExt as _;
    /// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
    ///
    /// let (t0, minute) = (SystemTime::now(), Duration::from_secs(60));
    /// let store = MemoryAttemptStore::new(64, minute);
    /// let key = ThrottleKey::Client([192, 0, 2, 1].into());
    /// assert_eq!(store.blocked_for(&key, t0), None);
    /// store.record_failure(&key, t0, 1, minute).now_or_never();
    /// assert_eq!(store.blocked_for(&key, t0 + Duration::from_secs(20)), Some(Duration::from_secs(40)));
    /// ```
    fn blocked_for(&self, key: &ThrottleKey, now: SystemTime) -> Option<Duration>;

    /// Counts one failure of `key` at `now`; answers how long `key` is blocked if this failure
    /// reached `limit` within `window`. A network store updates its local view before
    /// returning (so [`blocked_for`](Self::blocked_for) sees the block at once) and completes
    /// the future after its round trip; [`StoreError`] when that fails.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use futures_util::FutureExt as _;
    /// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
    ///
    /// let (now, minute) = (SystemTime::now(), Duration::from_secs(60));
    /// let store = MemoryAttemptStore::new(64, minute);
    /// let key = ThrottleKey::user("ops");
    /// // The in-memory store's answer is ready at once.
    /// assert_eq!(store.record_failure(&key, now, 2, minute).now_or_never(), Some(Ok(None)));
    /// assert_eq!(store.record_failure(&key, now, 2, minute).now_or_never(), Some(Ok(Some(minute))));
    /// ```
    fn record_failure(
        &self,
        key: &ThrottleKey,
        now: SystemTime,
        limit: u32,
        window: Duration,
    ) -> StoreFuture<Result<Option<Duration>, StoreError>>;
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    window_start: SystemTime,
    failures: u32,
    blocked_until: Option<SystemTime>,
}

/// The in-memory [`AttemptStore`]: sharded maps with a fixed total capacity. Its writes are
/// done before [`record_failure`](AttemptStore::record_failure) returns (the future is ready),
/// and never fail: a full shard evicts its oldest entry.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use futures_util::FutureExt as _;
/// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
///
/// let (now, minute) = (SystemTime::now(), Duration::from_secs(60));
/// let store = MemoryAttemptStore::new(16, minute);
/// for i in 0..=255u8 {
///     store.record_failure(&ThrottleKey::Client([10, 0, 0, i].into()), now, 5, minute).now_or_never();
/// }
/// assert!(store.len() <= 16);
/// ```
#[derive(Debug)]
pub struct MemoryAttemptStore {
    shards: Box<[Mutex<HashMap<ThrottleKey, Entry>>]>,
    per_shard: usize,
    window: Duration,
    hasher: RandomState,
}

const SHARDS: usize = 16;

impl MemoryAttemptStore {
    /// A store holding at most `capacity` keys (rounded up to a multiple of 16). `window` is
    /// used to tell stale entries apart when a shard is full.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::{FailureThrottle, MemoryAttemptStore};
    ///
    /// let store = MemoryAttemptStore::new(10_000, Duration::from_secs(60));
    /// assert!(store.is_empty());
    /// let throttle = FailureThrottle::per_minute(10).store(store);
    /// assert_eq!(throttle.limit(), 10);
    /// ```
    pub fn new(capacity: usize, window: Duration) -> Self {
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        MemoryAttemptStore {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard,
            window,
            hasher: RandomState::new(),
        }
    }

    /// How many keys are tracked now.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use futures_util::FutureExt as _;
    /// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
    ///
    /// let (now, minute) = (SystemTime::now(), Duration::from_secs(60));
    /// let store = MemoryAttemptStore::new(64, minute);
    /// store.record_failure(&ThrottleKey::user("ops"), now, 5, minute).now_or_never();
    /// store.record_failure(&ThrottleKey::user("dev"), now, 5, minute).now_or_never();
    /// assert_eq!(store.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |m| m.len()))
            .sum()
    }

    /// Whether no key is tracked.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use futures_util::FutureExt as _;
    /// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
    ///
    /// let minute = Duration::from_secs(60);
    /// let store = MemoryAttemptStore::new(64, minute);
    /// assert!(store.is_empty());
    /// store.record_failure(&ThrottleKey::user("ops"), SystemTime::now(), 5, minute).now_or_never();
    /// assert!(!store.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An upper bound of the heap memory the store's tables can take, whatever is recorded in
    /// it: keys are fixed-size, and each shard holds at most its share of the capacity.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::MemoryAttemptStore;
    /// use auth_core::throttle::DEFAULT_CAPACITY;
    ///
    /// let store = MemoryAttemptStore::new(DEFAULT_CAPACITY, Duration::from_secs(60));
    /// assert!(store.max_bytes() < 16 << 20, "{} bytes", store.max_bytes());
    /// ```
    pub fn max_bytes(&self) -> usize {
        // hashbrown keeps at most 7/8 of its buckets full and rounds buckets to a power of two;
        // each bucket is one (key, value) slot and one control byte, plus a group of padding.
        let buckets = (self.per_shard * 8).div_ceil(7).next_power_of_two();
        let slot = std::mem::size_of::<(ThrottleKey, Entry)>() + 1;
        SHARDS * (buckets * slot + 16 + std::mem::size_of::<Mutex<HashMap<ThrottleKey, Entry>>>())
    }

    fn shard(&self, key: &ThrottleKey) -> &Mutex<HashMap<ThrottleKey, Entry>> {
        let index = (self.hasher.hash_one(key) as usize) % SHARDS;
        &self.shards[index]
    }
}

/// How long from `now` until `until`, if `until` is later. (A clock stepped back makes a block
/// last longer, never shorter.)
fn remaining(until: SystemTime, now: SystemTime) -> Option<Duration> {
    until.duration_since(now).ok().filter(|d| !d.is_zero())
}

/// The time from `earlier` to `now`; zero if the clock was stepped back past `earlier`.
fn since(now: SystemTime, earlier: SystemTime) -> Duration {
    now.duration_since(earlier).unwrap_or(Duration::ZERO)
}

impl MemoryAttemptStore {
    /// [`AttemptStore::record_failure`], done now.
    fn count(
        &self,
        key: &ThrottleKey,
        now: SystemTime,
        limit: u32,
        window: Duration,
    ) -> Option<Duration> {
        let mut shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        if !shard.contains_key(key) && shard.len() >= self.per_shard {
            let live = |e: &Entry| {
                e.blocked_until.is_some_and(|u| u > now) || since(now, e.window_start) < self.window
            };
            shard.retain(|_, e| live(e));
            if shard.len() >= self.per_shard {
                let oldest = shard
                    .iter()
                    .min_by_key(|(_, e)| e.window_start)
                    .map(|(k, _)| *k);
                if let Some(oldest) = oldest {
                    shard.remove(&oldest);
                }
            }
        }
        let entry = shard.entry(*key).or_insert(Entry {
            window_start: now,
            failures: 0,
            blocked_until: None,
        });
        let expired = entry
            .blocked_until
            .map_or(since(now, entry.window_start) >= window, |u| u <= now);
        if expired {
            *entry = Entry {
                window_start: now,
                failures: 0,
                blocked_until: None,
            };
        }
        entry.failures = entry.failures.saturating_add(1);
        if entry.failures >= limit && entry.blocked_until.is_none() {
            entry.blocked_until = Some(now + window);
        }
        entry.blocked_until.and_then(|until| remaining(until, now))
    }
}

impl AttemptStore for MemoryAttemptStore {
    fn blocked_for(&self, key: &ThrottleKey, now: SystemTime) -> Option<Duration> {
        // A poisoned shard only means a panic elsewhere mid-update; its entries are plain data.
        let shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        shard
            .get(key)
            .and_then(|e| e.blocked_until)
            .and_then(|until| remaining(until, now))
    }

    fn record_failure(
        &self,
        key: &ThrottleKey,
        now: SystemTime,
        limit: u32,
        window: Duration,
    ) -> StoreFuture<Result<Option<Duration>, StoreError>> {
        Box::pin(std::future::ready(Ok(self.count(key, now, limit, window))))
    }
}

/// The throttling policy of an application.
///
/// ```
/// use auth_core::{AuthConfig, FailureThrottle};
///
/// let auth = AuthConfig::builder()
///     .throttle(FailureThrottle::per_minute(10))
///     .build()?;
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct FailureThrottle {
    limit: u32,
    window: Duration,
    trusted_proxies: Arc<[IpAddr]>,
    ipv6_prefix: u8,
    store: Arc<dyn AttemptStore>,
    /// Writes the store failed (shared by the clones of this policy).
    store_errors: Arc<AtomicU64>,
}

impl std::fmt::Debug for FailureThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureThrottle")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("ipv6_prefix", &self.ipv6_prefix)
            .field("store_errors", &self.store_errors())
            .finish_non_exhaustive()
    }
}

/// The default number of keys the in-memory store tracks.
///
/// ```
/// use auth_core::throttle::DEFAULT_CAPACITY;
///
/// assert_eq!(DEFAULT_CAPACITY, 65_536);
/// ```
pub const DEFAULT_CAPACITY: usize = 65_536;

/// The prefix length IPv6 clients are keyed by unless the policy says otherwise: one customer
/// site or host usually holds a whole /64 and can rotate through it at will.
///
/// ```
/// use auth_core::throttle::DEFAULT_IPV6_PREFIX;
///
/// assert_eq!(DEFAULT_IPV6_PREFIX, 64);
/// ```
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

impl FailureThrottle {
    /// At most `limit` failures per `window` (a `limit` of 0 is raised to 1), counted in a
    /// [`MemoryAttemptStore`] of [`DEFAULT_CAPACITY`] keys; `X-Forwarded-For` is not believed.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::FailureThrottle;
    ///
    /// assert_eq!(FailureThrottle::new(5, Duration::from_secs(300)).limit(), 5);
    /// // A limit of 0 would block before the first failure: it is raised to 1.
    /// assert_eq!(FailureThrottle::new(0, Duration::from_secs(300)).limit(), 1);
    /// ```
    pub fn new(limit: u32, window: Duration) -> Self {
        FailureThrottle {
            limit: limit.max(1),
            window,
            trusted_proxies: Arc::from(Vec::new()),
            ipv6_prefix: DEFAULT_IPV6_PREFIX,
            store: Arc::new(MemoryAttemptStore::new(DEFAULT_CAPACITY, window)),
            store_errors: Arc::new(AtomicU64::new(0)),
        }
    }

    /// At most `limit` failures per minute.
    ///
    /// ```
    /// use auth_core::FailureThrottle;
    ///
    /// let throttle = FailureThrottle::per_minute(10);
    /// assert_eq!(throttle.limit(), 10);
    /// assert!(format!("{throttle:?}").contains("window: 60s"));
    /// ```
    pub fn per_minute(limit: u32) -> Self {
        Self::new(limit, Duration::from_secs(60))
    }

    /// Believes `X-Forwarded-For` when the connection comes from one of `proxies`. Off by
    /// default, since any client can write that header.
    ///
    /// The chain is walked from the right (the element the nearest proxy appended) and the
    /// client is the first element that is not itself a trusted proxy. An element that is not
    /// an address (`unknown`, junk, an empty element) ends the walk: everything left of it was
    /// written by someone we do not trust, so the client is the last trusted hop that named it.
    /// Addresses are compared in canonical form, so an IPv4 proxy reached over a dual-stack
    /// (`[::]`) listener, which reports it as `::ffff:a.b.c.d`, is still recognised.
    ///
    /// ```
    /// use std::net::{IpAddr, SocketAddr};
    /// use actix_web::test::TestRequest;
    /// use auth_core::FailureThrottle;
    ///
    /// let throttle = FailureThrottle::per_minute(10).trust_forwarded_for([IpAddr::from([10, 0, 0, 1])]);
    /// let via_proxy = |xff: &str| TestRequest::default()
    ///     .peer_addr(SocketAddr::from(([10, 0, 0, 1], 443)))
    ///     .insert_header(("x-forwarded-for", xff))
    ///     .to_http_request();
    /// let client = |xff| throttle.client_of(&via_proxy(xff));
    /// assert_eq!(client("203.0.113.7, 10.0.0.1"), Some(IpAddr::from([203, 0, 113, 7])));
    /// // What the client wrote itself, left of its real address, is never believed.
    /// assert_eq!(client("198.51.100.9, 203.0.113.7"), Some(IpAddr::from([203, 0, 113, 7])));
    /// assert_eq!(client("junk, 203.0.113.7"), Some(IpAddr::from([203, 0, 113, 7])));
    /// ```
    pub fn trust_forwarded_for(mut self, proxies: impl IntoIterator<Item = IpAddr>) -> Self {
        self.trusted_proxies = proxies.into_iter().map(|ip| ip.to_canonical()).collect();
        self
    }

    /// Keys IPv6 clients by their first `bits` bits ([`DEFAULT_IPV6_PREFIX`] by default; at
    /// most 128, which keys each address alone). IPv4 clients are keyed by their address.
    ///
    /// ```
    /// use std::net::{IpAddr, SocketAddr};
    /// use actix_web::test::TestRequest;
    /// use auth_core::{FailureThrottle, ThrottleKey};
    ///
    /// let from = |ip: &str| TestRequest::default()
    ///     .peer_addr(SocketAddr::new(ip.parse().unwrap(), 50_000))
    ///     .to_http_request();
    /// let by_64 = FailureThrottle::per_minute(10);
    /// let key = |t: &FailureThrottle, ip| t.client_key(&from(ip));
    /// assert_eq!(key(&by_64, "2001:db8:1:2::1"), key(&by_64, "2001:db8:1:2:ffff::9"));
    /// let by_address = FailureThrottle::per_minute(10).ipv6_prefix(128);
    /// assert_ne!(key(&by_address, "2001:db8:1:2::1"), key(&by_address, "2001:db8:1:2:ffff::9"));
    /// assert_eq!(key(&by_64, "2001:db8:1:2::1"), Some(ThrottleKey::Client("2001:db8:1:2::".parse().unwrap())));
    /// ```
    pub fn ipv6_prefix(mut self, bits: u8) -> Self {
        self.ipv6_prefix = bits.min(128);
        self
    }

    /// Replaces the store (e.g. one shared by several instances).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::{FailureThrottle, MemoryAttemptStore};
    ///
    /// let window = Duration::from_secs(300);
    /// let throttle = FailureThrottle::new(3, window).store(MemoryAttemptStore::new(1_000, window));
    /// assert_eq!(throttle.limit(), 3);
    /// ```
    pub fn store(mut self, store: impl AttemptStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// The failures allowed per window.
    ///
    /// ```
    /// use auth_core::FailureThrottle;
    ///
    /// assert_eq!(FailureThrottle::per_minute(7).limit(), 7);
    /// ```
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The client address of `req` under this policy, in canonical form (an IPv4-mapped IPv6
    /// address is its IPv4 address).
    ///
    /// ```
    /// use std::net::{IpAddr, SocketAddr};
    /// use actix_web::test::TestRequest;
    /// use auth_core::FailureThrottle;
    ///
    /// let req = TestRequest::default()
    ///     .peer_addr(SocketAddr::from(([198, 51, 100, 4], 50_000)))
    ///     .insert_header(("x-forwarded-for", "203.0.113.7"))
    ///     .to_http_request();
    /// // No proxy is trusted, so the header is not believed.
    /// assert_eq!(FailureThrottle::per_minute(10).client_of(&req), Some(IpAddr::from([198, 51, 100, 4])));
    /// ```
    pub fn client_of(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip().to_canonical();
        if !self.trusts(peer) {
            return Some(peer);
        }
        // Several fields are one list in order (RFC 9110 §5.3); walk it from the right. Split
        // bytes, not text: a byte that is not ASCII spoils its own element only.
        let fields: Vec<_> = req.headers().get_all("x-forwarded-for").collect();
        let mut client = peer;
        for field in fields.into_iter().rev() {
            for element in field.as_bytes().rsplit(|b| *b == b',') {
                let element = std::str::from_utf8(element).ok();
                match element.and_then(forwarded_address) {
                    Some(hop) if self.trusts(hop) => client = hop,
                    Some(hop) => return Some(hop),
                    None => return Some(client),
                }
            }
        }
        Some(client)
    }

    /// The throttle key of `req`'s client: [`FailureThrottle::client_of`], with an IPv6 address
    /// cut to [`FailureThrottle::ipv6_prefix`].
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use actix_web::test::TestRequest;
    /// use auth_core::{FailureThrottle, ThrottleKey};
    ///
    /// let req = TestRequest::default()
    ///     .peer_addr("[::ffff:192.0.2.1]:50000".parse::<SocketAddr>().unwrap())
    ///     .to_http_request();
    /// let key = FailureThrottle::per_minute(10).client_key(&req);
    /// assert_eq!(key, Some(ThrottleKey::Client([192, 0, 2, 1].into())));
    /// ```
    pub fn client_key(&self, req: &HttpRequest) -> Option<ThrottleKey> {
        self.client_bucket(req).map(ThrottleKey::Client)
    }

    /// The address failures of `req`'s client are counted under.
    pub(crate) fn client_bucket(&self, req: &HttpRequest) -> Option<IpAddr> {
        self.client_of(req).map(|ip| match ip {
            IpAddr::V4(_) => ip,
            IpAddr::V6(v6) => match embedded_ipv4(v6) {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let bits = u32::from(self.ipv6_prefix);
                    let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                    IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
                }
            },
        })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.trusted_proxies.contains(&ip)
    }

    /// How many of the store's writes failed since start-up (each one a failure not counted:
    /// the throttle fails open). Shared by the clones of this policy.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use auth_core::store::{StoreError, StoreFuture};
    /// use auth_core::{AttemptStore, FailureThrottle, ThrottleKey};
    ///
    /// /// A shared store whose backend is down.
    /// struct Down;
    /// impl AttemptStore for Down {
    ///     fn blocked_for(&self, _: &ThrottleKey, _: SystemTime) -> Option<Duration> { None }
    ///     fn record_failure(&self, _: &ThrottleKey, _: SystemTime, _: u32, _: Duration)
    ///         -> StoreFuture<Result<Option<Duration>, StoreError>> {
    ///         Box::pin(std::future::ready(Err(StoreError::Unavailable("connection refused"))))
    ///     }
    /// }
    /// # actix_web::rt::System::new().block_on(async {
    /// use actix_web::{test, web, App, HttpResponse};
    /// use auth_core::{ApiKeys, AuthConfig, RequireAuth, Requirement};
    ///
    /// let throttle = FailureThrottle::per_minute(1).store(Down);
    /// let keys = ApiKeys::builder().key("ci", "k_8c1f2d9e6b7a40f1c3d2").build().unwrap();
    /// let auth = AuthConfig::builder().api_keys(keys).throttle(throttle.clone()).build().unwrap();
    /// let app = App::new().app_data(auth)
    ///     .wrap(RequireAuth::new(&Requirement::AUTHENTICATED))
    ///     .route("/", web::get().to(HttpResponse::Ok));
    /// let app = test::init_service(app).await;
    /// let guess = || test::TestRequest::get().peer_addr("192.0.2.1:50000".parse().unwrap())
    ///     .insert_header(("x-api-key", "k_guess_0000000000000")).to_request();
    /// // Over the limit of 1, yet never 429: the store is down, the throttle fails open.
    /// for _ in 0..3 {
    ///     assert_eq!(test::call_service(&app, guess()).await.status(), 401);
    /// }
    /// assert_eq!(throttle.store_errors(), 3);
    /// # });
    /// ```
    pub fn store_errors(&self) -> u64 {
        self.store_errors.load(Ordering::Relaxed)
    }

    /// Seconds `key` is still blocked (rounded up), if it is: the store's local view.
    pub(crate) fn blocked(&self, key: &ThrottleKey) -> Option<u32> {
        self.store.blocked_for(key, SystemTime::now()).map(seconds)
    }

    /// Counts a failure of `req`'s `key`, logging `audit::blocked` when it crosses the limit:
    /// at once if the store answers at once (the in-memory store always does: `None`), else
    /// when the returned [`Recording`] completes, which the refusal awaits. A store error is
    /// logged and counted, and the failure is not counted (the throttle fails open).
    pub(crate) fn fail(&self, req: &HttpRequest, key: &ThrottleKey) -> Option<Recording> {
        let mut write = self
            .store
            .record_failure(key, SystemTime::now(), self.limit, self.window);
        // Poll once: a store whose write is done (or failed) answers without a task.
        match (&mut write).now_or_never() {
            Some(answer) => {
                self.answered(req, key, answer);
                None
            }
            None => {
                let (throttle, req, key) = (self.clone(), req.clone(), *key);
                // A task of its own: the write completes even when the refusal awaiting it is
                // dropped (a client hanging up right after its guess is counted all the same).
                let written = actix_web::rt::spawn(async move {
                    let answer = write.await;
                    throttle.answered(&req, &key, answer);
                });
                Some(Box::pin(async move {
                    let _ = written.await;
                }))
            }
        }
    }

    fn answered(
        &self,
        req: &HttpRequest,
        key: &ThrottleKey,
        answer: Result<Option<Duration>, StoreError>,
    ) {
        match answer {
            Ok(Some(blocked)) => {
                crate::metrics::throttle_block(key);
                log_blocked(req, key, seconds(blocked));
            }
            Ok(None) => {}
            Err(error) => {
                let errors = self.store_errors.fetch_add(1, Ordering::Relaxed) + 1;
                crate::metrics::store_error("attempts");
                tracing::error!(
                    target: crate::audit::TARGET,
                    %error,
                    errors,
                    path = req.path(),
                    "failure throttle: the store failed, the failure is not counted (failing open)"
                );
            }
        }
    }
}

/// The audit event of `key` crossing the failure limit.
fn log_blocked(req: &HttpRequest, key: &ThrottleKey, seconds: u32) {
    let (kind, value) = match key {
        ThrottleKey::Client(ip) => ("client", ip.to_string()),
        ThrottleKey::CrossSite { client, origin } => (
            "cross-site client",
            format!("{client} (origin class {origin})"),
        ),
        ThrottleKey::User(digest) => ("user digest", digest.to_string()),
    };
    crate::audit::blocked(req, kind, &value, seconds);
}

/// The IPv4 client behind an IPv6 address that carries one, so it is keyed like any IPv4
/// client: NAT64 (`64:ff9b::/96`, RFC 6052), where every IPv4 client would otherwise share
/// one /64; 6to4 (`2002::/16`, RFC 3056), where one IPv4 host owns a whole /48; Teredo
/// (`2001::/32`, RFC 4380), whose clients share their server's /64 and carry their own IPv4
/// address inverted in the last 32 bits. (IPv4-mapped addresses are canonicalised before.)
fn embedded_ipv4(v6: Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let bits = u128::from(v6);
    let low32 = |b: u128| std::net::Ipv4Addr::from((b & 0xffff_ffff) as u32);
    match v6.segments() {
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low32(bits)),
        [0x2002, ..] => Some(std::net::Ipv4Addr::from((bits >> 80) as u32)),
        [0x2001, 0, ..] => Some(low32(!bits)),
        _ => None,
    }
}

/// One element of `X-Forwarded-For`: an address, optionally with a port (`[v6]:port`,
/// `v4:port`, as some proxies write), canonicalised. Anything else is `None`.
fn forwarded_address(element: &str) -> Option<IpAddr> {
    let element = element.trim_matches([' ', '\t']);
    element
        .parse::<IpAddr>()
        .ok()
        .or_else(|| element.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            let inner = element.strip_prefix('[')?.strip_suffix(']')?;
            inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
        })
        .map(|ip| ip.to_canonical())
}

fn seconds(d: Duration) -> u32 {
    let whole = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(whole.max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(
        store: &MemoryAttemptStore,
        key: &ThrottleKey,
        now: SystemTime,
        limit: u32,
        window: Duration,
    ) -> Option<Duration> {
        match store.record_failure(key, now, limit, window).now_or_never() {
            Some(Ok(answer)) => answer,
            other => panic!("the in-memory store answers at once: {other:?}"),
        }
    }

    #[test]
    fn blocks_after_the_limit_until_the_window_passes() {
        let store = MemoryAttemptStore::new(64, Duration::from_secs(60));
        let key = ThrottleKey::Client([10, 0, 0, 1].into());
        let t0 = SystemTime::now();
        let w = Duration::from_secs(60);
        for i in 0..2 {
            assert_eq!(
                record(&store, &key, t0 + Duration::from_secs(i), 3, w),
                None
            );
        }
        assert_eq!(
            record(&store, &key, t0 + Duration::from_secs(2), 3, w),
            Some(w)
        );
        assert_eq!(
            store.blocked_for(&key, t0 + Duration::from_secs(32)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(store.blocked_for(&key, t0 + Duration::from_secs(62)), None);
        // A fresh window after the block.
        assert_eq!(
            record(&store, &key, t0 + Duration::from_secs(63), 3, w),
            None
        );
    }

    #[test]
    fn a_clock_stepped_back_never_shortens_a_block() {
        let store = MemoryAttemptStore::new(64, Duration::from_secs(60));
        let key = ThrottleKey::user("ops");
        let t0 = SystemTime::now();
        let w = Duration::from_secs(60);
        assert_eq!(record(&store, &key, t0, 1, w), Some(w));
        let earlier = t0 - Duration::from_secs(5);
        assert_eq!(
            store.blocked_for(&key, earlier),
            Some(Duration::from_secs(65))
        );
        // Failures before the window's start (as seen after the step) count in that window.
        let other = ThrottleKey::user("dev");
        assert_eq!(record(&store, &other, t0, 2, w), None);
        assert_eq!(record(&store, &other, earlier, 2, w), Some(w));
    }

    #[test]
    fn memory_stays_bounded_under_spraying() {
        let store = MemoryAttemptStore::new(1024, Duration::from_secs(60));
        let now = SystemTime::now();
        for i in 0..100_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            record(
                &store,
                &ThrottleKey::Client(ip),
                now,
                10,
                Duration::from_secs(60),
            );
        }
        assert!(store.len() <= 1024, "{}", store.len());
    }
}
