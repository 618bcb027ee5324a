//! A bounded cache of verification verdicts keyed by the exact token, so a client that sends the
//! same access token for minutes pays for its signature once, and a replayed forged token is
//! refused without touching the crypto.
//!
//! - The key is the whole token: a hit compares every byte (the map's equality), never a hash.
//! - Revocation is never cached: the verifier checks every hit's principal against its
//!   revocation store (by the `iss`, `jti`, `sub` and `iat` the principal carries, read when
//!   it was verified), so a token revoked after its verdict was cached is refused at once.
//! - A valid verdict lives until the earlier of the token's `exp` + leeway and the cache TTL; a
//!   refusal for a permanent reason (bad signature, malformed, wrong issuer …) until the TTL.
//!   Refusals that time or a key rotation can change (`nbf` or `iat` in the future, unknown
//!   `kid`, key set unavailable) are never cached, and every entry remembers the key-set
//!   generation it was decided with, so a rotation invalidates it.
//! - Admission on the second sighting (a doorkeeper ring of recent token hashes per shard): a
//!   client re-sending its token is cached from its second request on, while a flood of tokens
//!   each sent once (cache misses by nature) costs no allocation and evicts nobody.
//! - Two budgets: acceptances may fill the whole capacity, refusals a quarter of it beside them,
//!   each evicting only its own kind. Anyone can mint junk tokens (and make them seen twice), but
//!   only the authorization server can mint valid ones: a junk flood churns the refusals' part
//!   and never evicts a valid client's entry, and it holds at most a quarter of the memory.
//! - 32 shards, each behind its own mutex held for a lookup or an insert only (no global lock,
//!   never across verification); FIFO eviction in O(1) per shard; a fixed number of entries.
//! - Hashed with `foldhash` (already in actix's tree) under a per-process random seed: SipHash
//!   of a 600-byte RS256 token cost more than the rest of a cache hit. Tokens are attacker
//!   controlled, so even if collisions could be forced, a shard holds at most capacity/32
//!   entries, which bounds any chain.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher as _;
use std::sync::{Arc, Mutex};

use crate::principal::Principal;
use crate::rejection::Reason;

const SHARDS: usize = 32;

/// A cached verdict.
#[derive(Clone)]
pub(crate) struct Cached {
    pub(crate) verdict: Result<Principal, Reason>,
    /// Seconds since the epoch from which the entry is no longer used.
    valid_until: u64,
    generation: u64,
}

type RandomState = foldhash::quality::RandomState;

struct Shard {
    entries: HashMap<Arc<[u8]>, Cached, RandomState>,
    /// Insertion order per kind: `[acceptances, refusals]`.
    order: [VecDeque<Arc<[u8]>>; 2],
    /// Hashes of tokens seen once (a ring): a token is cached on its second sighting, so a flood
    /// of unique tokens never churns the cache (a doorkeeper, as in TinyLFU).
    seen: Box<[u64; DOORKEEPER]>,
    next_seen: usize,
}

const DOORKEEPER: usize = 256;

pub(crate) struct VerdictCache {
    shards: Box<[Mutex<Shard>]>,
    /// Entries per shard per kind: `[acceptances, refusals]`.
    per_shard: [usize; 2],
    ttl: u64,
    hasher: RandomState,
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerdictCache")
            .field("capacity", &(self.per_shard[ACCEPTED] * SHARDS))
            .field("refusal_capacity", &(self.per_shard[REFUSED] * SHARDS))
            .field("ttl_secs", &self.ttl)
            .finish()
    }
}

const ACCEPTED: usize = 0;
const REFUSED: usize = 1;

/// Which budget a verdict counts against.
fn kind(verdict: &Result<Principal, Reason>) -> usize {
    if verdict.is_ok() { ACCEPTED } else { REFUSED }
}

/// Whether a refusal can be cached: only reasons no clock tick or key rotation can change.
fn permanent(reason: &Reason) -> bool {
    !matches!(
        reason,
        Reason::NotYetValid
            | Reason::IssuedInFuture
            | Reason::UnknownKey
            | Reason::Unavailable
            | Reason::RevocationStale
            | Reason::TokenTooLarge(_)
    )
}

impl VerdictCache {
    /// A cache of about `capacity` entries (0: none) kept at most `ttl_secs`.
    pub(crate) fn new(capacity: usize, ttl_secs: u64) -> Option<Self> {
        if capacity == 0 || ttl_secs == 0 {
            return None;
        }
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        let per_shard = [per_shard, per_shard.div_ceil(4)];
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    entries: HashMap::with_hasher(RandomState::default()),
                    order: [VecDeque::new(), VecDeque::new()],
                    seen: Box::new([0; DOORKEEPER]),
                    next_seen: 0,
                })
            })
            .collect();
        Some(VerdictCache {
            shards,
            per_shard,
            ttl: ttl_secs,
            hasher: RandomState::default(),
        })
    }

    fn shard(&self, token: &[u8]) -> &Mutex<Shard> {
        self.shard_of(self.hasher.hash_one(token))
    }

    fn shard_of(&self, hash: u64) -> &Mutex<Shard> {
        &self.shards[((hash >> 32) as usize) % SHARDS]
    }

    /// The verdict for exactly `token`, if one is cached, current at `now` and decided with key
    /// generation `generation`.
    pub(crate) fn get(
        &self,
        token: &[u8],
        now: u64,
        generation: u64,
    ) -> Option<Result<Principal, Reason>> {
        let shard = self.shard(token).lock().unwrap_or_else(|e| e.into_inner());
        let cached = shard.entries.get(token)?;
        (now < cached.valid_until && cached.generation == generation)
            .then(|| cached.verdict.clone())
    }

    /// Remembers a verdict. `expires` is the token's `exp` + leeway for a valid one.
    pub(crate) fn put(
        &self,
        token: &[u8],
        verdict: &Result<Principal, Reason>,
        expires: Option<u64>,
        now: u64,
        generation: u64,
    ) {
        self.insert(token, verdict, expires, now, generation, false);
    }

    /// Remembers a verdict at once, without the doorkeeper's second sighting: for verdicts
    /// that cost a network call (introspection), where even the first repeat must not pay it
    /// again. Returns until when it is kept (`None`: not kept).
    #[cfg(feature = "introspection")]
    pub(crate) fn put_admitted(
        &self,
        token: &[u8],
        verdict: &Result<Principal, Reason>,
        expires: Option<u64>,
        now: u64,
        generation: u64,
    ) -> Option<u64> {
        self.insert(token, verdict, expires, now, generation, true)
    }

    fn insert(
        &self,
        token: &[u8],
        verdict: &Result<Principal, Reason>,
        expires: Option<u64>,
        now: u64,
        generation: u64,
        at_once: bool,
    ) -> Option<u64> {
        if let Err(reason) = verdict
            && !permanent(reason)
        {
            return None;
        }
        let ttl_end = now.saturating_add(self.ttl);
        let valid_until = expires.map_or(ttl_end, |e| e.min(ttl_end));
        if valid_until <= now {
            return None;
        }
        let entry = Cached {
            verdict: verdict.clone(),
            valid_until,
            generation,
        };
        let hash = self.hasher.hash_one(token);
        let mut shard = self
            .shard_of(hash)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // `| 1`: 0 marks an empty doorkeeper slot.
        let hash = hash | 1;
        let class = kind(verdict);
        if let Some(existing) = shard.entries.get_mut(token) {
            let was = kind(&existing.verdict);
            *existing = entry;
            if was != class {
                // Rare (a key rotation turned a refusal into an acceptance, or back): move the
                // key to its new kind's order, so each budget counts exactly its own entries.
                shard.order[was].retain(|k| **k != *token);
                if let Some(key) = shard.entries.get_key_value(token).map(|(k, _)| k.clone()) {
                    self.admit(&mut shard, key, class);
                }
            }
            return Some(valid_until);
        }
        if !at_once && !shard.seen.contains(&hash) {
            let slot = shard.next_seen;
            shard.seen[slot] = hash;
            shard.next_seen = (slot + 1) % DOORKEEPER;
            return None;
        }
        let key: Arc<[u8]> = Arc::from(token);
        shard.entries.insert(key.clone(), entry);
        self.admit(&mut shard, key, class);
        Some(valid_until)
    }

    /// Appends `key` (already in `entries`) to its kind's order, evicting that kind's oldest
    /// entries past its budget.
    fn admit(&self, shard: &mut Shard, key: Arc<[u8]>, kind: usize) {
        let order = &mut shard.order[kind];
        order.push_back(key);
        while order.len() > self.per_shard[kind] {
            if let Some(oldest) = order.pop_front() {
                shard.entries.remove(&oldest);
            }
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map_or(0, |s| s.entries.len()))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Scheme;

    fn principal() -> Principal {
        Principal::new(Scheme::Bearer, Some("a".into()), vec![], Default::default())
    }

    #[test]
    fn hits_expire_and_respect_generations() {
        let cache = VerdictCache::new(64, 60).unwrap();
        cache.put(b"t1", &Ok(principal()), Some(1_030), 1_000, 0);
        assert!(
            cache.get(b"t1", 1_000, 0).is_none(),
            "cached on the second sighting only"
        );
        cache.put(b"t1", &Ok(principal()), Some(1_030), 1_000, 0);
        assert!(cache.get(b"t1", 1_029, 0).is_some());
        assert!(
            cache.get(b"t1", 1_030, 0).is_none(),
            "at exp + leeway the entry is dead"
        );
        assert!(
            cache.get(b"t1", 1_000, 1).is_none(),
            "another key generation"
        );
        assert!(cache.get(b"t2", 1_000, 0).is_none());
        cache.put(b"bad", &Err(Reason::BadSignature), None, 1_000, 0);
        cache.put(b"bad", &Err(Reason::BadSignature), None, 1_000, 0);
        assert!(matches!(
            cache.get(b"bad", 1_059, 0),
            Some(Err(Reason::BadSignature))
        ));
        assert!(cache.get(b"bad", 1_060, 0).is_none(), "TTL");
        cache.put(b"later", &Err(Reason::NotYetValid), None, 1_000, 0);
        cache.put(b"later", &Err(Reason::NotYetValid), None, 1_000, 0);
        assert!(
            cache.get(b"later", 1_000, 0).is_none(),
            "time-dependent refusals are not cached"
        );
    }

    #[test]
    fn a_flood_of_junk_refusals_never_evicts_an_acceptance() {
        let cache = VerdictCache::new(320, 60).unwrap();
        for _ in 0..2 {
            cache.put(b"valid", &Ok(principal()), Some(10_000), 0, 0);
        }
        for i in 0..20_000 {
            let junk = format!("junk-{}", i / 2);
            cache.put(junk.as_bytes(), &Err(Reason::BadSignature), None, 0, 0);
        }
        assert!(
            cache.get(b"valid", 0, 0).is_some(),
            "the valid client stays cached"
        );
        assert!(
            cache.len() <= 320 + 32 * 3,
            "refusals hold at most a quarter beside the acceptances: {}",
            cache.len()
        );
        // A refusal that turns into an acceptance moves budgets without leaking an entry.
        cache.put(b"junk-9999", &Ok(principal()), Some(10_000), 0, 1);
        assert!(cache.get(b"junk-9999", 0, 1).is_some());
        for i in 0..20_000 {
            let junk = format!("more-{}", i / 2);
            cache.put(junk.as_bytes(), &Err(Reason::BadSignature), None, 0, 1);
        }
        assert!(cache.get(b"junk-9999", 0, 1).is_some());
    }

    #[test]
    fn bounded() {
        let cache = VerdictCache::new(320, 60).unwrap();
        for i in 0..20_000 {
            cache.put(
                format!("token-{}", i / 2).as_bytes(),
                &Err(Reason::BadSignature),
                None,
                0,
                0,
            );
        }
        assert!(cache.len() <= 320 / 4 + 32, "{}", cache.len());
        let once = VerdictCache::new(320, 60).unwrap();
        for i in 0..10_000 {
            once.put(
                format!("unique-{i}").as_bytes(),
                &Err(Reason::BadSignature),
                None,
                0,
                0,
            );
        }
        assert_eq!(once.len(), 0, "a flood of tokens seen once never enters");
        assert!(
            cache.get(b"token-9999", 0, 0).is_some(),
            "the newest survive"
        );
    }
}
