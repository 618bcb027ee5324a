//! One `tracing` event (target `auth`) per refusal: the public code, the internal reason, the
//! peer and the request line, and the credential redacted to its scheme and length.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::rejection::{ErrorCode, Rejection};

/// The tracing target of every audit event.
pub const TARGET: &str = "auth";

/// What may be logged of the `Authorization` field: the scheme name (if this crate knows it) and the
/// length. Never a byte of the credential itself.
fn redacted_credential(req: &HttpRequest) -> String {
    let mut fields = req.headers().get_all(header::AUTHORIZATION);
    let Some(first) = fields.next() else {
        return "none".to_owned();
    };
    let extra = fields.count();
    let bytes = first.as_bytes();
    // Only a scheme this crate knows is named: an unknown "scheme" may be a bare credential.
    let scheme = match crate::credentials::parse_authorization(bytes) {
        crate::credentials::Authorization::Bearer(_) => "Bearer",
        crate::credentials::Authorization::Other => "other-scheme",
    };
    let mut out = format!("{scheme} ****** ({} bytes)", bytes.len());
    if extra > 0 {
        out.push_str(&format!(" and {extra} more field(s)"));
    }
    out
}

pub(crate) fn refused(req: &HttpRequest, rejection: &Rejection) {
    let peer = req.peer_addr().map(|a| a.to_string());
    let peer = peer.as_deref().unwrap_or("unknown");
    let credential = redacted_credential(req);
    let code = rejection.code().as_str();
    let reason = rejection.reason();
    let method = req.method().as_str();
    let path = req.path();
    match rejection.code() {
        ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable => tracing::error!(
            target: TARGET, code, %reason, peer, method, path, credential,
            "authentication failed on the server side: {reason}"
        ),
        _ => tracing::warn!(
            target: TARGET, code, %reason, peer, method, path, credential,
            "request refused"
        ),
    }
}
