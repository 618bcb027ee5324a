//! Where tokens come from: the grants of [`OAuthClient`], or the application's own code.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{DpopKey, Error, OAuthClient, Secret, Token, TokenRequest};

/// A boxed, sendable future: what [`TokenSource::fetch`] returns.
///
/// ```
/// let future: auth_client::BoxFuture<'static, u8> = Box::pin(async { 7 });
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that can produce a token for a request. The [`TokenManager`](crate::TokenManager)
/// calls it at most once at a time per request key, and caches what it returns.
///
/// ```
/// use auth_client::{source_fn, Token, TokenSource, TokenRequest};
/// let source = source_fn("https://id.example.com", |_request: TokenRequest| async {
///     Ok(Token::bearer("from-my-vault", None))
/// });
/// assert_eq!(source.issuer(), "https://id.example.com");
/// ```
pub trait TokenSource: Send + Sync + std::fmt::Debug + 'static {
    /// Gets a new token for `request`.
    fn fetch<'a>(&'a self, request: &'a TokenRequest) -> BoxFuture<'a, Result<Token, Error>>;

    /// The issuer whose tokens these are: part of the cache key.
    fn issuer(&self) -> &str;

    /// The DPoP key the tokens are bound to, if they are.
    fn dpop(&self) -> Option<(&DpopKey, &Arc<crate::DpopNonces>)> {
        None
    }
}

/// The client credentials grant (RFC 6749 §4.4): the service's own tokens.
///
/// ```
/// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
/// let client = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::secret_basic("svc", "s3cret"));
/// let source = auth_client::ClientCredentials::new(client);
/// ```
#[derive(Clone, Debug)]
pub struct ClientCredentials(OAuthClient);

impl ClientCredentials {
    /// Tokens of `client` by the client credentials grant.
    ///
    /// ```
    /// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// # let client = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"));
    /// let source = auth_client::ClientCredentials::new(client);
    /// ```
    pub fn new(client: OAuthClient) -> Self {
        ClientCredentials(client)
    }
}

impl TokenSource for ClientCredentials {
    fn fetch<'a>(&'a self, request: &'a TokenRequest) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(self.0.client_credentials(request))
    }

    fn issuer(&self) -> &str {
        self.0.server().issuer()
    }

    fn dpop(&self) -> Option<(&DpopKey, &Arc<crate::DpopNonces>)> {
        self.0.dpop_key().map(|k| (k, self.0.nonces()))
    }
}

/// The refresh token grant (RFC 6749 §6) from a refresh token the application obtained (a
/// user's sign-in). Refreshes are serialised, and a rotated refresh token (RFC 9700 §4.14)
/// replaces the old one before the next refresh starts, so concurrent refreshes never present
/// a spent refresh token.
///
/// ```
/// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
/// # let client = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"));
/// let source = auth_client::RefreshTokens::new(client, "the-users-refresh-token");
/// ```
#[derive(Debug)]
pub struct RefreshTokens {
    client: OAuthClient,
    current: tokio::sync::Mutex<Secret>,
}

impl RefreshTokens {
    /// Tokens refreshed with `refresh_token`, and with each one that rotates it.
    ///
    /// ```
    /// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// # let client = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"));
    /// let source = auth_client::RefreshTokens::new(client, auth_client::Secret::new("rt"));
    /// ```
    pub fn new(client: OAuthClient, refresh_token: impl Into<Secret>) -> Self {
        RefreshTokens {
            client,
            current: tokio::sync::Mutex::new(refresh_token.into()),
        }
    }

    /// The refresh token in force (the latest rotation), to persist it.
    ///
    /// ```
    /// # async fn run(source: auth_client::RefreshTokens) {
    /// let keep = source.refresh_token().await;
    /// # }
    /// ```
    pub async fn refresh_token(&self) -> Secret {
        self.current.lock().await.clone()
    }
}

impl TokenSource for RefreshTokens {
    fn fetch<'a>(&'a self, request: &'a TokenRequest) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            let mut current = self.current.lock().await;
            let token = self.client.refresh(&current, request).await?;
            if let Some(rotated) = token.refresh_token() {
                *current = rotated.clone();
            }
            Ok(token)
        })
    }

    fn issuer(&self) -> &str {
        self.client.server().issuer()
    }

    fn dpop(&self) -> Option<(&DpopKey, &Arc<crate::DpopNonces>)> {
        self.client.dpop_key().map(|k| (k, self.client.nonces()))
    }
}

/// Token exchange (RFC 8693): each request's subject token traded for one addressed to the
/// downstream API. The request must carry a subject ([`TokenRequest::subject_token`]; through
/// the middleware, an [`ExchangeSubject`](crate::ExchangeSubject) extension); tokens are
/// cached per subject, resource, audience and scope.
///
/// ```
/// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
/// # let client = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::secret_basic("svc", "s"));
/// let source = auth_client::TokenExchange::new(client);
/// ```
#[derive(Clone, Debug)]
pub struct TokenExchange(OAuthClient);

impl TokenExchange {
    /// Exchanges through `client`.
    ///
    /// ```
    /// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// # let client = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"));
    /// let source = auth_client::TokenExchange::new(client);
    /// ```
    pub fn new(client: OAuthClient) -> Self {
        TokenExchange(client)
    }
}

impl TokenSource for TokenExchange {
    fn fetch<'a>(&'a self, request: &'a TokenRequest) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(self.0.exchange(request))
    }

    fn issuer(&self) -> &str {
        self.0.server().issuer()
    }

    fn dpop(&self) -> Option<(&DpopKey, &Arc<crate::DpopNonces>)> {
        self.0.dpop_key().map(|k| (k, self.0.nonces()))
    }
}

/// A source from the application's own async function (a vault, a sidecar, a test).
///
/// ```
/// let source = auth_client::source_fn("urn:vault", |_r| async { Ok(auth_client::Token::bearer("t", None)) });
/// ```
pub fn source_fn<F, Fut>(issuer: impl Into<String>, fetch: F) -> impl TokenSource
where
    F: Fn(TokenRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Token, Error>> + Send + 'static,
{
    FnSource {
        issuer: issuer.into(),
        fetch,
    }
}

struct FnSource<F> {
    issuer: String,
    fetch: F,
}

impl<F> std::fmt::Debug for FnSource<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnSource")
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl<F, Fut> TokenSource for FnSource<F>
where
    F: Fn(TokenRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Token, Error>> + Send + 'static,
{
    fn fetch<'a>(&'a self, request: &'a TokenRequest) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin((self.fetch)(request.clone()))
    }

    fn issuer(&self) -> &str {
        &self.issuer
    }
}
