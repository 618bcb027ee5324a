//! The one rule for sender-constrained tokens (RFC 7800 `cnf`): a token carrying `cnf` must
//! satisfy every binding it names, whichever scheme carried it, checked after the token is
//! verified and before scopes.
//!
//! - `cnf.jkt` (RFC 9449): only with the `DPoP` scheme, and only with a proof made by the key
//!   of that thumbprint. Presented as `Bearer`, it is refused (§7.2): a DPoP-bound token is
//!   never a bearer token.
//! - `cnf.x5t#S256` (RFC 8705 §3): only over a connection whose client certificate has that
//!   SHA-256 thumbprint ([`crate::mtls`]).
//! - A token presented with `DPoP` must be DPoP-bound: a proof with a bearer token proves
//!   nothing about the token (RFC 9449 §7.1).
//!
//! Every refusal here is `invalid_token`: the token is not usable by this sender.

use actix_web::{HttpMessage as _, HttpRequest};

use crate::config::AuthConfig;
use crate::principal::Principal;
use crate::rejection::{ErrorCode, Reason};
use crate::scheme::Scheme;

/// The key a request's DPoP proof was verified with: its RFC 7638 thumbprint, stored in the
/// request's extensions by the DPoP scheme once the proof passed.
#[derive(Clone, Debug)]
pub(crate) struct ProvenKey(pub(crate) String);

/// What a request presented that a binding may ask for.
pub(crate) struct Presented {
    /// The scheme that carried the token.
    scheme: Scheme,
    /// The thumbprint of the DPoP proof's key, if a proof passed.
    proof_key: Option<String>,
    /// Where the client certificate comes from: read only if a binding asks for it (a
    /// forwarded one costs a base64 decode and a SHA-256).
    certificate: Certificate,
}

enum Certificate {
    /// The request's connection, or its trusted proxy's `Client-Cert` field.
    OfRequest(HttpRequest, AuthConfig),
    /// Known already (unit tests).
    #[cfg(test)]
    Known(Option<String>),
}

impl Certificate {
    /// The base64url SHA-256 of the client certificate, if there is one.
    fn thumbprint(&self) -> Option<String> {
        match self {
            Certificate::OfRequest(req, config) => crate::mtls::thumbprint_of(req, config),
            #[cfg(test)]
            Certificate::Known(known) => known.clone(),
        }
    }
}

impl Presented {
    /// What `req` presented, its token carried by `scheme`.
    pub(crate) fn of(req: &HttpRequest, config: &AuthConfig, scheme: Scheme) -> Self {
        let proof_key = (scheme == Scheme::Dpop)
            .then(|| req.extensions().get::<ProvenKey>().map(|k| k.0.clone()))
            .flatten();
        Presented {
            scheme,
            proof_key,
            certificate: Certificate::OfRequest(req.clone(), config.clone()),
        }
    }
}

/// [`check`] for `req`, its token carried by `scheme`; a bearer token presented as Bearer (the
/// common case) costs nothing more than looking at its binding.
pub(crate) fn check_request(
    req: &HttpRequest,
    config: &AuthConfig,
    scheme: Scheme,
    principal: &Principal,
) -> Result<(), (ErrorCode, Reason)> {
    if principal.binding().is_none() && scheme != Scheme::Dpop {
        return Ok(());
    }
    check(&Presented::of(req, config, scheme), principal)
}

/// Whether `principal`'s token may be used by the sender that `presented` describes.
pub(crate) fn check(
    presented: &Presented,
    principal: &Principal,
) -> Result<(), (ErrorCode, Reason)> {
    let refuse = |why| Err((ErrorCode::InvalidToken, Reason::BindingMismatch(why)));
    let Some(binding) = principal.binding() else {
        if presented.scheme == Scheme::Dpop {
            return refuse("a token presented with DPoP is not DPoP-bound (no cnf.jkt)");
        }
        return Ok(());
    };
    if binding.unverifiable {
        return refuse("cnf names a binding this framework cannot check");
    }
    match (&binding.jkt, presented.scheme) {
        (None, Scheme::Dpop) => {
            return refuse("a token presented with DPoP is not DPoP-bound (no cnf.jkt)");
        }
        (Some(_), scheme) if scheme != Scheme::Dpop => {
            return refuse("a DPoP-bound token presented without DPoP");
        }
        (Some(jkt), _) if presented.proof_key.as_deref() != Some(&**jkt) => {
            return refuse("the DPoP proof's key is not the one the token is bound to");
        }
        _ => {}
    }
    if let Some(x5t) = &binding.x5t_s256
        && presented.certificate.thumbprint().as_deref() != Some(&**x5t)
    {
        return refuse("no client certificate with the token's x5t#S256");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::confirmation::Binding;

    fn bound(jkt: Option<&str>, x5t: Option<&str>) -> Principal {
        let binding = Binding {
            jkt: jkt.map(Box::from),
            x5t_s256: x5t.map(Box::from),
            unverifiable: false,
        };
        Principal::from_verified_jwt(
            None,
            vec![],
            vec![],
            b"{}".to_vec(),
            None,
            None,
            Some(Box::new(binding)),
        )
    }

    fn presented(scheme: Scheme, key: Option<&str>, cert: Option<&str>) -> Presented {
        Presented {
            scheme,
            proof_key: key.map(str::to_owned),
            certificate: Certificate::Known(cert.map(str::to_owned)),
        }
    }

    #[test]
    fn every_binding_named_must_be_satisfied() {
        let plain = Principal::new(Scheme::Bearer, None, vec![], Default::default());
        assert!(check(&presented(Scheme::Bearer, None, None), &plain).is_ok());
        assert!(check(&presented(Scheme::Dpop, Some("k"), None), &plain).is_err());

        let dpop = bound(Some("k"), None);
        assert!(check(&presented(Scheme::Dpop, Some("k"), None), &dpop).is_ok());
        assert!(check(&presented(Scheme::Dpop, Some("other"), None), &dpop).is_err());
        assert!(check(&presented(Scheme::Dpop, None, None), &dpop).is_err());
        assert!(check(&presented(Scheme::Bearer, Some("k"), None), &dpop).is_err());

        let mtls = bound(None, Some("c"));
        assert!(check(&presented(Scheme::Bearer, None, Some("c")), &mtls).is_ok());
        assert!(check(&presented(Scheme::Bearer, None, Some("d")), &mtls).is_err());
        assert!(check(&presented(Scheme::Bearer, None, None), &mtls).is_err());
        assert!(check(&presented(Scheme::Dpop, Some("k"), Some("c")), &mtls).is_err());

        let both = bound(Some("k"), Some("c"));
        assert!(check(&presented(Scheme::Dpop, Some("k"), Some("c")), &both).is_ok());
        assert!(check(&presented(Scheme::Dpop, Some("k"), None), &both).is_err());
        assert!(check(&presented(Scheme::Bearer, None, Some("c")), &both).is_err());
    }
}
