//! Scope-wide protection: one requirement for every route of a `web::scope` (or an `App`),
//! answered exactly as `#[require_auth]` answers, with explicit public exceptions.
//!
//! A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is never
//! challenged: browsers send it without credentials, and refusing it would hide every real
//! answer from the page.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::{Method, header};
use actix_web::{Error, ResponseError};

use crate::guard::{self, Outcome};
use crate::requirement::Requirement;

/// A middleware that checks one [`Requirement`] before every route it wraps.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use auth_core::{Principal, RequireAuth, Requirement, Scheme, SchemeSet};
/// const API: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer))
///     .all_scopes(&["orders:read"]);
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
    pub fn new(requirement: &'static Requirement) -> Self {
        RequireAuth {
            requirement,
            public: Arc::from(Vec::new()),
        }
    }

    /// Leaves one request path (exact match, e.g. `/api/health`) public. A public route that
    /// still takes a `Principal` argument authenticates by itself: leaving a path public never
    /// hands out an identity.
    pub fn public(self, path: impl Into<String>) -> Self {
        let mut public = self.public.to_vec();
        public.push(path.into());
        RequireAuth {
            requirement: self.requirement,
            public: public.into(),
        }
    }
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
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

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let pass = |service: Rc<S>, req: ServiceRequest| -> Answer<B> {
            Box::pin(async move {
                service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_left_body)
            })
        };
        if is_preflight(&req) || self.config.public.iter().any(|p| p == req.path()) {
            return pass(self.service.clone(), req);
        }
        let requirement = self.config.requirement;
        let refuse = |req: ServiceRequest, rejection: crate::Rejection| -> Answer<B> {
            let res = req
                .into_response(rejection.error_response())
                .map_into_right_body();
            Box::pin(ready(Ok(res)))
        };
        match guard::run(req.request(), requirement, false) {
            Outcome::Ready(result) => match guard::required(req.request(), requirement, result) {
                Ok(_) => pass(self.service.clone(), req),
                Err(rejection) => refuse(req, rejection),
            },
            Outcome::Pending(check) => {
                let service = self.service.clone();
                Box::pin(async move {
                    let result = check.await;
                    match guard::required(req.request(), requirement, result) {
                        Ok(_) => pass(service, req).await,
                        Err(rejection) => refuse(req, rejection).await,
                    }
                })
            }
        }
    }
}
