//! `DPoP` (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` proof field, the token
//! verified by the application's [`BearerVerifier`](crate::BearerVerifier) and the proof by its
//! [`Dpop`](crate::Dpop) settings (`verify::dpop`).
//!
//! The order is the RFC's, and a proof is remembered only once everything else passed: the
//! proof (§4.3, `invalid_dpop_proof`, or `use_dpop_nonce` for the server nonce), the access
//! token (`invalid_token`), its binding to the proof's key (`crate::binding`, `invalid_token`),
//! then the replay memory (`invalid_dpop_proof` for a replay; 503 when it cannot answer).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{HttpMessage as _, HttpRequest};

use super::{ChallengeContext, Parsed, SchemeImpl, Verdict};
use crate::binding::{self, Presented, ProvenKey};
use crate::challenge::{Challenge, ChallengeError};
use crate::config::AuthConfig;
use crate::credentials;
use crate::rejection::{ErrorCode, Reason};
use crate::scheme::Scheme;
use crate::verify::bearer::BearerVerdict;
use crate::verify::dpop_replay::{ProofId, ProofUse};

pub(super) struct Dpop;

/// The proof this request's DPoP check recorded in the replay memory.
#[derive(Clone, Copy, Debug)]
struct RecordedProof(ProofId);

impl SchemeImpl for Dpop {
    fn scheme(&self) -> Scheme {
        Scheme::Dpop
    }

    /// `DPoP <token68>`, the grammar of Bearer's `b64token` (RFC 9449 §7.1).
    fn parse<'r>(&self, credentials: &'r [u8]) -> Result<Parsed<'r>, &'static str> {
        credentials::bearer_token(credentials).map(Parsed::Token)
    }

    fn malformed(&self) -> ErrorCode {
        ErrorCode::InvalidRequest
    }

    fn verify(
        &self,
        req: &HttpRequest,
        config: &AuthConfig,
        _: &str,
        parsed: Parsed<'_>,
    ) -> Verdict {
        let (Parsed::Token(token), Some(verifier), Some(dpop)) =
            (parsed, config.bearer(), config.dpop())
        else {
            let reason = Reason::NoVerifier(Scheme::Dpop.name().into());
            return Verdict::Ready(Err((ErrorCode::ServerError, reason)));
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let proof = match dpop.check(req, token, now) {
            Ok(proof) => proof,
            Err(refused) => return Verdict::Ready(Err(refused)),
        };
        req.extensions_mut()
            .insert(ProvenKey(proof.thumbprint.clone()));
        let presented = Presented::of(req, config, Scheme::Dpop);
        let verdict = verifier.verify_token(token);
        let replay = dpop.replay().clone();
        // A second check of this same request (an inner scope with a configuration of its own)
        // sees the proof it recorded itself: that is not a replay.
        let recorded_here = req
            .extensions()
            .get::<RecordedProof>()
            .is_some_and(|r| r.0 == proof.id);
        let req = req.clone();
        Verdict::Later(Box::pin(async move {
            let verified = match verdict {
                BearerVerdict::Ready(v) | BearerVerdict::Repeated(v) => v,
                BearerVerdict::Later(decision) => decision.await,
            };
            let principal = verified
                .map_err(super::bearer::failure)?
                .presented_as(Scheme::Dpop);
            binding::check(&presented, &principal)?;
            if recorded_here {
                return Ok(principal);
            }
            let expires = UNIX_EPOCH + Duration::from_secs(proof.expires);
            match replay.record(proof.id, expires).await {
                Ok(ProofUse::First) => {
                    req.extensions_mut().insert(RecordedProof(proof.id));
                    Ok(principal)
                }
                Ok(_) => Err((ErrorCode::InvalidDpopProof, Reason::ReplayedProof)),
                Err(error) => {
                    tracing::error!(%error, "DPoP replay memory unavailable: request refused");
                    crate::metrics::store_error("dpop_proofs");
                    Err((ErrorCode::TemporarilyUnavailable, Reason::Unavailable))
                }
            }
        }))
    }

    /// OpenAPI 3.1 has no `http` scheme for DPoP in `utoipa`'s list, so it is declared as the
    /// `Authorization` header it travels in, described.
    #[cfg(feature = "openapi")]
    fn openapi(&self, _: &'static str) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "Authorization",
            "A DPoP-bound access token (RFC 9449): `Authorization: DPoP <token>` with a `DPoP` \
             proof of possession of the token's key on every request.",
        )))
    }

    /// `DPoP realm="…", algs="…"`, then `error` (RFC 9449 §7.1, §12.2) unless another scheme's
    /// credential was refused, `error_description` when expired, `scope` on a 403.
    fn challenge(
        &self,
        code: ErrorCode,
        ctx: &ChallengeContext<'_>,
    ) -> Result<Vec<String>, ChallengeError> {
        let algs = ctx
            .config
            .and_then(AuthConfig::dpop)
            .map_or("", |d| d.algs());
        let mut c = Challenge::new(Scheme::Dpop.name())
            .param("realm", ctx.realm)
            .param("algs", algs);
        c = ctx.token_error(Scheme::Dpop, c, code.dpop_error())?;
        c = ctx.token_params(Scheme::Dpop, c)?;
        c.render().map(|c| vec![c])
    }
}
