//! The replay memory of HTTP Digest: which (`nonce`, `nc`) pairs were answered, behind the
//! store seam ([`crate::store`]), so a fleet can share it.
//!
//! A Digest nonce needs no server state to be *checked* (it is sealed with an HMAC), but an
//! answer must be refused when its (`nonce`, `nc`) pair was accepted before, or a captured
//! request could be replayed. [`NonceStore`] is that memory; [`MemoryNonces`] is the embedded
//! default, for one process. A store shared by every instance (issue 13's Redis store) makes
//! a request captured from one instance useless on all of them.
//!
//! **How a use fails.** Replay protection fails closed: when the store cannot answer, or is
//! full, the answer is refused with 503 `temporarily_unavailable` and `Retry-After` — never
//! accepted unchecked.
//!
//! **Bounded per user and in all.** The memory is written only after the password was proved,
//! so only holders of an account can fill it, and each account holds at most
//! [`MemoryNonces::per_user`] live nonces: when a user answers one more, their oldest is
//! forgotten and every nonce of theirs issued no later than it is answered from then on with
//! `stale=true` (the client takes a fresh nonce without asking its user), so forgetting never
//! lets a replay through and one account cannot crowd the others out. Expired nonces are swept
//! at most once a second, not on every answer.
//!
//! **Counts.** Per nonce, the highest `nc` seen and a window of the [`COUNT_WINDOW`] counts
//! below it are remembered (the anti-replay window of RFC 4303 §3.4.3): counts may arrive out
//! of order within the window (concurrent requests on one nonce), a count below the window is
//! answered with `stale=true`. Each nonce costs a few dozen bytes, whatever its counts.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use crate::store::{StoreError, StoreFuture};

/// The most live nonces [`MemoryNonces::new`] remembers in all; when they are all live, new
/// nonces are refused with 503 (failing closed) until some expire.
///
/// ```
/// assert_eq!(auth_core::verify::digest_nonces::MAX_REMEMBERED_NONCES, 65_536);
/// ```
pub const MAX_REMEMBERED_NONCES: usize = 65_536;

/// The most live nonces [`MemoryNonces::new`] remembers for one user; one more forgets the
/// user's oldest (see the module docs).
///
/// ```
/// assert_eq!(auth_core::verify::digest_nonces::NONCES_PER_USER, 256);
/// ```
pub const NONCES_PER_USER: usize = 256;

/// How many counts below the highest one seen on a nonce are still accepted (once each).
///
/// ```
/// assert_eq!(auth_core::verify::digest_nonces::COUNT_WINDOW, 64);
/// ```
pub const COUNT_WINDOW: u32 = 64;

/// One accepted-so-far answer for the store to remember: everything but the user is taken
/// from the sealed nonce, so none of it is the client's free text.
///
/// ```
/// use auth_core::verify::digest_nonces::NonceAnswer;
/// let answer = NonceAnswer::new(0xfeed, 1_700_000_000, 1_700_000_300, 2, "ops");
/// assert_eq!(answer.expires - answer.issued, 300);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NonceAnswer<'a> {
    /// The nonce's identity (its HMAC tag): unique per nonce, meaningless without the secret.
    pub nonce: u128,
    /// When the nonce was issued, in Unix seconds (sealed in it).
    pub issued: u64,
    /// When it expires, in Unix seconds: the store may forget it then.
    pub expires: u64,
    /// The answer's `nc`.
    pub count: u32,
    /// Whose memory it goes into: the realm and the verified user (the principal's subject,
    /// so re-casing a hashed user name lands in the same place), one string.
    pub user: &'a str,
}

impl<'a> NonceAnswer<'a> {
    /// An answer to record (for stores' own tests; the framework builds these itself).
    ///
    /// ```
    /// use auth_core::verify::digest_nonces::NonceAnswer;
    /// let answer = NonceAnswer::new(7, 100, 400, 1, "ops");
    /// assert_eq!((answer.nonce, answer.count, answer.user), (7, 1, "ops"));
    /// ```
    pub fn new(nonce: u128, issued: u64, expires: u64, count: u32, user: &'a str) -> Self {
        NonceAnswer {
            nonce,
            issued,
            expires,
            count,
            user,
        }
    }
}

/// What the store says of an answer.
///
/// ```
/// use auth_core::verify::digest_nonces::NonceUse;
/// assert_ne!(NonceUse::First, NonceUse::Replayed);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NonceUse {
    /// Never seen: it is remembered now, and the answer is accepted.
    First,
    /// This (`nonce`, `nc`) was answered before: refused (401).
    Replayed,
    /// Too old to judge (the count is below the window, or the nonce was forgotten to make
    /// room): refused with `stale=true`, so the client takes a fresh nonce.
    Stale,
}

/// Where the Digest scheme remembers answered (`nonce`, `nc`) pairs.
///
/// Unlike the other stores there is no synchronous read: an answer cannot be accepted before
/// the store has recorded it (an instance-local view would let a replay through on another
/// instance), so a shared store makes Digest answers wait on it. That cost is Digest's alone;
/// Bearer's success path never waits on a store.
///
/// ```
/// use auth_core::store::{StoreError, StoreFuture};
/// use auth_core::verify::digest_nonces::{NonceAnswer, NonceStore, NonceUse};
/// use auth_core::{DigestAuth, Htdigest};
///
/// /// A store whose backend is down: every Digest answer is refused with 503.
/// struct Down;
///
/// impl NonceStore for Down {
///     fn record(&self, _: &NonceAnswer<'_>) -> StoreFuture<Result<NonceUse, StoreError>> {
///         Box::pin(std::future::ready(Err(StoreError::Unavailable("connection refused"))))
///     }
/// }
///
/// let digest = DigestAuth::new(Htdigest::new()).nonce_store(Down);
/// # let _ = digest;
/// ```
pub trait NonceStore: Send + Sync + 'static {
    /// Records `answer` unless its pair was seen (or is too old to judge), and says which.
    /// `Err` refuses the answer with 503. A store must answer [`NonceUse::Stale`] for a nonce
    /// that has expired by its own clock (it may have forgotten its pairs already).
    fn record(&self, answer: &NonceAnswer<'_>) -> StoreFuture<Result<NonceUse, StoreError>>;
}

/// One store shared by several `DigestAuth`s (instances in one test, or realms of one process).
///
/// ```
/// use std::sync::Arc;
/// use auth_core::verify::digest_nonces::MemoryNonces;
/// use auth_core::{DigestAuth, Htdigest};
/// let shared = Arc::new(MemoryNonces::new());
/// let a = DigestAuth::new(Htdigest::new()).nonce_store(Arc::clone(&shared));
/// let b = DigestAuth::new(Htdigest::new()).nonce_store(shared);
/// # let _ = (a, b);
/// ```
impl<T: NonceStore + ?Sized> NonceStore for std::sync::Arc<T> {
    fn record(&self, answer: &NonceAnswer<'_>) -> StoreFuture<Result<NonceUse, StoreError>> {
        (**self).record(answer)
    }
}

/// The in-memory [`NonceStore`]: bounded in all and per user, swept once a second. Build one
/// `DigestAuth` outside `HttpServer::new`'s factory so every worker shares it.
///
/// ```
/// use futures_util::FutureExt as _;
/// use auth_core::verify::digest_nonces::{MemoryNonces, NonceAnswer, NonceStore, NonceUse};
///
/// let store = MemoryNonces::new().capacity(1_000).per_user(8);
/// let far = u64::MAX;
/// let first = store.record(&NonceAnswer::new(1, 0, far, 1, "ops")).now_or_never();
/// assert_eq!(first, Some(Ok(NonceUse::First)));
/// let again = store.record(&NonceAnswer::new(1, 0, far, 1, "ops")).now_or_never();
/// assert_eq!(again, Some(Ok(NonceUse::Replayed)));
/// ```
pub struct MemoryNonces {
    capacity: usize,
    per_user: usize,
    inner: Mutex<Memory>,
}

impl fmt::Debug for MemoryNonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryNonces")
            .field("capacity", &self.capacity)
            .field("per_user", &self.per_user)
            .finish_non_exhaustive()
    }
}

impl Default for MemoryNonces {
    fn default() -> Self {
        MemoryNonces::new()
    }
}

impl MemoryNonces {
    /// [`MAX_REMEMBERED_NONCES`] in all, [`NONCES_PER_USER`] per user.
    ///
    /// ```
    /// let store = auth_core::verify::digest_nonces::MemoryNonces::new();
    /// # let _ = store;
    /// ```
    pub fn new() -> Self {
        MemoryNonces {
            capacity: MAX_REMEMBERED_NONCES,
            per_user: NONCES_PER_USER,
            inner: Mutex::new(Memory::default()),
        }
    }

    /// The most live nonces remembered in all (at least 1).
    ///
    /// ```
    /// let store = auth_core::verify::digest_nonces::MemoryNonces::new().capacity(4_096);
    /// # let _ = store;
    /// ```
    pub fn capacity(mut self, nonces: usize) -> Self {
        self.capacity = nonces.max(1);
        self
    }

    /// The most live nonces remembered per user (at least 1).
    ///
    /// ```
    /// let store = auth_core::verify::digest_nonces::MemoryNonces::new().per_user(32);
    /// # let _ = store;
    /// ```
    pub fn per_user(mut self, nonces: usize) -> Self {
        self.per_user = nonces.max(1);
        self
    }

    /// `record` at the wall-clock second `now` (separate for the tests).
    fn record_at(&self, answer: &NonceAnswer<'_>, now: u64) -> Result<NonceUse, StoreError> {
        let mut memory = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        memory.sweep(now);
        memory.record(answer, now, self.capacity, self.per_user)
    }
}

impl NonceStore for MemoryNonces {
    fn record(&self, answer: &NonceAnswer<'_>) -> StoreFuture<Result<NonceUse, StoreError>> {
        Box::pin(std::future::ready(self.record_at(answer, now_secs())))
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Default)]
struct Memory {
    users: HashMap<String, UserNonces>,
    /// Live nonces over all users.
    live: usize,
    last_sweep: u64,
}

/// One user's live nonces, and the line below which their forgotten ones lie.
#[derive(Default)]
struct UserNonces {
    nonces: Vec<Remembered>,
    /// Nonces issued before this second that are not remembered are stale (0: none).
    floor: u64,
    /// When the last forgotten nonce expires: the floor matters until then.
    floor_until: u64,
}

struct Remembered {
    id: u128,
    issued: u64,
    expires: u64,
    highest: u32,
    /// Bit `k` set: count `highest - k` was answered (bit 0 is `highest` itself).
    window: u64,
}

impl Remembered {
    fn answer(&mut self, count: u32) -> NonceUse {
        if count > self.highest {
            let shift = count - self.highest;
            self.window = if shift >= 64 { 0 } else { self.window << shift };
            self.window |= 1;
            self.highest = count;
            return NonceUse::First;
        }
        let behind = self.highest - count;
        if behind >= COUNT_WINDOW {
            return NonceUse::Stale;
        }
        let bit = 1u64 << behind;
        if self.window & bit != 0 {
            return NonceUse::Replayed;
        }
        self.window |= bit;
        NonceUse::First
    }
}

impl Memory {
    /// Forgets expired nonces and floors, at most once per second.
    fn sweep(&mut self, now: u64) {
        if now == self.last_sweep {
            return;
        }
        self.last_sweep = now;
        let mut live = 0;
        self.users.retain(|_, user| {
            user.nonces.retain(|n| n.expires > now);
            live += user.nonces.len();
            !user.nonces.is_empty() || user.floor_until > now
        });
        self.live = live;
    }

    fn record(
        &mut self,
        answer: &NonceAnswer<'_>,
        now: u64,
        capacity: usize,
        per_user: usize,
    ) -> Result<NonceUse, StoreError> {
        // Expired by now (the nonce was checked earlier, before a slow user lookup): it may
        // have been swept already, so it cannot be judged — stale, never `First`.
        if answer.expires <= now {
            return Ok(NonceUse::Stale);
        }
        if let Some(user) = self.users.get_mut(answer.user) {
            if let Some(known) = user.nonces.iter_mut().find(|n| n.id == answer.nonce) {
                return Ok(known.answer(answer.count));
            }
            if answer.issued < user.floor {
                return Ok(NonceUse::Stale);
            }
        }
        let user_is_full = self
            .users
            .get(answer.user)
            .is_some_and(|u| u.nonces.len() >= per_user);
        if !user_is_full && self.live >= capacity {
            return Err(StoreError::Full { capacity });
        }
        let user = self.users.entry(answer.user.to_owned()).or_default();
        if user_is_full && user.nonces.iter().all(|n| n.issued >= answer.issued) {
            // The new nonce would be the user's oldest: it is the one forgotten.
            return Ok(NonceUse::Stale);
        }
        if user_is_full {
            // Forget the oldest: it and all the user's nonces issued no later are stale now.
            if let Some(oldest) = user
                .nonces
                .iter()
                .enumerate()
                .min_by_key(|(_, n)| (n.issued, n.expires))
                .map(|(i, _)| i)
            {
                let gone = user.nonces.swap_remove(oldest);
                user.floor = user.floor.max(gone.issued.saturating_add(1));
                user.floor_until = user.floor_until.max(gone.expires);
                self.live -= 1;
            }
            if answer.issued < user.floor {
                return Ok(NonceUse::Stale);
            }
        }
        user.nonces.push(Remembered {
            id: answer.nonce,
            issued: answer.issued,
            expires: answer.expires,
            highest: answer.count,
            window: 1,
        });
        self.live += 1;
        Ok(NonceUse::First)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(nonce: u128, issued: u64, count: u32, user: &str) -> NonceAnswer<'_> {
        NonceAnswer::new(nonce, issued, issued + 300, count, user)
    }

    #[test]
    fn a_count_is_accepted_once_per_nonce_in_any_order_within_the_window() {
        let store = MemoryNonces::new();
        let at = |n, c| store.record_at(&answer(n, 10, c, "ops"), 10);
        assert_eq!(at(1, 1), Ok(NonceUse::First));
        assert_eq!(at(1, 1), Ok(NonceUse::Replayed));
        assert_eq!(at(1, 3), Ok(NonceUse::First));
        assert_eq!(at(1, 2), Ok(NonceUse::First), "late, but within the window");
        assert_eq!(at(1, 2), Ok(NonceUse::Replayed));
        assert_eq!(at(1, 3), Ok(NonceUse::Replayed));
        assert_eq!(at(2, 1), Ok(NonceUse::First), "another nonce");
        assert_eq!(at(1, 3 + COUNT_WINDOW), Ok(NonceUse::First));
        assert_eq!(
            at(1, 3),
            Ok(NonceUse::Stale),
            "below the window: too old to judge"
        );
        assert_eq!(at(1, 4), Ok(NonceUse::First), "the window's last slot");
        assert_eq!(at(1, 4), Ok(NonceUse::Replayed));
        assert_eq!(at(1, u32::MAX), Ok(NonceUse::First));
        assert_eq!(at(1, u32::MAX), Ok(NonceUse::Replayed));
    }

    #[test]
    fn a_full_memory_of_live_nonces_fails_closed_and_expired_ones_make_room() {
        let store = MemoryNonces::new().capacity(4).per_user(4);
        for (n, user) in ["a", "b", "c", "d"].into_iter().enumerate() {
            assert_eq!(
                store.record_at(&answer(n as u128, 0, 1, user), 0),
                Ok(NonceUse::First)
            );
        }
        let full = store.record_at(&answer(9, 0, 1, "e"), 0);
        assert_eq!(full, Err(StoreError::Full { capacity: 4 }));
        // A known nonce is still judged when the memory is full.
        assert_eq!(
            store.record_at(&answer(0, 0, 1, "a"), 0),
            Ok(NonceUse::Replayed)
        );
        // Past their expiry (300 s), the next second's sweep makes room.
        assert_eq!(
            store.record_at(&answer(9, 300, 1, "e"), 300),
            Ok(NonceUse::First)
        );
        assert_eq!(store.inner.lock().map(|m| m.live).unwrap_or(0), 1);
    }

    #[test]
    fn one_user_cannot_crowd_out_the_others_and_forgetting_never_lets_a_replay_through() {
        let store = MemoryNonces::new().capacity(6).per_user(3);
        // `ops` answers nonces issued at seconds 1..=5: only the newest three are remembered.
        for issued in 1..=5 {
            assert_eq!(
                store.record_at(&answer(u128::from(issued), issued, 1, "ops"), 5),
                Ok(NonceUse::First)
            );
        }
        // A forgotten nonce is stale, never accepted again (count 1 or any other).
        assert_eq!(
            store.record_at(&answer(1, 1, 1, "ops"), 5),
            Ok(NonceUse::Stale)
        );
        assert_eq!(
            store.record_at(&answer(2, 2, 7, "ops"), 5),
            Ok(NonceUse::Stale)
        );
        // An unused nonce issued before the floor is stale too; a newer one is fine.
        assert_eq!(
            store.record_at(&answer(20, 2, 1, "ops"), 5),
            Ok(NonceUse::Stale)
        );
        assert_eq!(
            store.record_at(&answer(3, 3, 1, "ops"), 5),
            Ok(NonceUse::Replayed),
            "remembered ones are still judged"
        );
        // The others have the rest of the memory.
        for (n, user) in ["a", "b", "c"].into_iter().enumerate() {
            assert_eq!(
                store.record_at(&answer(100 + n as u128, 5, 1, user), 5),
                Ok(NonceUse::First)
            );
        }
    }

    /// A nonce checked while fresh but recorded after it expired (a slow user lookup) may have
    /// been swept already: it is stale, never `First` again.
    #[test]
    fn a_nonce_that_expires_before_it_is_recorded_is_stale() {
        let store = MemoryNonces::new();
        assert_eq!(
            store.record_at(&NonceAnswer::new(1, 0, 10, 1, "ops"), 9),
            Ok(NonceUse::First)
        );
        // Second 10: swept, and the same answer again must not look new.
        assert_eq!(
            store.record_at(&NonceAnswer::new(1, 0, 10, 1, "ops"), 10),
            Ok(NonceUse::Stale)
        );
    }

    #[test]
    fn expired_nonces_are_swept_once_a_second_not_on_every_answer() {
        let store = MemoryNonces::new();
        for n in 0..100 {
            let _ = store.record_at(&NonceAnswer::new(n, 0, 10, 1, "ops"), 0);
        }
        let _ = store.record_at(&NonceAnswer::new(500, 0, 100, 1, "ops"), 10);
        let live = |s: &MemoryNonces| s.inner.lock().map(|m| m.live).unwrap_or(0);
        assert_eq!(
            live(&store),
            1,
            "the sweep at second 10 forgot the 100 expired"
        );
        assert_eq!(store.inner.lock().map(|m| m.last_sweep).unwrap_or(0), 10);
        let _ = store.record_at(&NonceAnswer::new(501, 0, 11, 1, "ops"), 10);
        let _ = store.record_at(&NonceAnswer::new(502, 0, 100, 1, "ops"), 10);
        assert_eq!(live(&store), 3, "no second sweep within the same second");
        let _ = store.record_at(&NonceAnswer::new(503, 0, 100, 1, "ops"), 11);
        assert_eq!(
            live(&store),
            3,
            "the next second's sweep forgot the one expired at 11"
        );
    }
}
