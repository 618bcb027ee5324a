//! The `reqwest-middleware` middleware: attaches a token (and a DPoP proof) to each request and
//! acts on the answer exactly as RFC 6750, RFC 9449, RFC 9470 and RFC 9728 say — refresh once
//! on `invalid_token`, one nonce retry, never a retry on 403 or 400, `Retry-After` within a
//! bound, discovery from a 401.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use http::{Extensions, HeaderValue};
use reqwest::{Request, Response};
use reqwest_middleware::{Middleware, Next};

use crate::answer::{self, Verdict};
use crate::discovery::{Discovery, covers_url};
use crate::http_util::is_safe_endpoint;
use crate::{Error, Token, TokenKind, TokenManager, TokenRequest};

/// The longest `Retry-After` waited out by default; a longer one is the caller's to handle
/// (the 429 or 503 is returned as it is).
///
/// ```
/// assert_eq!(auth_client::DEFAULT_RETRY_AFTER_LIMIT, std::time::Duration::from_secs(10));
/// ```
pub const DEFAULT_RETRY_AFTER_LIMIT: Duration = Duration::from_secs(10);

/// Resources a discovering middleware remembers at most.
const MAX_KNOWN: usize = 256;

/// The token to exchange for this request (RFC 8693), when the middleware's source is a
/// [`TokenExchange`](crate::TokenExchange): attach it with `with_extension`.
///
/// ```
/// # async fn run(client: reqwest_middleware::ClientWithMiddleware, incoming: &str) {
/// let answer = client.get("https://inventory.internal/items")
///     .with_extension(auth_client::ExchangeSubject::access_token(incoming))
///     .send().await;
/// # }
/// ```
#[derive(Clone)]
pub struct ExchangeSubject {
    token: String,
    token_type: String,
}

impl std::fmt::Debug for ExchangeSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExchangeSubject")
            .field("token_type", &self.token_type)
            .finish()
    }
}

impl ExchangeSubject {
    /// An access token received by this service.
    ///
    /// ```
    /// let s = auth_client::ExchangeSubject::access_token("eyJ…");
    /// ```
    pub fn access_token(token: &str) -> Self {
        ExchangeSubject {
            token: token.to_owned(),
            token_type: String::new(),
        }
    }
}

/// The middleware. Build it from a [`TokenManager`] (the authorization server is known) or a
/// [`Discovery`] (only the resource URL is: the first request goes out anonymous and its 401
/// tells where to get a token).
///
/// What each answer does:
///
/// | answer | action |
/// |---|---|
/// | 401 `invalid_token` | drop the token, get a new one, replay once; again → [`Error::InvalidToken`] |
/// | 401 without `error` | attach credentials (discovering them if needed) and replay once |
/// | 401/400 `use_dpop_nonce` | replay once with the `DPoP-Nonce` just received; again → [`Error::DpopNonce`] |
/// | 401 `insufficient_user_authentication` | [`Error::StepUpRequired`] with `acr_values`, `max_age` |
/// | 403 `insufficient_scope` | [`Error::InsufficientScope`] with the scopes; never retried |
/// | 401 with only `Basic`/`Digest`/… challenges | [`Error::UnsupportedChallenge`] |
/// | 429, 503 with `Retry-After` ≤ the limit | wait, replay once |
/// | anything else (400, other 403s, 5xx, 2xx) | returned as it is |
///
/// A request whose body is a stream is never replayed ([`Error::NotReplayable`]).
///
/// Where a token goes (RFC 6750 §5.3, RFC 8707): only over https, or plain http to the
/// loopback interface; with [`OAuthMiddleware::new`], only to the origins of the
/// [`TokenRequest`]'s `resource`s when it names any, and only under the prefixes given to
/// [`OAuthMiddleware::only_for`] when there are any; with [`OAuthMiddleware::discover`], only
/// under the resource its metadata named. A request elsewhere is refused with
/// [`Error::Config`] before it leaves, whatever URL the application built (a `next` link, a
/// webhook, a user's input).
///
/// ```
/// use std::sync::Arc;
/// use auth_client::{AuthorizationServer, ClientAuth, ClientCredentials, OAuthClient, OAuthMiddleware, TokenManager, TokenRequest};
///
/// let http = reqwest::Client::new();
/// let server = AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
/// let source = ClientCredentials::new(OAuthClient::new(http.clone(), server, ClientAuth::secret_basic("svc", "s3cret")));
/// let manager = Arc::new(TokenManager::new(source));
/// let client = reqwest_middleware::ClientBuilder::new(http)
///     .with(OAuthMiddleware::new(manager, TokenRequest::new().scope("orders:read")))
///     .build();
/// ```
#[derive(Debug)]
pub struct OAuthMiddleware {
    mode: Mode,
    retry_after_limit: Duration,
    lazy: bool,
    /// Origins a token may go to (from the request's resource indicators); empty: any.
    origins: Vec<url::Origin>,
    /// URL prefixes a token may go under ([`OAuthMiddleware::only_for`]); empty: any.
    prefixes: Vec<url::Url>,
}

#[derive(Debug)]
enum Mode {
    Manager {
        manager: Arc<TokenManager>,
        request: TokenRequest,
    },
    Discovery {
        discovery: Discovery,
        http: reqwest::Client,
        known: RwLock<Vec<Known>>,
    },
}

#[derive(Debug, Clone)]
struct Known {
    /// Parsed once: it is matched against every request.
    resource: url::Url,
    manager: Arc<TokenManager>,
    request: TokenRequest,
}

type Plan = Option<(Arc<TokenManager>, TokenRequest)>;

impl OAuthMiddleware {
    /// Tokens of `manager` for `request`, attached to every request from the first.
    ///
    /// ```
    /// # let m = std::sync::Arc::new(auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) })));
    /// let mw = auth_client::OAuthMiddleware::new(m, auth_client::TokenRequest::new());
    /// ```
    pub fn new(manager: Arc<TokenManager>, request: TokenRequest) -> Self {
        // A resource indicator that is a URL says where its token is meant to go (a URN says
        // nothing about origins, so it restricts nothing).
        let origins = request
            .resources()
            .iter()
            .filter_map(|r| url::Url::parse(r).ok())
            .filter(|u| matches!(u.scheme(), "https" | "http"))
            .map(|u| u.origin())
            .collect();
        OAuthMiddleware {
            mode: Mode::Manager { manager, request },
            retry_after_limit: DEFAULT_RETRY_AFTER_LIMIT,
            lazy: false,
            origins,
            prefixes: Vec::new(),
        }
    }

    /// Sends tokens only to URLs under `prefix` (same origin, on a path-segment boundary); may
    /// be given several times. Requests elsewhere fail with [`Error::Config`] before they are
    /// sent.
    ///
    /// ```
    /// # let m = std::sync::Arc::new(auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) })));
    /// let mw = auth_client::OAuthMiddleware::new(m, auth_client::TokenRequest::new())
    ///     .only_for("https://api.example.com/orders")
    ///     .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `prefix` is not an absolute https (or loopback http) URL.
    pub fn only_for(mut self, prefix: &str) -> Result<Self, Error> {
        self.prefixes.push(crate::http_util::prefix(
            prefix,
            "only_for takes an absolute https (or loopback http) URL without a query",
        )?);
        Ok(self)
    }

    /// Whether a token may be sent to `url` (see the type's docs).
    fn may_carry_token(&self, url: &url::Url) -> Result<(), Error> {
        if !is_safe_endpoint(url) {
            tracing::error!(target: "auth_client", url = %url.origin().ascii_serialization(), "a token is never sent in cleartext; refused");
            return Err(Error::Config(
                "a token is sent only over https (or plain http to the loopback interface)",
            ));
        }
        let origin_ok = self.origins.is_empty() || self.origins.contains(&url.origin());
        let prefix_ok =
            self.prefixes.is_empty() || self.prefixes.iter().any(|p| covers_url(p, url));
        if origin_ok && prefix_ok {
            Ok(())
        } else {
            tracing::error!(target: "auth_client", url = %url.origin().ascii_serialization(), "a request to a URL this middleware's tokens are not for; refused");
            Err(Error::Config(
                "the request's URL is not one this middleware's tokens are for",
            ))
        }
    }

    /// Discovers the authorization server of each resource from its 401 (RFC 9728), with
    /// `http` for the metadata and token requests.
    ///
    /// ```
    /// let d = auth_client::Discovery::new(auth_client::ClientAuth::secret_basic("svc", "s"))
    ///     .trust("https://id.example.com")
    ///     .allow_resources("https://api.example.com")
    ///     .unwrap();
    /// let mw = auth_client::OAuthMiddleware::discover(reqwest::Client::new(), d);
    /// ```
    pub fn discover(http: reqwest::Client, discovery: Discovery) -> Self {
        OAuthMiddleware {
            mode: Mode::Discovery {
                discovery,
                http,
                known: RwLock::new(Vec::new()),
            },
            retry_after_limit: DEFAULT_RETRY_AFTER_LIMIT,
            lazy: false,
            origins: Vec::new(),
            prefixes: Vec::new(),
        }
    }

    /// Sends requests without a token until a 401 asks for one (for APIs with public parts).
    ///
    /// ```
    /// # let m = std::sync::Arc::new(auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) })));
    /// let mw = auth_client::OAuthMiddleware::new(m, auth_client::TokenRequest::new()).attach_on_challenge();
    /// ```
    pub fn attach_on_challenge(mut self) -> Self {
        self.lazy = true;
        self
    }

    /// The longest `Retry-After` waited out (zero: never wait).
    ///
    /// ```
    /// # let m = std::sync::Arc::new(auth_client::TokenManager::new(auth_client::source_fn("urn:x", |_r| async { Ok(auth_client::Token::bearer("t", None)) })));
    /// let mw = auth_client::OAuthMiddleware::new(m, auth_client::TokenRequest::new())
    ///     .retry_after_limit(std::time::Duration::from_secs(2));
    /// ```
    pub fn retry_after_limit(mut self, limit: Duration) -> Self {
        self.retry_after_limit = limit;
        self
    }

    fn plan(&self, req: &Request, extensions: &Extensions) -> Plan {
        match &self.mode {
            Mode::Manager { manager, request } => {
                if self.lazy {
                    return None;
                }
                Some((Arc::clone(manager), with_subject(request, extensions)))
            }
            Mode::Discovery { known, .. } => known_for(known, req),
        }
    }

    /// After a 401 without an error code: what to send next time.
    async fn resolve(
        &self,
        req_url: &url::Url,
        extensions: &Extensions,
        metadata: Option<&str>,
        scope: Option<&str>,
    ) -> Result<Plan, Error> {
        match &self.mode {
            Mode::Manager { manager, request } => Ok(Some((
                Arc::clone(manager),
                with_subject(request, extensions),
            ))),
            Mode::Discovery {
                discovery,
                http,
                known,
            } => {
                let (manager, request, resource) =
                    discovery.resolve(http, req_url, metadata, scope).await?;
                let mut list = known.write().unwrap_or_else(|p| p.into_inner());
                list.retain(|k| k.resource != resource);
                // Bounded: each distinct resource URL is an entry (strict RFC 9728 matching);
                // past the bound the oldest is forgotten (rediscovered from its next 401).
                if list.len() >= MAX_KNOWN {
                    list.remove(0);
                }
                list.push(Known {
                    resource,
                    manager: Arc::clone(&manager),
                    request: request.clone(),
                });
                Ok(Some((manager, request)))
            }
        }
    }
}

fn known_for(known: &RwLock<Vec<Known>>, req: &Request) -> Plan {
    let list = known.read().unwrap_or_else(|p| p.into_inner());
    list.iter()
        .find(|k| covers_url(&k.resource, req.url()))
        .map(|k| (Arc::clone(&k.manager), k.request.clone()))
}

fn with_subject(request: &TokenRequest, extensions: &Extensions) -> TokenRequest {
    match extensions.get::<ExchangeSubject>() {
        Some(s) => request.clone().subject_token(&s.token, &s.token_type),
        None => request.clone(),
    }
}

/// Puts the token (and, for a DPoP token, a fresh proof) on the request.
fn attach(req: &mut Request, manager: &TokenManager, token: &Token) -> Result<(), Error> {
    let mut value = HeaderValue::try_from(format!(
        "{} {}",
        token.kind().scheme(),
        token.access_token().expose()
    ))
    .map_err(|_| Error::BadResponse("the access token does not fit a header"))?;
    value.set_sensitive(true);
    req.headers_mut().insert(http::header::AUTHORIZATION, value);
    if token.kind() == TokenKind::Dpop {
        let (key, nonces) = manager.source().dpop().ok_or(Error::Config(
            "a DPoP-bound token but no DPoP key to prove it with",
        ))?;
        let nonce = nonces.get(req.url());
        let proof = key.proof(
            req.method().as_str(),
            req.url(),
            Some(token.access_token()),
            nonce.as_deref(),
        )?;
        let proof = HeaderValue::try_from(proof)
            .map_err(|_| Error::Signing("the proof does not fit a header"))?;
        req.headers_mut().insert("dpop", proof);
    }
    Ok(())
}

#[async_trait::async_trait]
impl Middleware for OAuthMiddleware {
    async fn handle(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        self.run(req, extensions, next).await
    }
}

impl OAuthMiddleware {
    async fn run(
        &self,
        req: Request,
        extensions: &mut Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<Response> {
        let fail = |e: Error| reqwest_middleware::Error::middleware(e);
        let template = req.try_clone();
        let url = req.url().clone();
        let mut first = Some(req);
        let mut plan = self.plan(
            first.as_ref().ok_or_else(|| fail(Error::NotReplayable))?,
            extensions,
        );
        let (mut refreshed, mut nonce_retried, mut waited, mut credentials_added) =
            (false, false, false, false);
        loop {
            let mut req = match first.take() {
                Some(r) => r,
                None => template
                    .as_ref()
                    .and_then(Request::try_clone)
                    .ok_or_else(|| fail(Error::NotReplayable))?,
            };
            let sent = match &plan {
                Some((manager, request)) => {
                    self.may_carry_token(&url).map_err(fail)?;
                    let token = manager.token(request).await.map_err(fail)?;
                    attach(&mut req, manager, &token).map_err(fail)?;
                    Some(token)
                }
                None => None,
            };
            let response = next.clone().run(req, extensions).await?;
            if let Some((_, nonces)) = plan
                .as_ref()
                .and_then(|(manager, _)| manager.source().dpop())
            {
                // The origin that answered (after any redirect the client followed).
                nonces.harvest(response.url(), response.headers());
            }
            let verdict = answer::read(
                response.status(),
                response.headers(),
                sent.as_ref().map(|t| t.kind().scheme()),
            );
            let replayable = template.is_some();
            match verdict {
                Verdict::Done | Verdict::Refused => return Ok(response),
                Verdict::RetryAfter(delay) => {
                    if waited || !replayable || delay > self.retry_after_limit {
                        return Ok(response);
                    }
                    waited = true;
                    drop(response);
                    tokio::time::sleep(delay).await;
                }
                Verdict::UseDpopNonce => {
                    if nonce_retried || sent.as_ref().is_none_or(|t| t.kind() != TokenKind::Dpop) {
                        return Err(fail(Error::DpopNonce));
                    }
                    nonce_retried = true;
                    if !replayable {
                        return Err(fail(Error::NotReplayable));
                    }
                }
                Verdict::InvalidToken => {
                    let (Some((manager, request)), Some(token)) = (&plan, &sent) else {
                        return Ok(response);
                    };
                    if refreshed {
                        return Err(fail(Error::InvalidToken { refreshes: 1 }));
                    }
                    manager.invalidate(request, token);
                    refreshed = true;
                    if !replayable {
                        return Err(fail(Error::InvalidToken { refreshes: 0 }));
                    }
                }
                Verdict::CredentialsWanted {
                    resource_metadata,
                    scope,
                } => {
                    if sent.is_some() || credentials_added {
                        return Err(fail(Error::Unauthorized));
                    }
                    credentials_added = true;
                    plan = self
                        .resolve(
                            &url,
                            extensions,
                            resource_metadata.as_deref(),
                            scope.as_deref(),
                        )
                        .await
                        .map_err(fail)?;
                    if !replayable {
                        return Err(fail(Error::NotReplayable));
                    }
                }
                Verdict::InsufficientScope {
                    scopes,
                    resource_metadata,
                } => {
                    return Err(fail(Error::InsufficientScope {
                        scopes,
                        resource_metadata,
                    }));
                }
                Verdict::StepUp {
                    acr_values,
                    max_age,
                } => {
                    return Err(fail(Error::StepUpRequired {
                        acr_values,
                        max_age,
                    }));
                }
                Verdict::Unsupported { schemes } => {
                    return Err(fail(Error::UnsupportedChallenge { schemes }));
                }
            }
        }
    }
}
