//! Scope-wide protection: one requirement for every route of a `web::scope` (or an `App`),
//! answered exactly as `#[require_auth]` answers, with explicit public exceptions.
//!
//! **CORS.** A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is
//! checked like any other request: anyone can send something shaped like a preflight, and a
//! handler that answers every method (`web::to`, `default_service`) would run for it. Browsers
//! send preflights without credentials, so the CORS middleware must answer them before they
//! reach the guard: wrap `actix_cors::Cors` *outside* `RequireAuth` (in actix the last `wrap`
//! is the outermost), or at the `App` with the guard on a scope. `Cors` answers every
//! preflight itself and never passes one on. In the other order a preflight reaches the guard
//! and is refused with the 401 a request without credentials gets: the browser then blocks
//! the real request, which shows the mistake at once and opens nothing.
//!
//! Where form-body tokens are enabled, the middleware reads `application/x-www-form-urlencoded`
//! bodies (up to [`FORM_BODY_LIMIT`]) to find `access_token`, then hands the body on untouched:
//! the handler's `web::Form` sees every byte. A successful response to a request authenticated
//! by a query token gets `Cache-Control: private` unless the handler set one (RFC 6750 §2.3).

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header;
use actix_web::http::header::HeaderValue;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage as _, ResponseError};
use futures_util::StreamExt as _;

use crate::config::AuthConfig;
use crate::guard::{self, Outcome};
use crate::requirement::Requirement;
use crate::token_location::TokenLocation;
use crate::transport::{FORM_BODY_LIMIT, FormToken, TokenSource, form_member, is_form_post};

/// A middleware that checks one [`Requirement`] before every route it wraps.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use auth_core::{Principal, RequireAuth, Requirement, Scheme, SchemeSet};
/// const API: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
///     .with_all_scopes(&["orders:read"]);
/// let app = App::new().service(
///     web::scope("/api")
///         .wrap(RequireAuth::new(&API).public("/api/health"))
///         .route("/health", web::get().to(HttpResponse::Ok))
///         .route("/orders", web::get().to(|user: Principal| async move {
///             HttpResponse::Ok().body(user.subject().unwrap_or("?").to_owned())
///         })),
/// );
/// ```
#[derive(Clone, Debug)]
pub struct RequireAuth {
    requirement: &'static Requirement,
    public: Arc<[String]>,
}

impl RequireAuth {
    /// Protects everything wrapped with `requirement` (a `const`, as `#[require_auth]` builds).
    ///
    /// ```
    /// use actix_web::{test, web, App, HttpResponse};
    /// use auth_core::{RequireAuth, Requirement};
    /// # use auth_core::{Algorithm, AuthConfig, JwtKey, JwtVerifier};
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let auth = AuthConfig::builder()
    /// #     .bearer(JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET).unwrap()).build().unwrap())
    /// #     .build().unwrap();
    /// # let token = auth_core::testing::Minter::hmac(Algorithm::HS256, SECRET).sign(&serde_json::json!({"sub": "alice", "exp": 4102444800u64}));
    /// # actix_web::rt::System::new().block_on(async {
    /// let scope = web::scope("/api").wrap(RequireAuth::new(&Requirement::AUTHENTICATED));
    /// let app = App::new().app_data(auth).service(scope.route("/me", web::get().to(HttpResponse::Ok)));
    /// let app = test::init_service(app).await;
    /// let anonymous = test::TestRequest::get().uri("/api/me").to_request();
    /// assert_eq!(test::call_service(&app, anonymous).await.status(), 401);
    /// let signed_in = test::TestRequest::get().uri("/api/me").insert_header(("authorization", format!("Bearer {token}")));
    /// assert_eq!(test::call_service(&app, signed_in.to_request()).await.status(), 200);
    /// # });
    /// ```
    pub fn new(requirement: &'static Requirement) -> Self {
        RequireAuth {
            requirement,
            public: Arc::from(Vec::new()),
        }
    }

    /// Leaves one request path (exact match, e.g. `/api/health`) public. A public route that
    /// still takes a `Principal` argument authenticates by itself: leaving a path public never
    /// hands out an identity.
    ///
    /// ```
    /// use actix_web::{test, web, App, HttpResponse};
    /// use auth_core::{RequireAuth, Requirement};
    /// # use auth_core::{Algorithm, AuthConfig, JwtKey, JwtVerifier};
    /// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
    /// # let auth = AuthConfig::builder()
    /// #     .bearer(JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET).unwrap()).build().unwrap())
    /// #     .build().unwrap();
    /// # actix_web::rt::System::new().block_on(async {
    /// let guard = RequireAuth::new(&Requirement::AUTHENTICATED).public("/api/health");
    /// let scope = web::scope("/api").wrap(guard).default_service(web::to(HttpResponse::Ok));
    /// let app = test::init_service(App::new().app_data(auth).service(scope)).await;
    /// let get = |uri| test::TestRequest::get().uri(uri).to_request();
    /// assert_eq!(test::call_service(&app, get("/api/health")).await.status(), 200);
    /// assert_eq!(test::call_service(&app, get("/api/orders")).await.status(), 401);
    /// # });
    /// ```
    pub fn public(self, path: impl Into<String>) -> Self {
        let mut public = self.public.to_vec();
        public.push(path.into());
        RequireAuth {
            requirement: self.requirement,
            public: public.into(),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequireAuth
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = RequireAuthMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireAuthMiddleware {
            service: Rc::new(service),
            config: self.clone(),
        }))
    }
}

/// The service [`RequireAuth`] wraps around a scope.
///
/// ```
/// use actix_web::dev::{Service as _, Transform as _};
/// use actix_web::test;
/// use auth_core::{RequireAuth, RequireAuthMiddleware, Requirement};
/// # use auth_core::{Algorithm, AuthConfig, JwtKey, JwtVerifier};
/// # const SECRET: &[u8] = b"an HS256 secret of 32 bytes or more";
/// # let auth = AuthConfig::builder()
/// #     .bearer(JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET).unwrap()).build().unwrap())
/// #     .build().unwrap();
/// # actix_web::rt::System::new().block_on(async {
/// let guard = RequireAuth::new(&Requirement::AUTHENTICATED);
/// let service: RequireAuthMiddleware<_> = guard.new_transform(test::ok_service()).await.unwrap();
/// let req = test::TestRequest::get().app_data(auth).to_srv_request();
/// assert_eq!(service.call(req).await.unwrap().status(), 401);
/// # });
/// ```
#[derive(Debug)]
pub struct RequireAuthMiddleware<S> {
    service: Rc<S>,
    config: RequireAuth,
}

type Answer<B> = Pin<Box<dyn Future<Output = Result<ServiceResponse<EitherBody<B>>, Error>>>>;

impl<S, B> Service<ServiceRequest> for RequireAuthMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Answer<B>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        if self.config.public.iter().any(|p| p == req.path()) {
            return pass(self.service.clone(), req);
        }
        let requirement = self.config.requirement;
        let reads_form = req
            .app_data::<AuthConfig>()
            .is_some_and(|c| c.locations_for(requirement).contains(TokenLocation::Form));
        if reads_form && needs_form_read(&req) {
            let service = self.service.clone();
            return Box::pin(async move {
                read_form_token(&mut req).await;
                check(service, req, requirement).await
            });
        }
        check(self.service.clone(), req, requirement)
    }
}

/// Hands the request on to the wrapped service.
fn pass<S, B>(service: Rc<S>, req: ServiceRequest) -> Answer<B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    Box::pin(async move {
        let mut res = service.call(req).await?;
        let by_query = res
            .request()
            .extensions()
            .get::<TokenSource>()
            .is_some_and(|s| s.location == TokenLocation::Query);
        if by_query
            && res.status().is_success()
            && !res.headers().contains_key(header::CACHE_CONTROL)
        {
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
        }
        Ok(res.map_into_left_body())
    })
}

/// Answers with the refusal.
fn refuse<B: 'static>(req: ServiceRequest, rejection: crate::Rejection) -> Answer<B> {
    let res = req
        .into_response(rejection.error_response())
        .map_into_right_body();
    Box::pin(ready(Ok(res)))
}

/// Checks `requirement`, then passes or refuses.
fn check<S, B>(service: Rc<S>, req: ServiceRequest, requirement: &'static Requirement) -> Answer<B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    match guard::run(req.request(), requirement, false) {
        Outcome::Ready(result) => match guard::required(req.request(), requirement, result) {
            Ok(_) => pass(service, req),
            Err(rejection) => refuse(req, rejection),
        },
        Outcome::Pending(check) => Box::pin(async move {
            let result = check.await;
            match guard::required(req.request(), requirement, result) {
                Ok(_) => pass(service, req).await,
                Err(rejection) => refuse(req, rejection).await,
            }
        }),
    }
}

/// Whether the request has a form body not yet searched for a token.
fn needs_form_read(req: &ServiceRequest) -> bool {
    is_form_post(req.request()) && !req.extensions().contains::<FormToken>()
}

/// Reads a form body (up to [`FORM_BODY_LIMIT`]), records its `access_token` for the guards,
/// and puts the body back exactly as it came, so the handler's extractors read it as usual.
async fn read_form_token(req: &mut ServiceRequest) {
    // A compressed body would be searched as raw bytes while the handler's `web::Form` may
    // decompress it and see a token: refuse rather than miss a second method.
    let encoded = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if encoded {
        req.extensions_mut()
            .insert(FormToken::Malformed("form body with a Content-Encoding"));
        return;
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    let outcome = loop {
        match payload.next().await {
            None => break None,
            Some(Ok(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > FORM_BODY_LIMIT {
                    break Some(Ok(()));
                }
            }
            Some(Err(error)) => break Some(Err(error)),
        }
    };
    let body = body.freeze();
    let token = match outcome {
        None => match form_member(&body) {
            Ok(Some(token)) => FormToken::Found(token),
            Ok(None) => FormToken::Absent,
            Err(why) => FormToken::Malformed(why),
        },
        Some(Ok(())) => FormToken::Malformed("form body over the limit"),
        Some(Err(_)) => FormToken::Malformed("form body unreadable"),
    };
    req.extensions_mut().insert(token);
    // The rest of the body (after an over-long prefix, or the read error) follows what was read.
    let rest: Payload = match outcome {
        None => Payload::from(body),
        Some(Ok(())) => {
            let head = futures_util::stream::once(ready(Ok::<Bytes, _>(body)));
            Payload::Stream {
                payload: Box::pin(head.chain(payload)),
            }
        }
        Some(Err(error)) => {
            let stream = futures_util::stream::iter([Ok(body), Err(error)]);
            Payload::Stream {
                payload: Box::pin(stream),
            }
        }
    };
    req.set_payload(rest);
}

/// A middleware that reads form-body tokens for handlers protected by `#[require_auth]` (the
/// attribute's extractor runs beside the handler's own and cannot share the body). Wrap the
/// routes where [`TokenLocation::Form`] is enabled; [`RequireAuth`] does this by itself.
///
/// Without it, a form request to such a handler is refused with a 500 and a log line naming
/// this middleware: failing closed beats ignoring a token the application asked for.
///
/// ```
/// use actix_web::{post, App, HttpResponse};
/// use auth_core::{require_auth, ReadFormToken};
///
/// #[require_auth(scheme = "bearer", token_in = "header | form")]
/// #[post("/upload")]
/// async fn upload() -> HttpResponse {
///     HttpResponse::NoContent().finish()
/// }
///
/// let app = App::new().wrap(ReadFormToken).service(upload);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadFormToken;

impl<S, B> Transform<S, ServiceRequest> for ReadFormToken
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = ReadFormTokenMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(ReadFormTokenMiddleware {
            service: Rc::new(service),
        }))
    }
}

/// The service [`ReadFormToken`] wraps.
///
/// ```
/// use actix_web::{test, web, App};
/// use auth_core::ReadFormToken;
/// # actix_web::rt::System::new().block_on(async {
/// // `wrap` puts a `ReadFormTokenMiddleware` in front of the routes; the handler still reads
/// // every byte of the body.
/// let echo = web::post().to(|body: String| async move { body });
/// let app = test::init_service(App::new().wrap(ReadFormToken).route("/", echo)).await;
/// let req = test::TestRequest::post()
///     .insert_header(("content-type", "application/x-www-form-urlencoded"))
///     .set_payload("access_token=abc&note=hi");
/// assert_eq!(test::call_and_read_body(&app, req.to_request()).await, "access_token=abc&note=hi");
/// # });
/// ```
#[derive(Debug)]
pub struct ReadFormTokenMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for ReadFormTokenMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<ServiceResponse<B>, Error>>>>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        Box::pin(async move {
            if needs_form_read(&req) {
                read_form_token(&mut req).await;
            }
            service.call(req).await
        })
    }
}
