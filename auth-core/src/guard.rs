//! The flow of one check: throttle → credentials → verification → requirement → principal or
//! rejection. Bearer and API keys are decided synchronously inside `from_request`; Basic, whose
//! password hashing runs off the worker thread, yields a future.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpMessage as _, HttpRequest};

use crate::audit;
use crate::config::AuthConfig;
use crate::credentials::{self, BasicCredentials, Credential, Malformed};
use crate::principal::Principal;
use crate::rejection::{ChallengeContext, ErrorCode, Reason, Rejection, challenges_for};
use crate::requirement::{Requirement, Scheme, SchemeSet};
use crate::throttle::ThrottleKey;
use crate::transport::{self, LocateError, TokenLocation, TokenLocations, TokenSource};
use crate::verify::basic::BasicOutcome;
use crate::verify::bearer::BearerVerdict;

/// `Retry-After` of a 503 when a credential store cannot decide.
pub(crate) const RETRY_AFTER_UNAVAILABLE: u32 = 5;

/// The requirement of a `Principal` argument used without `#[require_auth]`.
pub(crate) static AUTHENTICATED: Requirement = Requirement::AUTHENTICATED;

/// A check still running (Basic verification).
pub(crate) type AuthFuture = Pin<Box<dyn Future<Output = Result<Option<Principal>, Rejection>>>>;

/// The result of starting a check.
pub(crate) enum Outcome {
    /// Decided: the principal (`None` only for optional authentication) or the refusal.
    Ready(Result<Option<Principal>, Rejection>),
    /// To be awaited.
    Pending(AuthFuture),
}

/// Starts the check of `requirement` against `req`. With `optional`, a request with no
/// credential for the accepted schemes yields `Ok(None)` instead of a 401.
pub(crate) fn run(req: &HttpRequest, requirement: &'static Requirement, optional: bool) -> Outcome {
    let Some(config) = req.app_data::<AuthConfig>() else {
        return Outcome::Ready(Err(refuse(
            req,
            requirement,
            ErrorCode::ServerError,
            Reason::NoConfig,
        )));
    };
    let accepted = requirement
        .schemes()
        .intersection(config.registered_schemes());
    if accepted.is_empty() {
        let missing = scheme_names(requirement.schemes());
        return Outcome::Ready(Err(refuse(
            req,
            requirement,
            ErrorCode::ServerError,
            Reason::NoVerifier(missing),
        )));
    }

    // A principal verified earlier in this request (a second guard, or a `Principal` argument)
    // is reused: credentials are checked once per request, scopes per requirement. Only if
    // this crate verified it under this very configuration (a stricter `AuthConfig` registered
    // on an inner scope must see the token itself), its token came from a location this
    // requirement accepts, and the earlier check looked at every location this one would (so
    // a second method could not have hidden there).
    let locations = config.locations_for(requirement);
    let verified = verified_under(req, config)
        .filter(|p| accepted.contains(p.scheme()))
        .filter(|p| p.scheme() != Scheme::Bearer || reusable(req, locations));
    if let Some(principal) = verified {
        return Outcome::Ready(check_scopes(req, requirement, principal).map(Some));
    }

    let throttle = config.throttle();
    let client_ip = throttle.and_then(|t| t.client_bucket(req));
    if let (Some(t), Some(ip)) = (throttle, client_ip)
        && let Some(seconds) = t.blocked(&ThrottleKey::Client(ip))
    {
        return Outcome::Ready(Err(throttled(req, requirement, seconds, None)));
    }
    // The key this request's failures are counted under (see below for cross-site requests).
    let mut client = client_ip.map(ThrottleKey::Client);

    if !locations.is_header_only() {
        req.extensions_mut().insert(Examined(locations));
    }
    // A token seen before is answered from the verdict cache without parsing it again (when
    // the header is the only place a token may be, so no second method can hide elsewhere).
    if accepted.contains(Scheme::Bearer)
        && locations.is_header_only()
        && let Some(verifier) = config.bearer()
        && let Some(raw) = credentials::bearer_fast_path(req.headers())
        && let Some(hit) = verifier.cached(raw)
    {
        return from_cache(req, requirement, config, client, hit);
    }

    let api_key_header = config.api_keys().map(|k| k.header());
    let in_header = if locations.contains(TokenLocation::Header) {
        accepted
    } else {
        accepted.without(Scheme::Bearer)
    };
    let elsewhere = if accepted.contains(Scheme::Bearer)
        && !locations.without(TokenLocation::Header).is_empty()
    {
        transport::locate(req, locations, config.token_cookie())
    } else {
        Ok(None)
    };
    // A page of another site can make its visitors' browsers send junk cookie, query or form
    // tokens (`<img src="…?access_token=">`), and the browser marks such requests; but any
    // client can write the mark. So whatever such a request's cookie, query or form token
    // causes — valid, invalid, malformed, or a second method — is counted under a key of its
    // own, per client and per origin the application trusts: a hostile page fills only its
    // visitors' budget for untrusted origins (their own requests, and a trusted app's, pass),
    // and a client forging the mark gets a bounded number of extra budgets, not unlimited.
    if !matches!(elsewhere, Ok(None))
        && let Some(ip) = client_ip
        && from_another_site(req)
    {
        let key = ThrottleKey::CrossSite {
            client: ip,
            origin: config.csrf().origin_class(req),
        };
        if let Some(seconds) = throttle.and_then(|t| t.blocked(&key)) {
            return Outcome::Ready(Err(throttled(req, requirement, seconds, None)));
        }
        client = Some(key);
    }
    let invalid_request = |why| {
        let reason = Reason::MalformedCredentials(why);
        let refused = Err((ErrorCode::InvalidRequest, reason));
        Outcome::Ready(finish(req, requirement, config, client, None, refused))
    };
    let credential = match (
        credentials::read(req.headers(), in_header, api_key_header),
        elsewhere,
    ) {
        (Err(Malformed { scheme, reason }), _) => {
            let code = if scheme == Scheme::Bearer {
                ErrorCode::InvalidRequest
            } else {
                ErrorCode::InvalidCredentials
            };
            return Outcome::Ready(finish(
                req,
                requirement,
                config,
                client,
                None,
                Err((code, reason)),
            ));
        }
        (_, Err(LocateError::BodyUnread)) => {
            return Outcome::Ready(Err(refuse(
                req,
                requirement,
                ErrorCode::ServerError,
                Reason::FormBodyUnread,
            )));
        }
        (_, Err(LocateError::Malformed(why))) => return invalid_request(why),
        (Ok(Some(Credential::Bearer(_))), Ok(Some(_))) => {
            return invalid_request("token sent by two methods");
        }
        (Ok(Some(credential)), _) => credential,
        (Ok(None), Ok(Some((location, token)))) => {
            req.extensions_mut().insert(TokenSource {
                location,
                len: token.len(),
            });
            if location == TokenLocation::Cookie
                && let Err(why) = config.csrf().check(req)
            {
                return Outcome::Ready(Err(refuse(
                    req,
                    requirement,
                    ErrorCode::CrossSiteRequest,
                    Reason::CrossSite(why),
                )));
            }
            return bearer(req, requirement, config, client, &token);
        }
        (Ok(None), Ok(None)) if optional => return Outcome::Ready(Ok(None)),
        (Ok(None), Ok(None)) => {
            let reason = if req.headers().contains_key(header::AUTHORIZATION) {
                Reason::OtherScheme
            } else {
                Reason::NoCredentials
            };
            return Outcome::Ready(Err(refuse(
                req,
                requirement,
                ErrorCode::Unauthorized,
                reason,
            )));
        }
    };
    let verified = match credential {
        Credential::Bearer(token) => return bearer(req, requirement, config, client, token),
        Credential::ApiKey(key) => config
            .api_keys()
            .and_then(|keys| keys.verify(key))
            .ok_or((ErrorCode::InvalidCredentials, Reason::UnknownApiKey)),
        Credential::Basic(credentials) => {
            return basic(req, requirement, config, client, credentials);
        }
    };
    Outcome::Ready(finish(req, requirement, config, client, None, verified))
}

/// The token locations a check of this request looked at, when not the header alone.
#[derive(Clone, Copy, Debug)]
struct Examined(TokenLocations);

/// Whether a Bearer principal verified earlier in this request may serve a requirement
/// reading `locations`.
fn reusable(req: &HttpRequest, locations: TokenLocations) -> bool {
    let extensions = req.extensions();
    let source = extensions
        .get::<TokenSource>()
        .map_or(TokenLocation::Header, |s| s.location);
    let examined = extensions
        .get::<Examined>()
        .map_or(TokenLocations::HEADER, |e| e.0);
    locations.contains(source) && locations.is_subset_of(examined)
}

/// Verifies a Bearer token, from whichever location it came.
fn bearer(
    req: &HttpRequest,
    requirement: &'static Requirement,
    config: &AuthConfig,
    client: Option<ThrottleKey>,
    token: &str,
) -> Outcome {
    let verified = match config.bearer() {
        Some(verifier) => match verifier.verify_token(token) {
            BearerVerdict::Ready(verified) => verified.map_err(bearer_failure),
            BearerVerdict::Repeated(verified) => {
                return from_cache(req, requirement, config, client, verified);
            }
            BearerVerdict::Later(decision) => {
                let (req, config) = (req.clone(), config.clone());
                return Outcome::Pending(Box::pin(async move {
                    let verified = decision.await.map_err(bearer_failure);
                    finish(&req, requirement, &config, client, None, verified)
                }));
            }
        },
        None => Err((
            ErrorCode::ServerError,
            Reason::NoVerifier(Scheme::Bearer.name().into()),
        )),
    };
    Outcome::Ready(finish(req, requirement, config, client, None, verified))
}

/// A Bearer verdict answered from the verdict cache (a refusal is logged quietly: its first
/// occurrence was logged at `warn`).
fn from_cache(
    req: &HttpRequest,
    requirement: &'static Requirement,
    config: &AuthConfig,
    client: Option<ThrottleKey>,
    verdict: Result<Principal, Reason>,
) -> Outcome {
    let verified = verdict.map_err(bearer_failure);
    Outcome::Ready(finish_logged(
        req,
        requirement,
        config,
        client,
        None,
        verified,
        true,
    ))
}

/// The public code of a Bearer verification failure.
fn bearer_failure(reason: Reason) -> (ErrorCode, Reason) {
    let code = match reason {
        Reason::Expired => ErrorCode::TokenExpired,
        Reason::Unavailable => ErrorCode::TemporarilyUnavailable,
        _ => ErrorCode::InvalidToken,
    };
    (code, reason)
}

fn basic(
    req: &HttpRequest,
    requirement: &'static Requirement,
    config: &AuthConfig,
    client: Option<ThrottleKey>,
    credentials: BasicCredentials,
) -> Outcome {
    let user = credentials.user_id().to_owned();
    if let Some(seconds) = config
        .throttle()
        .and_then(|t| t.blocked(&ThrottleKey::user(&user)))
    {
        return Outcome::Ready(Err(throttled(req, requirement, seconds, Some(&user))));
    }
    let Some(verifier) = config.basic() else {
        let reason = Reason::NoVerifier(Scheme::Basic.name().into());
        return Outcome::Ready(Err(refuse(
            req,
            requirement,
            ErrorCode::ServerError,
            reason,
        )));
    };
    let pending = verifier.verify(credentials);
    let (req, config) = (req.clone(), config.clone());
    Outcome::Pending(Box::pin(async move {
        let verified = match pending.await {
            BasicOutcome::Valid(principal) => Ok(principal),
            BasicOutcome::Invalid => Err((ErrorCode::InvalidCredentials, Reason::WrongPassword)),
            BasicOutcome::Unavailable => {
                Err((ErrorCode::TemporarilyUnavailable, Reason::Unavailable))
            }
        };
        finish(&req, requirement, &config, client, Some(&user), verified)
    }))
}

/// Stores a verified principal and checks scopes; or refuses, counting the failure.
fn finish(
    req: &HttpRequest,
    requirement: &'static Requirement,
    config: &AuthConfig,
    client: Option<ThrottleKey>,
    user: Option<&str>,
    verified: Result<Principal, (ErrorCode, Reason)>,
) -> Result<Option<Principal>, Rejection> {
    finish_logged(req, requirement, config, client, user, verified, false)
}

/// [`finish`], with `quiet` for a refusal answered from the verdict cache: its first occurrence
/// was logged at `warn`; repeats go to `debug`, so a replay flood is not a log flood.
fn finish_logged(
    req: &HttpRequest,
    requirement: &'static Requirement,
    config: &AuthConfig,
    client: Option<ThrottleKey>,
    user: Option<&str>,
    verified: Result<Principal, (ErrorCode, Reason)>,
    quiet: bool,
) -> Result<Option<Principal>, Rejection> {
    match verified {
        Ok(principal) => {
            req.extensions_mut().insert(Verified {
                principal: principal.clone(),
                config: config.identity(),
            });
            check_scopes(req, requirement, principal).map(Some)
        }
        Err((code, reason)) => {
            let rejection = refuse_full(req, requirement, code, reason, user, quiet);
            if matches!(
                code,
                ErrorCode::InvalidRequest | ErrorCode::InvalidToken | ErrorCode::InvalidCredentials
            ) {
                record_failure(req, config, client, user);
            }
            Err(rejection)
        }
    }
}

fn record_failure(
    req: &HttpRequest,
    config: &AuthConfig,
    client: Option<ThrottleKey>,
    user: Option<&str>,
) {
    let Some(throttle) = config.throttle() else {
        return;
    };
    let keys = client.into_iter().chain(user.map(ThrottleKey::user));
    for key in keys {
        if let Some(seconds) = throttle.fail(&key) {
            audit::blocked(req, &key, seconds);
        }
    }
}

/// Whether the browser marked the request as made by a page of another origin's site, or of
/// a sibling on the same site (`Sec-Fetch-Site: cross-site` or `same-site`): such a page may
/// be hostile, and a sibling subdomain may host anyone's content.
fn from_another_site(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-fetch-site")
        .is_some_and(|v| matches!(v.as_bytes(), b"cross-site" | b"same-site"))
}

/// A principal this crate verified during this request, and under which configuration. Only
/// this type is trusted: a `Principal` that application code puts into the request's
/// extensions is never taken for a verified one.
#[derive(Clone)]
pub(crate) struct Verified {
    principal: Principal,
    config: crate::config::ConfigIdentity,
}

/// The principal verified earlier in this request under `config`, if any.
pub(crate) fn verified_under(req: &HttpRequest, config: &AuthConfig) -> Option<Principal> {
    req.extensions()
        .get::<Verified>()
        .filter(|v| v.config == config.identity())
        .map(|v| v.principal.clone())
}

fn check_scopes(
    req: &HttpRequest,
    requirement: &'static Requirement,
    principal: Principal,
) -> Result<Principal, Rejection> {
    if requirement.scopes_satisfied(principal.scopes()) {
        Ok(principal)
    } else {
        let user = principal.subject().map(str::to_owned);
        Err(refuse_as(
            req,
            requirement,
            ErrorCode::InsufficientScope,
            Reason::InsufficientScope,
            user.as_deref(),
        ))
    }
}

fn throttled(
    req: &HttpRequest,
    requirement: &'static Requirement,
    seconds: u32,
    user: Option<&str>,
) -> Rejection {
    refuse_as(
        req,
        requirement,
        ErrorCode::TooManyRequests,
        Reason::Throttled,
        user,
    )
    .with_retry_after(seconds)
}

/// Turns the result of a check into an extractor's: `Ok(None)` (which only optional
/// authentication produces) is refused, failing closed.
pub(crate) fn required(
    req: &HttpRequest,
    requirement: &'static Requirement,
    result: Result<Option<Principal>, Rejection>,
) -> Result<Principal, Rejection> {
    result?.ok_or_else(|| {
        refuse(
            req,
            requirement,
            ErrorCode::Unauthorized,
            Reason::NoCredentials,
        )
    })
}

/// Gives a refusal built without the request (by a `FromPrincipal` conversion) its challenges,
/// body hook and audit event.
pub(crate) fn complete(
    req: &HttpRequest,
    requirement: &'static Requirement,
    rejection: Rejection,
) -> Rejection {
    if !rejection.challenges().is_empty() || !rejection.code().has_challenge() {
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
    requirement: &'static Requirement,
    code: ErrorCode,
    reason: Reason,
) -> Rejection {
    refuse_as(req, requirement, code, reason, None)
}

fn refuse_as(
    req: &HttpRequest,
    requirement: &'static Requirement,
    code: ErrorCode,
    reason: Reason,
    user: Option<&str>,
) -> Rejection {
    refuse_full(req, requirement, code, reason, user, false)
}

fn refuse_full(
    req: &HttpRequest,
    requirement: &'static Requirement,
    code: ErrorCode,
    reason: Reason,
    user: Option<&str>,
    quiet: bool,
) -> Rejection {
    let config = req.app_data::<AuthConfig>();
    let render = || {
        let scope = (code == ErrorCode::InsufficientScope)
            .then(|| requirement.required_scopes().collect::<Vec<_>>().join(" "));
        let ctx = ChallengeContext {
            schemes: config.map_or(SchemeSet::EMPTY, |c| {
                requirement.schemes().intersection(c.registered_schemes())
            }),
            realm: requirement
                .realm_override()
                .or(config.map(AuthConfig::realm))
                .unwrap_or(crate::config::DEFAULT_REALM),
            scope: scope.as_deref(),
            api_key_scheme: config
                .and_then(AuthConfig::api_keys)
                .map_or(Scheme::ApiKey.name(), |k| k.challenge_scheme()),
        };
        challenges_for(code, &ctx)
    };
    // Challenges depend only on (configuration, requirement, code): rendered once each.
    let challenges = match config {
        Some(config) => config.challenges(requirement, code, render),
        None => render().map(Arc::from),
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
    let rejection = rejection.with_body_hook(config.and_then(AuthConfig::body_hook));
    audit::refused(req, &rejection, user, quiet);
    rejection
}
