//! `POST /admin/revocations` of the `orders` example: revokes a token by its `jti`, or signs a
//! subject out everywhere, through the same [`RevocationStore`] the verifier checks — the
//! in-memory one, or the fleet's Redis when `AUTH_REDIS_URL` is set (then every instance
//! refuses the token within the pub/sub delay).
//!
//! Body: `{"jti": "…", "expires_at": <unix seconds>}` (`expires_at` optional: the token's
//! `exp`; without it the revocation is kept [`DEFAULT_KEEP_SECS`]) or `{"sub": "…",
//! "issued_before": <unix seconds>}` (default now). Revocations are under the service's
//! `AUTH_ISSUER` (none when unset). Answers 204; 400 for a body that is neither; 503 with
//! `Retry-After` when the store did not take the write (it is not in force everywhere: retry).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::header;
use actix_web::{HttpResponse, post, web};
use auth_core::require_auth;
use auth_core::verify::revocation::RevocationStore;
use serde::Deserialize;
use serde_json::json;

/// How long a revocation by `jti` without `expires_at` is kept: a day, longer than the access
/// tokens of every common authorization server live.
pub const DEFAULT_KEEP_SECS: u64 = 24 * 3600;

/// The revocation store the verifier checks, and the issuer revocations are made under.
#[derive(Clone)]
pub struct Revocations {
    /// The store (shared with the verifier).
    pub store: Arc<dyn RevocationStore>,
    /// `AUTH_ISSUER`.
    pub issuer: Option<String>,
}

impl std::fmt::Debug for Revocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Revocations")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// What to revoke.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationRequest {
    jti: Option<String>,
    expires_at: Option<u64>,
    sub: Option<String>,
    issued_before: Option<u64>,
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// `POST /admin/revocations`: scope `orders:admin`.
#[require_auth(scheme = "bearer", scope = "orders:admin")]
#[utoipa::path(post, path = "/admin/revocations",
    responses((status = 204, description = "Revoked"), (status = 400, description = "Neither a jti nor a sub"),
        (status = 503, description = "The store did not take the write")))]
#[post("/admin/revocations")]
pub async fn revoke(
    body: web::Json<RevocationRequest>,
    revocations: web::Data<Revocations>,
) -> HttpResponse {
    let issuer = revocations.issuer.as_deref();
    let now = SystemTime::now();
    let write = match body.into_inner() {
        RevocationRequest {
            jti: Some(jti),
            expires_at,
            sub: None,
            issued_before: None,
        } if !jti.is_empty() => {
            let until = expires_at.map_or(now + Duration::from_secs(DEFAULT_KEEP_SECS), at);
            revocations.store.revoke_token(issuer, &jti, until)
        }
        RevocationRequest {
            sub: Some(sub),
            issued_before,
            jti: None,
            expires_at: None,
        } if !sub.is_empty() => {
            revocations
                .store
                .revoke_subject(issuer, &sub, issued_before.map_or(now, at))
        }
        _ => {
            return HttpResponse::BadRequest().json(
                json!({ "error": "give a jti (and expires_at) or a sub (and issued_before)" }),
            );
        }
    };
    match write.await {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(error) => {
            tracing::error!(%error, "revocation not stored everywhere");
            HttpResponse::ServiceUnavailable()
                .insert_header((header::RETRY_AFTER, "5"))
                .json(json!({ "error": "the revocation store did not take the write; retry" }))
        }
    }
}
