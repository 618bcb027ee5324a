//! A service calling the `orders` example through `auth-client`, in the scenarios the CI's
//! client suite (`tests/interop/client_interop.py`) runs against the real `orders` binary and
//! a real OpenID provider. Each prints one JSON line of what it saw; the suite judges it.
//!
//! ```text
//! orders_client concurrent ISSUER ORDERS CLIENT SECONDS
//! orders_client revoke     ISSUER ORDERS CLIENT ADMIN_CLIENT
//! orders_client forbidden  ISSUER ORDERS CLIENT
//! orders_client dpop       ISSUER ORDERS CLIENT ES256|EdDSA REQUESTS
//! orders_client discover   ISSUER RESOURCE_URL CLIENT [--untrusted]
//! ```
//! `revoke` revokes the client's tokens at `orders` (`/admin/revocations`, with an
//! `orders:admin` token of ADMIN_CLIENT) mid-run. Clients are the provider's (`CLIENT` with secret `CLIENT-secret`, client_secret_basic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_client::{
    AuthorizationServer, BoxFuture, ClientAuth, ClientCredentials, Discovery, DpopKey, Error,
    OAuthClient, OAuthMiddleware, Token, TokenManager, TokenRequest, TokenSource,
};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware, Middleware, Next};
use serde_json::json;

/// Counts the requests that leave the client (placed after the OAuth middleware: replays
/// included).
#[derive(Clone, Default)]
struct Sends(Arc<AtomicUsize>);

impl Sends {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl Middleware for Sends {
    async fn handle(
        &self,
        req: reqwest::Request,
        ext: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        self.0.fetch_add(1, Ordering::SeqCst);
        next.run(req, ext).await
    }
}

fn auth(client: &str) -> ClientAuth {
    ClientAuth::secret_basic(client, format!("{client}-secret"))
}

async fn oauth(http: &reqwest::Client, issuer: &str, client: &str) -> OAuthClient {
    let server = AuthorizationServer::discover(http, issuer)
        .await
        .expect("discovery");
    OAuthClient::new(http.clone(), server, auth(client))
}

fn api(http: reqwest::Client, middleware: OAuthMiddleware, sends: &Sends) -> ClientWithMiddleware {
    ClientBuilder::new(http)
        .with(middleware)
        .with(sends.clone())
        .build()
}

fn describe(e: &reqwest_middleware::Error) -> String {
    match Error::of(e) {
        Some(Error::InvalidToken { refreshes }) => format!("invalid_token after {refreshes}"),
        Some(Error::InsufficientScope { scopes, .. }) => {
            format!("insufficient_scope {}", scopes.join(" "))
        }
        Some(Error::UntrustedAuthorizationServer(_)) => "untrusted".to_owned(),
        Some(other) => format!("auth: {other}"),
        None => format!("http: {e}"),
    }
}

/// `n` concurrent GETs; (successes, first error).
async fn burst(api: &ClientWithMiddleware, url: &str, n: usize) -> (usize, Vec<String>) {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let api = api.clone();
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move { api.get(url).send().await }));
    }
    let (mut ok, mut errors) = (0, Vec::new());
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) if r.status() == 200 => ok += 1,
            Ok(r) => errors.push(format!("status {}", r.status())),
            Err(e) => errors.push(describe(&e)),
        }
    }
    errors.truncate(3);
    (ok, errors)
}

/// The provider's client credentials grant, until `misaddress` is set: then tokens for another
/// audience (`urn:other-api`), which `orders` refuses — an authorization server handing out
/// tokens the resource will not take.
#[derive(Debug)]
struct Switchable {
    inner: ClientCredentials,
    misaddress: Arc<AtomicBool>,
}

impl TokenSource for Switchable {
    fn fetch<'a>(&'a self, request: &'a TokenRequest) -> BoxFuture<'a, Result<Token, Error>> {
        Box::pin(async move {
            if self.misaddress.load(Ordering::SeqCst) {
                let other = TokenRequest::new()
                    .scope("orders:read")
                    .resource("urn:other-api");
                self.inner.fetch(&other).await
            } else {
                self.inner.fetch(request).await
            }
        })
    }

    fn issuer(&self) -> &str {
        self.inner.issuer()
    }
}

/// The `jti` and `exp` of a JWT access token.
fn jti_and_exp(token: &Token) -> (String, u64) {
    use base64::Engine as _;
    let payload = token.access_token().expose().split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    (
        claims["jti"].as_str().unwrap().to_owned(),
        claims["exp"].as_u64().unwrap(),
    )
}

fn request() -> TokenRequest {
    TokenRequest::new()
        .scope("orders:read")
        .resource("urn:orders")
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (scenario, issuer, orders, client) = (&args[1], &args[2], &args[3], &args[4]);
    // Never follows a redirect (see `auth_client::http_client`).
    let http = auth_client::http_client().expect("an HTTP client");
    let sends = Sends::default();
    let list = format!("{orders}/orders");
    let out = match scenario.as_str() {
        "concurrent" => {
            let seconds: u64 = args[5].parse().unwrap();
            let manager = Arc::new(TokenManager::new(ClientCredentials::new(
                oauth(&http, issuer, client).await,
            )));
            let api = api(http, OAuthMiddleware::new(manager, request()), &sends);
            let (start, mut requests, mut ok, mut errors) = (Instant::now(), 0, 0, Vec::new());
            while start.elapsed() < Duration::from_secs(seconds) {
                let (good, bad) = burst(&api, &list, 200).await;
                requests += 200;
                ok += good;
                errors.extend(bad);
            }
            errors.truncate(3);
            json!({"requests": requests, "ok": ok, "errors": errors, "sends": sends.count()})
        }
        "revoke" => {
            let admin_client = &args[5];
            let misaddress = Arc::new(AtomicBool::new(false));
            let source = Switchable {
                inner: ClientCredentials::new(oauth(&http, issuer, client).await),
                misaddress: Arc::clone(&misaddress),
            };
            let manager = Arc::new(TokenManager::new(source));
            let api = api(
                http.clone(),
                OAuthMiddleware::new(Arc::clone(&manager), request()),
                &sends,
            );
            let (warm, _) = burst(&api, &list, 1).await;
            // The cut-off is in whole seconds; the token in use must be older than it.
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let admin = oauth(&http, issuer, admin_client)
                .await
                .client_credentials(
                    &TokenRequest::new()
                        .scope("orders:admin")
                        .resource("urn:orders"),
                )
                .await
                .expect("admin token");
            let revoke = |body: serde_json::Value| {
                let http = http.clone();
                let admin = admin.access_token().expose().to_owned();
                let url = format!("{orders}/admin/revocations");
                async move {
                    http.post(url)
                        .bearer_auth(admin)
                        .header("content-type", "application/json")
                        .body(body.to_string())
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                }
            };
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let first_revocation = revoke(json!({"sub": client, "issued_before": now})).await;
            let sends_before = sends.count();
            let (after, errors) = burst(&api, &list, 200).await;
            let sends_burst = sends.count() - sends_before;
            // The token in force is revoked too, and the next one the source gets is for
            // another audience: refused as well, so the client must stop after one refresh.
            let (jti, exp) = jti_and_exp(&manager.token(&request()).await.unwrap());
            let second_revocation = revoke(json!({"jti": jti, "expires_at": exp})).await;
            misaddress.store(true, Ordering::SeqCst);
            let sends_before = sends.count();
            let second = match api.get(&list).send().await {
                Ok(r) => format!("status {}", r.status().as_u16()),
                Err(e) => describe(&e),
            };
            let sends_second = sends.count() - sends_before;
            json!({"warm": warm, "revocations": [first_revocation, second_revocation], "ok_after_revocation": after,
                   "errors": errors, "sends_burst": sends_burst, "second": second, "sends_second": sends_second})
        }
        "forbidden" => {
            let manager = Arc::new(TokenManager::new(ClientCredentials::new(
                oauth(&http, issuer, client).await,
            )));
            let api = api(http, OAuthMiddleware::new(manager, request()), &sends);
            let outcome = match api
                .post(&list)
                .header("content-type", "application/json")
                .body(r#"{"item":"book","quantity":1}"#)
                .send()
                .await
            {
                Ok(r) => format!("status {}", r.status().as_u16()),
                Err(e) => describe(&e),
            };
            json!({"outcome": outcome, "sends": sends.count()})
        }
        "dpop" => {
            let key = match args[5].as_str() {
                "EdDSA" => DpopKey::generate_ed25519().unwrap(),
                _ => DpopKey::generate_es256().unwrap(),
            };
            let n: usize = args[6].parse().unwrap();
            let oauth = oauth(&http, issuer, client).await.with_dpop(key);
            let manager = Arc::new(TokenManager::new(ClientCredentials::new(oauth)));
            let api = api(http, OAuthMiddleware::new(manager, request()), &sends);
            let (first, mut errors) = burst(&api, &list, 1).await;
            let (rest, more) = burst(&api, &list, n - 1).await;
            errors.extend(more);
            errors.truncate(3);
            json!({"requests": n, "ok": first + rest, "errors": errors, "sends": sends.count()})
        }
        "discover" => {
            // `orders` here is the resource URL itself (e.g. http://127.0.0.1:PORT/orders).
            // Only the resource is configured: where its tokens come from is discovered.
            let mut discovery = Discovery::new(auth(client))
                .allow_resources(orders)
                .expect("the resource URL")
                .scope("orders:read");
            if args.get(5).map(String::as_str) != Some("--untrusted") {
                discovery = discovery.trust(issuer.clone());
            }
            let api = api(
                http.clone(),
                OAuthMiddleware::discover(http, discovery),
                &sends,
            );
            let first = match api.get(orders).send().await {
                Ok(r) => format!("status {}", r.status().as_u16()),
                Err(e) => describe(&e),
            };
            let sends_first = sends.count();
            let again = match api.get(orders).send().await {
                Ok(r) => format!("status {}", r.status().as_u16()),
                Err(e) => describe(&e),
            };
            json!({"first": first, "sends_first": sends_first, "again": again, "sends": sends.count()})
        }
        other => panic!("unknown scenario {other}"),
    };
    println!("{out}");
}
