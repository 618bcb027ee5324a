//! `Digest` (RFC 7616): `Authorization: Digest username=…, response=…`, answered with the
//! settings and user store of [`DigestAuth`](crate::DigestAuth) (`verify::digest`).
//!
//! One answer for every failure: a malformed answer, an unknown user, a wrong `response`, a
//! replayed (`nonce`, `nc`) all get 401 with fresh challenges and the same body, and an
//! unknown user costs what a wrong password costs. Only a nonce that has expired, in an answer
//! otherwise right, is told apart: `stale=true`, so the client retries without its user.

use actix_web::HttpRequest;
use subtle::ConstantTimeEq as _;

use super::{ChallengeContext, Parsed, SchemeImpl, Verdict};
use crate::challenge::{Challenge, ChallengeError};
use crate::config::AuthConfig;
use crate::rejection::{ErrorCode, Reason};
use crate::scheme::Scheme;
use crate::verify::digest::{self, DigestAlgorithm, DigestLookup, DigestUser};
use crate::verify::digest_nonces::NonceUse;

pub(super) struct Digest;

/// The parameters of a Digest answer this scheme reads; each must appear at most once.
const READ: [&str; 11] = [
    "username",
    "realm",
    "nonce",
    "uri",
    "response",
    "algorithm",
    "cnonce",
    "opaque",
    "qop",
    "nc",
    "userhash",
];

impl SchemeImpl for Digest {
    fn scheme(&self) -> Scheme {
        Scheme::Digest
    }

    fn parse<'r>(&self, credentials: &'r [u8]) -> Result<Parsed<'r>, &'static str> {
        let text = std::str::from_utf8(credentials).map_err(|_| "not UTF-8")?;
        // `credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`: the grammar of a
        // challenge, so the challenge parser reads it.
        let mut parsed = crate::challenge::parse(&format!("Digest {text}"))
            .map_err(|_| "not a list of auth-params")?;
        let (Some(answer), None) = (parsed.pop(), parsed.pop()) else {
            return Err("not one list of auth-params");
        };
        if answer.params.iter().any(|(name, _)| name.is_empty()) {
            return Err("a token68 where auth-params belong");
        }
        for name in READ {
            let count = answer
                .params
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .count();
            if count > 1 {
                return Err("a parameter sent twice");
            }
        }
        if answer.get("username*").is_some() {
            return Err("username* is not supported");
        }
        Ok(Parsed::Params(answer.params))
    }

    /// The name failures are counted under. A hashed name (`userhash=true`) is hex, matched
    /// case-insensitively, so it is counted in one case: re-casing its letters must not buy a
    /// fresh budget for the same user.
    fn user(&self, parsed: &Parsed<'_>) -> Option<String> {
        let Parsed::Params(params) = parsed else {
            return None;
        };
        let name = param(params, "username")?;
        let hashed = param(params, "userhash").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Some(if hashed {
            name.to_ascii_lowercase()
        } else {
            name.to_owned()
        })
    }

    fn verify(
        &self,
        req: &HttpRequest,
        config: &AuthConfig,
        realm: &str,
        parsed: Parsed<'_>,
    ) -> Verdict {
        let (Parsed::Params(params), Some(settings)) = (parsed, config.digest()) else {
            let reason = Reason::NoVerifier(Scheme::Digest.name().into());
            return Verdict::Ready(Err((ErrorCode::ServerError, reason)));
        };
        let malformed = |why| Verdict::Ready(Err((refused(), Reason::MalformedCredentials(why))));
        let answer = match Answer::read(&params, req, realm, settings.algorithms()) {
            Ok(answer) => answer,
            Err(why) => return malformed(why),
        };
        if let Some(opaque) = param(&params, "opaque")
            && opaque != settings.opaque(realm)
        {
            return malformed("opaque is not ours");
        }
        let Ok(age) = settings.check_nonce(answer.nonce, realm) else {
            return malformed("nonce not issued here");
        };
        let lookup = if answer.userhash && !settings.verifier().supports_userhash() {
            // Offered only where supported: a client that hashes anyway is an unknown user, and
            // the store is not asked (it might match an empty or foreign key).
            Box::pin(std::future::ready(DigestLookup::Unknown))
        } else {
            let user = if answer.userhash {
                DigestUser::Hashed(answer.username)
            } else {
                DigestUser::Name(answer.username)
            };
            settings.verifier().lookup(user, realm, answer.algorithm)
        };
        // What the answer must prove, computed now so the future owns nothing of the request.
        let algorithm = answer.algorithm;
        let ha2 = algorithm.hex(format!("{}:{}", req.method(), answer.uri).as_bytes());
        let tail = format!(
            ":{}:{}:{}:auth:{ha2}",
            answer.nonce, answer.nc_text, answer.cnonce
        );
        let response = answer.response.to_ascii_lowercase();
        let nc = answer.nc;
        let realm = realm.to_owned();
        let username = if answer.userhash {
            answer.username.to_ascii_lowercase()
        } else {
            answer.username.to_owned()
        };
        let settings = settings.clone();
        Verdict::Later(Box::pin(async move {
            let (ha1, principal) = match lookup.await {
                DigestLookup::Found { ha1, principal } => (ha1, Some(principal)),
                // A hash no answer matches, computed like a real one: the same cost.
                DigestLookup::Unknown => ("0".repeat(digest::hex_len(algorithm)), None),
                DigestLookup::Unavailable => {
                    return Err((ErrorCode::TemporarilyUnavailable, Reason::Unavailable));
                }
            };
            let expected = algorithm.hex(format!("{ha1}{tail}").as_bytes());
            let right = bool::from(expected.as_bytes().ct_eq(response.as_bytes()));
            let principal = match principal {
                Some(principal) if right => principal,
                _ => return Err((refused(), Reason::WrongPassword)),
            };
            // The memory is per realm and per verified user: the principal's subject, else the
            // name as sent (a hashed one in one case, so re-casing it is the same user).
            let user = match principal.subject() {
                Some(subject) => format!("{realm}\n{subject}"),
                None => format!("{realm}\n\n{username}"),
            };
            let Some(recorded) = settings.record(age, nc, &user) else {
                return Err((refused(), Reason::StaleNonce));
            };
            match recorded.await {
                Ok(NonceUse::First) => Ok(principal),
                Ok(NonceUse::Replayed) => Err((refused(), Reason::ReplayedNonce)),
                Ok(_) => Err((refused(), Reason::StaleNonce)),
                Err(error) => {
                    tracing::error!(%error, "digest replay memory unavailable: answer refused");
                    crate::metrics::store_error("digest_nonces");
                    Err((ErrorCode::TemporarilyUnavailable, Reason::Unavailable))
                }
            }
        }))
    }

    #[cfg(feature = "openapi")]
    fn openapi(&self, _: &'static str) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let mut digest = Http::new(HttpAuthScheme::Digest);
        digest.description = Some(
            "HTTP Digest (RFC 7616): SHA-256, qop=auth, userhash; MD5 where enabled for old \
             clients."
                .to_owned(),
        );
        SecurityScheme::Http(digest)
    }

    /// One challenge (one field) per algorithm offered, most preferred first, each with a fresh
    /// nonce, all with the same parameters in the same order (clients such as `requests` fold
    /// several fields into one dictionary, the last value winning);
    /// `stale=true` after an expired nonce; none on a 403 (a scope cannot be won by
    /// authenticating again).
    ///
    /// `algorithm`, `charset`, `userhash` and `stale` are written as tokens, as RFC 7616 §3.3
    /// has senders do (clients match them unquoted); `realm`, `nonce`, `opaque` and `qop` as
    /// quoted strings.
    fn challenge(
        &self,
        code: ErrorCode,
        ctx: &ChallengeContext<'_>,
    ) -> Result<Vec<String>, ChallengeError> {
        let Some(settings) = ctx.config.and_then(AuthConfig::digest) else {
            return Ok(Vec::new());
        };
        if code == ErrorCode::InsufficientScope {
            return Ok(Vec::new());
        }
        let stale = *ctx.reason == Reason::StaleNonce;
        let userhash = settings.verifier().supports_userhash();
        let opaque = settings.opaque(ctx.realm);
        let mut all = Vec::new();
        for algorithm in settings.offered() {
            let mut one = Challenge::new(Scheme::Digest.name())
                .param("realm", ctx.realm)
                .param("qop", "auth")
                .param("nonce", settings.nonce(ctx.realm))
                .param("opaque", opaque.as_str())
                .render()?;
            one.push_str(", algorithm=");
            one.push_str(algorithm.name());
            one.push_str(", charset=UTF-8");
            if userhash {
                one.push_str(", userhash=true");
            }
            if stale {
                one.push_str(", stale=true");
            }
            all.push(one);
        }
        Ok(all)
    }

    fn fresh_challenges(&self) -> bool {
        true
    }
}

/// The code of every Digest refusal but a 503: 401 with fresh challenges.
fn refused() -> ErrorCode {
    ErrorCode::InvalidCredentials
}

/// The value of the parameter `name` (names are case-insensitive, RFC 9110 §11.2).
fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A Digest answer whose shape was checked against this request and these settings.
struct Answer<'p> {
    username: &'p str,
    userhash: bool,
    algorithm: DigestAlgorithm,
    nonce: &'p str,
    uri: &'p str,
    cnonce: &'p str,
    nc_text: &'p str,
    nc: u32,
    response: &'p str,
}

impl<'p> Answer<'p> {
    fn read(
        params: &'p [(String, String)],
        req: &HttpRequest,
        realm: &str,
        enabled: &[DigestAlgorithm],
    ) -> Result<Self, &'static str> {
        let get = |name| param(params, name).ok_or("a required parameter is missing");
        if get("realm")? != realm {
            return Err("realm is not ours");
        }
        // Absent means MD5 (RFC 7616 §3.3).
        let algorithm = DigestAlgorithm::from_name(param(params, "algorithm").unwrap_or("MD5"))
            .filter(|a| enabled.contains(a))
            .ok_or("algorithm not offered")?;
        if !get("qop")?.eq_ignore_ascii_case("auth") {
            return Err("qop is not auth");
        }
        let uri = get("uri")?;
        if !is_this_target(req, uri) {
            return Err("uri is not this request's target");
        }
        let nc_text = get("nc")?;
        let nc = (nc_text.len() == 8 && nc_text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(nc_text, 16).ok())
            .flatten()
            .ok_or("nc is not 8 hex digits")?;
        let cnonce = get("cnonce")?;
        if cnonce.is_empty() {
            return Err("empty cnonce");
        }
        let response = get("response")?;
        if response.len() != digest::hex_len(algorithm)
            || !response.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err("response is not a hex digest");
        }
        let userhash = match param(params, "userhash") {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(_) => return Err("userhash is neither true nor false"),
        };
        let username = get("username")?;
        if username.is_empty() {
            return Err("empty username");
        }
        Ok(Answer {
            username,
            userhash,
            algorithm,
            nonce: get("nonce")?,
            uri,
            cnonce,
            nc_text,
            nc,
            response,
        })
    }
}

/// Whether `uri` is this request's target (RFC 7616 §3.4.6): its origin form (path and
/// query), or its absolute form.
fn is_this_target(req: &HttpRequest, uri: &str) -> bool {
    let target = req.uri();
    let origin_form = target.path_and_query().map_or("/", |pq| pq.as_str());
    uri == origin_form || (target.scheme().is_some() && *target == *uri)
}
