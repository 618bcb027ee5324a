//! Static verification keys: HMAC secrets, PEM public keys and JWKs, each bound to exactly one
//! algorithm (RFC 8725 §3.1), so a token's `alg` can only ever select a key made for it and an
//! HMAC key can never be confused with, or derived from, a public key.

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyOperations, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde_json::Value;

use crate::error::ConfigError;

/// A verification key bound to one algorithm, optionally named by a `kid`.
///
/// ```
/// use auth_core::{Algorithm, JwtKey};
///
/// let key = JwtKey::hmac(Algorithm::HS256, b"0123456789abcdef0123456789abcdef")?.with_kid("2026-11");
/// assert_eq!(key.algorithm(), Algorithm::HS256);
/// assert!(JwtKey::hmac(Algorithm::HS256, b"too short").is_err());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct JwtKey {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) key: DecodingKey,
    /// For an HMAC algorithm, the key with its inner and outer pads already hashed: verifying
    /// then costs the message's blocks only, where `jsonwebtoken` would set the key up again
    /// (two more SHA blocks, two allocations) on every token.
    pub(crate) hmac: Option<aws_lc_rs::hmac::Key>,
}

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("key", &"******")
            .finish()
    }
}

fn alg_name(alg: Algorithm) -> String {
    format!("{alg:?}")
}

/// The algorithm named exactly (case-sensitively) `name` in a JWS header, if we implement it.
/// `none` is deliberately absent.
pub(crate) fn algorithm_from_header(name: &str) -> Option<Algorithm> {
    Some(match name {
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        // RFC 9864's fully-specified name for EdDSA over Ed25519, the only curve we verify.
        "EdDSA" | "Ed25519" => Algorithm::EdDSA,
        _ => return None,
    })
}

fn bad_key(alg: Algorithm, e: impl std::fmt::Display) -> ConfigError {
    ConfigError::BadKey {
        alg: alg_name(alg),
        detail: e.to_string(),
    }
}

impl JwtKey {
    /// Whether `signature_b64` (base64url, no padding) is this key's signature of `message`
    /// under `alg` (the token's, already matched to the key's). HMAC keys verify with their
    /// precomputed pads and no allocation; the others through `jsonwebtoken`.
    pub(crate) fn verifies(&self, alg: Algorithm, message: &[u8], signature_b64: &str) -> bool {
        use base64::Engine as _;
        match &self.hmac {
            Some(key) => {
                // HS512 signatures are 64 bytes; a longer one cannot be valid.
                let mut signature = [0u8; 64];
                match base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode_slice(signature_b64, &mut signature)
                {
                    Ok(len) => aws_lc_rs::hmac::verify(key, message, &signature[..len]).is_ok(),
                    Err(_) => false,
                }
            }
            None => jsonwebtoken::crypto::verify(signature_b64, message, &self.key, alg)
                .unwrap_or(false),
        }
    }

    /// An HMAC secret for `HS256`, `HS384` or `HS512`.
    ///
    /// Refuses a secret shorter than the hash output (32, 48 or 64 bytes: RFC 7518 §3.2), and a
    /// non-HMAC algorithm.
    ///
    /// ```
    /// use auth_core::{Algorithm, ConfigError, JwtKey};
    /// assert_eq!(JwtKey::hmac(Algorithm::HS384, &[7; 48])?.algorithm(), Algorithm::HS384);
    /// assert!(matches!(JwtKey::hmac(Algorithm::HS512, &[7; 48]), Err(ConfigError::WeakSecret { min: 64, .. })));
    /// assert!(JwtKey::hmac(Algorithm::RS256, &[7; 64]).is_err()); // not an HMAC algorithm
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn hmac(alg: Algorithm, secret: &[u8]) -> Result<Self, ConfigError> {
        let min = match alg {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
            other => {
                return Err(bad_key(
                    other,
                    "not an HMAC algorithm; use JwtKey::from_pem",
                ));
            }
        };
        if secret.len() < min {
            return Err(ConfigError::WeakSecret {
                alg: alg_name(alg),
                len: secret.len(),
                min,
            });
        }
        let hmac_alg = match alg {
            Algorithm::HS384 => aws_lc_rs::hmac::HMAC_SHA384,
            Algorithm::HS512 => aws_lc_rs::hmac::HMAC_SHA512,
            _ => aws_lc_rs::hmac::HMAC_SHA256,
        };
        Ok(JwtKey {
            alg,
            kid: None,
            key: DecodingKey::from_secret(secret),
            hmac: Some(aws_lc_rs::hmac::Key::new(hmac_alg, secret)),
        })
    }

    /// A public key in PEM (`-----BEGIN PUBLIC KEY-----`, or `BEGIN RSA PUBLIC KEY`) for an RSA
    /// (`RS*`, `PS*`), EC (`ES256`, `ES384`) or Ed25519 (`EdDSA`) algorithm.
    ///
    /// ```
    /// use auth_core::{Algorithm, JwtKey};
    /// // The Ed25519 public key of RFC 8410 §10.1.
    /// let pem = b"-----BEGIN PUBLIC KEY-----
    /// MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
    /// -----END PUBLIC KEY-----";
    /// assert_eq!(JwtKey::from_pem(Algorithm::EdDSA, pem)?.algorithm(), Algorithm::EdDSA);
    /// assert!(JwtKey::from_pem(Algorithm::HS256, pem).is_err()); // HMAC takes a secret
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn from_pem(alg: Algorithm, pem: &[u8]) -> Result<Self, ConfigError> {
        let key = match alg.family() {
            AlgorithmFamily::Rsa => DecodingKey::from_rsa_pem(pem),
            AlgorithmFamily::Ec => DecodingKey::from_ec_pem(pem),
            AlgorithmFamily::Ed => DecodingKey::from_ed_pem(pem),
            AlgorithmFamily::Hmac => {
                return Err(bad_key(
                    alg,
                    "an HMAC algorithm takes a secret: use JwtKey::hmac",
                ));
            }
        }
        .map_err(|e| bad_key(alg, e))?;
        Ok(JwtKey {
            alg,
            kid: None,
            key,
            hmac: None,
        })
    }

    /// A key from a JWK (RFC 7517) in JSON. Its `kid` becomes the key's `kid`.
    ///
    /// The algorithm is the JWK's `alg`; when absent it follows from the curve for EC (`P-256` →
    /// `ES256`, `P-384` → `ES384`) and OKP (`Ed25519` → `EdDSA`) keys, and RSA or `oct` keys
    /// without `alg` are refused, since guessing would let one key serve several algorithms.
    /// A JWK whose `use` is not `sig`, or whose `key_ops` does not include `verify`, is refused
    /// (RFC 7517 §4.2–4.3: the key was not published for verifying signatures).
    ///
    /// ```
    /// use auth_core::{Algorithm, JwtKey};
    /// // The Ed25519 key of RFC 8037 §A.2: the algorithm follows from the curve.
    /// let jwk = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    /// let key = JwtKey::from_jwk(jwk)?;
    /// assert_eq!((key.algorithm(), key.kid()), (Algorithm::EdDSA, Some("ed-1")));
    /// // An encryption key is not a signature key.
    /// assert!(JwtKey::from_jwk(&jwk.replace(r#""kid""#, r#""use":"enc","kid""#)).is_err());
    /// // Nor is a key whose operations do not include "verify".
    /// assert!(JwtKey::from_jwk(&jwk.replace(r#""kid""#, r#""key_ops":["sign"],"kid""#)).is_err());
    /// assert!(JwtKey::from_jwk(&jwk.replace(r#""kid""#, r#""key_ops":["verify"],"kid""#)).is_ok());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn from_jwk(json: &str) -> Result<Self, ConfigError> {
        let jwk: Jwk =
            serde_json::from_str(json).map_err(|e| ConfigError::BadJwk(e.to_string()))?;
        Self::from_parsed_jwk(&jwk)
    }

    pub(crate) fn from_parsed_jwk(jwk: &Jwk) -> Result<Self, ConfigError> {
        if jwk
            .common
            .public_key_use
            .as_ref()
            .is_some_and(|u| *u != PublicKeyUse::Signature)
        {
            return Err(ConfigError::BadJwk("its \"use\" is not \"sig\"".into()));
        }
        if jwk
            .common
            .key_operations
            .as_ref()
            .is_some_and(|ops| !ops.contains(&KeyOperations::Verify))
        {
            return Err(ConfigError::BadJwk(
                "its \"key_ops\" does not include \"verify\"".into(),
            ));
        }
        let declared = match jwk.common.key_algorithm {
            Some(a) => Some(
                serde_json::to_value(a)
                    .ok()
                    .and_then(|v| v.as_str().and_then(algorithm_from_header))
                    .ok_or_else(|| {
                        ConfigError::BadJwk("its \"alg\" is not a JWS algorithm".into())
                    })?,
            ),
            None => None,
        };
        let implied = match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(p) => match p.curve {
                EllipticCurve::P256 => Some(Algorithm::ES256),
                EllipticCurve::P384 => Some(Algorithm::ES384),
                _ => return Err(ConfigError::BadJwk("unsupported EC curve".into())),
            },
            AlgorithmParameters::OctetKeyPair(p) => match p.curve {
                EllipticCurve::Ed25519 => Some(Algorithm::EdDSA),
                _ => return Err(ConfigError::BadJwk("unsupported OKP curve".into())),
            },
            _ => None,
        };
        let alg = match (declared, implied) {
            (Some(d), Some(i)) if d != i => {
                return Err(ConfigError::BadJwk(
                    "its \"alg\" does not match its curve".into(),
                ));
            }
            (Some(a), _) | (None, Some(a)) => a,
            (None, None) => {
                return Err(ConfigError::BadJwk(
                    "an RSA or oct JWK must name its \"alg\"".into(),
                ));
            }
        };
        let family_ok = matches!(
            (&jwk.algorithm, alg.family()),
            (AlgorithmParameters::RSA(_), AlgorithmFamily::Rsa)
                | (AlgorithmParameters::EllipticCurve(_), AlgorithmFamily::Ec)
                | (AlgorithmParameters::OctetKeyPair(_), AlgorithmFamily::Ed)
                | (AlgorithmParameters::OctetKey(_), AlgorithmFamily::Hmac)
        );
        if !family_ok {
            return Err(ConfigError::BadJwk(
                "its \"alg\" does not match its key type".into(),
            ));
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|e| bad_key(alg, e))?;
        if alg.family() == AlgorithmFamily::Hmac {
            let secret = key.try_get_as_bytes().map_err(|e| bad_key(alg, e))?;
            // Re-check through the one constructor that owns the length rule.
            let mut checked = Self::hmac(alg, secret)?;
            checked.kid = jwk.common.key_id.clone();
            return Ok(checked);
        }
        Ok(JwtKey {
            alg,
            kid: jwk.common.key_id.clone(),
            key,
            hmac: None,
        })
    }

    /// Every usable signature key of a JWKS document (RFC 7517 §5), for a key set kept in a file
    /// or in configuration (no feature needed). The same rules as a fetched
    /// [`KeySet`](crate::KeySet) (feature `jwks`): `use` other than `sig`, `key_ops` without
    /// `verify` and `oct` keys are skipped, RSA keys without `alg` verify RS256; a document with
    /// no usable key is refused.
    ///
    /// ```
    /// use auth_core::JwtKey;
    /// assert!(JwtKey::from_jwk_set(r#"{"keys":[]}"#).is_err());
    /// let ed = r#"{"kty":"OKP","crv":"Ed25519","kid":"ed-1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    /// let signing_only = ed.replace(r#""kid":"ed-1""#, r#""kid":"ed-2","key_ops":["sign"]"#);
    /// let keys = JwtKey::from_jwk_set(&format!(r#"{{"keys":[{ed},{signing_only}]}}"#)).unwrap();
    /// assert_eq!(keys.iter().map(|k| k.kid()).collect::<Vec<_>>(), [Some("ed-1")]); // ed-2 skipped
    /// ```
    pub fn from_jwk_set(json: &str) -> Result<Vec<Self>, ConfigError> {
        parse_jwks(json.as_bytes(), &[Algorithm::RS256]).map_err(ConfigError::BadJwk)
    }

    /// Names the key: a token whose header has this `kid` is verified with this key only.
    /// A key without a `kid` is tried for tokens of its algorithm whatever their `kid`.
    ///
    /// ```
    /// use auth_core::{Algorithm, JwtKey};
    /// let key = JwtKey::hmac(Algorithm::HS256, b"an HS256 secret of 32 bytes or more")?.with_kid("2026-11");
    /// assert_eq!(key.kid(), Some("2026-11"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The one algorithm this key verifies.
    ///
    /// ```
    /// use auth_core::{Algorithm, JwtKey};
    /// let key = JwtKey::hmac(Algorithm::HS512, &[1; 64])?;
    /// assert_eq!(key.algorithm(), Algorithm::HS512);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key's `kid`, if named.
    ///
    /// ```
    /// use auth_core::{Algorithm, JwtKey};
    /// let key = JwtKey::hmac(Algorithm::HS256, &[1; 32])?;
    /// assert_eq!(key.kid(), None);
    /// assert_eq!(key.with_kid("k1").kid(), Some("k1"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

/// The usable signature keys of a JWKS document. Keys with `use` other than `sig`, symmetric
/// (`oct`) keys — a published HMAC key would let anyone sign — and keys we cannot read are
/// skipped; a document with none left is refused.
pub(crate) fn parse_jwks(body: &[u8], rsa_algorithms: &[Algorithm]) -> Result<Vec<JwtKey>, String> {
    let doc: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let entries = doc
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("no \"keys\" array")?;
    let mut keys = Vec::new();
    for entry in entries {
        let Some(object) = entry.as_object() else {
            continue;
        };
        if object.get("use").is_some_and(|u| u != "sig")
            || object.get("kty").is_some_and(|k| k == "oct")
        {
            continue;
        }
        let mut entry = entry.clone();
        // RFC 9864's fully-specified name for EdDSA over Ed25519.
        if entry.get("alg").is_some_and(|a| a == "Ed25519") {
            entry["alg"] = Value::from("EdDSA");
        }
        let algorithms: Vec<Option<Algorithm>> =
            if entry.get("alg").is_none() && entry.get("kty").is_some_and(|k| k == "RSA") {
                rsa_algorithms.iter().copied().map(Some).collect()
            } else {
                vec![None]
            };
        for alg in algorithms {
            let mut candidate = entry.clone();
            if let Some(alg) = alg {
                candidate["alg"] = Value::from(format!("{alg:?}"));
            }
            let parsed = serde_json::from_value::<Jwk>(candidate)
                .map_err(|e| e.to_string())
                .and_then(|jwk| JwtKey::from_parsed_jwk(&jwk).map_err(|e| e.to_string()));
            match parsed {
                Ok(key) => keys.push(key),
                Err(e) => {
                    tracing::warn!(target: crate::audit::TARGET, kid = ?entry.get("kid"), error = %e, "skipping an unusable key of the key set")
                }
            }
        }
    }
    if keys.is_empty() {
        return Err("no usable signature key".into());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The precomputed HMAC path answers exactly as `jsonwebtoken`'s own check does.
    #[test]
    fn precomputed_hmac_keys_verify_like_jsonwebtoken() {
        let secret = [7u8; 64];
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let key = JwtKey::hmac(alg, &secret).unwrap_or_else(|e| panic!("{e}"));
            let other = JwtKey::hmac(alg, &[8u8; 64]).unwrap_or_else(|e| panic!("{e}"));
            let message = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0";
            let encoding = jsonwebtoken::EncodingKey::from_secret(&secret);
            let signature = jsonwebtoken::crypto::sign(message, &encoding, alg)
                .unwrap_or_else(|e| panic!("{e}"));
            let by_jsonwebtoken = |m: &[u8], s: &str| {
                jsonwebtoken::crypto::verify(s, m, &key.key, alg).unwrap_or(false)
            };
            let mut tampered = signature.clone().into_bytes();
            tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(tampered).unwrap_or_default();
            let too_long = format!("{signature}{signature}");
            let cases: [(&[u8], &str); 5] = [
                (message, &signature),
                (b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiIn0", &signature),
                (message, &tampered),
                (message, &too_long),
                (message, "not base64url!"),
            ];
            for (m, s) in cases {
                assert_eq!(
                    key.verifies(alg, m, s),
                    by_jsonwebtoken(m, s),
                    "{alg:?} {s}"
                );
            }
            assert!(key.verifies(alg, message, &signature));
            assert!(!other.verifies(alg, message, &signature));
        }
    }
}
