//! Throttling of failed attempts: after `limit` failures from one client address (and, for
//! Basic, for one user-id) within `window`, requests are answered 429 with `Retry-After` until
//! the window has passed.
//!
//! Counted as failures: malformed credentials, invalid tokens, wrong passwords, unknown API
//! keys. Not counted: a request with no credentials (a browser's first request always is), an
//! expired token (a client refreshes it), a missing scope.
//!
//! The counters live behind [`AttemptStore`]; the default, [`MemoryAttemptStore`], is bounded
//! (an attacker spraying addresses evicts the oldest entries, never grows memory). The store's
//! methods are synchronous because they run on every protected request; a store shared by
//! several instances keeps a local view and synchronizes in the background.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher as _;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;

/// What failures are counted under.
///
/// ```
/// use std::time::{Duration, Instant};
/// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
///
/// let (now, minute) = (Instant::now(), Duration::from_secs(60));
/// let store = MemoryAttemptStore::new(64, minute);
/// store.record_failure(&ThrottleKey::User("ops".into()), now, 1, minute);
/// assert!(store.blocked_for(&ThrottleKey::User("ops".into()), now).is_some());
/// assert!(store.blocked_for(&ThrottleKey::Client([192, 0, 2, 1].into()), now).is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A client address.
    Client(IpAddr),
    /// A Basic user-id (so guessing one account's password from many addresses is slowed too).
    User(String),
}

/// Where failure counters live.
///
/// ```
/// use std::time::{Duration, Instant};
/// use auth_core::{AttemptStore, FailureThrottle, ThrottleKey};
///
/// // A store that counts nothing and blocks nobody.
/// struct Open;
/// impl AttemptStore for Open {
///     fn blocked_for(&self, _: &ThrottleKey, _: Instant) -> Option<Duration> { None }
///     fn record_failure(&self, _: &ThrottleKey, _: Instant, _: u32, _: Duration) -> Option<Duration> { None }
/// }
/// let key = ThrottleKey::User("ops".into());
/// assert_eq!(Open.record_failure(&key, Instant::now(), 1, Duration::from_secs(60)), None);
/// let throttle = FailureThrottle::per_minute(1).store(Open);
/// assert_eq!(throttle.limit(), 1);
/// ```
pub trait AttemptStore: Send + Sync + 'static {
    /// How long `key` is still blocked at `now`, if it is.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
    ///
    /// let (t0, minute) = (Instant::now(), Duration::from_secs(60));
    /// let store = MemoryAttemptStore::new(64, minute);
    /// let key = ThrottleKey::Client([192, 0, 2, 1].into());
    /// assert_eq!(store.blocked_for(&key, t0), None);
    /// store.record_failure(&key, t0, 1, minute);
    /// assert_eq!(store.blocked_for(&key, t0 + Duration::from_secs(20)), Some(Duration::from_secs(40)));
    /// ```
    fn blocked_for(&self, key: &ThrottleKey, now: Instant) -> Option<Duration>;

    /// Counts one failure of `key` at `now`; answers how long `key` is blocked if this failure
    /// reached `limit` within `window`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
    ///
    /// let (now, minute) = (Instant::now(), Duration::from_secs(60));
    /// let store = MemoryAttemptStore::new(64, minute);
    /// let key = ThrottleKey::User("ops".into());
    /// assert_eq!(store.record_failure(&key, now, 2, minute), None);
    /// assert_eq!(store.record_failure(&key, now, 2, minute), Some(minute));
    /// ```
    fn record_failure(
        &self,
        key: &ThrottleKey,
        now: Instant,
        limit: u32,
        window: Duration,
    ) -> Option<Duration>;
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    window_start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
}

/// The in-memory [`AttemptStore`]: sharded maps with a fixed total capacity.
///
/// ```
/// use std::time::{Duration, Instant};
/// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
///
/// let (now, minute) = (Instant::now(), Duration::from_secs(60));
/// let store = MemoryAttemptStore::new(16, minute);
/// for i in 0..=255u8 {
///     store.record_failure(&ThrottleKey::Client([10, 0, 0, i].into()), now, 5, minute);
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
    /// use std::time::{Duration, Instant};
    /// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
    ///
    /// let (now, minute) = (Instant::now(), Duration::from_secs(60));
    /// let store = MemoryAttemptStore::new(64, minute);
    /// store.record_failure(&ThrottleKey::User("ops".into()), now, 5, minute);
    /// store.record_failure(&ThrottleKey::User("dev".into()), now, 5, minute);
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
    /// use std::time::{Duration, Instant};
    /// use auth_core::{AttemptStore, MemoryAttemptStore, ThrottleKey};
    ///
    /// let minute = Duration::from_secs(60);
    /// let store = MemoryAttemptStore::new(64, minute);
    /// assert!(store.is_empty());
    /// store.record_failure(&ThrottleKey::User("ops".into()), Instant::now(), 5, minute);
    /// assert!(!store.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, key: &ThrottleKey) -> &Mutex<HashMap<ThrottleKey, Entry>> {
        let index = (self.hasher.hash_one(key) as usize) % SHARDS;
        &self.shards[index]
    }
}

fn remaining(until: Instant, now: Instant) -> Option<Duration> {
    (until > now).then(|| until - now)
}

impl AttemptStore for MemoryAttemptStore {
    fn blocked_for(&self, key: &ThrottleKey, now: Instant) -> Option<Duration> {
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
        now: Instant,
        limit: u32,
        window: Duration,
    ) -> Option<Duration> {
        let mut shard = self.shard(key).lock().unwrap_or_else(|e| e.into_inner());
        if !shard.contains_key(key) && shard.len() >= self.per_shard {
            let live = |e: &Entry| {
                e.blocked_until.is_some_and(|u| u > now)
                    || now.duration_since(e.window_start) < self.window
            };
            shard.retain(|_, e| live(e));
            if shard.len() >= self.per_shard {
                let oldest = shard
                    .iter()
                    .min_by_key(|(_, e)| e.window_start)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    shard.remove(&oldest);
                }
            }
        }
        let entry = shard.entry(key.clone()).or_insert(Entry {
            window_start: now,
            failures: 0,
            blocked_until: None,
        });
        let expired = entry
            .blocked_until
            .map_or(now.duration_since(entry.window_start) >= window, |u| {
                u <= now
            });
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
    store: Arc<dyn AttemptStore>,
}

impl std::fmt::Debug for FailureThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailureThrottle")
            .field("limit", &self.limit)
            .field("window", &self.window)
            .field("trusted_proxies", &self.trusted_proxies)
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
            store: Arc::new(MemoryAttemptStore::new(DEFAULT_CAPACITY, window)),
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

    /// Believes `X-Forwarded-For` when the connection comes from one of `proxies`: the client is
    /// the right-most address in it that is not itself a trusted proxy. Off by default, since
    /// any client can write that header.
    ///
    /// ```
    /// use std::net::{IpAddr, SocketAddr};
    /// use actix_web::test::TestRequest;
    /// use auth_core::FailureThrottle;
    ///
    /// let throttle = FailureThrottle::per_minute(10).trust_forwarded_for([IpAddr::from([10, 0, 0, 1])]);
    /// let req = TestRequest::default()
    ///     .peer_addr(SocketAddr::from(([10, 0, 0, 1], 443)))
    ///     .insert_header(("x-forwarded-for", "203.0.113.7, 10.0.0.1"))
    ///     .to_http_request();
    /// assert_eq!(throttle.client_of(&req), Some(IpAddr::from([203, 0, 113, 7])));
    /// ```
    pub fn trust_forwarded_for(mut self, proxies: impl IntoIterator<Item = IpAddr>) -> Self {
        self.trusted_proxies = proxies.into_iter().collect();
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

    /// The client address of `req` under this policy.
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
        let peer = req.peer_addr()?.ip();
        if !self.trusted_proxies.contains(&peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|s| s.trim().parse::<IpAddr>())
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        Some(
            forwarded
                .into_iter()
                .rev()
                .find(|ip| !self.trusted_proxies.contains(ip))
                .unwrap_or(peer),
        )
    }

    /// Seconds `key` is still blocked (rounded up), if it is.
    pub(crate) fn blocked(&self, key: &ThrottleKey) -> Option<u32> {
        self.store.blocked_for(key, Instant::now()).map(seconds)
    }

    /// Counts a failure; seconds of block if it crossed the limit.
    pub(crate) fn fail(&self, key: &ThrottleKey) -> Option<u32> {
        self.store
            .record_failure(key, Instant::now(), self.limit, self.window)
            .map(seconds)
    }
}

fn seconds(d: Duration) -> u32 {
    let whole = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    u32::try_from(whole.max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_passes() {
        let store = MemoryAttemptStore::new(64, Duration::from_secs(60));
        let key = ThrottleKey::Client([10, 0, 0, 1].into());
        let t0 = Instant::now();
        let w = Duration::from_secs(60);
        for i in 0..2 {
            assert_eq!(
                store.record_failure(&key, t0 + Duration::from_secs(i), 3, w),
                None
            );
        }
        assert_eq!(
            store.record_failure(&key, t0 + Duration::from_secs(2), 3, w),
            Some(w)
        );
        assert_eq!(
            store.blocked_for(&key, t0 + Duration::from_secs(32)),
            Some(Duration::from_secs(30))
        );
        assert_eq!(store.blocked_for(&key, t0 + Duration::from_secs(62)), None);
        // A fresh window after the block.
        assert_eq!(
            store.record_failure(&key, t0 + Duration::from_secs(63), 3, w),
            None
        );
    }

    #[test]
    fn memory_stays_bounded_under_spraying() {
        let store = MemoryAttemptStore::new(1024, Duration::from_secs(60));
        let now = Instant::now();
        for i in 0..100_000u32 {
            let ip = IpAddr::from(i.to_be_bytes());
            store.record_failure(&ThrottleKey::Client(ip), now, 10, Duration::from_secs(60));
        }
        assert!(store.len() <= 1024, "{}", store.len());
    }
}
