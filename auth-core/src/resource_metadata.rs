//! OAuth 2.0 protected-resource metadata (RFC 9728): the document that tells a client which
//! authorization servers issue tokens for this resource, which scopes it knows and how tokens
//! must be presented, served at `/.well-known/oauth-protected-resource` plus the resource's
//! path, and named by the `resource_metadata` parameter of every Bearer and DPoP challenge
//! (§5.1), so a client that starts with nothing finds its way from a 401 to a token.
//!
//! Everything in it comes from configuration, never from request headers: register it with
//! [`AuthConfigBuilder::resource_metadata`](crate::AuthConfigBuilder::resource_metadata) and
//! mount [`AuthConfig::resource_metadata_service`](crate::AuthConfig::resource_metadata_service)
//! on the application. The DPoP members
//! (`dpop_signing_alg_values_supported`, `dpop_bound_access_tokens_required`) follow the
//! application's [`Dpop`] settings.
//!
//! ```
//! use actix_web::{test, App};
//! use auth_core::resource_metadata::ResourceMetadata;
//! use auth_core::AuthConfig;
//!
//! # actix_web::rt::System::new().block_on(async {
//! let metadata = ResourceMetadata::builder("https://api.example.com/orders")
//!     .authorization_server("https://login.example.com")
//!     .scopes_supported(["orders:read", "orders:write"])
//!     .build()?;
//! let auth = AuthConfig::builder().resource_metadata(metadata).build()?;
//! let route = auth.resource_metadata_service().unwrap();
//! let app = test::init_service(App::new().app_data(auth.clone()).service(route)).await;
//! let req = test::TestRequest::get().uri("/.well-known/oauth-protected-resource/orders").to_request();
//! let doc: serde_json::Value = test::call_and_read_body_json(&app, req).await;
//! assert_eq!(doc["resource"], "https://api.example.com/orders");
//! assert_eq!(doc["authorization_servers"][0], "https://login.example.com");
//! assert_eq!(doc["bearer_methods_supported"][0], "header");
//! # Ok::<(), auth_core::ConfigError>(())
//! # }).unwrap();
//! ```

use serde_json::{Map, Value, json};

use crate::error::ConfigError;
use crate::verify::dpop::{Dpop, DpopMode};

/// The well-known path segment of RFC 9728 §3.
const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// What the metadata document says, from configuration.
///
/// ```
/// use auth_core::resource_metadata::ResourceMetadata;
/// let m = ResourceMetadata::builder("https://api.example.com").build()?;
/// assert_eq!(m.url(), "https://api.example.com/.well-known/oauth-protected-resource");
/// let m = ResourceMetadata::builder("https://api.example.com/v2/mcp").build()?;
/// assert_eq!(m.url(), "https://api.example.com/.well-known/oauth-protected-resource/v2/mcp");
/// // Only the slash right after the host goes (§3.1): a path keeps its own.
/// let m = ResourceMetadata::builder("https://api.example.com/mcp/").build()?;
/// assert_eq!(m.url(), "https://api.example.com/.well-known/oauth-protected-resource/mcp/");
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ResourceMetadata {
    resource: String,
    /// The metadata's URL: the resource's origin, the well-known segment, the resource's path.
    url: String,
    /// The path the document is served at on this server.
    path: String,
    members: Map<String, Value>,
    tls_bound: bool,
}

/// Configures [`ResourceMetadata`].
///
/// ```
/// use auth_core::resource_metadata::ResourceMetadata;
/// assert!(ResourceMetadata::builder("https://api.example.com").build().is_ok());
/// assert!(ResourceMetadata::builder("https://api.example.com#f").build().is_err());
/// assert!(ResourceMetadata::builder("not a url").build().is_err());
/// ```
#[derive(Clone, Debug)]
pub struct ResourceMetadataBuilder {
    resource: String,
    authorization_servers: Vec<String>,
    scopes: Vec<String>,
    resource_name: Option<String>,
    documentation: Option<String>,
    tls_bound: bool,
}

impl ResourceMetadata {
    /// Starts the metadata of the resource identified by `resource` (RFC 9728 §2: an `https`
    /// URL without fragment; `http` is accepted for loopback and tests). It is also the
    /// audience tokens for this resource should carry (RFC 8707).
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// let m = ResourceMetadata::builder("http://127.0.0.1:8080").build()?;
    /// assert_eq!(m.resource(), "http://127.0.0.1:8080");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn builder(resource: impl Into<String>) -> ResourceMetadataBuilder {
        ResourceMetadataBuilder {
            resource: resource.into(),
            authorization_servers: Vec::new(),
            scopes: Vec::new(),
            resource_name: None,
            documentation: None,
            tls_bound: false,
        }
    }

    /// The resource identifier, as configured.
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// assert_eq!(ResourceMetadata::builder("https://a.example/x").build()?.resource(), "https://a.example/x");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The document's URL: what `resource_metadata` in challenges says.
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// let m = ResourceMetadata::builder("https://a.example/mcp").build()?;
    /// assert_eq!(m.url(), "https://a.example/.well-known/oauth-protected-resource/mcp");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The path the document is served at: the well-known segment plus the resource's path.
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// let m = ResourceMetadata::builder("https://a.example/mcp").build()?;
    /// assert_eq!(m.path(), "/.well-known/oauth-protected-resource/mcp");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The document, with the DPoP members of `dpop` (when DPoP is on).
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// use auth_core::{Dpop, DpopMode};
    /// let m = ResourceMetadata::builder("https://a.example").authorization_server("https://as.example").build()?;
    /// let dpop = Dpop::builder("https://a.example").mode(DpopMode::Required).build()?;
    /// let doc = m.document(Some(&dpop));
    /// assert_eq!(doc["dpop_bound_access_tokens_required"], true);
    /// assert_eq!(doc["dpop_signing_alg_values_supported"][0], "ES256");
    /// assert!(m.document(None).get("dpop_signing_alg_values_supported").is_none());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn document(&self, dpop: Option<&Dpop>) -> Value {
        let mut doc = self.members.clone();
        if let Some(dpop) = dpop.filter(|d| d.mode() != DpopMode::Off) {
            let algs: Vec<&str> = dpop.algs().split(' ').collect();
            doc.insert("dpop_signing_alg_values_supported".into(), json!(algs));
            doc.insert(
                "dpop_bound_access_tokens_required".into(),
                json!(dpop.mode() == DpopMode::Required),
            );
        }
        if self.tls_bound {
            doc.insert(
                "tls_client_certificate_bound_access_tokens".into(),
                json!(true),
            );
        }
        Value::Object(doc)
    }
}

impl ResourceMetadataBuilder {
    /// An authorization server (its issuer identifier) whose tokens this resource accepts; in
    /// order of preference.
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// let m = ResourceMetadata::builder("https://a.example").authorization_server("https://as.example").build()?;
    /// assert_eq!(m.document(None)["authorization_servers"], serde_json::json!(["https://as.example"]));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn authorization_server(mut self, issuer: impl Into<String>) -> Self {
        self.authorization_servers.push(issuer.into());
        self
    }

    /// The scopes the resource knows (`scopes_supported`), in the order given, duplicates
    /// dropped. [`crate::openapi::scopes_of`] gathers them from the application's OpenAPI
    /// document, that is from the requirements its handlers declare.
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// let m = ResourceMetadata::builder("https://a.example").scopes_supported(["b", "a", "b"]).build()?;
    /// assert_eq!(m.document(None)["scopes_supported"], serde_json::json!(["b", "a"]));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn scopes_supported<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Self {
        for scope in scopes {
            let scope = scope.into();
            if !self.scopes.contains(&scope) {
                self.scopes.push(scope);
            }
        }
        self
    }

    /// A human-readable name (`resource_name`).
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// let m = ResourceMetadata::builder("https://a.example").resource_name("Orders API").build()?;
    /// assert_eq!(m.document(None)["resource_name"], "Orders API");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn resource_name(mut self, name: impl Into<String>) -> Self {
        self.resource_name = Some(name.into());
        self
    }

    /// A page documenting the resource for developers (`resource_documentation`).
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// let m = ResourceMetadata::builder("https://a.example").documentation("https://a.example/docs").build()?;
    /// assert_eq!(m.document(None)["resource_documentation"], "https://a.example/docs");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn documentation(mut self, url: impl Into<String>) -> Self {
        self.documentation = Some(url.into());
        self
    }

    /// Says the resource accepts certificate-bound tokens (RFC 8705,
    /// `tls_client_certificate_bound_access_tokens`).
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// let m = ResourceMetadata::builder("https://a.example").tls_client_certificate_bound_access_tokens(true).build()?;
    /// assert_eq!(m.document(None)["tls_client_certificate_bound_access_tokens"], true);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn tls_client_certificate_bound_access_tokens(mut self, bound: bool) -> Self {
        self.tls_bound = bound;
        self
    }

    /// Checks the resource identifier and writes the document.
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// assert!(ResourceMetadata::builder("https://a.example/?q=1").build().is_err());
    /// // Not canonical: clients compare it with the URL they dialled.
    /// assert!(ResourceMetadata::builder("https://A.example:443").build().is_err());
    /// assert!(ResourceMetadata::builder("https://a.example/").build().is_ok());
    /// assert!(ResourceMetadata::builder("https://a.example").authorization_server("not a url").build().is_err());
    /// ```
    pub fn build(self) -> Result<ResourceMetadata, ConfigError> {
        let invalid = |what, detail: &str| ConfigError::InvalidSetting {
            what,
            detail: detail.into(),
        };
        let url = url::Url::parse(&self.resource)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
            .filter(|u| u.fragment().is_none() && u.query().is_none())
            .filter(|u| u.username().is_empty() && u.password().is_none())
            .ok_or_else(|| {
                invalid(
                    "resource",
                    "must be an http(s) URL with no query, fragment or user information",
                )
            })?;
        for issuer in &self.authorization_servers {
            url::Url::parse(issuer)
                .ok()
                .filter(|u| matches!(u.scheme(), "https" | "http"))
                .ok_or_else(|| invalid("authorization_servers", "each must be an http(s) URL"))?;
        }
        // Clients compare `resource` with the URL they derived the metadata URL from (§3.3):
        // it must be written as a URL parser writes it (lower-case host, no default port).
        let canonical = url.as_str();
        if canonical != self.resource && canonical != format!("{}/", self.resource) {
            return Err(ConfigError::InvalidSetting {
                what: "resource",
                detail: format!("write it in its canonical form: {canonical}"),
            });
        }
        let origin = url.origin().ascii_serialization();
        // §3.1: the well-known segment goes between the host and the path, and a terminating
        // slash right after the host is removed; any other path is kept as it is.
        let resource_path = if url.path() == "/" { "" } else { url.path() };
        let path = format!("{WELL_KNOWN}{resource_path}");
        let mut members = Map::new();
        members.insert("resource".into(), json!(self.resource));
        if !self.authorization_servers.is_empty() {
            members.insert(
                "authorization_servers".into(),
                json!(self.authorization_servers),
            );
        }
        if !self.scopes.is_empty() {
            members.insert("scopes_supported".into(), json!(self.scopes));
        }
        // The header; the served document adds the application's other RFC 6750 methods.
        members.insert("bearer_methods_supported".into(), json!(["header"]));
        if let Some(name) = self.resource_name {
            members.insert("resource_name".into(), json!(name));
        }
        if let Some(doc) = self.documentation {
            members.insert("resource_documentation".into(), json!(doc));
        }
        Ok(ResourceMetadata {
            resource: self.resource,
            url: format!("{origin}{path}"),
            path,
            members,
            tls_bound: self.tls_bound,
        })
    }
}
