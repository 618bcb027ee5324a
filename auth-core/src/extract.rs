//! How a handler receives the verified identity: the `FromRequest` impls of [`Principal`],
//! [`Claims`] and [`MaybePrincipal`], and the waiting for a guard of the same request that is
//! still checking (as actix-web keeps the impls for `Option<T>` or `Method` in `extract.rs`,
//! apart from the types).

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use serde::de::DeserializeOwned;

use crate::config::AuthConfig;
use crate::guard::{self, AUTHENTICATED, AuthFuture, Outcome};
use crate::principal::Principal;
use crate::rejection::{ErrorCode, Reason, Rejection};

#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot receive the verified identity of a `#[require_auth]` struct",
    label = "the field of a `#[require_auth]` struct must be `Principal` or `Claims<T>`"
)]
/// What the field of a `#[require_auth]` struct can be: built from the verified principal.
/// `Principal` and `Claims<T>` implement it; a failure (claims that do not fit `T`) is a
/// refusal.
///
/// ```
/// use auth_core::__private::FromPrincipal;
/// use auth_core::{Claims, Principal, Scheme};
///
/// let claims = serde_json::json!({"tenant": 7}).as_object().unwrap().clone();
/// let user = Principal::new(Scheme::Bearer, Some("alice".into()), vec![], claims);
/// #[derive(serde::Deserialize)]
/// struct Tenant { tenant: u32 }
/// let Claims(t) = Claims::<Tenant>::from_principal(user.clone()).unwrap();
/// assert_eq!(t.tenant, 7);
/// assert!(Claims::<Vec<u8>>::from_principal(user).is_err());
/// ```
pub trait FromPrincipal: Sized {
    /// Converts; a failure (claims that do not fit `T`) is a refusal.
    fn from_principal(principal: Principal) -> Result<Self, Rejection>;
}

/// The token's claims deserialized into `T`.
///
/// Claims that do not fit `T` are refused as `invalid_token` (the token is not one this
/// endpoint can use); the mismatch is logged, never sent.
///
/// ```
/// use auth_core::{require_auth, Claims};
/// use serde::Deserialize;
///
/// #[derive(Deserialize)]
/// struct Tenant { tenant: String }
///
/// #[require_auth(scheme = "bearer")]
/// async fn tenant(Claims(t): Claims<Tenant>) -> String {
///     t.tenant
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Claims<T>(pub T);

/// Optional authentication: `None` when the request carries no credential for the accepted
/// schemes, the principal when it carries a valid one, and a refusal when it carries an
/// invalid one (a client with an expired token must learn it, not be served as anonymous).
///
/// Unlike `Option<Principal>`, whose actix implementation turns every refusal into `None`.
///
/// ```
/// use auth_core::MaybePrincipal;
///
/// async fn greet(MaybePrincipal(user): MaybePrincipal) -> String {
///     match user.as_ref().and_then(|u| u.subject()) {
///         Some(name) => format!("hello {name}"),
///         None => "hello stranger".to_owned(),
///     }
/// }
/// ```
#[derive(Clone, Debug)]
pub struct MaybePrincipal(pub Option<Principal>);

impl FromPrincipal for Principal {
    fn from_principal(principal: Principal) -> Result<Self, Rejection> {
        Ok(principal)
    }
}

impl<T: DeserializeOwned> FromPrincipal for Claims<T> {
    fn from_principal(principal: Principal) -> Result<Self, Rejection> {
        principal.deserialize_claims().map(Claims).map_err(|e| {
            // serde's message can quote a claim's value ("invalid type: string \"alice@…\""):
            // log only what kind of mismatch it was, and where.
            tracing::warn!(
                target: "auth",
                category = ?e.classify(),
                line = e.line(),
                column = e.column(),
                expected = std::any::type_name::<T>(),
                "claims do not fit the handler's type"
            );
            Rejection::new(ErrorCode::InvalidToken, Reason::ClaimsShape)
        })
    }
}

/// Resolves once polled: by then every `#[require_auth]` guard of the handler has started
/// (actix calls every extractor's `from_request` before polling any), so the principal it
/// verified is found in the request's extensions, or the future waits for a guard still
/// checking. With no guard at all, the request is authenticated here.
#[doc(hidden)]
pub struct IdentityFuture<T> {
    state: IdentityState,
    optional: bool,
    build: fn(Option<Principal>) -> Result<T, Rejection>,
}

enum IdentityState {
    Start(HttpRequest),
    Checking(AuthFuture, HttpRequest),
    Done,
}

impl<T> fmt::Debug for IdentityFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdentityFuture")
    }
}

// No field is structurally pinned.
impl<T> Unpin for IdentityFuture<T> {}

impl<T> IdentityFuture<T> {
    fn new(
        req: &HttpRequest,
        optional: bool,
        build: fn(Option<Principal>) -> Result<T, Rejection>,
    ) -> Self {
        IdentityFuture {
            state: IdentityState::Start(req.clone()),
            optional,
            build,
        }
    }

    fn conclude(
        &self,
        req: &HttpRequest,
        result: Result<Option<Principal>, Rejection>,
    ) -> Result<T, Rejection> {
        result.and_then(|p| (self.build)(p).map_err(|e| guard::complete(req, &AUTHENTICATED, e)))
    }
}

impl<T> Future for IdentityFuture<T> {
    type Output = Result<T, Rejection>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            match std::mem::replace(&mut self.state, IdentityState::Done) {
                IdentityState::Start(req) => {
                    let found = req
                        .app_data::<AuthConfig>()
                        .and_then(|config| guard::verified_under(&req, config));
                    if let Some(principal) = found {
                        return Poll::Ready(self.conclude(&req, Ok(Some(principal))));
                    }
                    if wait_in_flight(&req, cx) {
                        self.state = IdentityState::Start(req);
                        return Poll::Pending;
                    }
                    match guard::run(&req, &AUTHENTICATED, self.optional) {
                        Outcome::Ready(result) => return Poll::Ready(self.conclude(&req, result)),
                        Outcome::Pending(check) => self.state = IdentityState::Checking(check, req),
                    }
                }
                IdentityState::Checking(mut check, req) => match check.as_mut().poll(cx) {
                    Poll::Ready(result) => return Poll::Ready(self.conclude(&req, result)),
                    Poll::Pending => {
                        self.state = IdentityState::Checking(check, req);
                        return Poll::Pending;
                    }
                },
                IdentityState::Done => {
                    return Poll::Ready(Err(Rejection::new(
                        ErrorCode::ServerError,
                        Reason::NoConfig,
                    )));
                }
            }
        }
    }
}

fn required(p: Option<Principal>) -> Result<Principal, Rejection> {
    // Only optional authentication yields `None`; fail closed if it ever reached here.
    p.ok_or_else(|| Rejection::new(ErrorCode::Unauthorized, Reason::NoCredentials))
}

impl FromRequest for Principal {
    type Error = Rejection;
    type Future = IdentityFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        IdentityFuture::new(req, false, required)
    }
}

impl<T: DeserializeOwned> FromRequest for Claims<T> {
    type Error = Rejection;
    type Future = IdentityFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        IdentityFuture::new(req, false, |p| required(p).and_then(Claims::from_principal))
    }
}

impl FromRequest for MaybePrincipal {
    type Error = Rejection;
    type Future = IdentityFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        IdentityFuture::new(req, true, |p| Ok(MaybePrincipal(p)))
    }
}

/// Guards of this request whose check is still running, and the identity extractors waiting
/// for them (all in one task: the waker wakes that task).
#[derive(Clone, Default)]
struct InFlight(Rc<RefCell<(usize, Vec<Waker>)>>);

/// Marks a guard's check as running.
pub(crate) fn begin_in_flight(req: &HttpRequest) {
    let existing = req.extensions().get::<InFlight>().cloned();
    let in_flight = existing.unwrap_or_else(|| {
        let fresh = InFlight::default();
        req.extensions_mut().insert(fresh.clone());
        fresh
    });
    in_flight.0.borrow_mut().0 += 1;
}

/// Marks a guard's check as done and wakes the extractors waiting for it.
pub(crate) fn end_in_flight(req: &HttpRequest) {
    let Some(in_flight) = req.extensions().get::<InFlight>().cloned() else {
        return;
    };
    let waiters = {
        let mut state = in_flight.0.borrow_mut();
        state.0 = state.0.saturating_sub(1);
        std::mem::take(&mut state.1)
    };
    waiters.into_iter().for_each(Waker::wake);
}

/// Whether a guard of this request is still running; if so, `cx` is woken when one ends.
pub(crate) fn wait_in_flight(req: &HttpRequest, cx: &Context<'_>) -> bool {
    let Some(in_flight) = req.extensions().get::<InFlight>().cloned() else {
        return false;
    };
    let mut state = in_flight.0.borrow_mut();
    if state.0 == 0 {
        return false;
    }
    state.1.push(cx.waker().clone());
    true
}

/// Holds the request's body back while a guard of the request is still checking: actix polls
/// every extractor of a handler in the same pass, so without this a `Json<T>` argument would
/// read (and refuse, with its own 400) the body of a request whose credentials are still being
/// verified — an introspection call, a key refetch, a password hash, an async policy. The
/// guard's refusal must come first, and an unauthenticated client must not make the service
/// read its body.
pub(crate) fn hold_body(req: &HttpRequest, payload: &mut Payload) {
    let inner = payload.take();
    let held = HeldBody {
        req: req.clone(),
        inner,
    };
    let stream: Pin<
        Box<
            dyn futures_util::Stream<
                    Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>,
                >,
        >,
    > = Box::pin(held);
    *payload = Payload::from(stream);
}

/// The body, released once no guard of its request is checking.
struct HeldBody {
    req: HttpRequest,
    inner: Payload,
}

impl futures_util::Stream for HeldBody {
    type Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if wait_in_flight(&self.req, cx) {
            return Poll::Pending;
        }
        Pin::new(&mut self.inner).poll_next(cx)
    }
}
