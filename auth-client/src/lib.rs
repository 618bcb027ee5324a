//! The client side of the protocol `auth-core` speaks: a [`reqwest-middleware`] middleware
//! that gets OAuth tokens, caches them, refreshes them ahead of expiry with one request however
//! many callers wait, and acts on the resource server's answers exactly as the RFCs say.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use auth_client::{AuthorizationServer, ClientAuth, ClientCredentials, OAuthClient, OAuthMiddleware, TokenManager, TokenRequest};
//!
//! // Never follows a redirect: a token request's secret goes where it was configured to go.
//! let http = auth_client::http_client()?;
//! let server = AuthorizationServer::discover(&http, "https://id.example.com").await?;
//! let oauth = OAuthClient::new(http.clone(), server, ClientAuth::secret_basic("orders-worker", "s3cret"));
//! let manager = Arc::new(TokenManager::new(ClientCredentials::new(oauth)));
//! let api = reqwest_middleware::ClientBuilder::new(http)
//!     .with(OAuthMiddleware::new(manager, TokenRequest::new().scope("orders:read").resource("https://orders.example.com")))
//!     .build();
//! match api.get("https://orders.example.com/orders").send().await {
//!     Ok(response) => println!("{}", response.status()),
//!     Err(e) => match auth_client::Error::of(&e) {
//!         Some(auth_client::Error::InsufficientScope { scopes, .. }) => println!("step up to {scopes:?}"),
//!         _ => return Err(e.into()),
//!     },
//! }
//! # Ok(()) }
//! ```
//!
//! The pieces, each usable alone:
//!
//! - [`AuthorizationServer`]: issuer and endpoints, by hand or discovered (RFC 8414, OpenID
//!   Connect Discovery), `issuer` compared exactly, endpoints `https` only (or loopback `http`).
//! - [`OAuthClient`]: token requests (client credentials, refresh token, token exchange),
//!   introspection and revocation, with [`ClientAuth`] (`client_secret_basic`,
//!   `client_secret_post`, `private_key_jwt`, `none`) and an optional [`DpopKey`].
//! - [`TokenSource`]: [`ClientCredentials`], [`RefreshTokens`] (rotation-safe),
//!   [`TokenExchange`], or [`source_fn`] for the application's own.
//! - [`TokenManager`]: the cache with single flight and jittered early refresh.
//! - [`OAuthMiddleware`]: the answers table (see its docs) and discovery from a 401
//!   ([`Discovery`], RFC 9728).
//!
//! A token goes only over https (or plain http to the loopback interface), only to the origin
//! of the request's `resource` when it names one, and only under
//! [`OAuthMiddleware::only_for`]'s prefixes when given: a request elsewhere is refused before it
//! is sent. Calls to authorization servers and metadata endpoints refuse redirected answers.
//!
//! No `Debug` output or log line carries a token, a secret, a key or an assertion
//! ([`Secret`]). The `WWW-Authenticate` grammar is `auth-grammar`'s, the one `auth-core`
//! renders its challenges with.
//!
//! Built on `reqwest` and `reqwest-middleware` (the seam reqwest users stack retries and
//! tracing on), `jsonwebtoken` for `private_key_jwt` assertions, `aws-lc-rs` for DPoP keys
//! and proofs (one signature per request with a key parsed once) and randomness. The `oauth2`
//! crate was weighed and left out: it has no DPoP, `private_key_jwt`, token exchange, cache or
//! single flight, and builds a second `reqwest` (0.12).
//!
//! [`reqwest-middleware`]: reqwest_middleware
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod answer;
mod client_auth;
mod discovery;
mod dpop;
mod error;
mod http_util;
mod manager;
mod middleware;
mod oauth;
mod secret;
mod server;
mod source;
mod token;

pub use client_auth::ClientAuth;
pub use discovery::Discovery;
pub use dpop::{DpopKey, DpopNonces, SecretBytes};
pub use error::Error;
pub use http_util::http_client;
pub use jsonwebtoken::Algorithm;
pub use manager::{DEFAULT_JITTER, DEFAULT_SKEW, TokenManager};
pub use middleware::{DEFAULT_RETRY_AFTER_LIMIT, ExchangeSubject, OAuthMiddleware};
pub use oauth::{ACCESS_TOKEN_TYPE, Introspected, OAuthClient, TokenRequest};
pub use secret::Secret;
pub use server::AuthorizationServer;
pub use source::{
    BoxFuture, ClientCredentials, RefreshTokens, TokenExchange, TokenSource, source_fn,
};
pub use token::{Token, TokenKind};
