//! One `tracing` event (target `auth`) per refusal: the public code, the internal reason, the
//! peer and the request line, and the credential redacted to its scheme and length.

use actix_web::http::header;
use actix_web::{HttpMessage as _, HttpRequest};

use crate::rejection::{ErrorCode, Rejection};

/// The tracing target of every audit event.
///
/// ```
/// use auth_core::audit::TARGET;
/// assert_eq!(TARGET, "auth");
/// // e.g. a `tracing_subscriber::EnvFilter` directive that keeps refusals at warn and above:
/// assert_eq!(format!("{TARGET}=warn"), "auth=warn");
/// ```
pub const TARGET: &str = "auth";

/// What may be logged of the `Authorization` field: the scheme name (if this crate knows it) and the
/// length. Never a byte of the credential itself.
fn redacted_credential(req: &HttpRequest) -> String {
    let mut fields = req.headers().get_all(header::AUTHORIZATION);
    let Some(first) = fields.next() else {
        // A token from a cookie, the query or a form body: its location and length only.
        return match req.extensions().get::<crate::transport::TokenSource>() {
            Some(source) => format!(
                "Bearer ****** ({} bytes, from {})",
                source.len, source.location
            ),
            None => "none".to_owned(),
        };
    };
    let extra = fields.count();
    let bytes = first.as_bytes();
    // Only a scheme this crate knows is named: an unknown "scheme" may be a bare credential.
    let scheme = crate::credentials::scheme_of(bytes).map_or("other-scheme", |s| s.name());
    let mut out = format!("{scheme} ****** ({} bytes)", bytes.len());
    if extra > 0 {
        out.push_str(&format!(" and {extra} more field(s)"));
    }
    out
}

pub(crate) fn refused(req: &HttpRequest, rejection: &Rejection, user: Option<&str>, quiet: bool) {
    // The fields below allocate; skip them when no subscriber would record the event.
    let level = match rejection.code() {
        ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable => tracing::Level::ERROR,
        _ if quiet => tracing::Level::DEBUG,
        _ => tracing::Level::WARN,
    };
    let enabled = match level {
        tracing::Level::ERROR => tracing::enabled!(target: TARGET, tracing::Level::ERROR),
        tracing::Level::DEBUG => tracing::enabled!(target: TARGET, tracing::Level::DEBUG),
        _ => tracing::enabled!(target: TARGET, tracing::Level::WARN),
    };
    if !enabled {
        return;
    }
    let user = user.unwrap_or("");
    let peer = req.peer_addr().map(|a| a.to_string());
    let peer = peer.as_deref().unwrap_or("unknown");
    let credential = redacted_credential(req);
    let code = rejection.code().as_str();
    let reason = rejection.reason();
    let method = req.method().as_str();
    let path = req.path();
    match rejection.code() {
        ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable => tracing::error!(
            target: TARGET, code, %reason, peer, method, path, credential, user,
            "authentication failed on the server side: {reason}"
        ),
        _ if quiet => tracing::debug!(
            target: TARGET, code, %reason, peer, method, path, credential, user,
            "request refused (repeat, from the verdict cache)"
        ),
        _ => tracing::warn!(
            target: TARGET, code, %reason, peer, method, path, credential, user,
            "request refused"
        ),
    }
}

/// A client address or user-id just crossed the failure limit: `kind` names what `key` is
/// (`client`, `cross-site client`, `user digest`; a user by its digest's prefix: the refusal
/// events name the user already, and a digest is what an operator matches across instances).
pub(crate) fn blocked(req: &HttpRequest, kind: &'static str, key: &str, seconds: u32) {
    tracing::warn!(target: TARGET, kind, key = %key, seconds, path = req.path(), "too many failed attempts: blocked");
}

/// An application policy allowed a request (its refusals are logged as refusals, naming it).
/// At `debug`: one event per allowed request would flood an `info` log.
pub(crate) fn policy_allowed(req: &HttpRequest, policy: &'static str, user: Option<&str>) {
    tracing::debug!(
        target: TARGET,
        policy,
        decision = "allow",
        user = user.unwrap_or(""),
        method = req.method().as_str(),
        path = req.path(),
        "policy allowed the request"
    );
}

/// An application policy could not decide, in its own words (the refusal, a 503, follows).
pub(crate) fn policy_undecided(
    req: &HttpRequest,
    policy: &'static str,
    why: &'static str,
    user: Option<&str>,
) {
    tracing::error!(
        target: TARGET,
        policy,
        decision = "undecided",
        why,
        user = user.unwrap_or(""),
        method = req.method().as_str(),
        path = req.path(),
        "policy could not decide: {why}"
    );
}
