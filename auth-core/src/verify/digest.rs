//! HTTP Digest (RFC 7616): the settings of the scheme ([`DigestAuth`]), the [`DigestVerifier`]
//! trait applications implement for their user store, and [`Htdigest`], a store that reads the
//! files Apache's `htdigest` writes.
//!
//! A Digest user store never holds passwords: it hands back `H(username ":" realm ":"
//! password)` (the RFC's `H(A1)`) for the algorithm the client chose, and the framework does
//! the rest — the nonce, the `response`, the replay check — in constant time.
//!
//! **Nonces need no server state.** A nonce is a timestamp and a counter sealed with an
//! HMAC-SHA-256 tag over them and the realm, under a secret of the [`DigestAuth`]. Any
//! instance sharing the secret ([`DigestAuth::nonce_secret`]) can check any nonce; one older
//! than [`DigestAuth::nonce_lifetime`] in an answer that is otherwise right is refused with
//! `stale=true`, so the client retries with the fresh nonce without asking its user again.
//! What is remembered is which (`nonce`, `nc`) pairs were answered, until the nonce expires,
//! so a captured request cannot be replayed: that memory is a
//! [`NonceStore`] ([`DigestAuth::nonce_store`]), in-process
//! by default — build one `DigestAuth` outside `HttpServer::new`'s factory (its clones share
//! the memory and the secret across workers) — and shared by a fleet through a shared store
//! (see [`digest_nonces`](super::digest_nonces) for its bounds and how it fails).
//!
//! **Algorithms.** SHA-256 is the one enabled by default. MD5 is broken and only for old
//! clients ([`DigestAuth::allow_md5`]); files written by `htdigest` hold MD5 hashes only, so
//! they serve the MD5 challenge. To keep SHA-256 hashes, write lines of the same shape with a
//! 64-digit hash, `user:realm:` followed by the SHA-256 of `user:realm:password`:
//!
//! ```text
//! printf 'ops:orders-ops:%s\n' "$(printf '%s' 'ops:orders-ops:the password' | sha256sum | cut -d' ' -f1)" >> users.htdigest
//! ```
//!
//! ```
//! use auth_core::{AuthConfig, DigestAuth, Htdigest, Scheme};
//!
//! let users = Htdigest::new().with_password("ops", "orders-ops", "ops-dev-password")?;
//! let auth = AuthConfig::builder().digest(DigestAuth::new(users).allow_md5()).build()?;
//! assert!(auth.registered_schemes().contains(Scheme::Digest));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit as _, Mac as _};
use sha2::Digest as _;
use subtle::ConstantTimeEq as _;

use super::digest_nonces::{MemoryNonces, NonceAnswer, NonceStore, NonceUse};
use crate::error::ConfigError;
use crate::principal::Principal;
use crate::scheme::Scheme;
use crate::store::{StoreError, StoreFuture};

/// A hash algorithm of the Digest scheme.
///
/// ```
/// use auth_core::DigestAlgorithm;
/// assert_eq!(DigestAlgorithm::Sha256.name(), "SHA-256");
/// assert_eq!(DigestAlgorithm::Md5.hex(b"a"), "0cc175b9c0f1b6a831c399e269772661");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-256 (RFC 7616 §3.2), the default.
    Sha256,
    /// MD5, for old clients only ([`DigestAuth::allow_md5`]).
    Md5,
}

impl DigestAlgorithm {
    /// The name written in `algorithm=` (RFC 7616 §6.1).
    ///
    /// ```
    /// use auth_core::DigestAlgorithm;
    /// assert_eq!(DigestAlgorithm::Md5.name(), "MD5");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Md5 => "MD5",
        }
    }

    /// The algorithm named `name` (ASCII case-insensitively), if supported.
    ///
    /// ```
    /// use auth_core::DigestAlgorithm;
    /// assert_eq!(DigestAlgorithm::from_name("sha-256"), Some(DigestAlgorithm::Sha256));
    /// assert_eq!(DigestAlgorithm::from_name("SHA-512-256"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        [DigestAlgorithm::Sha256, DigestAlgorithm::Md5]
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name))
    }

    /// The lowercase hex digest of `data` (RFC 7616 §3.4.1: `H(data)`).
    ///
    /// ```
    /// use auth_core::DigestAlgorithm;
    /// assert_eq!(DigestAlgorithm::Sha256.hex(b"").len(), 64);
    /// ```
    pub fn hex(self, data: &[u8]) -> String {
        match self {
            DigestAlgorithm::Sha256 => hex(&sha2::Sha256::digest(data)),
            DigestAlgorithm::Md5 => hex(&md5::Md5::digest(data)),
        }
    }

    /// The length of its hex digests.
    const fn hex_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 64,
            DigestAlgorithm::Md5 => 32,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The `H(username ":" realm ":" password)` of `user`, the value a [`DigestVerifier`] stores.
///
/// ```
/// use auth_core::{digest_ha1, DigestAlgorithm};
/// // RFC 7616 §3.9.1's example user: H(A1) = MD5("Mufasa:http-auth@example.org:Circle of Life").
/// assert_eq!(
///     digest_ha1(DigestAlgorithm::Md5, "Mufasa", "http-auth@example.org", "Circle of Life"),
///     DigestAlgorithm::Md5.hex(b"Mufasa:http-auth@example.org:Circle of Life"),
/// );
/// ```
pub fn digest_ha1(algorithm: DigestAlgorithm, user: &str, realm: &str, password: &str) -> String {
    algorithm.hex(format!("{user}:{realm}:{password}").as_bytes())
}

/// The user a Digest answer names: in clear, or as `H(username ":" realm)` when the client
/// chose `userhash=true` (RFC 7616 §3.4.4).
///
/// ```
/// use auth_core::DigestUser;
/// let user = DigestUser::Name("ops");
/// assert_eq!(format!("{user:?}"), r#"Name("ops")"#);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestUser<'a> {
    /// The user name as sent.
    Name(&'a str),
    /// The hex `H(username ":" realm)` under the answer's algorithm.
    Hashed(&'a str),
}

/// What a [`DigestVerifier`] found.
///
/// ```
/// use auth_core::{DigestLookup, Principal, Scheme};
/// let found = DigestLookup::Found {
///     ha1: "0123abcd".into(),
///     principal: Principal::new(Scheme::Digest, Some("ops".into()), vec![], Default::default()),
/// };
/// assert!(matches!(found, DigestLookup::Found { .. }));
/// ```
#[derive(Debug)]
pub enum DigestLookup {
    /// The user exists and has a hash for the algorithm: its lowercase hex `H(A1)`, and the
    /// identity a right answer proves.
    Found {
        /// `H(username ":" realm ":" password)`, lowercase hex.
        ha1: String,
        /// The identity of the user.
        principal: Principal,
    },
    /// No such user (or none with a hash for this algorithm and realm). Answered exactly like a
    /// wrong password.
    Unknown,
    /// The store cannot decide now: 503 with `Retry-After`.
    Unavailable,
}

/// The future a [`DigestVerifier`] returns.
///
/// ```
/// use auth_core::{DigestFuture, DigestLookup};
/// let unknown: DigestFuture = Box::pin(async { DigestLookup::Unknown });
/// assert!(matches!(actix_web::rt::System::new().block_on(unknown), DigestLookup::Unknown));
/// ```
pub type DigestFuture = Pin<Box<dyn Future<Output = DigestLookup> + Send + 'static>>;

/// A user store for the Digest scheme: it looks a user up and hands back the stored `H(A1)`,
/// never needing the password.
///
/// ```
/// use auth_core::{digest_ha1, DigestAlgorithm, DigestFuture, DigestLookup, DigestUser, DigestVerifier, Principal, Scheme};
///
/// struct OneUser;
///
/// impl DigestVerifier for OneUser {
///     fn lookup(&self, user: DigestUser<'_>, realm: &str, algorithm: DigestAlgorithm) -> DigestFuture {
///         let found = match user {
///             DigestUser::Name("ops") => DigestLookup::Found {
///                 // A real store keeps the hash, not the password.
///                 ha1: digest_ha1(algorithm, "ops", realm, "correct horse"),
///                 principal: Principal::new(Scheme::Digest, Some("ops".into()), vec![], Default::default()),
///             },
///             _ => DigestLookup::Unknown,
///         };
///         Box::pin(async move { found })
///     }
/// }
/// ```
pub trait DigestVerifier: Send + Sync + 'static {
    /// Looks `user` up in `realm`, for `algorithm`.
    ///
    /// ```
    /// use auth_core::{DigestAlgorithm, DigestLookup, DigestUser, DigestVerifier, Htdigest};
    /// let users = Htdigest::new().with_password("ops", "ops-realm", "pw")?;
    /// let rt = actix_web::rt::System::new();
    /// let found = rt.block_on(users.lookup(DigestUser::Name("ops"), "ops-realm", DigestAlgorithm::Sha256));
    /// assert!(matches!(found, DigestLookup::Found { .. }));
    /// let other = rt.block_on(users.lookup(DigestUser::Name("ops"), "other", DigestAlgorithm::Sha256));
    /// assert!(matches!(other, DigestLookup::Unknown));
    /// # Ok::<(), auth_core::HtdigestError>(())
    /// ```
    fn lookup(&self, user: DigestUser<'_>, realm: &str, algorithm: DigestAlgorithm)
    -> DigestFuture;

    /// Whether [`lookup`](Self::lookup) finds users by `H(username ":" realm)`, so challenges
    /// may offer `userhash=true`. The default is no.
    ///
    /// ```
    /// use auth_core::{DigestVerifier, Htdigest};
    /// assert!(Htdigest::new().supports_userhash());
    /// ```
    fn supports_userhash(&self) -> bool {
        false
    }

    /// Whether the store holds hashes of `algorithm` at all. Challenges offer only those
    /// algorithms (a client answering the first challenge it can, as curl does, must not be
    /// led to one its user has no hash for: an `htdigest` file holds MD5 only). The default
    /// is yes.
    ///
    /// ```
    /// use auth_core::{DigestAlgorithm, DigestVerifier, Htdigest};
    /// // Written by `htdigest`: MD5 only.
    /// let users = Htdigest::parse("alice:orders-ops:7ee6a41dbf0642c4bb452eff94dbd12e\n")?;
    /// assert!(users.holds(DigestAlgorithm::Md5));
    /// assert!(!users.holds(DigestAlgorithm::Sha256));
    /// # Ok::<(), auth_core::HtdigestError>(())
    /// ```
    fn holds(&self, algorithm: DigestAlgorithm) -> bool {
        let _ = algorithm;
        true
    }
}

impl<T: DigestVerifier + ?Sized> DigestVerifier for Arc<T> {
    fn lookup(
        &self,
        user: DigestUser<'_>,
        realm: &str,
        algorithm: DigestAlgorithm,
    ) -> DigestFuture {
        (**self).lookup(user, realm, algorithm)
    }

    fn supports_userhash(&self) -> bool {
        (**self).supports_userhash()
    }

    fn holds(&self, algorithm: DigestAlgorithm) -> bool {
        (**self).holds(algorithm)
    }
}

/// Why an `htdigest` file could not be read.
///
/// ```
/// use auth_core::{Htdigest, HtdigestError};
/// assert!(matches!(Htdigest::parse("no colons here"), Err(HtdigestError::Line(1))));
/// ```
#[derive(Debug, thiserror::Error)]
pub enum HtdigestError {
    /// The file could not be read.
    #[error("cannot read the htdigest file: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not `user:realm:hash` with a 32- (MD5) or 64-digit (SHA-256) hex hash.
    #[error("line {0} is not user:realm:hash with an MD5 or SHA-256 hex hash")]
    Line(usize),
    /// A user name or realm given to [`Htdigest::with_password`] is empty (a user name) or
    /// holds a `:`, which `user:realm` cannot tell apart (`a:b` in `c` is `a` in `b:c`).
    #[error("a digest user name must be non-empty and neither it nor the realm may hold ':'")]
    Name,
}

/// Digest users from the lines of an Apache `htdigest` file, `user:realm:H(user:realm:password)`
/// (MD5, 32 hex digits), or the same with a SHA-256 hash (64 digits). A user may have one line
/// of each.
///
/// ```
/// use auth_core::Htdigest;
/// // Written by `htdigest -c users orders-ops alice` (password `wonderland-42`).
/// let users = Htdigest::parse("alice:orders-ops:7ee6a41dbf0642c4bb452eff94dbd12e\n")?;
/// assert_eq!(users.len(), 1);
/// # Ok::<(), auth_core::HtdigestError>(())
/// ```
#[derive(Clone, Default)]
pub struct Htdigest {
    /// (user, realm, algorithm) → H(A1).
    hashes: HashMap<(String, String, DigestAlgorithm), String>,
    /// (H(user:realm), realm, algorithm) → user, for `userhash=true`: a hash answers only
    /// in the realm it was made for.
    by_userhash: HashMap<(String, String, DigestAlgorithm), String>,
}

impl fmt::Debug for Htdigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Htdigest")
            .field("entries", &self.hashes.len())
            .finish_non_exhaustive()
    }
}

impl Htdigest {
    /// A store with no user.
    ///
    /// ```
    /// use auth_core::Htdigest;
    /// assert!(Htdigest::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads the file at `path`.
    ///
    /// ```no_run
    /// use auth_core::Htdigest;
    /// let users = Htdigest::from_path("/etc/orders/ops.htdigest")?;
    /// # Ok::<(), auth_core::HtdigestError>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, HtdigestError> {
        Self::parse(&std::fs::read_to_string(path)?)
    }

    /// Parses `htdigest` lines; blank lines and lines starting with `#` are skipped.
    ///
    /// ```
    /// use auth_core::Htdigest;
    /// let sha256 = "ops:r:".to_owned() + &"ab".repeat(32);
    /// let users = Htdigest::parse(&format!("# ops\n\n{sha256}\n"))?;
    /// assert_eq!(users.len(), 1);
    /// assert!(Htdigest::parse("ops:r:abc").is_err());
    /// # Ok::<(), auth_core::HtdigestError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, HtdigestError> {
        let mut users = Htdigest::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.splitn(3, ':');
            let (Some(user), Some(realm), Some(hash)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(HtdigestError::Line(i + 1));
            };
            let algorithm = match hash.len() {
                32 => DigestAlgorithm::Md5,
                64 => DigestAlgorithm::Sha256,
                _ => return Err(HtdigestError::Line(i + 1)),
            };
            if user.is_empty() || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(HtdigestError::Line(i + 1));
            }
            users.insert(user, realm, algorithm, hash.to_ascii_lowercase());
        }
        Ok(users)
    }

    /// This store with `user` added in `realm` under both algorithms, hashed from `password`
    /// (for development users and tests; production stores keep hashes only).
    ///
    /// ```
    /// use auth_core::Htdigest;
    /// let users = Htdigest::new().with_password("ops", "orders-ops", "ops-dev-password")?;
    /// assert_eq!(users.len(), 2); // an MD5 and a SHA-256 hash
    /// assert!(Htdigest::new().with_password("a:b", "c", "pw").is_err());
    /// # Ok::<(), auth_core::HtdigestError>(())
    /// ```
    pub fn with_password(
        mut self,
        user: &str,
        realm: &str,
        password: &str,
    ) -> Result<Self, HtdigestError> {
        if user.is_empty() || user.contains(':') || realm.contains(':') {
            return Err(HtdigestError::Name);
        }
        for algorithm in [DigestAlgorithm::Sha256, DigestAlgorithm::Md5] {
            let ha1 = digest_ha1(algorithm, user, realm, password);
            self.insert(user, realm, algorithm, ha1);
        }
        Ok(self)
    }

    fn insert(&mut self, user: &str, realm: &str, algorithm: DigestAlgorithm, ha1: String) {
        let userhash = algorithm.hex(format!("{user}:{realm}").as_bytes());
        self.by_userhash
            .insert((userhash, realm.to_owned(), algorithm), user.to_owned());
        self.hashes
            .insert((user.to_owned(), realm.to_owned(), algorithm), ha1);
    }

    /// The number of hashes held.
    ///
    /// ```
    /// use auth_core::Htdigest;
    /// assert_eq!(Htdigest::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the store holds no hash.
    ///
    /// ```
    /// use auth_core::Htdigest;
    /// assert!(Htdigest::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    fn find(&self, user: DigestUser<'_>, realm: &str, algorithm: DigestAlgorithm) -> DigestLookup {
        let name = match user {
            DigestUser::Name(name) => Some(name),
            DigestUser::Hashed(hash) => self
                .by_userhash
                .get(&(hash.to_ascii_lowercase(), realm.to_owned(), algorithm))
                .map(String::as_str),
        };
        let found = name.and_then(|name| {
            let ha1 = self
                .hashes
                .get(&(name.to_owned(), realm.to_owned(), algorithm))?;
            Some((name, ha1))
        });
        match found {
            Some((name, ha1)) => DigestLookup::Found {
                ha1: ha1.clone(),
                principal: Principal::new(
                    Scheme::Digest,
                    Some(name.to_owned()),
                    Vec::new(),
                    Default::default(),
                ),
            },
            None => DigestLookup::Unknown,
        }
    }
}

impl DigestVerifier for Htdigest {
    fn lookup(
        &self,
        user: DigestUser<'_>,
        realm: &str,
        algorithm: DigestAlgorithm,
    ) -> DigestFuture {
        let found = self.find(user, realm, algorithm);
        Box::pin(std::future::ready(found))
    }

    fn supports_userhash(&self) -> bool {
        true
    }

    fn holds(&self, algorithm: DigestAlgorithm) -> bool {
        self.hashes.keys().any(|(_, _, a)| *a == algorithm)
    }
}

/// The default lifetime of a nonce.
///
/// ```
/// assert_eq!(auth_core::verify::digest::DEFAULT_NONCE_LIFETIME.as_secs(), 300);
/// ```
pub const DEFAULT_NONCE_LIFETIME: Duration = Duration::from_secs(300);

/// The longest nonce lifetime `build` accepts: replay memories may forget after a day.
///
/// ```
/// use std::time::Duration;
/// use auth_core::{AuthConfig, DigestAuth, Htdigest};
/// assert_eq!(auth_core::verify::digest::MAX_NONCE_LIFETIME.as_secs(), 86_400);
/// let long = DigestAuth::new(Htdigest::new()).nonce_lifetime(Duration::from_secs(90_000));
/// assert!(AuthConfig::builder().digest(long).build().is_err());
/// ```
pub const MAX_NONCE_LIFETIME: Duration = Duration::from_secs(86_400);

/// The settings of the Digest scheme: the user store, the algorithms offered, the nonce
/// secret and lifetime.
///
/// ```
/// use std::time::Duration;
/// use auth_core::{AuthConfig, DigestAuth, Htdigest};
///
/// let digest = DigestAuth::new(Htdigest::new().with_password("ops", "ops", "pw")?)
///     .allow_md5()
///     .nonce_lifetime(Duration::from_secs(120))
///     .nonce_secret(b"a secret shared by the fleet, 32+ bytes long");
/// let auth = AuthConfig::builder().digest(digest).build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct DigestAuth {
    verifier: Arc<dyn DigestVerifier>,
    algorithms: Vec<DigestAlgorithm>,
    lifetime: Duration,
    secret: Arc<[u8]>,
    counter: Arc<AtomicU64>,
    nonces: Arc<dyn NonceStore>,
}

impl fmt::Debug for DigestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestAuth")
            .field("algorithms", &self.algorithms)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl DigestAuth {
    /// SHA-256 only, nonces living [`DEFAULT_NONCE_LIFETIME`], sealed with a random secret of
    /// this process (set [`nonce_secret`](Self::nonce_secret) for a fleet).
    ///
    /// ```
    /// use auth_core::{DigestAlgorithm, DigestAuth, Htdigest};
    /// let digest = DigestAuth::new(Htdigest::new());
    /// assert_eq!(digest.algorithms(), [DigestAlgorithm::Sha256]);
    /// ```
    pub fn new(verifier: impl DigestVerifier) -> Self {
        let mut secret = [0u8; 32];
        // Without OS randomness the secret stays all-zero, and `build` refuses it.
        let _ = getrandom::fill(&mut secret);
        // A random start, so instances sharing a secret do not issue the same nonces.
        let mut start = [0u8; 8];
        let _ = getrandom::fill(&mut start);
        DigestAuth {
            verifier: Arc::new(verifier),
            algorithms: vec![DigestAlgorithm::Sha256],
            lifetime: DEFAULT_NONCE_LIFETIME,
            secret: Arc::from(&secret[..]),
            counter: Arc::new(AtomicU64::new(u64::from_be_bytes(start))),
            nonces: Arc::new(MemoryNonces::new()),
        }
    }

    /// Also offers MD5 (after SHA-256), for clients that know nothing better and for
    /// `htdigest` files.
    ///
    /// ```
    /// use auth_core::{DigestAlgorithm, DigestAuth, Htdigest};
    /// let digest = DigestAuth::new(Htdigest::new()).allow_md5();
    /// assert_eq!(digest.algorithms(), [DigestAlgorithm::Sha256, DigestAlgorithm::Md5]);
    /// ```
    pub fn allow_md5(mut self) -> Self {
        if !self.algorithms.contains(&DigestAlgorithm::Md5) {
            self.algorithms.push(DigestAlgorithm::Md5);
        }
        self
    }

    /// How long a nonce may be answered with (then `stale=true`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::{DigestAuth, Htdigest};
    /// let digest = DigestAuth::new(Htdigest::new()).nonce_lifetime(Duration::from_secs(60));
    /// assert_eq!(digest.lifetime(), Duration::from_secs(60));
    /// ```
    pub fn nonce_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    /// The secret nonces are sealed with: the same on every instance of a fleet, so a nonce
    /// one issued is good on all (at least 32 bytes; checked by `build`). Give the fleet a
    /// shared [`nonce_store`](Self::nonce_store) too, or a request captured from one instance
    /// can be replayed once to each other instance within the nonce lifetime.
    ///
    /// ```
    /// use auth_core::{AuthConfig, DigestAuth, Htdigest};
    /// let short = DigestAuth::new(Htdigest::new()).nonce_secret(b"short");
    /// assert!(AuthConfig::builder().digest(short).build().is_err());
    /// ```
    pub fn nonce_secret(mut self, secret: &[u8]) -> Self {
        self.secret = Arc::from(secret);
        self
    }

    /// Where answered (`nonce`, `nc`) pairs are remembered (default: a [`MemoryNonces`] of
    /// this process, shared by the clones of this `DigestAuth`). A store that cannot answer
    /// refuses the answer with 503: replay protection fails closed.
    ///
    /// ```
    /// use auth_core::verify::digest_nonces::MemoryNonces;
    /// use auth_core::{DigestAuth, Htdigest};
    /// let digest = DigestAuth::new(Htdigest::new()).nonce_store(MemoryNonces::new().per_user(16));
    /// # let _ = digest;
    /// ```
    pub fn nonce_store(mut self, store: impl NonceStore) -> Self {
        self.nonces = Arc::new(store);
        self
    }

    /// The algorithms challenges offer, most preferred first: those enabled that the store
    /// holds hashes of (all enabled ones if it holds none of them).
    pub(crate) fn offered(&self) -> Vec<DigestAlgorithm> {
        let held: Vec<_> = self
            .algorithms
            .iter()
            .copied()
            .filter(|a| self.verifier.holds(*a))
            .collect();
        if held.is_empty() {
            self.algorithms.clone()
        } else {
            held
        }
    }

    /// The algorithms enabled, most preferred first.
    ///
    /// ```
    /// use auth_core::{DigestAlgorithm, DigestAuth, Htdigest};
    /// assert_eq!(DigestAuth::new(Htdigest::new()).algorithms()[0], DigestAlgorithm::Sha256);
    /// ```
    pub fn algorithms(&self) -> &[DigestAlgorithm] {
        &self.algorithms
    }

    /// The lifetime of a nonce.
    ///
    /// ```
    /// use auth_core::{DigestAuth, Htdigest};
    /// assert_eq!(DigestAuth::new(Htdigest::new()).lifetime().as_secs(), 300);
    /// ```
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Checks the settings (called by `AuthConfigBuilder::build`).
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.secret.len() < 32 || self.secret.iter().all(|b| *b == 0) {
            return Err(ConfigError::InvalidSetting {
                what: "digest nonce secret",
                detail: "must be at least 32 bytes, not all zero".into(),
            });
        }
        if self.lifetime.is_zero() || self.lifetime > MAX_NONCE_LIFETIME {
            return Err(ConfigError::InvalidSetting {
                what: "digest nonce lifetime",
                detail: "must be positive and at most a day".into(),
            });
        }
        Ok(())
    }

    pub(crate) fn verifier(&self) -> &Arc<dyn DigestVerifier> {
        &self.verifier
    }

    /// A fresh nonce for `realm`.
    pub(crate) fn nonce(&self, realm: &str) -> String {
        let mut sealed = [0u8; NONCE_LEN];
        sealed[..8].copy_from_slice(&now_secs().to_be_bytes());
        let serial = self.counter.fetch_add(1, Ordering::Relaxed);
        sealed[8..16].copy_from_slice(&serial.to_be_bytes());
        let tag = self.tag(&sealed[..16], realm);
        sealed[16..].copy_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(sealed)
    }

    /// The `opaque` of `realm`'s challenges (fixed per secret and realm).
    pub(crate) fn opaque(&self, realm: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.tag(b"opaque", realm))
    }

    fn tag(&self, data: &[u8], realm: &str) -> [u8; 16] {
        let mut tag = [0u8; 16];
        if let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.secret) {
            mac.update(data);
            mac.update(b"\0");
            mac.update(realm.as_bytes());
            tag.copy_from_slice(&mac.finalize().into_bytes()[..16]);
        }
        tag
    }

    /// Checks that `nonce` was issued under this secret for `realm`, and how old it is; `Err`
    /// when forged or malformed.
    pub(crate) fn check_nonce(&self, nonce: &str, realm: &str) -> Result<NonceAge, ()> {
        let mut sealed = [0u8; NONCE_LEN];
        match URL_SAFE_NO_PAD.decode_slice(nonce, &mut sealed) {
            Ok(NONCE_LEN) => {}
            _ => return Err(()),
        }
        let tag = self.tag(&sealed[..16], realm);
        if !bool::from(tag.ct_eq(&sealed[16..])) {
            return Err(());
        }
        let mut issued = [0u8; 8];
        issued.copy_from_slice(&sealed[..8]);
        let issued = u64::from_be_bytes(issued);
        let expires = issued.saturating_add(self.lifetime.as_secs());
        let id = u128::from_be_bytes(tag);
        Ok(if now_secs() < expires {
            NonceAge::Fresh {
                id,
                issued,
                expires,
            }
        } else {
            NonceAge::Expired
        })
    }

    /// Records an answer by `user` with (`nonce`, `nc`) in the replay memory.
    pub(crate) fn record(
        &self,
        age: NonceAge,
        nc: u32,
        user: &str,
    ) -> Option<StoreFuture<Result<NonceUse, StoreError>>> {
        let NonceAge::Fresh {
            id,
            issued,
            expires,
        } = age
        else {
            return None;
        };
        Some(
            self.nonces
                .record(&NonceAnswer::new(id, issued, expires, nc, user)),
        )
    }
}

const NONCE_LEN: usize = 32;

/// How old a genuine nonce is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NonceAge {
    /// Within its lifetime: its id (the tag), when it was issued and when it expires.
    Fresh { id: u128, issued: u64, expires: u64 },
    /// Past its lifetime.
    Expired,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The hex length of `algorithm`'s digests (for checking a `response`'s shape).
pub(crate) fn hex_len(algorithm: DigestAlgorithm) -> usize {
    algorithm.hex_len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_verify_only_for_their_realm_and_secret() {
        let digest = DigestAuth::new(Htdigest::new());
        let nonce = digest.nonce("r");
        assert!(matches!(
            digest.check_nonce(&nonce, "r"),
            Ok(NonceAge::Fresh { .. })
        ));
        assert!(digest.check_nonce(&nonce, "other").is_err());
        let other = DigestAuth::new(Htdigest::new());
        assert!(other.check_nonce(&nonce, "r").is_err());
        assert_ne!(digest.nonce("r"), nonce, "every nonce is new");
        let mut tampered = nonce.into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap_or_default();
        assert!(digest.check_nonce(&tampered, "r").is_err());
    }

    #[test]
    fn a_hashed_user_name_answers_only_in_the_realm_it_was_made_for() {
        let users = Htdigest::new()
            .with_password("ops", "one", "pw")
            .and_then(|u| u.with_password("ops", "two", "pw"));
        let Ok(users) = users else {
            panic!("valid names refused");
        };
        let alg = DigestAlgorithm::Sha256;
        let hashed = alg.hex(b"ops:one");
        let found = |realm| users.find(DigestUser::Hashed(&hashed), realm, alg);
        assert!(matches!(found("one"), DigestLookup::Found { .. }));
        assert!(matches!(found("two"), DigestLookup::Unknown));
        assert!(matches!(
            Htdigest::new().with_password("", "r", "pw"),
            Err(HtdigestError::Name)
        ));
        assert!(matches!(
            Htdigest::new().with_password("ops", "a:b", "pw"),
            Err(HtdigestError::Name)
        ));
    }

    #[test]
    fn rfc_7616_example_hashes() {
        // RFC 7616 §3.9.1: Mufasa / "Circle of Life", realm http-auth@example.org.
        let ha1 = digest_ha1(
            DigestAlgorithm::Sha256,
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
        );
        let ha2 = DigestAlgorithm::Sha256.hex(b"GET:/dir/index.html");
        let response = DigestAlgorithm::Sha256.hex(
            format!(
                "{ha1}:7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:00000001:\
                 f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ:auth:{ha2}"
            )
            .as_bytes(),
        );
        assert_eq!(
            response,
            "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
        );
        let md5 = DigestAlgorithm::Md5;
        let ha1 = digest_ha1(md5, "Mufasa", "http-auth@example.org", "Circle of Life");
        let ha2 = md5.hex(b"GET:/dir/index.html");
        let response = md5.hex(
            format!(
                "{ha1}:7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v:00000001:\
                 f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ:auth:{ha2}"
            )
            .as_bytes(),
        );
        assert_eq!(response, "8ca523f5e9506fed4657c9700eebdbec");
    }
}
