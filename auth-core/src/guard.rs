//! The flow of one check: throttle → credentials → the scheme's verification → requirement →
//! principal or refusal. Most checks decide synchronously inside `from_request`; a scheme that
//! answers later (a password hash on the blocking pool, a key refetch) yields a future.
//!
//! The guard knows no scheme by name: it finds the credential (the `Authorization` field, a
//! scheme's own header, or a token location) and hands it to the scheme it belongs to
//! (`crate::schemes`). Everything one request's check carries — the request, the requirement,
//! the configuration, the throttle key and user its failures count under — is one [`Check`].

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{HttpMessage as _, HttpRequest};

use crate::binding;
use crate::config::AuthConfig;
use crate::credentials;
use crate::policy::Decision;
use crate::principal::Principal;
use crate::refusal::{refuse, refuse_as};
use crate::rejection::{ErrorCode, Reason, Rejection};
use crate::requirement::Requirement;
use crate::scheme::{Scheme, SchemeSet};
use crate::schemes::{self, Parsed, SchemeImpl, Verdict};
use crate::throttle::ThrottleKey;
use crate::token_location::{TokenLocation, TokenLocations};
use crate::transport::{self, LocateError, TokenSource};

/// The requirement of a `Principal` argument used without `#[require_auth]`.
pub(crate) static AUTHENTICATED: Requirement = Requirement::AUTHENTICATED;

/// A check still running.
pub(crate) type AuthFuture = Pin<Box<dyn Future<Output = Result<Option<Principal>, Rejection>>>>;

/// The result of starting a check.
pub(crate) enum Outcome {
    /// Decided: the principal (`None` only for optional authentication) or the refusal.
    Ready(Result<Option<Principal>, Rejection>),
    /// To be awaited.
    Pending(AuthFuture),
}

/// One request's check: what it is checked against, and whose failures it counts.
struct Check<'r> {
    req: &'r HttpRequest,
    requirement: &'static Requirement,
    config: &'r AuthConfig,
    /// The key the client's failures are counted under (none without a throttle).
    client: Option<ThrottleKey>,
    /// The user a password scheme's credential names, counted too.
    user: Option<String>,
    /// The scheme whose credential is being checked, once one is found.
    scheme: Option<Scheme>,
}

/// A [`Check`] that outlives the call that started it.
struct PendingCheck {
    req: HttpRequest,
    requirement: &'static Requirement,
    config: AuthConfig,
    client: Option<ThrottleKey>,
    user: Option<String>,
    scheme: Option<Scheme>,
}

impl PendingCheck {
    fn check(&self) -> Check<'_> {
        Check {
            req: &self.req,
            requirement: self.requirement,
            config: &self.config,
            client: self.client,
            user: self.user.clone(),
            scheme: self.scheme,
        }
    }
}

impl<'r> Check<'r> {
    fn refuse(&self, code: ErrorCode, reason: Reason) -> Rejection {
        refuse_as(
            self.req,
            self.requirement,
            code,
            reason,
            self.user.as_deref(),
            self.scheme,
            false,
        )
    }

    fn throttled(&self, seconds: u32) -> Rejection {
        self.refuse(ErrorCode::TooManyRequests, Reason::Throttled)
            .with_retry_after(seconds)
    }

    fn done(&self, code: ErrorCode, reason: Reason) -> Outcome {
        Outcome::Ready(Err(self.refuse(code, reason)))
    }

    /// Turns a scheme's verdict into the outcome of the check.
    fn decide(self, verdict: Verdict) -> Outcome {
        match verdict {
            Verdict::Ready(verified) => self.finish(verified, false),
            Verdict::Repeated(verified) => self.finish(verified, true),
            Verdict::Later(decision) => {
                let pending = PendingCheck {
                    req: self.req.clone(),
                    requirement: self.requirement,
                    config: self.config.clone(),
                    client: self.client,
                    user: self.user,
                    scheme: self.scheme,
                };
                Outcome::Pending(Box::pin(async move {
                    let verified = decision.await;
                    match pending.check().finish(verified, false) {
                        Outcome::Ready(decided) => decided,
                        Outcome::Pending(recording) => recording.await,
                    }
                }))
            }
        }
    }

    /// Stores a verified principal and checks scopes; or refuses, counting the failure. With
    /// `quiet` (a refusal answered from the verdict cache) the refusal is logged at `debug`:
    /// its first occurrence was logged at `warn`, so a replay flood is not a log flood.
    ///
    /// A refusal waits for a network store's write of the failure (never a success: it
    /// records nothing), so the client's next request — to this instance or another — finds
    /// the block that this failure set.
    fn finish(&self, verified: Result<Principal, (ErrorCode, Reason)>, quiet: bool) -> Outcome {
        // Sender-constrained tokens: every binding the token names, whichever scheme carried
        // it (`crate::binding`), before anything else is granted.
        let (verified, quiet) = match verified {
            Ok(principal) => {
                let scheme = self.scheme.unwrap_or(principal.scheme());
                match binding::check_request(self.req, self.config, scheme, &principal) {
                    Ok(()) => (Ok(principal), quiet),
                    Err(refused) => (Err(refused), false),
                }
            }
            refused => (refused, quiet),
        };
        match verified {
            Ok(principal) => {
                self.req.extensions_mut().insert(Verified {
                    principal: principal.clone(),
                    config: self.config.identity(),
                });
                check_scopes(self.req, self.requirement, principal, true)
            }
            Err((code, reason)) => {
                // A stale Digest nonce follows a right answer: the client retries at once with
                // the fresh one, and must not be counted as guessing.
                let counted = matches!(
                    code,
                    ErrorCode::InvalidRequest
                        | ErrorCode::InvalidToken
                        | ErrorCode::InvalidCredentials
                        | ErrorCode::InvalidDpopProof
                ) && reason != Reason::StaleNonce;
                let rejection = refuse_as(
                    self.req,
                    self.requirement,
                    code,
                    reason,
                    self.user.as_deref(),
                    self.scheme,
                    quiet,
                );
                let writes = if counted {
                    self.record_failure()
                } else {
                    Vec::new()
                };
                if writes.is_empty() {
                    return Outcome::Ready(Err(rejection));
                }
                Outcome::Pending(Box::pin(async move {
                    for write in writes {
                        write.await;
                    }
                    Err(rejection)
                }))
            }
        }
    }

    /// Counts the failure under the client's and the user's keys; the writes a network store
    /// has not finished yet.
    fn record_failure(&self) -> Vec<crate::throttle::Recording> {
        let Some(throttle) = self.config.throttle() else {
            return Vec::new();
        };
        let user = self.user.as_deref().map(ThrottleKey::user);
        let keys = self.client.into_iter().chain(user);
        keys.filter_map(|key| throttle.fail(self.req, &key))
            .collect()
    }

    /// Refuses malformed credentials with the scheme's code.
    fn malformed(self, code: ErrorCode, why: &'static str) -> Outcome {
        let refused = Err((code, Reason::MalformedCredentials(why)));
        self.finish(refused, false)
    }

    /// Hands `parsed` to `scheme`, after the throttle's word on the user it names.
    fn verify(mut self, scheme: &dyn SchemeImpl, parsed: Parsed<'_>) -> Outcome {
        if let Some(user) = scheme.user(&parsed) {
            let blocked = self
                .config
                .throttle()
                .and_then(|t| t.blocked(&ThrottleKey::user(&user)));
            self.user = Some(user);
            if let Some(seconds) = blocked {
                return Outcome::Ready(Err(self.throttled(seconds)));
            }
        }
        self.scheme = Some(scheme.scheme());
        let realm = self.requirement.realm().unwrap_or(self.config.realm());
        let verdict = scheme.verify(self.req, self.config, realm, parsed);
        self.decide(verdict)
    }
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
    let mut check = Check {
        req,
        requirement,
        config,
        client: None,
        user: None,
        scheme: None,
    };
    let accepted = config.accepted(requirement.schemes());
    if accepted.is_empty() {
        let missing = scheme_names(requirement.schemes());
        return check.done(ErrorCode::ServerError, Reason::NoVerifier(missing));
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
        .filter(|p| !schemes::of(p.scheme()).travels() || reusable(req, locations));
    if let Some(principal) = verified {
        return check_scopes(req, requirement, principal, false);
    }

    let throttle = config.throttle();
    let client_ip = throttle.and_then(|t| t.client_bucket(req));
    if let (Some(t), Some(ip)) = (throttle, client_ip)
        && let Some(seconds) = t.blocked(&ThrottleKey::Client(ip))
    {
        return Outcome::Ready(Err(check.throttled(seconds)));
    }
    // The key this request's failures are counted under (see below for cross-site requests).
    check.client = client_ip.map(ThrottleKey::Client);

    if !locations.is_header_only() {
        req.extensions_mut().insert(Examined(locations));
    }
    // A credential seen before is answered from the verdict cache without parsing it again
    // (when the header is the only place a token may be, so no second method can hide
    // elsewhere).
    if locations.is_header_only() {
        for scheme in accepted.iter() {
            if let Some(verdict) = schemes::of(scheme).early(req, config) {
                check.scheme = Some(scheme);
                return check.decide(verdict);
            }
        }
    }

    let travelling = schemes::travelling(accepted);
    let elsewhere = match travelling {
        Some(_) if !locations.without(TokenLocation::Header).is_empty() => {
            transport::locate(req, locations, config.token_cookie())
        }
        _ => Ok(None),
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
            return Outcome::Ready(Err(check.throttled(seconds)));
        }
        check.client = Some(key);
    }

    let in_header = schemes::in_authorization(accepted, locations);
    let found = match read_authorization(req, in_header) {
        Err(code) => {
            let refused = Err((code, Reason::DuplicateAuthorization));
            return check.finish(refused, false);
        }
        Ok(Some(found)) => Some(found),
        Ok(None) => read_own_header(req, config, accepted),
    };
    let found = match (found, elsewhere) {
        (Some((scheme, Err(why))), _) => return check.malformed(scheme.malformed(), why),
        (_, Err(LocateError::BodyUnread)) => {
            return check.done(ErrorCode::ServerError, Reason::FormBodyUnread);
        }
        (_, Err(LocateError::Malformed(why))) => {
            return check.malformed(ErrorCode::InvalidRequest, why);
        }
        (Some((scheme, Ok(_))), Ok(Some(_))) if scheme.travels() => {
            return check.malformed(ErrorCode::InvalidRequest, "token sent by two methods");
        }
        (Some((scheme, Ok(parsed))), _) => (scheme, parsed),
        (None, Ok(Some((location, token)))) => {
            req.extensions_mut().insert(TokenSource {
                location,
                len: token.len(),
            });
            if location == TokenLocation::Cookie
                && let Err(why) = config.csrf().check(req)
            {
                return check.done(ErrorCode::CrossSiteRequest, Reason::CrossSite(why));
            }
            let Some(scheme) = travelling else {
                return check.done(ErrorCode::ServerError, Reason::NoConfig);
            };
            return check.verify(scheme, Parsed::Token(&token));
        }
        (None, Ok(None)) if optional => return Outcome::Ready(Ok(None)),
        (None, Ok(None)) => {
            let reason = if req.headers().contains_key(header::AUTHORIZATION) {
                Reason::OtherScheme
            } else {
                Reason::NoCredentials
            };
            return check.done(ErrorCode::Unauthorized, reason);
        }
    };
    let (scheme, parsed) = found;
    check.verify(scheme, parsed)
}

/// A credential read off the request for one scheme: parsed, or why it is malformed.
type Found<'r> = (&'static dyn SchemeImpl, Result<Parsed<'r>, &'static str>);

/// The credential in the request's `Authorization` field, if its scheme is one of `accepted`.
/// `Err(code)` when the field is sent twice (RFC 6750 makes this `invalid_request` where
/// Bearer is accepted; other schemes have no such code).
fn read_authorization(
    req: &HttpRequest,
    accepted: SchemeSet,
) -> Result<Option<Found<'_>>, ErrorCode> {
    let mut fields = req.headers().get_all(header::AUTHORIZATION);
    let Some(first) = fields.next() else {
        return Ok(None);
    };
    if fields.next().is_some() {
        let defines_it = accepted
            .iter()
            .any(|s| schemes::of(s).malformed() == ErrorCode::InvalidRequest);
        return Err(if defines_it {
            ErrorCode::InvalidRequest
        } else {
            ErrorCode::InvalidCredentials
        });
    }
    let value = first.as_bytes();
    let name_len = value
        .iter()
        .take_while(|b| crate::syntax::is_tchar(**b))
        .count();
    let (name, rest) = value.split_at(name_len);
    let Some(scheme) = accepted.iter().find(|s| {
        s.authorization_name()
            .is_some_and(|n| name.eq_ignore_ascii_case(n.as_bytes()))
    }) else {
        return Ok(None);
    };
    let scheme = schemes::of(scheme);
    let parsed = credentials::after_scheme(rest).and_then(|c| scheme.parse(c));
    Ok(Some((scheme, parsed)))
}

/// The credential in a header of an accepted scheme's own (an API key).
fn read_own_header<'r>(
    req: &'r HttpRequest,
    config: &AuthConfig,
    accepted: SchemeSet,
) -> Option<Found<'r>> {
    accepted.iter().map(schemes::of).find_map(|scheme| {
        scheme
            .own_header(req, config)
            .map(|parsed| (scheme, parsed))
    })
}

/// The token locations a check of this request looked at, when not the header alone.
#[derive(Clone, Copy, Debug)]
struct Examined(TokenLocations);

/// Whether a principal of a travelling scheme verified earlier in this request may serve a
/// requirement reading `locations`.
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

/// The endpoint's conditions on a verified principal: how it authenticated (RFC 9470 step-up:
/// 401, since signing in again helps), then its scopes (403), then the application's policy
/// (403 `forbidden`, or 503 when it cannot decide). The policy is the one condition that may
/// wait, and it only ever runs for a principal that passed all the others. A success counts
/// as `authenticated` in the metrics when `count` (a fresh verification, not a reuse).
fn check_scopes(
    req: &HttpRequest,
    requirement: &'static Requirement,
    principal: Principal,
    count: bool,
) -> Outcome {
    let principal = match conditions(req, requirement, principal) {
        Ok(principal) => principal,
        Err(rejection) => return Outcome::Ready(Err(rejection)),
    };
    let Some(policy) = requirement.policy() else {
        if count {
            crate::metrics::authenticated(principal.scheme());
        }
        return Outcome::Ready(Ok(Some(principal)));
    };
    let req = req.clone();
    Outcome::Pending(Box::pin(async move {
        let decision = policy.evaluate(principal.clone(), req.clone()).await;
        let refused = match decision {
            Decision::Allow => {
                crate::audit::policy_allowed(&req, policy.name(), principal.subject());
                if count {
                    crate::metrics::authenticated(principal.scheme());
                }
                return Ok(Some(principal));
            }
            Decision::Deny => (ErrorCode::Forbidden, Reason::PolicyDenied(policy.name())),
            Decision::Undecided(why) => {
                crate::audit::policy_undecided(&req, policy.name(), why, principal.subject());
                (
                    ErrorCode::TemporarilyUnavailable,
                    Reason::PolicyUndecided(policy.name()),
                )
            }
        };
        Err(refuse_as(
            &req,
            requirement,
            refused.0,
            refused.1,
            principal.subject(),
            Some(principal.scheme()),
            false,
        ))
    }))
}

/// The conditions decided on the principal alone: step-up, then scopes.
fn conditions(
    req: &HttpRequest,
    requirement: &'static Requirement,
    principal: Principal,
) -> Result<Principal, Rejection> {
    let stepped_up = if requirement.acr_values().is_empty() && requirement.max_age().is_none() {
        Ok(())
    } else {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        requirement.authentication_satisfied(&principal, now)
    };
    let refused = match stepped_up {
        Err(reason) => (ErrorCode::InsufficientUserAuthentication, reason),
        Ok(()) if !requirement.scopes_satisfied(principal.scopes()) => {
            (ErrorCode::InsufficientScope, Reason::InsufficientScope)
        }
        // A missing role is answered as a missing scope (RFC 6750 has no other 403 code); the
        // log tells them apart.
        Ok(()) if !requirement.roles_satisfied(principal.roles()) => {
            (ErrorCode::InsufficientScope, Reason::InsufficientRole)
        }
        Ok(()) => return Ok(principal),
    };
    Err(refuse_as(
        req,
        requirement,
        refused.0,
        refused.1,
        principal.subject(),
        Some(principal.scheme()),
        false,
    ))
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
