//! Basic credentials (RFC 7617): the [`BasicVerifier`] trait applications implement for their
//! user store, and [`Htpasswd`](crate::Htpasswd) (feature `htpasswd`), a store that reads the
//! files Apache's `htpasswd` writes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::credentials::BasicCredentials;
use crate::principal::Principal;

/// The future a [`BasicVerifier`] returns.
///
/// ```
/// use auth_core::{BasicFuture, BasicOutcome};
/// let refuse: BasicFuture = Box::pin(async { BasicOutcome::Invalid });
/// let outcome = actix_web::rt::System::new().block_on(refuse);
/// assert!(matches!(outcome, BasicOutcome::Invalid));
/// ```
pub type BasicFuture = Pin<Box<dyn Future<Output = BasicOutcome> + Send + 'static>>;

/// What a [`BasicVerifier`] decided.
///
/// ```
/// use auth_core::{BasicOutcome, Principal, Scheme};
/// // How the framework answers each outcome.
/// let status = |outcome: &BasicOutcome| match outcome {
///     BasicOutcome::Valid(_) => 200,
///     BasicOutcome::Invalid => 401,
///     BasicOutcome::Unavailable => 503,
/// };
/// let ops = Principal::new(Scheme::Basic, Some("ops".into()), vec![], Default::default());
/// assert_eq!([BasicOutcome::Valid(ops), BasicOutcome::Invalid, BasicOutcome::Unavailable].map(|o| status(&o)), [200, 401, 503]);
/// ```
#[derive(Debug)]
pub enum BasicOutcome {
    /// The credentials are valid: this is the identity.
    Valid(Principal),
    /// Unknown user or wrong password (one answer for both; the caller cannot tell them apart
    /// and neither can the client).
    Invalid,
    /// The store cannot decide now (a database down): answered 503 with `Retry-After`.
    Unavailable,
}

/// A user store for the Basic scheme.
///
/// Implementations must give an unknown user and a wrong password the same cost (verify
/// against a dummy hash), and should run password hashing off the async executor (as
/// [`Htpasswd`](crate::Htpasswd) does with `actix_web::web::block`).
///
/// ```
/// use auth_core::{BasicCredentials, BasicFuture, BasicOutcome, BasicVerifier, Principal, Scheme};
///
/// struct OneUser;
///
/// impl BasicVerifier for OneUser {
///     fn verify(&self, credentials: BasicCredentials) -> BasicFuture {
///         Box::pin(async move {
///             // A real store compares password hashes in constant time.
///             if credentials.user_id() == "ops" && credentials.password() == "correct horse" {
///                 BasicOutcome::Valid(Principal::new(Scheme::Basic, Some("ops".into()), vec![], Default::default()))
///             } else {
///                 BasicOutcome::Invalid
///             }
///         })
///     }
/// }
/// ```
pub trait BasicVerifier: Send + Sync + 'static {
    /// Checks `credentials`.
    ///
    /// ```
    /// # #[cfg(feature = "htpasswd")] {
    /// use auth_core::{BasicCredentials, BasicOutcome, BasicVerifier, Htpasswd};
    /// let store = Htpasswd::parse("ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n")?;
    /// let rt = actix_web::rt::System::new();
    /// let valid = rt.block_on(store.verify(BasicCredentials::new("ops", "correct horse")));
    /// assert!(matches!(valid, BasicOutcome::Valid(p) if p.subject() == Some("ops")));
    /// let wrong = rt.block_on(store.verify(BasicCredentials::new("ops", "correct horsE")));
    /// assert!(matches!(wrong, BasicOutcome::Invalid));
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn verify(&self, credentials: BasicCredentials) -> BasicFuture;
}

impl<T: BasicVerifier + ?Sized> BasicVerifier for Arc<T> {
    fn verify(&self, credentials: BasicCredentials) -> BasicFuture {
        (**self).verify(credentials)
    }
}
