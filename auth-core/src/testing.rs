//! Helpers for testing your own handlers (feature `testing`; add it to `[dev-dependencies]`):
//! a test key that mints tokens, an `App` with authentication configured in one line, and
//! assertions that a response is the spec-exact refusal.
//!
//! ```
//! use actix_web::{get, test};
//! use auth_core::testing::{TestAuth, assert_insufficient_scope, assert_unauthorized};
//! use auth_core::{require_auth, Principal};
//!
//! #[require_auth(scheme = "bearer", scope = "orders:read")]
//! #[get("/orders")]
//! async fn list_orders(user: Principal) -> String {
//!     user.subject().unwrap_or("?").to_owned()
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let auth = TestAuth::new();
//! let app = test::init_service(auth.app().service(list_orders)).await;
//!
//! let res = test::call_service(&app, test::TestRequest::get().uri("/orders").to_request()).await;
//! assert_unauthorized(res).await;
//!
//! let req = test::TestRequest::get().uri("/orders").insert_header(auth.bearer(&["orders:write"]));
//! assert_insufficient_scope(test::call_service(&app, req.to_request()).await, "orders:read").await;
//!
//! let req = test::TestRequest::get().uri("/orders").insert_header(auth.bearer(&["orders:read"]));
//! assert_eq!(test::call_and_read_body(&app, req.to_request()).await, "test-user");
//! # });
//! ```
//!
//! The helpers panic with a message saying what differs: they are for tests only.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::body::BoxBody;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName};
use actix_web::{App, test};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{AlgorithmFamily, EncodingKey, Header};
use serde_json::{Map, Value, json};

use crate::challenge::{Challenge, parse};
use crate::{Algorithm, AuthConfig, JwtKey, JwtVerifier};

/// The HS256 secret of [`TestAuth`]. Public by design: never configure it outside tests.
///
/// ```
/// use auth_core::testing::{TestAuth, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET};
/// use auth_core::{Algorithm, JwtKey, JwtVerifier};
///
/// let verifier = JwtVerifier::builder()
///     .key(JwtKey::hmac(Algorithm::HS256, TEST_SECRET)?)
///     .issuer(TEST_ISSUER)
///     .audience(TEST_AUDIENCE)
///     .build()?;
/// assert!(verifier.verify_now(&TestAuth::new().token(&[])).is_ok());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const TEST_SECRET: &[u8] = b"auth-core testing secret: never use this in production";
/// The issuer of test tokens.
///
/// ```
/// # use auth_core::{Algorithm, JwtKey, JwtVerifier};
/// use auth_core::testing::{TestAuth, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET};
/// # let key = JwtKey::hmac(Algorithm::HS256, TEST_SECRET)?;
/// let verifier = JwtVerifier::builder().key(key).issuer(TEST_ISSUER).audience(TEST_AUDIENCE).build()?;
/// let user = verifier.verify_now(&TestAuth::new().token(&[])).unwrap();
/// assert_eq!(user.claim("iss").unwrap(), TEST_ISSUER);
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const TEST_ISSUER: &str = "https://issuer.test";
/// The audience of test tokens.
///
/// ```
/// # use auth_core::{Algorithm, JwtKey, JwtVerifier};
/// use auth_core::testing::{TestAuth, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET};
/// # let key = || JwtKey::hmac(Algorithm::HS256, TEST_SECRET);
/// let token = TestAuth::new().token(&[]);
/// let ours = JwtVerifier::builder().key(key()?).issuer(TEST_ISSUER).audience(TEST_AUDIENCE).build()?;
/// let other = JwtVerifier::builder().key(key()?).issuer(TEST_ISSUER).audience("other-api").build()?;
/// assert!(ours.verify_now(&token).is_ok());
/// assert!(other.verify_now(&token).is_err());
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const TEST_AUDIENCE: &str = "test-api";
/// The subject of tokens minted without one.
///
/// ```
/// # use auth_core::{Algorithm, JwtKey, JwtVerifier};
/// use auth_core::testing::{TestAuth, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, TEST_SUBJECT};
/// # let key = JwtKey::hmac(Algorithm::HS256, TEST_SECRET)?;
/// let verifier = JwtVerifier::builder().key(key).issuer(TEST_ISSUER).audience(TEST_AUDIENCE).build()?;
/// let user = verifier.verify_now(&TestAuth::new().token(&[])).unwrap();
/// assert_eq!(user.subject(), Some(TEST_SUBJECT));
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
pub const TEST_SUBJECT: &str = "test-user";

/// A test identity provider: an HS256 key, an issuer and an audience, and the matching
/// [`AuthConfig`].
///
/// ```
/// use auth_core::testing::TestAuth;
/// use auth_core::Scheme;
///
/// let auth = TestAuth::new();
/// assert!(auth.config().registered_schemes().contains(Scheme::Bearer));
/// assert_eq!(auth.token(&["orders:read"]).split('.').count(), 3);
/// ```
#[derive(Clone, Debug)]
pub struct TestAuth {
    config: AuthConfig,
    minter: Minter,
}

impl Default for TestAuth {
    fn default() -> Self {
        Self::new()
    }
}

impl TestAuth {
    /// A Bearer-only configuration (realm `api`) verifying tokens of [`TEST_SECRET`],
    /// [`TEST_ISSUER`] and [`TEST_AUDIENCE`].
    ///
    /// ```
    /// use auth_core::testing::TestAuth;
    /// use auth_core::{Scheme, SchemeSet};
    ///
    /// let config = TestAuth::new().config();
    /// assert_eq!(config.realm(), "api");
    /// assert_eq!(config.registered_schemes(), SchemeSet::EMPTY.with(Scheme::Bearer));
    /// ```
    pub fn new() -> Self {
        Self::with(|builder| builder)
    }

    /// The same, with the rest of the configuration (realm, token locations, other schemes…)
    /// set by `configure`.
    ///
    /// ```
    /// use auth_core::testing::TestAuth;
    /// let auth = TestAuth::with(|builder| builder.realm("orders"));
    /// assert_eq!(auth.config().realm(), "orders");
    /// ```
    pub fn with(
        configure: impl FnOnce(crate::AuthConfigBuilder) -> crate::AuthConfigBuilder,
    ) -> Self {
        let verifier = JwtVerifier::builder()
            .key(
                JwtKey::hmac(Algorithm::HS256, TEST_SECRET)
                    .expect("the test secret is long enough"),
            )
            .issuer(TEST_ISSUER)
            .audience(TEST_AUDIENCE)
            .build()
            .expect("the test verifier builds");
        let config = configure(AuthConfig::builder().bearer(verifier))
            .build()
            .expect("the test configuration builds");
        let minter = Minter::hmac(Algorithm::HS256, TEST_SECRET)
            .claim("iss", TEST_ISSUER)
            .claim("aud", TEST_AUDIENCE);
        TestAuth { config, minter }
    }

    /// Its [`Minter`]: HS256 under [`TEST_SECRET`], `iss` [`TEST_ISSUER`] and `aud`
    /// [`TEST_AUDIENCE`] unless given; for tokens [`token`](Self::token) does not make (a header
    /// of your choice, exactly the claims you give).
    ///
    /// ```
    /// use auth_core::testing::{TestAuth, TEST_ISSUER};
    /// let auth = TestAuth::new();
    /// let access = auth.minter().clone().typ("at+jwt").token_with(serde_json::json!({ "sub": "alice" }));
    /// assert_eq!(auth.minter().claims(&[])["iss"], TEST_ISSUER);
    /// assert_eq!(access.split('.').count(), 3);
    /// ```
    pub fn minter(&self) -> &Minter {
        &self.minter
    }

    /// The configuration, to register with `App::app_data`.
    ///
    /// ```
    /// use actix_web::App;
    /// use auth_core::testing::TestAuth;
    ///
    /// let auth = TestAuth::with(|builder| builder.realm("orders"));
    /// assert_eq!(auth.config().realm(), "orders");
    /// let _app = App::new().app_data(auth.config());
    /// ```
    pub fn config(&self) -> AuthConfig {
        self.config.clone()
    }

    /// An `App` with the configuration registered: add your services and `init_service` it.
    ///
    /// ```
    /// use actix_web::{test, web, HttpResponse};
    /// use auth_core::{testing::TestAuth, RequireAuth, Requirement};
    /// # actix_web::rt::System::new().block_on(async {
    /// let auth = TestAuth::new();
    /// let routes = auth.app().wrap(RequireAuth::new(&Requirement::AUTHENTICATED));
    /// let app = test::init_service(routes.route("/", web::get().to(HttpResponse::Ok))).await;
    /// let req = test::TestRequest::get().insert_header(auth.bearer(&[])).to_request();
    /// assert_eq!(test::call_service(&app, req).await.status(), 200);
    /// # });
    /// ```
    pub fn app(
        &self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<BoxBody>,
            Error = actix_web::Error,
            InitError = (),
        > + use<>,
    > {
        App::new().app_data(self.config())
    }

    /// A token for [`TEST_SUBJECT`] with `scopes`, valid for an hour.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// use auth_core::testing::{TestAuth, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET};
    /// # let key = JwtKey::hmac(Algorithm::HS256, TEST_SECRET)?;
    /// let verifier = JwtVerifier::builder().key(key).issuer(TEST_ISSUER).audience(TEST_AUDIENCE).build()?;
    /// let user = verifier.verify_now(&TestAuth::new().token(&["orders:read", "orders:write"])).unwrap();
    /// assert!(user.has_scope("orders:write"));
    /// assert!(!user.has_scope("admin"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn token(&self, scopes: &[&str]) -> String {
        self.token_with(json!({ "sub": TEST_SUBJECT, "scope": scopes.join(" ") }))
    }

    /// A token whose `exp` is an hour past: refused with `token_expired`.
    ///
    /// ```
    /// # use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// use auth_core::testing::{TestAuth, TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET};
    /// use auth_core::Reason;
    /// # let key = JwtKey::hmac(Algorithm::HS256, TEST_SECRET)?;
    /// let verifier = JwtVerifier::builder().key(key).issuer(TEST_ISSUER).audience(TEST_AUDIENCE).build()?;
    /// let refused = verifier.verify_now(&TestAuth::new().expired_token(&["orders:read"]));
    /// assert_eq!(refused.unwrap_err(), Reason::Expired);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn expired_token(&self, scopes: &[&str]) -> String {
        let now = now();
        self.minter.token_with(json!({
            "sub": TEST_SUBJECT, "scope": scopes.join(" "), "iat": now - 7200, "exp": now - 3600,
        }))
    }

    /// A token with these claims; `iss`, `aud`, `iat` and `exp` (an hour) are added unless
    /// given.
    ///
    /// ```
    /// use auth_core::testing::TestAuth;
    /// let token = TestAuth::new().token_with(serde_json::json!({ "sub": "alice", "tenant": 7 }));
    /// assert_eq!(token.split('.').count(), 3);
    /// ```
    pub fn token_with(&self, claims: Value) -> String {
        self.minter.token_with(claims)
    }

    /// `Authorization: Bearer <token with scopes>`, for `TestRequest::insert_header`.
    ///
    /// ```
    /// use actix_web::http::header::AUTHORIZATION;
    /// use auth_core::testing::TestAuth;
    ///
    /// let (name, value) = TestAuth::new().bearer(&["orders:read"]);
    /// assert_eq!(name, AUTHORIZATION);
    /// assert!(value.starts_with("Bearer ey"));
    /// ```
    pub fn bearer(&self, scopes: &[&str]) -> (HeaderName, String) {
        (
            header::AUTHORIZATION,
            format!("Bearer {}", self.token(scopes)),
        )
    }
}

/// Mints signed JWTs: a signing key and the algorithm it signs with, the header's `kid` and
/// `typ`, and the claims every token gets unless it names them. [`TestAuth`] has one; build
/// your own for the keys of your own test identity provider.
///
/// ```
/// use auth_core::testing::Minter;
/// use auth_core::{Algorithm, JwtKey, JwtVerifier};
///
/// const SECRET: &[u8] = b"a test secret of 32 bytes or more";
/// let minter = Minter::hmac(Algorithm::HS256, SECRET).kid(Some("k1")).claim("iss", "https://id.test");
/// let key = JwtKey::hmac(Algorithm::HS256, SECRET)?.with_kid("k1");
/// let verifier = JwtVerifier::builder().key(key).issuer("https://id.test").build()?;
/// let user = verifier.verify_now(&minter.token(&["orders:read"])).unwrap();
/// assert!(user.has_scope("orders:read"));
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Minter {
    algorithm: Algorithm,
    key: EncodingKey,
    kid: Option<String>,
    typ: String,
    claims: Map<String, Value>,
    lifetime: i64,
}

impl std::fmt::Debug for Minter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minter")
            .field("algorithm", &self.algorithm)
            .field("kid", &self.kid)
            .field("typ", &self.typ)
            .field("claims", &self.claims)
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl Minter {
    /// Signs with an HMAC algorithm (`HS256`, `HS384`, `HS512`) under `secret`. Any secret is
    /// taken, even one [`JwtKey::hmac`] refuses: a test may mint what a weak key signs.
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    /// let token = Minter::hmac(Algorithm::HS384, b"a test secret").token(&[]);
    /// assert_eq!(token.split('.').count(), 3);
    /// ```
    pub fn hmac(algorithm: Algorithm, secret: &[u8]) -> Minter {
        assert!(
            algorithm.family() == AlgorithmFamily::Hmac,
            "Minter::hmac takes an HMAC algorithm, not {algorithm:?}"
        );
        Minter::new(algorithm, EncodingKey::from_secret(secret))
    }

    /// Signs with a public-key algorithm (RSA, RSA-PSS, ECDSA or EdDSA) under the private key
    /// `private_pem`; panics when the PEM is not a private key of the algorithm's family.
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let minter = Minter::from_pem(Algorithm::EdDSA, PEM);
    /// assert_eq!(minter.jwk()["kty"], "OKP");
    /// ```
    pub fn from_pem(algorithm: Algorithm, private_pem: &[u8]) -> Minter {
        let key = match algorithm.family() {
            AlgorithmFamily::Rsa => EncodingKey::from_rsa_pem(private_pem),
            AlgorithmFamily::Ec => EncodingKey::from_ec_pem(private_pem),
            AlgorithmFamily::Ed => EncodingKey::from_ed_pem(private_pem),
            AlgorithmFamily::Hmac => panic!("{algorithm:?} takes a secret: use Minter::hmac"),
        };
        let key = key.unwrap_or_else(|e| panic!("not a {algorithm:?} private key: {e}"));
        Minter::new(algorithm, key)
    }

    fn new(algorithm: Algorithm, key: EncodingKey) -> Minter {
        Minter {
            algorithm,
            key,
            kid: None,
            typ: "JWT".to_owned(),
            claims: Map::new(),
            lifetime: 3600,
        }
    }

    /// The header's `kid` (`None`, the default: no `kid`).
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    /// let named = Minter::hmac(Algorithm::HS256, b"a test secret").kid(Some("k1"));
    /// assert_eq!(named.header()["kid"], "k1");
    /// assert!(named.kid(None).header().get("kid").is_none());
    /// ```
    pub fn kid(mut self, kid: Option<&str>) -> Minter {
        self.kid = kid.map(str::to_owned);
        self
    }

    /// The header's `typ` (`JWT` unless set; RFC 9068 access tokens are `at+jwt`).
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    /// let minter = Minter::hmac(Algorithm::HS256, b"a test secret").typ("at+jwt");
    /// assert_eq!(minter.header()["typ"], "at+jwt");
    /// ```
    pub fn typ(mut self, typ: &str) -> Minter {
        typ.clone_into(&mut self.typ);
        self
    }

    /// A claim every token of [`token`](Self::token), [`token_with`](Self::token_with) and
    /// [`claims`](Self::claims) carries unless it names its own (typically `iss`, `aud`, `sub`).
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    /// let minter = Minter::hmac(Algorithm::HS256, b"a test secret").claim("sub", "alice");
    /// assert_eq!(minter.claims(&[])["sub"], "alice");
    /// ```
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Minter {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    /// How long its tokens are valid, in seconds from now (an hour unless set).
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    /// let claims = Minter::hmac(Algorithm::HS256, b"a test secret").lifetime(600).claims(&[]);
    /// assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 600);
    /// ```
    pub fn lifetime(mut self, seconds: i64) -> Minter {
        self.lifetime = seconds;
        self
    }

    /// The header its tokens carry: `alg`, `typ` and, when set, `kid`.
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    /// let header = Minter::hmac(Algorithm::HS512, b"a test secret").header();
    /// assert_eq!(header, serde_json::json!({"alg": "HS512", "typ": "JWT"}));
    /// ```
    pub fn header(&self) -> Value {
        serde_json::to_value(self.jws_header()).expect("a header serializes")
    }

    fn jws_header(&self) -> Header {
        let mut header = Header::new(self.algorithm);
        header.typ = Some(self.typ.clone());
        header.kid.clone_from(&self.kid);
        header
    }

    /// The claims [`token`](Self::token) signs: the [`claim`](Self::claim)s, `scope` (the
    /// scopes space-separated), `iat` now and `exp` a [`lifetime`](Self::lifetime) later.
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    /// let claims = Minter::hmac(Algorithm::HS256, b"a test secret").claims(&["a", "b"]);
    /// assert_eq!(claims["scope"], "a b");
    /// assert!(claims["exp"].as_i64() > claims["iat"].as_i64());
    /// ```
    pub fn claims(&self, scopes: &[&str]) -> Value {
        self.with_defaults(json!({ "scope": scopes.join(" ") }))
    }

    /// A token with `scopes`, valid for its [`lifetime`](Self::lifetime).
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// const SECRET: &[u8] = b"a test secret of 32 bytes or more";
    /// let verifier = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET)?).build()?;
    /// let token = Minter::hmac(Algorithm::HS256, SECRET).token(&["orders:read"]);
    /// assert!(verifier.verify_now(&token).unwrap().has_scope("orders:read"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn token(&self, scopes: &[&str]) -> String {
        self.sign(&self.claims(scopes))
    }

    /// A token whose `exp` is an hour past (and `iat` two hours): refused with `token_expired`.
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// const SECRET: &[u8] = b"a test secret of 32 bytes or more";
    /// let verifier = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET)?).build()?;
    /// let stale = Minter::hmac(Algorithm::HS256, SECRET).expired_token(&["orders:read"]);
    /// assert_eq!(verifier.verify_now(&stale).unwrap_err(), Reason::Expired);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn expired_token(&self, scopes: &[&str]) -> String {
        let now = now();
        self.token_with(json!({ "scope": scopes.join(" "), "iat": now - 7200, "exp": now - 3600 }))
    }

    /// A token with these claims (a JSON object); the [`claim`](Self::claim)s, `iat` and `exp`
    /// are added unless given.
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// const SECRET: &[u8] = b"a test secret of 32 bytes or more";
    /// let verifier = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET)?).build()?;
    /// let token = Minter::hmac(Algorithm::HS256, SECRET).token_with(serde_json::json!({ "sub": "alice", "tenant": 7 }));
    /// assert_eq!(verifier.verify_now(&token).unwrap().claim("tenant").unwrap(), 7);
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn token_with(&self, claims: Value) -> String {
        self.sign(&self.with_defaults(claims))
    }

    fn with_defaults(&self, claims: Value) -> Value {
        let mut claims = match claims {
            Value::Object(map) => map,
            other => panic!("token_with takes a JSON object, not {other}"),
        };
        for (name, value) in &self.claims {
            claims.entry(name).or_insert_with(|| value.clone());
        }
        let now = now();
        claims.entry("iat").or_insert(json!(now));
        claims.entry("exp").or_insert(json!(now + self.lifetime));
        Value::Object(claims)
    }

    /// Signs exactly `claims` (any JSON: nothing is added) under its [`header`](Self::header),
    /// for tokens that lack a claim or carry one of the wrong type.
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::{Algorithm, JwtKey, JwtVerifier, Reason};
    /// const SECRET: &[u8] = b"a test secret of 32 bytes or more";
    /// let verifier = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET)?).build()?;
    /// let no_exp = Minter::hmac(Algorithm::HS256, SECRET).sign(&serde_json::json!({ "sub": "alice" }));
    /// assert_eq!(verifier.verify_now(&no_exp).unwrap_err(), Reason::InvalidClaim("exp"));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn sign(&self, claims: &Value) -> String {
        jsonwebtoken::encode(&self.jws_header(), claims, &self.key)
            .unwrap_or_else(|e| panic!("a {:?} token encodes: {e}", self.algorithm))
    }

    /// Signs `header` and `payload` as given (JSON text or bytes, base64url-encoded as they
    /// are) with its key and algorithm, whatever the header says: forged headers (`alg: none`,
    /// an embedded `jwk`, `crit`), duplicate members, JSON that is not JSON.
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// const SECRET: &[u8] = b"a test secret of 32 bytes or more";
    /// let verifier = JwtVerifier::builder().key(JwtKey::hmac(Algorithm::HS256, SECRET)?).build()?;
    /// let forged = Minter::hmac(Algorithm::HS256, SECRET)
    ///     .sign_parts(r#"{"alg":"HS256","crit":["exp"]}"#, r#"{"exp":4102444800}"#);
    /// assert!(verifier.verify_now(&forged).is_err());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn sign_parts(&self, header: impl AsRef<[u8]>, payload: impl AsRef<[u8]>) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let signature = jsonwebtoken::crypto::sign(input.as_bytes(), &self.key, self.algorithm)
            .unwrap_or_else(|e| panic!("{:?} signs: {e}", self.algorithm));
        format!("{input}.{signature}")
    }

    /// `Authorization: Bearer <token with scopes>`, for `TestRequest::insert_header`.
    ///
    /// ```
    /// use actix_web::http::header::AUTHORIZATION;
    /// use auth_core::testing::Minter;
    /// use auth_core::Algorithm;
    ///
    /// let (name, value) = Minter::hmac(Algorithm::HS256, b"a test secret").bearer(&["orders:read"]);
    /// assert_eq!(name, AUTHORIZATION);
    /// assert!(value.starts_with("Bearer ey"));
    /// ```
    pub fn bearer(&self, scopes: &[&str]) -> (HeaderName, String) {
        (
            header::AUTHORIZATION,
            format!("Bearer {}", self.token(scopes)),
        )
    }

    /// The JWK of its key, with `alg` and (when set) `kid`, for a test JWKS endpoint: the public
    /// key of a key pair; for an HMAC secret, the secret itself (`kty` `oct`).
    ///
    /// ```
    /// use auth_core::testing::Minter;
    /// use auth_core::{Algorithm, JwtKey, JwtVerifier};
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let minter = Minter::from_pem(Algorithm::EdDSA, PEM).kid(Some("ed-1"));
    /// let jwk = minter.jwk();
    /// assert_eq!((&jwk["kty"], &jwk["kid"], jwk.get("d")), (&"OKP".into(), &"ed-1".into(), None));
    /// let verifier = JwtVerifier::builder().key(JwtKey::from_jwk(&jwk.to_string())?).build()?;
    /// assert!(verifier.verify_now(&minter.token(&[])).is_ok());
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn jwk(&self) -> Value {
        let jwk = Jwk::from_encoding_key(&self.key, self.algorithm)
            .unwrap_or_else(|e| panic!("a {:?} key has a JWK: {e}", self.algorithm));
        let mut jwk = serde_json::to_value(jwk).expect("a JWK serializes");
        if let (Some(kid), Some(object)) = (&self.kid, jwk.as_object_mut()) {
            object.insert("kid".to_owned(), json!(kid));
        }
        jwk
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Asserts the 401 for a request without credentials: a `Bearer` challenge with a realm and
/// no `error` (RFC 6750 §3.1), and the `unauthorized` problem.
///
/// ```
/// use actix_web::{test, web, HttpResponse};
/// use auth_core::testing::{assert_unauthorized, TestAuth};
/// use auth_core::{RequireAuth, Requirement};
/// # actix_web::rt::System::new().block_on(async {
/// let routes = TestAuth::new().app().wrap(RequireAuth::new(&Requirement::AUTHENTICATED));
/// let app = test::init_service(routes.route("/", web::get().to(HttpResponse::Ok))).await;
/// let res = test::call_service(&app, test::TestRequest::get().to_request()).await;
/// assert_unauthorized(res).await;
/// # });
/// ```
pub async fn assert_unauthorized<B: MessageBody>(res: ServiceResponse<B>) {
    // RFC 6750 §3.1: a client that sent no credentials gets no error code.
    bearer_refusal(
        res,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        &[("error", None)],
    )
    .await;
}

/// Asserts the 401 for a token that failed verification: `error="invalid_token"`.
///
/// ```
/// use actix_web::{test, web, HttpResponse};
/// use auth_core::testing::{assert_invalid_token, TestAuth};
/// use auth_core::{RequireAuth, Requirement};
/// # actix_web::rt::System::new().block_on(async {
/// let routes = TestAuth::new().app().wrap(RequireAuth::new(&Requirement::AUTHENTICATED));
/// let app = test::init_service(routes.route("/", web::get().to(HttpResponse::Ok))).await;
/// let forged = test::TestRequest::get().insert_header(("authorization", "Bearer abc.def.ghi"));
/// assert_invalid_token(test::call_service(&app, forged.to_request()).await).await;
/// # });
/// ```
pub async fn assert_invalid_token<B: MessageBody>(res: ServiceResponse<B>) {
    let params = [
        ("error", Some("invalid_token")),
        ("error_description", None),
    ];
    bearer_refusal(res, StatusCode::UNAUTHORIZED, "invalid_token", &params).await;
}

/// Asserts the 401 for an expired token: `error="invalid_token"` with the expiry description.
///
/// ```
/// use actix_web::{test, web, HttpResponse};
/// use auth_core::testing::{assert_token_expired, TestAuth};
/// use auth_core::{RequireAuth, Requirement};
/// # actix_web::rt::System::new().block_on(async {
/// let auth = TestAuth::new();
/// let routes = auth.app().wrap(RequireAuth::new(&Requirement::AUTHENTICATED));
/// let app = test::init_service(routes.route("/", web::get().to(HttpResponse::Ok))).await;
/// let stale = ("authorization", format!("Bearer {}", auth.expired_token(&["orders:read"])));
/// let res = test::call_service(&app, test::TestRequest::get().insert_header(stale).to_request()).await;
/// assert_token_expired(res).await;
/// # });
/// ```
pub async fn assert_token_expired<B: MessageBody>(res: ServiceResponse<B>) {
    let params = [
        ("error", Some("invalid_token")),
        ("error_description", Some("The access token expired")),
    ];
    bearer_refusal(res, StatusCode::UNAUTHORIZED, "token_expired", &params).await;
}

/// Asserts the 400 for malformed credentials: `error="invalid_request"`.
///
/// ```
/// use actix_web::{test, web, HttpResponse};
/// use auth_core::testing::{assert_invalid_request, TestAuth};
/// use auth_core::{RequireAuth, Requirement};
/// # actix_web::rt::System::new().block_on(async {
/// let routes = TestAuth::new().app().wrap(RequireAuth::new(&Requirement::AUTHENTICATED));
/// let app = test::init_service(routes.route("/", web::get().to(HttpResponse::Ok))).await;
/// let malformed = test::TestRequest::get().insert_header(("authorization", "Bearer two tokens"));
/// assert_invalid_request(test::call_service(&app, malformed.to_request()).await).await;
/// # });
/// ```
pub async fn assert_invalid_request<B: MessageBody>(res: ServiceResponse<B>) {
    let params = [("error", Some("invalid_request"))];
    bearer_refusal(res, StatusCode::BAD_REQUEST, "invalid_request", &params).await;
}

/// Asserts the 403 for a valid token lacking scopes: `error="insufficient_scope"` and
/// `scope` equal to `scope` (the scopes the endpoint requires, space-separated).
///
/// ```
/// use actix_web::{test, web, HttpResponse};
/// use auth_core::testing::{assert_insufficient_scope, TestAuth};
/// use auth_core::{RequireAuth, Requirement, Scheme, SchemeSet};
/// const READ: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_all_scopes(&["orders:read"]);
/// # actix_web::rt::System::new().block_on(async {
/// let auth = TestAuth::new();
/// let app = test::init_service(auth.app().wrap(RequireAuth::new(&READ)).route("/", web::get().to(HttpResponse::Ok))).await;
/// let req = test::TestRequest::get().insert_header(auth.bearer(&["orders:write"]));
/// assert_insufficient_scope(test::call_service(&app, req.to_request()).await, "orders:read").await;
/// # });
/// ```
pub async fn assert_insufficient_scope<B: MessageBody>(res: ServiceResponse<B>, scope: &str) {
    let params = [
        ("error", Some("insufficient_scope")),
        ("scope", Some(scope)),
    ];
    bearer_refusal(res, StatusCode::FORBIDDEN, "insufficient_scope", &params).await;
}

/// Checks a refusal and the parameters of its Bearer challenge (`None`: absent).
async fn bearer_refusal<B: MessageBody>(
    res: ServiceResponse<B>,
    status: StatusCode,
    code: &str,
    params: &[(&str, Option<&str>)],
) {
    let bearer = refusal(res, status, code)
        .await
        .unwrap_or_else(|| panic!("a {status} refusal carries a Bearer challenge"));
    for (name, expected) in params {
        assert_eq!(bearer.get(name), *expected, "challenge `{name}`");
    }
}

/// Checks what every refusal shares and returns the Bearer challenge, if any.
async fn refusal<B: MessageBody>(
    res: ServiceResponse<B>,
    status: StatusCode,
    code: &str,
) -> Option<Challenge> {
    assert_eq!(res.status(), status, "status");
    let headers = res.headers().clone();
    let field = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(
        field(header::CONTENT_TYPE),
        Some("application/problem+json"),
        "Content-Type"
    );
    assert_eq!(
        field(header::CACHE_CONTROL),
        Some("no-store"),
        "Cache-Control"
    );
    let body = test::read_body(res).await;
    let problem: Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
        panic!(
            "the body is not JSON: {:?} (a body hook replaced it?)",
            String::from_utf8_lossy(&body)
        )
    });
    assert_eq!(problem["error"], code, "problem `error` in {problem}");
    assert_eq!(problem["status"], status.as_u16(), "problem `status`");
    let challenges: Vec<Challenge> = headers
        .get_all(header::WWW_AUTHENTICATE)
        .flat_map(|v| parse(v.to_str().expect("WWW-Authenticate is ASCII")).expect("it parses"))
        .collect();
    for challenge in &challenges {
        assert!(
            challenge.get("realm").is_some(),
            "every challenge names a realm: {challenge:?}"
        );
    }
    challenges
        .into_iter()
        .find(|c| c.scheme.eq_ignore_ascii_case("Bearer"))
}

/// A DPoP client for tests (RFC 9449 §4): proofs signed by a real key pair, and the thumbprint
/// an access token bound to that key carries in `cnf.jkt`. The thumbprint is computed by
/// `jsonwebtoken` (RFC 7638), independently of the verifier's own.
///
/// ```
/// use auth_core::testing::{DpopProver, Minter};
/// use auth_core::Algorithm;
/// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
/// let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, PEM));
/// let proof = prover.proof("GET", "https://api.example.com/orders", Some("the.access.token"));
/// assert_eq!(proof.split('.').count(), 3);
/// assert_eq!(prover.thumbprint().len(), 43);
/// ```
#[derive(Clone, Debug)]
pub struct DpopProver {
    minter: Minter,
}

impl DpopProver {
    /// A prover signing with `minter`'s key pair and algorithm (its claims and `kid` unused).
    ///
    /// ```
    /// use auth_core::testing::{DpopProver, Minter};
    /// use auth_core::Algorithm;
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, PEM));
    /// assert_eq!(prover.header()["typ"], "dpop+jwt");
    /// ```
    pub fn new(minter: Minter) -> Self {
        DpopProver { minter }
    }

    /// The public JWK of the key, as the proof header carries it (no `alg`, `kid` or `use`).
    ///
    /// ```
    /// # use auth_core::testing::{DpopProver, Minter};
    /// # use auth_core::Algorithm;
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let jwk = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, PEM)).jwk();
    /// assert_eq!(jwk["kty"], "OKP");
    /// assert!(jwk.get("d").is_none() && jwk.get("alg").is_none());
    /// ```
    pub fn jwk(&self) -> Value {
        let mut jwk = self.minter.clone().kid(None).jwk();
        if let Some(object) = jwk.as_object_mut() {
            object.remove("alg");
            object.remove("use");
        }
        jwk
    }

    /// The RFC 7638 SHA-256 thumbprint of the key: what `cnf.jkt` of a bound token says.
    ///
    /// ```
    /// # use auth_core::testing::{DpopProver, Minter};
    /// # use auth_core::Algorithm;
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, PEM));
    /// assert_eq!(prover.thumbprint(), prover.thumbprint());
    /// ```
    pub fn thumbprint(&self) -> String {
        let jwk = Jwk::from_encoding_key(&self.minter.key, self.minter.algorithm)
            .unwrap_or_else(|e| panic!("a {:?} key has a JWK: {e}", self.minter.algorithm));
        jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
            .unwrap_or_else(|e| panic!("a {:?} JWK has a thumbprint: {e}", self.minter.algorithm))
    }

    /// The header of a proof: `typ` `dpop+jwt`, the key's `alg`, its public `jwk`.
    ///
    /// ```
    /// # use auth_core::testing::{DpopProver, Minter};
    /// # use auth_core::Algorithm;
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let header = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, PEM)).header();
    /// assert_eq!(header["alg"], "EdDSA");
    /// ```
    pub fn header(&self) -> Value {
        json!({"typ": "dpop+jwt", "alg": format!("{:?}", self.minter.algorithm), "jwk": self.jwk()})
    }

    /// The claims of a fresh proof for `method` and `url`: a random `jti`, `iat` now, and
    /// `ath` for `access_token` when given.
    ///
    /// ```
    /// # use auth_core::testing::{DpopProver, Minter};
    /// # use auth_core::Algorithm;
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, PEM));
    /// let a = prover.claims("GET", "https://a.example/x", None);
    /// assert_ne!(a["jti"], prover.claims("GET", "https://a.example/x", None)["jti"]);
    /// assert!(a.get("ath").is_none());
    /// ```
    pub fn claims(&self, method: &str, url: &str, access_token: Option<&str>) -> Value {
        let mut jti = [0u8; 16];
        aws_lc_rs::rand::fill(&mut jti).unwrap_or_else(|_| panic!("random bytes"));
        let mut claims = json!({
            "jti": URL_SAFE_NO_PAD.encode(jti),
            "htm": method,
            "htu": url,
            "iat": now(),
        });
        if let Some(token) = access_token {
            use sha2::Digest as _;
            claims["ath"] = json!(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.as_bytes())));
        }
        claims
    }

    /// A fresh proof for `method` and `url` (and `access_token`, whose hash it carries).
    ///
    /// ```
    /// # use auth_core::testing::{DpopProver, Minter};
    /// # use auth_core::Algorithm;
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, PEM));
    /// assert_ne!(prover.proof("GET", "https://a.example/x", None), prover.proof("GET", "https://a.example/x", None));
    /// ```
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>) -> String {
        self.sign(&self.header(), &self.claims(method, url, access_token))
    }

    /// Signs `header` and `claims` as given, whatever they say (for forged proofs).
    ///
    /// ```
    /// # use auth_core::testing::{DpopProver, Minter};
    /// # use auth_core::Algorithm;
    /// # const PEM: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIFi1jtXwgRInzWNkVcZwweq50020W5tr134ZZ5UDJGZ7\n-----END PRIVATE KEY-----\n";
    /// let prover = DpopProver::new(Minter::from_pem(Algorithm::EdDSA, PEM));
    /// let mut header = prover.header();
    /// header["typ"] = "JWT".into();
    /// let forged = prover.sign(&header, &prover.claims("GET", "https://a.example/x", None));
    /// assert_eq!(forged.split('.').count(), 3);
    /// ```
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.minter
            .sign_parts(header.to_string(), claims.to_string())
    }
}
