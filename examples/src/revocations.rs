//! `POST /admin/revocations` of the `orders` example: revokes a token by its `jti`, or signs a
//! subject out everywhere, through the same [`RevocationStore`] the verifier checks — the
//! in-memory one, or the fleet's Redis when `AUTH_REDIS_URL` is set (then every instance
//! refuses the token within the pub/sub delay).
//!
//! Body: `{"jti": "…", "expires_at": <unix seconds>}` (`expires_at` optional: the token's
//! `exp`; without it the revocation is kept [`DEFAULT_KEEP_SECS`]) or `{"sub": "…",
//! "issued_before": <unix seconds>}` (default now; never in the future). Revocations are under
//! the token issuer `iss` when the body gives one, else the service's (`AUTH_ISSUER`, else
//! `AUTH_OIDC_ISSUER`; with neither, tokens without `iss` only). Answers 204; 400 for a body
//! that is neither, a past `expires_at` or a future `issued_before`; 503 with `Retry-After`
//! when the store did not take the write (it is not in force everywhere: retry).

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
    /// The issuer the `jti` or `sub` belongs to (default: the service's).
    iss: Option<String>,
    jti: Option<String>,
    expires_at: Option<u64>,
    sub: Option<String>,
    issued_before: Option<u64>,
}

/// `secs` as an instant, if it is one (`None` past the platform's range).
fn at(secs: u64) -> Option<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}

fn bad_request(why: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({ "error": why }))
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
    let body = body.into_inner();
    let issuer = body.iss.as_deref().or(revocations.issuer.as_deref());
    let now = SystemTime::now();
    let write = match body {
        RevocationRequest {
            jti: Some(jti),
            expires_at,
            sub: None,
            issued_before: None,
            ..
        } if !jti.is_empty() => {
            let until = match expires_at {
                None => now + Duration::from_secs(DEFAULT_KEEP_SECS),
                Some(secs) => match at(secs) {
                    Some(until) if until > now => until,
                    // A past expiry would be stored and forgotten at once: say so.
                    _ => return bad_request("expires_at must be a future Unix time"),
                },
            };
            revocations.store.revoke_token(issuer, &jti, until)
        }
        RevocationRequest {
            sub: Some(sub),
            issued_before,
            jti: None,
            expires_at: None,
            ..
        } if !sub.is_empty() => {
            let cut_off = match issued_before {
                None => now,
                Some(secs) => match at(secs) {
                    // A future cut-off would lock the subject out of tokens not yet issued.
                    Some(cut_off) if cut_off <= now => cut_off,
                    _ => return bad_request("issued_before must not be in the future"),
                },
            };
            revocations.store.revoke_subject(issuer, &sub, cut_off)
        }
        _ => return bad_request("give a jti (and expires_at) or a sub (and issued_before)"),
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
