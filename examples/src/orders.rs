//! The `orders` service: an in-memory order book behind Bearer JWTs.
//!
//! | route | requirement | handler form |
//! |---|---|---|
//! | `GET /health`, `GET /openapi.json` | public | plain handler |
//! | `GET`/`HEAD /orders` | `orders:read`, Bearer or DPoP | attribute above `#[route]` |
//! | `GET /orders/{id}` | `orders:read` | attribute below `#[get]` |
//! | `POST /orders` | `orders:write` | extractor struct [`OrderWriter`] |
//! | `DELETE /orders/{id}` | `orders:write`, then the policy `admin_or_owner` (the owner, or `orders:admin` / role `orders-admin`) | attribute |
//! | `GET /reports` | any of `reports:read admin` | attribute |
//! | `GET /me` | any valid token, Bearer or DPoP | attribute, no scope |
//! | `GET /account/security` | `acr` `urn:orders:mfa` and `max_age` 300 (RFC 9470 step-up) | attribute |
//! | `GET /.well-known/oauth-protected-resource` | public: protected-resource metadata (RFC 9728) | `AuthConfig::resource_metadata_service` |
//! | `GET /ops/status` | Basic, realm `orders-ops` | attribute |
//! | `GET /ops/digest` | Digest (SHA-256, and MD5 for old clients), realm `orders-ops` | attribute |
//! | `GET /partner/orders` | API key in `X-API-Key` | attribute |
//! | `GET /whoami` | Bearer or Basic | attribute, several schemes |
//! | `GET /events` | `orders:read`, header or `access_token` query (for `EventSource`) | attribute with `token_in` |
//! | `POST /auth/login`, `/auth/refresh`, `/auth/logout` | cookie sessions for browser apps | [`crate::session`] |
//!
//! Bearer tokens are read from the `Authorization` field or the HttpOnly cookie
//! [`ACCESS_COOKIE`](crate::session::ACCESS_COOKIE); cookie tokens on unsafe methods need a
//! trusted `Origin` (the `AUTH_CORS_ORIGIN` list, or the service's own). With
//! `AUTH_CORS_ORIGIN` set, [`cors`] answers preflights and exposes `WWW-Authenticate`.
//!
//! DPoP (RFC 9449) follows `AUTH_DPOP` (`off`, `allowed` — the default — or `required`), its
//! proofs pointing to `AUTH_PUBLIC_ORIGIN` (default `http://` + `AUTH_ADDR`), with server
//! nonces under `AUTH_DPOP_NONCE=on`. Served over TLS (`AUTH_TLS_CERT`, `AUTH_TLS_KEY`), the
//! service asks for client certificates when `AUTH_TLS_CLIENT_CA` is set, so certificate-bound
//! tokens (RFC 8705) work.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, Responder, delete, get, post, route, web};
use auth_core::claim_layout::ClaimLayout;
use auth_core::openapi::{ExtractorSecurity, SecuritySchemes, scopes_of};
use auth_core::redis_store::RedisStore;
use auth_core::resource_metadata::ResourceMetadata;
use auth_core::transport::{CsrfDefence, TokenLocation, TokenLocations};
use auth_core::verify::revocation::MemoryRevocations;
use auth_core::{
    Algorithm, ApiKeys, AuthConfig, ClientAuth, ConfigError, Decision, DigestAuth, Dpop, DpopMode,
    DpopNonces, FailureThrottle, Htdigest, Htpasswd, Introspection, JwtKey, JwtOrOpaque,
    JwtVerifier, KeySet, Principal, require_auth,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::OpenApi;

/// The development key used when `AUTH_JWT_SECRET` is not set. Public, so never for production.
pub const DEV_SECRET: &[u8] = b"orders-development-key-not-for-production-use";
/// The realm of the service's challenges.
pub const REALM: &str = "orders";
/// The development user file used when `AUTH_HTPASSWD` is not set: `ops` / `ops-dev-password`
/// (bcrypt, written by `htpasswd -nbB -C 5`).
pub const DEV_HTPASSWD: &str = "ops:$2y$05$Zpd8fTxvtXNUTw4hhzuoYO72YiZTjc/dUdOokfokwnNzM8R.YHzEm\n";
/// The development password of `ops`.
pub const DEV_OPS_PASSWORD: &str = "ops-dev-password";
/// The realm of the operators' endpoints (Basic and Digest): Digest hashes are bound to it.
pub const OPS_REALM: &str = "orders-ops";
/// The development API keys used when `AUTH_API_KEYS` is not set.
pub const DEV_API_KEYS: &str = "partner-dev=dev-partner-key-0123456789";

/// The service's settings, read from the environment.
#[derive(Clone)]
pub struct Settings {
    /// `AUTH_ADDR`, default `127.0.0.1:8080`.
    pub addr: String,
    /// `AUTH_JWT_SECRET` (HS256), or the development key.
    pub secret: Vec<u8>,
    /// `AUTH_JWKS_URL`: verify with the keys of this JWKS instead of the secret.
    pub jwks_url: Option<String>,
    /// `AUTH_OIDC_ISSUER`: verify with the keys found by OpenID discovery from this issuer,
    /// which is then required on tokens (and `typ` must be `at+jwt`, RFC 9068).
    pub oidc_issuer: Option<String>,
    /// Whether the development key is in use.
    pub dev_key: bool,
    /// `AUTH_ISSUER`: enforced when set.
    pub issuer: Option<String>,
    /// `AUTH_AUDIENCE`: enforced when set.
    pub audience: Option<String>,
    /// The text of the htpasswd file named by `AUTH_HTPASSWD`, or [`DEV_HTPASSWD`].
    pub htpasswd: String,
    /// The text of the htdigest file named by `AUTH_HTDIGEST` (users of `GET /ops/digest`), or
    /// `None` for the development user `ops` / [`DEV_OPS_PASSWORD`].
    pub htdigest: Option<String>,
    /// `AUTH_DIGEST_NONCE_TTL_SECS`: how long a Digest nonce may be answered (default 300).
    pub digest_nonce_ttl: u64,
    /// `AUTH_DIGEST_NONCE_SECRET` (≥ 32 bytes): the secret Digest nonces are sealed with, the
    /// same on every instance of a fleet (unset: random per process).
    pub digest_nonce_secret: Option<Vec<u8>>,
    /// `AUTH_API_KEYS` (`name=key,name=key`), or [`DEV_API_KEYS`].
    pub api_keys: String,
    /// `AUTH_FAILURE_LIMIT`: failures per minute per client before 429 (default 10; 0 disables).
    pub failure_limit: u32,
    /// `AUTH_TRUSTED_PROXIES`: comma-separated proxy addresses whose `X-Forwarded-For` is
    /// believed (default: none).
    pub trusted_proxies: Vec<IpAddr>,
    /// `AUTH_CORS_ORIGIN`: comma-separated origins of browser apps (`https://app.example.com`)
    /// allowed to call the API with credentials; also trusted by the CSRF defence.
    pub cors_origins: Vec<String>,
    /// `AUTH_ACCESS_TTL`: lifetime in seconds of the access tokens `/auth/login` issues
    /// (default 900).
    pub access_ttl: i64,
    /// `AUTH_LEEWAY`: clock-skew leeway in seconds for `exp`/`nbf` (default 60).
    pub leeway: u64,
    /// `AUTH_INSECURE_COOKIES=1`: session cookies without `Secure`, for development over plain
    /// HTTP. Off by default (cookies are `Secure`), except on the embedded development
    /// defaults: the development key and a loopback [`addr`](Settings::addr). `0` forces
    /// `Secure` even then. Never decided from a request.
    pub insecure_cookies: bool,
    /// Which development defaults are in use (for the start-up banner).
    pub dev_defaults: Vec<&'static str>,
    /// `AUTH_REDIS_URL`: failure throttling and revocation shared with every instance through
    /// this Redis (unset: in memory, per process). Never shown: it may hold a password.
    /// `AUTH_REDIS_MAX_STALENESS_SECS` (default 30): how long revocation serves its last view
    /// while Redis is unreachable, before tokens get 503.
    pub redis: Option<RedisStore>,
    /// The revocation store the verifier checks and `POST /admin/revocations` writes.
    pub revocations: crate::revocations::Revocations,
    /// `AUTH_PUBLIC_ORIGIN`: the origin clients dial (`https://api.example.com`), which DPoP
    /// proofs' `htu` must name; default `http://` + `AUTH_ADDR`.
    pub public_origin: Option<String>,
    /// `AUTH_DPOP`: `off`, `allowed` (default) or `required`.
    pub dpop: DpopMode,
    /// `AUTH_DPOP_NONCE=on`: DPoP proofs must carry a server nonce (default `off`).
    pub dpop_nonce: bool,
    /// `AUTH_DPOP_NONCE_SECRET` (≥ 32 bytes): the secret nonces are sealed with, shared by a
    /// fleet; default a random one per process.
    pub dpop_nonce_secret: Option<Vec<u8>>,
    /// `AUTH_RESOURCE`: the resource identifier of the metadata (default the public origin).
    pub resource: Option<String>,
    /// `AUTH_AUTHORIZATION_SERVERS`: space-separated issuer URLs for the metadata (default the
    /// configured issuer, if any).
    pub authorization_servers: Vec<String>,
    /// `AUTH_TLS_CERT`, `AUTH_TLS_KEY`, `AUTH_TLS_CLIENT_CA`: PEM files; TLS when the first two
    /// are set, client certificates asked for (and optional) with the third.
    pub tls: Option<TlsFiles>,
    /// `AUTH_CLIENT_CERT_PROXIES`: comma-separated addresses of TLS-terminating proxies whose
    /// `Client-Cert` field (RFC 9440) is believed.
    pub client_cert_proxies: Vec<IpAddr>,
    /// Opaque access tokens by introspection (RFC 7662), beside JWTs: see
    /// [`IntrospectionSettings`].
    pub introspection: Option<IntrospectionSettings>,
    /// `AUTH_CLAIMS`: where tokens (and introspection answers) put scopes, roles and the
    /// subject: `default`, `keycloak` (or `keycloak:<client>` for that client's roles too),
    /// `entra`, `auth0`, `okta` or `google`.
    pub claims: ClaimLayout,
}

/// The layout `AUTH_CLAIMS` names.
fn claim_layout(value: Option<&str>) -> Result<ClaimLayout, String> {
    Ok(match value {
        None | Some("default") => ClaimLayout::default(),
        Some("keycloak") => ClaimLayout::keycloak(),
        Some(other) if other.starts_with("keycloak:") && other.len() > "keycloak:".len() => {
            ClaimLayout::keycloak().keycloak_client(&other["keycloak:".len()..])
        }
        Some("entra") => ClaimLayout::entra(),
        Some("auth0") => ClaimLayout::auth0(),
        Some("okta") => ClaimLayout::okta(),
        Some("google") => ClaimLayout::google(),
        Some(other) => {
            return Err(format!(
                "AUTH_CLAIMS={other}: expected default, keycloak[:<client>], entra, auth0, okta or google"
            ));
        }
    })
}

/// `AUTH_INTROSPECTION_*`: opaque access tokens checked at the authorization server. JWTs are
/// still verified here, with the keys configured for them; any other bearer token is
/// introspected (`auth_core::JwtOrOpaque`).
#[derive(Clone)]
pub struct IntrospectionSettings {
    /// `AUTH_INTROSPECTION_URL`: the endpoint; unset, it is discovered from
    /// `AUTH_OIDC_ISSUER` (OpenID discovery) or `AUTH_ISSUER` (RFC 8414).
    pub url: Option<String>,
    /// `AUTH_INTROSPECTION_CLIENT_ID` (required): this service's client at the server.
    pub client_id: String,
    /// `AUTH_INTROSPECTION_CLIENT_SECRET` (required; sent as `client_secret_basic`).
    pub client_secret: String,
    /// `AUTH_INTROSPECTION_CACHE_SECS` (default 60): the longest an answer is trusted, so a
    /// token revoked at the server is refused at the latest that long after.
    pub cache_secs: u64,
}

impl std::fmt::Debug for IntrospectionSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionSettings")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &format_args!("****** ({} bytes)", self.client_secret.len()),
            )
            .field("cache_secs", &self.cache_secs)
            .finish()
    }
}

/// The PEM files of the service's own TLS.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// The certificate chain (`AUTH_TLS_CERT`).
    pub cert: String,
    /// The private key (`AUTH_TLS_KEY`).
    pub key: String,
    /// The CA client certificates must chain to (`AUTH_TLS_CLIENT_CA`), if they are asked for.
    pub client_ca: Option<String>,
}

/// Everything but the secrets: the HMAC secret, the API keys and the htpasswd hashes are
/// shown by length only, so a `{:?}` in a log line cannot leak them.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |bytes: usize| format!("****** ({bytes} bytes)");
        f.debug_struct("Settings")
            .field("addr", &self.addr)
            .field("secret", &redacted(self.secret.len()))
            .field("jwks_url", &self.jwks_url)
            .field("oidc_issuer", &self.oidc_issuer)
            .field("dev_key", &self.dev_key)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("htpasswd", &redacted(self.htpasswd.len()))
            .field(
                "htdigest",
                &self.htdigest.as_ref().map(|t| redacted(t.len())),
            )
            .field("digest_nonce_ttl", &self.digest_nonce_ttl)
            .field(
                "digest_nonce_secret",
                &self.digest_nonce_secret.as_ref().map(|t| redacted(t.len())),
            )
            .field("api_keys", &redacted(self.api_keys.len()))
            .field("failure_limit", &self.failure_limit)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("cors_origins", &self.cors_origins)
            .field("access_ttl", &self.access_ttl)
            .field("leeway", &self.leeway)
            .field("insecure_cookies", &self.insecure_cookies)
            .field("dev_defaults", &self.dev_defaults)
            .field("redis", &self.redis.is_some())
            .field("public_origin", &self.public_origin)
            .field("dpop", &self.dpop)
            .field("dpop_nonce", &self.dpop_nonce)
            .field(
                "dpop_nonce_secret",
                &self.dpop_nonce_secret.as_ref().map(|t| redacted(t.len())),
            )
            .field("resource", &self.resource)
            .field("authorization_servers", &self.authorization_servers)
            .field("tls", &self.tls)
            .field("client_cert_proxies", &self.client_cert_proxies)
            .field("introspection", &self.introspection)
            .field("claims", &self.claims)
            .finish()
    }
}

impl Settings {
    /// Reads the `AUTH_*` variables; a malformed value is an error naming the variable.
    pub fn from_env() -> Result<Settings, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let secret = var("AUTH_JWT_SECRET");
        let (jwks_url, oidc_issuer) = (var("AUTH_JWKS_URL"), var("AUTH_OIDC_ISSUER"));
        let sources = [secret.is_some(), jwks_url.is_some(), oidc_issuer.is_some()];
        if sources.iter().filter(|set| **set).count() > 1 {
            return Err("set only one of AUTH_JWT_SECRET, AUTH_JWKS_URL, AUTH_OIDC_ISSUER".into());
        }
        let dev_key = sources.iter().all(|set| !set);
        let mut dev_defaults = Vec::new();
        if dev_key {
            dev_defaults.push("AUTH_JWT_SECRET");
        }
        let htpasswd = match var("AUTH_HTPASSWD") {
            Some(path) => {
                std::fs::read_to_string(&path).map_err(|e| format!("AUTH_HTPASSWD={path}: {e}"))?
            }
            None => {
                dev_defaults.push("AUTH_HTPASSWD");
                DEV_HTPASSWD.to_owned()
            }
        };
        let htdigest = match var("AUTH_HTDIGEST") {
            Some(path) => Some(
                std::fs::read_to_string(&path).map_err(|e| format!("AUTH_HTDIGEST={path}: {e}"))?,
            ),
            None => {
                dev_defaults.push("AUTH_HTDIGEST");
                None
            }
        };
        let api_keys = var("AUTH_API_KEYS").unwrap_or_else(|| {
            dev_defaults.push("AUTH_API_KEYS");
            DEV_API_KEYS.to_owned()
        });
        let failure_limit = match var("AUTH_FAILURE_LIMIT") {
            Some(v) => v
                .parse()
                .map_err(|_| format!("AUTH_FAILURE_LIMIT={v}: not a number"))?,
            None => 10,
        };
        let trusted_proxies = addresses(var("AUTH_TRUSTED_PROXIES"), "AUTH_TRUSTED_PROXIES")?;
        let number = |name: &str, default: u64| -> Result<u64, String> {
            var(name).map_or(Ok(default), |v| {
                v.parse().map_err(|_| format!("{name}={v}: not a number"))
            })
        };
        let cors_origins = var("AUTH_CORS_ORIGIN")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let addr = var("AUTH_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let insecure_setting = var("AUTH_INSECURE_COOKIES");
        let insecure_cookies = insecure_cookies(insecure_setting.as_deref(), dev_key, &addr)?;
        if insecure_cookies && insecure_setting.is_none() {
            dev_defaults.push("AUTH_INSECURE_COOKIES");
        }
        let redis = match var("AUTH_REDIS_URL") {
            // The URL is never echoed: it may hold a password.
            Some(url) => Some(
                RedisStore::builder(&url)
                    .prefix("orders")
                    .max_staleness(Duration::from_secs(number(
                        "AUTH_REDIS_MAX_STALENESS_SECS",
                        auth_core::redis_store::DEFAULT_MAX_STALENESS.as_secs(),
                    )?))
                    .build()
                    .map_err(|e| match e {
                        // The URL is never echoed: it may hold a password.
                        ConfigError::InvalidSetting { detail, .. } => {
                            format!("AUTH_REDIS_URL / AUTH_REDIS_MAX_STALENESS_SECS: {detail}")
                        }
                        _ => "AUTH_REDIS_URL: refused".to_owned(),
                    })?,
            ),
            None => None,
        };
        let issuer = var("AUTH_ISSUER");
        let dpop = match var("AUTH_DPOP").as_deref() {
            None | Some("allowed") => DpopMode::Allowed,
            Some("off") => DpopMode::Off,
            Some("required") => DpopMode::Required,
            Some(other) => {
                return Err(format!(
                    "AUTH_DPOP={other}: expected off, allowed or required"
                ));
            }
        };
        let dpop_nonce = match var("AUTH_DPOP_NONCE").as_deref() {
            None | Some("off") => false,
            Some("on") => true,
            Some(other) => return Err(format!("AUTH_DPOP_NONCE={other}: expected on or off")),
        };
        let tls = match (var("AUTH_TLS_CERT"), var("AUTH_TLS_KEY")) {
            (Some(cert), Some(key)) => Some(TlsFiles {
                cert,
                key,
                client_ca: var("AUTH_TLS_CLIENT_CA"),
            }),
            (None, None) if var("AUTH_TLS_CLIENT_CA").is_none() => None,
            _ => {
                return Err(
                    "AUTH_TLS_CERT and AUTH_TLS_KEY go together (and AUTH_TLS_CLIENT_CA needs them)"
                        .into(),
                );
            }
        };
        let client_cert_proxies =
            addresses(var("AUTH_CLIENT_CERT_PROXIES"), "AUTH_CLIENT_CERT_PROXIES")?;
        let authorization_servers = match var("AUTH_AUTHORIZATION_SERVERS") {
            Some(list) => list.split_whitespace().map(str::to_owned).collect(),
            None => issuer
                .iter()
                .chain(oidc_issuer.iter())
                .take(1)
                .cloned()
                .collect(),
        };
        let introspection = match (
            var("AUTH_INTROSPECTION_URL"),
            var("AUTH_INTROSPECTION_CLIENT_ID"),
            var("AUTH_INTROSPECTION_CLIENT_SECRET"),
        ) {
            (url, Some(client_id), Some(client_secret)) => {
                // The audience is what keeps another resource server's tokens (and refresh
                // tokens from servers that do not label them) out: not optional here.
                if var("AUTH_AUDIENCE").is_none() {
                    return Err("AUTH_INTROSPECTION_CLIENT_ID needs AUTH_AUDIENCE: introspection answers must name this service".into());
                }
                if url.is_none() && oidc_issuer.is_none() && issuer.is_none() {
                    return Err("AUTH_INTROSPECTION_CLIENT_ID without AUTH_INTROSPECTION_URL needs AUTH_OIDC_ISSUER or AUTH_ISSUER to discover the endpoint".into());
                }
                Some(IntrospectionSettings {
                    url,
                    client_id,
                    client_secret,
                    cache_secs: number("AUTH_INTROSPECTION_CACHE_SECS", 60)?,
                })
            }
            (None, None, None) => None,
            _ => {
                return Err("AUTH_INTROSPECTION_CLIENT_ID and AUTH_INTROSPECTION_CLIENT_SECRET are both required for introspection".into());
            }
        };
        // Revocations are per issuer: the one the verifier enforces.
        let revocations =
            revocations_for(redis.as_ref(), issuer.as_deref().or(oidc_issuer.as_deref()));
        Ok(Settings {
            public_origin: var("AUTH_PUBLIC_ORIGIN"),
            dpop,
            dpop_nonce,
            dpop_nonce_secret: var("AUTH_DPOP_NONCE_SECRET").map(String::into_bytes),
            resource: var("AUTH_RESOURCE"),
            authorization_servers,
            tls,
            client_cert_proxies,
            introspection,
            claims: claim_layout(var("AUTH_CLAIMS").as_deref())?,
            redis,
            revocations,
            cors_origins,
            access_ttl: i64::try_from(number("AUTH_ACCESS_TTL", 900)?)
                .map_err(|_| "AUTH_ACCESS_TTL: too large")?,
            leeway: number("AUTH_LEEWAY", 60)?,
            addr,
            insecure_cookies,
            dev_key,
            secret: secret.map_or_else(|| DEV_SECRET.to_vec(), String::into_bytes),
            jwks_url,
            oidc_issuer,
            issuer,
            audience: var("AUTH_AUDIENCE"),
            htpasswd,
            htdigest,
            digest_nonce_ttl: number("AUTH_DIGEST_NONCE_TTL_SECS", 300)?,
            digest_nonce_secret: var("AUTH_DIGEST_NONCE_SECRET").map(String::into_bytes),
            api_keys,
            failure_limit,
            trusted_proxies,
            dev_defaults,
        })
    }

    /// Settings for tests: the given secret, issuer and audience, the development users and
    /// keys, no throttling.
    pub fn for_tests(secret: &[u8], issuer: Option<&str>, audience: Option<&str>) -> Settings {
        Settings {
            addr: "127.0.0.1:0".to_owned(),
            secret: secret.to_vec(),
            jwks_url: None,
            oidc_issuer: None,
            dev_key: false,
            issuer: issuer.map(str::to_owned),
            audience: audience.map(str::to_owned),
            htpasswd: DEV_HTPASSWD.to_owned(),
            htdigest: None,
            digest_nonce_ttl: 300,
            digest_nonce_secret: None,
            api_keys: DEV_API_KEYS.to_owned(),
            failure_limit: 0,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            access_ttl: 900,
            leeway: 60,
            insecure_cookies: false,
            dev_defaults: Vec::new(),
            redis: None,
            revocations: revocations_for(None, issuer),
            public_origin: None,
            dpop: DpopMode::Allowed,
            dpop_nonce: false,
            dpop_nonce_secret: None,
            resource: None,
            authorization_servers: issuer.iter().map(|i| (*i).to_owned()).collect(),
            tls: None,
            client_cert_proxies: Vec::new(),
            introspection: None,
            claims: ClaimLayout::default(),
        }
    }

    /// The origin clients dial: `AUTH_PUBLIC_ORIGIN`, else this service's own address.
    pub fn public_origin(&self) -> String {
        self.public_origin.clone().unwrap_or_else(|| {
            let scheme = if self.tls.is_some() { "https" } else { "http" };
            format!("{scheme}://{}", self.addr)
        })
    }

    /// The DPoP settings: proofs for the public origin, nonces when asked for, the fleet's
    /// replay memory when there is a Redis.
    fn dpop(&self) -> Result<Dpop, String> {
        let mut dpop = Dpop::builder(self.public_origin()).mode(self.dpop);
        if self.dpop_nonce {
            let nonces = match (&self.dpop_nonce_secret, &self.redis) {
                (Some(secret), _) => DpopNonces::new(secret),
                // A fleet (it shares a Redis) with a secret per process would refuse each
                // other's nonces: every request through the load balancer would bounce.
                (None, Some(_)) => {
                    return Err("AUTH_DPOP_NONCE=on with AUTH_REDIS_URL needs \
                                AUTH_DPOP_NONCE_SECRET, the same on every instance"
                        .into());
                }
                (None, None) => DpopNonces::random(),
            };
            dpop = dpop.nonces(nonces.map_err(|e| format!("AUTH_DPOP_NONCE_SECRET: {e}"))?);
        }
        if let Some(redis) = &self.redis {
            dpop = dpop.replay_store(redis.clone());
        }
        dpop.build()
            .map_err(|e| format!("AUTH_PUBLIC_ORIGIN / AUTH_DPOP: {e}"))
    }

    /// The protected-resource metadata (RFC 9728): the resource, its authorization servers, the
    /// scopes its handlers declare (from the OpenAPI document, so they cannot drift).
    fn resource_metadata(&self) -> Result<ResourceMetadata, String> {
        let resource = self
            .resource
            .clone()
            .unwrap_or_else(|| self.public_origin());
        let metadata = self
            .authorization_servers
            .iter()
            .fold(ResourceMetadata::builder(resource), |m, issuer| {
                m.authorization_server(issuer)
            })
            .scopes_supported(scopes_of(&ApiDoc::openapi()))
            .resource_name("orders")
            .tls_client_certificate_bound_access_tokens(
                self.tls.as_ref().is_some_and(|t| t.client_ca.is_some())
                    || !self.client_cert_proxies.is_empty(),
            );
        metadata
            .build()
            .map_err(|e| format!("AUTH_RESOURCE / AUTH_AUTHORIZATION_SERVERS: {e}"))
    }

    /// These settings with failure throttling and revocation shared through `redis` (what
    /// `AUTH_REDIS_URL` does).
    pub fn with_redis(mut self, redis: RedisStore) -> Settings {
        let issuer = self.issuer.as_deref().or(self.oidc_issuer.as_deref());
        self.revocations = revocations_for(Some(&redis), issuer);
        self.redis = Some(redis);
        self
    }

    /// The authentication configuration: HS256 with the secret (issuer and audience when set),
    /// Basic from the htpasswd text, the API keys, and the failure throttle. Fails (and the
    /// service does not start) on a secret under 32 bytes, a weak htpasswd entry, or a short key.
    pub fn auth_config(&self) -> Result<AuthConfig, String> {
        let users = Htpasswd::parse(&self.htpasswd).map_err(|e| format!("AUTH_HTPASSWD: {e}"))?;
        let mut keys = ApiKeys::builder();
        for pair in self.api_keys.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, key) = pair
                .split_once('=')
                .ok_or("AUTH_API_KEYS: expected name=key,name=key")?;
            keys = keys.key(name.trim(), key.trim());
        }
        let keys = keys.build().map_err(|e| format!("AUTH_API_KEYS: {e}"))?;
        let digest_users = match &self.htdigest {
            Some(text) => Htdigest::parse(text).map_err(|e| format!("AUTH_HTDIGEST: {e}"))?,
            None => Htdigest::new()
                .with_password("ops", OPS_REALM, DEV_OPS_PASSWORD)
                .map_err(|e| format!("development digest user: {e}"))?,
        };
        // MD5 too: `htdigest` files hold MD5 hashes only, and some clients know nothing else.
        let mut digest = DigestAuth::new(digest_users)
            .allow_md5()
            .nonce_lifetime(Duration::from_secs(self.digest_nonce_ttl));
        if let Some(secret) = &self.digest_nonce_secret {
            digest = digest.nonce_secret(secret);
        }
        if let Some(redis) = &self.redis {
            // The fleet's replay memory: a request captured from one instance is refused by all.
            digest = digest.nonce_store(redis.clone());
        }
        let mut auth = AuthConfig::builder()
            .realm(REALM)
            .bearer(self.bearer_verifier()?)
            .basic(users)
            .digest(digest)
            .api_keys(keys)
            .token_locations(TokenLocations::HEADER.with(TokenLocation::Cookie))
            .token_cookie(crate::session::ACCESS_COOKIE)
            .csrf(
                self.cors_origins
                    .iter()
                    .fold(CsrfDefence::new(), |csrf, origin| csrf.trust_origin(origin)),
            )
            .dpop(self.dpop()?)
            .resource_metadata(self.resource_metadata()?)
            .client_certificate_proxies(self.client_cert_proxies.iter().copied());
        if self.failure_limit > 0 {
            let mut throttle = FailureThrottle::per_minute(self.failure_limit)
                .trust_forwarded_for(self.trusted_proxies.iter().copied());
            if let Some(redis) = &self.redis {
                throttle = throttle.store(redis.clone());
            }
            auth = auth.throttle(throttle);
        }
        auth.build().map_err(|e| e.to_string())
    }

    /// JWTs, and opaque tokens by introspection when it is configured.
    fn bearer_verifier(&self) -> Result<Box<dyn auth_core::BearerVerifier>, String> {
        let jwt = self
            .jwt_verifier()
            .map_err(|e| format!("bearer tokens: {e}"))?;
        let Some(settings) = &self.introspection else {
            return Ok(Box::new(jwt));
        };
        let mut introspection = match (&settings.url, &self.oidc_issuer, &self.issuer) {
            (Some(url), _, issuer) => {
                let builder = Introspection::builder(url);
                match issuer.as_ref().or(self.oidc_issuer.as_ref()) {
                    Some(issuer) => builder.issuer(issuer),
                    None => builder,
                }
            }
            (None, Some(issuer), _) => Introspection::discover(issuer),
            (None, None, Some(issuer)) => Introspection::discover_oauth(issuer),
            (None, None, None) => return Err("introspection: no endpoint".into()),
        }
        .client(ClientAuth::secret_basic(
            &settings.client_id,
            &settings.client_secret,
        ))
        .leeway(Duration::from_secs(self.leeway))
        .claims(self.claims.clone())
        .cache_for(Duration::from_secs(settings.cache_secs));
        if let Some(aud) = &self.audience {
            introspection = introspection.audience(aud);
        }
        if let Some(redis) = &self.redis {
            // The fleet's answers: a token introspected by one instance costs the others no call.
            introspection = introspection.shared_cache(redis.clone());
        }
        let introspection = introspection
            .build()
            .map_err(|e| format!("AUTH_INTROSPECTION_*: {e}"))?;
        Ok(Box::new(JwtOrOpaque::new(jwt, introspection)))
    }

    fn jwt_verifier(&self) -> Result<JwtVerifier, ConfigError> {
        let mut verifier = JwtVerifier::builder();
        verifier = match (&self.oidc_issuer, &self.jwks_url) {
            (Some(issuer), _) => verifier
                .key_set(KeySet::discover(issuer))
                .require_at_jwt_type(true),
            (None, Some(url)) => verifier.key_set(KeySet::jwks(url)),
            (None, None) => verifier.key(JwtKey::hmac(Algorithm::HS256, &self.secret)?),
        };
        verifier = verifier
            .leeway(Duration::from_secs(self.leeway))
            .claims(self.claims.clone())
            .revocations(Arc::clone(&self.revocations.store));
        if let Some(iss) = &self.issuer {
            verifier = verifier.issuer(iss);
        }
        if let Some(aud) = &self.audience {
            verifier = verifier.audience(aud);
        }
        verifier.build()
    }

    /// Mints an HS256 token with the service's secret (for the start-up banner and tests).
    pub fn mint(&self, subject: &str, scope: &str, expires_in: i64) -> Option<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs() as i64;
        let mut claims =
            json!({ "sub": subject, "scope": scope, "iat": now, "exp": now + expires_in });
        if let Some(iss) = &self.issuer {
            claims["iss"] = json!(iss);
        }
        if let Some(aud) = &self.audience {
            claims["aud"] = json!(aud);
        }
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(&self.secret),
        )
        .ok()
    }
}

/// A comma-separated list of addresses in the variable `name`.
fn addresses(value: Option<String>, name: &str) -> Result<Vec<IpAddr>, String> {
    value
        .map(|v| {
            v.split(',')
                .map(|ip| {
                    ip.trim()
                        .parse::<IpAddr>()
                        .map_err(|_| format!("{name}: {ip:?} is not an address"))
                })
                .collect()
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

/// The revocation store: the fleet's Redis when there is one, else one in memory.
fn revocations_for(
    redis: Option<&RedisStore>,
    issuer: Option<&str>,
) -> crate::revocations::Revocations {
    let store: Arc<dyn auth_core::verify::revocation::RevocationStore> = match redis {
        Some(redis) => Arc::new(redis.clone()),
        None => Arc::new(MemoryRevocations::default()),
    };
    crate::revocations::Revocations {
        store,
        issuer: issuer.map(str::to_owned),
    }
}

/// Whether session cookies go without `Secure`: the `AUTH_INSECURE_COOKIES` value when set
/// (`1`/`true` or `0`/`false`), otherwise only on the embedded development defaults (the
/// development key, listening on loopback).
fn insecure_cookies(value: Option<&str>, dev_key: bool, addr: &str) -> Result<bool, String> {
    match value {
        Some("1" | "true") => Ok(true),
        Some("0" | "false") => Ok(false),
        Some(other) => Err(format!("AUTH_INSECURE_COOKIES={other}: expected 1 or 0")),
        None => Ok(dev_key && is_loopback_addr(addr)),
    }
}

/// Whether the listen address `addr` (`host:port`) is a loopback one.
fn is_loopback_addr(addr: &str) -> bool {
    match addr.parse::<std::net::SocketAddr>() {
        Ok(socket) => socket.ip().is_loopback(),
        Err(_) => addr
            .rsplit_once(':')
            .is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost")),
    }
}

/// An order.
#[derive(Debug, Clone, Serialize)]
pub struct Order {
    /// Its id.
    pub id: u64,
    /// What was ordered.
    pub item: String,
    /// How many.
    pub quantity: u32,
    /// The subject that placed it.
    pub owner: Option<String>,
}

/// The body of `POST /orders`.
#[derive(Debug, Deserialize)]
pub struct NewOrder {
    /// What to order.
    pub item: String,
    /// How many (at least 1).
    pub quantity: u32,
}

/// The in-memory order book.
#[derive(Debug, Default)]
pub struct Store {
    orders: Mutex<BTreeMap<u64, Order>>,
}

impl Store {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<u64, Order>) -> T) -> T {
        // A poisoned lock only means another request panicked mid-update; the map is still
        // consistent (every update is a single insert or remove).
        let mut guard = self.orders.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }
}

/// The extractor form: a reusable type that demands `orders:write`.
#[require_auth(scheme = "bearer", scope = "orders:write")]
#[derive(Debug)]
pub struct OrderWriter(pub Principal);

/// `GET /health`: public.
#[utoipa::path(get, path = "/health", responses((status = 200, description = "The service is up")))]
#[get("/health")]
async fn health() -> impl Responder {
    web::Json(json!({ "status": "ok" }))
}

/// `GET /orders`: every order. Bearer or DPoP (`AUTH_DPOP` decides which are accepted).
#[require_auth(scheme = "bearer | dpop", scope = "orders:read")]
#[utoipa::path(get, path = "/orders", responses((status = 200, description = "Every order")))]
#[route("/orders", method = "GET", method = "HEAD")]
async fn list_orders(store: web::Data<Store>) -> impl Responder {
    web::Json(store.with(|m| m.values().cloned().collect::<Vec<_>>()))
}

/// `GET /orders/{id}`: one order. (`#[require_auth]` also works below `#[get]`; for the OpenAPI
/// document it goes above `#[utoipa::path]`, which goes above `#[get]`.)
#[require_auth(scheme = "bearer", scope = "orders:read")]
#[utoipa::path(get, path = "/orders/{id}", params(("id" = u64, Path, description = "The order's id")),
    responses((status = 200, description = "The order"), (status = 404, description = "No such order")))]
#[get("/orders/{id}")]
async fn get_order(store: web::Data<Store>, id: web::Path<u64>) -> HttpResponse {
    match store.with(|m| m.get(&id).cloned()) {
        Some(order) => HttpResponse::Ok().json(order),
        None => HttpResponse::NotFound().json(json!({ "error": "no such order" })),
    }
}

/// `POST /orders`: places an order; 201 with `Location`. Its security is written into the
/// OpenAPI document from [`OrderWriter`]'s requirement ([`ApiDoc`]).
#[utoipa::path(post, path = "/orders", responses((status = 201, description = "The order was placed")))]
#[post("/orders")]
async fn create_order(
    OrderWriter(user): OrderWriter,
    store: web::Data<Store>,
    body: web::Json<NewOrder>,
) -> HttpResponse {
    let NewOrder { item, quantity } = body.into_inner();
    if item.is_empty() || quantity == 0 {
        return HttpResponse::UnprocessableEntity()
            .json(json!({ "error": "item must be non-empty and quantity at least 1" }));
    }
    let order = store.with(|m| {
        let id = m.keys().next_back().map_or(1, |last| last + 1);
        let order = Order {
            id,
            item,
            quantity,
            owner: user.subject().map(str::to_owned),
        };
        m.insert(id, order.clone());
        order
    });
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/orders/{}", order.id)))
        .json(order)
}

/// `DELETE /orders/{id}`: `orders:write`, and then the policy [`admin_or_owner`]: an
/// administrator deletes any order, anyone else only their own.
#[require_auth(scheme = "bearer", scope = "orders:write", policy = admin_or_owner)]
#[utoipa::path(delete, path = "/orders/{id}", params(("id" = u64, Path, description = "The order's id")),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such order")))]
#[delete("/orders/{id}")]
async fn delete_order(store: web::Data<Store>, id: web::Path<u64>) -> HttpResponse {
    match store.with(|m| m.remove(&id)) {
        Some(_) => HttpResponse::NoContent().finish(),
        None => HttpResponse::NotFound().json(json!({ "error": "no such order" })),
    }
}

/// The policy of `DELETE /orders/{id}`: `orders:admin` (or the role `orders-admin`) may delete
/// any order; without it, only
/// the order's owner (the subject that placed it). An order that does not exist is refused like
/// another's (403 `forbidden`), so the answer never tells a caller which ids exist; an
/// administrator gets the handler's 404.
fn admin_or_owner(user: &Principal, req: &HttpRequest) -> Decision {
    // An administrator by scope, or by the role `orders-admin` where the identity provider
    // grants roles (`AUTH_CLAIMS` says where it puts them).
    if user.has_scope("orders:admin") || user.has_role("orders-admin") {
        return Decision::Allow;
    }
    let (Some(store), Some(id)) = (
        req.app_data::<web::Data<Store>>(),
        req.match_info()
            .get("id")
            .and_then(|id| id.parse::<u64>().ok()),
    ) else {
        return Decision::Deny;
    };
    let owner = store.with(|m| m.get(&id).map(|order| order.owner.clone()));
    match (owner, user.subject()) {
        (Some(Some(owner)), Some(subject)) => (owner == subject).into(),
        _ => Decision::Deny,
    }
}

/// `GET /reports`: `reports:read` or `admin`.
#[require_auth(scheme = "bearer", any_scope = "reports:read admin")]
#[utoipa::path(get, path = "/reports", responses((status = 200, description = "Order statistics")))]
#[get("/reports")]
async fn reports(store: web::Data<Store>) -> impl Responder {
    let (count, items) = store.with(|m| {
        (
            m.len(),
            m.values().map(|o| u64::from(o.quantity)).sum::<u64>(),
        )
    });
    web::Json(json!({ "orders": count, "items": items }))
}

/// `GET /me`: any valid token, Bearer or DPoP; returns the subject, scopes and scheme.
#[require_auth(scheme = "bearer | dpop")]
#[utoipa::path(get, path = "/me", responses((status = 200, description = "The caller's identity")))]
#[get("/me")]
async fn me(user: Principal) -> impl Responder {
    web::Json(
        json!({ "subject": user.subject(), "scopes": user.scopes(), "scheme": user.scheme().name() }),
    )
}

/// `GET /account/security`: the account's security settings, only after a multi-factor sign-in
/// within the last five minutes (RFC 9470 step-up: otherwise 401
/// `insufficient_user_authentication` with `acr_values` and `max_age`).
#[require_auth(scheme = "bearer | dpop", acr = "urn:orders:mfa", max_age = 300)]
#[utoipa::path(get, path = "/account/security", responses((status = 200, description = "The account's security settings")))]
#[get("/account/security")]
async fn account_security(user: Principal) -> impl Responder {
    web::Json(json!({
        "subject": user.subject(),
        "acr": user.claim("acr"),
        "auth_time": user.claim("auth_time"),
    }))
}

/// `GET /ops/status`: operators, with Basic credentials from the htpasswd file.
#[require_auth(scheme = "basic", realm = "orders-ops")]
#[utoipa::path(get, path = "/ops/status", responses((status = 200, description = "Service status")))]
#[get("/ops/status")]
async fn ops_status(user: Principal, store: web::Data<Store>) -> impl Responder {
    status_for(&user, &store)
}

/// The service status operators see, whichever scheme they authenticated with.
fn status_for(operator: &Principal, store: &Store) -> web::Json<serde_json::Value> {
    web::Json(
        json!({ "status": "ok", "orders": store.with(|m| m.len()), "operator": operator.subject() }),
    )
}

/// `GET /ops/digest`: operators, with Digest credentials (RFC 7616) from the htdigest file.
#[require_auth(scheme = "digest", realm = "orders-ops")]
#[utoipa::path(get, path = "/ops/digest", responses((status = 200, description = "Service status")))]
#[get("/ops/digest")]
async fn ops_digest(user: Principal, store: web::Data<Store>) -> impl Responder {
    status_for(&user, &store)
}

/// `GET /partner/orders`: partners, with an API key in `X-API-Key`.
#[require_auth(scheme = "api_key")]
#[utoipa::path(get, path = "/partner/orders", responses((status = 200, description = "The partner's view")))]
#[get("/partner/orders")]
async fn partner_orders(partner: Principal, store: web::Data<Store>) -> impl Responder {
    web::Json(json!({ "partner": partner.subject(), "orders": store.with(|m| m.len()) }))
}

/// `GET /whoami`: a Bearer token or Basic credentials.
#[require_auth(scheme = "bearer | basic")]
#[utoipa::path(get, path = "/whoami", responses((status = 200, description = "The caller's identity")))]
#[get("/whoami")]
async fn whoami(user: Principal) -> impl Responder {
    web::Json(json!({ "scheme": user.scheme().name(), "subject": user.subject() }))
}

/// `GET /events`: a Server-Sent Events stream of the order count. `EventSource` cannot set
/// headers, so this endpoint also takes the RFC 6750 `access_token` query parameter.
#[require_auth(
    scheme = "bearer",
    scope = "orders:read",
    token_in = "header | cookie | query"
)]
#[utoipa::path(get, path = "/events", responses((status = 200, description = "A text/event-stream")))]
#[get("/events")]
async fn events(store: web::Data<Store>) -> HttpResponse {
    let count = store.with(|m| m.len());
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(format!("event: orders\ndata: {{\"orders\":{count}}}\n\n"))
}

/// The CORS policy for browser apps on `origins`: credentials allowed, the headers a client
/// sends (`Authorization`, `Content-Type`, a `DPoP` proof), and `WWW-Authenticate` /
/// `Retry-After` / `Location` / `DPoP-Nonce` exposed so the page can read why it was refused and when to retry. Preflights are answered
/// here and never reach a guard.
pub fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("dpop"),
        ])
        .expose_headers([
            header::WWW_AUTHENTICATE,
            header::RETRY_AFTER,
            header::LOCATION,
            header::HeaderName::from_static("dpop-nonce"),
        ])
        .supports_credentials()
        .max_age(600)
}

const SECURITY_SCHEMES: SecuritySchemes = SecuritySchemes::DEFAULT;
const CREATE_ORDER_SECURITY: ExtractorSecurity =
    ExtractorSecurity::of::<OrderWriter>("post", "/orders");

/// The OpenAPI document of the service, served at `GET /openapi.json`. Each operation's
/// `security` comes from the requirement its guard enforces.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "orders", description = "The orders example of auth-core."),
    paths(
        health, list_orders, get_order, create_order, delete_order, reports, me, account_security, ops_status,
        ops_digest, partner_orders, whoami, events, crate::revocations::revoke,
        crate::metrics::metrics
    ),
    modifiers(&SECURITY_SCHEMES, &CREATE_ORDER_SECURITY)
)]
pub struct ApiDoc;

/// `GET /openapi.json`: the OpenAPI document (public).
#[get("/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// Registers every route; the caller adds `app_data(auth_config)` and the store.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health)
        .service(openapi_json)
        .service(list_orders)
        .service(get_order)
        .service(create_order)
        .service(delete_order)
        .service(reports)
        .service(me)
        .service(account_security)
        .service(ops_status)
        .service(ops_digest)
        .service(partner_orders)
        .service(whoami)
        .service(events)
        .service(crate::revocations::revoke)
        .service(crate::metrics::metrics);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_secure_unless_development_says_otherwise() {
        // Explicit settings win, either way.
        assert_eq!(insecure_cookies(Some("1"), false, "0.0.0.0:80"), Ok(true));
        assert_eq!(
            insecure_cookies(Some("0"), true, "127.0.0.1:8080"),
            Ok(false)
        );
        assert!(insecure_cookies(Some("yes"), true, "127.0.0.1:8080").is_err());
        // Unset: insecure only on the embedded development key and a loopback address.
        assert_eq!(insecure_cookies(None, true, "127.0.0.1:8080"), Ok(true));
        assert_eq!(insecure_cookies(None, true, "[::1]:8080"), Ok(true));
        assert_eq!(insecure_cookies(None, true, "localhost:8080"), Ok(true));
        assert_eq!(insecure_cookies(None, true, "0.0.0.0:8080"), Ok(false));
        assert_eq!(insecure_cookies(None, true, "10.0.0.5:8080"), Ok(false));
        assert_eq!(insecure_cookies(None, false, "127.0.0.1:8080"), Ok(false));
        assert!(!Settings::for_tests(DEV_SECRET, None, None).insecure_cookies);
    }
}
