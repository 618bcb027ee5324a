//! An authorization server: its issuer and endpoints, configured or discovered (RFC 8414 §3,
//! OpenID Connect Discovery 1.0 §4), and re-read when its metadata changes.

use std::sync::{Arc, RwLock};

use serde_json::{Map, Value};
use url::Url;

use crate::Error;
use crate::http_util::{self, endpoint};

/// What the client knows of an authorization server. Cheap to clone (shared).
///
/// ```no_run
/// # async fn run() -> Result<(), auth_client::Error> {
/// use auth_client::AuthorizationServer;
/// let http = reqwest::Client::new();
/// // RFC 8414 first (`/.well-known/oauth-authorization-server` inserted before the issuer's
/// // path), then OpenID Connect discovery; the document's `issuer` must equal this string.
/// let server = AuthorizationServer::discover(&http, "https://id.example.com/tenant-a").await?;
/// println!("{}", server.token_endpoint()?);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AuthorizationServer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    issuer: String,
    discovered: bool,
    metadata: RwLock<Arc<Metadata>>,
}

/// The members of an authorization server's metadata the client uses, validated.
#[derive(Clone, Debug, Default)]
struct Metadata {
    token_endpoint: Option<Url>,
    jwks_uri: Option<Url>,
    introspection_endpoint: Option<Url>,
    revocation_endpoint: Option<Url>,
    dpop_algs: Vec<String>,
}

impl AuthorizationServer {
    /// An authorization server configured by hand: its issuer identifier and token endpoint
    /// (absolute `https`, or `http` on a loopback address).
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// assert_eq!(s.issuer(), "https://id.example.com");
    /// assert!(auth_client::AuthorizationServer::new("https://id.example.com", "http://id.example.com/token").is_err());
    /// ```
    pub fn new(issuer: impl Into<String>, token_endpoint: &str) -> Result<Self, Error> {
        let metadata = Metadata {
            token_endpoint: Some(endpoint(
                token_endpoint,
                "the token_endpoint is not an absolute https URL",
            )?),
            ..Metadata::default()
        };
        Ok(Self::with(issuer.into(), false, metadata))
    }

    fn with(issuer: String, discovered: bool, metadata: Metadata) -> Self {
        AuthorizationServer {
            inner: Arc::new(Inner {
                issuer,
                discovered,
                metadata: RwLock::new(Arc::new(metadata)),
            }),
        }
    }

    fn update(&self, change: impl FnOnce(&mut Metadata)) {
        let mut guard = match self.inner.metadata.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = (**guard).clone();
        change(&mut next);
        *guard = Arc::new(next);
    }

    /// Sets the introspection endpoint (RFC 7662) of a hand-configured server.
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap()
    ///     .with_introspection_endpoint("https://id.example.com/introspect").unwrap();
    /// assert_eq!(s.introspection_endpoint().unwrap().path(), "/introspect");
    /// ```
    pub fn with_introspection_endpoint(self, url: &str) -> Result<Self, Error> {
        let url = endpoint(
            url,
            "the introspection_endpoint is not an absolute https URL",
        )?;
        self.update(|m| m.introspection_endpoint = Some(url));
        Ok(self)
    }

    /// Sets the revocation endpoint (RFC 7009) of a hand-configured server.
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap()
    ///     .with_revocation_endpoint("https://id.example.com/revoke").unwrap();
    /// assert_eq!(s.revocation_endpoint().unwrap().path(), "/revoke");
    /// ```
    pub fn with_revocation_endpoint(self, url: &str) -> Result<Self, Error> {
        let url = endpoint(url, "the revocation_endpoint is not an absolute https URL")?;
        self.update(|m| m.revocation_endpoint = Some(url));
        Ok(self)
    }

    /// Discovers the server from its issuer identifier: the RFC 8414 URL (well-known segment
    /// inserted between host and path), then the OpenID Connect one (appended). The document's
    /// `issuer` must be exactly `issuer` (RFC 8414 §3.3: no trailing-slash leniency), and every
    /// endpoint it names an absolute `https` URL (or loopback `http`).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), auth_client::Error> {
    /// let s = auth_client::AuthorizationServer::discover(&reqwest::Client::new(), "https://id.example.com").await?;
    /// # Ok(()) }
    /// ```
    pub async fn discover(http: &reqwest::Client, issuer: &str) -> Result<Self, Error> {
        let metadata = fetch(http, issuer).await?;
        Ok(Self::with(issuer.to_owned(), true, metadata))
    }

    /// Reads the metadata again (keys or endpoints rotated) and uses the new endpoints from
    /// now on, for every clone of this handle. A document that fails validation leaves the old
    /// one in force. A hand-configured server has nothing to re-read.
    ///
    /// ```no_run
    /// # async fn run(s: auth_client::AuthorizationServer) -> Result<(), auth_client::Error> {
    /// s.rediscover(&reqwest::Client::new()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn rediscover(&self, http: &reqwest::Client) -> Result<(), Error> {
        if !self.inner.discovered {
            return Err(Error::Config(
                "a hand-configured authorization server has no metadata to re-read",
            ));
        }
        let next = fetch(http, &self.inner.issuer).await?;
        self.update(|m| *m = next);
        Ok(())
    }

    fn metadata(&self) -> Arc<Metadata> {
        match self.inner.metadata.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The issuer identifier.
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// assert_eq!(s.issuer(), "https://id.example.com");
    /// ```
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// The token endpoint; an error when the metadata names none (no default is guessed).
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// assert_eq!(s.token_endpoint().unwrap().as_str(), "https://id.example.com/token");
    /// ```
    pub fn token_endpoint(&self) -> Result<Url, Error> {
        self.metadata()
            .token_endpoint
            .clone()
            .ok_or(Error::Discovery("the metadata has no token_endpoint"))
    }

    /// The key set URL, for code that verifies the server's JWTs; an error when absent.
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// assert!(s.jwks_uri().is_err());
    /// ```
    pub fn jwks_uri(&self) -> Result<Url, Error> {
        self.metadata()
            .jwks_uri
            .clone()
            .ok_or(Error::Discovery("the metadata has no jwks_uri"))
    }

    /// The introspection endpoint (RFC 7662); an error when absent.
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// assert!(s.introspection_endpoint().is_err());
    /// ```
    pub fn introspection_endpoint(&self) -> Result<Url, Error> {
        self.metadata()
            .introspection_endpoint
            .clone()
            .ok_or(Error::Discovery(
                "the metadata has no introspection_endpoint",
            ))
    }

    /// The revocation endpoint (RFC 7009); an error when absent.
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// assert!(s.revocation_endpoint().is_err());
    /// ```
    pub fn revocation_endpoint(&self) -> Result<Url, Error> {
        self.metadata()
            .revocation_endpoint
            .clone()
            .ok_or(Error::Discovery("the metadata has no revocation_endpoint"))
    }

    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1), empty when not announced.
    ///
    /// ```
    /// let s = auth_client::AuthorizationServer::new("https://id.example.com", "https://id.example.com/token").unwrap();
    /// assert!(s.dpop_signing_algs().is_empty());
    /// ```
    pub fn dpop_signing_algs(&self) -> Vec<String> {
        self.metadata().dpop_algs.clone()
    }
}

/// The two discovery URLs of an issuer, RFC 8414's first.
fn discovery_urls(issuer: &str) -> Result<[Url; 2], Error> {
    let base = endpoint(
        issuer,
        "the issuer is not an absolute https URL without query or fragment",
    )?;
    if base.query().is_some() {
        return Err(Error::Discovery(
            "the issuer is not an absolute https URL without query or fragment",
        ));
    }
    let path = base.path().trim_end_matches('/');
    let mut rfc8414 = base.clone();
    rfc8414.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
    let mut openid = base.clone();
    openid.set_path(&format!("{path}/.well-known/openid-configuration"));
    Ok([rfc8414, openid])
}

async fn fetch(http: &reqwest::Client, issuer: &str) -> Result<Metadata, Error> {
    for url in discovery_urls(issuer)? {
        // A document that exists but is wrong is final: no falling back to the second URL.
        if let Some(document) = get_json(http, url).await? {
            return validate(issuer, &document);
        }
    }
    Err(Error::Discovery("no metadata document answered"))
}

/// GETs a JSON object: `None` for any status but 200, an error for a 200 that is no object.
pub(crate) async fn get_json(
    http: &reqwest::Client,
    url: Url,
) -> Result<Option<Map<String, Value>>, Error> {
    let response = http
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(http_util::DEFAULT_TIMEOUT)
        .send()
        .await?;
    http_util::not_redirected(&response, &url)?;
    if response.status() != reqwest::StatusCode::OK {
        return Ok(None);
    }
    let body = http_util::read_body(response).await?;
    match serde_json::from_slice(&body) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        _ => Err(Error::Discovery(
            "the metadata document is not a JSON object",
        )),
    }
}

fn validate(issuer: &str, doc: &Map<String, Value>) -> Result<Metadata, Error> {
    match doc.get("issuer") {
        Some(Value::String(s)) if s.is_empty() => {
            return Err(Error::Discovery("the metadata has no issuer"));
        }
        // RFC 8414 §3.3: identical, character for character.
        Some(Value::String(s)) if s == issuer => {}
        Some(Value::String(_)) => {
            return Err(Error::Discovery(
                "issuer mismatch: the metadata names another issuer",
            ));
        }
        _ => return Err(Error::Discovery("the metadata has no issuer")),
    }
    let url = |name: &str, what: &'static str| -> Result<Option<Url>, Error> {
        match doc.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => endpoint(s, what).map(Some),
            Some(_) => Err(Error::Discovery(what)),
        }
    };
    Ok(Metadata {
        token_endpoint: url(
            "token_endpoint",
            "the token_endpoint is not an absolute https URL",
        )?,
        jwks_uri: url("jwks_uri", "the jwks_uri is not an absolute https URL")?,
        introspection_endpoint: url(
            "introspection_endpoint",
            "the introspection_endpoint is not an absolute https URL",
        )?,
        revocation_endpoint: url(
            "revocation_endpoint",
            "the revocation_endpoint is not an absolute https URL",
        )?,
        dpop_algs: match doc.get("dpop_signing_alg_values_supported") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_both_discovery_urls() {
        let [a, b] = discovery_urls("https://id.example.com/tenant-a").unwrap();
        assert_eq!(
            a.as_str(),
            "https://id.example.com/.well-known/oauth-authorization-server/tenant-a"
        );
        assert_eq!(
            b.as_str(),
            "https://id.example.com/tenant-a/.well-known/openid-configuration"
        );
        let [a, _] = discovery_urls("https://id.example.com").unwrap();
        assert_eq!(
            a.as_str(),
            "https://id.example.com/.well-known/oauth-authorization-server"
        );
    }
}
