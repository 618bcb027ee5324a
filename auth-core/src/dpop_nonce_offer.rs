//! A fresh `DPoP-Nonce` on successful DPoP responses (RFC 9449 §8.2 lets a server supply one
//! on a 200), so a client's next proof carries the current nonce without a round trip through
//! `use_dpop_nonce`. An extractor cannot touch the response, so this is a middleware: wrap the
//! `App` (or a scope) with [`OfferDpopNonce`].

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage as _};

use crate::binding::ProvenKey;
use crate::config::AuthConfig;

/// Adds the current `DPoP-Nonce` to every successful response of a request that authenticated
/// with DPoP, when the application's [`Dpop`](crate::Dpop) settings require nonces. Other
/// responses are untouched (refusals carry their nonce already).
///
/// ```
/// use actix_web::{test, App, HttpResponse};
/// use auth_core::{AuthConfig, OfferDpopNonce};
/// # actix_web::rt::System::new().block_on(async {
/// let auth = AuthConfig::builder().build().unwrap();
/// let app = App::new().app_data(auth).wrap(OfferDpopNonce).route("/", actix_web::web::get().to(HttpResponse::Ok));
/// let app = test::init_service(app).await;
/// let res = test::call_service(&app, test::TestRequest::get().to_request()).await;
/// assert!(res.headers().get("dpop-nonce").is_none(), "not a DPoP request");
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct OfferDpopNonce;

impl<S, B> Transform<S, ServiceRequest> for OfferDpopNonce
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = OfferDpopNonceMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(OfferDpopNonceMiddleware {
            service: Rc::new(service),
        }))
    }
}

/// The service [`OfferDpopNonce`] wraps.
///
/// ```
/// use actix_web::{test, web, App, HttpResponse};
/// use auth_core::OfferDpopNonce;
/// # actix_web::rt::System::new().block_on(async {
/// let app = test::init_service(App::new().wrap(OfferDpopNonce).route("/", web::get().to(HttpResponse::Ok))).await;
/// assert_eq!(test::call_service(&app, test::TestRequest::get().to_request()).await.status(), 200);
/// # });
/// ```
#[derive(Debug)]
pub struct OfferDpopNonceMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for OfferDpopNonceMiddleware<S>
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

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        Box::pin(async move {
            let mut res = service.call(req).await?;
            let proven = res.request().extensions().contains::<ProvenKey>();
            if proven && res.status().is_success() {
                let nonce = res
                    .request()
                    .app_data::<AuthConfig>()
                    .and_then(AuthConfig::dpop)
                    .and_then(|d| d.nonces())
                    .and_then(|n| HeaderValue::try_from(n.issue()).ok());
                if let Some(nonce) = nonce {
                    res.headers_mut()
                        .insert(HeaderName::from_static("dpop-nonce"), nonce);
                }
            }
            Ok(res)
        })
    }
}
