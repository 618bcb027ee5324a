//! The state seam of introspection: answers a fleet shares, so a token introspected by one
//! instance costs the others no call to the authorization server. The
//! [`RedisStore`](crate::redis_store::RedisStore) implements it (feature `redis`).
//!
//! This store is a cache in front of the authorization server, which stays the only source of
//! truth: a store that cannot answer **fails open to the server** (the answer is asked for
//! again, the failure logged and counted), never to an acceptance. Each instance keeps its own
//! in-memory cache in front of the store, so a token seen before on this instance never waits
//! on the store; a token new to this instance waits on one store read instead of a call to the
//! authorization server.
//!
//! Entries are keyed by a SHA-256 digest of the token (the store never holds a token) and hold
//! the server's answer as it was received (its claims: personal data, under the store's ACL),
//! re-checked by each reader, so an entry can never outlive the token's `exp`.

use std::fmt;
use std::time::SystemTime;

use crate::store::{StoreError, StoreFuture};

/// A SHA-256 digest of a token: what introspection answers are cached under.
///
/// ```
/// use auth_core::verify::introspection_store::TokenDigest;
/// let digest = TokenDigest::of("an-opaque-token");
/// assert_eq!(digest.hex().len(), 64);
/// assert_eq!(digest, TokenDigest::of("an-opaque-token"));
/// assert_ne!(digest, TokenDigest::of("another-token"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest([u8; 32]);

impl TokenDigest {
    /// The digest of `token`.
    ///
    /// ```
    /// # use auth_core::verify::introspection_store::TokenDigest;
    /// assert_eq!(TokenDigest::of("t").as_bytes().len(), 32);
    /// ```
    pub fn of(token: &str) -> Self {
        // aws-lc's SHA-256 (assembly, SHA extensions where the CPU has them): this runs on
        // every request carrying an opaque token, cache hits included.
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(digest.as_ref());
        TokenDigest(bytes)
    }

    /// The 32 bytes.
    ///
    /// ```
    /// # use auth_core::verify::introspection_store::TokenDigest;
    /// assert_ne!(TokenDigest::of("t").as_bytes(), &[0u8; 32]);
    /// ```
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, for a store's key.
    ///
    /// ```
    /// # use auth_core::verify::introspection_store::TokenDigest;
    /// assert!(TokenDigest::of("t").hex().bytes().all(|b| b.is_ascii_hexdigit()));
    /// ```
    pub fn hex(&self) -> String {
        use std::fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

impl fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the token, but no need to print all of it either.
        write!(f, "TokenDigest({}…)", &self.hex()[..8])
    }
}

/// Introspection answers shared by a fleet: what
/// [`IntrospectionBuilder::shared_cache`](crate::IntrospectionBuilder::shared_cache) takes.
///
/// `get` answers the body the authorization server sent for the token (`None`: not cached);
/// `put` keeps it until `until` (the earlier of the token's `exp` and the verifier's bound).
/// Both run off the request path's critical section (on the verifier's own runtime), and
/// their errors fall back to asking the authorization server.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::SystemTime;
/// use auth_core::store::{StoreError, StoreFuture};
/// use auth_core::verify::introspection_store::{IntrospectionStore, TokenDigest};
///
/// /// A sketch of a shared cache (a real one lives in another process and honours `until`).
/// #[derive(Debug, Default)]
/// struct Shared(Mutex<HashMap<TokenDigest, Vec<u8>>>);
/// impl IntrospectionStore for Shared {
///     fn get(&self, token: TokenDigest) -> StoreFuture<Result<Option<Vec<u8>>, StoreError>> {
///         let found = self.0.lock().unwrap().get(&token).cloned();
///         Box::pin(std::future::ready(Ok(found)))
///     }
///     fn put(&self, token: TokenDigest, answer: Vec<u8>, _until: SystemTime) -> StoreFuture<Result<(), StoreError>> {
///         self.0.lock().unwrap().insert(token, answer);
///         Box::pin(std::future::ready(Ok(())))
///     }
/// }
/// let store = Shared::default();
/// let digest = TokenDigest::of("t");
/// let _ = store.put(digest, br#"{"active":false}"#.to_vec(), SystemTime::now());
/// assert!(store.0.lock().unwrap().contains_key(&digest));
/// ```
pub trait IntrospectionStore: fmt::Debug + Send + Sync + 'static {
    /// The answer cached for the token, if any and not past its `until`.
    fn get(&self, token: TokenDigest) -> StoreFuture<Result<Option<Vec<u8>>, StoreError>>;

    /// Caches `answer` (the server's JSON body) for the token until `until`.
    fn put(
        &self,
        token: TokenDigest,
        answer: Vec<u8>,
        until: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>>;
}
