//! API keys sent in a request header (`X-API-Key` by default). Only a SHA-256 digest of each key
//! is held in memory, every presented key is compared against every stored digest in constant
//! time, and the matching key's name becomes the principal's subject.

use std::sync::Arc;

use actix_web::http::header::HeaderName;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::ConfigError;
use crate::principal::Principal;
use crate::scheme::Scheme;

/// The shortest key accepted at start-up.
///
/// ```
/// use auth_core::{verify::api_key::MIN_KEY_BYTES, ApiKeys};
/// assert_eq!(MIN_KEY_BYTES, 16);
/// assert!(ApiKeys::builder().key("short", "k".repeat(MIN_KEY_BYTES - 1)).build().is_err());
/// assert!(ApiKeys::builder().key("long enough", "k".repeat(MIN_KEY_BYTES)).build().is_ok());
/// ```
pub const MIN_KEY_BYTES: usize = 16;

/// The header API keys are read from unless configured otherwise.
///
/// ```
/// use auth_core::{verify::api_key::DEFAULT_HEADER, ApiKeys};
/// let keys = ApiKeys::builder().key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
/// assert!(keys.header().as_str().eq_ignore_ascii_case(DEFAULT_HEADER));
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const DEFAULT_HEADER: &str = "X-API-Key";

/// A set of named API keys.
///
/// ```
/// use auth_core::ApiKeys;
///
/// let keys = ApiKeys::builder()
///     .key("partner-a", "pk_live_8c1f2d9e6b7a40f1")
///     .build()?;
/// assert_eq!(keys.verify(b"pk_live_8c1f2d9e6b7a40f1").unwrap().subject(), Some("partner-a"));
/// assert!(keys.verify(b"pk_live_guess").is_none());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct ApiKeys {
    inner: Arc<Inner>,
}

struct Inner {
    header: HeaderName,
    challenge_scheme: String,
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("header", &self.inner.header)
            .field(
                "keys",
                &self.inner.keys.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Configures [`ApiKeys`].
///
/// ```
/// use auth_core::ApiKeys;
/// let keys = ApiKeys::builder()
///     .header("X-Partner-Token")
///     .key("partner-a", "pk_live_8c1f2d9e6b7a40f1")
///     .build()?;
/// assert_eq!(keys.header().as_str(), "x-partner-token");
/// assert!(ApiKeys::builder().build().is_err()); // no key
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Debug)]
pub struct ApiKeysBuilder {
    header: String,
    challenge_scheme: String,
    keys: Vec<(String, Vec<u8>)>,
}

impl ApiKeys {
    /// Starts a key set read from `X-API-Key`, challenged as `ApiKey realm="…"`.
    ///
    /// ```
    /// use auth_core::ApiKeys;
    /// let keys = ApiKeys::builder().key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
    /// assert_eq!((keys.header().as_str(), keys.challenge_scheme()), ("x-api-key", "ApiKey"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn builder() -> ApiKeysBuilder {
        ApiKeysBuilder {
            header: "x-api-key".to_owned(),
            challenge_scheme: "ApiKey".to_owned(),
            keys: Vec::new(),
        }
    }

    /// The header the key is read from.
    ///
    /// ```
    /// use auth_core::ApiKeys;
    /// let keys = ApiKeys::builder().header("X-Partner-Token").key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
    /// assert_eq!(keys.header().as_str(), "x-partner-token"); // header names are lowercase
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn header(&self) -> &HeaderName {
        &self.inner.header
    }

    /// The auth-scheme name of the challenge (`ApiKey` by default).
    ///
    /// ```
    /// use auth_core::ApiKeys;
    /// let keys = ApiKeys::builder().key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
    /// assert_eq!(keys.challenge_scheme(), "ApiKey");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn challenge_scheme(&self) -> &str {
        &self.inner.challenge_scheme
    }

    /// The principal of the key, if it is one of the set. Every stored digest is compared, in
    /// constant time, whatever matches.
    ///
    /// ```
    /// use auth_core::{ApiKeys, Scheme};
    /// let keys = ApiKeys::builder().key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
    /// let principal = keys.verify(b"pk_live_8c1f2d9e6b7a40f1").expect("a known key");
    /// assert_eq!((principal.scheme(), principal.subject()), (Scheme::ApiKey, Some("partner-a")));
    /// assert!(keys.verify(b"pk_live_8c1f2d9e6b7a40f2").is_none());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn verify(&self, presented: &[u8]) -> Option<Principal> {
        let digest = Sha256::digest(presented);
        let mut found: Option<&str> = None;
        for (name, stored) in &self.inner.keys {
            let equal: bool = stored.ct_eq(digest.as_slice()).into();
            if equal {
                found = Some(name);
            }
        }
        found.map(|name| {
            Principal::new(
                Scheme::ApiKey,
                Some(name.to_owned()),
                Vec::new(),
                Default::default(),
            )
        })
    }
}

impl ApiKeysBuilder {
    /// The header to read (default `X-API-Key`).
    ///
    /// ```
    /// use auth_core::ApiKeys;
    /// let keys = ApiKeys::builder().header("X-Partner-Token").key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
    /// assert_eq!(keys.header().as_str(), "x-partner-token");
    /// assert!(ApiKeys::builder().header("not a header").key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build().is_err());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.header = name.into();
        self
    }

    /// The auth-scheme name written in challenges (default `ApiKey`).
    ///
    /// ```
    /// use auth_core::ApiKeys;
    /// let keys = ApiKeys::builder().challenge_scheme("Partner").key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build()?;
    /// assert_eq!(keys.challenge_scheme(), "Partner");
    /// assert!(ApiKeys::builder().challenge_scheme("two words").key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build().is_err());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn challenge_scheme(mut self, name: impl Into<String>) -> Self {
        self.challenge_scheme = name.into();
        self
    }

    /// Adds a key named `name` (the principal's subject). Only its digest is kept.
    ///
    /// ```
    /// use auth_core::ApiKeys;
    /// let keys = ApiKeys::builder()
    ///     .key("partner-a", "pk_live_aaaaaaaaaaaaaaaa")
    ///     .key("partner-b", "pk_live_bbbbbbbbbbbbbbbb")
    ///     .build()?;
    /// assert_eq!(keys.verify(b"pk_live_bbbbbbbbbbbbbbbb").unwrap().subject(), Some("partner-b"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn key(mut self, name: impl Into<String>, key: impl AsRef<[u8]>) -> Self {
        self.keys.push((name.into(), key.as_ref().to_vec()));
        self
    }

    /// Checks the set: a valid header name and challenge scheme, at least one key, keys of at
    /// least 16 bytes, names and keys unique.
    ///
    /// ```
    /// use auth_core::{ApiKeys, ConfigError};
    /// assert!(ApiKeys::builder().key("partner-a", "pk_live_8c1f2d9e6b7a40f1").build().is_ok());
    /// // The same key under two names is refused.
    /// let twice = ApiKeys::builder().key("partner-a", "pk_live_8c1f2d9e6b7a40f1").key("partner-b", "pk_live_8c1f2d9e6b7a40f1").build();
    /// assert!(matches!(twice, Err(ConfigError::InvalidSetting { what: "API keys", .. })));
    /// ```
    pub fn build(self) -> Result<ApiKeys, ConfigError> {
        let invalid = |what, detail: &str| ConfigError::InvalidSetting {
            what,
            detail: detail.to_owned(),
        };
        let header = HeaderName::try_from(self.header.as_str())
            .map_err(|_| invalid("API-key header", "not a valid header name"))?;
        if !crate::syntax::is_token(&self.challenge_scheme) {
            return Err(invalid("API-key challenge scheme", "not an RFC 9110 token"));
        }
        if self.keys.is_empty() {
            return Err(invalid("API keys", "no key configured"));
        }
        let mut keys: Vec<(String, [u8; 32])> = Vec::with_capacity(self.keys.len());
        for (name, key) in self.keys {
            if name.is_empty() || !crate::syntax::is_quotable(&name) {
                return Err(invalid("API key name", "must be non-empty printable ASCII"));
            }
            if key.len() < MIN_KEY_BYTES {
                return Err(ConfigError::InvalidSetting {
                    what: "API key",
                    detail: format!(
                        "the key named {name:?} is {} bytes; at least {MIN_KEY_BYTES} are required",
                        key.len()
                    ),
                });
            }
            let digest: [u8; 32] = Sha256::digest(&key).into();
            if keys.iter().any(|(n, d)| *n == name || *d == digest) {
                return Err(ConfigError::InvalidSetting {
                    what: "API keys",
                    detail: format!("{name:?} repeats a name or a key"),
                });
            }
            keys.push((name, digest));
        }
        Ok(ApiKeys {
            inner: Arc::new(Inner {
                header,
                challenge_scheme: self.challenge_scheme,
                keys,
            }),
        })
    }
}
