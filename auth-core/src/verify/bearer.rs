//! The Bearer slot of an [`AuthConfig`](crate::AuthConfig): any verifier that turns a bearer
//! token into a [`Principal`], now or later. [`JwtVerifier`](crate::JwtVerifier) is one; an
//! introspection client, or a verifier of the application's own, is another. The guard does
//! not know how a verifier decides: a key refetch or a network call is the verifier's own
//! business, handed back as a future.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::principal::Principal;
use crate::rejection::Reason;

/// A decision a [`BearerVerifier`] takes later. It runs on the request's actix worker, so it
/// need not be `Send`; it must never block (run blocking work on `actix_web::web::block`).
///
/// ```
/// use auth_core::{BearerFuture, Reason};
/// let unreachable: BearerFuture = Box::pin(async { Err(Reason::Unavailable) });
/// let outcome = actix_web::rt::System::new().block_on(unreachable);
/// assert_eq!(outcome.unwrap_err(), Reason::Unavailable);
/// ```
pub type BearerFuture = Pin<Box<dyn Future<Output = Result<Principal, Reason>>>>;

/// What a [`BearerVerifier`] answers for one token.
///
/// ```
/// use auth_core::{BearerVerdict, Principal, Reason, Scheme};
/// let now = BearerVerdict::Ready(Err(Reason::BadSignature));
/// let later = BearerVerdict::Later(Box::pin(async {
///     Ok(Principal::new(Scheme::Bearer, Some("svc".into()), vec![], Default::default()))
/// }));
/// assert!(matches!(now, BearerVerdict::Ready(Err(_))));
/// assert!(matches!(later, BearerVerdict::Later(_)));
/// ```
pub enum BearerVerdict {
    /// Decided now.
    Ready(Result<Principal, Reason>),
    /// Decided before for exactly this token (a cache hit): a refusal is logged quietly, since
    /// its first occurrence was logged in full.
    Repeated(Result<Principal, Reason>),
    /// Decided later (a key refetch, an introspection call): the guard awaits it.
    Later(BearerFuture),
}

impl fmt::Debug for BearerVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BearerVerdict::Ready(r) => f.debug_tuple("Ready").field(&r.as_ref().err()).finish(),
            BearerVerdict::Repeated(r) => {
                f.debug_tuple("Repeated").field(&r.as_ref().err()).finish()
            }
            BearerVerdict::Later(_) => f.write_str("Later"),
        }
    }
}

/// Turns a bearer token into a [`Principal`]: what [`AuthConfigBuilder::bearer`] takes.
///
/// A verifier refuses with an internal [`Reason`] (logged, never sent); the guard maps it to
/// the response contract (`Reason::Expired` → `token_expired`, `Reason::Unavailable` → 503,
/// anything else → `invalid_token`). Scopes, throttling, challenges and the audit log are the
/// guard's, whatever the verifier.
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
/// use auth_core::{AuthConfig, BearerVerdict, BearerVerifier, Principal, Reason, RequireAuth, Requirement, Scheme};
///
/// /// Accepts one service token (a sketch: compare secrets in constant time in real code).
/// #[derive(Debug)]
/// struct OneToken;
/// impl BearerVerifier for OneToken {
///     fn verify_token(&self, token: &str) -> BearerVerdict {
///         BearerVerdict::Ready(if token == "svc-token-1" {
///             Ok(Principal::new(Scheme::Bearer, Some("svc".into()), vec![], Default::default()))
///         } else {
///             Err(Reason::MalformedToken("unknown service token"))
///         })
///     }
/// }
/// # actix_web::rt::System::new().block_on(async {
/// let auth = AuthConfig::builder().bearer(OneToken).build().unwrap();
/// let app = App::new().app_data(auth)
///     .wrap(RequireAuth::new(&Requirement::AUTHENTICATED))
///     .route("/", web::get().to(HttpResponse::Ok));
/// let app = test::init_service(app).await;
/// let call = |token: &str| test::TestRequest::get()
///     .insert_header(("authorization", format!("Bearer {token}"))).to_request();
/// assert_eq!(test::call_service(&app, call("svc-token-1")).await.status(), 200);
/// assert_eq!(test::call_service(&app, call("svc-token-2")).await.status(), 401);
/// # });
/// ```
///
/// [`AuthConfigBuilder::bearer`]: crate::AuthConfigBuilder::bearer
pub trait BearerVerifier: fmt::Debug + Send + Sync + 'static {
    /// Verifies `token` (already checked to be an RFC 6750 `b64token`).
    ///
    /// ```
    /// # use auth_core::{Algorithm, BearerVerdict, BearerVerifier, JwtKey, JwtVerifier};
    /// let jwt = JwtVerifier::builder()
    ///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
    ///     .build()?;
    /// assert!(matches!(jwt.verify_token("not.a.jwt"), BearerVerdict::Ready(Err(_))));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    fn verify_token(&self, token: &str) -> BearerVerdict;

    /// A decision already taken for exactly these bytes, if the verifier keeps one (a verdict
    /// cache), looked up before the header is even parsed. Only tokens that passed the
    /// `b64token` syntax may ever be answered here. The default keeps none.
    ///
    /// ```
    /// # use auth_core::{BearerVerdict, BearerVerifier, Reason};
    /// #[derive(Debug)]
    /// struct Never;
    /// impl BearerVerifier for Never {
    ///     fn verify_token(&self, _: &str) -> BearerVerdict { BearerVerdict::Ready(Err(Reason::BadSignature)) }
    /// }
    /// assert!(Never.cached(b"a.b.c").is_none());
    /// ```
    fn cached(&self, token: &[u8]) -> Option<Result<Principal, Reason>> {
        let _ = token;
        None
    }
}

/// A verifier chosen at run time (from configuration) is a verifier.
impl BearerVerifier for Box<dyn BearerVerifier> {
    fn verify_token(&self, token: &str) -> BearerVerdict {
        (**self).verify_token(token)
    }

    fn cached(&self, token: &[u8]) -> Option<Result<Principal, Reason>> {
        (**self).cached(token)
    }
}
