//! The items `#[require_auth]` expands to. Not a public API: nothing here is covered by semver,
//! and nothing else in the crate is named by generated code.

use std::marker::PhantomData;

pub use actix_web::dev::Payload;
pub use actix_web::{FromRequest, HttpRequest};

use crate::principal::Principal;
pub use crate::rejection::Rejection;
pub use crate::requirement::{Requirement, Scheme, SchemeSet};

/// Carries a handler's requirement as a type, so the hidden extractor knows what to check.
pub trait RequirementSource {
    /// The requirement, built in `const` context by the macro.
    const REQUIREMENT: &'static Requirement;
}

/// Builds a `#[require_auth]` struct's field from the verified principal.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive the verified identity of a `#[require_auth]` struct",
    label = "the field of a `#[require_auth]` struct must be `Principal` or `Claims<T>`"
)]
pub trait FromPrincipal: Sized {
    /// Converts; a failure (claims that do not fit `T`) is a refusal.
    fn from_principal(principal: Principal) -> Result<Self, Rejection>;
}

/// The hidden first argument `#[require_auth]` adds to a handler: extracting it runs the check.
pub struct Guard<R>(PhantomData<R>);

impl<R> std::fmt::Debug for Guard<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guard")
    }
}

/// The future of every generated extractor.
pub type ExtractFuture<T> = std::future::Ready<Result<T, Rejection>>;

impl<R: RequirementSource> FromRequest for Guard<R> {
    type Error = Rejection;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        extract(req, R::REQUIREMENT, |_| Ok(Guard(PhantomData)))
    }
}

/// Checks `requirement` against `req` and builds the extractor from the principal.
///
/// The check runs synchronously inside `from_request`, before actix polls any extractor, so the
/// principal is stored in the request's extensions by the time a `Principal` argument looks.
pub fn extract<T>(
    req: &HttpRequest,
    requirement: &'static Requirement,
    build: fn(Principal) -> Result<T, Rejection>,
) -> ExtractFuture<T> {
    std::future::ready(crate::guard::authenticate(req, requirement).and_then(build))
}
