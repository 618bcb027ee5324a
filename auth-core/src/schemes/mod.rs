//! The scheme seam: what each scheme does, one module per scheme, and the one table that
//! registers them.
//!
//! A scheme owns reading its credential off the request, the verifier it calls, and its
//! challenge. The guard reads the `Authorization` field (or a scheme's own header), hands the
//! credentials to the scheme whose name they carry, and turns its [`Verdict`] into a principal
//! or a refusal; it never matches on the scheme list. Adding a scheme is its module here, its
//! [`Scheme`] variant, its row in [`REGISTRY`], and its verifier's slot in the
//! configuration (`AuthConfigBuilder::digest` and the like).

#[cfg(not(feature = "digest"))]
mod absent;
mod api_key;
mod basic;
mod bearer;
#[cfg(feature = "digest")]
mod digest;
mod dpop;

use std::future::Future;
use std::pin::Pin;

use actix_web::HttpRequest;
use actix_web::http::header::HeaderValue;

use crate::challenge::{Challenge, ChallengeError};
use crate::config::AuthConfig;
use crate::credentials::BasicCredentials;
use crate::principal::Principal;
use crate::rejection::{ErrorCode, Reason};
use crate::requirement::Requirement;
use crate::scheme::{Scheme, SchemeSet};
use crate::token_location::TokenLocations;

/// Every scheme's behaviour, in the order [`Scheme`] declares its variants: the registration
/// table. ([`Scheme::ALL`] gives the order challenges are written in.)
static REGISTRY: [&dyn SchemeImpl; 5] = [
    &bearer::Bearer,
    &basic::Basic,
    &api_key::ApiKey,
    #[cfg(feature = "digest")]
    &digest::Digest,
    #[cfg(not(feature = "digest"))]
    &absent::Absent(Scheme::Digest),
    &dpop::Dpop,
];

/// The behaviour of `scheme`.
pub(crate) fn of(scheme: Scheme) -> &'static dyn SchemeImpl {
    let found = REGISTRY[scheme as usize];
    debug_assert_eq!(found.scheme(), scheme, "REGISTRY is indexed like Scheme");
    found
}

/// The credentials of one scheme, read off the request but not verified, in the syntactic
/// shape the scheme's grammar gives them.
pub(crate) enum Parsed<'r> {
    /// One `token68`-like value (a Bearer `b64token`, an API key's header value).
    Token(&'r str),
    /// Raw bytes of a header of the scheme's own.
    Bytes(&'r [u8]),
    /// A decoded Basic `user-pass`.
    UserPass(BasicCredentials),
    /// A list of `auth-param`s (name, unescaped value), in order.
    // Only Digest's credentials have this shape so far.
    #[cfg_attr(not(feature = "digest"), allow(dead_code))]
    Params(Vec<(String, String)>),
}

/// The future of a verification decided later.
pub(crate) type VerdictFuture =
    Pin<Box<dyn Future<Output = Result<Principal, (ErrorCode, Reason)>>>>;

/// What a scheme decided of a credential.
pub(crate) enum Verdict {
    /// Decided now.
    Ready(Result<Principal, (ErrorCode, Reason)>),
    /// Decided before for exactly these credentials (a cache hit): a refusal is logged quietly.
    Repeated(Result<Principal, (ErrorCode, Reason)>),
    /// To be awaited (a password hash on the blocking pool, a key refetch).
    Later(VerdictFuture),
}

/// What a challenge needs besides the code.
pub(crate) struct ChallengeContext<'a> {
    /// The application's configuration, if registered.
    pub(crate) config: Option<&'a AuthConfig>,
    /// The realm of the endpoint (its own, or the application's).
    pub(crate) realm: &'a str,
    /// The scopes of a 403.
    pub(crate) scope: Option<&'a str>,
    /// Why the request was refused (a stale Digest nonce asks for `stale=true`).
    #[cfg_attr(not(feature = "digest"), allow(dead_code))]
    pub(crate) reason: &'a Reason,
    /// The scheme whose credential was refused, if one was: only its challenge carries the
    /// `error` of a token scheme (a refused `DPoP` proof says nothing about Bearer).
    pub(crate) used: Option<Scheme>,
    /// The code being answered.
    pub(crate) code: ErrorCode,
    /// The endpoint's requirement (for the step-up parameters).
    pub(crate) requirement: &'a Requirement,
}

impl ChallengeContext<'_> {
    /// Whether the `error` of this refusal belongs in `scheme`'s challenge: not when the other
    /// token scheme's credential was the one refused (a refused DPoP proof says nothing about
    /// Bearer, a Bearer token refused for its binding says nothing about DPoP).
    pub(crate) fn speaks_to(&self, scheme: Scheme) -> bool {
        match self.used {
            Some(used @ (Scheme::Bearer | Scheme::Dpop)) => used == scheme,
            _ => true,
        }
    }

    /// The `error` of a token scheme's challenge and what goes with it (`error_description`
    /// when expired, `scope` on a 403), when this refusal speaks to `scheme`.
    pub(crate) fn token_error(
        &self,
        scheme: Scheme,
        mut c: Challenge,
        error: Option<&str>,
    ) -> Result<Challenge, ChallengeError> {
        let Some(error) = error.filter(|_| self.speaks_to(scheme)) else {
            return Ok(c);
        };
        c = c.param("error", error);
        if self.code == ErrorCode::TokenExpired {
            c = c.param("error_description", "The access token expired");
        }
        if let (ErrorCode::InsufficientScope, Some(scope)) = (self.code, self.scope) {
            if !crate::syntax::is_rfc6750_value(scope) {
                return Err(ChallengeError::UnsafeValue("scope".into()));
            }
            c = c.param("scope", scope);
        }
        Ok(c)
    }

    /// The parameters the token schemes (Bearer, DPoP) share after their own: the step-up
    /// requirement of an `insufficient_user_authentication` refusal (RFC 9470 §3), and the
    /// protected-resource metadata URL on every challenge (RFC 9728 §5.1).
    pub(crate) fn token_params(
        &self,
        scheme: Scheme,
        mut c: Challenge,
    ) -> Result<Challenge, ChallengeError> {
        if self.code == ErrorCode::InsufficientUserAuthentication && self.speaks_to(scheme) {
            let (acr, max_age) = (self.requirement.acr_values(), self.requirement.max_age());
            let description = match (acr.is_empty(), max_age) {
                (false, None) => "A different authentication level is required",
                (true, Some(_)) => "More recent authentication is required",
                _ => "A different authentication level or a more recent authentication is required",
            };
            c = c.param("error_description", description);
            if !acr.is_empty() {
                let values = acr.join(" ");
                if !crate::syntax::is_rfc6750_value(&values) {
                    return Err(ChallengeError::UnsafeValue("acr_values".into()));
                }
                c = c.param("acr_values", values);
            }
            if let Some(max_age) = max_age {
                c = c.param("max_age", max_age.to_string());
            }
        }
        if let Some(url) = self.config.and_then(AuthConfig::resource_metadata_url) {
            c = c.param("resource_metadata", url);
        }
        Ok(c)
    }
}

/// One scheme's part of a check.
pub(crate) trait SchemeImpl: Sync {
    /// Which scheme this is.
    fn scheme(&self) -> Scheme;

    /// A verdict answered before anything is parsed (a verdict-cache hit), when the header is
    /// the only place a token may be.
    fn early(&self, req: &HttpRequest, config: &AuthConfig) -> Option<Verdict> {
        let _ = (req, config);
        None
    }

    /// Whether the credential may also come from the token locations besides the header
    /// (cookie, query, form): the Bearer scheme's.
    fn travels(&self) -> bool {
        false
    }

    /// The credential in a header of the scheme's own (not `Authorization`): `None` if absent.
    fn own_header<'r>(
        &self,
        req: &'r HttpRequest,
        config: &AuthConfig,
    ) -> Option<Result<Parsed<'r>, &'static str>> {
        let _ = (req, config);
        None
    }

    /// Parses what follows the scheme name and `1*SP` in `Authorization`.
    fn parse<'r>(&self, credentials: &'r [u8]) -> Result<Parsed<'r>, &'static str>;

    /// The code of malformed credentials: `invalid_request` where the scheme defines it (RFC
    /// 6750 §3.1), else `invalid_credentials` (401 with a fresh challenge).
    fn malformed(&self) -> ErrorCode {
        ErrorCode::InvalidCredentials
    }

    /// The user a credential names, whose failures the throttle also counts (password schemes).
    fn user(&self, parsed: &Parsed<'_>) -> Option<String> {
        let _ = parsed;
        None
    }

    /// Verifies the credential for `realm`.
    fn verify(
        &self,
        req: &HttpRequest,
        config: &AuthConfig,
        realm: &str,
        parsed: Parsed<'_>,
    ) -> Verdict;

    /// The challenges of a refusal with `code` (one `WWW-Authenticate` field each), or none
    /// where this scheme's would not help.
    fn challenge(
        &self,
        code: ErrorCode,
        ctx: &ChallengeContext<'_>,
    ) -> Result<Vec<String>, ChallengeError>;

    /// How an OpenAPI document declares the scheme (`api_key_header`: where API keys go).
    #[cfg(feature = "openapi")]
    fn openapi(&self, api_key_header: &'static str) -> utoipa::openapi::security::SecurityScheme;

    /// Whether each challenge is new (a fresh nonce), so none may be cached.
    fn fresh_challenges(&self) -> bool {
        false
    }
}

/// The schemes of `set` whose challenges are fresh per response.
pub(crate) fn any_fresh(set: SchemeSet) -> bool {
    set.iter().any(|s| of(s).fresh_challenges())
}

/// The scheme whose credential may travel in the token locations, if `accepted` has one.
pub(crate) fn travelling(accepted: SchemeSet) -> Option<&'static dyn SchemeImpl> {
    accepted.iter().map(of).find(|s| s.travels())
}

/// The schemes of `accepted` read from `Authorization`, given the token `locations` (a
/// travelling scheme is read there only when the header is one of them).
pub(crate) fn in_authorization(accepted: SchemeSet, locations: TokenLocations) -> SchemeSet {
    accepted
        .iter()
        .filter(|s| s.authorization_name().is_some())
        .filter(|s| {
            !of(*s).travels() || locations.contains(crate::token_location::TokenLocation::Header)
        })
        .fold(SchemeSet::EMPTY, SchemeSet::with)
}

/// Writes the challenges of a refusal, one `WWW-Authenticate` field per accepted scheme
/// (RFC 9110 §11.6.1), in the order of [`Scheme::ALL`].
pub(crate) fn challenges_for(
    code: ErrorCode,
    schemes: SchemeSet,
    ctx: &ChallengeContext<'_>,
) -> Result<Vec<HeaderValue>, ChallengeError> {
    if !code.has_challenge() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for scheme in schemes.iter() {
        for rendered in of(scheme).challenge(code, ctx)? {
            out.push(
                HeaderValue::try_from(rendered)
                    .map_err(|_| ChallengeError::UnsafeValue("realm".into()))?,
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_indexed_like_scheme() {
        for scheme in Scheme::ALL {
            assert_eq!(of(scheme).scheme(), scheme);
        }
    }
}
