//! The places a Bearer token may travel ([`TokenLocation`]) and a set of them
//! ([`TokenLocations`]); what each means and how it is guarded is in [`crate::transport`].

use std::fmt;

/// One place a Bearer token can be sent.
///
/// ```
/// use auth_core::transport::{TokenLocation, TokenLocations};
///
/// assert_eq!(TokenLocation::Cookie.to_string(), "cookie");
/// assert_ne!(TokenLocation::Header, TokenLocation::Query);
/// assert!(TokenLocations::default().contains(TokenLocation::Header));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenLocation {
    /// `Authorization: Bearer <token>`.
    Header,
    /// The token cookie.
    Cookie,
    /// The `access_token` query parameter.
    Query,
    /// The `access_token` member of a form-encoded body.
    Form,
}

impl TokenLocation {
    /// Every location, in the order they are looked at.
    ///
    /// ```
    /// use auth_core::transport::TokenLocation;
    ///
    /// assert_eq!(TokenLocation::ALL.len(), 4);
    /// assert_eq!(TokenLocation::ALL[0], TokenLocation::Header);
    /// ```
    pub const ALL: [TokenLocation; 4] = [
        TokenLocation::Header,
        TokenLocation::Cookie,
        TokenLocation::Query,
        TokenLocation::Form,
    ];

    /// The name used in `token_in = "…"` and in logs.
    ///
    /// ```
    /// use auth_core::transport::TokenLocation;
    ///
    /// assert_eq!(TokenLocation::Form.name(), "form");
    /// assert_eq!(TokenLocation::Query.name(), TokenLocation::Query.to_string());
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            TokenLocation::Header => "header",
            TokenLocation::Cookie => "cookie",
            TokenLocation::Query => "query",
            TokenLocation::Form => "form",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            TokenLocation::Header => 1,
            TokenLocation::Cookie => 2,
            TokenLocation::Query => 4,
            TokenLocation::Form => 8,
        }
    }
}

impl fmt::Display for TokenLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`TokenLocation`]s, usable in `const` context.
///
/// ```
/// use auth_core::transport::{TokenLocation, TokenLocations};
/// const BROWSER: TokenLocations = TokenLocations::HEADER.with(TokenLocation::Cookie);
/// assert!(BROWSER.contains(TokenLocation::Cookie));
/// assert!(!BROWSER.contains(TokenLocation::Query));
/// assert!(TokenLocations::HEADER.is_header_only());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenLocations(u8);

impl TokenLocations {
    /// The `Authorization` field only: the default.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::HEADER.contains(TokenLocation::Header));
    /// assert!(!TokenLocations::HEADER.contains(TokenLocation::Cookie));
    /// assert_eq!(TokenLocations::default(), TokenLocations::HEADER);
    /// ```
    pub const HEADER: TokenLocations = TokenLocations(1);
    /// No location (a requirement with this accepts no Bearer token at all).
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::NONE.is_empty());
    /// assert!(TokenLocation::ALL.iter().all(|l| !TokenLocations::NONE.contains(*l)));
    /// ```
    pub const NONE: TokenLocations = TokenLocations(0);

    /// This set with `location` added.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// let query_only = TokenLocations::NONE.with(TokenLocation::Query);
    /// assert!(query_only.contains(TokenLocation::Query));
    /// assert!(!query_only.contains(TokenLocation::Header));
    /// ```
    pub const fn with(self, location: TokenLocation) -> Self {
        TokenLocations(self.0 | location.bit())
    }

    /// This set without `location`.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// let browser = TokenLocations::HEADER.with(TokenLocation::Cookie);
    /// assert_eq!(browser.without(TokenLocation::Cookie), TokenLocations::HEADER);
    /// assert!(TokenLocations::HEADER.without(TokenLocation::Header).is_empty());
    /// ```
    pub const fn without(self, location: TokenLocation) -> Self {
        TokenLocations(self.0 & !location.bit())
    }

    /// Whether `location` is in the set.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::HEADER.contains(TokenLocation::Header));
    /// assert!(!TokenLocations::HEADER.contains(TokenLocation::Form));
    /// ```
    pub const fn contains(self, location: TokenLocation) -> bool {
        self.0 & location.bit() != 0
    }

    /// Whether every location of this set is in `other`.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    /// let both = TokenLocations::HEADER.with(TokenLocation::Cookie);
    /// assert!(TokenLocations::HEADER.is_subset_of(both));
    /// assert!(!both.is_subset_of(TokenLocations::HEADER));
    /// ```
    pub const fn is_subset_of(self, other: TokenLocations) -> bool {
        self.0 & !other.0 == 0
    }

    /// Whether the set holds no location.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::NONE.is_empty());
    /// assert!(!TokenLocations::NONE.with(TokenLocation::Form).is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the set is exactly `{Header}` (the fast path of the verdict cache).
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// assert!(TokenLocations::HEADER.is_header_only());
    /// assert!(!TokenLocations::HEADER.with(TokenLocation::Cookie).is_header_only());
    /// assert!(!TokenLocations::NONE.is_header_only());
    /// ```
    pub const fn is_header_only(self) -> bool {
        self.0 == Self::HEADER.0
    }

    /// The locations of the set, in the order they are looked at.
    ///
    /// ```
    /// use auth_core::transport::{TokenLocation, TokenLocations};
    ///
    /// let set = TokenLocations::NONE.with(TokenLocation::Form).with(TokenLocation::Header);
    /// let order: Vec<TokenLocation> = set.iter().collect();
    /// assert_eq!(order, [TokenLocation::Header, TokenLocation::Form]);
    /// ```
    pub fn iter(self) -> impl Iterator<Item = TokenLocation> {
        TokenLocation::ALL
            .into_iter()
            .filter(move |l| self.contains(*l))
    }
}

impl Default for TokenLocations {
    fn default() -> Self {
        Self::HEADER
    }
}

impl fmt::Debug for TokenLocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
