//! How the client authenticates itself to the authorization server (RFC 6749 §2.3,
//! RFC 7523 §2.2, OpenID Connect Core §9): `client_secret_basic`, `client_secret_post`,
//! `private_key_jwt`, or a public client (`none`).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use url::form_urlencoded::byte_serialize;

use crate::{Error, Secret};

/// The client's identity at the authorization server, and how it proves it.
/// `Debug` shows the client id and the method, never a secret or a key.
///
/// ```
/// use auth_client::ClientAuth;
/// let auth = ClientAuth::secret_basic("orders-worker", "s3cret");
/// assert_eq!(auth.client_id(), "orders-worker");
/// assert!(!format!("{auth:?}").contains("s3cret"));
/// ```
#[derive(Clone)]
pub struct ClientAuth {
    client_id: String,
    method: Method,
}

#[derive(Clone)]
enum Method {
    None,
    SecretBasic(Secret),
    SecretPost(Secret),
    PrivateKeyJwt {
        key: EncodingKey,
        alg: Algorithm,
        kid: Option<String>,
        audience: AssertionAudience,
    },
}

/// What the `aud` of a `private_key_jwt` assertion names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AssertionAudience {
    Issuer,
    TokenEndpoint,
}

impl fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let method = match &self.method {
            Method::None => "none",
            Method::SecretBasic(_) => "client_secret_basic",
            Method::SecretPost(_) => "client_secret_post",
            Method::PrivateKeyJwt { .. } => "private_key_jwt",
        };
        f.debug_struct("ClientAuth")
            .field("client_id", &self.client_id)
            .field("method", &method)
            .finish()
    }
}

/// The form fields and header one request carries.
#[derive(Default)]
pub(crate) struct Proof {
    pub(crate) form: Vec<(&'static str, String)>,
    pub(crate) authorization: Option<String>,
}

impl ClientAuth {
    /// A public client: `client_id` in the form, no secret (RFC 6749 §2.1).
    ///
    /// ```
    /// let auth = auth_client::ClientAuth::none("cli");
    /// assert_eq!(auth.method(), "none");
    /// ```
    pub fn none(client_id: impl Into<String>) -> Self {
        Self::with(client_id, Method::None)
    }

    /// HTTP Basic with the id and secret each form-urlencoded first (RFC 6749 §2.3.1,
    /// Appendix B): the method every authorization server must support.
    ///
    /// ```
    /// let auth = auth_client::ClientAuth::secret_basic("id", "secret");
    /// assert_eq!(auth.method(), "client_secret_basic");
    /// ```
    pub fn secret_basic(client_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self::with(client_id, Method::SecretBasic(secret.into()))
    }

    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1; for servers that
    /// cannot read Basic).
    ///
    /// ```
    /// let auth = auth_client::ClientAuth::secret_post("id", "secret");
    /// assert_eq!(auth.method(), "client_secret_post");
    /// ```
    pub fn secret_post(client_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self::with(client_id, Method::SecretPost(secret.into()))
    }

    /// A JWT signed with the client's private key (RFC 7523 §2.2, `private_key_jwt`), from a
    /// PEM key for `alg` (RS*, PS*, ES256/384, EdDSA). Each assertion has a fresh `jti`, lives
    /// 60 seconds, and names the issuer identifier as `aud` (the form RFC 7523bis requires, so
    /// an assertion cannot be replayed at another server); see
    /// [`ClientAuth::assertion_audience_token_endpoint`] for servers that want the endpoint.
    ///
    /// ```
    /// use auth_client::{Algorithm, ClientAuth};
    /// let pem = auth_client::DpopKey::generate_es256().unwrap().private_key_pem();
    /// let auth = ClientAuth::private_key_jwt("svc", Algorithm::ES256, pem.expose().as_bytes()).unwrap();
    /// assert_eq!(auth.method(), "private_key_jwt");
    /// assert!(ClientAuth::private_key_jwt("svc", Algorithm::HS256, b"x").is_err());
    /// ```
    pub fn private_key_jwt(
        client_id: impl Into<String>,
        alg: Algorithm,
        pem: &[u8],
    ) -> Result<Self, Error> {
        let key = match alg {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => EncodingKey::from_rsa_pem(pem),
            Algorithm::ES256 | Algorithm::ES384 => EncodingKey::from_ec_pem(pem),
            Algorithm::EdDSA => EncodingKey::from_ed_pem(pem),
            _ => {
                return Err(Error::Config(
                    "private_key_jwt takes an asymmetric algorithm",
                ));
            }
        }
        .map_err(|_| Error::Config("the private_key_jwt key is not a PEM key for its algorithm"))?;
        Ok(Self::with(
            client_id,
            Method::PrivateKeyJwt {
                key,
                alg,
                kid: None,
                audience: AssertionAudience::Issuer,
            },
        ))
    }

    /// The `kid` of the assertion's header (the key's id in the client's registered JWKS).
    ///
    /// ```
    /// # let pem = auth_client::DpopKey::generate_es256().unwrap().private_key_pem();
    /// let auth = auth_client::ClientAuth::private_key_jwt("svc", auth_client::Algorithm::ES256, pem.expose().as_bytes())
    ///     .unwrap().with_kid("2026-12");
    /// ```
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        if let Method::PrivateKeyJwt { kid: k, .. } = &mut self.method {
            *k = Some(kid.into());
        }
        self
    }

    /// Names the token endpoint URL as the assertion's `aud` (RFC 7523 §3's older form),
    /// for servers that do not take their issuer identifier.
    ///
    /// ```
    /// # let pem = auth_client::DpopKey::generate_es256().unwrap().private_key_pem();
    /// let auth = auth_client::ClientAuth::private_key_jwt("svc", auth_client::Algorithm::ES256, pem.expose().as_bytes())
    ///     .unwrap().assertion_audience_token_endpoint();
    /// ```
    pub fn assertion_audience_token_endpoint(mut self) -> Self {
        if let Method::PrivateKeyJwt { audience, .. } = &mut self.method {
            *audience = AssertionAudience::TokenEndpoint;
        }
        self
    }

    fn with(client_id: impl Into<String>, method: Method) -> Self {
        ClientAuth {
            client_id: client_id.into(),
            method,
        }
    }

    /// The client id.
    ///
    /// ```
    /// assert_eq!(auth_client::ClientAuth::none("cli").client_id(), "cli");
    /// ```
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The method's registered name (RFC 7591 §2 `token_endpoint_auth_method`).
    ///
    /// ```
    /// assert_eq!(auth_client::ClientAuth::secret_post("a", "b").method(), "client_secret_post");
    /// ```
    pub fn method(&self) -> &'static str {
        match self.method {
            Method::None => "none",
            Method::SecretBasic(_) => "client_secret_basic",
            Method::SecretPost(_) => "client_secret_post",
            Method::PrivateKeyJwt { .. } => "private_key_jwt",
        }
    }

    /// What a request to `endpoint` of the server `issuer` carries to authenticate.
    pub(crate) fn proof(&self, issuer: &str, endpoint: &str) -> Result<Proof, Error> {
        let mut proof = Proof::default();
        match &self.method {
            Method::None => proof.form.push(("client_id", self.client_id.clone())),
            Method::SecretBasic(secret) => {
                proof.authorization = Some(basic(&self.client_id, secret))
            }
            Method::SecretPost(secret) => {
                proof.form.push(("client_id", self.client_id.clone()));
                proof
                    .form
                    .push(("client_secret", secret.expose().to_owned()));
            }
            Method::PrivateKeyJwt {
                key,
                alg,
                kid,
                audience,
            } => {
                let aud = match audience {
                    AssertionAudience::Issuer => issuer,
                    AssertionAudience::TokenEndpoint => endpoint,
                };
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let claims = serde_json::json!({
                    "iss": self.client_id,
                    "sub": self.client_id,
                    "aud": aud,
                    "jti": random_id()?,
                    "iat": now,
                    "exp": now + 60,
                });
                let mut header = Header::new(*alg);
                header.kid.clone_from(kid);
                let assertion = jsonwebtoken::encode(&header, &claims, key)
                    .map_err(|_| Error::Signing("the client assertion could not be signed"))?;
                proof.form.push(("client_id", self.client_id.clone()));
                proof.form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
                ));
                proof.form.push(("client_assertion", assertion));
            }
        }
        Ok(proof)
    }
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))`, RFC 6749 §2.3.1.
fn basic(client_id: &str, secret: &Secret) -> String {
    let pair = format!(
        "{}:{}",
        byte_serialize(client_id.as_bytes()).collect::<String>(),
        byte_serialize(secret.expose().as_bytes()).collect::<String>()
    );
    format!("Basic {}", STANDARD.encode(pair))
}

/// 16 random bytes, base64url: a `jti`.
pub(crate) fn random_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| Error::Signing("no randomness"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_encodes_before_base64() {
        let header = basic("http://localhost:8080/mcp", &Secret::new("s3cret"));
        assert_eq!(
            header,
            "Basic aHR0cCUzQSUyRiUyRmxvY2FsaG9zdCUzQTgwODAlMkZtY3A6czNjcmV0"
        );
    }
}
