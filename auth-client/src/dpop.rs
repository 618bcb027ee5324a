//! DPoP on the client side (RFC 9449): the client's key, one fresh proof per request (`jti`,
//! `htm`, `htu`, `iat`, `ath`, `nonce`), and the nonces servers hand out, kept per origin.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;
use url::Url;

use crate::client_auth::random_id;
use crate::{Error, Secret};

/// The client's DPoP key pair: ES256 (P-256) or EdDSA (Ed25519), generated in memory or loaded
/// from PKCS#8. Cheap to clone; `Debug` shows the algorithm and the thumbprint only.
///
/// ```
/// let key = auth_client::DpopKey::generate_es256().unwrap();
/// assert_eq!(key.algorithm(), "ES256");
/// assert_eq!(key.thumbprint().len(), 43); // base64url of a SHA-256
/// ```
#[derive(Clone)]
pub struct DpopKey {
    inner: Arc<KeyInner>,
}

struct KeyInner {
    signer: Signer,
    alg: &'static str,
    /// The proof header, base64url-encoded once: `typ`, `alg`, `jwk`.
    header: String,
    thumbprint: String,
    pkcs8: Vec<u8>,
}

enum Signer {
    Es256(EcdsaKeyPair, SystemRandom),
    Ed25519(Ed25519KeyPair),
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.inner.alg)
            .field("jkt", &self.inner.thumbprint)
            .finish()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    jti: String,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    // Not a claim RFC 9449 defines, but servers that check JWT lifetimes expect it; one
    // minute, the usual proof acceptance window.
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

impl DpopKey {
    /// A new P-256 key (ES256).
    ///
    /// ```
    /// assert_eq!(auth_client::DpopKey::generate_es256().unwrap().algorithm(), "ES256");
    /// ```
    pub fn generate_es256() -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| Error::Signing("could not generate a P-256 key"))?;
        Self::from_pkcs8("ES256", doc.as_ref())
    }

    /// A new Ed25519 key (EdDSA).
    ///
    /// ```
    /// assert_eq!(auth_client::DpopKey::generate_ed25519().unwrap().algorithm(), "EdDSA");
    /// ```
    pub fn generate_ed25519() -> Result<Self, Error> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| Error::Signing("could not generate an Ed25519 key"))?;
        Self::from_pkcs8("EdDSA", doc.as_ref())
    }

    /// A key loaded from PKCS#8 DER, for `alg` `"ES256"` or `"EdDSA"` (a key kept across
    /// restarts keeps its tokens usable).
    ///
    /// ```
    /// let key = auth_client::DpopKey::generate_ed25519().unwrap();
    /// let again = auth_client::DpopKey::from_pkcs8("EdDSA", key.private_key_der().expose_bytes()).unwrap();
    /// assert_eq!(key.thumbprint(), again.thumbprint());
    /// ```
    pub fn from_pkcs8(alg: &str, der: &[u8]) -> Result<Self, Error> {
        let (signer, alg, jwk) = match alg {
            "ES256" => {
                let pair =
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                        .map_err(|_| Error::Config("not a P-256 PKCS#8 key"))?;
                let point = pair.public_key().as_ref();
                // Uncompressed SEC1 point: 0x04 || x (32) || y (32).
                if point.len() != 65 {
                    return Err(Error::Config("not a P-256 PKCS#8 key"));
                }
                let jwk = format!(
                    r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
                    URL_SAFE_NO_PAD.encode(&point[1..33]),
                    URL_SAFE_NO_PAD.encode(&point[33..])
                );
                (Signer::Es256(pair, SystemRandom::new()), "ES256", jwk)
            }
            "EdDSA" => {
                let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                    .map_err(|_| Error::Config("not an Ed25519 PKCS#8 key"))?;
                let jwk = format!(
                    r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                    URL_SAFE_NO_PAD.encode(pair.public_key().as_ref())
                );
                (Signer::Ed25519(pair), "EdDSA", jwk)
            }
            _ => return Err(Error::Config("DPoP keys are ES256 or EdDSA")),
        };
        // The members of `jwk` above are in lexicographic order with no whitespace: the very
        // string RFC 7638 hashes, and a public key only (no `d`).
        let thumbprint = URL_SAFE_NO_PAD.encode(digest(&SHA256, jwk.as_bytes()));
        let header = format!(r#"{{"typ":"dpop+jwt","alg":"{alg}","jwk":{jwk}}}"#);
        Ok(DpopKey {
            inner: Arc::new(KeyInner {
                signer,
                alg,
                header: URL_SAFE_NO_PAD.encode(header),
                thumbprint,
                pkcs8: der.to_vec(),
            }),
        })
    }

    /// `"ES256"` or `"EdDSA"`.
    ///
    /// ```
    /// assert_eq!(auth_client::DpopKey::generate_ed25519().unwrap().algorithm(), "EdDSA");
    /// ```
    pub fn algorithm(&self) -> &'static str {
        self.inner.alg
    }

    /// The RFC 7638 thumbprint of the public key: the `cnf.jkt` of the tokens bound to it.
    ///
    /// ```
    /// let key = auth_client::DpopKey::generate_es256().unwrap();
    /// assert!(!key.thumbprint().contains('='));
    /// ```
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// The private key as PKCS#8 DER, to store it.
    ///
    /// ```
    /// assert!(!auth_client::DpopKey::generate_es256().unwrap().private_key_der().is_empty());
    /// ```
    pub fn private_key_der(&self) -> SecretBytes {
        SecretBytes(self.inner.pkcs8.clone())
    }

    /// The private key as a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    ///
    /// ```
    /// let pem = auth_client::DpopKey::generate_es256().unwrap().private_key_pem();
    /// assert!(pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
    /// ```
    pub fn private_key_pem(&self) -> Secret {
        let body = STANDARD.encode(&self.inner.pkcs8);
        let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END PRIVATE KEY-----\n");
        Secret::new(pem)
    }

    /// A proof for one request: `method` and `url` (its query and fragment dropped, RFC 9449
    /// §4.2), `ath` when the request carries `access_token`, `nonce` when the server gave one.
    ///
    /// ```
    /// let key = auth_client::DpopKey::generate_es256().unwrap();
    /// let url = url::Url::parse("https://api.example.com/orders?page=2#top").unwrap();
    /// let proof = key.proof("GET", &url, None, None).unwrap();
    /// assert_eq!(proof.split('.').count(), 3);
    /// ```
    pub fn proof(
        &self,
        method: &str,
        url: &Url,
        access_token: Option<&Secret>,
        nonce: Option<&str>,
    ) -> Result<String, Error> {
        let mut htu = url.clone();
        htu.set_query(None);
        htu.set_fragment(None);
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = Claims {
            jti: random_id()?,
            htm: method,
            htu: htu.as_str(),
            iat,
            exp: iat + 60,
            ath: access_token
                .map(|t| URL_SAFE_NO_PAD.encode(digest(&SHA256, t.expose().as_bytes()))),
            nonce,
        };
        let payload =
            serde_json::to_vec(&claims).map_err(|_| Error::Signing("the proof claims"))?;
        let mut jws = String::with_capacity(self.inner.header.len() + payload.len() * 4 / 3 + 100);
        jws.push_str(&self.inner.header);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut jws);
        let signature = match &self.inner.signer {
            Signer::Es256(pair, rng) => pair
                .sign(rng, jws.as_bytes())
                .map_err(|_| Error::Signing("the DPoP proof could not be signed"))?
                .as_ref()
                .to_vec(),
            Signer::Ed25519(pair) => pair.sign(jws.as_bytes()).as_ref().to_vec(),
        };
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(signature, &mut jws);
        Ok(jws)
    }
}

/// Secret bytes (a private key): `Debug` prints none of them.
///
/// ```
/// let der = auth_client::DpopKey::generate_es256().unwrap().private_key_der();
/// assert_eq!(format!("{der:?}"), "SecretBytes(…)");
/// ```
#[derive(Clone)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// The bytes.
    ///
    /// ```
    /// let der = auth_client::DpopKey::generate_es256().unwrap().private_key_der();
    /// assert!(der.expose_bytes().len() > 32);
    /// ```
    pub fn expose_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether there are none.
    ///
    /// ```
    /// assert!(!auth_client::DpopKey::generate_es256().unwrap().private_key_der().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes(…)")
    }
}

/// The `DPoP-Nonce` values servers sent, one per origin (RFC 9449 §8 and §9: a nonce is
/// good for the server that issued it; the latest one replaces the earlier). Shared by the
/// token requests and the resource requests of one client.
///
/// ```
/// let nonces = auth_client::DpopNonces::default();
/// ```
#[derive(Debug, Default)]
pub struct DpopNonces {
    by_origin: Mutex<HashMap<String, String>>,
}

/// Origins remembered at most; a client talking to more starts over (a nonce is only a hint:
/// the server answers `use_dpop_nonce` with a new one).
const MAX_ORIGINS: usize = 1024;
/// The longest nonce kept (servers send a few dozen bytes; a longer one is ignored).
const MAX_NONCE: usize = 1024;

impl DpopNonces {
    pub(crate) fn get(&self, url: &Url) -> Option<String> {
        let map = self.by_origin.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&crate::http_util::origin(url)).cloned()
    }

    /// Keeps the `DPoP-Nonce` of a response from `url`'s origin, if it has a well-formed one.
    /// Returns whether it did.
    pub(crate) fn harvest(&self, url: &Url, headers: &http::HeaderMap) -> bool {
        let Some(value) = headers.get("dpop-nonce").and_then(|v| v.to_str().ok()) else {
            return false;
        };
        // RFC 9449 §8.1: nonce = 1*NQCHAR; bounded, as every proof echoes it.
        if value.is_empty()
            || value.len() > MAX_NONCE
            || !value
                .bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
        {
            return false;
        }
        let mut map = self.by_origin.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_ORIGINS {
            map.clear();
        }
        map.insert(crate::http_util::origin(url), value.to_owned());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bounded_well_formed_nonces_are_kept() {
        let nonces = DpopNonces::default();
        let url = Url::parse("https://api.example.com/orders").unwrap();
        let with = |nonce: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert("dpop-nonce", http::HeaderValue::from_str(nonce).unwrap());
            headers
        };
        assert!(nonces.harvest(&url, &with("n-1")));
        assert!(!nonces.harvest(&url, &with(&"n".repeat(MAX_NONCE + 1))));
        assert!(!nonces.harvest(&url, &with("has space")));
        assert_eq!(nonces.get(&url).as_deref(), Some("n-1"));
    }
}
