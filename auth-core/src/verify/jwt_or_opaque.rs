//! One Bearer slot for an application that accepts both JWT access tokens and opaque ones: each
//! token goes to exactly one verifier, chosen by its shape, never to both.
//!
//! A token in the compact form of a JWS or a JWE (three or five parts: exactly two or four
//! dots) goes to the JWT verifier, and its refusal is final: it is never handed on to
//! introspection, so a forged or malformed JWT cannot make the authorization server vouch for
//! it, nor can one verifier's refusal be retried against the other's rules. Anything else goes
//! to the opaque verifier (an [`Introspection`](crate::Introspection), or a lookup of the
//! application's own). The rule looks at dots alone, on purpose: a finer test (a decodable
//! header, an `alg`) would let a token the JWT verifier refuses for its header reach
//! introspection instead. An opaque token with exactly two or four dots is refused:
//! authorization servers issuing such tokens are introspected alone.

use std::fmt;

use crate::principal::Principal;
use crate::rejection::Reason;
use crate::verify::bearer::{BearerVerdict, BearerVerifier};

/// Routes each bearer token to a JWT verifier or an opaque-token verifier by its shape (see the
/// [module docs](crate::verify::jwt_or_opaque)).
///
/// ```
/// use auth_core::{Algorithm, ApiKeys, BearerVerdict, BearerVerifier, JwtKey, JwtOrOpaque, JwtVerifier, Principal, Reason, Scheme};
///
/// #[derive(Debug)]
/// struct Opaque; // stands for an `Introspection`
/// impl BearerVerifier for Opaque {
///     fn verify_token(&self, token: &str) -> BearerVerdict {
///         BearerVerdict::Ready(if token == "opaque-1" {
///             Ok(Principal::new(Scheme::Bearer, Some("svc".into()), vec![], Default::default()))
///         } else {
///             Err(Reason::Inactive)
///         })
///     }
/// }
/// let jwt = JwtVerifier::builder()
///     .key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?)
///     .build()?;
/// let both = JwtOrOpaque::new(jwt, Opaque);
/// assert!(matches!(both.verify_token("opaque-1"), BearerVerdict::Ready(Ok(_))));
/// // A JWT-shaped token is the JWT verifier's alone.
/// let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
/// assert!(matches!(both.verify_token(forged), BearerVerdict::Ready(Err(Reason::BadSignature))));
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub struct JwtOrOpaque {
    jwt: Box<dyn BearerVerifier>,
    opaque: Box<dyn BearerVerifier>,
}

impl fmt::Debug for JwtOrOpaque {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtOrOpaque")
            .field("jwt", &self.jwt)
            .field("opaque", &self.opaque)
            .finish()
    }
}

impl JwtOrOpaque {
    /// JWTs to `jwt`, everything else to `opaque`.
    ///
    /// ```
    /// # use auth_core::{Algorithm, ApiKeys, JwtKey, JwtOrOpaque, JwtVerifier};
    /// # let jwt = || JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more").unwrap()).build().unwrap();
    /// let both = JwtOrOpaque::new(jwt(), jwt()); // any two verifiers
    /// # let _ = both;
    /// ```
    pub fn new(jwt: impl BearerVerifier, opaque: impl BearerVerifier) -> Self {
        JwtOrOpaque {
            jwt: Box::new(jwt),
            opaque: Box::new(opaque),
        }
    }

    fn route(&self, token: &[u8]) -> &dyn BearerVerifier {
        if is_jws_shaped(token) {
            &*self.jwt
        } else {
            &*self.opaque
        }
    }
}

/// Whether `token` is in the compact form of a JWS (two dots) or a JWE (four).
pub(crate) fn is_jws_shaped(token: &[u8]) -> bool {
    matches!(token.iter().filter(|b| **b == b'.').count(), 2 | 4)
}

impl BearerVerifier for JwtOrOpaque {
    fn verify_token(&self, token: &str) -> BearerVerdict {
        self.route(token.as_bytes()).verify_token(token)
    }

    fn cached(&self, token: &[u8]) -> Option<Result<Principal, Reason>> {
        self.route(token).cached(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        for jwt in [
            &b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"[..],
            b"eyJhbGciOiJub25lIn0.e30.", // unsigned: the JWT verifier refuses it
            b"a+b.c/d.e",                // not base64url: the JWT verifier refuses it
            b"a.b.c.d.e",                // a JWE
        ] {
            assert!(is_jws_shaped(jwt), "{jwt:?}");
        }
        for opaque in [&b"2YotnFZFEjr1zCsicMWpAA"[..], b"a.b", b"a.b.c.d"] {
            assert!(!is_jws_shaped(opaque), "{opaque:?}");
        }
    }
}
