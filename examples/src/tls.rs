//! The `orders` service's own TLS (rustls): its certificate and key from PEM files, and, when
//! a client CA is configured, client certificates asked for (optional: a client without one
//! still gets in with a bearer token) and verified against that CA, then recorded per
//! connection for certificate-bound tokens (RFC 8705, `auth_core::mtls`).

use std::any::Any;
use std::sync::Arc;

use actix_tls::accept::rustls_0_23::TlsStream;
use actix_web::dev::Extensions;
use actix_web::rt::net::TcpStream;
use auth_core::mtls::ClientCertificate;
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

use crate::orders::TlsFiles;

/// The rustls server configuration of `files`; an error names the file that failed.
pub fn server_config(files: &TlsFiles) -> Result<rustls::ServerConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("AUTH_TLS_CERT={}: {e}", files.cert))?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("AUTH_TLS_KEY={}: {e}", files.key))?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca)
                .map_err(|e| format!("AUTH_TLS_CLIENT_CA={ca}: {e}"))?
            {
                let cert = cert.map_err(|e| format!("AUTH_TLS_CLIENT_CA={ca}: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("AUTH_TLS_CLIENT_CA={ca}: {e}"))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(|e| format!("AUTH_TLS_CLIENT_CA={ca}: {e}"))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    builder
        .with_single_cert(certs, key)
        .map_err(|e| format!("AUTH_TLS_CERT / AUTH_TLS_KEY: {e}"))
}

/// For `HttpServer::on_connect`: records the verified client certificate of a TLS connection
/// (the leaf), so certificate-bound tokens can be checked against it.
pub fn record_client_certificate(connection: &dyn Any, data: &mut Extensions) {
    let Some(tls) = connection.downcast_ref::<TlsStream<TcpStream>>() else {
        return;
    };
    let (_, session) = tls.get_ref();
    if let Some(leaf) = session.peer_certificates().and_then(|chain| chain.first()) {
        data.insert(ClientCertificate::from_der(leaf.as_ref()));
    }
}
