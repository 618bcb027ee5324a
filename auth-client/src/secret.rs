//! Secrets that cannot be printed: access and refresh tokens, client secrets, assertions.

use std::fmt;
use std::sync::Arc;

/// A token or client secret. `Debug` and `Display` print `Secret(…)`, never the bytes; the
/// value is reachable only through [`Secret::expose`], at the one place that sends it.
///
/// ```
/// use auth_client::Secret;
/// let s = Secret::new("s3cr3t");
/// assert_eq!(format!("{s:?}"), "Secret(…)");
/// assert_eq!(s.expose(), "s3cr3t");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    ///
    /// ```
    /// let s = auth_client::Secret::new(String::from("token"));
    /// assert_eq!(s.len(), 5);
    /// ```
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the code that puts it on the wire.
    ///
    /// ```
    /// assert_eq!(auth_client::Secret::new("a").expose(), "a");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in bytes (safe to log).
    ///
    /// ```
    /// assert!(auth_client::Secret::new("").is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    ///
    /// ```
    /// assert!(!auth_client::Secret::new("x").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("…")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret::new(value)
    }
}
