//! An authorization server for introspection tests: a real HTTP server on 127.0.0.1 serving an
//! RFC 7662 introspection endpoint and both discovery documents, whose answers, failures and
//! delays a test sets, and which records every call it gets (to count calls and check the
//! client's authentication). The interop suite runs the same cases against `oidc-provider`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::http::TestServer;

/// The client this resource server authenticates as.
pub const CLIENT_ID: &str = "orders-api";
/// Its secret: `:` and `%` make a client that skips RFC 6749 §2.3.1's form-encoding fail.
pub const CLIENT_SECRET: &str = "s3cret:with%and+";

/// How the endpoint answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    /// The configured answers (`{"active":false}` for any other token).
    Normal,
    /// This status, with a JSON error body.
    Status(u16),
    /// 200 with a body that is not JSON.
    Garbage,
    /// 200, JSON, but served as `text/html`.
    WrongType,
    /// 200, a JSON object without `active`.
    NoActive,
}

/// One call the endpoint received.
#[derive(Clone, Debug)]
pub struct Call {
    pub authorization: Option<String>,
    pub accept: Option<String>,
    pub form: HashMap<String, String>,
}

/// What the server and the test share.
#[derive(Debug)]
pub struct State {
    pub issuer: Mutex<String>,
    answers: Mutex<HashMap<String, Value>>,
    mode: Mutex<Mode>,
    delay: Mutex<Duration>,
    calls: AtomicUsize,
    log: Mutex<Vec<Call>>,
    /// The issuer the discovery documents claim (a test may make it lie).
    claimed_issuer: Mutex<Option<String>>,
    /// Signs answers in the JWT form (RFC 9701) when a client asks for it.
    signer: Mutex<Option<auth_core::testing::Minter>>,
    /// The keys `/jwks` serves.
    published: Mutex<Vec<Value>>,
    /// Seconds added to signed answers' `iat` (negative: an old answer).
    iat_offset: Mutex<i64>,
}

/// A running authorization server; stopped when dropped.
#[allow(missing_debug_implementations)]
pub struct AuthorizationServer {
    pub state: Arc<State>,
    server: Option<TestServer>,
    pub addr: SocketAddr,
    /// The issuer's path (`""`, or e.g. `/tenant-a`).
    path: String,
}

impl AuthorizationServer {
    /// A server whose issuer is `http://127.0.0.1:<port>`.
    pub fn start() -> Self {
        Self::start_with_path("")
    }

    /// A server whose issuer is `http://127.0.0.1:<port><path>` (RFC 8414 §3.1's case).
    pub fn start_with_path(path: &str) -> Self {
        let state = Arc::new(State {
            issuer: Mutex::new(String::new()),
            answers: Mutex::new(HashMap::new()),
            mode: Mutex::new(Mode::Normal),
            delay: Mutex::new(Duration::ZERO),
            calls: AtomicUsize::new(0),
            log: Mutex::new(Vec::new()),
            claimed_issuer: Mutex::new(None),
            signer: Mutex::new(None),
            published: Mutex::new(Vec::new()),
            iat_offset: Mutex::new(0),
        });
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let server = serve(state.clone(), addr, path.to_owned());
        let addr = server.addr;
        *state.issuer.lock().unwrap() = format!("http://{addr}{path}");
        AuthorizationServer {
            state,
            server: Some(server),
            addr,
            path: path.to_owned(),
        }
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> String {
        self.state.issuer.lock().unwrap().clone()
    }

    /// The introspection endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}{}/introspect", self.addr, self.path)
    }

    /// Answers `answer` for `token` from now on.
    pub fn answer(&self, token: &str, answer: Value) {
        self.state
            .answers
            .lock()
            .unwrap()
            .insert(token.to_owned(), answer);
    }

    /// An active answer for `token` with `scope`, this server's `iss`, audience `orders-api`,
    /// subject `alice`, an hour of life.
    pub fn active(&self, token: &str, scope: &str) {
        let exp = crate::now() + 3600;
        self.answer(
            token,
            json!({"active": true, "scope": scope, "sub": "alice", "client_id": "web-app",
                   "iss": self.issuer(), "aud": crate::AUDIENCE, "exp": exp,
                   "token_type": "Bearer"}),
        );
    }

    /// Revokes `token` (answers `{"active": false}` from now on).
    pub fn revoke(&self, token: &str) {
        self.answer(token, json!({"active": false}));
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    pub fn set_delay(&self, delay: Duration) {
        *self.state.delay.lock().unwrap() = delay;
    }

    /// Makes the discovery documents claim this issuer.
    pub fn claim_issuer(&self, issuer: &str) {
        *self.state.claimed_issuer.lock().unwrap() = Some(issuer.to_owned());
    }

    /// Answers clients that ask for the JWT form (RFC 9701) with answers signed by `minter`
    /// (whose public key `/jwks` serves).
    pub fn sign_answers(&self, minter: auth_core::testing::Minter) {
        *self.state.published.lock().unwrap() = vec![minter.jwk()];
        *self.state.signer.lock().unwrap() = Some(minter);
    }

    /// Signs answers with `minter` without publishing its key (a forgery).
    pub fn sign_with(&self, minter: auth_core::testing::Minter) {
        *self.state.signer.lock().unwrap() = Some(minter);
    }

    /// Dates signed answers `seconds` from now (negative: in the past).
    pub fn date_signed_answers(&self, seconds: i64) {
        *self.state.iat_offset.lock().unwrap() = seconds;
    }

    /// Answers plain JSON again, whatever the client asks for.
    pub fn stop_signing(&self) {
        *self.state.signer.lock().unwrap() = None;
    }

    /// The JWKS URL.
    pub fn jwks(&self) -> String {
        format!("http://{}{}/jwks", self.addr, self.path)
    }

    /// Introspection calls received.
    pub fn calls(&self) -> usize {
        self.state.calls.load(Ordering::SeqCst)
    }

    /// The last call received.
    pub fn last_call(&self) -> Option<Call> {
        self.state.log.lock().unwrap().last().cloned()
    }

    /// Stops the server (connections refused from now on).
    pub fn stop(&mut self) {
        self.server.take();
    }

    /// Starts it again on the same address.
    pub fn restart(&mut self) {
        self.server.take();
        for _ in 0..50 {
            if let Ok(server) = try_serve(self.state.clone(), self.addr, self.path.clone()) {
                self.server = Some(server);
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("could not rebind {}", self.addr);
    }
}

fn serve(state: Arc<State>, addr: SocketAddr, path: String) -> TestServer {
    try_serve(state, addr, path).expect("authorization server failed to start")
}

fn try_serve(state: Arc<State>, addr: SocketAddr, path: String) -> std::io::Result<TestServer> {
    let listener = std::net::TcpListener::bind(addr)?;
    Ok(TestServer::start(move || {
        let data = web::Data::from(state);
        let issuer_path = path.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route(
                    &format!("{issuer_path}/introspect"),
                    web::post().to(introspect),
                )
                .route(&format!("{issuer_path}/jwks"), web::get().to(jwks))
                .route(
                    &format!("{issuer_path}/.well-known/openid-configuration"),
                    web::get().to(discovery),
                )
                .route(
                    &format!("/.well-known/oauth-authorization-server{issuer_path}"),
                    web::get().to(discovery),
                )
        })
        .workers(1)
        .listen(listener)?;
        let addr = server.addrs()[0];
        Ok((server.run(), addr))
    }))
}

async fn discovery(state: web::Data<State>) -> HttpResponse {
    let issuer = state.issuer.lock().unwrap().clone();
    let claimed = state
        .claimed_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| issuer.clone());
    HttpResponse::Ok().json(json!({
        "issuer": claimed,
        "introspection_endpoint": format!("{issuer}/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_signing_alg_values_supported": ["ES256"],
        "jwks_uri": format!("{issuer}/jwks"),
    }))
}

async fn jwks(state: web::Data<State>) -> HttpResponse {
    let keys = state.published.lock().unwrap().clone();
    HttpResponse::Ok().json(json!({ "keys": keys }))
}

async fn introspect(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    state.calls.fetch_add(1, Ordering::SeqCst);
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let accept = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.log.lock().unwrap().push(Call {
        authorization,
        accept,
        form: form.clone(),
    });
    let delay = *state.delay.lock().unwrap();
    if !delay.is_zero() {
        actix_rt::time::sleep(delay).await;
    }
    let mode = state.mode.lock().unwrap().clone();
    match mode {
        Mode::Normal => {}
        Mode::Status(status) => {
            return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                .json(json!({"error": "server_error"}));
        }
        Mode::Garbage => {
            return HttpResponse::Ok()
                .content_type("application/json")
                .body("<html>oops</html>");
        }
        Mode::WrongType => {
            return HttpResponse::Ok()
                .content_type("text/html")
                .body(r#"{"active":true}"#);
        }
        Mode::NoActive => return HttpResponse::Ok().json(json!({"scope": "orders:read"})),
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let answer = state
        .answers
        .lock()
        .unwrap()
        .get(&token)
        .cloned()
        .unwrap_or_else(|| json!({"active": false}));
    let wants_jwt = req
        .headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/token-introspection+jwt"));
    let signer = state.signer.lock().unwrap().clone();
    match signer {
        Some(minter) if wants_jwt => {
            let issuer = state.issuer.lock().unwrap().clone();
            let iat = crate::now() as i64 + *state.iat_offset.lock().unwrap();
            let jwt = minter.sign(&json!({
                "iss": issuer, "aud": CLIENT_ID, "iat": iat,
                "token_introspection": answer,
            }));
            HttpResponse::Ok()
                .content_type("application/token-introspection+jwt")
                .body(jwt)
        }
        _ => HttpResponse::Ok().json(answer),
    }
}
