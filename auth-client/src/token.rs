//! Access tokens and the token endpoint's answers (RFC 6749 §5.1 and §5.2, RFC 8693 §2.2,
//! RFC 9449 §5).

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::Value;

use crate::{Error, Secret};

/// How a token is presented: `Authorization: Bearer` (RFC 6750) or `Authorization: DPoP` with
/// a proof (RFC 9449).
///
/// ```
/// use auth_client::TokenKind;
/// assert_eq!(TokenKind::Dpop.scheme(), "DPoP");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// `token_type` `Bearer`.
    Bearer,
    /// `token_type` `DPoP`: bound to the client's DPoP key.
    Dpop,
}

impl TokenKind {
    /// The `Authorization` scheme the token goes under.
    ///
    /// ```
    /// assert_eq!(auth_client::TokenKind::Bearer.scheme(), "Bearer");
    /// ```
    pub fn scheme(self) -> &'static str {
        match self {
            TokenKind::Bearer => "Bearer",
            TokenKind::Dpop => "DPoP",
        }
    }
}

/// An access token with what the token response said about it. `Debug` shows no secret.
///
/// ```
/// use std::time::Duration;
/// use auth_client::{Token, TokenKind};
/// let t = Token::bearer("abc", Some(Duration::from_secs(60)));
/// assert_eq!(t.kind(), TokenKind::Bearer);
/// assert_eq!(t.access_token().expose(), "abc");
/// assert!(!format!("{t:?}").contains("abc"));
/// ```
#[derive(Clone, Debug)]
pub struct Token {
    access: Secret,
    kind: TokenKind,
    expires_at: Option<Instant>,
    lifetime: Option<Duration>,
    scope: Option<String>,
    refresh: Option<Secret>,
    issued_token_type: Option<String>,
}

impl Token {
    /// A Bearer token living `lifetime` from now (`None`: unknown, kept until refused), for
    /// [user-supplied sources](crate::TokenSource).
    ///
    /// ```
    /// let t = auth_client::Token::bearer("abc", None);
    /// assert!(t.expires_at().is_none());
    /// ```
    pub fn bearer(access_token: impl Into<Secret>, lifetime: Option<Duration>) -> Token {
        Token::new(access_token.into(), TokenKind::Bearer, lifetime)
    }

    /// A DPoP-bound token (the caller vouches that it is bound to the client's key).
    ///
    /// ```
    /// let t = auth_client::Token::dpop("abc", None);
    /// assert_eq!(t.kind(), auth_client::TokenKind::Dpop);
    /// ```
    pub fn dpop(access_token: impl Into<Secret>, lifetime: Option<Duration>) -> Token {
        Token::new(access_token.into(), TokenKind::Dpop, lifetime)
    }

    fn new(access: Secret, kind: TokenKind, lifetime: Option<Duration>) -> Token {
        Token {
            access,
            kind,
            expires_at: lifetime.and_then(|l| Instant::now().checked_add(l)),
            lifetime,
            scope: None,
            refresh: None,
            issued_token_type: None,
        }
    }

    /// The token itself.
    ///
    /// ```
    /// assert_eq!(auth_client::Token::bearer("t", None).access_token().expose(), "t");
    /// ```
    pub fn access_token(&self) -> &Secret {
        &self.access
    }

    /// Bearer or DPoP.
    ///
    /// ```
    /// assert_eq!(auth_client::Token::bearer("t", None).kind(), auth_client::TokenKind::Bearer);
    /// ```
    pub fn kind(&self) -> TokenKind {
        self.kind
    }

    /// When it expires, from `expires_in` (`None`: the server did not say).
    ///
    /// ```
    /// let t = auth_client::Token::bearer("t", Some(std::time::Duration::from_secs(5)));
    /// assert!(t.expires_at().is_some());
    /// ```
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// The lifetime the server announced (`expires_in`).
    ///
    /// ```
    /// let t = auth_client::Token::bearer("t", Some(std::time::Duration::from_secs(5)));
    /// assert_eq!(t.lifetime(), Some(std::time::Duration::from_secs(5)));
    /// ```
    pub fn lifetime(&self) -> Option<Duration> {
        self.lifetime
    }

    /// The granted `scope` when the server named it (RFC 6749 §5.1: absent means as requested).
    ///
    /// ```
    /// assert_eq!(auth_client::Token::bearer("t", None).scope(), None);
    /// ```
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The refresh token, when one came with it.
    ///
    /// ```
    /// assert!(auth_client::Token::bearer("t", None).refresh_token().is_none());
    /// ```
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh.as_ref()
    }

    /// `issued_token_type` of a token-exchange answer (RFC 8693 §2.2.1).
    ///
    /// ```
    /// assert!(auth_client::Token::bearer("t", None).issued_token_type().is_none());
    /// ```
    pub fn issued_token_type(&self) -> Option<&str> {
        self.issued_token_type.as_deref()
    }

    /// Whether `self` and `other` are the same token (same bytes).
    pub(crate) fn same_as(&self, other: &Token) -> bool {
        self.access == other.access
    }

    /// Reads a token endpoint's answer: a §5.1 success for 200, a §5.2 error otherwise.
    /// `exchange` demands `issued_token_type` (RFC 8693 §2.2.1).
    pub(crate) fn from_response(status: u16, body: &[u8], exchange: bool) -> Result<Token, Error> {
        if status != 200 {
            return Err(refusal(status, body));
        }
        let raw: Value = serde_json::from_slice(body)
            .map_err(|_| Error::BadResponse("the token response is not JSON"))?;
        let Value::Object(members) = raw else {
            return Err(Error::BadResponse(
                "the token response is not a JSON object",
            ));
        };
        let text = |name: &str| -> Result<Option<String>, Error> {
            match members.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(Error::BadResponse(
                    "a token response member is not a string",
                )),
            }
        };
        let access = text("access_token")?
            .filter(|t| !t.is_empty())
            .ok_or(Error::BadResponse("the token response has no access_token"))?;
        if !auth_grammar::syntax::is_b64token(access.as_bytes()) {
            // RFC 6750 §2.1 and RFC 9449 §7.1: the token must fit the Authorization header.
            return Err(Error::BadResponse("the access_token is not a b64token"));
        }
        let token_type = text("token_type")?
            .ok_or(Error::BadResponse("the token response has no token_type"))?;
        // RFC 6749 §5.1: token_type is case-insensitive.
        let kind = if token_type.eq_ignore_ascii_case("bearer") {
            TokenKind::Bearer
        } else if token_type.eq_ignore_ascii_case("dpop") {
            TokenKind::Dpop
        } else if exchange && token_type.eq_ignore_ascii_case("n_a") {
            // RFC 8693 §2.2.1: `N_A` for a token that is not an access token; usable as a
            // Bearer value by the code that asked for it.
            TokenKind::Bearer
        } else {
            return Err(Error::BadResponse(
                "the token_type is neither Bearer nor DPoP",
            ));
        };
        let lifetime = match members.get("expires_in") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => match n.as_u64() {
                Some(secs) => Some(Duration::from_secs(secs)),
                None => {
                    return Err(Error::BadResponse(
                        "expires_in is not a non-negative integer",
                    ));
                }
            },
            // Some servers send the number as a string; the value is the same, so accept it.
            Some(Value::String(s)) => match s.parse::<u64>() {
                Ok(secs) => Some(Duration::from_secs(secs)),
                Err(_) => {
                    return Err(Error::BadResponse(
                        "expires_in is not a non-negative integer",
                    ));
                }
            },
            Some(_) => {
                return Err(Error::BadResponse(
                    "expires_in is not a non-negative integer",
                ));
            }
        };
        let issued_token_type = text("issued_token_type")?;
        if exchange && issued_token_type.is_none() {
            return Err(Error::BadResponse(
                "the token-exchange response has no issued_token_type",
            ));
        }
        let mut token = Token::new(Secret::new(access), kind, lifetime);
        token.scope = text("scope")?;
        token.refresh = text("refresh_token")?
            .filter(|t| !t.is_empty())
            .map(Secret::new);
        token.issued_token_type = issued_token_type;
        Ok(token)
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
    error_description: Option<String>,
    error_uri: Option<String>,
}

/// A §5.2 error answer (or something that is not even that). The server's text is kept only
/// when it [fits in an error](crate::error::fits_in_error); an `error` code that does not is no
/// §5.2 answer at all.
fn refusal(status: u16, body: &[u8]) -> Error {
    let fits = crate::error::fits_in_error;
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) if !e.error.is_empty() && fits(&e.error) => Error::TokenRefused {
            status,
            error: e.error,
            description: e.error_description.filter(|d| fits(d)),
            // RFC 6749 §5.2: `error_uri` is %x21 / %x23-5B / %x5D-7E (no space).
            uri: e.error_uri.filter(|u| fits(u) && !u.contains(' ')),
        },
        _ => Error::BadResponse(
            "the token endpoint answered an error without an RFC 6749 error code",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_outside_the_rfc_charsets_is_not_kept() {
        let e = Token::from_response(
            400,
            b"{\"error\":\"invalid_grant\",\"error_description\":\"line\\nbreak\",\"error_uri\":\"https://x/a b\"}",
            false,
        )
        .unwrap_err();
        assert!(matches!(
            e,
            Error::TokenRefused { ref error, description: None, uri: None, .. } if error == "invalid_grant"
        ));
        let long = format!("{{\"error\":\"{}\"}}", "x".repeat(513));
        assert!(matches!(
            Token::from_response(400, long.as_bytes(), false).unwrap_err(),
            Error::BadResponse(_)
        ));
        let escape = br#"{"error":"bad\u001b[31m"}"#;
        assert!(matches!(
            Token::from_response(400, escape, false).unwrap_err(),
            Error::BadResponse(_)
        ));
    }

    #[test]
    fn reads_a_success_and_an_error() {
        let t = Token::from_response(
            200,
            br#"{"access_token":"a.b.c","token_type":"bearer","expires_in":"60","scope":"x y"}"#,
            false,
        )
        .unwrap();
        assert_eq!(t.kind(), TokenKind::Bearer);
        assert_eq!(t.lifetime(), Some(Duration::from_secs(60)));
        assert_eq!(t.scope(), Some("x y"));
        let e = Token::from_response(400, br#"{"error":"invalid_client"}"#, false).unwrap_err();
        assert!(matches!(e, Error::TokenRefused { ref error, .. } if error == "invalid_client"));
        assert!(
            Token::from_response(
                200,
                br#"{"access_token":"a b","token_type":"Bearer"}"#,
                false
            )
            .is_err()
        );
        assert!(
            Token::from_response(200, br#"{"access_token":"a","token_type":"mac"}"#, false)
                .is_err()
        );
        assert!(
            Token::from_response(
                200,
                br#"{"access_token":"a","token_type":"Bearer","expires_in":-1}"#,
                false
            )
            .is_err()
        );
    }
}
