//! From a 401 to a token (RFC 9728 §5, the MCP authorization flow): the challenge's
//! `resource_metadata` URL, the resource's metadata, one of its authorization servers (only
//! one the application trusts with its credentials), that server's metadata, a token for the
//! resource.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use url::Url;

use crate::http_util::{endpoint, is_loopback};
use crate::server::get_json;
use crate::{
    AuthorizationServer, ClientAuth, ClientCredentials, DpopKey, Error, OAuthClient, TokenManager,
    TokenRequest,
};

/// How the middleware finds the authorization server of a resource it was given nothing but
/// the URL of. The client's credentials go only to an issuer listed with
/// [`Discovery::trust`]: a resource server names its authorization servers, and a hostile one
/// could otherwise name its own and collect the client's secret. Tokens are got for, and sent
/// to, only resources under [`Discovery::allow_resources`].
///
/// ```
/// use auth_client::{ClientAuth, Discovery};
/// let discovery = Discovery::new(ClientAuth::secret_basic("svc", "s3cret"))
///     .trust("https://id.example.com")
///     .allow_resources("https://api.example.com")
///     .unwrap()
///     .scope("orders:read");
/// ```
#[derive(Debug)]
pub struct Discovery {
    auth: ClientAuth,
    trusted: Vec<String>,
    /// The resources tokens may be got for and sent to: none until configured.
    allowed: Vec<Url>,
    scopes: Vec<String>,
    dpop: Option<DpopKey>,
    prefix_match: bool,
    managers: tokio::sync::Mutex<HashMap<String, Arc<TokenManager>>>,
}

impl Discovery {
    /// Discovery with `auth` as the client's credentials, trusting no issuer yet.
    ///
    /// ```
    /// let d = auth_client::Discovery::new(auth_client::ClientAuth::none("cli"));
    /// ```
    pub fn new(auth: ClientAuth) -> Self {
        Discovery {
            auth,
            trusted: Vec::new(),
            allowed: Vec::new(),
            scopes: Vec::new(),
            dpop: None,
            prefix_match: false,
            managers: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// An issuer the credentials may be sent to (exact string, as in its metadata).
    ///
    /// ```
    /// let d = auth_client::Discovery::new(auth_client::ClientAuth::none("cli")).trust("https://id.example.com");
    /// ```
    pub fn trust(mut self, issuer: impl Into<String>) -> Self {
        self.trusted.push(issuer.into());
        self
    }

    /// Resources under `prefix` (same origin, on a path-segment boundary) may be discovered,
    /// get tokens and receive them; may be given several times. None may until one is given:
    /// a discovering client that follows a URL it does not control (a `next` link, a webhook)
    /// would otherwise get a token of a trusted server for whoever answered 401, and an
    /// authorization server that ignores RFC 8707 `resource` would make it good anywhere.
    ///
    /// ```
    /// let d = auth_client::Discovery::new(auth_client::ClientAuth::none("cli"))
    ///     .allow_resources("https://api.example.com")
    ///     .unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `prefix` is not an absolute https (or loopback http) URL.
    pub fn allow_resources(mut self, prefix: &str) -> Result<Self, Error> {
        self.allowed.push(crate::http_util::prefix(
            prefix,
            "allow_resources takes an absolute https (or loopback http) URL without a query",
        )?);
        Ok(self)
    }

    fn allows(&self, url: &Url) -> bool {
        self.allowed.iter().any(|prefix| covers_url(prefix, url))
    }

    /// Scopes to ask for when the challenge names none; once one is set, also the most the
    /// client asks for: a challenge's scopes outside this set are not requested (a resource
    /// server cannot widen what the client's credentials are used for).
    ///
    /// ```
    /// let d = auth_client::Discovery::new(auth_client::ClientAuth::none("cli")).scope("orders:read");
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Gets DPoP-bound tokens with `key`.
    ///
    /// ```
    /// let d = auth_client::Discovery::new(auth_client::ClientAuth::none("cli"))
    ///     .dpop(auth_client::DpopKey::generate_es256().unwrap());
    /// ```
    pub fn dpop(mut self, key: DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    /// Accepts a metadata `resource` that is a same-origin path prefix of the requested URL
    /// (`https://api.example.com/v1` for `https://api.example.com/v1/orders`), as the
    /// rfc9728bis draft proposes. By default the RFC 9728 §3.3 rule holds: the `resource` must
    /// be the URL the request went to (query and fragment aside).
    ///
    /// ```
    /// let d = auth_client::Discovery::new(auth_client::ClientAuth::none("cli")).accept_resource_prefix();
    /// ```
    pub fn accept_resource_prefix(mut self) -> Self {
        self.prefix_match = true;
        self
    }

    /// Resolves a 401's challenge for `request_url`: the token manager of the chosen server,
    /// the request for the resource's token, and the resource (parsed).
    pub(crate) async fn resolve(
        &self,
        http: &reqwest::Client,
        request_url: &Url,
        metadata_url: Option<&str>,
        challenge_scope: Option<&str>,
    ) -> Result<(Arc<TokenManager>, TokenRequest, Url), Error> {
        if !self.allows(request_url) {
            tracing::warn!(target: "auth_client", origin = %request_url.origin().ascii_serialization(), "a 401 from a resource outside Discovery::allow_resources; nothing discovered");
            return Err(Error::Discovery(
                "the resource is not under a prefix given to Discovery::allow_resources",
            ));
        }
        let metadata_url =
            metadata_url.ok_or(Error::Discovery("the challenge names no resource_metadata"))?;
        let metadata_url = endpoint(
            metadata_url,
            "the resource_metadata URL is not an absolute https URL",
        )?;
        // The URL comes from whoever answered the 401: it may point at the loopback interface
        // (this machine's own services) only when the resource itself is there.
        if is_loopback(&metadata_url) && !is_loopback(request_url) {
            return Err(Error::Discovery(
                "the resource_metadata URL points at the loopback interface",
            ));
        }
        let document = get_json(http, metadata_url)
            .await?
            .ok_or(Error::Discovery("the resource metadata did not answer 200"))?;
        let resource = match document.get("resource") {
            Some(Value::String(r)) if !r.is_empty() => r.clone(),
            _ => return Err(Error::Discovery("the resource metadata has no resource")),
        };
        if !self.matches(&resource, request_url) {
            return Err(Error::Discovery(
                "the resource metadata is for another resource",
            ));
        }
        // RFC 9728 §2: a resource identifier is an https URL (loopback http aside, as for every
        // endpoint here); the token will be sent to it.
        let resource_url = endpoint(&resource, "the resource is not an https URL")?;
        if !self.allows(&resource_url) {
            return Err(Error::Discovery(
                "the resource is not under a prefix given to Discovery::allow_resources",
            ));
        }
        let servers: Vec<&str> = match document.get("authorization_servers") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let Some(issuer) = servers
            .iter()
            .find(|s| self.trusted.iter().any(|t| t == *s))
        else {
            return Err(match servers.first() {
                // Server-chosen text, bound and printable before it reaches an error (a log).
                Some(first) if crate::error::fits_in_error(first) => {
                    Error::UntrustedAuthorizationServer((*first).to_owned())
                }
                Some(_) => Error::UntrustedAuthorizationServer("(unprintable)".to_owned()),
                None => Error::Discovery("the resource metadata names no authorization_servers"),
            });
        };
        // Sent as the metadata wrote it (RFC 8707), matched in its parsed form.
        let mut request = TokenRequest::new().resource(resource);
        for scope in self.scopes_for(challenge_scope) {
            request = request.scope(scope);
        }
        let mut managers = self.managers.lock().await;
        let manager = match managers.get(*issuer) {
            Some(m) => Arc::clone(m),
            None => {
                let server = AuthorizationServer::discover(http, issuer).await?;
                let mut client = OAuthClient::new(http.clone(), server, self.auth.clone());
                if let Some(key) = &self.dpop {
                    client = client.with_dpop(key.clone());
                }
                let m = Arc::new(TokenManager::new(ClientCredentials::new(client)));
                managers.insert((*issuer).to_owned(), Arc::clone(&m));
                m
            }
        };
        Ok((manager, request, resource_url))
    }

    /// The challenge's scopes, within the configured ones when there are any; the configured
    /// ones when the challenge names none (or none of them).
    fn scopes_for(&self, challenge_scope: Option<&str>) -> Vec<String> {
        let configured: Vec<&str> = self.scopes.iter().flat_map(|s| s.split(' ')).collect();
        let asked: Vec<String> = challenge_scope
            .unwrap_or("")
            .split(' ')
            .filter(|s| !s.is_empty())
            .filter(|s| configured.is_empty() || configured.contains(s))
            .map(str::to_owned)
            .collect();
        if asked.is_empty() {
            self.scopes.clone()
        } else {
            asked
        }
    }

    fn matches(&self, resource: &str, request_url: &Url) -> bool {
        let mut requested = request_url.clone();
        requested.set_query(None);
        requested.set_fragment(None);
        if resource == requested.as_str() {
            return true;
        }
        self.prefix_match && covers(resource, &requested)
    }
}

/// Whether `resource` is a same-origin, segment-boundary path prefix of `url`. A URL whose path
/// holds an encoded `/`, `\` or `.`, a backslash or a `;` is never covered: servers and proxies
/// differ on what such a path names (nginx decodes `..%2F`, Tomcat drops `;…` parameters, IIS
/// reads `%5C` as `/`), so `/orders/..%2Fadmin` could reach `/admin` behind a prefix check.
pub(crate) fn covers(resource: &str, url: &Url) -> bool {
    Url::parse(resource).is_ok_and(|r| covers_url(&r, url))
}

/// The same, with the resource parsed.
pub(crate) fn covers_url(r: &Url, url: &Url) -> bool {
    if is_ambiguous(url.path()) {
        return false;
    }
    if r.origin() != url.origin() || r.query().is_some() || r.fragment().is_some() {
        return false;
    }
    let base = r.path().trim_end_matches('/');
    let path = url.path();
    path == base
        || path
            .strip_prefix(base)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Whether a path holds what servers read differently (see [`covers_url`]).
fn is_ambiguous(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ["%2f", "%5c", "%2e", "\\", ";"]
        .iter()
        .any(|s| lower.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovery() -> Discovery {
        Discovery::new(ClientAuth::none("cli"))
            .trust("https://id.example.com")
            .allow_resources("https://api.example.com")
            .unwrap()
    }

    #[test]
    fn a_prefix_covers_only_unambiguous_paths_under_it() {
        let prefix = Url::parse("https://api.example.com/orders").unwrap();
        let covered = |u: &str| covers_url(&prefix, &Url::parse(u).unwrap());
        assert!(covered("https://api.example.com/orders"));
        assert!(covered("https://api.example.com/orders/7?x=1"));
        assert!(!covered("https://api.example.com/ordersx"));
        assert!(!covered("https://api.example.com/orders/..%2Fadmin"));
        assert!(!covered("https://api.example.com/orders/%2e%2e/admin"));
        assert!(!covered("https://api.example.com/orders/..%5Cadmin"));
        assert!(!covered("https://api.example.com/orders/..;/admin"));
        assert!(!covered("https://api.example.com/orders/../admin"));
        assert!(!covered("https://api.example.com:8443/orders"));
        assert!(!covered("http://api.example.com/orders"));
    }

    #[test]
    fn a_challenge_cannot_widen_the_configured_scopes() {
        let d = discovery().scope("orders:read orders:write");
        assert_eq!(
            d.scopes_for(Some("orders:read admin:all")),
            vec!["orders:read"]
        );
        assert_eq!(d.scopes_for(Some("admin:all")), d.scopes);
        assert_eq!(d.scopes_for(None), d.scopes);
        // With none configured, the challenge says what to ask for.
        assert_eq!(
            discovery().scopes_for(Some("a  b")),
            vec!["a".to_owned(), "b".to_owned()]
        );
    }

    #[tokio::test]
    async fn nothing_is_discovered_for_a_resource_outside_the_allowed_prefixes() {
        let url = Url::parse("https://elsewhere.example.com/orders").unwrap();
        let refused = discovery()
            .resolve(
                &reqwest::Client::new(),
                &url,
                // Never fetched: refused before any request.
                Some("https://elsewhere.example.com/.well-known/oauth-protected-resource"),
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(refused, Error::Discovery(m) if m.contains("allow_resources")));
        assert!(
            Discovery::new(ClientAuth::none("cli"))
                .allow_resources("http://api.example.com")
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_remote_resource_cannot_point_discovery_at_the_loopback_interface() {
        let url = Url::parse("https://api.example.com/orders").unwrap();
        let refused = discovery()
            .resolve(
                &reqwest::Client::new(),
                &url,
                Some("http://127.0.0.1:1/.well-known/oauth-protected-resource"),
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(refused, Error::Discovery(m) if m.contains("loopback")));
    }
}
