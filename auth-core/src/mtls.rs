//! Client certificates, for certificate-bound access tokens (RFC 8705 §3): a token whose
//! `cnf` has `x5t#S256` is accepted only from a connection whose client certificate has that
//! SHA-256 thumbprint (the rule is `crate::binding`'s, whichever scheme carried the token).
//!
//! The certificate comes from one of two places, nothing else:
//!
//! - **This server's own TLS**: the application records the verified peer certificate of each
//!   connection with [`HttpServer::on_connect`](actix_web::HttpServer::on_connect), as a
//!   [`ClientCertificate`] in the connection's data (the `orders` example shows it for rustls).
//! - **A TLS-terminating proxy**, only one the application names
//!   ([`AuthConfigBuilder::client_certificate_proxies`](crate::AuthConfigBuilder::client_certificate_proxies)):
//!   its `Client-Cert` field (RFC 9440, `:base64(DER):`), read only when the connection comes
//!   from one of those addresses (and then instead of the connection's own certificate, which
//!   is the proxy's). From anyone else the field is ignored: a client could write any
//!   certificate into it. Such a proxy must remove any `Client-Cert` field a client sent
//!   (RFC 9440 §4) and write its own only after verifying the client's certificate.
//!
//! ```
//! use actix_web::{dev::Extensions, rt::net::TcpStream};
//! use auth_core::mtls::ClientCertificate;
//!
//! /// For `HttpServer::new(..).on_connect(record_certificate)`, over any TLS stack: take the
//! /// verified peer certificate's DER from the stream and store it.
//! fn record_certificate(_connection: &dyn std::any::Any, data: &mut Extensions) {
//!     # let peer_certificate_der: Option<&[u8]> = Some(b"DER bytes");
//!     if let Some(der) = peer_certificate_der {
//!         data.insert(ClientCertificate::from_der(der));
//!     }
//! }
//! let mut data = Extensions::new();
//! record_certificate(&(), &mut data);
//! assert!(data.get::<ClientCertificate>().is_some());
//! ```

use std::fmt;

use actix_web::HttpRequest;
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use sha2::{Digest as _, Sha256};

use crate::config::AuthConfig;

/// Standard base64, padded or not: how RFC 8941 byte sequences arrive.
const FORWARDED: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The most bytes a forwarded certificate may have (a chain's leaf is a few KiB).
const MAX_FORWARDED_LEN: usize = 16 * 1024;

/// The client certificate of a connection: what certificate-bound tokens are checked against.
///
/// ```
/// use auth_core::mtls::ClientCertificate;
/// let cert = ClientCertificate::from_der(b"not really DER, but any bytes hash");
/// assert_eq!(cert.thumbprint().len(), 43); // base64url of SHA-256, no padding
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    thumbprint: String,
}

impl ClientCertificate {
    /// The certificate whose DER encoding is `der` (as the TLS stack verified it).
    ///
    /// ```
    /// use auth_core::mtls::ClientCertificate;
    /// assert_eq!(ClientCertificate::from_der(b"a"), ClientCertificate::from_der(b"a"));
    /// assert_ne!(ClientCertificate::from_der(b"a"), ClientCertificate::from_der(b"b"));
    /// ```
    pub fn from_der(der: &[u8]) -> Self {
        ClientCertificate {
            thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(der)),
        }
    }

    /// Its `x5t#S256`: base64url(SHA-256(DER)), as a certificate-bound token's `cnf` names it.
    ///
    /// ```
    /// use auth_core::mtls::ClientCertificate;
    /// let cert = ClientCertificate::from_der(b"");
    /// assert_eq!(cert.thumbprint(), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU");
    /// ```
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ClientCertificate")
            .field(&self.thumbprint)
            .finish()
    }
}

/// The thumbprint of `req`'s client certificate: its connection's, else a trusted proxy's
/// `Client-Cert` field.
///
/// From a trusted proxy the forwarded certificate is the client's, and the connection's own
/// (the proxy's, when it authenticates to us with one) is not.
pub(crate) fn thumbprint_of(req: &HttpRequest, config: &AuthConfig) -> Option<String> {
    let proxies = config.client_certificate_proxies();
    let from_proxy = !proxies.is_empty()
        && req
            .peer_addr()
            .is_some_and(|peer| proxies.contains(&peer.ip().to_canonical()));
    if from_proxy {
        return forwarded(req).map(|c| c.thumbprint);
    }
    req.conn_data::<ClientCertificate>()
        .map(|own| own.thumbprint.clone())
}

/// The certificate of an RFC 9440 `Client-Cert` field: one field, a byte sequence
/// (`:base64:`) of DER.
fn forwarded(req: &HttpRequest) -> Option<ClientCertificate> {
    let mut fields = req.headers().get_all("client-cert");
    let (Some(field), None) = (fields.next(), fields.next()) else {
        return None;
    };
    let value = field.to_str().ok()?.trim();
    if value.len() > MAX_FORWARDED_LEN {
        return None;
    }
    let inner = value.strip_prefix(':')?.strip_suffix(':')?;
    // RFC 8941 §4.2.7: a parser SHOULD accept a byte sequence without its padding.
    let der = FORWARDED.decode(inner).ok()?;
    (!der.is_empty()).then(|| ClientCertificate::from_der(&der))
}
