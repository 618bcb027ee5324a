//! Attacks on the request flow around verification, one named test each: forged CORS
//! preflights against the scope-wide guard, throttle keys that collapse (dual-stack peers,
//! junk in `X-Forwarded-For`, IPv6 ranges) or grow with the attacker's input, a principal
//! carried from one configuration into another, a forged `Sec-Fetch-Site` buying unlimited
//! attempts, and claim values reaching the log. Each failed on the code before its fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use actix_web::body::to_bytes;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::{App, HttpMessage as _, HttpResponse, web};
use auth_core::throttle::DEFAULT_CAPACITY;
use auth_core::transport::{TokenLocation, TokenLocations};
use auth_core::{
    AttemptStore, AuthConfig, Claims, FailureThrottle, Htpasswd, JwtVerifier, MemoryAttemptStore,
    Principal, RequireAuth, Requirement, Scheme, SchemeSet, ThrottleKey, require_auth,
};
use auth_tests::log::capture_log;
use auth_tests::*;
use base64::Engine as _;

const READ: Requirement =
    Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_all_scopes(&["orders:read"]);

fn bearer(token: &str) -> (header::HeaderName, String) {
    (header::AUTHORIZATION, format!("Bearer {token}"))
}

fn forged_preflight(uri: &str) -> TestRequest {
    TestRequest::default()
        .method(Method::OPTIONS)
        .uri(uri)
        .insert_header((header::ORIGIN, "https://evil.example"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"))
}

/// A handler that answers every method and counts how often it ran.
fn catch_all(runs: Arc<AtomicUsize>) -> actix_web::Route {
    web::to(move || {
        let runs = runs.clone();
        async move {
            runs.fetch_add(1, Ordering::SeqCst);
            HttpResponse::Ok().body("the protected body")
        }
    })
}

#[actix_rt::test]
async fn forged_preflight_does_not_reach_a_catch_all_handler() {
    let runs = Arc::new(AtomicUsize::new(0));
    let app = test::init_service(
        App::new().app_data(config()).service(
            web::scope("/api")
                .wrap(RequireAuth::new(&READ))
                .default_service(catch_all(runs.clone())),
        ),
    )
    .await;
    let res = app
        .call(forged_preflight("/api/orders").to_request())
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "no credentials: challenged like a GET");
    assert!(res.headers().contains_key(header::WWW_AUTHENTICATE));
    // A token without the scope's scope, on a preflight, is the GET's 403.
    let underscoped =
        forged_preflight("/api/orders").insert_header(bearer(&minter(Algorithm::HS256).token(&[])));
    let res = app.call(underscoped.to_request()).await.unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(runs.load(Ordering::SeqCst), 0, "the handler never ran");
}

#[actix_rt::test]
async fn forged_preflight_with_a_principal_argument_still_needs_the_scope() {
    // A `Principal` argument alone demands any scheme and no scope: the scope's requirement
    // must hold anyway, for every method.
    let app = test::init_service(App::new().app_data(config()).service(
        web::scope("/api").wrap(RequireAuth::new(&READ)).route(
            "/me",
            web::to(|user: Principal| async move {
                HttpResponse::Ok().body(user.subject().unwrap_or("?").to_owned())
            }),
        ),
    ))
    .await;
    for method in [Method::GET, Method::OPTIONS] {
        let req = forged_preflight("/api/me")
            .method(method.clone())
            .insert_header(bearer(&minter(Algorithm::HS256).token(&[])));
        let res = app.call(req.to_request()).await.unwrap();
        assert_eq!(res.status(), 403, "{method}");
    }
}

fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allowed_origin("https://app.example")
        .allow_any_method()
        .allow_any_header()
        .expose_headers([header::WWW_AUTHENTICATE])
}

#[actix_rt::test]
async fn cors_wrapped_outside_the_guard_answers_preflights_itself() {
    let runs = Arc::new(AtomicUsize::new(0));
    let app = test::init_service(
        App::new().app_data(config()).service(
            web::scope("/api")
                .wrap(RequireAuth::new(&READ))
                .wrap(cors()) // the last `wrap` is the outermost: CORS first
                .default_service(catch_all(runs.clone())),
        ),
    )
    .await;
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/orders")
        .insert_header((header::ORIGIN, "https://app.example"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization"));
    let res = app.call(preflight.to_request()).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .unwrap(),
        "https://app.example"
    );
    // A preflight from an origin CORS does not allow is refused by CORS, not passed on.
    let res = app
        .call(forged_preflight("/api/orders").to_request())
        .await
        .unwrap();
    assert!(!res.status().is_success(), "{}", res.status());
    // The real request is the guard's, and the page may read the challenge.
    let get = TestRequest::get()
        .uri("/api/orders")
        .insert_header((header::ORIGIN, "https://app.example"));
    let res = app.call(get.to_request()).await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(
        res.headers()
            .get(header::ACCESS_CONTROL_EXPOSE_HEADERS)
            .is_some_and(|v| v.to_str().unwrap().contains("www-authenticate"))
    );
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

#[actix_rt::test]
async fn cors_wrapped_inside_the_guard_fails_closed() {
    let runs = Arc::new(AtomicUsize::new(0));
    let app = test::init_service(
        App::new().app_data(config()).service(
            web::scope("/api")
                .wrap(cors())
                .wrap(RequireAuth::new(&READ)) // unsupported order: the guard sees the preflight
                .default_service(catch_all(runs.clone())),
        ),
    )
    .await;
    let preflight = TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/api/orders")
        .insert_header((header::ORIGIN, "https://app.example"))
        .insert_header((header::ACCESS_CONTROL_REQUEST_METHOD, "GET"));
    let res = app.call(preflight.to_request()).await.unwrap();
    assert_eq!(res.status(), 401, "a visible mistake, never an open door");
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

/// An app throttling after `limit` failures, behind `proxy` when one is given.
async fn throttled_app(
    throttle: FailureThrottle,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .throttle(throttle)
        .build()
        .unwrap();
    guarded(config).await
}

fn from(peer: &str, forwarded: Option<&str>, token: &str) -> actix_http::Request {
    let mut req = TestRequest::get()
        .uri("/p")
        .peer_addr(peer.parse::<SocketAddr>().unwrap())
        .insert_header(bearer(token));
    if let Some(chain) = forwarded {
        req = req.insert_header(("x-forwarded-for", chain));
    }
    req.to_request()
}

/// After failures sent through `proxy` for 203.0.113.1: that client is blocked, and the
/// proxy's own requests (health checks, no forwarded header) are not.
async fn assert_failures_are_the_attackers(
    app: &impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error>,
    proxy: &str,
) {
    let attacker = app
        .call(from(
            proxy,
            Some("203.0.113.1"),
            &minter(Algorithm::HS256).token(&[]),
        ))
        .await
        .unwrap();
    assert_eq!(attacker.status(), 429, "the failures are the attacker's");
    let proxy_itself = app
        .call(from(proxy, None, &minter(Algorithm::HS256).token(&[])))
        .await
        .unwrap();
    assert_eq!(proxy_itself.status(), 200);
}

#[actix_rt::test]
async fn dual_stack_peer_is_canonicalised_before_the_proxy_is_trusted() {
    // On a `[::]` listener the IPv4 proxy 127.0.0.1 arrives as `::ffff:127.0.0.1`.
    let proxy = "[::ffff:127.0.0.1]:41000";
    let trusted =
        FailureThrottle::per_minute(3).trust_forwarded_for(["127.0.0.1".parse().unwrap()]);
    let app = throttled_app(trusted).await;
    for _ in 0..3 {
        let res = app
            .call(from(proxy, Some("203.0.113.1"), "junk.junk.junk"))
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let blocked = app
        .call(from(
            proxy,
            Some("203.0.113.1"),
            &minter(Algorithm::HS256).token(&[]),
        ))
        .await
        .unwrap();
    assert_eq!(blocked.status(), 429, "the guessing client is blocked");
    let other = app
        .call(from(
            proxy,
            Some("203.0.113.2"),
            &minter(Algorithm::HS256).token(&[]),
        ))
        .await
        .unwrap();
    assert_eq!(other.status(), 200, "another client behind the same proxy");
}

#[actix_rt::test]
async fn junk_left_in_x_forwarded_for_does_not_put_failures_on_the_proxy() {
    let proxy = "10.0.0.1:41000";
    let trusted = FailureThrottle::per_minute(3).trust_forwarded_for(["10.0.0.1".parse().unwrap()]);
    let app = throttled_app(trusted).await;
    for junk in ["junk, 203.0.113.1", "unknown,203.0.113.1", ", 203.0.113.1"] {
        let res = app
            .call(from(proxy, Some(junk), "junk.junk.junk"))
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{junk}");
    }
    assert_failures_are_the_attackers(&app, proxy).await;
}

#[actix_rt::test]
async fn ipv6_clients_rotating_through_their_64_share_one_key() {
    let app = throttled_app(FailureThrottle::per_minute(3)).await;
    for host in 1..=3 {
        let peer = format!("[2001:db8:1:2::{host}]:41000");
        let res = app.call(from(&peer, None, "junk.junk.junk")).await.unwrap();
        assert_eq!(res.status(), 401);
    }
    let rotated = app
        .call(from(
            "[2001:db8:1:2:ffff::9]:41000",
            None,
            &minter(Algorithm::HS256).token(&[]),
        ))
        .await
        .unwrap();
    assert_eq!(rotated.status(), 429, "a fresh address in the same /64");
    let neighbour = app
        .call(from(
            "[2001:db8:1:3::1]:41000",
            None,
            &minter(Algorithm::HS256).token(&[]),
        ))
        .await
        .unwrap();
    assert_eq!(neighbour.status(), 200, "another /64");

    // Keyed per address on request.
    let app = throttled_app(FailureThrottle::per_minute(3).ipv6_prefix(128)).await;
    for host in 1..=3 {
        let peer = format!("[2001:db8:1:2::{host}]:41000");
        app.call(from(&peer, None, "junk.junk.junk")).await.unwrap();
    }
    let other = app
        .call(from(
            "[2001:db8:1:2::4]:41000",
            None,
            &minter(Algorithm::HS256).token(&[]),
        ))
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}

fn assert_fixed_size<T: Copy>() -> usize {
    std::mem::size_of::<T>()
}

#[actix_rt::test]
async fn attacker_sized_basic_user_ids_are_capped_and_kept_as_fixed_size_digests() {
    // Keys hold no heap (they are `Copy`) and are small, so the store's bytes are bounded by
    // its entries; the default store's bound is a few MiB, whatever is sent.
    assert!(assert_fixed_size::<ThrottleKey>() <= 40);
    let store = MemoryAttemptStore::new(DEFAULT_CAPACITY, Duration::from_secs(60));
    assert!(
        store.max_bytes() < 16 << 20,
        "{} bytes at most",
        store.max_bytes()
    );
    let (now, minute) = (SystemTime::now(), Duration::from_secs(60));
    let small = MemoryAttemptStore::new(1024, minute);
    for i in 0..4096 {
        let user = format!("{i:0>3000}");
        let key = ThrottleKey::user(&user);
        small.record_failure(&key, now, 5, minute).await.unwrap();
    }
    assert!(small.len() <= 1024);

    // Over HTTP: a credential past the cap is refused unread; one just under it is throttled
    // by its digest like any user-id.
    let htpasswd =
        Htpasswd::parse("ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu")
            .unwrap();
    let config = AuthConfig::builder()
        .realm(REALM)
        .basic(htpasswd)
        .throttle(FailureThrottle::per_minute(2))
        .build()
        .unwrap();
    let app = guarded(config).await; // Basic is the one registered scheme
    let basic = |user: &str, peer: u8| {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:guess"));
        TestRequest::get()
            .uri("/")
            .peer_addr(SocketAddr::from(([198, 51, 100, peer], 40_000)))
            .insert_header((header::AUTHORIZATION, format!("Basic {encoded}")))
            .to_request()
    };
    let huge = "u".repeat(90_000);
    let res = app.call(basic(&huge, 1)).await.unwrap();
    assert_eq!(res.status(), 401);
    let long = "v".repeat(3_000);
    for peer in 2..4 {
        assert_eq!(app.call(basic(&long, peer)).await.unwrap().status(), 401);
    }
    let res = app.call(basic(&long, 9)).await.unwrap();
    assert_eq!(res.status(), 429, "the same user-id from a fresh address");
}

#[actix_rt::test]
async fn a_principal_verified_under_another_configuration_is_not_reused() {
    // The App accepts the HS256 test key; the /admin scope registers a stricter
    // configuration that only knows an RSA key.
    let strict = AuthConfig::builder()
        .realm("admin")
        .bearer(
            JwtVerifier::builder()
                .key(verification_key(auth_core::Algorithm::RS256))
                .issuer(ISSUER)
                .audience(AUDIENCE)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    #[require_auth(scheme = "bearer")]
    async fn admin(user: Principal) -> String {
        user.subject().unwrap_or("?").to_owned()
    }
    let app = test::init_service(
        App::new()
            .app_data(config())
            .wrap(RequireAuth::new(&Requirement::AUTHENTICATED))
            .service(
                web::scope("/admin")
                    .app_data(strict)
                    .route("/attr", web::get().to(admin))
                    .route(
                        "/arg",
                        web::get().to(|user: Principal| async move {
                            HttpResponse::Ok().body(user.subject().unwrap_or("?").to_owned())
                        }),
                    ),
            ),
    )
    .await;
    let hs256 = minter(Algorithm::HS256).token(&[]);
    let rs256 = minter(auth_core::Algorithm::RS256).sign(&claims(""));
    for path in ["/admin/attr", "/admin/arg"] {
        let req = TestRequest::get().uri(path).insert_header(bearer(&hs256));
        let res = app.call(req.to_request()).await.unwrap();
        assert_eq!(res.status(), 401, "{path}: the stricter verifier decides");
        let req = TestRequest::get().uri(path).insert_header(bearer(&rs256));
        let res = app.call(req.to_request()).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
}

#[actix_rt::test]
async fn a_principal_planted_in_the_extensions_is_not_trusted() {
    #[require_auth(scheme = "bearer", scope = "admin")]
    async fn admin(user: Principal) -> String {
        user.subject().unwrap_or("?").to_owned()
    }
    let app = test::init_service(
        App::new()
            .app_data(config())
            .wrap_fn(|req, srv| {
                // Application code (or a buggy middleware) puts an identity in the request.
                let forged = Principal::new(
                    Scheme::Bearer,
                    Some("root".into()),
                    vec!["admin".into()],
                    Default::default(),
                );
                req.extensions_mut().insert(forged);
                srv.call(req)
            })
            .route("/attr", web::get().to(admin))
            .route(
                "/arg",
                web::get().to(|user: Principal| async move {
                    HttpResponse::Ok().body(user.subject().unwrap_or("?").to_owned())
                }),
            ),
    )
    .await;
    for path in ["/attr", "/arg"] {
        let res = app
            .call(TestRequest::get().uri(path).to_request())
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
}

/// An app reading query tokens, throttling after 3 failures.
async fn query_token_app()
-> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .token_locations(TokenLocations::HEADER.with(TokenLocation::Query))
        .throttle(FailureThrottle::per_minute(3))
        .build()
        .unwrap();
    guarded(config).await
}

fn junk_query(cross_site: bool) -> actix_http::Request {
    let mut req = TestRequest::get()
        .uri("/events?access_token=junk.junk.junk")
        .peer_addr(SocketAddr::from(([203, 0, 113, 9], 40_000)));
    if cross_site {
        req = req.insert_header(("sec-fetch-site", "cross-site"));
    }
    req.to_request()
}

#[actix_rt::test]
async fn a_forged_sec_fetch_site_does_not_buy_unlimited_attempts() {
    let app = query_token_app().await;
    let mut statuses = Vec::new();
    for _ in 0..30 {
        statuses.push(app.call(junk_query(true)).await.unwrap().status());
    }
    assert_eq!(&statuses[..3], [StatusCode::UNAUTHORIZED; 3]);
    assert!(
        statuses[3..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[actix_rt::test]
async fn a_cross_site_page_cannot_lock_its_visitor_out() {
    let app = query_token_app().await;
    // A hostile page makes the visitor's browser load junk query tokens, many times.
    for _ in 0..10 {
        app.call(junk_query(true)).await.unwrap();
    }
    let visitor = TestRequest::get()
        .uri("/orders")
        .peer_addr(SocketAddr::from(([203, 0, 113, 9], 40_001)))
        .insert_header(bearer(&minter(Algorithm::HS256).token(&[])));
    assert_eq!(app.call(visitor.to_request()).await.unwrap().status(), 200);
    let same_site = TestRequest::get()
        .uri(&format!(
            "/events?access_token={}",
            minter(Algorithm::HS256).token(&[])
        ))
        .peer_addr(SocketAddr::from(([203, 0, 113, 9], 40_002)))
        .insert_header(("sec-fetch-site", "same-origin"));
    assert_eq!(
        app.call(same_site.to_request()).await.unwrap().status(),
        200
    );
}

#[actix_rt::test]
async fn claims_that_do_not_fit_are_logged_without_their_values() {
    #[derive(serde::Deserialize)]
    struct Tenant {
        #[allow(dead_code)]
        tenant: u32,
    }
    #[require_auth(scheme = "bearer")]
    async fn tenant(_: Claims<Tenant>) -> &'static str {
        "ok"
    }
    let (capture, _guard) = capture_log();
    let app = test::init_service(
        App::new()
            .app_data(config())
            .route("/t", web::get().to(tenant)),
    )
    .await;
    let mut claims = claims("");
    claims["tenant"] = "secret-tenant-4711".into();
    let req = TestRequest::get()
        .uri("/t")
        .insert_header(bearer(&minter(auth_core::Algorithm::HS256).sign(&claims)));
    let res = app.call(req.to_request()).await.unwrap();
    assert_eq!(res.status(), 401);
    to_bytes(res.into_body()).await.unwrap();
    let log = capture.text();
    assert!(log.contains("claims do not fit"), "{log}");
    assert!(!log.contains("secret-tenant-4711"), "{log}");
}

// Found by the second, independent review of the fixes above.

fn from_site(uri: &str, site: &str, port: u16) -> TestRequest {
    TestRequest::get()
        .uri(uri)
        .peer_addr(SocketAddr::from(([203, 0, 113, 9], port)))
        .insert_header(("sec-fetch-site", site))
}

#[actix_rt::test]
async fn malformed_tokens_a_foreign_page_makes_browsers_send_do_not_lock_the_visitor_out() {
    // `<img src="https://api/x?access_token=">`: empty, not a b64token, or sent twice — each
    // a 400 found before any token is read, and once counted under the visitor's own key.
    for junk in [
        "/events?access_token=",
        "/events?access_token=a%20b",
        "/events?access_token=a&access_token=b",
    ] {
        let app = query_token_app().await;
        for _ in 0..5 {
            let res = app
                .call(from_site(junk, "cross-site", 40_000).to_request())
                .await
                .unwrap();
            assert!(res.status() == 400 || res.status() == 429, "{junk}");
        }
        let visitor = TestRequest::get()
            .uri("/orders")
            .peer_addr(SocketAddr::from(([203, 0, 113, 9], 40_001)))
            .insert_header(bearer(&minter(Algorithm::HS256).token(&[])));
        let res = app.call(visitor.to_request()).await.unwrap();
        assert_eq!(res.status(), 200, "{junk}: the visitor's own request");
        // A client forging the mark is still throttled.
        let res = app
            .call(from_site(junk, "cross-site", 40_002).to_request())
            .await
            .unwrap();
        assert_eq!(res.status(), 429, "{junk}");
    }
}

#[actix_rt::test]
async fn same_site_pages_are_counted_apart_too() {
    // A sibling subdomain may host anyone's content (`Sec-Fetch-Site: same-site`).
    let app = query_token_app().await;
    for _ in 0..5 {
        app.call(
            from_site("/events?access_token=junk.junk.junk", "same-site", 40_000).to_request(),
        )
        .await
        .unwrap();
    }
    let visitor = TestRequest::get()
        .uri("/orders")
        .peer_addr(SocketAddr::from(([203, 0, 113, 9], 40_001)))
        .insert_header(bearer(&minter(Algorithm::HS256).token(&[])));
    assert_eq!(app.call(visitor.to_request()).await.unwrap().status(), 200);
}

#[actix_rt::test]
async fn a_hostile_page_cannot_spend_a_trusted_cross_site_apps_budget() {
    use auth_core::transport::CsrfDefence;
    let config = AuthConfig::builder()
        .realm(REALM)
        .bearer(verifier())
        .token_locations(
            TokenLocations::HEADER
                .with(TokenLocation::Cookie)
                .with(TokenLocation::Query),
        )
        .csrf(CsrfDefence::new().trust_origin("https://app.partner.example"))
        .throttle(FailureThrottle::per_minute(3))
        .build()
        .unwrap();
    let app = guarded(config).await;
    // The hostile page, opened by the same visitor: junk query tokens, no trusted Origin.
    for _ in 0..5 {
        app.call(
            from_site("/events?access_token=junk.junk.junk", "cross-site", 40_000).to_request(),
        )
        .await
        .unwrap();
    }
    // The partner's single-page app on another site, with its cookie token.
    let spa = TestRequest::post()
        .uri("/orders")
        .peer_addr(SocketAddr::from(([203, 0, 113, 9], 40_001)))
        .insert_header(("sec-fetch-site", "cross-site"))
        .insert_header((header::ORIGIN, "https://app.partner.example"))
        .insert_header((
            header::COOKIE,
            format!("access_token={}", minter(Algorithm::HS256).token(&[])),
        ));
    assert_eq!(app.call(spa.to_request()).await.unwrap().status(), 200);
}

#[actix_rt::test]
async fn a_byte_that_is_not_ascii_in_x_forwarded_for_spoils_only_its_element() {
    let proxy = "10.0.0.1:41000";
    let trusted = FailureThrottle::per_minute(3).trust_forwarded_for(["10.0.0.1".parse().unwrap()]);
    let app = throttled_app(trusted).await;
    let chain = header::HeaderValue::from_bytes(b"\xff, 203.0.113.1").unwrap();
    for _ in 0..3 {
        let req = TestRequest::get()
            .uri("/p")
            .peer_addr(proxy.parse::<SocketAddr>().unwrap())
            .insert_header(("x-forwarded-for", chain.clone()))
            .insert_header(bearer("junk.junk.junk"));
        assert_eq!(app.call(req.to_request()).await.unwrap().status(), 401);
    }
    assert_failures_are_the_attackers(&app, proxy).await;
}

#[actix_rt::test]
async fn ipv6_addresses_that_carry_an_ipv4_client_are_keyed_by_it() {
    // NAT64 (every IPv4 client in one /64), 6to4 (one IPv4 host owns a /48), Teredo (clients
    // of one server share its /64; the client's IPv4 address is the inverted last 32 bits).
    let pairs = [
        (
            "[64:ff9b::cb00:7101]:4000",
            "[64:ff9b::cb00:7102]:4000",
            "[64:ff9b::cb00:7101]:4001",
        ),
        (
            "[2002:cb00:7101::1]:4000",
            "[2002:cb00:7102::1]:4000",
            "[2002:cb00:7101:ffff::9]:4000",
        ),
        (
            "[2001:0:4136:e378:8000:63bf:34ff:8efe]:4000",
            "[2001:0:4136:e378:8000:63bf:34ff:8efd]:4000",
            "[2001:0:4136:e378:8000:63bf:34ff:8efe]:4001",
        ),
    ];
    for (guesser, neighbour, guesser_again) in pairs {
        let app = throttled_app(FailureThrottle::per_minute(3)).await;
        for _ in 0..3 {
            app.call(from(guesser, None, "junk.junk.junk"))
                .await
                .unwrap();
        }
        let res = app
            .call(from(neighbour, None, &minter(Algorithm::HS256).token(&[])))
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{neighbour}: another IPv4 client");
        let res = app
            .call(from(
                guesser_again,
                None,
                &minter(Algorithm::HS256).token(&[]),
            ))
            .await
            .unwrap();
        assert_eq!(res.status(), 429, "{guesser_again}: the same IPv4 client");
    }
}
