//! DPoP (RFC 9449): the settings of [`Dpop`] and the check of one proof (§4.3), before the
//! access token it accompanies is verified by the Bearer verifier and its binding by
//! `crate::binding`.
//!
//! Every check of §4.3 is here, in its order, each refusal `invalid_dpop_proof` (§7.1) and its
//! cause in the audit log: one `DPoP` field; a compact JWS of at most 8 KiB; header members
//! unique, `typ` `dpop+jwt`, `alg` in the configured allow-list (asymmetric only: the builder
//! refuses any other), a public `jwk` of the key type and curve `alg` names with no private
//! member, no `crit`; the signature by that key; payload members unique, `jti` a string of at
//! most 256 bytes, `htm` exactly the request method, `htu` the configured public origin plus
//! the request path (compared after RFC 3986 §6.2.2–6.2.3 normalisation, query and fragment
//! ignored, never a `Host` header), `iat` within the window, `exp` (if any) not past, `ath` the
//! hash of the access token; then the server nonce, when required (`use_dpop_nonce`). The
//! `jti` is recorded by the caller only after the token and its binding passed too.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::claims::UniqueObject;
use super::dpop_nonce::DpopNonces;
use super::dpop_replay::{MemoryProofs, ProofId, ProofReplayStore};
use crate::error::ConfigError;
use crate::rejection::{ErrorCode, Reason};

/// The most bytes a proof may have: far above any real one (an RS256 proof with a 4096-bit
/// key is about 1.5 KiB), checked before anything is decoded.
const MAX_PROOF_LEN: usize = 8 * 1024;

/// The most bytes a `jti` may have (RFC 9449 asks for 96 bits of randomness: 16 characters).
const MAX_JTI_LEN: usize = 256;

/// The algorithms a proof may be signed with by default: the asymmetric ones RFC 9449 clients
/// use, strongest-supported first.
const DEFAULT_ALGORITHMS: [Algorithm; 5] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::PS256,
    Algorithm::RS256,
];

/// How an application rolls DPoP out ([`DpopBuilder::mode`]).
///
/// ```
/// use auth_core::DpopMode;
/// assert_eq!(DpopMode::default(), DpopMode::Allowed);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DpopMode {
    /// DPoP is not accepted anywhere: endpoints declaring `"bearer | dpop"` accept Bearer only,
    /// and a DPoP-bound token is refused everywhere (it can never be a bearer token).
    Off,
    /// Each endpoint accepts what it declares: `"bearer | dpop"` both, `"dpop"` DPoP only.
    #[default]
    Allowed,
    /// Every endpoint that accepts Bearer accepts DPoP instead: bearer tokens are refused
    /// across the application, and the resource metadata says
    /// `dpop_bound_access_tokens_required`.
    Required,
}

/// The DPoP settings of an application: where proofs must point (`htu`), which algorithms
/// they may use, their window, server nonces, and where used proofs are remembered. Register
/// them with [`AuthConfigBuilder::dpop`](crate::AuthConfigBuilder::dpop), beside a Bearer
/// verifier (which verifies the access tokens).
///
/// ```
/// use std::time::Duration;
/// use auth_core::{Algorithm, Dpop, DpopMode, DpopNonces};
/// let dpop = Dpop::builder("https://api.example.com")
///     .algorithms(&[Algorithm::ES256, Algorithm::EdDSA])
///     .window(Duration::from_secs(60), Duration::from_secs(5))
///     .nonces(DpopNonces::new(b"a nonce secret shared by the fleet")?)
///     .mode(DpopMode::Required)
///     .build()?;
/// assert_eq!(dpop.algs(), "ES256 EdDSA Ed25519");
/// assert_eq!(dpop.mode(), DpopMode::Required);
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Dpop {
    inner: Arc<Inner>,
}

struct Inner {
    origin: Origin,
    algorithms: Vec<Algorithm>,
    algs: String,
    max_age: u64,
    leeway: u64,
    nonces: Option<DpopNonces>,
    replay: Arc<dyn ProofReplayStore>,
    mode: DpopMode,
}

impl fmt::Debug for Dpop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dpop")
            .field("origin", &self.inner.origin.text)
            .field("algs", &self.inner.algs)
            .field("max_age", &self.inner.max_age)
            .field("leeway", &self.inner.leeway)
            .field("nonces", &self.inner.nonces.is_some())
            .field("replay", &self.inner.replay)
            .field("mode", &self.inner.mode)
            .finish()
    }
}

/// Configures a [`Dpop`].
///
/// ```
/// use auth_core::Dpop;
/// // The origin clients dial: scheme, host and port only.
/// assert!(Dpop::builder("http://127.0.0.1:8080").build().is_ok());
/// assert!(Dpop::builder("https://api.example.com/v1").build().is_err());
/// assert!(Dpop::builder("api.example.com").build().is_err());
/// ```
pub struct DpopBuilder {
    origin: String,
    algorithms: Vec<Algorithm>,
    max_age: Duration,
    leeway: Duration,
    nonces: Option<DpopNonces>,
    replay: Option<Arc<dyn ProofReplayStore>>,
    mode: DpopMode,
}

impl fmt::Debug for DpopBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopBuilder")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Dpop {
    /// Starts DPoP settings for a resource clients reach at `public_origin` (`https://host[:port]`,
    /// or `http://` for loopback and tests): each proof's `htu` must be this origin plus the
    /// request's path. It is configuration, never the request's `Host` header, which a client
    /// chooses.
    ///
    /// ```
    /// use auth_core::{Dpop, DpopMode};
    /// let dpop = Dpop::builder("https://API.example.com:443").build()?;
    /// assert_eq!(dpop.public_origin(), "https://api.example.com");
    /// assert_eq!(dpop.mode(), DpopMode::Allowed);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn builder(public_origin: impl Into<String>) -> DpopBuilder {
        DpopBuilder {
            origin: public_origin.into(),
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            max_age: Duration::from_secs(60),
            leeway: Duration::from_secs(60),
            nonces: None,
            replay: None,
            mode: DpopMode::Allowed,
        }
    }

    /// The `algs` of the DPoP challenge and the metadata's `dpop_signing_alg_values_supported`:
    /// the allowed algorithms, space-separated.
    ///
    /// ```
    /// use auth_core::Dpop;
    /// assert_eq!(Dpop::builder("https://a.example").build()?.algs(), "ES256 ES384 EdDSA Ed25519 PS256 RS256");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn algs(&self) -> &str {
        &self.inner.algs
    }

    /// The allowed proof algorithms.
    ///
    /// ```
    /// use auth_core::{Algorithm, Dpop};
    /// let dpop = Dpop::builder("https://a.example").algorithms(&[Algorithm::EdDSA]).build()?;
    /// assert_eq!(dpop.algorithms(), [Algorithm::EdDSA]);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.inner.algorithms
    }

    /// The rollout mode.
    ///
    /// ```
    /// use auth_core::{Dpop, DpopMode};
    /// let dpop = Dpop::builder("https://a.example").mode(DpopMode::Off).build()?;
    /// assert_eq!(dpop.mode(), DpopMode::Off);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn mode(&self) -> DpopMode {
        self.inner.mode
    }

    /// The public origin proofs must point to, normalised.
    ///
    /// ```
    /// use auth_core::Dpop;
    /// assert_eq!(Dpop::builder("http://127.0.0.1:8080/").build()?.public_origin(), "http://127.0.0.1:8080");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn public_origin(&self) -> &str {
        &self.inner.origin.text
    }

    /// The server nonces, if proofs must carry one.
    ///
    /// ```
    /// use auth_core::{Dpop, DpopNonces};
    /// assert!(Dpop::builder("https://a.example").build()?.nonces().is_none());
    /// let with = Dpop::builder("https://a.example").nonces(DpopNonces::random()?).build()?;
    /// assert!(with.nonces().is_some());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn nonces(&self) -> Option<&DpopNonces> {
        self.inner.nonces.as_ref()
    }

    pub(crate) fn replay(&self) -> &Arc<dyn ProofReplayStore> {
        &self.inner.replay
    }

    /// Checks the proof of `req` for `access_token` at the Unix second `now`: everything of
    /// RFC 9449 §4.3 but the replay memory, which the caller writes once the token is verified.
    pub(crate) fn check(
        &self,
        req: &HttpRequest,
        access_token: &str,
        now: u64,
    ) -> Result<CheckedProof, (ErrorCode, Reason)> {
        let invalid = |why| (ErrorCode::InvalidDpopProof, Reason::InvalidProof(why));
        let mut fields = req.headers().get_all("dpop");
        let proof = match (fields.next(), fields.next()) {
            (Some(one), None) => one.to_str().map_err(|_| invalid("not ASCII"))?,
            (None, _) => return Err(invalid("no DPoP field")),
            (Some(_), Some(_)) => return Err(invalid("more than one DPoP field")),
        };
        if proof.len() > MAX_PROOF_LEN {
            return Err(invalid("longer than 8 KiB"));
        }
        let mut parts = proof.split('.');
        let (Some(header_b64), Some(payload_b64), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("not a compact JWS"));
        };
        if signature.is_empty() {
            return Err(invalid("no signature"));
        }
        let header = decode_object(header_b64)
            .ok_or_else(|| invalid("header is not a JSON object with unique members"))?;
        let typ = header.get("typ").and_then(Value::as_str);
        // RFC 7515 §4.1.9: a `typ` without `/` stands for `application/…`.
        let typ = typ.map(|t| {
            t.get(..12)
                .filter(|p| p.eq_ignore_ascii_case("application/"))
                .map_or(t, |_| &t[12..])
        });
        if !typ.is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")) {
            return Err(invalid("typ is not dpop+jwt"));
        }
        if header.contains_key("crit") {
            return Err(invalid("crit names an extension we do not implement"));
        }
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(super::keys::algorithm_from_header)
            .filter(|a| self.inner.algorithms.contains(a))
            .ok_or_else(|| invalid("alg is not an allowed asymmetric algorithm"))?;
        let jwk = header
            .get("jwk")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("no jwk header member"))?;
        let key = ProofKey::read(jwk, alg).map_err(invalid)?;
        // The claims checks that can only refuse come before the signature: they cost less
        // than an RSA or ECDSA verification, so a flood of junk proofs is refused cheaply.
        let claims = decode_object(payload_b64)
            .ok_or_else(|| invalid("payload is not a JSON object with unique members"))?;
        let text = |name| claims.get(name).and_then(Value::as_str);
        let jti = text("jti")
            .filter(|j| !j.is_empty() && j.len() <= MAX_JTI_LEN)
            .ok_or_else(|| invalid("jti is missing, empty or longer than 256 bytes"))?;
        if text("htm") != Some(req.method().as_str()) {
            return Err(invalid("htm is not the request method"));
        }
        let htu = text("htu").ok_or_else(|| invalid("no htu"))?;
        if !self.inner.origin.matches(htu, req.uri().path()) {
            return Err(invalid("htu is not this resource's URL"));
        }
        let iat = claims
            .get("iat")
            .and_then(Value::as_f64)
            .filter(|t| t.is_finite())
            .ok_or_else(|| invalid("iat is missing or not a number"))?;
        let (now_f, max_age, leeway) = (
            now as f64,
            self.inner.max_age as f64,
            self.inner.leeway as f64,
        );
        if iat > now_f + leeway {
            return Err(invalid("iat is in the future beyond the leeway"));
        }
        if iat < now_f - max_age {
            return Err(invalid("iat is older than the proof window"));
        }
        if let Some(exp) = claims.get("exp") {
            match exp.as_f64() {
                Some(exp) if exp.is_finite() && exp + leeway > now_f => {}
                _ => return Err(invalid("exp is past or not a number")),
            }
        }
        let ath = URL_SAFE_NO_PAD.encode(Sha256::digest(access_token.as_bytes()));
        if text("ath") != Some(ath.as_str()) {
            return Err(invalid("ath is not the hash of this access token"));
        }
        let message = &proof[..header_b64.len() + 1 + payload_b64.len()];
        let verified =
            jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key.decoding, alg);
        if !matches!(verified, Ok(true)) {
            return Err(invalid("the signature does not verify with its jwk"));
        }
        if let Some(nonces) = &self.inner.nonces
            && !text("nonce").is_some_and(|n| nonces.accepts_at(n, now))
        {
            return Err((ErrorCode::UseDpopNonce, Reason::MissingNonce));
        }
        // Remembered as long as the proof could be accepted, on this instance or on one whose
        // clock runs up to the leeway behind: until `iat` leaves every such window.
        let expires =
            (iat.max(0.0) as u64).saturating_add(self.inner.max_age + self.inner.leeway + 1);
        Ok(CheckedProof {
            id: ProofId::new(&key.thumbprint, jti),
            thumbprint: key.thumbprint,
            expires,
        })
    }
}

impl DpopBuilder {
    /// The algorithms proofs may be signed with (default: ES256, ES384, EdDSA, PS256, RS256).
    /// An HMAC algorithm is refused by [`DpopBuilder::build`]: a proof proves possession of a
    /// private key (RFC 9449 §4.2).
    ///
    /// ```
    /// use auth_core::{Algorithm, Dpop};
    /// assert!(Dpop::builder("https://a.example").algorithms(&[Algorithm::HS256]).build().is_err());
    /// assert!(Dpop::builder("https://a.example").algorithms(&[]).build().is_err());
    /// ```
    pub fn algorithms(mut self, algorithms: &[Algorithm]) -> Self {
        self.algorithms = algorithms.to_vec();
        self
    }

    /// How old a proof's `iat` may be (default 60 s), and how far in the future, for clock
    /// skew (default 60 s). Used proofs are remembered for `max_age`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::Dpop;
    /// let dpop = Dpop::builder("https://a.example").window(Duration::from_secs(30), Duration::from_secs(5)).build();
    /// assert!(dpop.is_ok());
    /// // A window of more than a day is refused: the replay memory would grow with it.
    /// assert!(Dpop::builder("https://a.example").window(Duration::from_secs(90_000), Duration::ZERO).build().is_err());
    /// ```
    pub fn window(mut self, max_age: Duration, leeway: Duration) -> Self {
        self.max_age = max_age;
        self.leeway = leeway;
        self
    }

    /// Requires server nonces (RFC 9449 §9): a proof without a current one is refused with
    /// `use_dpop_nonce` and a fresh `DPoP-Nonce`, which also rides on every DPoP challenge.
    ///
    /// ```
    /// use auth_core::{Dpop, DpopNonces};
    /// let dpop = Dpop::builder("https://a.example").nonces(DpopNonces::random()?).build()?;
    /// assert!(dpop.nonces().is_some());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn nonces(mut self, nonces: DpopNonces) -> Self {
        self.nonces = Some(nonces);
        self
    }

    /// Where used proofs are remembered (default: [`MemoryProofs`], this process; a
    /// [`RedisStore`](crate::redis_store::RedisStore) shares them across a fleet).
    ///
    /// ```
    /// use auth_core::verify::dpop_replay::MemoryProofs;
    /// use auth_core::Dpop;
    /// let dpop = Dpop::builder("https://a.example").replay_store(MemoryProofs::with_capacity(10_000)).build();
    /// assert!(dpop.is_ok());
    /// ```
    pub fn replay_store(mut self, store: impl ProofReplayStore) -> Self {
        self.replay = Some(Arc::new(store));
        self
    }

    /// [`DpopBuilder::replay_store`] with a store already shared.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use auth_core::verify::dpop_replay::{MemoryProofs, ProofReplayStore};
    /// use auth_core::Dpop;
    /// let shared: Arc<dyn ProofReplayStore> = Arc::new(MemoryProofs::new());
    /// assert!(Dpop::builder("https://a.example").shared_replay_store(shared).build().is_ok());
    /// ```
    pub fn shared_replay_store(mut self, store: Arc<dyn ProofReplayStore>) -> Self {
        self.replay = Some(store);
        self
    }

    /// The rollout mode (default [`DpopMode::Allowed`]).
    ///
    /// ```
    /// use auth_core::{Dpop, DpopMode};
    /// assert_eq!(Dpop::builder("https://a.example").mode(DpopMode::Required).build()?.mode(), DpopMode::Required);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn mode(mut self, mode: DpopMode) -> Self {
        self.mode = mode;
        self
    }

    /// Checks the settings.
    ///
    /// ```
    /// use auth_core::Dpop;
    /// assert!(Dpop::builder("https://user@a.example").build().is_err());
    /// assert!(Dpop::builder("https://a.example?x=1").build().is_err());
    /// ```
    pub fn build(self) -> Result<Dpop, ConfigError> {
        let invalid = |what, detail: &str| ConfigError::InvalidSetting {
            what,
            detail: detail.into(),
        };
        let origin = Origin::parse(&self.origin).ok_or_else(|| {
            invalid(
                "DPoP public origin",
                "must be an http(s) origin: scheme, host and optional port, nothing else",
            )
        })?;
        if self.algorithms.is_empty() {
            return Err(invalid("DPoP algorithms", "at least one is needed"));
        }
        if let Some(symmetric) = self
            .algorithms
            .iter()
            .find(|a| matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
        {
            return Err(ConfigError::InvalidSetting {
                what: "DPoP algorithms",
                detail: format!("{symmetric:?} is symmetric; a proof needs a private key"),
            });
        }
        if self.max_age > Duration::from_secs(86_400) || self.leeway > Duration::from_secs(3_600) {
            return Err(invalid(
                "DPoP window",
                "max_age is at most a day and leeway at most an hour",
            ));
        }
        // Proofs are verified on aws-lc-rs, whatever other crates install (as `JwtVerifier`).
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER,
        );
        let mut algorithms: Vec<Algorithm> = Vec::new();
        for alg in self.algorithms {
            if !algorithms.contains(&alg) {
                algorithms.push(alg);
            }
        }
        // EdDSA over Ed25519 has two names: RFC 8037's and RFC 9864's fully-specified one
        // (oauth4webapi writes the latter); both are offered, and both accepted.
        let algs = algorithms
            .iter()
            .map(|a| match a {
                Algorithm::EdDSA => "EdDSA Ed25519".to_owned(),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Dpop {
            inner: Arc::new(Inner {
                origin,
                algs,
                algorithms,
                max_age: self.max_age.as_secs(),
                leeway: self.leeway.as_secs(),
                nonces: self.nonces,
                replay: self.replay.unwrap_or_else(|| Arc::new(MemoryProofs::new())),
                mode: self.mode,
            }),
        })
    }
}

/// A proof that passed every check of §4.3 but the replay memory.
#[derive(Debug)]
pub(crate) struct CheckedProof {
    /// The RFC 7638 thumbprint of its key: what `cnf.jkt` must be.
    pub(crate) thumbprint: String,
    /// Its identity in the replay memory.
    pub(crate) id: ProofId,
    /// When it leaves the window, in Unix seconds.
    pub(crate) expires: u64,
}

/// The public key of a proof, read from its `jwk` header member.
struct ProofKey {
    decoding: DecodingKey,
    /// RFC 7638 thumbprint: base64url(SHA-256(the required members, in order, no spaces)).
    thumbprint: String,
}

impl ProofKey {
    fn read(jwk: &Map<String, Value>, alg: Algorithm) -> Result<ProofKey, &'static str> {
        const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
        if PRIVATE.iter().any(|m| jwk.contains_key(*m)) {
            return Err("jwk holds private key material");
        }
        let member = |name| {
            jwk.get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty() && URL_SAFE_NO_PAD.decode(v).is_ok())
        };
        let kty = jwk.get("kty").and_then(Value::as_str);
        let crv = jwk.get("crv").and_then(Value::as_str);
        let (decoding, canonical) = match (alg, kty, crv) {
            (Algorithm::ES256, Some("EC"), Some("P-256"))
            | (Algorithm::ES384, Some("EC"), Some("P-384")) => {
                let (Some(x), Some(y), Some(crv)) = (member("x"), member("y"), crv) else {
                    return Err("jwk lacks x or y");
                };
                let key =
                    DecodingKey::from_ec_components(x, y).map_err(|_| "jwk is not an EC key")?;
                (
                    key,
                    format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#),
                )
            }
            (Algorithm::EdDSA, Some("OKP"), Some("Ed25519")) => {
                let Some(x) = member("x") else {
                    return Err("jwk lacks x");
                };
                let key =
                    DecodingKey::from_ed_components(x).map_err(|_| "jwk is not an Ed25519 key")?;
                (key, format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#))
            }
            (
                Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512,
                Some("RSA"),
                _,
            ) => {
                let (Some(n), Some(e)) = (member("n"), member("e")) else {
                    return Err("jwk lacks n or e");
                };
                let bits = URL_SAFE_NO_PAD.decode(n).map_or(0, |n| {
                    let first = n.iter().position(|b| *b != 0).unwrap_or(n.len());
                    (n.len() - first) * 8
                });
                // At most 4096 bits: an 8192-bit key costs a verification any client could
                // make the server run before it is refused.
                if !(2048..=4096).contains(&bits) {
                    return Err("RSA jwk not between 2048 and 4096 bits");
                }
                let key =
                    DecodingKey::from_rsa_components(n, e).map_err(|_| "jwk is not an RSA key")?;
                (key, format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#))
            }
            _ => return Err("jwk is not a key of the kind alg names"),
        };
        Ok(ProofKey {
            decoding,
            thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())),
        })
    }
}

/// The base64url-encoded JSON object `part`, refusing duplicate members.
fn decode_object(part: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice::<UniqueObject>(&bytes)
        .ok()
        .map(|o| o.0)
}

/// The configured public origin, parsed once.
struct Origin {
    /// As written in challenges and documents: `scheme://host[:port]`, normalised.
    text: String,
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl Origin {
    fn parse(text: &str) -> Option<Origin> {
        let url = url::Url::parse(text).ok()?;
        let plain = matches!(url.scheme(), "http" | "https")
            && url.username().is_empty()
            && url.password().is_none()
            && url.path() == "/"
            && url.query().is_none()
            && url.fragment().is_none();
        let host = url.host_str()?.to_owned();
        if !plain {
            return None;
        }
        let mut normal = format!("{}://{host}", url.scheme());
        if let Some(port) = url.port() {
            normal.push_str(&format!(":{port}"));
        }
        Some(Origin {
            text: normal,
            scheme: url.scheme().to_owned(),
            host,
            port: url.port_or_known_default(),
        })
    }

    /// Whether `htu` names this origin and the request's raw `path` (RFC 9449 §4.3 item 9:
    /// query and fragment ignored; RFC 3986 §6.2.2–6.2.3 normalisation).
    ///
    /// `htu` is normalised in full (it is the client's text); the request path only in its
    /// percent-encoding, never in its segments: the router matches the raw path, so a request
    /// whose path holds a dot segment or a backslash (which a URL parser would resolve into
    /// another path than the one routed) is never matched to any proof.
    fn matches(&self, htu: &str, path: &str) -> bool {
        let Ok(htu) = url::Url::parse(htu) else {
            return false;
        };
        let path = normal_path(path);
        let plain = path.starts_with('/')
            && !path.contains('\\')
            && !path.split('/').any(|segment| {
                segment == "."
                    || segment == ".."
                    || segment.eq_ignore_ascii_case("%2e%2e")
                    || segment.eq_ignore_ascii_case("%2e")
            });
        plain
            && htu.scheme() == self.scheme
            && htu.username().is_empty()
            && htu.password().is_none()
            && htu.host_str() == Some(self.host.as_str())
            && htu.port_or_known_default() == self.port
            && normal_path(htu.path()) == path
    }
}

/// A path with percent-encodings normalised (RFC 3986 §6.2.2.1–6.2.2.2): unreserved
/// characters decoded, the other escapes in upper case.
fn normal_path(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = path.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
                out.push(char::from(byte));
            } else {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
            }
            i += 3;
            continue;
        }
        out.push(char::from(bytes[i]));
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(text: &str) -> Origin {
        Origin::parse(text).unwrap()
    }

    #[test]
    fn htu_is_normalised_before_comparison() {
        let o = origin("https://api.example.com");
        assert!(o.matches("https://api.example.com/orders", "/orders"));
        assert!(o.matches("HTTPS://API.EXAMPLE.COM:443/orders", "/orders"));
        assert!(o.matches("https://api.example.com/orders?page=2#top", "/orders"));
        assert!(o.matches("https://api.example.com/a/../orders", "/orders"));
        assert!(o.matches("https://api.example.com/%6Frders", "/orders"));
        assert!(o.matches("https://api.example.com/a%2fb", "/a%2Fb"));
        assert!(o.matches("https://api.example.com", "/"));
        assert!(
            !o.matches("https://api.example.com/Orders", "/orders"),
            "paths are case-sensitive"
        );
        assert!(
            !o.matches("https://api.example.com/a%2Fb", "/a/b"),
            "an encoded slash is not a slash"
        );
        assert!(!o.matches("http://api.example.com/orders", "/orders"));
        assert!(!o.matches("https://api.example.com:8443/orders", "/orders"));
        assert!(!o.matches("https://evil.example.com/orders", "/orders"));
        assert!(!o.matches("https://user@api.example.com/orders", "/orders"));
        assert!(!o.matches("/orders", "/orders"), "relative");
        assert!(!o.matches("https://api.example.com/orders/", "/orders"));
        // The request path is taken as routed: dot segments and backslashes match nothing.
        for routed in [
            "/shops/../orders",
            "/x/%2e%2e/orders",
            "/x/.%2E/orders",
            "/./orders",
            "/a\\..\\orders",
            "*",
            "",
        ] {
            assert!(
                !o.matches("https://api.example.com/orders", routed),
                "{routed}"
            );
        }
    }

    #[test]
    fn origins_are_origins() {
        assert_eq!(
            origin("http://127.0.0.1:8080").text,
            "http://127.0.0.1:8080"
        );
        assert_eq!(origin("https://A.example:443/").text, "https://a.example");
        for bad in [
            "ftp://a.example",
            "https://a.example/x",
            "https://a.example?q",
            "https://a.example#f",
            "a.example",
            "https://u:p@a.example",
        ] {
            assert!(Origin::parse(bad).is_none(), "{bad}");
        }
    }
}
