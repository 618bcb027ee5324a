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
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};

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
        TestAuth { config }
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
        self.token_with(json!({
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
        let mut claims = match claims {
            Value::Object(map) => map,
            other => panic!("token_with takes a JSON object, not {other}"),
        };
        let now = now();
        for (name, value) in [
            ("iss", json!(TEST_ISSUER)),
            ("aud", json!(TEST_AUDIENCE)),
            ("iat", json!(now)),
            ("exp", json!(now + 3600)),
        ] {
            claims.entry(name).or_insert(value);
        }
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(TEST_SECRET),
        )
        .expect("a test token encodes")
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
/// const READ: Requirement = Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).all_scopes(&["orders:read"]);
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
