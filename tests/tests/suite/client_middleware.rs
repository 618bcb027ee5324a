//! auth-client's middleware against the real `orders` service on 127.0.0.1: every row of its
//! answers table (refresh once on `invalid_token`, never on 403 or 400, step-up, foreign
//! schemes, `Retry-After`, DPoP nonces), single flight, refresh-token rotation, token
//! exchange and discovery from a 401 — with a small authorization server of this file that
//! mints the tokens `orders` accepts and counts what it is asked.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use auth_client::{
    AuthorizationServer as Server, BoxFuture, ClientAuth, ClientCredentials, Discovery, DpopKey,
    DpopNonces, Error, ExchangeSubject, OAuthClient, OAuthMiddleware, RefreshTokens, Token,
    TokenExchange, TokenManager, TokenRequest, TokenSource, source_fn,
};
use auth_core::testing::Minter;
use auth_tests::http::TestServer;
use auth_tests::mock_as::{MockAs, Reply};
use auth_tests::orders;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use serde_json::json;

const AUDIENCE: &str = "orders-api";

/// Records what leaves the client, after the OAuth middleware: replays included.
#[derive(Debug, Default)]
struct Wire {
    sent: Mutex<Vec<Option<String>>>,
}

impl Wire {
    fn count(&self) -> usize {
        self.sent.lock().unwrap().len()
    }
    fn authorizations(&self) -> Vec<Option<String>> {
        self.sent.lock().unwrap().clone()
    }
}

struct Recording(Arc<Wire>);

#[async_trait::async_trait]
impl Middleware for Recording {
    async fn handle(
        &self,
        req: reqwest::Request,
        ext: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let auth = req
            .headers()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        self.0.sent.lock().unwrap().push(auth);
        next.run(req, ext).await
    }
}

fn client(middleware: OAuthMiddleware) -> (ClientWithMiddleware, Arc<Wire>) {
    let wire = Arc::new(Wire::default());
    let client = ClientBuilder::new(reqwest::Client::new())
        .with(middleware)
        .with(Recording(Arc::clone(&wire)))
        .build();
    (client, wire)
}

/// A source handing out the tokens `mint` makes, counting and timing its calls.
fn counted(
    mint: impl Fn(usize) -> Token + Send + Sync + 'static,
) -> (impl TokenSource, Arc<Mutex<Vec<Instant>>>) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&calls);
    let mint = Arc::new(mint);
    let source = source_fn("urn:test-issuer", move |_request| {
        let n = {
            let mut calls = seen.lock().unwrap();
            calls.push(Instant::now());
            calls.len()
        };
        let mint = Arc::clone(&mint);
        async move {
            // A token endpoint takes a moment: long enough for concurrent callers to pile up.
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok(mint(n))
        }
    });
    (source, calls)
}

struct Orders {
    server: TestServer,
    minter: Minter,
}

impl Orders {
    fn start(configure: impl FnOnce(&mut auth_examples::orders::Settings)) -> Orders {
        let mut settings = orders::settings(None, Some(AUDIENCE));
        settings.failure_limit = 0;
        configure(&mut settings);
        let minter = orders::minter(&settings);
        Orders {
            server: orders::start(&settings),
            minter,
        }
    }
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }
}

fn middleware(source: impl TokenSource) -> OAuthMiddleware {
    OAuthMiddleware::new(
        Arc::new(TokenManager::new(source)),
        TokenRequest::new().scope("orders:read"),
    )
}

fn bearer(minter: &Minter, scopes: &[&str]) -> Token {
    Token::bearer(minter.token(scopes), Some(Duration::from_secs(3600)))
}

async fn get(client: &ClientWithMiddleware, url: &str) -> Result<u16, Error> {
    match client.get(url).send().await {
        Ok(r) => Ok(r.status().as_u16()),
        Err(e) => Err(Error::of(&e)
            .cloned()
            .unwrap_or_else(|| panic!("not an auth-client error: {e}"))),
    }
}

/// `n` concurrent GETs of `url`, their outcomes.
async fn burst(client: &ClientWithMiddleware, url: &str, n: usize) -> Vec<Result<u16, Error>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            tokio::spawn(async move { get(&client, &url).await })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    outcomes
}

#[actix_rt::test]
async fn a_cached_token_is_attached_and_reused() {
    let orders = Orders::start(|_| {});
    let minter = orders.minter.clone();
    let (source, calls) = counted(move |_| bearer(&minter, &["orders:read"]));
    let (client, wire) = client(middleware(source));
    for _ in 0..20 {
        assert_eq!(get(&client, &orders.url("/orders")).await.unwrap(), 200);
    }
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert_eq!(wire.count(), 20);
    assert!(
        wire.authorizations()
            .iter()
            .all(|a| a.as_deref().is_some_and(|a| a.starts_with("Bearer ")))
    );
}

#[actix_rt::test]
async fn two_hundred_concurrent_requests_cost_one_token_request() {
    let orders = Orders::start(|_| {});
    let minter = orders.minter.clone();
    let (source, calls) = counted(move |_| bearer(&minter, &["orders:read"]));
    let (client, _) = client(middleware(source));
    let url = orders.url("/orders");
    for status in burst(&client, &url, 200).await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[actix_rt::test]
async fn a_token_expiring_mid_run_is_renewed_once_per_lifetime_ahead_of_exp() {
    let orders = Orders::start(|_| {});
    let minter = orders.minter.clone().lifetime(3);
    let (source, calls) = counted(move |_| {
        Token::bearer(minter.token(&["orders:read"]), Some(Duration::from_secs(3)))
    });
    let (client, wire) = client(middleware(source));
    let url = orders.url("/orders");
    let start = Instant::now();
    let mut requests = 0;
    while start.elapsed() < Duration::from_secs(5) {
        for status in burst(&client, &url, 50).await {
            assert_eq!(status.unwrap(), 200);
        }
        requests += 50;
    }
    let calls = calls.lock().unwrap().clone();
    // Renewed at half its life (the 30 s default skew is capped there): 1.5 s apart, never two
    // at once; no request was refused (none replayed).
    assert!(calls.len() >= 3, "{calls:?}");
    assert!(
        calls
            .windows(2)
            .all(|w| w[1] - w[0] >= Duration::from_secs(1)),
        "{calls:?}"
    );
    assert_eq!(wire.count(), requests);
}

#[actix_rt::test]
async fn invalid_token_refreshes_once_and_replays() {
    let orders = Orders::start(|_| {});
    let good = orders.minter.clone();
    let bad = Minter::hmac(
        auth_core::Algorithm::HS256,
        b"another-secret-of-at-least-32-bytes!!",
    );
    let (source, calls) = counted(move |n| {
        if n == 1 {
            bearer(&bad, &["orders:read"])
        } else {
            bearer(&good, &["orders:read"])
        }
    });
    let (client, wire) = client(middleware(source));
    assert_eq!(get(&client, &orders.url("/orders")).await.unwrap(), 200);
    assert_eq!(calls.lock().unwrap().len(), 2);
    assert_eq!(wire.count(), 2);
    let sent = wire.authorizations();
    assert_ne!(sent[0], sent[1], "the replay carries the new token");
}

#[actix_rt::test]
async fn a_second_invalid_token_after_the_refresh_is_an_error_not_a_loop() {
    let orders = Orders::start(|_| {});
    let bad = Minter::hmac(
        auth_core::Algorithm::HS256,
        b"another-secret-of-at-least-32-bytes!!",
    );
    let (source, calls) = counted(move |_| bearer(&bad, &["orders:read"]));
    let (client, wire) = client(middleware(source));
    let error = get(&client, &orders.url("/orders")).await.unwrap_err();
    assert!(
        matches!(error, Error::InvalidToken { refreshes: 1 }),
        "{error:?}"
    );
    assert_eq!(calls.lock().unwrap().len(), 2);
    assert_eq!(wire.count(), 2);
}

#[actix_rt::test]
async fn many_refusals_of_one_token_cost_one_refresh() {
    let orders = Orders::start(|_| {});
    let good = orders.minter.clone();
    let bad = Minter::hmac(
        auth_core::Algorithm::HS256,
        b"another-secret-of-at-least-32-bytes!!",
    );
    let (source, calls) = counted(move |n| {
        if n == 1 {
            bearer(&bad, &["orders:read"])
        } else {
            bearer(&good, &["orders:read"])
        }
    });
    let (client, _) = client(middleware(source));
    let url = orders.url("/orders");
    for status in burst(&client, &url, 100).await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(calls.lock().unwrap().len(), 2);
}

#[actix_rt::test]
async fn a_streaming_body_is_never_replayed() {
    let orders = Orders::start(|_| {});
    let good = orders.minter.clone();
    let bad = Minter::hmac(
        auth_core::Algorithm::HS256,
        b"another-secret-of-at-least-32-bytes!!",
    );
    let (source, calls) = counted(move |n| {
        if n == 1 {
            bearer(&bad, &["orders:write"])
        } else {
            bearer(&good, &["orders:write"])
        }
    });
    let manager = Arc::new(TokenManager::new(source));
    let (client, wire) = client(OAuthMiddleware::new(
        manager,
        TokenRequest::new().scope("orders:write"),
    ));
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(
        r#"{"item":"book","quantity":1}"#.as_bytes().to_vec(),
    )]);
    let answer = client
        .post(orders.url("/orders"))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    let error = Error::of(&answer.unwrap_err()).cloned().unwrap();
    assert!(
        matches!(error, Error::InvalidToken { refreshes: 0 }),
        "{error:?}"
    );
    assert_eq!(wire.count(), 1, "sent once");
    // The refusal did drop the token: the next (replayable) request goes out with a new one.
    let answer = client
        .post(orders.url("/orders"))
        .header("content-type", "application/json")
        .body(r#"{"item":"book","quantity":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
    assert_eq!(calls.lock().unwrap().len(), 2);
    assert_eq!(wire.count(), 2);
}

#[actix_rt::test]
async fn insufficient_scope_is_never_retried_and_names_the_scope() {
    let orders = Orders::start(|_| {});
    let minter = orders.minter.clone();
    let (source, calls) = counted(move |_| bearer(&minter, &["orders:read"]));
    let (client, wire) = client(middleware(source));
    let answer = client
        .post(orders.url("/orders"))
        .header("content-type", "application/json")
        .body(r#"{"item":"book","quantity":1}"#)
        .send()
        .await;
    let error = Error::of(&answer.unwrap_err()).cloned().unwrap();
    match error {
        Error::InsufficientScope {
            scopes,
            resource_metadata,
        } => {
            assert_eq!(scopes, ["orders:write"]);
            assert!(
                resource_metadata
                    .unwrap()
                    .ends_with("/.well-known/oauth-protected-resource")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(wire.count(), 1);
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[actix_rt::test]
async fn insufficient_user_authentication_returns_acr_values_and_max_age() {
    let orders = Orders::start(|_| {});
    let minter = orders.minter.clone();
    let (source, _) = counted(move |_| bearer(&minter, &["orders:read"]));
    let (client, wire) = client(middleware(source));
    let error = get(&client, &orders.url("/account/security"))
        .await
        .unwrap_err();
    match error {
        Error::StepUpRequired {
            acr_values,
            max_age,
        } => {
            assert_eq!(acr_values, ["urn:orders:mfa"]);
            assert_eq!(max_age, Some(300));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(wire.count(), 1);
}

#[actix_rt::test]
async fn a_basic_or_digest_only_challenge_is_a_clear_error() {
    let orders = Orders::start(|_| {});
    let minter = orders.minter.clone();
    let (source, calls) = counted(move |_| bearer(&minter, &["orders:read"]));
    let (client, wire) = client(middleware(source));
    for (path, scheme) in [("/ops/status", "Basic"), ("/ops/digest", "Digest")] {
        match get(&client, &orders.url(path)).await.unwrap_err() {
            Error::UnsupportedChallenge { schemes } => assert_eq!(schemes, [scheme]),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(wire.count(), 2, "one request each, no retry");
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[actix_rt::test]
async fn a_400_is_never_retried() {
    // RFC 6750 §3.1 `invalid_request` (and any 400): the request itself is wrong, a new token
    // would not help.
    let (server, hits) = busy_server(400, "", 5);
    let (source, calls) = counted(|_| Token::bearer("t", None));
    let (client, wire) = client(middleware(source));
    let status = get(&client, &format!("http://{}/x", server.addr))
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(wire.count(), 1);
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[actix_rt::test]
async fn a_401_without_error_gets_credentials_attached_once() {
    let orders = Orders::start(|_| {});
    let minter = orders.minter.clone();
    let (source, _) = counted(move |_| bearer(&minter, &["orders:read"]));
    let (client, wire) = client(middleware(source).attach_on_challenge());
    assert_eq!(get(&client, &orders.url("/orders")).await.unwrap(), 200);
    let sent = wire.authorizations();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].is_none(), "the first request went out anonymous");
    assert!(sent[1].as_deref().unwrap().starts_with("Bearer "));
}

/// A resource that answers `status` (with `Retry-After` when given; a 400 with RFC 6750's
/// `invalid_request` challenge) a given number of times first, then 200.
fn busy_server(
    status: u16,
    retry_after: &'static str,
    times: usize,
) -> (TestServer, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&hits);
    let server = TestServer::start(move || {
        let server = HttpServer::new(move || {
            let seen = Arc::clone(&seen);
            App::new().default_service(web::to(move || {
                let n = seen.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < times {
                        let mut answer = HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status).unwrap(),
                        );
                        if status == 400 {
                            answer.insert_header((
                                "WWW-Authenticate",
                                r#"Bearer realm="x", error="invalid_request""#,
                            ));
                        } else {
                            answer.insert_header(("Retry-After", retry_after));
                        }
                        answer.finish()
                    } else {
                        HttpResponse::Ok().body("ok")
                    }
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")?;
        let addr = server.addrs()[0];
        Ok((server.run(), addr))
    });
    (server, hits)
}

#[actix_rt::test]
async fn retry_after_within_the_bound_is_waited_out_once() {
    for status in [503, 429] {
        let (server, hits) = busy_server(status, "1", 1);
        let (source, _) = counted(|_| Token::bearer("t", None));
        let (client, _) = client(middleware(source));
        let start = Instant::now();
        assert_eq!(
            get(&client, &format!("http://{}/x", server.addr))
                .await
                .unwrap(),
            200
        );
        assert!(start.elapsed() >= Duration::from_millis(900));
        assert_eq!(hits.load(Ordering::SeqCst), 2);
        // Busy twice in a row: one wait only, then the answer is the caller's.
        let (server, hits) = busy_server(status, "0", 5);
        assert_eq!(
            get(&client, &format!("http://{}/x", server.addr))
                .await
                .unwrap(),
            status
        );
        assert_eq!(hits.load(Ordering::SeqCst), 2);
    }
}

#[actix_rt::test]
async fn retry_after_beyond_the_bound_is_returned_as_it_is() {
    let (server, hits) = busy_server(429, "120", 1);
    let (source, _) = counted(|_| Token::bearer("t", None));
    let (client, _) = client(middleware(source));
    let start = Instant::now();
    assert_eq!(
        get(&client, &format!("http://{}/x", server.addr))
            .await
            .unwrap(),
        429
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // An HTTP-date an hour away is beyond it too.
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3600));
    let date: &'static str = Box::leak(date.into_boxed_str());
    let (server, hits) = busy_server(503, date, 1);
    assert_eq!(
        get(&client, &format!("http://{}/x", server.addr))
            .await
            .unwrap(),
        503
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

/// DPoP-bound tokens for one key, minted for `orders` (`cnf.jkt`), as a source with the key.
#[derive(Debug)]
struct DpopSource {
    minter: Minter,
    key: DpopKey,
    nonces: Arc<DpopNonces>,
    calls: AtomicUsize,
}

impl TokenSource for DpopSource {
    fn fetch<'a>(&'a self, _request: &'a TokenRequest) -> BoxFuture<'a, Result<Token, Error>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let mut claims = self.minter.claims(&["orders:read"]);
        claims["cnf"] = json!({"jkt": self.key.thumbprint()});
        let token = self.minter.token_with(claims);
        Box::pin(async move { Ok(Token::dpop(token, Some(Duration::from_secs(3600)))) })
    }
    fn issuer(&self) -> &str {
        "urn:test-issuer"
    }
    fn dpop(&self) -> Option<(&DpopKey, &Arc<DpopNonces>)> {
        Some((&self.key, &self.nonces))
    }
}

#[actix_rt::test]
async fn dpop_proofs_obey_the_servers_nonce_with_one_retry_per_origin() {
    for key in [
        DpopKey::generate_es256().unwrap(),
        DpopKey::generate_ed25519().unwrap(),
    ] {
        let orders = Orders::start(|s| s.dpop_nonce = true);
        let source = DpopSource {
            minter: orders.minter.clone(),
            key,
            nonces: Arc::default(),
            calls: AtomicUsize::new(0),
        };
        let (client, wire) = client(middleware(source));
        for _ in 0..10 {
            assert_eq!(
                get(&client, &orders.url("/orders?page=1")).await.unwrap(),
                200
            );
        }
        assert_eq!(
            wire.count(),
            11,
            "one use_dpop_nonce retry, then the harvested nonce is used"
        );
        assert!(
            wire.authorizations()
                .iter()
                .all(|a| a.as_deref().unwrap().starts_with("DPoP "))
        );
    }
}

#[actix_rt::test]
async fn a_dpop_token_without_a_key_is_a_configuration_error() {
    let orders = Orders::start(|_| {});
    let minter = orders.minter.clone();
    let (source, _) = counted(move |_| Token::dpop(minter.token(&["orders:read"]), None));
    let (client, wire) = client(middleware(source));
    assert!(matches!(
        get(&client, &orders.url("/orders")).await.unwrap_err(),
        Error::Config(_)
    ));
    assert_eq!(wire.count(), 0);
}

/// A small authorization server: RFC 8414 metadata, and a token endpoint for client `svc`
/// (secret `s3cret`, Basic) that mints `orders` tokens — client credentials, refresh tokens
/// that rotate (each usable once), token exchange — and counts each grant.
struct MiniAs {
    server: TestServer,
    grants: Arc<Mutex<HashMap<String, usize>>>,
}

#[derive(Clone)]
struct AsState {
    minter: Minter,
    grants: Arc<Mutex<HashMap<String, usize>>>,
    refresh: Arc<Mutex<String>>,
    issuer: Arc<Mutex<String>>,
}

async fn metadata(state: web::Data<AsState>) -> HttpResponse {
    let issuer = state.issuer.lock().unwrap().clone();
    HttpResponse::Ok().json(json!({"issuer": issuer, "token_endpoint": format!("{issuer}/token")}))
}

async fn token(
    req: HttpRequest,
    state: web::Data<AsState>,
    form: web::Form<Vec<(String, String)>>,
) -> HttpResponse {
    let field = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if basic != "Basic c3ZjOnMzY3JldA==" {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_client"}));
    }
    let grant = field("grant_type").unwrap_or_default();
    *state
        .grants
        .lock()
        .unwrap()
        .entry(grant.clone())
        .or_default() += 1;
    let scopes: Vec<String> = field("scope")
        .unwrap_or_default()
        .split(' ')
        .map(str::to_owned)
        .collect();
    let scopes: Vec<&str> = scopes.iter().map(String::as_str).collect();
    let mut answer = json!({"access_token": state.minter.token(&scopes), "token_type": "Bearer", "expires_in": 3600});
    match grant.as_str() {
        "client_credentials" => {}
        "refresh_token" => {
            let mut current = state.refresh.lock().unwrap();
            if field("refresh_token").as_deref() != Some(current.as_str()) {
                return HttpResponse::BadRequest().json(json!({"error": "invalid_grant"}));
            }
            let next = format!(
                "rt-{}",
                auth_tests::now() as u128 * 1000 + u128::from(rand_u16())
            );
            answer["refresh_token"] = json!(next);
            *current = next;
        }
        "urn:ietf:params:oauth:grant-type:token-exchange" => {
            let Some(subject) = field("subject_token") else {
                return HttpResponse::BadRequest().json(json!({"error": "invalid_request"}));
            };
            let mut claims = state.minter.claims(&scopes);
            claims["sub"] = json!(format!("exchanged-{}", subject.len()));
            claims["act"] = json!({"sub": "svc"});
            answer["access_token"] = json!(state.minter.token_with(claims));
            answer["issued_token_type"] = json!(auth_client::ACCESS_TOKEN_TYPE);
        }
        _ => return HttpResponse::BadRequest().json(json!({"error": "unsupported_grant_type"})),
    }
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(answer)
}

fn rand_u16() -> u16 {
    static N: AtomicUsize = AtomicUsize::new(0);
    (N.fetch_add(1, Ordering::SeqCst) % 65536) as u16
}

impl MiniAs {
    fn start(minter: Minter) -> MiniAs {
        let grants = Arc::new(Mutex::new(HashMap::new()));
        let state = AsState {
            minter,
            grants: Arc::clone(&grants),
            refresh: Arc::new(Mutex::new("rt-0".to_owned())),
            issuer: Arc::new(Mutex::new(String::new())),
        };
        let issuer = Arc::clone(&state.issuer);
        let server = TestServer::start(move || {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(web::Data::new(state.clone()))
                    .route(
                        "/.well-known/oauth-authorization-server",
                        web::get().to(metadata),
                    )
                    .route("/token", web::post().to(token))
            })
            .workers(1)
            .bind("127.0.0.1:0")?;
            let addr: SocketAddr = server.addrs()[0];
            *issuer.lock().unwrap() = format!("http://{addr}");
            Ok((server.run(), addr))
        });
        MiniAs { server, grants }
    }
    fn issuer(&self) -> String {
        format!("http://{}", self.server.addr)
    }
    fn grants(&self, grant: &str) -> usize {
        self.grants.lock().unwrap().get(grant).copied().unwrap_or(0)
    }
    async fn client(&self) -> OAuthClient {
        let http = reqwest::Client::new();
        let server = Server::discover(&http, &self.issuer()).await.unwrap();
        OAuthClient::new(http, server, ClientAuth::secret_basic("svc", "s3cret"))
    }
}

#[actix_rt::test]
async fn client_credentials_from_a_discovered_server_reach_orders() {
    let orders = Orders::start(|_| {});
    let auth_server = MiniAs::start(orders.minter.clone());
    let source = ClientCredentials::new(auth_server.client().await);
    let (client, _) = client(middleware(source));
    assert_eq!(get(&client, &orders.url("/orders")).await.unwrap(), 200);
    assert_eq!(auth_server.grants("client_credentials"), 1);
}

#[actix_rt::test]
async fn refresh_token_rotation_survives_concurrency() {
    let orders = Orders::start(|_| {});
    let auth_server = MiniAs::start(orders.minter.clone());
    let source = Arc::new(RefreshTokens::new(auth_server.client().await, "rt-0"));
    let manager = Arc::new(TokenManager::from_arc(source.clone()));
    // Forty keys (scope sets) refreshing at once: each refresh must present the refresh token
    // the previous one returned, or the server answers invalid_grant.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let manager = Arc::clone(&manager);
            tokio::spawn(async move {
                manager
                    .token(
                        &TokenRequest::new()
                            .scope("orders:read")
                            .scope(format!("s{i}")),
                    )
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(auth_server.grants("refresh_token"), 40);
    assert_ne!(
        source.refresh_token().await.expose(),
        "rt-0",
        "the newest refresh token is kept"
    );
}

#[actix_rt::test]
async fn token_exchange_through_the_middleware_is_cached_per_subject() {
    let orders = Orders::start(|_| {});
    let auth_server = MiniAs::start(orders.minter.clone());
    let source = TokenExchange::new(auth_server.client().await);
    let manager = Arc::new(TokenManager::new(source));
    let (client, wire) = client(OAuthMiddleware::new(
        manager,
        TokenRequest::new().scope("orders:read").audience(AUDIENCE),
    ));
    for subject in ["alice-token", "bob-token-", "alice-token"] {
        let answer = client
            .get(orders.url("/me"))
            .with_extension(ExchangeSubject::access_token(subject))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let me: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(
            me["subject"],
            json!(format!("exchanged-{}", subject.len())),
            "{me}"
        );
    }
    assert_eq!(
        auth_server.grants("urn:ietf:params:oauth:grant-type:token-exchange"),
        2
    );
    assert_eq!(wire.count(), 3);
    // Without a subject, nothing is sent anywhere.
    let answer = client.get(orders.url("/me")).send().await;
    assert!(matches!(
        Error::of(&answer.unwrap_err()),
        Some(Error::MissingSubjectToken)
    ));
    assert_eq!(
        auth_server.grants("urn:ietf:params:oauth:grant-type:token-exchange"),
        2
    );
}

fn discovering_orders(auth_server_issuer: &str) -> Orders {
    let issuer = auth_server_issuer.to_owned();
    Orders::start(move |s| s.authorization_servers = vec![issuer])
}

#[actix_rt::test]
async fn discovery_from_a_401_to_a_200() {
    let minter = orders::minter(&orders::settings(None, Some(AUDIENCE)));
    let auth_server = MiniAs::start(minter);
    let orders = discovering_orders(&auth_server.issuer());
    let discovery = Discovery::new(ClientAuth::secret_basic("svc", "s3cret"))
        .trust(auth_server.issuer())
        .allow_resources(&orders.url(""))
        .unwrap()
        .scope("orders:read")
        .accept_resource_prefix();
    let (client, wire) = client(OAuthMiddleware::discover(reqwest::Client::new(), discovery));
    assert_eq!(get(&client, &orders.url("/orders")).await.unwrap(), 200);
    assert_eq!(
        get(&client, &orders.url("/orders/1")).await.unwrap_or(0) / 100,
        4,
        "a missing order, with the token"
    );
    let sent = wire.authorizations();
    assert!(
        sent[0].is_none() && sent[1].is_some() && sent[2].is_some(),
        "{sent:?}"
    );
    assert_eq!(auth_server.grants("client_credentials"), 1);
}

#[actix_rt::test]
async fn discovery_holds_to_rfc_9728_resource_equality_by_default() {
    let minter = orders::minter(&orders::settings(None, Some(AUDIENCE)));
    let auth_server = MiniAs::start(minter);
    // The metadata's resource is the origin; the request is for /orders: RFC 9728 §3.3 says
    // they must be identical, so the metadata is not used.
    let orders = discovering_orders(&auth_server.issuer());
    let discovery = Discovery::new(ClientAuth::secret_basic("svc", "s3cret"))
        .trust(auth_server.issuer())
        .allow_resources(&orders.url(""))
        .unwrap();
    let (client, _) = client(OAuthMiddleware::discover(reqwest::Client::new(), discovery));
    assert!(matches!(
        get(&client, &orders.url("/orders")).await.unwrap_err(),
        Error::Discovery(_)
    ));
    assert_eq!(auth_server.grants("client_credentials"), 0);
}

#[actix_rt::test]
async fn discovery_never_sends_credentials_to_an_untrusted_authorization_server() {
    let minter = orders::minter(&orders::settings(None, Some(AUDIENCE)));
    let auth_server = MiniAs::start(minter);
    let orders = discovering_orders(&auth_server.issuer());
    let discovery = Discovery::new(ClientAuth::secret_basic("svc", "s3cret"))
        .trust("https://id.example.com")
        .allow_resources(&orders.url(""))
        .unwrap()
        .accept_resource_prefix();
    let (client, _) = client(OAuthMiddleware::discover(reqwest::Client::new(), discovery));
    match get(&client, &orders.url("/orders")).await.unwrap_err() {
        Error::UntrustedAuthorizationServer(named) => assert_eq!(named, auth_server.issuer()),
        other => panic!("{other:?}"),
    }
    assert_eq!(auth_server.grants("client_credentials"), 0);
}

#[test]
fn secrets_never_show_in_debug_output() {
    let auth = ClientAuth::secret_basic("svc", "s3cret-value");
    let post = ClientAuth::secret_post("svc", "s3cret-value");
    let token = Token::bearer("eyJ.access.token-value", None);
    let key = DpopKey::generate_es256().unwrap();
    let server = Server::new("https://id.example.com", "https://id.example.com/token").unwrap();
    let oauth =
        OAuthClient::new(reqwest::Client::new(), server, auth.clone()).with_dpop(key.clone());
    let request = TokenRequest::new()
        .subject_token("subject-token-value", "")
        .actor_token("actor-token-value", "");
    let subject = ExchangeSubject::access_token("subject-token-value");
    let source = RefreshTokens::new(oauth.clone(), "refresh-token-value");
    let printed = format!(
        "{auth:?} {post:?} {token:?} {key:?} {oauth:?} {request:?} {subject:?} {source:?} {:?}",
        key.private_key_der()
    );
    for secret in [
        "s3cret-value",
        "token-value",
        "subject-token-value",
        "actor-token-value",
        "refresh-token-value",
    ] {
        assert!(!printed.contains(secret), "{secret} in {printed}");
    }
    let pem = key.private_key_pem();
    assert!(!printed.contains(&pem.expose()[30..60]));
}

// What the security review of auth-client asked for: where a token may go, redirects, a
// cancelled refresh, a DPoP token without a key, tokens that live a second.

/// A source that always hands out `token`.
fn fixed(token: Token) -> impl TokenSource {
    source_fn("urn:test-issuer", move |_request| {
        let token = token.clone();
        async move { Ok(token) }
    })
}

fn is_config(outcome: Result<u16, Error>) -> bool {
    matches!(outcome, Err(Error::Config(_)))
}

#[actix_rt::test]
async fn a_token_goes_only_over_tls_or_loopback_and_only_to_its_resource() {
    let orders = Orders::start(|_| {});
    let manager = Arc::new(TokenManager::new(fixed(bearer(
        &orders.minter,
        &["orders:read"],
    ))));
    let read = || TokenRequest::new().scope("orders:read");

    // RFC 6750 §5.3: never in cleartext off the machine; refused before anything is sent.
    let (any, wire) = client(OAuthMiddleware::new(Arc::clone(&manager), read()));
    assert!(is_config(
        get(&any, "http://orders.example.invalid/orders").await
    ));
    assert_eq!(wire.count(), 0);
    assert_eq!(get(&any, &orders.url("/orders")).await.unwrap(), 200);

    // A resource indicator (RFC 8707) pins the token to its origin.
    let pinned = read().resource(orders.url(""));
    let (pinned, wire) = client(OAuthMiddleware::new(Arc::clone(&manager), pinned));
    assert_eq!(get(&pinned, &orders.url("/orders")).await.unwrap(), 200);
    let other_origin = orders.url("/orders").replace("127.0.0.1", "localhost");
    assert!(is_config(get(&pinned, &other_origin).await));
    assert_eq!(wire.count(), 1, "the refused request never left");

    // `only_for`: a path prefix, on segment boundaries.
    let (prefixed, wire) = client(
        OAuthMiddleware::new(manager, read())
            .only_for(&orders.url("/orders"))
            .unwrap(),
    );
    assert_eq!(get(&prefixed, &orders.url("/orders")).await.unwrap(), 200);
    assert!(is_config(get(&prefixed, &orders.url("/ordersx")).await));
    assert!(is_config(
        get(&prefixed, &orders.url("/admin/revocations")).await
    ));
    assert_eq!(wire.count(), 1);
    assert!(
        OAuthMiddleware::new(
            Arc::new(TokenManager::new(fixed(Token::bearer("t", None)))),
            read()
        )
        .only_for("http://api.example.com/orders")
        .is_err(),
        "a cleartext prefix is a configuration error"
    );
}

#[actix_rt::test]
async fn a_redirected_token_request_is_refused_and_http_client_never_follows() {
    let target = MockAs::start();
    target.reply(
        "/token",
        Reply::json(200, &json!({"access_token": "a", "token_type": "Bearer"})),
    );
    let redirector = MockAs::start();
    for _ in 0..2 {
        redirector.reply(
            "/token",
            Reply::empty(307).header("location", &target.url("/token")),
        );
    }
    let server = || Server::new(redirector.base(), &redirector.url("/token")).unwrap();
    let auth = || ClientAuth::secret_post("svc", "s3cret");

    // reqwest's default client follows the 307 and sends the form on; the answer is refused.
    let following = OAuthClient::new(reqwest::Client::new(), server(), auth());
    let refused = following
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::BadResponse(m) if m.contains("redirect")));
    assert_eq!(target.requests_to("/token").len(), 1);

    // `http_client()` never follows: the secret stays where it was configured to go.
    let strict = OAuthClient::new(auth_client::http_client().unwrap(), server(), auth());
    assert!(
        strict
            .client_credentials(&TokenRequest::new())
            .await
            .is_err()
    );
    assert_eq!(
        target.requests_to("/token").len(),
        1,
        "nothing more reached the target"
    );
    assert_eq!(redirector.requests_to("/token").len(), 2);
}

#[actix_rt::test]
async fn a_dpop_token_type_without_a_proof_sent_is_refused() {
    let mock = MockAs::start();
    mock.reply(
        "/token",
        Reply::json(
            200,
            &json!({"access_token": "a", "token_type": "DPoP", "expires_in": 60}),
        ),
    );
    let server = Server::new(mock.base(), &mock.url("/token")).unwrap();
    let client = OAuthClient::new(
        reqwest::Client::new(),
        server,
        ClientAuth::secret_basic("svc", "s3cret"),
    );
    let refused = client
        .client_credentials(&TokenRequest::new())
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::BadResponse(m) if m.contains("DPoP")));
}

#[actix_rt::test]
async fn a_caller_dropped_mid_refresh_does_not_lose_the_rotated_refresh_token() {
    let mock = MockAs::start();
    mock.reply(
        "/token",
        Reply::json(
            200,
            &json!({"access_token": "a", "token_type": "Bearer", "expires_in": 60, "refresh_token": "rt-1"}),
        ),
    );
    let server = Server::new(mock.base(), &mock.url("/token")).unwrap();
    let client = OAuthClient::new(
        reqwest::Client::new(),
        server,
        ClientAuth::secret_basic("svc", "s3cret"),
    );
    let source = Arc::new(RefreshTokens::new(client, "rt-0"));
    let manager = TokenManager::from_arc(source.clone());
    // The caller gives up at its first wait: before the request has even left.
    let gave_up = tokio::time::timeout(Duration::ZERO, manager.token(&TokenRequest::new())).await;
    assert!(gave_up.is_err());
    let deadline = Instant::now() + Duration::from_secs(5);
    while source.refresh_token().await.expose() != "rt-1" {
        assert!(Instant::now() < deadline, "the rotation was lost");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The flight's token reached the cache too: no second token request.
    let cached = manager.token(&TokenRequest::new()).await.unwrap();
    assert_eq!(cached.access_token().expose(), "a");
    assert_eq!(mock.requests_to("/token").len(), 1);
}

#[actix_rt::test]
async fn a_caller_dropped_mid_flight_leaves_one_flight_for_the_next_callers() {
    let (source, calls) =
        counted(|n| Token::bearer(format!("t{n}"), Some(Duration::from_secs(3600))));
    let manager = TokenManager::new(source);
    let request = TokenRequest::new();
    // The source takes 50 ms; the first caller gives up after 10.
    let gave_up = tokio::time::timeout(Duration::from_millis(10), manager.token(&request)).await;
    assert!(gave_up.is_err());
    let token = manager.token(&request).await.unwrap();
    assert_eq!(
        token.access_token().expose(),
        "t1",
        "the abandoned flight's token"
    );
    assert_eq!(
        calls.lock().unwrap().len(),
        1,
        "no second flight beside the first"
    );
}

#[actix_rt::test]
async fn tokens_living_under_a_second_still_cost_one_request_per_burst() {
    let (source, calls) =
        counted(|n| Token::bearer(format!("t{n}"), Some(Duration::from_millis(900))));
    let manager = Arc::new(TokenManager::new(source));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let manager = Arc::clone(&manager);
            tokio::spawn(async move { manager.token(&TokenRequest::new()).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(calls.lock().unwrap().len(), 1);
}
