//! A scheme compiled out (its feature is off): never registered, so an endpoint that names it
//! answers 500 with a loud log line (no verifier), and nothing of it is ever accepted.

use actix_web::HttpRequest;

use super::{ChallengeContext, Parsed, SchemeImpl, Verdict};
use crate::challenge::ChallengeError;
use crate::config::AuthConfig;
use crate::rejection::{ErrorCode, Reason};
use crate::scheme::Scheme;

pub(super) struct Absent(pub(super) Scheme);

impl SchemeImpl for Absent {
    fn scheme(&self) -> Scheme {
        self.0
    }

    fn parse<'r>(&self, _: &'r [u8]) -> Result<Parsed<'r>, &'static str> {
        Err("scheme compiled out")
    }

    fn verify(&self, _: &HttpRequest, _: &AuthConfig, _: &str, _: Parsed<'_>) -> Verdict {
        let reason = Reason::NoVerifier(self.0.name().into());
        Verdict::Ready(Err((ErrorCode::ServerError, reason)))
    }

    #[cfg(feature = "openapi")]
    fn openapi(&self, _: &'static str) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        SecurityScheme::Http(Http::new(HttpAuthScheme::Digest))
    }

    fn challenge(
        &self,
        _: ErrorCode,
        _: &ChallengeContext<'_>,
    ) -> Result<Vec<String>, ChallengeError> {
        Ok(Vec::new())
    }
}
