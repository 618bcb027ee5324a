//! `Basic` (RFC 7617): a base64 `user-pass` in `Authorization`, verified by the application's
//! [`BasicVerifier`](crate::BasicVerifier) (password hashing runs off the worker thread).

use actix_web::HttpRequest;

use super::{ChallengeContext, Parsed, SchemeImpl, Verdict};
use crate::challenge::{Challenge, ChallengeError};
use crate::config::AuthConfig;
use crate::credentials;
use crate::rejection::{ErrorCode, Reason};
use crate::scheme::Scheme;
use crate::verify::basic::BasicOutcome;

pub(super) struct Basic;

impl SchemeImpl for Basic {
    fn scheme(&self) -> Scheme {
        Scheme::Basic
    }

    fn parse<'r>(&self, credentials: &'r [u8]) -> Result<Parsed<'r>, &'static str> {
        credentials::decode_basic(credentials).map(Parsed::UserPass)
    }

    fn user(&self, parsed: &Parsed<'_>) -> Option<String> {
        match parsed {
            Parsed::UserPass(credentials) => Some(credentials.user_id().to_owned()),
            _ => None,
        }
    }

    fn verify(&self, _: &HttpRequest, config: &AuthConfig, _: &str, parsed: Parsed<'_>) -> Verdict {
        let (Parsed::UserPass(credentials), Some(verifier)) = (parsed, config.basic()) else {
            let reason = Reason::NoVerifier(Scheme::Basic.name().into());
            return Verdict::Ready(Err((ErrorCode::ServerError, reason)));
        };
        let pending = verifier.verify(credentials);
        Verdict::Later(Box::pin(async move {
            match pending.await {
                BasicOutcome::Valid(principal) => Ok(principal),
                BasicOutcome::Invalid => {
                    Err((ErrorCode::InvalidCredentials, Reason::WrongPassword))
                }
                BasicOutcome::Unavailable => {
                    Err((ErrorCode::TemporarilyUnavailable, Reason::Unavailable))
                }
            }
        }))
    }

    #[cfg(feature = "openapi")]
    fn openapi(&self, _: &'static str) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let mut basic = Http::new(HttpAuthScheme::Basic);
        basic.description = Some("User-id and password (RFC 7617), UTF-8.".to_owned());
        SecurityScheme::Http(basic)
    }

    /// Always `Basic realm="R", charset="UTF-8"` (RFC 7617 §2.1); none on a 403.
    fn challenge(
        &self,
        code: ErrorCode,
        ctx: &ChallengeContext<'_>,
    ) -> Result<Vec<String>, ChallengeError> {
        if code == ErrorCode::InsufficientScope {
            return Ok(Vec::new());
        }
        Challenge::new(Scheme::Basic.name())
            .param("realm", ctx.realm)
            .param("charset", "UTF-8")
            .render()
            .map(|c| vec![c])
    }
}
