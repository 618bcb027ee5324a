//! The token cache: one token per (issuer, request) key, refreshed ahead of its expiry with
//! jitter, fetched by a single flight however many callers need it at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{Error, Token, TokenRequest, TokenSource};

/// How long before `exp` a token is refreshed by default.
///
/// ```
/// assert_eq!(auth_client::DEFAULT_SKEW, std::time::Duration::from_secs(30));
/// ```
pub const DEFAULT_SKEW: Duration = Duration::from_secs(30);
/// The most random extra time taken off a token's life by default, so that a fleet started
/// together does not refresh in lockstep.
///
/// ```
/// assert_eq!(auth_client::DEFAULT_JITTER, std::time::Duration::from_secs(10));
/// ```
pub const DEFAULT_JITTER: Duration = Duration::from_secs(10);
/// Keys kept at most (token exchange makes one per subject); past this, keys whose tokens are
/// dead are dropped first, then all.
const MAX_KEYS: usize = 10_000;
/// The longest skew or jitter taken (a day: more than any token lives in practice).
const MAX_EARLY: Duration = Duration::from_secs(24 * 3600);

/// Caches and refreshes the tokens of one [`TokenSource`].
///
/// - A token is handed out until `exp − skew − jitter` (the early part capped at half its
///   lifetime, so short-lived tokens are still used); after that the first caller refreshes
///   it while the others keep using the still-valid token; once it is expired, every caller
///   waits for the one token request in flight.
/// - One request per key at a time; a failure is handed to every caller that waited for it
///   (no queue of callers retrying a down server one after another).
/// - [`TokenManager::invalidate`] drops a token the resource server refused, only if it is
///   still the cached one: 200 requests refused at once cause one refresh.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), auth_client::Error> {
/// use auth_client::{source_fn, Token, TokenManager, TokenRequest};
/// let manager = TokenManager::new(source_fn("urn:test", |_r| async { Ok(Token::bearer("t1", None)) }));
/// let token = manager.token(&TokenRequest::new()).await?;
/// assert_eq!(token.access_token().expose(), "t1");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TokenManager {
    source: Arc<dyn TokenSource>,
    skew: Duration,
    jitter: Duration,
    slots: Mutex<HashMap<TokenRequest, Arc<Slot>>>,
}

#[derive(Debug, Default)]
struct Slot {
    state: Mutex<State>,
    /// Held by the one flight in progress (owned by its task, see `TokenManager::fly`).
    flight: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Debug, Default)]
struct State {
    token: Option<Cached>,
    /// Bumped by every finished flight.
    generation: u64,
    /// The error of the last flight, if it failed.
    failure: Option<Error>,
}

#[derive(Clone, Debug)]
struct Cached {
    token: Token,
    refresh_at: Option<Instant>,
}

enum Look {
    Fresh(Token),
    Refresh(Token),
    Missing,
}

impl TokenManager {
    /// A manager of `source`'s tokens, with the default skew (30 s) and jitter (10 s).
    ///
    /// ```
    /// let m = auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) }));
    /// ```
    pub fn new(source: impl TokenSource) -> Self {
        Self::from_arc(Arc::new(source))
    }

    /// The same, from a shared source.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let source: Arc<dyn auth_client::TokenSource> = Arc::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) }));
    /// let m = auth_client::TokenManager::from_arc(source);
    /// ```
    pub fn from_arc(source: Arc<dyn TokenSource>) -> Self {
        TokenManager {
            source,
            skew: DEFAULT_SKEW,
            jitter: DEFAULT_JITTER,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// Refreshes `skew` before `exp`, plus a random part of up to `jitter`.
    ///
    /// ```
    /// use std::time::Duration;
    /// # let m = auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) }));
    /// let m = m.refresh_ahead(Duration::from_secs(60), Duration::from_secs(20));
    /// ```
    pub fn refresh_ahead(mut self, skew: Duration, jitter: Duration) -> Self {
        // Clamped so that no configuration can overflow the time arithmetic (the early part is
        // capped at half a token's lifetime anyway).
        self.skew = skew.min(MAX_EARLY);
        self.jitter = jitter.min(MAX_EARLY);
        self
    }

    /// The source.
    ///
    /// ```
    /// # let m = auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) }));
    /// assert_eq!(m.source().issuer(), "urn:x");
    /// ```
    pub fn source(&self) -> &Arc<dyn TokenSource> {
        &self.source
    }

    fn slot(&self, request: &TokenRequest) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get(request) {
            return Arc::clone(slot);
        }
        if slots.len() >= MAX_KEYS {
            let now = Instant::now();
            slots.retain(|_, s| {
                s.lock()
                    .token
                    .as_ref()
                    .is_some_and(|c| !is_dead(&c.token, now))
            });
            if slots.len() >= MAX_KEYS {
                slots.clear();
            }
        }
        Arc::clone(slots.entry(request.clone()).or_default())
    }

    /// A token for `request`: the cached one while fresh, else one new token request shared
    /// by every caller that needs it now.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), auth_client::Error> {
    /// # let m = auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) }));
    /// let t = m.token(&auth_client::TokenRequest::new().scope("orders:read")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn token(&self, request: &TokenRequest) -> Result<Token, Error> {
        let slot = self.slot(request);
        let (look, generation) = slot.look(Instant::now());
        match look {
            Look::Fresh(token) => return Ok(token),
            Look::Refresh(token) => {
                // Still valid: one caller refreshes, the others carry on with it.
                let Ok(flight) = Arc::clone(&slot.flight).try_lock_owned() else {
                    return Ok(token);
                };
                if slot.generation() != generation {
                    return Ok(slot.cached().map_or(token, |c| c.token));
                }
                return match self.fly(slot, flight, request).await {
                    Ok(fresh) => Ok(fresh),
                    Err(error) => {
                        tracing::warn!(target: "auth_client", issuer = self.source.issuer(), %error, "refreshing a token ahead of expiry failed; the current one is used until it expires");
                        Ok(token)
                    }
                };
            }
            Look::Missing => {}
        }
        let flight = Arc::clone(&slot.flight).lock_owned().await;
        {
            let state = slot.lock();
            if state.generation != generation {
                // A flight ended while this caller waited: its outcome is this caller's, even a
                // token that lives a second or less (fetching again would get the same).
                if let Some(c) = &state.token {
                    return Ok(c.token.clone());
                }
                if let Some(error) = &state.failure {
                    return Err(error.clone());
                }
            }
        }
        self.fly(slot, flight, request).await
    }

    /// One flight: the source's token request, its outcome stored in the slot, then the flight
    /// lock released. On a tokio runtime it is a task of its own that owns the slot and the
    /// lock: a caller dropped mid-flight (a timeout, a cancelled request) neither cuts it off
    /// after the server has answered (a rotated refresh token always reaches the source's
    /// state, the new token the cache) nor lets a second flight start beside it (the callers
    /// waiting keep waiting for this one). Without a tokio runtime it runs inline.
    async fn fly(
        &self,
        slot: Arc<Slot>,
        flight: tokio::sync::OwnedMutexGuard<()>,
        request: &TokenRequest,
    ) -> Result<Token, Error> {
        let (source, request) = (Arc::clone(&self.source), request.clone());
        let (skew, jitter) = (self.skew, self.jitter);
        let task = async move {
            let outcome = source.fetch(&request).await;
            slot.store(&outcome, skew, jitter);
            drop(flight);
            outcome
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return task.await;
        };
        match runtime
            .spawn(tracing::Instrument::in_current_span(task))
            .await
        {
            Ok(outcome) => outcome,
            // The lock went with the task: whoever waits starts a flight of its own.
            Err(e) if e.is_panic() => {
                tracing::error!(target: "auth_client", issuer = self.source.issuer(), "the token source panicked");
                Err(Error::Config("the token source panicked"))
            }
            Err(_) => Err(Error::Config(
                "the runtime shut down during a token request",
            )),
        }
    }

    /// Drops `refused` if it is still the cached token for `request` (the resource server said
    /// `invalid_token`): the next [`TokenManager::token`] fetches a new one. A token already
    /// replaced is left alone, so many refusals of one token cost one refresh.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), auth_client::Error> {
    /// # let m = auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) }));
    /// let request = auth_client::TokenRequest::new();
    /// let t = m.token(&request).await?;
    /// m.invalidate(&request, &t);
    /// # Ok(()) }
    /// ```
    pub fn invalidate(&self, request: &TokenRequest, refused: &Token) {
        let slot = self.slot(request);
        let mut state = slot.lock();
        if state
            .token
            .as_ref()
            .is_some_and(|c| c.token.same_as(refused))
        {
            state.token = None;
        }
    }
}

impl Slot {
    /// Records a flight's outcome: the next generation, with its token or its error.
    fn store(&self, outcome: &Result<Token, Error>, skew: Duration, jitter: Duration) {
        let mut state = self.lock();
        state.generation += 1;
        match outcome {
            Ok(token) => {
                state.token = Some(Cached {
                    token: token.clone(),
                    refresh_at: refresh_at(token, skew, jitter),
                });
                state.failure = None;
            }
            Err(error) => state.failure = Some(error.clone()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    fn cached(&self) -> Option<Cached> {
        self.lock().token.clone()
    }

    fn look(&self, now: Instant) -> (Look, u64) {
        let state = self.lock();
        let look = match &state.token {
            None => Look::Missing,
            Some(c) if is_dead(&c.token, now) => Look::Missing,
            Some(c) if c.refresh_at.is_some_and(|at| now >= at) => Look::Refresh(c.token.clone()),
            Some(c) => Look::Fresh(c.token.clone()),
        };
        (look, state.generation)
    }
}

/// When to refresh `token`: `skew` plus a random part of `jitter` before its expiry, the
/// early part capped at half its lifetime.
fn refresh_at(token: &Token, skew: Duration, jitter: Duration) -> Option<Instant> {
    let (expires_at, lifetime) = (token.expires_at()?, token.lifetime()?);
    let early = skew.saturating_add(random_up_to(jitter)).min(lifetime / 2);
    expires_at.checked_sub(early)
}

/// Expired, or within a second of it (the request would arrive after `exp`).
fn is_dead(token: &Token, now: Instant) -> bool {
    token
        .expires_at()
        .is_some_and(|e| now + Duration::from_secs(1) >= e)
}

fn random_up_to(max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return max / 2;
    }
    let fraction = u64::from_le_bytes(bytes) as f64 / u64::MAX as f64;
    max.mul_f64(fraction)
}
