//! Refusing a request the way the framework does: the contract's status, challenges, body
//! (or the application's body hook), `Retry-After` of a 503, and the audit event.
//!
//! The guard refuses through here, and so can application code that checks something itself
//! (a session endpoint, a webhook signature) and wants its refusals to read like ours.

use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderValue;

use crate::audit;
use crate::config::{AuthConfig, DEFAULT_REALM};
use crate::rejection::{ErrorCode, Reason, Rejection};
use crate::requirement::Requirement;
use crate::scheme::{Scheme, SchemeSet};
use crate::schemes::{self, ChallengeContext};

/// `Retry-After` of a 503 when a credential store cannot decide.
pub(crate) const RETRY_AFTER_UNAVAILABLE: u32 = 5;

/// The refusal the framework gives `req` for `requirement` with `code`: challenges for the
/// requirement's schemes that the application registered (in its realm, or the endpoint's),
/// `Cache-Control: no-store`, the problem body or the application's
/// [`problem_body`](crate::AuthConfigBuilder::problem_body), and an audit event carrying
/// `reason` (which never reaches the response).
///
/// ```
/// use actix_web::{test::TestRequest, ResponseError as _};
/// use auth_core::{refuse, ApiKeys, AuthConfig, ErrorCode, Reason, Requirement, Scheme, SchemeSet};
///
/// static SESSION: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::ApiKey)).with_realm("orders");
/// let keys = ApiKeys::builder().key("ci", "k_8c1f2d9e6b7a40f1c3d2").build()?;
/// let auth = AuthConfig::builder().api_keys(keys).build()?;
/// let req = TestRequest::default().app_data(auth).to_http_request();
/// let res = refuse(&req, &SESSION, ErrorCode::InvalidCredentials, Reason::UnknownApiKey).error_response();
/// assert_eq!(res.status(), 401);
/// assert_eq!(res.headers().get("www-authenticate").unwrap(), r#"ApiKey realm="orders""#);
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub fn refuse(
    req: &HttpRequest,
    requirement: &'static Requirement,
    code: ErrorCode,
    reason: Reason,
) -> Rejection {
    refuse_as(req, requirement, code, reason, None, None, false)
}

/// [`refuse`], naming the `user` in the audit event and the scheme whose credential was
/// `used` (only its challenge carries a token scheme's `error`), and with `quiet` for a
/// refusal answered from the verdict cache (its first occurrence was logged at `warn`;
/// repeats go to `debug`).
pub(crate) fn refuse_as(
    req: &HttpRequest,
    requirement: &'static Requirement,
    code: ErrorCode,
    reason: Reason,
    user: Option<&str>,
    used: Option<Scheme>,
    quiet: bool,
) -> Rejection {
    let config = req.app_data::<AuthConfig>();
    let schemes = config.map_or(SchemeSet::EMPTY, |c| c.accepted(requirement.schemes()));
    let render = || {
        // The endpoint's scopes only, never its roles (a role is not something a client can
        // ask an authorization server for by name); none at all when it requires no scope, or
        // when what is missing is a role: RFC 6750 §3.1's `scope` is the scope *necessary*,
        // and naming scopes the token already holds would make a client re-request them and
        // loop on the same token.
        let scope = (code == ErrorCode::InsufficientScope && reason != Reason::InsufficientRole)
            .then(|| requirement.required_scopes().collect::<Vec<_>>().join(" "))
            .filter(|scopes| !scopes.is_empty());
        let ctx = ChallengeContext {
            config,
            realm: requirement
                .realm()
                .or(config.map(AuthConfig::realm))
                .unwrap_or(DEFAULT_REALM),
            scope: scope.as_deref(),
            reason: &reason,
            used,
            code,
            requirement,
        };
        schemes::challenges_for(code, schemes, &ctx)
    };
    // Challenges depend only on (configuration, requirement, code), so they are rendered once
    // each; unless a scheme writes a fresh nonce into every one.
    let challenges = match config {
        Some(config) if !schemes::any_fresh(schemes) => {
            config.challenges(requirement, code, used, render)
        }
        _ => render().map(Arc::from),
    };
    let mut rejection = match challenges {
        Ok(challenges) => challenges
            .iter()
            .cloned()
            .fold(Rejection::new(code, reason), Rejection::with_challenge),
        Err(_) => Rejection::new(ErrorCode::ServerError, Reason::UnrenderableChallenge),
    };
    if rejection.code() == ErrorCode::TemporarilyUnavailable {
        rejection = rejection.with_retry_after(RETRY_AFTER_UNAVAILABLE);
    }
    // Where proofs need a server nonce, every DPoP challenge hands out the current one, so a
    // client learns it from its first 401 (RFC 9449 §9).
    if schemes.contains(Scheme::Dpop)
        && rejection.code().has_challenge()
        && let Some(nonces) = config.and_then(AuthConfig::dpop).and_then(|d| d.nonces())
        && let Ok(nonce) = HeaderValue::try_from(nonces.issue())
    {
        rejection = rejection.with_dpop_nonce(nonce);
    }
    let rejection = rejection.with_body_hook(config.and_then(AuthConfig::body_hook));
    audit::refused(req, &rejection, user, quiet);
    crate::metrics::refused(
        req,
        rejection.code().status().as_u16(),
        rejection.code().as_str(),
    );
    rejection
}
