//! What every store shares: the future its writes return and the error they fail with.
//!
//! A store holds what several instances of a service must agree on — failure counters
//! ([`AttemptStore`](crate::AttemptStore)), revocations
//! ([`RevocationStore`](crate::verify::revocation::RevocationStore)) — and may live in another
//! process (a Redis). So each store trait has two halves:
//!
//! - a **synchronous read of a local view**, run on the request path: a hash lookup, never a
//!   network round trip, so a request that succeeds never waits on the network;
//! - **asynchronous writes** returning a [`StoreFuture`], which a network store completes after
//!   its round trip (updating its local view synchronously first, so this instance acts on the
//!   write at once), and an in-memory store completes before returning.
//!
//! Time is always wall-clock ([`SystemTime`](std::time::SystemTime)) or the store's own clock,
//! never a process-local `Instant`: instances sharing a store must agree on it.
//!
//! How a use fails when its store cannot answer is the response contract's, chosen per use:
//! throttling fails open (logged and counted), revocation serves its last view up to a bound and
//! then refuses with 503 `temporarily_unavailable`.

use std::future::Future;
use std::pin::Pin;

/// What a store's write returns: a boxed future that may be sent to another thread. An
/// in-memory store returns one that is ready at once (`std::future::ready`), so a caller that
/// polls it once has the answer without a runtime.
///
/// ```
/// use futures_util::FutureExt as _;
/// use auth_core::store::{StoreError, StoreFuture};
///
/// let ready: StoreFuture<Result<u32, StoreError>> = Box::pin(std::future::ready(Ok(7)));
/// assert_eq!(ready.now_or_never(), Some(Ok(7)));
/// let later: StoreFuture<Result<u32, StoreError>> = Box::pin(std::future::pending());
/// assert_eq!(later.now_or_never(), None);
/// ```
pub type StoreFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Why a store could not do what it was asked. It carries no secret by construction — no
/// free-form text, no connection string, no key or token — only what a store's author chose
/// among fixed words, so it can be logged as it is.
///
/// ```
/// use auth_core::store::StoreError;
///
/// let down = StoreError::Unavailable("connection refused");
/// assert_eq!(down.to_string(), "the store is unreachable: connection refused");
/// assert_eq!(StoreError::Full { capacity: 10 }.to_string(), "the store is full (10 entries)");
/// assert_eq!(StoreError::Timeout.to_string(), "the store did not answer in time");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend cannot be reached or refused the operation; the words say how, in terms the
    /// store's author fixed (never a message received from the backend, which may echo a
    /// credential).
    #[error("the store is unreachable: {0}")]
    Unavailable(&'static str),
    /// The backend did not answer within the store's timeout.
    #[error("the store did not answer in time")]
    Timeout,
    /// The store is bounded and full: the write was not made (a revocation is never dropped
    /// silently).
    #[error("the store is full ({capacity} entries)")]
    Full {
        /// The store's bound, in entries.
        capacity: usize,
    },
}
