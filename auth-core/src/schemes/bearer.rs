//! `Bearer` (RFC 6750): a `b64token` in `Authorization` or, where enabled, a cookie, query
//! parameter or form member; verified by the application's [`BearerVerifier`](crate::BearerVerifier).

use actix_web::HttpRequest;

use super::{ChallengeContext, Parsed, SchemeImpl, Verdict};
use crate::challenge::{Challenge, ChallengeError};
use crate::config::AuthConfig;
use crate::credentials;
use crate::rejection::{ErrorCode, Reason};
use crate::scheme::Scheme;
use crate::verify::bearer::BearerVerdict;

pub(super) struct Bearer;

impl SchemeImpl for Bearer {
    fn scheme(&self) -> Scheme {
        Scheme::Bearer
    }

    fn early(&self, req: &HttpRequest, config: &AuthConfig) -> Option<Verdict> {
        let raw = credentials::bearer_fast_path(req.headers())?;
        let hit = config.bearer()?.cached(raw)?;
        Some(Verdict::Repeated(hit.map_err(failure)))
    }

    fn travels(&self) -> bool {
        true
    }

    fn parse<'r>(&self, credentials: &'r [u8]) -> Result<Parsed<'r>, &'static str> {
        credentials::bearer_token(credentials).map(Parsed::Token)
    }

    fn malformed(&self) -> ErrorCode {
        ErrorCode::InvalidRequest
    }

    fn verify(&self, _: &HttpRequest, config: &AuthConfig, _: &str, parsed: Parsed<'_>) -> Verdict {
        let (Parsed::Token(token), Some(verifier)) = (parsed, config.bearer()) else {
            let reason = Reason::NoVerifier(Scheme::Bearer.name().into());
            return Verdict::Ready(Err((ErrorCode::ServerError, reason)));
        };
        match verifier.verify_token(token) {
            BearerVerdict::Ready(verified) => Verdict::Ready(verified.map_err(failure)),
            BearerVerdict::Repeated(verified) => Verdict::Repeated(verified.map_err(failure)),
            BearerVerdict::Later(decision) => {
                Verdict::Later(Box::pin(async move { decision.await.map_err(failure) }))
            }
        }
    }

    #[cfg(feature = "openapi")]
    fn openapi(&self, _: &'static str) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".to_owned());
        bearer.description = Some(
            "A JWT access token (RFC 6750); endpoints that enable them also read it from a \
             cookie or the `access_token` parameter."
                .to_owned(),
        );
        SecurityScheme::Http(bearer)
    }

    /// `error` for the Bearer codes (RFC 6750 §3.1), plus `error_description` when expired and
    /// `scope` for `insufficient_scope`.
    fn challenge(
        &self,
        code: ErrorCode,
        ctx: &ChallengeContext<'_>,
    ) -> Result<Vec<String>, ChallengeError> {
        let mut c = Challenge::new(Scheme::Bearer.name()).param("realm", ctx.realm);
        c = ctx.token_error(Scheme::Bearer, c, code.bearer_error())?;
        c = ctx.token_params(Scheme::Bearer, c)?;
        c.render().map(|c| vec![c])
    }
}

/// The public code of a Bearer verification failure (the DPoP scheme's tokens too).
pub(super) fn failure(reason: Reason) -> (ErrorCode, Reason) {
    let code = match reason {
        Reason::Expired => ErrorCode::TokenExpired,
        Reason::Unavailable | Reason::RevocationStale => ErrorCode::TemporarilyUnavailable,
        _ => ErrorCode::InvalidToken,
    };
    (code, reason)
}
