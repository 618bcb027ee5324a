//! Start-up errors: a configuration that would be unsafe is refused before the server runs.

/// A configuration the framework refuses, with a message naming what to fix.
///
/// ```
/// use auth_core::{ConfigError, Requirement, SchemeSet};
/// let err = Requirement::new(SchemeSet::ANY).with_realm("").validate().unwrap_err();
/// assert!(matches!(err, ConfigError::InvalidSetting { what: "realm", .. }));
/// assert!(err.to_string().starts_with("invalid realm: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An HMAC secret shorter than its hash output (RFC 7518 §3.2).
    #[error("the {alg} secret is {len} bytes; it must be at least {min} bytes (RFC 7518 §3.2)")]
    WeakSecret {
        /// The algorithm.
        alg: String,
        /// The secret's length.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// A key that does not parse for its algorithm.
    #[error("the {alg} key could not be read: {detail}")]
    BadKey {
        /// The algorithm.
        alg: String,
        /// What went wrong.
        detail: String,
    },
    /// A JWK whose algorithm cannot be decided or is not a signature algorithm.
    #[error("JWK not usable: {0}")]
    BadJwk(String),
    /// A JWT verifier with no key.
    #[error("the JWT verifier has no key: add at least one with JwtVerifier::builder().key(...)")]
    NoKeys,
    /// A realm, issuer, audience or scope claim name that cannot be used.
    #[error("invalid {what}: {detail}")]
    InvalidSetting {
        /// The setting.
        what: &'static str,
        /// Why.
        detail: String,
    },
}
