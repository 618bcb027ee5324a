//! API keys sent in a request header (`X-API-Key` by default). Only a SHA-256 digest of each key
//! is held in memory, every presented key is compared against every stored digest in constant
//! time, and the matching key's name becomes the principal's subject.

use std::sync::Arc;

use actix_web::http::header::HeaderName;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::ConfigError;
use crate::principal::Principal;
use crate::requirement::Scheme;

/// The shortest key accepted at start-up.
pub const MIN_KEY_BYTES: usize = 16;

/// The header API keys are read from unless configured otherwise.
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
#[derive(Debug)]
pub struct ApiKeysBuilder {
    header: String,
    challenge_scheme: String,
    keys: Vec<(String, Vec<u8>)>,
}

impl ApiKeys {
    /// Starts a key set read from `X-API-Key`, challenged as `ApiKey realm="…"`.
    pub fn builder() -> ApiKeysBuilder {
        ApiKeysBuilder {
            header: "x-api-key".to_owned(),
            challenge_scheme: "ApiKey".to_owned(),
            keys: Vec::new(),
        }
    }

    /// The header the key is read from.
    pub fn header(&self) -> &HeaderName {
        &self.inner.header
    }

    /// The auth-scheme name of the challenge (`ApiKey` by default).
    pub fn challenge_scheme(&self) -> &str {
        &self.inner.challenge_scheme
    }

    /// The principal of the key, if it is one of the set. Every stored digest is compared, in
    /// constant time, whatever matches.
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
    pub fn header(mut self, name: impl Into<String>) -> Self {
        self.header = name.into();
        self
    }

    /// The auth-scheme name written in challenges (default `ApiKey`).
    pub fn challenge_scheme(mut self, name: impl Into<String>) -> Self {
        self.challenge_scheme = name.into();
        self
    }

    /// Adds a key named `name` (the principal's subject). Only its digest is kept.
    pub fn key(mut self, name: impl Into<String>, key: impl AsRef<[u8]>) -> Self {
        self.keys.push((name.into(), key.as_ref().to_vec()));
        self
    }

    /// Checks the set: a valid header name and challenge scheme, at least one key, keys of at
    /// least 16 bytes, names and keys unique.
    pub fn build(self) -> Result<ApiKeys, ConfigError> {
        let invalid = |what, detail: &str| ConfigError::InvalidSetting {
            what,
            detail: detail.to_owned(),
        };
        let header = HeaderName::try_from(self.header.as_str())
            .map_err(|_| invalid("API-key header", "not a valid header name"))?;
        if !crate::challenge::is_token(&self.challenge_scheme) {
            return Err(invalid("API-key challenge scheme", "not an RFC 9110 token"));
        }
        if self.keys.is_empty() {
            return Err(invalid("API keys", "no key configured"));
        }
        let mut keys: Vec<(String, [u8; 32])> = Vec::with_capacity(self.keys.len());
        for (name, key) in self.keys {
            if name.is_empty() || !crate::challenge::is_quotable(&name) {
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
