//! The schemes a request may authenticate with, and sets of them usable in `const` context.
//!
//! This module is plain data. What each scheme does (reading its credential, verifying it,
//! writing its challenge) lives in its own module under `schemes/`.

use std::fmt;

/// An HTTP authentication scheme the framework can verify.
///
/// Scheme names are matched case-insensitively on input (RFC 9110 §11.1) and always written
/// in their canonical spelling on output.
///
/// ```
/// use auth_core::Scheme;
/// assert_eq!(Scheme::Bearer.to_string(), "Bearer");
/// assert_ne!(Scheme::Basic, Scheme::ApiKey);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `Authorization: Bearer <token>` (RFC 6750), verified as a JWT.
    Bearer,
    /// `Authorization: Basic <base64(user:password)>` (RFC 7617), verified by a
    /// [`BasicVerifier`](crate::BasicVerifier).
    Basic,
    /// A key in a request header (`X-API-Key` by default), verified against
    /// [`ApiKeys`](crate::ApiKeys).
    ApiKey,
    /// `Authorization: Digest username=…, response=…` (RFC 7616), verified by a
    /// [`DigestVerifier`](crate::DigestVerifier).
    Digest,
    /// `Authorization: DPoP <token>` plus a `DPoP` proof (RFC 9449): an access token bound to
    /// a key the client proves it holds on every request, verified by the Bearer verifier and
    /// the application's [`Dpop`](crate::Dpop) settings.
    Dpop,
}

impl Scheme {
    /// Every scheme, in the order challenges are written.
    ///
    /// ```
    /// use auth_core::Scheme;
    /// assert_eq!(
    ///     Scheme::ALL,
    ///     [Scheme::Bearer, Scheme::Dpop, Scheme::Digest, Scheme::Basic, Scheme::ApiKey]
    /// );
    /// ```
    pub const ALL: [Scheme; 5] = [
        Scheme::Bearer,
        Scheme::Dpop,
        Scheme::Digest,
        Scheme::Basic,
        Scheme::ApiKey,
    ];

    /// The canonical name, as written in `WWW-Authenticate` (the API-key challenge's name is
    /// configurable: [`ApiKeys::challenge_scheme`](crate::ApiKeys::challenge_scheme)).
    ///
    /// ```
    /// use auth_core::Scheme;
    /// assert_eq!(Scheme::Basic.name(), "Basic");
    /// assert_eq!(Scheme::ApiKey.name(), "ApiKey");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Scheme::Bearer => "Bearer",
            Scheme::Basic => "Basic",
            Scheme::ApiKey => "ApiKey",
            Scheme::Digest => "Digest",
            Scheme::Dpop => "DPoP",
        }
    }

    /// The scheme's name in `#[require_auth(scheme = "…")]`, and in OpenAPI documents'
    /// `securitySchemes`.
    ///
    /// ```
    /// use auth_core::Scheme;
    /// assert_eq!(Scheme::ApiKey.attribute_name(), "api_key");
    /// assert_eq!(Scheme::Digest.attribute_name(), "digest");
    /// ```
    pub const fn attribute_name(self) -> &'static str {
        match self {
            Scheme::Bearer => "bearer",
            Scheme::Basic => "basic",
            Scheme::ApiKey => "api_key",
            Scheme::Digest => "digest",
            Scheme::Dpop => "dpop",
        }
    }

    /// The `auth-scheme` this scheme is sent under in an `Authorization` field, or `None` for a
    /// scheme read from a header of its own (API keys).
    ///
    /// ```
    /// use auth_core::Scheme;
    /// assert_eq!(Scheme::Digest.authorization_name(), Some("Digest"));
    /// assert_eq!(Scheme::ApiKey.authorization_name(), None);
    /// ```
    pub const fn authorization_name(self) -> Option<&'static str> {
        match self {
            Scheme::ApiKey => None,
            other => Some(other.name()),
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Scheme`]s, usable in `const` context.
///
/// ```
/// use auth_core::{Scheme, SchemeSet};
/// const BEARER: SchemeSet = SchemeSet::EMPTY.with(Scheme::Bearer);
/// assert!(BEARER.contains(Scheme::Bearer));
/// assert!(SchemeSet::ANY.contains(Scheme::Bearer));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SchemeSet(u8);

impl SchemeSet {
    /// No scheme at all.
    ///
    /// ```
    /// use auth_core::{Scheme, SchemeSet};
    /// assert!(SchemeSet::EMPTY.is_empty());
    /// assert_eq!(SchemeSet::EMPTY.iter().count(), 0);
    /// ```
    pub const EMPTY: SchemeSet = SchemeSet(0);
    /// Every scheme: "whatever the application registered a verifier for".
    ///
    /// ```
    /// use auth_core::{Scheme, SchemeSet};
    /// assert!(Scheme::ALL.iter().all(|s| SchemeSet::ANY.contains(*s)));
    /// ```
    pub const ANY: SchemeSet = SchemeSet(u8::MAX);

    const KNOWN: SchemeSet = {
        let mut set = SchemeSet::EMPTY;
        let mut i = 0;
        while i < Scheme::ALL.len() {
            set = set.with(Scheme::ALL[i]);
            i += 1;
        }
        set
    };

    /// This set with `scheme` added.
    ///
    /// ```
    /// use auth_core::{Scheme, SchemeSet};
    /// let set = SchemeSet::EMPTY.with(Scheme::Basic);
    /// assert!(set.contains(Scheme::Basic));
    /// assert!(!set.contains(Scheme::Bearer));
    /// ```
    pub const fn with(self, scheme: Scheme) -> Self {
        SchemeSet(self.0 | scheme.bit())
    }

    /// This set without `scheme`.
    ///
    /// ```
    /// use auth_core::{Scheme, SchemeSet};
    /// let set = SchemeSet::ANY.without(Scheme::ApiKey);
    /// assert!(set.contains(Scheme::Bearer));
    /// assert!(!set.contains(Scheme::ApiKey));
    /// ```
    pub const fn without(self, scheme: Scheme) -> Self {
        SchemeSet(self.0 & !scheme.bit())
    }

    /// Whether `scheme` is in the set.
    ///
    /// ```
    /// use auth_core::{Scheme, SchemeSet};
    /// const BASIC: SchemeSet = SchemeSet::EMPTY.with(Scheme::Basic);
    /// assert!(BASIC.contains(Scheme::Basic));
    /// assert!(!BASIC.contains(Scheme::ApiKey));
    /// ```
    pub const fn contains(self, scheme: Scheme) -> bool {
        self.0 & scheme.bit() != 0
    }

    /// The schemes in both sets.
    ///
    /// ```
    /// use auth_core::{Scheme, SchemeSet};
    /// let a = SchemeSet::EMPTY.with(Scheme::Bearer).with(Scheme::Basic);
    /// let b = SchemeSet::EMPTY.with(Scheme::Basic).with(Scheme::ApiKey);
    /// assert_eq!(a.intersection(b), SchemeSet::EMPTY.with(Scheme::Basic));
    /// ```
    pub const fn intersection(self, other: SchemeSet) -> Self {
        SchemeSet(self.0 & other.0)
    }

    /// Whether the set holds no scheme.
    ///
    /// ```
    /// use auth_core::{Scheme, SchemeSet};
    /// assert!(SchemeSet::EMPTY.is_empty());
    /// assert!(!SchemeSet::ANY.is_empty());
    /// let none = Scheme::ALL.iter().fold(SchemeSet::ANY, |set, s| set.without(*s));
    /// assert!(none.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 & Self::KNOWN.0 == 0
    }

    /// The schemes of the set, in challenge order.
    ///
    /// ```
    /// use auth_core::{Scheme, SchemeSet};
    /// let set = SchemeSet::EMPTY.with(Scheme::ApiKey).with(Scheme::Bearer);
    /// assert_eq!(set.iter().collect::<Vec<_>>(), [Scheme::Bearer, Scheme::ApiKey]);
    /// ```
    pub fn iter(self) -> impl Iterator<Item = Scheme> {
        Scheme::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

impl fmt::Debug for SchemeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
