//! The items `#[require_auth]` expands to. Not a public API: nothing here is covered by semver,
//! and nothing else in the crate is named by generated code.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use actix_web::dev::Payload;
pub use actix_web::{FromRequest, HttpRequest};

use crate::extract;
use crate::guard::{self, AuthFuture, Outcome};
pub use crate::principal::Principal;
pub use crate::rejection::Rejection;
use crate::rejection::{ErrorCode, Reason};
pub use crate::requirement::Requirement;
pub use crate::scheme::{Scheme, SchemeSet};
pub use crate::token_location::{TokenLocation, TokenLocations};

/// Carries a handler's requirement as a type, so the hidden extractor knows what to check.
pub trait RequirementSource {
    /// The requirement, built in `const` context by the macro.
    const REQUIREMENT: &'static Requirement;
}

pub use crate::extract::FromPrincipal;

/// The hidden first argument `#[require_auth]` adds to a handler: extracting it runs the check.
pub struct Guard<R>(PhantomData<R>);

impl<R> std::fmt::Debug for Guard<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Guard")
    }
}

/// The future of every generated extractor: ready at once for Bearer and API keys, pending
/// while a Basic password is checked on the blocking pool.
pub struct ExtractFuture<T> {
    state: State<T>,
}

enum State<T> {
    Ready(Option<Result<T, Rejection>>),
    Pending {
        check: AuthFuture,
        req: HttpRequest,
        requirement: &'static Requirement,
        build: fn(Principal) -> Result<T, Rejection>,
    },
}

impl<T> std::fmt::Debug for ExtractFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ExtractFuture")
    }
}

// `T` is only ever moved out, never pinned.
impl<T> Unpin for ExtractFuture<T> {}

impl<T> Future for ExtractFuture<T> {
    type Output = Result<T, Rejection>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            State::Ready(result) => {
                Poll::Ready(result.take().unwrap_or_else(|| {
                    Err(Rejection::new(ErrorCode::ServerError, Reason::NoConfig))
                }))
            }
            State::Pending {
                check,
                req,
                requirement,
                build,
            } => match check.as_mut().poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(result) => {
                    extract::end_in_flight(req);
                    let done = conclude(req, requirement, result, *build);
                    self.state = State::Ready(None);
                    Poll::Ready(done)
                }
            },
        }
    }
}

impl<R: RequirementSource> FromRequest for Guard<R> {
    type Error = Rejection;
    type Future = ExtractFuture<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        extract(req, payload, R::REQUIREMENT, |_| Ok(Guard(PhantomData)))
    }
}

fn conclude<T>(
    req: &HttpRequest,
    requirement: &'static Requirement,
    result: Result<Option<Principal>, Rejection>,
    build: fn(Principal) -> Result<T, Rejection>,
) -> Result<T, Rejection> {
    guard::required(req, requirement, result)
        .and_then(|principal| build(principal).map_err(|e| guard::complete(req, requirement, e)))
}

/// Checks `requirement` against `req` and builds the extractor from the principal.
///
/// The check starts inside `from_request`, before actix polls any extractor; a check that must
/// wait (Basic, introspection, an async policy) is marked in flight, so a `Principal` argument
/// waits for it instead of checking the request a second time, and the body is held back until
/// it ends (the handler's body extractors are polled in the same pass).
pub fn extract<T>(
    req: &HttpRequest,
    payload: &mut Payload,
    requirement: &'static Requirement,
    build: fn(Principal) -> Result<T, Rejection>,
) -> ExtractFuture<T> {
    let state = match guard::run(req, requirement, false) {
        Outcome::Ready(result) => State::Ready(Some(conclude(req, requirement, result, build))),
        Outcome::Pending(check) => {
            extract::begin_in_flight(req);
            extract::hold_body(req, payload);
            State::Pending {
                check,
                req: req.clone(),
                requirement,
                build,
            }
        }
    };
    ExtractFuture { state }
}

/// The future of the stub `FromRequest` impl `#[require_auth]` emits beside a struct whose
/// attribute has an error (the build fails on that error; the stub only keeps the message
/// alone). Fails closed: a server error.
pub fn refused<T>() -> ExtractFuture<T> {
    ExtractFuture {
        state: State::Ready(Some(Err(Rejection::new(
            ErrorCode::ServerError,
            Reason::NoConfig,
        )))),
    }
}

use crate::policy::Decision;
pub use crate::policy::{Policy, PolicyFuture};

/// What a policy may return: a [`Decision`], or a future of one (an `async fn`). Generated
/// code calls the application's policy through [`policy_outcome`], spanned at the policy's
/// path, so a function of another shape is reported there with this message.
#[diagnostic::on_unimplemented(
    message = "a policy returns `Decision` or a future of one, not `{Self}`",
    label = "this policy's result is not a `Decision`",
    note = "a policy is `fn(&Principal, &HttpRequest) -> Decision` or `async fn(&Principal, &HttpRequest) -> Decision`; a `bool` converts with `.into()`"
)]
pub trait PolicyOutcome {
    /// The future of the decision.
    type Future: Future<Output = Decision>;
    /// Starts awaiting the decision.
    fn into_decision(self) -> Self::Future;
}

impl PolicyOutcome for Decision {
    type Future = std::future::Ready<Decision>;

    fn into_decision(self) -> Self::Future {
        std::future::ready(self)
    }
}

impl<F: Future<Output = Decision>> PolicyOutcome for F {
    type Future = F;

    fn into_decision(self) -> Self::Future {
        self
    }
}

/// The decision of a policy's result, plain or awaited.
///
/// An opaque future, so a result that is not a `Decision` is reported once, at this call's
/// bound, and not again where the generated code awaits it.
pub fn policy_outcome<T: PolicyOutcome>(outcome: T) -> impl Future<Output = Decision> {
    outcome.into_decision()
}

/// Boxes a policy's evaluation (generated code names no `std` path).
pub fn policy_future(decision: impl Future<Output = Decision> + 'static) -> PolicyFuture {
    Box::pin(decision)
}
