//! API keys: a key in a header of their own (`X-API-Key` by default), checked against
//! [`ApiKeys`](crate::ApiKeys).

use actix_web::HttpRequest;

use super::{ChallengeContext, Parsed, SchemeImpl, Verdict};
use crate::challenge::{Challenge, ChallengeError};
use crate::config::AuthConfig;
use crate::rejection::{ErrorCode, Reason};
use crate::scheme::Scheme;

pub(super) struct ApiKey;

impl SchemeImpl for ApiKey {
    fn scheme(&self) -> Scheme {
        Scheme::ApiKey
    }

    fn own_header<'r>(
        &self,
        req: &'r HttpRequest,
        config: &AuthConfig,
    ) -> Option<Result<Parsed<'r>, &'static str>> {
        let mut keys = req.headers().get_all(config.api_keys()?.header());
        let key = keys.next()?;
        Some(if keys.next().is_some() {
            Err("API-key header sent twice")
        } else if key.is_empty() {
            Err("empty API key")
        } else {
            Ok(Parsed::Bytes(key.as_bytes()))
        })
    }

    /// Never read from `Authorization`.
    fn parse<'r>(&self, _: &'r [u8]) -> Result<Parsed<'r>, &'static str> {
        Err("API keys are not sent in Authorization")
    }

    fn verify(&self, _: &HttpRequest, config: &AuthConfig, _: &str, parsed: Parsed<'_>) -> Verdict {
        let verified = match (parsed, config.api_keys()) {
            (Parsed::Bytes(key), Some(keys)) => keys
                .verify(key)
                .ok_or((ErrorCode::InvalidCredentials, Reason::UnknownApiKey)),
            _ => Err((
                ErrorCode::ServerError,
                Reason::NoVerifier(Scheme::ApiKey.name().into()),
            )),
        };
        Verdict::Ready(verified)
    }

    #[cfg(feature = "openapi")]
    fn openapi(&self, api_key_header: &'static str) -> utoipa::openapi::security::SecurityScheme {
        use utoipa::openapi::security::{ApiKeyValue, SecurityScheme};
        let api_key = ApiKeyValue::with_description(
            api_key_header,
            "A key issued to a partner; send it as-is.",
        );
        SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(api_key))
    }

    /// `<scheme> realm="R"`, the scheme name configurable
    /// ([`ApiKeys::challenge_scheme`](crate::ApiKeys::challenge_scheme)); none on a 403.
    fn challenge(
        &self,
        code: ErrorCode,
        ctx: &ChallengeContext<'_>,
    ) -> Result<Vec<String>, ChallengeError> {
        if code == ErrorCode::InsufficientScope {
            return Ok(Vec::new());
        }
        let name = ctx
            .config
            .and_then(AuthConfig::api_keys)
            .map_or(Scheme::ApiKey.name(), |k| k.challenge_scheme());
        Challenge::new(name)
            .param("realm", ctx.realm)
            .render()
            .map(|c| vec![c])
    }
}
