//! The calls to an authorization server: token requests (client credentials, refresh token,
//! token exchange), introspection (RFC 7662) and revocation (RFC 7009). Each posts a form with
//! the client's authentication, a DPoP proof when the client has a key (one retry on
//! `use_dpop_nonce`, RFC 9449 §8), and reads the answer strictly.

use std::sync::Arc;

use serde_json::{Map, Value};
use url::Url;
use url::form_urlencoded::Serializer;

use crate::http_util::{self, is_safe_endpoint};
use crate::{AuthorizationServer, ClientAuth, DpopKey, Error, Secret, Token, TokenKind};

/// RFC 8693 §3's token type identifier of an access token.
///
/// ```
/// assert!(auth_client::ACCESS_TOKEN_TYPE.ends_with(":access_token"));
/// ```
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// What to ask a token for: scopes (RFC 6749 §3.3, sent space-separated in one `scope`),
/// resources (RFC 8707, one `resource` each) and audiences (RFC 8693, one `audience` each).
/// Empty values are dropped. It is also the cache key of a token: two requests that differ in
/// nothing here share one token.
///
/// ```
/// use auth_client::TokenRequest;
/// let r = TokenRequest::new().scope("orders:read").scope("orders:write").resource("https://api.example.com");
/// assert_eq!(r.scopes(), ["orders:read", "orders:write"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TokenRequest {
    scopes: Vec<String>,
    resources: Vec<String>,
    audiences: Vec<String>,
    subject: Option<Subject>,
}

/// The token a service received, to exchange (RFC 8693 §2.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Subject {
    token: SecretKey,
    token_type: String,
    actor: Option<(SecretKey, String)>,
}

/// A secret used as (part of) a key: compared and hashed by value, never printed.
#[derive(Clone, PartialEq, Eq, Hash)]
struct SecretKey(Arc<str>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("…")
    }
}

impl TokenRequest {
    /// Nothing asked for: the server's default scope and audience.
    ///
    /// ```
    /// assert!(auth_client::TokenRequest::new().scopes().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scope (an empty one is ignored; duplicates are kept once).
    ///
    /// ```
    /// let r = auth_client::TokenRequest::new().scope("a").scope("a").scope("");
    /// assert_eq!(r.scopes(), ["a"]);
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        for s in scope.into().split(' ') {
            if !s.is_empty() && !self.scopes.iter().any(|x| x == s) {
                self.scopes.push(s.to_owned());
            }
        }
        self.scopes.sort();
        self
    }

    /// Adds a resource indicator (RFC 8707 §2: an absolute URI, sent as written).
    ///
    /// ```
    /// let r = auth_client::TokenRequest::new().resource("https://mcp.example.com/");
    /// assert_eq!(r.resources(), ["https://mcp.example.com/"]);
    /// ```
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        let resource = resource.into();
        if !resource.is_empty() && !self.resources.contains(&resource) {
            self.resources.push(resource);
        }
        self
    }

    /// Adds an audience (RFC 8693 §2.1), for token exchange.
    ///
    /// ```
    /// let r = auth_client::TokenRequest::new().audience("api://inventory");
    /// assert_eq!(r.audiences(), ["api://inventory"]);
    /// ```
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        let audience = audience.into();
        if !audience.is_empty() && !self.audiences.contains(&audience) {
            self.audiences.push(audience);
        }
        self
    }

    /// The token to exchange (RFC 8693 `subject_token`), of type `token_type` (empty: an
    /// access token, `urn:ietf:params:oauth:token-type:access_token`).
    ///
    /// ```
    /// let r = auth_client::TokenRequest::new().subject_token("eyJ…", "");
    /// assert!(r.has_subject());
    /// ```
    pub fn subject_token(mut self, token: &str, token_type: &str) -> Self {
        self.subject = Some(Subject {
            token: SecretKey(token.into()),
            token_type: or_access_token(token_type),
            actor: self.subject.and_then(|s| s.actor),
        });
        self
    }

    /// The acting party's token (RFC 8693 `actor_token`; type defaults as for the subject).
    /// Set after [`TokenRequest::subject_token`].
    ///
    /// ```
    /// let r = auth_client::TokenRequest::new().subject_token("user", "").actor_token("svc", "");
    /// ```
    pub fn actor_token(mut self, token: &str, token_type: &str) -> Self {
        if let Some(subject) = &mut self.subject {
            subject.actor = Some((SecretKey(token.into()), or_access_token(token_type)));
        }
        self
    }

    /// The scopes, sorted.
    ///
    /// ```
    /// assert_eq!(auth_client::TokenRequest::new().scope("b a").scopes(), ["a", "b"]);
    /// ```
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// The resource indicators.
    ///
    /// ```
    /// assert!(auth_client::TokenRequest::new().resources().is_empty());
    /// ```
    pub fn resources(&self) -> &[String] {
        &self.resources
    }

    /// The audiences.
    ///
    /// ```
    /// assert!(auth_client::TokenRequest::new().audiences().is_empty());
    /// ```
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// Whether a subject token is set.
    ///
    /// ```
    /// assert!(!auth_client::TokenRequest::new().has_subject());
    /// ```
    pub fn has_subject(&self) -> bool {
        self.subject.is_some()
    }

    fn push_common(&self, form: &mut Vec<(&'static str, String)>) {
        if !self.scopes.is_empty() {
            form.push(("scope", self.scopes.join(" ")));
        }
        for r in &self.resources {
            form.push(("resource", r.clone()));
        }
        for a in &self.audiences {
            form.push(("audience", a.clone()));
        }
    }
}

fn or_access_token(token_type: &str) -> String {
    if token_type.is_empty() {
        ACCESS_TOKEN_TYPE.to_owned()
    } else {
        token_type.to_owned()
    }
}

/// A client of one authorization server: its identity, its HTTP client, and its DPoP key when
/// it has one. Cheap to clone.
///
/// ```
/// use auth_client::{AuthorizationServer, ClientAuth, OAuthClient};
/// let server = AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
/// let client = OAuthClient::new(reqwest::Client::new(), server, ClientAuth::secret_basic("svc", "s3cret"));
/// assert_eq!(client.server().issuer(), "https://id.example.com");
/// ```
#[derive(Clone, Debug)]
pub struct OAuthClient {
    http: reqwest::Client,
    server: AuthorizationServer,
    auth: ClientAuth,
    dpop: Option<DpopKey>,
    nonces: Arc<crate::DpopNonces>,
    accept_bearer: bool,
}

/// An introspection answer (RFC 7662 §2.2), every member as sent.
///
/// ```
/// # async fn run(client: auth_client::OAuthClient) -> Result<(), auth_client::Error> {
/// let answer = client.introspect(&"opaque-token".into()).await?;
/// if answer.active() { println!("{:?} {:?}", answer.get("sub"), answer.audiences()); }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Introspected {
    members: Map<String, Value>,
}

impl Introspected {
    /// `active` is `true`. Absent or anything else is inactive (fail closed).
    ///
    /// ```
    /// # fn f(a: auth_client::Introspected) { let _ = a.active(); }
    /// ```
    pub fn active(&self) -> bool {
        self.members.get("active") == Some(&Value::Bool(true))
    }

    /// A member, as sent (`scope`, `client_id`, `sub`, `exp`, …).
    ///
    /// ```
    /// # fn f(a: auth_client::Introspected) { let _ = a.get("scope"); }
    /// ```
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members.get(name)
    }

    /// `aud`, a string or an array of strings (RFC 7519 §4.1.3), as a list.
    ///
    /// ```
    /// # fn f(a: auth_client::Introspected) { let _ = a.audiences(); }
    /// ```
    pub fn audiences(&self) -> Vec<&str> {
        match self.members.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

/// A form POST's answer: status, headers, body.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl OAuthClient {
    /// A client of `server`, authenticating as `auth`.
    ///
    /// ```
    /// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// let c = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"));
    /// ```
    pub fn new(http: reqwest::Client, server: AuthorizationServer, auth: ClientAuth) -> Self {
        OAuthClient {
            http,
            server,
            auth,
            dpop: None,
            nonces: Arc::new(crate::DpopNonces::default()),
            accept_bearer: false,
        }
    }

    /// Signs a DPoP proof for every token request with `key`, so tokens come bound to it
    /// (RFC 9449 §5). A server that answers with a Bearer token then is refused (the caller
    /// asked for a token a thief cannot use), unless [`OAuthClient::accept_bearer_downgrade`].
    ///
    /// ```
    /// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// let c = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"))
    ///     .with_dpop(auth_client::DpopKey::generate_es256().unwrap());
    /// assert!(c.dpop_key().is_some());
    /// ```
    pub fn with_dpop(mut self, key: DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    /// Takes a Bearer token from a server that ignores DPoP (RFC 9449 §5 allows the server to),
    /// instead of refusing it.
    ///
    /// ```
    /// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// let c = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"))
    ///     .accept_bearer_downgrade();
    /// ```
    pub fn accept_bearer_downgrade(mut self) -> Self {
        self.accept_bearer = true;
        self
    }

    /// The authorization server.
    ///
    /// ```
    /// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// # let c = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"));
    /// assert_eq!(c.server().issuer(), "https://id.example.com");
    /// ```
    pub fn server(&self) -> &AuthorizationServer {
        &self.server
    }

    /// The DPoP key, when the client has one.
    ///
    /// ```
    /// # let server = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// # let c = auth_client::OAuthClient::new(reqwest::Client::new(), server, auth_client::ClientAuth::none("cli"));
    /// assert!(c.dpop_key().is_none());
    /// ```
    pub fn dpop_key(&self) -> Option<&DpopKey> {
        self.dpop.as_ref()
    }

    pub(crate) fn nonces(&self) -> &Arc<crate::DpopNonces> {
        &self.nonces
    }

    /// The client credentials grant (RFC 6749 §4.4).
    ///
    /// ```no_run
    /// # async fn run(client: auth_client::OAuthClient) -> Result<(), auth_client::Error> {
    /// let token = client.client_credentials(&auth_client::TokenRequest::new().scope("orders:read")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn client_credentials(&self, request: &TokenRequest) -> Result<Token, Error> {
        let mut form = vec![("grant_type", "client_credentials".to_owned())];
        request.push_common(&mut form);
        self.token(form, false).await
    }

    /// The refresh token grant (RFC 6749 §6). The answer's `refresh_token`, when present,
    /// replaces the one used (rotation): keep it.
    ///
    /// ```no_run
    /// # async fn run(client: auth_client::OAuthClient, rt: auth_client::Secret) -> Result<(), auth_client::Error> {
    /// let token = client.refresh(&rt, &auth_client::TokenRequest::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn refresh(
        &self,
        refresh_token: &Secret,
        request: &TokenRequest,
    ) -> Result<Token, Error> {
        let mut form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.expose().to_owned()),
        ];
        if !request.scopes.is_empty() {
            form.push(("scope", request.scopes.join(" ")));
        }
        for r in &request.resources {
            form.push(("resource", r.clone()));
        }
        self.token(form, false).await
    }

    /// Token exchange (RFC 8693 §2.1): the request's subject token (and actor token) for one
    /// addressed to its resources and audiences. No request is sent without a subject token.
    ///
    /// ```no_run
    /// # async fn run(client: auth_client::OAuthClient) -> Result<(), auth_client::Error> {
    /// let request = auth_client::TokenRequest::new().subject_token("eyJ…", "").audience("api://inventory");
    /// let token = client.exchange(&request).await?;
    /// assert!(token.issued_token_type().is_some());
    /// # Ok(()) }
    /// ```
    pub async fn exchange(&self, request: &TokenRequest) -> Result<Token, Error> {
        let subject = request
            .subject
            .as_ref()
            .filter(|s| !s.token.0.is_empty())
            .ok_or(Error::MissingSubjectToken)?;
        let mut form = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange".to_owned(),
            ),
            ("subject_token", subject.token.0.to_string()),
            ("subject_token_type", subject.token_type.clone()),
        ];
        if let Some((actor, actor_type)) = subject.actor.as_ref().filter(|(a, _)| !a.0.is_empty()) {
            form.push(("actor_token", actor.0.to_string()));
            form.push(("actor_token_type", actor_type.clone()));
        }
        request.push_common(&mut form);
        self.token(form, true).await
    }

    async fn token(
        &self,
        form: Vec<(&'static str, String)>,
        exchange: bool,
    ) -> Result<Token, Error> {
        let endpoint = self.server.token_endpoint()?;
        let answer = self.post(&endpoint, form).await?;
        let token = Token::from_response(answer.status, &answer.body, exchange)?;
        if self.dpop.is_some() && token.kind() != TokenKind::Dpop && !self.accept_bearer {
            return Err(Error::BadResponse(
                "a DPoP proof was sent but the token_type is not DPoP",
            ));
        }
        // A DPoP-bound token is useless without the key (every use would fail): refused at
        // once rather than cached.
        if self.dpop.is_none() && token.kind() == TokenKind::Dpop {
            return Err(Error::BadResponse(
                "a DPoP token_type but no DPoP proof was sent",
            ));
        }
        Ok(token)
    }

    /// Introspects a token (RFC 7662 §2.1, `token_type_hint=access_token`). A 200 answer is
    /// read whatever it holds (no `active: true` means inactive); any other status is an error.
    ///
    /// ```no_run
    /// # async fn run(client: auth_client::OAuthClient) -> Result<(), auth_client::Error> {
    /// let answer = client.introspect(&"opaque".into()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn introspect(&self, token: &Secret) -> Result<Introspected, Error> {
        let endpoint = self.server.introspection_endpoint()?;
        let form = vec![
            ("token", token.expose().to_owned()),
            ("token_type_hint", "access_token".to_owned()),
        ];
        let answer = self.post(&endpoint, form).await?;
        if answer.status != 200 {
            return Err(Token::from_response(answer.status, &answer.body, false)
                .err()
                .unwrap_or(Error::BadResponse(
                    "the introspection endpoint did not answer 200",
                )));
        }
        match serde_json::from_slice(&answer.body) {
            Ok(Value::Object(members)) => Ok(Introspected { members }),
            _ => Err(Error::BadResponse(
                "the introspection answer is not a JSON object",
            )),
        }
    }

    /// Revokes a token (RFC 7009 §2.1) with its type hint (`access_token` or
    /// `refresh_token`). 200 is success whatever the body; anything else is an error.
    ///
    /// ```no_run
    /// # async fn run(client: auth_client::OAuthClient) -> Result<(), auth_client::Error> {
    /// client.revoke(&"token".into(), Some("access_token")).await?;
    /// # Ok(()) }
    /// ```
    pub async fn revoke(&self, token: &Secret, token_type_hint: Option<&str>) -> Result<(), Error> {
        let endpoint = self.server.revocation_endpoint()?;
        let mut form = vec![("token", token.expose().to_owned())];
        if let Some(hint) = token_type_hint {
            form.push(("token_type_hint", hint.to_owned()));
        }
        let answer = self.post(&endpoint, form).await?;
        if answer.status == 200 {
            return Ok(());
        }
        Err(Token::from_response(answer.status, &answer.body, false)
            .err()
            .unwrap_or(Error::BadResponse(
                "the revocation endpoint did not answer 200",
            )))
    }

    /// POSTs `form` with the client's authentication to `endpoint`, with a DPoP proof when the
    /// client has a key, retrying once on `use_dpop_nonce`.
    pub(crate) async fn post(
        &self,
        endpoint: &Url,
        form: Vec<(&'static str, String)>,
    ) -> Result<Answer, Error> {
        if !is_safe_endpoint(endpoint) {
            return Err(Error::Discovery(
                "the endpoint is not an absolute https URL",
            ));
        }
        let mut retried = false;
        loop {
            // Built per attempt: a `private_key_jwt` assertion's `jti` is single-use (RFC 7523
            // §3), so the nonce retry carries a fresh one.
            let proof = self.auth.proof(self.server.issuer(), endpoint.as_str())?;
            let body = {
                let mut body = Serializer::new(String::new());
                for (name, value) in form.iter().chain(proof.form.iter()) {
                    body.append_pair(name, value);
                }
                body.finish()
            };
            let mut request = self
                .http
                .post(endpoint.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .header(reqwest::header::ACCEPT, "application/json")
                .timeout(http_util::DEFAULT_TIMEOUT)
                .body(body);
            if let Some(authorization) = &proof.authorization {
                request = request.header(reqwest::header::AUTHORIZATION, authorization);
            }
            if let Some(key) = &self.dpop {
                let nonce = self.nonces.get(endpoint);
                request =
                    request.header("DPoP", key.proof("POST", endpoint, None, nonce.as_deref())?);
            }
            let response = request.send().await?;
            http_util::not_redirected(&response, endpoint)?;
            let status = response.status().as_u16();
            let fresh_nonce =
                self.dpop.is_some() && self.nonces.harvest(endpoint, response.headers());
            let body = http_util::read_body(response).await?;
            if status == 400 && fresh_nonce && !retried && is_use_dpop_nonce(&body) {
                retried = true;
                continue;
            }
            return Ok(Answer { status, body });
        }
    }
}

fn is_use_dpop_nonce(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(Value::as_str)
                .map(|e| e == "use_dpop_nonce")
        })
        .unwrap_or(false)
}
