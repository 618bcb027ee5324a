//! The replay memory of DPoP: which proofs (key thumbprint, `jti`) were accepted within the
//! proof window (RFC 9449 §11.1), behind the store seam ([`crate::store`]), so a fleet can
//! share it.
//!
//! A proof is recorded only after every other check of the request passed (its signature, its
//! claims, the access token and its binding), so only the holder of a bound token and its key
//! can write here, and a forged proof costs no memory.
//!
//! **How a use fails.** Replay protection fails closed: when the store cannot answer, or is
//! full of live proofs, the request is refused with 503 `temporarily_unavailable` and
//! `Retry-After`, never accepted unchecked.
//!
//! **Bounded.** A proof is remembered until the end of its acceptance window (its `iat` plus
//! the configured maximum age), as a 128-bit digest of (thumbprint, `jti`) with its key's digest: about 70 bytes
//! per proof, whatever the client sent (its `jti` is length-capped before this point).
//! [`MemoryProofs`] holds at most its capacity (by default [`MAX_REMEMBERED_PROOFS`]) and
//! sweeps expired entries at most once a second (they expire by the second), so a flood
//! against a full memory costs a hash lookup per proof, not a scan.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest as _, Sha256};

use crate::store::{StoreError, StoreFuture};

/// The most live proofs [`MemoryProofs::new`] remembers. A proof is remembered for up to two
/// minutes at the default window (its age, a minute, plus the leeway for clocks a minute
/// behind), so this is room for about 8 700 DPoP requests a second, in about 70 MiB when full
/// (measured: `cargo run --release -p auth-bench --bin dpop-flood`).
///
/// ```
/// assert_eq!(auth_core::verify::dpop_replay::MAX_REMEMBERED_PROOFS, 1 << 20);
/// ```
pub const MAX_REMEMBERED_PROOFS: usize = 1 << 20;

/// The identity of one proof: a digest of its key's thumbprint and its `jti`, so two keys
/// choosing the same `jti` never collide and the store never holds client text.
///
/// ```
/// use auth_core::verify::dpop_replay::ProofId;
/// let a = ProofId::new("thumbprint-a", "jti-1");
/// assert_eq!(a, ProofId::new("thumbprint-a", "jti-1"));
/// assert_ne!(a, ProofId::new("thumbprint-b", "jti-1"));
/// assert_ne!(a, ProofId::new("thumbprint-a", "jti-2"));
/// assert_eq!(a.hex().len(), 32);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProofId {
    /// The proof: a digest of (thumbprint, `jti`).
    id: u128,
    /// Its key: a digest of the thumbprint alone (for the per-key share of a memory).
    key: u64,
}

impl ProofId {
    /// The identity of the proof with `jti` made by the key with RFC 7638 `thumbprint`.
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::ProofId;
    /// // The separator keeps ("ab", "c") and ("a", "bc") apart.
    /// assert_ne!(ProofId::new("ab", "c"), ProofId::new("a", "bc"));
    /// ```
    pub fn new(thumbprint: &str, jti: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(thumbprint.as_bytes());
        hash.update([0]);
        hash.update(jti.as_bytes());
        let digest = hash.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        let key = Sha256::digest(thumbprint.as_bytes());
        let mut key_bytes = [0u8; 8];
        key_bytes.copy_from_slice(&key[..8]);
        ProofId {
            id: u128::from_be_bytes(first),
            key: u64::from_be_bytes(key_bytes),
        }
    }

    /// The identity as 32 lower-case hex digits (a network store's key).
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::ProofId;
    /// assert!(ProofId::new("t", "j").hex().bytes().all(|b| b.is_ascii_hexdigit()));
    /// ```
    pub fn hex(&self) -> String {
        format!("{:032x}", self.id)
    }
}

impl fmt::Debug for ProofId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProofId({})", self.hex())
    }
}

/// What the store says of a proof.
///
/// ```
/// use auth_core::verify::dpop_replay::ProofUse;
/// assert_ne!(ProofUse::First, ProofUse::Replayed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProofUse {
    /// Never seen: remembered now, and the request goes on.
    First,
    /// Seen before within its window: a replay, refused with `invalid_dpop_proof`.
    Replayed,
}

/// Where the DPoP scheme remembers accepted proofs.
///
/// There is no synchronous read: a proof cannot be accepted before the store has recorded it
/// (a local view would let a replay through on another instance), so a DPoP request waits for
/// this write; [`MemoryProofs`] answers at once, a network store after one round trip.
///
/// ```
/// use futures_util::FutureExt as _;
/// use std::time::{Duration, SystemTime};
/// use auth_core::verify::dpop_replay::{MemoryProofs, ProofId, ProofReplayStore, ProofUse};
///
/// let store = MemoryProofs::new();
/// let id = ProofId::new("thumbprint", "jti-1");
/// let until = SystemTime::now() + Duration::from_secs(60);
/// assert_eq!(store.record(id, until).now_or_never(), Some(Ok(ProofUse::First)));
/// assert_eq!(store.record(id, until).now_or_never(), Some(Ok(ProofUse::Replayed)));
/// ```
pub trait ProofReplayStore: fmt::Debug + Send + Sync + 'static {
    /// Records the proof `id`, to be remembered until `expires` (the end of its window): whether
    /// it was new. An error refuses the request with 503 (fail closed).
    ///
    /// ```
    /// use futures_util::FutureExt as _;
    /// use std::time::SystemTime;
    /// use auth_core::verify::dpop_replay::{MemoryProofs, ProofId, ProofReplayStore, ProofUse};
    /// let store = MemoryProofs::new();
    /// // Already expired: nothing to remember, and nothing it could be a replay of.
    /// let past = SystemTime::UNIX_EPOCH;
    /// assert_eq!(store.record(ProofId::new("t", "j"), past).now_or_never(), Some(Ok(ProofUse::First)));
    /// assert_eq!(store.len(), 0);
    /// ```
    fn record(&self, id: ProofId, expires: SystemTime)
    -> StoreFuture<Result<ProofUse, StoreError>>;
}

/// The embedded replay memory, for one process (the default).
///
/// ```
/// use auth_core::verify::dpop_replay::MemoryProofs;
/// let store = MemoryProofs::with_capacity(1000);
/// assert_eq!(store.capacity(), 1000);
/// assert!(store.is_empty());
/// ```
pub struct MemoryProofs {
    capacity: usize,
    per_key: usize,
    state: Mutex<State>,
}

struct State {
    /// Proof id → (end of its window in Unix seconds, its key).
    live: HashMap<u128, (u64, u64), foldhash::fast::RandomState>,
    /// Key → how many of its proofs are live.
    keys: HashMap<u64, u32, foldhash::fast::RandomState>,
    /// When expired entries were last swept, in Unix seconds.
    swept: u64,
}

impl MemoryProofs {
    /// A memory of at most [`MAX_REMEMBERED_PROOFS`] live proofs.
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::{MemoryProofs, MAX_REMEMBERED_PROOFS};
    /// assert_eq!(MemoryProofs::new().capacity(), MAX_REMEMBERED_PROOFS);
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(MAX_REMEMBERED_PROOFS)
    }

    /// A memory of at most `capacity` live proofs (at least one): when they are all live, new
    /// proofs are refused with 503 until some expire.
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::MemoryProofs;
    /// assert_eq!(MemoryProofs::with_capacity(0).capacity(), 1);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        MemoryProofs {
            capacity,
            per_key: (capacity / 16).max(capacity.min(4096)),
            state: Mutex::new(State {
                live: HashMap::default(),
                keys: HashMap::default(),
                swept: 0,
            }),
        }
    }

    /// At most `proofs` live proofs of one key (default: a sixteenth of the capacity, or the
    /// whole of a memory of at most 4 096): one client — any holder of a bound token is one —
    /// cannot fill the memory for everyone with proofs of its own key. Past it, that key's new
    /// proofs get 503 until some expire; other keys are not affected.
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::{MemoryProofs, ProofId, ProofUse};
    /// let store = MemoryProofs::with_capacity(100).per_key(2);
    /// assert_eq!(store.record_at(ProofId::new("k", "1"), 200, 100), Ok(ProofUse::First));
    /// assert_eq!(store.record_at(ProofId::new("k", "2"), 200, 100), Ok(ProofUse::First));
    /// assert!(store.record_at(ProofId::new("k", "3"), 200, 100).is_err());
    /// assert_eq!(store.record_at(ProofId::new("another key", "3"), 200, 100), Ok(ProofUse::First));
    /// ```
    pub fn per_key(mut self, proofs: usize) -> Self {
        self.per_key = proofs.clamp(1, self.capacity);
        self
    }

    /// The bound, in proofs.
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::MemoryProofs;
    /// assert_eq!(MemoryProofs::with_capacity(8).capacity(), 8);
    /// ```
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many proofs are remembered now (expired ones included until the next sweep).
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::MemoryProofs;
    /// assert_eq!(MemoryProofs::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    /// Whether no proof is remembered.
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::MemoryProofs;
    /// assert!(MemoryProofs::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records `id` until `expires` at the wall-clock second `now` (the trait's method, with
    /// the clock given: for tests of expiry).
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::{MemoryProofs, ProofId, ProofUse};
    /// let store = MemoryProofs::new();
    /// let id = ProofId::new("t", "j");
    /// assert_eq!(store.record_at(id, 160, 100), Ok(ProofUse::First));
    /// assert_eq!(store.record_at(id, 160, 159), Ok(ProofUse::Replayed));
    /// // Past its window the proof is forgotten (and its `iat` is then refused as too old).
    /// assert_eq!(store.record_at(ProofId::new("t", "other"), 300, 161), Ok(ProofUse::First));
    /// assert_eq!(store.len(), 1);
    /// ```
    pub fn record_at(&self, id: ProofId, expires: u64, now: u64) -> Result<ProofUse, StoreError> {
        if expires <= now {
            return Ok(ProofUse::First);
        }
        let mut guard = self.lock();
        let State { live, keys, swept } = &mut *guard;
        // Entries expire by the second, so one sweep per second finds them all: sweeping again
        // within the second (say, on every proof while full) would cost a scan of the whole
        // memory per request for nothing.
        if now > *swept {
            live.retain(|_, (until, key)| {
                let keep = *until > now;
                if !keep && let Some(count) = keys.get_mut(key) {
                    *count = count.saturating_sub(1);
                }
                keep
            });
            keys.retain(|_, count| *count > 0);
            *swept = now;
        }
        match live.get(&id.id) {
            Some((until, _)) if *until > now => return Ok(ProofUse::Replayed),
            _ => {}
        }
        if live.len() >= self.capacity {
            return Err(StoreError::Full {
                capacity: self.capacity,
            });
        }
        let count = keys.entry(id.key).or_insert(0);
        if *count as usize >= self.per_key {
            return Err(StoreError::Full {
                capacity: self.per_key,
            });
        }
        *count += 1;
        if let Some((_, old_key)) = live.insert(id.id, (expires, id.key))
            && let Some(old) = keys.get_mut(&old_key)
        {
            // An expired entry of the same id, not yet swept: its count goes with it.
            *old = old.saturating_sub(1);
        }
        Ok(ProofUse::First)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for MemoryProofs {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryProofs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryProofs")
            .field("capacity", &self.capacity)
            .field("per_key", &self.per_key)
            .field("len", &self.len())
            .finish()
    }
}

impl ProofReplayStore for MemoryProofs {
    fn record(
        &self,
        id: ProofId,
        expires: SystemTime,
    ) -> StoreFuture<Result<ProofUse, StoreError>> {
        let secs = |t: SystemTime| {
            t.duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs()
        };
        let answer = self.record_at(id, secs(expires), secs(SystemTime::now()));
        Box::pin(std::future::ready(answer))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_of_live_proofs_fails_closed_then_recovers_when_they_expire() {
        let store = MemoryProofs::with_capacity(3);
        for jti in ["a", "b", "c"] {
            assert_eq!(
                store.record_at(ProofId::new("k", jti), 200, 100),
                Ok(ProofUse::First)
            );
        }
        assert_eq!(
            store.record_at(ProofId::new("k", "d"), 200, 100),
            Err(StoreError::Full { capacity: 3 })
        );
        // A replay is still told apart when full.
        assert_eq!(
            store.record_at(ProofId::new("k", "a"), 200, 100),
            Ok(ProofUse::Replayed)
        );
        assert_eq!(
            store.record_at(ProofId::new("k", "d"), 300, 200),
            Ok(ProofUse::First)
        );
        assert_eq!(store.len(), 1, "expired entries were swept");
    }

    #[test]
    fn a_flood_of_unique_proofs_stays_within_the_bound() {
        let store = MemoryProofs::with_capacity(1000);
        let mut refused = 0;
        for i in 0..10_000u32 {
            let now = 1_000 + u64::from(i / 100);
            match store.record_at(ProofId::new("k", &i.to_string()), now + 5, now) {
                Ok(ProofUse::First) => {}
                Err(StoreError::Full { .. }) => refused += 1,
                other => panic!("{other:?}"),
            }
            assert!(store.len() <= 1000);
        }
        assert_eq!(refused, 0, "expiry keeps room at 100 a second for 5 s");
    }
}
