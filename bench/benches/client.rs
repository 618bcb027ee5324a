//! What `auth-client` costs per request, side by side in one run against the same local actix
//! server on 127.0.0.1 (one worker, answering 200 to any request that carries `Authorization`,
//! and for `/dpop` a `DPoP` header too; it verifies nothing, so the numbers are the client's):
//!
//! - **reqwest, fixed header**: the baseline, plain `reqwest` with a hard-coded
//!   `Authorization: Bearer …` (`bearer_auth`) (what a team writes when it leaves lifetimes to someone else);
//! - **reqwest-middleware, no middleware**: the wrapper alone, to separate its cost;
//! - **OAuthMiddleware, cached Bearer token**: the token manager's lookup, the header, the
//!   answer classification (a 200: nothing to do);
//! - **reqwest + hand-made DPoP proof**: plain reqwest with `DpopKey::proof` called by hand
//!   (the signature's own cost), per algorithm;
//! - **OAuthMiddleware, cached DPoP token**: a new proof per request (one signature, `ath`),
//!   the nonce lookup and harvest, per algorithm.
//!
//! - and, without HTTP, the two parts of the client's own work: `TokenManager::token` on a
//!   cached token, and `DpopKey::proof`.
//!
//! Each HTTP iteration is one full round trip over a kept-alive connection, body read.
//! Run: `cargo bench -p auth-bench --bench client`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use auth_client::{
    BoxFuture, DpopKey, DpopNonces, Error, OAuthMiddleware, Secret, Token, TokenManager,
    TokenRequest, TokenSource,
};
use criterion::{Criterion, criterion_group, criterion_main};
use reqwest::header::AUTHORIZATION;
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};

const TOKEN: &str = "bench-access-token-0123456789abcdefghijklmnopqrstuvwxyz";

/// 200 when the request carries what the path asks for, 401 otherwise: a benchmark whose client
/// forgot the header fails its assertion instead of measuring nothing.
async fn answer(req: HttpRequest, dpop: bool) -> HttpResponse {
    let headers = req.headers();
    if headers.contains_key("authorization") && (!dpop || headers.contains_key("dpop")) {
        HttpResponse::Ok().body("ok")
    } else {
        HttpResponse::Unauthorized()
            .insert_header(("www-authenticate", "Bearer"))
            .finish()
    }
}

/// The end of a middleware chain that answers in process instead of sending: 200 when the
/// request carries `Authorization` (and `DPoP` when `dpop`). Without the network's noise (a
/// loopback round trip on this shared VM varies by ±50 %), what remains is the client's own
/// work: the overhead the issue asks for, against the same chain with a fixed header.
struct Stub {
    dpop: bool,
}

#[async_trait::async_trait]
impl Middleware for Stub {
    async fn handle(
        &self,
        req: reqwest::Request,
        _: &mut http::Extensions,
        _: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        let headers = req.headers();
        let ok =
            headers.contains_key("authorization") && (!self.dpop || headers.contains_key("dpop"));
        let response = http::Response::builder()
            .status(if ok { 200 } else { 401 })
            .body("ok")
            .unwrap();
        Ok(reqwest::Response::from(response))
    }
}

fn stubbed(
    http: &reqwest::Client,
    manager: Option<Arc<TokenManager>>,
    dpop: bool,
) -> ClientWithMiddleware {
    let builder = ClientBuilder::new(http.clone());
    let builder = match manager {
        Some(manager) => builder.with(OAuthMiddleware::new(manager, request())),
        None => builder,
    };
    builder.with(Stub { dpop }).build()
}

/// Starts the server on its own thread and returns its base URL.
fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        actix_rt::System::new().block_on(async move {
            HttpServer::new(|| {
                App::new()
                    .route("/bearer", web::get().to(|r| answer(r, false)))
                    .route("/dpop", web::get().to(|r| answer(r, true)))
            })
            .workers(1)
            // Longer than any pause between benchmarks: a pooled connection the server closed
            // while criterion analysed would fail the next request (a race, not a cost).
            .keep_alive(Duration::from_secs(3600))
            .listen(listener)
            .unwrap()
            .run()
            .await
            .unwrap();
        });
    });
    base
}

/// A source that hands out one long-lived token, bound to `dpop` when it has a key: the
/// manager caches it, so the timed part never fetches.
#[derive(Debug)]
struct Fixed {
    dpop: Option<(DpopKey, Arc<DpopNonces>)>,
}

impl TokenSource for Fixed {
    fn fetch<'a>(&'a self, _: &'a TokenRequest) -> BoxFuture<'a, Result<Token, Error>> {
        let lifetime = Some(Duration::from_secs(24 * 3600));
        let token = match self.dpop {
            Some(_) => Token::dpop(TOKEN, lifetime),
            None => Token::bearer(TOKEN, lifetime),
        };
        Box::pin(async move { Ok(token) })
    }

    fn issuer(&self) -> &str {
        "https://id.bench.example"
    }

    fn dpop(&self) -> Option<(&DpopKey, &Arc<DpopNonces>)> {
        self.dpop.as_ref().map(|(key, nonces)| (key, nonces))
    }
}

fn manager(dpop: Option<DpopKey>) -> Arc<TokenManager> {
    Arc::new(TokenManager::new(Fixed {
        dpop: dpop.map(|key| (key, Arc::new(DpopNonces::default()))),
    }))
}

fn request() -> TokenRequest {
    TokenRequest::new().scope("orders:read")
}

fn with_middleware(http: &reqwest::Client, manager: Arc<TokenManager>) -> ClientWithMiddleware {
    ClientBuilder::new(http.clone())
        .with(OAuthMiddleware::new(manager, request()))
        .build()
}

/// One iteration's end: the answer is a 200 and its body is read.
async fn ok<E: std::fmt::Debug>(sent: impl Future<Output = Result<reqwest::Response, E>>) {
    let response = sent.await.unwrap();
    assert_eq!(response.status(), 200);
    response.bytes().await.unwrap();
}

fn benches(c: &mut Criterion) {
    let base = start_server();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let bearer_url = format!("{base}/bearer");
    let dpop_url = format!("{base}/dpop");
    let dpop_parsed = url::Url::parse(&dpop_url).unwrap();
    let token = Secret::from(TOKEN);
    let bare = ClientBuilder::new(http.clone()).build();
    let bearer_manager = manager(None);
    let oauth = with_middleware(&http, Arc::clone(&bearer_manager));

    let mut group = c.benchmark_group("client");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));

    // The client's own work, without the round trip: the cache lookup of every request.
    let request = request();
    rt.block_on(bearer_manager.token(&request)).unwrap();
    group.bench_function("TokenManager::token, cached (no HTTP)", |b| {
        b.iter(|| rt.block_on(bearer_manager.token(&request)).unwrap())
    });
    // In process (no network): the chain with a fixed header against the chain with the OAuth
    // middleware in front.
    let stub_fixed = stubbed(&http, None, false);
    let stub_bearer = stubbed(&http, Some(Arc::clone(&bearer_manager)), false);
    group.bench_function("no HTTP/fixed header", |b| {
        b.iter(|| rt.block_on(ok(stub_fixed.get(&bearer_url).bearer_auth(TOKEN).send())))
    });
    group.bench_function("no HTTP/OAuthMiddleware, cached Bearer token", |b| {
        b.iter(|| rt.block_on(ok(stub_bearer.get(&bearer_url).send())))
    });
    group.bench_function("reqwest, fixed header", |b| {
        b.iter(|| rt.block_on(ok(http.get(&bearer_url).bearer_auth(TOKEN).send())))
    });
    group.bench_function("reqwest-middleware, no middleware, fixed header", |b| {
        b.iter(|| rt.block_on(ok(bare.get(&bearer_url).bearer_auth(TOKEN).send())))
    });
    group.bench_function("OAuthMiddleware, cached Bearer token", |b| {
        b.iter(|| rt.block_on(ok(oauth.get(&bearer_url).send())))
    });

    for (alg, key) in [
        ("ES256", DpopKey::generate_es256().unwrap()),
        ("EdDSA", DpopKey::generate_ed25519().unwrap()),
    ] {
        group.bench_function(format!("{alg}/DpopKey::proof (no HTTP)"), |b| {
            b.iter(|| key.proof("GET", &dpop_parsed, Some(&token), None).unwrap())
        });
        let stub_dpop = stubbed(&http, Some(manager(Some(key.clone()))), true);
        group.bench_function(
            format!("no HTTP/{alg}/OAuthMiddleware, cached DPoP token"),
            |b| b.iter(|| rt.block_on(ok(stub_dpop.get(&dpop_url).send()))),
        );
        group.bench_function(format!("{alg}/reqwest + hand-made DPoP proof"), |b| {
            b.iter(|| {
                let proof = key.proof("GET", &dpop_parsed, Some(&token), None).unwrap();
                let sent = http
                    .get(&dpop_url)
                    .header(AUTHORIZATION, format!("DPoP {TOKEN}"))
                    .header("dpop", proof)
                    .send();
                rt.block_on(ok(sent))
            })
        });
        let client = with_middleware(&http, manager(Some(key)));
        group.bench_function(format!("{alg}/OAuthMiddleware, cached DPoP token"), |b| {
            b.iter(|| rt.block_on(ok(client.get(&dpop_url).send())))
        });
    }
    group.finish();
}

criterion_group!(client, benches);
criterion_main!(client);
