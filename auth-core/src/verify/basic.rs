//! Basic credentials (RFC 7617): the [`BasicVerifier`] trait applications implement for their
//! user store, and [`Htpasswd`], a store that reads the files Apache's `htpasswd` writes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::credentials::BasicCredentials;
use crate::principal::Principal;

/// The future a [`BasicVerifier`] returns.
pub type BasicFuture = Pin<Box<dyn Future<Output = BasicOutcome> + Send + 'static>>;

/// What a [`BasicVerifier`] decided.
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
/// [`Htpasswd`] does with `actix_web::web::block`).
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
    fn verify(&self, credentials: BasicCredentials) -> BasicFuture;
}

impl<T: BasicVerifier + ?Sized> BasicVerifier for Arc<T> {
    fn verify(&self, credentials: BasicCredentials) -> BasicFuture {
        (**self).verify(credentials)
    }
}

pub use super::htpasswd::{Htpasswd, HtpasswdError};
