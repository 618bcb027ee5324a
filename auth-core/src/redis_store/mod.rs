//! A store shared by a fleet through Redis (or Valkey), feature `redis`: failure throttling
//! ([`AttemptStore`](crate::AttemptStore)), revocation
//! ([`RevocationStore`](crate::verify::revocation::RevocationStore)), the DPoP replay memory
//! ([`ProofReplayStore`](crate::verify::dpop_replay::ProofReplayStore), through
//! [`DpopBuilder::replay_store`](crate::DpopBuilder::replay_store)), with `introspection` the
//! answers of the authorization server (`IntrospectionStore`, through
//! `IntrospectionBuilder::shared_cache`) and, with `digest`, the
//! Digest replay memory (`NonceStore`, through `DigestAuth::nonce_store`) as one, so replicas
//! behind a load balancer throttle, revoke and refuse replays together.
//!
//! ```no_run
//! use auth_core::redis_store::RedisStore;
//! use auth_core::{Algorithm, FailureThrottle, JwtKey, JwtVerifier};
//!
//! // One store per process, built outside `HttpServer::new`'s factory; clones share it.
//! let redis = RedisStore::builder("redis://127.0.0.1:6379/").prefix("orders").build()?;
//! let throttle = FailureThrottle::per_minute(5).store(redis.clone());
//! let verifier = JwtVerifier::builder()
//!     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
//!     .revocations(redis.clone())
//!     .build()?;
//! # let _ = (throttle, verifier);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **The request path never waits on Redis.** Each instance keeps a *local view* — the
//! clients and users blocked now, the revocations in force — read synchronously on every
//! request. Redis is written to asynchronously (one atomic Lua script per decision, by
//! `EVALSHA`), and every write is announced on a pub/sub channel that every instance's view
//! follows. After a (re)connection, an instance subscribes first and then reads the whole state
//! back (blocks by `SCAN`, revocations from their hashes), so nothing published meanwhile is
//! missed.
//!
//! **Time is Redis's.** Windows and blocks are key TTLs and the scripts read `TIME`; a block
//! travels as "blocked for N ms", which each instance adds to its own clock: nodes' clocks
//! never need to agree.
//!
//! **How each use fails when Redis is unreachable** (`responses.md`, "Shared state
//! unreachable"): throttling fails open — the failure is not counted, an error is logged and
//! counted ([`FailureThrottle::store_errors`](crate::FailureThrottle::store_errors)), the
//! blocks already in the view still hold until they end; revocation serves its last view for
//! [`RedisStoreBuilder::max_staleness`] and then answers `Stale`, which refuses tokens with
//! 503 `temporarily_unavailable` and `Retry-After` (a revocation made meanwhile could be
//! missing). Freshness is proved end to end: every second each instance publishes a heartbeat
//! and counts its view fresh when its own heartbeat comes back through the subscription (every
//! message published before it has then been applied). When Redis returns, the instance
//! reconnects, reads the state back and serves again, without a restart.
//!
//! **Keys.** Everything lives under a configurable prefix, one per service and Redis server
//! (pub/sub ignores `SELECT`: two services on two databases of one server must not share a
//! prefix). Throttling keys share one hash tag (`{<prefix>:throttle}`) and revocations another,
//! so a Redis Cluster can hold them and run each script on one node. Keys never hold a token
//! or a user name as such: a client is its address, a Basic or Digest user the SHA-256 digest
//! of its name (which whoever can read Redis could still test guesses against: restrict the
//! store's ACL to `~<prefix>:*`, `%R~{<prefix>:*`, `&<prefix>:events`). Messages on the channel
//! are trusted as far as the ACL lets others publish there; a block they carry is capped at a
//! day.
//!
//! **Secrets.** `rediss://` (TLS, rustls with the platform's roots) and a password in the URL
//! (`redis://:password@host/` or `redis://user:password@host/`) work; the URL is never logged
//! and [`StoreError`]s carry fixed words only (never a message from
//! the server, which may echo a credential).

mod attempts;
#[cfg(feature = "introspection")]
mod introspections;
#[cfg(feature = "digest")]
mod nonces;
mod proofs;
mod revocations;
mod sync;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwapOption;

use crate::error::ConfigError;
use crate::store::StoreError;
use crate::verify::revocation::MemoryRevocations;

pub use attempts::MAX_LOCAL_BLOCKS;

/// The default prefix of every key and channel.
///
/// ```
/// assert_eq!(auth_core::redis_store::DEFAULT_PREFIX, "auth");
/// ```
pub const DEFAULT_PREFIX: &str = "auth";

/// How long revocation serves its last view when Redis stops answering, by default.
///
/// ```
/// assert_eq!(auth_core::redis_store::DEFAULT_MAX_STALENESS.as_secs(), 30);
/// ```
pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(30);

/// How long one Redis command may take before it counts as failed, by default.
///
/// ```
/// assert_eq!(auth_core::redis_store::DEFAULT_TIMEOUT.as_millis(), 500);
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);

/// How often each instance proves its view fresh (publishes a heartbeat).
const HEARTBEAT: Duration = Duration::from_secs(1);

/// Settings of a [`RedisStore`].
///
/// ```
/// use std::time::Duration;
/// use auth_core::redis_store::RedisStore;
///
/// let builder = RedisStore::builder("rediss://:s3cret@redis.internal:6380/0")
///     .prefix("orders")
///     .max_staleness(Duration::from_secs(10))
///     .timeout(Duration::from_millis(200));
/// // Debug never shows the URL (it may hold a password).
/// assert!(!format!("{builder:?}").contains("s3cret"));
/// ```
pub struct RedisStoreBuilder {
    url: String,
    prefix: String,
    max_staleness: Duration,
    timeout: Duration,
    revocations: MemoryRevocations,
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("prefix", &self.prefix)
            .field("max_staleness", &self.max_staleness)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl RedisStoreBuilder {
    /// The prefix of every key and channel (default [`DEFAULT_PREFIX`]): one per service that
    /// shares a Redis server with others. Letters, digits, `-`, `_` and `.` only.
    ///
    /// ```
    /// let builder = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1/").prefix("orders");
    /// # let _ = builder;
    /// ```
    pub fn prefix(mut self, prefix: &str) -> Self {
        prefix.clone_into(&mut self.prefix);
        self
    }

    /// How long revocation serves its last view after Redis stopped answering (default
    /// [`DEFAULT_MAX_STALENESS`]); past it, tokens get 503 until the view is fresh again.
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1/")
    ///     .max_staleness(Duration::from_secs(5));
    /// # let _ = builder;
    /// ```
    pub fn max_staleness(mut self, bound: Duration) -> Self {
        self.max_staleness = bound;
        self
    }

    /// How long one command may take (default [`DEFAULT_TIMEOUT`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// let builder = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1/")
    ///     .timeout(Duration::from_millis(100));
    /// # let _ = builder;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The local view of revocations: its capacity, expiry leeway and subject retention are
    /// those of this [`MemoryRevocations`] (default: `MemoryRevocations::default()`).
    ///
    /// ```
    /// use auth_core::verify::revocation::MemoryRevocations;
    /// let builder = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1/")
    ///     .revocation_view(MemoryRevocations::new(10_000));
    /// # let _ = builder;
    /// ```
    pub fn revocation_view(mut self, view: MemoryRevocations) -> Self {
        self.revocations = view;
        self
    }

    /// Starts the store: checks the settings, starts its thread (its own small runtime, which
    /// connects, subscribes and keeps the views), and returns at once — Redis need not be up
    /// yet: until the first read-back, throttling fails open and revocation answers `Stale`
    /// (nothing proves the view complete before it).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::redis_store::RedisStore;
    /// assert!(RedisStore::builder("http://not-redis/").build().is_err());
    /// assert!(RedisStore::builder("redis://127.0.0.1/").prefix("white space").build().is_err());
    /// assert!(RedisStore::builder("redis://127.0.0.1/").prefix("a:b").build().is_err());
    /// let flapping = RedisStore::builder("redis://127.0.0.1/").max_staleness(Duration::from_millis(500));
    /// assert!(flapping.build().is_err());
    /// ```
    pub fn build(self) -> Result<RedisStore, ConfigError> {
        let invalid = |detail: &str| ConfigError::InvalidSetting {
            what: "redis store",
            detail: detail.into(),
        };
        // No ':' (nor braces, globs or spaces): one prefix's keys and patterns never match
        // another's.
        let valid_prefix = !self.prefix.is_empty()
            && self
                .prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid_prefix {
            return Err(invalid(
                "the prefix must be letters, digits, '-', '_' or '.'",
            ));
        }
        if self.timeout.is_zero() {
            return Err(invalid("the timeout must be positive"));
        }
        if self.max_staleness < HEARTBEAT * 2 + self.timeout {
            return Err(invalid(
                "the staleness bound must be at least two heartbeats (2 s) and the timeout",
            ));
        }
        // The client parses the URL; its error text is not shown (it may quote the URL).
        let client = redis::Client::open(self.url.as_str())
            .map_err(|_| invalid("the URL is not a redis:// or rediss:// URL"))?;
        let shared = Arc::new(Shared {
            keys: Keys::new(&self.prefix),
            timeout: self.timeout,
            max_staleness: self.max_staleness,
            connection: ArcSwapOption::empty(),
            blocks: attempts::LocalBlocks::default(),
            revocations: self.revocations,
            started: Instant::now(),
            confirmed_ms: AtomicU64::new(0),
            up: AtomicBool::new(false),
            incomplete: AtomicBool::new(false),
            instance: instance_id(),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|_| invalid("cannot start the store's runtime"))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = sync::Sync::new(Arc::clone(&shared), client);
        std::thread::Builder::new()
            .name("auth-redis-store".into())
            .spawn(move || runtime.block_on(task.run(stopped)))
            .map_err(|_| invalid("cannot start the store's thread"))?;
        Ok(RedisStore {
            shared,
            handle,
            _owner: Arc::new(Owner { _stop: stop }),
        })
    }
}

/// Throttling and revocation shared by a fleet through Redis: see the [module](self).
/// Cheap to clone; the clones share one connection, one view and one thread, which stops
/// when the last clone is dropped.
///
/// ```
/// use auth_core::redis_store::RedisStore;
/// use auth_core::verify::revocation::{RevocationCheck, RevocationStore, TokenIdentity};
///
/// // Nothing listens on port 1: the store starts anyway and fails as the contract says.
/// let store = RedisStore::builder("redis://127.0.0.1:1/").build()?;
/// let token = TokenIdentity { issuer: None, jti: Some("t-1"), subject: None, issued_at: None };
/// assert!(!store.is_fresh());
/// assert_eq!(store.check(&token, std::time::SystemTime::now()), RevocationCheck::Stale);
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
    handle: tokio::runtime::Handle,
    _owner: Arc<Owner>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("channel", &self.shared.keys.channel)
            .field("fresh", &self.is_fresh())
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Settings for a store at `url` (`redis://[user][:password@]host[:port][/db]`, or
    /// `rediss://` for TLS).
    ///
    /// ```
    /// let builder = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1:6379/");
    /// # let _ = builder;
    /// ```
    pub fn builder(url: &str) -> RedisStoreBuilder {
        RedisStoreBuilder {
            url: url.to_owned(),
            prefix: DEFAULT_PREFIX.to_owned(),
            max_staleness: DEFAULT_MAX_STALENESS,
            timeout: DEFAULT_TIMEOUT,
            revocations: MemoryRevocations::default(),
        }
    }

    /// Whether the local view was confirmed by Redis within the staleness bound.
    ///
    /// ```no_run
    /// let store = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1/").build()?;
    /// println!("fresh: {}", store.is_fresh());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn is_fresh(&self) -> bool {
        self.view_age()
            .is_some_and(|age| age <= self.shared.max_staleness)
    }

    /// Whether a session with Redis is up now (connected, subscribed, read back): writes are
    /// attempted only then, and fail at once otherwise. For health checks.
    ///
    /// ```no_run
    /// let store = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1/").build()?;
    /// println!("connected: {}", store.is_connected());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn is_connected(&self) -> bool {
        self.shared.up.load(Ordering::Acquire)
    }

    /// How many blocks the local view holds (at most [`MAX_LOCAL_BLOCKS`]).
    ///
    /// ```no_run
    /// let store = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1/").build()?;
    /// assert!(store.local_blocks() <= auth_core::redis_store::MAX_LOCAL_BLOCKS);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn local_blocks(&self) -> usize {
        self.shared.blocks.len()
    }

    /// How long ago Redis last confirmed the local view (`None`: never yet).
    ///
    /// ```no_run
    /// let store = auth_core::redis_store::RedisStore::builder("redis://127.0.0.1/").build()?;
    /// if let Some(age) = store.view_age() { println!("view {age:?} old"); }
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn view_age(&self) -> Option<Duration> {
        self.shared.view_age()
    }

    /// Runs `op` on the store's own runtime with the current connection, within the timeout;
    /// at once `Unavailable` while the store's session is down (a refusal that waits for its
    /// failure's write does not wait out a timeout during an outage). Errors are counted under
    /// `use_` (metric `auth_store_errors_total{store}`) when no caller counts them.
    fn run<T, F, Fut>(
        &self,
        use_: &'static str,
        op: F,
    ) -> crate::store::StoreFuture<Result<T, StoreError>>
    where
        T: Send + 'static,
        F: FnOnce(redis::aio::ConnectionManager, Arc<Shared>) -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let connection = self.shared.connection.load_full();
        // Throttling and Digest count their stores' errors where they meet them; revocation
        // writes are the application's, so they are counted here.
        let counted = use_ == "revocations";
        let Some(connection) = connection.filter(|_| self.shared.up.load(Ordering::Acquire)) else {
            if counted {
                crate::metrics::store_error(use_);
            }
            return Box::pin(std::future::ready(Err(StoreError::Unavailable(
                "not connected",
            ))));
        };
        let timeout = self.shared.timeout;
        let job = op((*connection).clone(), Arc::clone(&self.shared));
        let running = self.handle.spawn(async move {
            tokio::time::timeout(timeout, job)
                .await
                .unwrap_or(Err(StoreError::Timeout))
        });
        Box::pin(async move {
            let answer = running
                .await
                .unwrap_or(Err(StoreError::Unavailable("the store's thread stopped")));
            if answer.is_err() && counted {
                crate::metrics::store_error(use_);
            }
            answer
        })
    }
}

/// Stops the store's thread when the last clone goes.
struct Owner {
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// What the store's clones and its thread share.
pub(crate) struct Shared {
    keys: Keys,
    timeout: Duration,
    max_staleness: Duration,
    /// The connection while one is up (redis-rs reconnects it by itself).
    connection: ArcSwapOption<redis::aio::ConnectionManager>,
    blocks: attempts::LocalBlocks,
    revocations: MemoryRevocations,
    /// The origin of `confirmed_ms`: freshness is measured on the monotonic clock, so a step
    /// of the wall clock can neither age nor rejuvenate the view.
    started: Instant,
    /// When this instance's own heartbeat last came back, in ms since `started`, plus one
    /// (0: never, or the view is known incomplete).
    confirmed_ms: AtomicU64,
    /// Whether a session is up (connected, subscribed, read back).
    up: AtomicBool,
    /// A revocation could not enter the view: it is `Stale` until a full read-back.
    incomplete: AtomicBool,
    /// This instance's name in heartbeats.
    instance: String,
}

impl Shared {
    fn view_age(&self) -> Option<Duration> {
        if self.incomplete.load(Ordering::Acquire) {
            return None;
        }
        match self.confirmed_ms.load(Ordering::Acquire) {
            0 => None,
            at => {
                let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
                Some(Duration::from_millis(now.saturating_sub(at - 1)))
            }
        }
    }

    /// Records that Redis has just confirmed the view (no effect on an incomplete one).
    fn confirm(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.confirmed_ms
            .store(now.saturating_add(1), Ordering::Release);
    }

    /// The view is known incomplete (a revocation could not enter it): `Stale` until a full
    /// read-back succeeds.
    fn distrust(&self) {
        self.incomplete.store(true, Ordering::Release);
    }
}

/// The names of every key and channel, from the prefix.
struct Keys {
    channel: String,
    /// The hash tag of the Digest replay memory's keys.
    #[cfg_attr(not(feature = "digest"), allow(dead_code))]
    digest: String,
    /// The DPoP replay memory's keys: `<tag>:<proof id>`.
    dpop: String,
    /// Shared introspection answers: `<this>:<token digest>`.
    #[cfg_attr(not(feature = "introspection"), allow(dead_code))]
    introspections: String,
    throttle: String,
    blocks: String,
    revoked_tokens: String,
    revoked_subjects: String,
    revocation_expiry: String,
}

impl Keys {
    fn new(prefix: &str) -> Self {
        let revocations = format!("{{{prefix}:revocations}}");
        let throttle = format!("{{{prefix}:throttle}}");
        Keys {
            channel: format!("{prefix}:events"),
            digest: format!("{{{prefix}:digest}}"),
            dpop: format!("{{{prefix}:dpop}}:proofs"),
            introspections: format!("{prefix}:introspections"),
            blocks: format!("{throttle}:blocks"),
            throttle,
            revoked_tokens: format!("{revocations}:tokens"),
            revoked_subjects: format!("{revocations}:subjects"),
            revocation_expiry: format!("{revocations}:expiry"),
        }
    }

    /// A throttle key's failure counter and block.
    fn throttle(&self, id: &str) -> (String, String) {
        (
            format!("{}:failures:{id}", self.throttle),
            format!("{}:blocked:{id}", self.throttle),
        )
    }
}

/// Fixed words for a failed command (never the server's message, which may echo a secret).
fn store_error(error: &redis::RedisError) -> StoreError {
    if error.is_timeout() {
        StoreError::Timeout
    } else if error.is_connection_refusal() {
        StoreError::Unavailable("connection refused")
    } else if error.is_io_error() {
        StoreError::Unavailable("connection lost")
    } else {
        StoreError::Unavailable("command failed")
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A name for this store's heartbeats, unique among the stores sharing a Redis: 128 random
/// bits (std's per-process random hasher keys; containers often all run as pid 1) and a serial
/// (several stores may live in one process).
fn instance_id() -> String {
    use std::hash::BuildHasher as _;
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
    let random = std::collections::hash_map::RandomState::new();
    let (a, b) = (random.hash_one(serial), random.hash_one(now_ms()));
    format!("{a:016x}{b:016x}-{serial}")
}
