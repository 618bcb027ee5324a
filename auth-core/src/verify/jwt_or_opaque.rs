//! One Bearer slot for an application that accepts both JWT access tokens and opaque ones: each
//! token goes to exactly one verifier, chosen by its shape, never to both.
//!
//! A token shaped as a JWS (three base64url parts, the first a JSON object naming an `alg`) goes
//! to the JWT verifier, and its refusal is final: it is never handed on to introspection, so a
//! forged JWT cannot make the authorization server vouch for it, nor can one verifier's refusal
//! be retried against the other's rules. Anything else goes to the opaque verifier (an
//! [`Introspection`](crate::Introspection), or a lookup of the application's own). An opaque
//! token that happens to be shaped as a JWS is refused: authorization servers that issue such
//! tokens are introspected alone.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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

/// Whether `token` is shaped as a JWS in compact form: three non-empty parts, the first the
/// base64url of a JSON object with a string `alg`.
pub(crate) fn is_jws_shaped(token: &[u8]) -> bool {
    let mut parts = token.split(|b| *b == b'.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    if header.is_empty() || payload.is_empty() || signature.is_empty() || header.len() > 4096 {
        return false;
    }
    #[derive(serde::Deserialize)]
    struct Header<'a> {
        #[serde(borrow)]
        #[allow(dead_code)]
        alg: std::borrow::Cow<'a, str>,
    }
    URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .is_some_and(|json| serde_json::from_slice::<Header<'_>>(&json).is_ok())
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
        assert!(is_jws_shaped(b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"));
        for opaque in [
            &b"2YotnFZFEjr1zCsicMWpAA"[..],
            b"a.b.c",
            b"eyJ0eXAiOiJKV1QifQ.e30.c2ln", // no alg
            b"eyJhbGciOiJIUzI1NiJ9..c2ln",
            b"eyJhbGciOiJIUzI1NiJ9.e30.c2ln.x",
        ] {
            assert!(!is_jws_shaped(opaque), "{opaque:?}");
        }
    }
}
