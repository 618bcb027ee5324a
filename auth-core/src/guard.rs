//! The flow of one check: credentials → verification → requirement → principal or rejection.

use actix_web::http::header;
use actix_web::{HttpMessage as _, HttpRequest};

use crate::audit;
use crate::config::AuthConfig;
use crate::credentials::{self, Credential};
use crate::principal::Principal;
use crate::rejection::{ErrorCode, Reason, Rejection, challenge_for};
use crate::requirement::{Requirement, SchemeSet};

/// Checks `requirement` against `req`: the principal, or the refusal (already logged).
pub(crate) fn authenticate(
    req: &HttpRequest,
    requirement: &Requirement,
) -> Result<Principal, Rejection> {
    match run(req, requirement, false)? {
        Some(principal) => Ok(principal),
        // `run` only answers `None` when asked for optional authentication; fail closed.
        None => Err(refuse(
            req,
            requirement,
            ErrorCode::Unauthorized,
            Reason::NoCredentials,
        )),
    }
}

/// The check; with `optional`, a request with no credential for the accepted schemes yields
/// `Ok(None)` instead of a 401.
pub(crate) fn run(
    req: &HttpRequest,
    requirement: &Requirement,
    optional: bool,
) -> Result<Option<Principal>, Rejection> {
    let Some(config) = req.app_data::<AuthConfig>() else {
        return Err(refuse(
            req,
            requirement,
            ErrorCode::ServerError,
            Reason::NoConfig,
        ));
    };
    let accepted = requirement
        .schemes()
        .intersection(config.registered_schemes());
    if accepted.is_empty() {
        let missing = scheme_names(requirement.schemes());
        return Err(refuse(
            req,
            requirement,
            ErrorCode::ServerError,
            Reason::NoVerifier(missing),
        ));
    }

    // A principal verified earlier in this request (a second guard, or a `Principal` argument)
    // is reused: the signature is checked once per request.
    let verified = req
        .extensions()
        .get::<Principal>()
        .filter(|p| accepted.contains(p.scheme()))
        .cloned();
    let principal = match verified {
        Some(principal) => principal,
        None => {
            let credential = match credentials::read(req.headers(), accepted) {
                Ok(Some(credential)) => credential,
                Ok(None) if optional => return Ok(None),
                Ok(None) => {
                    let reason = if req.headers().contains_key(header::AUTHORIZATION) {
                        Reason::OtherScheme
                    } else {
                        Reason::NoCredentials
                    };
                    return Err(refuse(req, requirement, ErrorCode::Unauthorized, reason));
                }
                Err(reason) => {
                    return Err(refuse(req, requirement, ErrorCode::InvalidRequest, reason));
                }
            };
            let verified = match credential {
                Credential::Bearer(token) => match config.bearer() {
                    Some(verifier) => verifier.verify(token),
                    None => Err(Reason::NoVerifier(scheme_names(accepted))),
                },
            };
            let principal = verified.map_err(|reason| {
                let code = match reason {
                    Reason::Expired => ErrorCode::TokenExpired,
                    Reason::NoVerifier(_) => ErrorCode::ServerError,
                    _ => ErrorCode::InvalidToken,
                };
                refuse(req, requirement, code, reason)
            })?;
            req.extensions_mut().insert(principal.clone());
            principal
        }
    };
    if !requirement.scopes_satisfied(principal.scopes()) {
        return Err(refuse(
            req,
            requirement,
            ErrorCode::InsufficientScope,
            Reason::InsufficientScope,
        ));
    }
    Ok(Some(principal))
}

/// Gives a refusal built without the request (by a `FromPrincipal` conversion) its challenge,
/// body hook and audit event.
pub(crate) fn complete(
    req: &HttpRequest,
    requirement: &Requirement,
    rejection: Rejection,
) -> Rejection {
    if rejection.challenge().is_some() {
        return rejection;
    }
    refuse(
        req,
        requirement,
        rejection.code(),
        rejection.reason().clone(),
    )
}

fn scheme_names(schemes: SchemeSet) -> String {
    if schemes == SchemeSet::ANY {
        return "any scheme".to_owned();
    }
    schemes
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Builds the contract's response for `code` and writes the audit event.
pub(crate) fn refuse(
    req: &HttpRequest,
    requirement: &Requirement,
    code: ErrorCode,
    reason: Reason,
) -> Rejection {
    let config = req.app_data::<AuthConfig>();
    let accepted = match config {
        Some(c) => requirement.schemes().intersection(c.registered_schemes()),
        None => SchemeSet::EMPTY,
    };
    let realm = requirement
        .realm_override()
        .or(config.map(AuthConfig::realm))
        .unwrap_or(crate::config::DEFAULT_REALM);
    let scope = (code == ErrorCode::InsufficientScope)
        .then(|| requirement.required_scopes().collect::<Vec<_>>().join(" "));
    let mut rejection = Rejection::new(code, reason);
    match challenge_for(code, accepted.iter(), realm, scope.as_deref()) {
        None => {}
        Some(Ok(value)) => rejection = rejection.with_challenge(value),
        Some(Err(_)) => {
            rejection = Rejection::new(ErrorCode::ServerError, Reason::UnrenderableChallenge)
        }
    }
    let rejection = rejection.with_body_hook(config.and_then(AuthConfig::body_hook));
    audit::refused(req, &rejection);
    rejection
}
