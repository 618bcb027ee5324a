//! The wire side of introspection: finding the endpoint (configured, or the discovery
//! document's `introspection_endpoint`), authenticating this resource server to it
//! (`client_secret_basic`, `client_secret_post`, `private_key_jwt`), and one `POST` per token
//! (RFC 7662 §2.1) whose answer comes back as bytes, or as why there is none.
//!
//! Everything here runs on the verifier's own runtime thread, never on an actix worker.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, AlgorithmFamily, EncodingKey, Header};
use serde_json::{Value, json};

use crate::error::ConfigError;
use crate::verify::keyset::{Discovery, check_discovered_url, discovery_url};

/// The most of an answer read (an introspection answer is a few hundred bytes).
const MAX_ANSWER: usize = 64 * 1024;

/// How long a failed discovery is remembered before the document is fetched again.
const DISCOVERY_RETRY: Duration = Duration::from_secs(5);

/// How this resource server authenticates to the introspection endpoint (RFC 7662 §2.1 requires
/// one; RFC 6749 §2.3 and OpenID Connect Core §9 define these).
///
/// ```
/// use auth_core::ClientAuth;
/// let basic = ClientAuth::secret_basic("orders-api", "s3cret");
/// let post = ClientAuth::secret_post("orders-api", "s3cret");
/// assert_eq!(basic.client_id(), "orders-api");
/// assert_eq!(post.method(), "client_secret_post");
/// ```
#[derive(Clone)]
pub struct ClientAuth {
    client_id: String,
    method: Method,
    /// The `aud` of `private_key_jwt` assertions, when not the issuer.
    assertion_audience: Option<String>,
}

#[derive(Clone)]
enum Method {
    SecretBasic(String),
    SecretPost(String),
    PrivateKeyJwt {
        key: EncodingKey,
        alg: Algorithm,
        kid: Option<String>,
    },
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret or the key.
        f.debug_struct("ClientAuth")
            .field("client_id", &self.client_id)
            .field("method", &self.method())
            .finish()
    }
}

impl ClientAuth {
    /// `client_secret_basic`: HTTP Basic with the client id and secret, each
    /// form-urlencoded first (RFC 6749 §2.3.1, which peers often skip: a secret with `:` or `%`
    /// then fails).
    ///
    /// ```
    /// # use auth_core::ClientAuth;
    /// assert_eq!(ClientAuth::secret_basic("rs", "a:b").method(), "client_secret_basic");
    /// ```
    pub fn secret_basic(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        ClientAuth {
            client_id: client_id.into(),
            method: Method::SecretBasic(secret.into()),
            assertion_audience: None,
        }
    }

    /// `client_secret_post`: the id and secret as form parameters of the request body.
    ///
    /// ```
    /// # use auth_core::ClientAuth;
    /// assert_eq!(ClientAuth::secret_post("rs", "s").client_id(), "rs");
    /// ```
    pub fn secret_post(client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        ClientAuth {
            client_id: client_id.into(),
            method: Method::SecretPost(secret.into()),
            assertion_audience: None,
        }
    }

    /// `private_key_jwt` (RFC 7523 §2.2): a fresh assertion signed with `pem` (a PKCS#8 RSA,
    /// EC or Ed25519 private key for `alg`) per call, `iss` = `sub` = the client id, `aud` = the
    /// authorization server's issuer when known (else the endpoint), one minute of life, a
    /// random `jti`.
    ///
    /// ```no_run
    /// use auth_core::{Algorithm, ClientAuth};
    /// let pem = std::fs::read("orders-api-key.pem")?; // registered with the server as a JWK
    /// let auth = ClientAuth::private_key_jwt("orders-api", Algorithm::ES256, &pem, Some("rs-key-1".into()))?;
    /// assert_eq!(auth.method(), "private_key_jwt");
    /// assert!(ClientAuth::private_key_jwt("rs", Algorithm::HS256, b"secret", None).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn private_key_jwt(
        client_id: impl Into<String>,
        alg: Algorithm,
        pem: &[u8],
        kid: Option<String>,
    ) -> Result<Self, ConfigError> {
        let bad = |detail: String| ConfigError::InvalidSetting {
            what: "private_key_jwt key",
            detail,
        };
        let key = match alg.family() {
            AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => EncodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => EncodingKey::from_ed_pem(pem),
            AlgorithmFamily::Hmac => {
                return Err(bad(
                    "an asymmetric algorithm is required (client_secret_jwt is not offered)".into(),
                ));
            }
        }
        .map_err(|_| bad(format!("not a PEM private key for {alg:?}")))?;
        Ok(ClientAuth {
            client_id: client_id.into(),
            method: Method::PrivateKeyJwt { key, alg, kid },
            assertion_audience: None,
        })
    }

    /// The `aud` of `private_key_jwt` assertions, for servers that want another value than
    /// their issuer identifier (some want the endpoint's URL). Without it: the issuer when
    /// known (RFC 7523bis), else the endpoint.
    ///
    /// ```no_run
    /// use auth_core::{Algorithm, ClientAuth};
    /// let pem = std::fs::read("orders-api-key.pem")?;
    /// let auth = ClientAuth::private_key_jwt("orders-api", Algorithm::ES256, &pem, None)?
    ///     .assertion_audience("https://as.example/oauth2/v1/introspect");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn assertion_audience(mut self, audience: impl Into<String>) -> Self {
        self.assertion_audience = Some(audience.into());
        self
    }

    /// The client id.
    ///
    /// ```
    /// # use auth_core::ClientAuth;
    /// assert_eq!(ClientAuth::secret_basic("rs", "s").client_id(), "rs");
    /// ```
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The method's registered name (`token_endpoint_auth_method` values of RFC 7591).
    ///
    /// ```
    /// # use auth_core::ClientAuth;
    /// assert_eq!(ClientAuth::secret_basic("rs", "s").method(), "client_secret_basic");
    /// ```
    pub fn method(&self) -> &'static str {
        match self.method {
            Method::SecretBasic(_) => "client_secret_basic",
            Method::SecretPost(_) => "client_secret_post",
            Method::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }
}

/// Where the endpoint comes from.
#[derive(Clone, Debug)]
pub(crate) enum Endpoint {
    Fixed(String),
    Discovered { issuer: String, kind: Discovery },
}

/// Why there is no answer: each one is the authorization server's failure (503 for the request),
/// in fixed words safe to log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CallError {
    #[error("the authorization server could not be reached: {0}")]
    Unreachable(String),
    #[error("the authorization server did not answer in time")]
    Timeout,
    #[error("the authorization server answered status {0}")]
    Status(u16),
    #[error(
        "the authorization server refused this resource server's credentials (status {0}); check the introspection client id and secret or key"
    )]
    ClientRejected(u16),
    #[error("the answer is over 64 KiB")]
    TooLarge,
    #[error("the answer is not application/json")]
    NotJson,
    #[error("the signed answer is refused: {0}")]
    BadSignedAnswer(&'static str),
    #[error("discovery failed: {0}")]
    Discovery(String),
}

/// An answer as received: its JSON, and the signed JWT it came in (RFC 9701), if it did.
pub(crate) struct Fetched {
    pub(crate) json: Vec<u8>,
    pub(crate) signed: Option<String>,
}

impl CallError {
    /// Whether the failure is this resource server's configuration (logged at `error`), not
    /// the server being unreachable or slow.
    pub(crate) fn is_ours(&self) -> bool {
        matches!(
            self,
            CallError::ClientRejected(_) | CallError::Discovery(_) | CallError::BadSignedAnswer(_)
        )
    }
}

/// The endpoint found by discovery, or when it last failed.
enum Found {
    Nothing,
    Endpoint(String),
    Failed(Instant, String),
}

/// One authorization server's introspection endpoint, as this resource server calls it.
pub(crate) struct Upstream {
    client: reqwest::Client,
    endpoint: Endpoint,
    auth: ClientAuth,
    /// The issuer, when known (configured, or the one discovered): the `aud` of assertions.
    issuer: Option<String>,
    found: tokio::sync::Mutex<Found>,
    random: Mutex<aws_lc_rs::rand::SystemRandom>,
    /// Verifies answers in the JWT form (RFC 9701), when asked for.
    signed: Option<crate::JwtVerifier>,
    /// How old a signed answer's `iat` may be when it arrives: the call's timeout and a minute
    /// of clock skew.
    freshness: Duration,
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstream")
            .field("endpoint", &self.endpoint)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Upstream {
    pub(crate) fn new(
        endpoint: Endpoint,
        auth: ClientAuth,
        issuer: Option<String>,
        timeout: Duration,
        signed: Option<crate::KeySet>,
    ) -> Result<Self, ConfigError> {
        let signed = match signed {
            None => None,
            Some(keys) => {
                // RFC 9701 §5: the answer is a JWT from the server (`iss`) to this client
                // (`aud`); it has no `exp` of its own.
                let Some(issuer) = issuer.as_deref() else {
                    return Err(ConfigError::InvalidSetting {
                        what: "signed introspection answers",
                        detail: "the authorization server's issuer must be known (set .issuer or use discovery)".into(),
                    });
                };
                Some(
                    crate::JwtVerifier::builder()
                        .key_set(keys)
                        .issuer(issuer)
                        .audience(auth.client_id())
                        .require_exp(false)
                        .asymmetric_only()
                        .max_token_bytes(MAX_ANSWER)
                        .verdict_cache(0, Duration::ZERO)
                        .build()?,
                )
            }
        };
        let url = match &endpoint {
            Endpoint::Fixed(url) => url.clone(),
            Endpoint::Discovered { issuer, kind } => discovery_url(issuer, *kind),
        };
        let has_userinfo = reqwest::Url::parse(&url)
            .is_ok_and(|u| !u.username().is_empty() || u.password().is_some());
        if has_userinfo || crate::verify::keyset::check_url(&url).is_err() {
            // Never echoed: a URL with credentials in it would leak them into the log.
            return Err(ConfigError::InvalidSetting {
                what: "introspection endpoint",
                detail:
                    "must be an https URL without credentials (http only to a loopback address)"
                        .into(),
            });
        }
        if timeout.is_zero() {
            return Err(ConfigError::InvalidSetting {
                what: "introspection timeout",
                detail: "must be more than zero".into(),
            });
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent(concat!("auth-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::InvalidSetting {
                what: "introspection HTTP client",
                detail: e.to_string(),
            })?;
        let found = match &endpoint {
            Endpoint::Fixed(url) => Found::Endpoint(url.clone()),
            Endpoint::Discovered { .. } => Found::Nothing,
        };
        Ok(Upstream {
            client,
            endpoint,
            auth,
            issuer,
            found: tokio::sync::Mutex::new(found),
            random: Mutex::new(aws_lc_rs::rand::SystemRandom::new()),
            signed,
            freshness: timeout + Duration::from_secs(60),
        })
    }

    /// The endpoint: the configured one, or the discovery document's (fetched once, shared by
    /// concurrent callers, retried after [`DISCOVERY_RETRY`] when it failed).
    async fn endpoint(&self) -> Result<String, CallError> {
        let mut found = self.found.lock().await;
        match &*found {
            Found::Endpoint(url) => return Ok(url.clone()),
            Found::Failed(at, why) if at.elapsed() < DISCOVERY_RETRY => {
                return Err(CallError::Discovery(why.clone()));
            }
            _ => {}
        }
        let Endpoint::Discovered { issuer, kind } = &self.endpoint else {
            return Err(CallError::Discovery("no endpoint".into()));
        };
        match self.discover(issuer, *kind).await {
            Ok(url) => {
                tracing::info!(target: crate::audit::TARGET, issuer = %issuer, endpoint = %url, "introspection endpoint discovered");
                *found = Found::Endpoint(url.clone());
                Ok(url)
            }
            Err(why) => {
                tracing::error!(target: crate::audit::TARGET, issuer = %issuer, "introspection discovery failed: {why}");
                *found = Found::Failed(Instant::now(), why.clone());
                Err(CallError::Discovery(why))
            }
        }
    }

    async fn discover(&self, issuer: &str, kind: Discovery) -> Result<String, String> {
        let url = discovery_url(issuer, kind);
        let (body, _) = crate::verify::keyset::get(&self.client, &url)
            .await
            .map_err(|e| e.to_string())?;
        let doc: Value = serde_json::from_slice(&body).map_err(|_| "not JSON".to_owned())?;
        // The same exact-issuer rule as for keys (RFC 8414 §3.3, OpenID Discovery §4.3).
        if doc.get("issuer").and_then(Value::as_str) != Some(issuer) {
            return Err("the discovery document's issuer differs from the configured one".into());
        }
        let endpoint = doc
            .get("introspection_endpoint")
            .and_then(Value::as_str)
            .ok_or("the discovery document names no introspection_endpoint")?;
        check_discovered_url(issuer, endpoint, "introspection_endpoint")?;
        Ok(endpoint.to_owned())
    }

    /// Introspects `token`: the answer's body (status 200, JSON), or why there is none.
    pub(crate) async fn call(&self, token: &str) -> Result<Fetched, CallError> {
        let endpoint = self.endpoint().await?;
        let (body, authorization) = self.form(token, &endpoint)?;
        let mut request = self.client.post(&endpoint).header(
            reqwest::header::ACCEPT,
            if self.signed.is_some() {
                SIGNED_ANSWER
            } else {
                "application/json"
            },
        );
        if let Some(value) = authorization {
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        let response = request
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    CallError::Timeout
                } else {
                    CallError::Unreachable(e.without_url().to_string())
                }
            })?;
        let status = response.status().as_u16();
        match status {
            200 => {}
            401 | 403 => return Err(CallError::ClientRejected(status)),
            400 => {
                // RFC 6749 §5.2: only these say the server refused *us*; some servers answer
                // 400 `invalid_request` to a junk token, which must not read as our fault
                // (nor flood the error log).
                let body = read_body(response).await.unwrap_or_default();
                let error = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned));
                return Err(match error.as_deref() {
                    Some("invalid_client" | "unauthorized_client") => {
                        CallError::ClientRejected(400)
                    }
                    _ => CallError::Status(400),
                });
            }
            _ => return Err(CallError::Status(status)),
        }
        let expected = if self.signed.is_some() {
            SIGNED_ANSWER
        } else {
            "application/json"
        };
        let typed = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected));
        if !typed {
            // Asked for a signed answer, a plain one is a downgrade: refused too.
            return Err(CallError::NotJson);
        }
        let body = read_body(response).await?;
        match &self.signed {
            None => Ok(Fetched {
                json: body,
                signed: None,
            }),
            Some(verifier) => {
                let jwt = std::str::from_utf8(&body)
                    .map(|b| b.trim().to_owned())
                    .map_err(|_| CallError::BadSignedAnswer("not text"))?;
                let json = unwrap_signed(verifier, &jwt, Some(self.freshness)).await?;
                Ok(Fetched {
                    json,
                    signed: Some(jwt),
                })
            }
        }
    }

    /// Whether answers are signed (RFC 9701).
    pub(crate) fn signs(&self) -> bool {
        self.signed.is_some()
    }

    /// The answer inside a signed one kept by the fleet, verified again (its freshness was
    /// checked when it was received).
    pub(crate) async fn reopen(&self, jwt: &str) -> Result<Vec<u8>, CallError> {
        match &self.signed {
            Some(verifier) => unwrap_signed(verifier, jwt, None).await,
            None => Err(CallError::BadSignedAnswer(
                "signed answers are not configured",
            )),
        }
    }

    /// Who is asking whom: the endpoint (or the issuer it is discovered from) and the client.
    pub(crate) fn identity(&self) -> String {
        let endpoint = match &self.endpoint {
            Endpoint::Fixed(url) => url.as_str(),
            Endpoint::Discovered { issuer, .. } => issuer.as_str(),
        };
        format!("{endpoint}\0{}", self.auth.client_id)
    }

    /// The request body (RFC 7662 §2.1, with the client's credentials where its method puts
    /// them) and the `Authorization` value of `client_secret_basic`.
    fn form(&self, token: &str, endpoint: &str) -> Result<(String, Option<String>), CallError> {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("token", token);
        form.append_pair("token_type_hint", "access_token");
        let mut authorization = None;
        match &self.auth.method {
            Method::SecretBasic(secret) => {
                let encode = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                let pair = format!("{}:{}", encode(&self.auth.client_id), encode(secret));
                authorization = Some(format!("Basic {}", STANDARD.encode(pair)));
            }
            Method::SecretPost(secret) => {
                form.append_pair("client_id", &self.auth.client_id);
                form.append_pair("client_secret", secret);
            }
            Method::PrivateKeyJwt { key, alg, kid } => {
                let audience = self
                    .auth
                    .assertion_audience
                    .as_deref()
                    .or(self.issuer.as_deref())
                    .unwrap_or(endpoint);
                let assertion = self.assertion(key, *alg, kid.clone(), audience)?;
                form.append_pair("client_id", &self.auth.client_id);
                form.append_pair(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                );
                form.append_pair("client_assertion", &assertion);
            }
        }
        Ok((form.finish(), authorization))
    }

    /// A `private_key_jwt` assertion for one call.
    fn assertion(
        &self,
        key: &EncodingKey,
        alg: Algorithm,
        kid: Option<String>,
        audience: &str,
    ) -> Result<String, CallError> {
        let mut jti = [0u8; 16];
        {
            use aws_lc_rs::rand::SecureRandom as _;
            let random = self.random.lock().unwrap_or_else(|e| e.into_inner());
            random
                .fill(&mut jti)
                .map_err(|_| CallError::Unreachable("no randomness for the assertion".into()))?;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = json!({
            "iss": self.auth.client_id,
            "sub": self.auth.client_id,
            "aud": audience,
            "iat": now,
            "exp": now + 60,
            "jti": URL_SAFE_NO_PAD.encode(jti),
        });
        let mut header = Header::new(alg);
        header.kid = kid;
        jsonwebtoken::encode(&header, &claims, key)
            .map_err(|_| CallError::Unreachable("the assertion could not be signed".into()))
    }
}

/// The media type of a signed answer (RFC 9701 §4).
const SIGNED_ANSWER: &str = "application/token-introspection+jwt";

/// The answer inside a signed one (RFC 9701 §5): the JWT's `typ` is
/// `token-introspection+jwt`, its signature the server's, its `iss` the server, its `aud` this
/// client; its `token_introspection` member is the answer, returned as JSON bytes.
async fn unwrap_signed(
    verifier: &crate::JwtVerifier,
    jwt: &str,
    freshness: Option<Duration>,
) -> Result<Vec<u8>, CallError> {
    let header = jwt
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
        .ok_or(CallError::BadSignedAnswer("no JOSE header"))?;
    let typ = header
        .get("typ")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let typ = typ.strip_prefix("application/").unwrap_or(typ);
    if !typ.eq_ignore_ascii_case("token-introspection+jwt") {
        return Err(CallError::BadSignedAnswer(
            "typ is not token-introspection+jwt",
        ));
    }
    let verified = verifier
        .verify(jwt)
        .await
        .map_err(|_| CallError::BadSignedAnswer("the signature, iss or aud does not verify"))?;
    // RFC 9701 binds an answer to no request: an old one for the same token, replayed by
    // someone on the path after a revocation, is refused by its age.
    if let Some(freshness) = freshness {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let issued = verified.claim("iat").and_then(Value::as_f64);
        if !issued.is_some_and(|iat| now - iat <= freshness.as_secs_f64()) {
            return Err(CallError::BadSignedAnswer("iat is missing or too old"));
        }
    }
    match verified.claim("token_introspection") {
        Some(answer @ Value::Object(_)) => {
            serde_json::to_vec(answer).map_err(|_| CallError::BadSignedAnswer("unserializable"))
        }
        _ => Err(CallError::BadSignedAnswer("no token_introspection object")),
    }
}

/// The body, at most [`MAX_ANSWER`] bytes.
async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, CallError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        if e.is_timeout() {
            CallError::Timeout
        } else {
            CallError::Unreachable(e.without_url().to_string())
        }
    })? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(CallError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
