//! Attacks on the `orders` example's Basic logins and cookie sessions, on a real socket with the
//! routes the binary serves:
//!
//! - a known user with a cheap hash and an unknown user get one byte-identical refusal (the
//!   equal *work* behind it is proved by the unit tests of `auth_core`'s htpasswd store);
//! - session cookies are `Secure` whatever `Host`, `X-Forwarded-Host` or `Forwarded` a request
//!   (or a proxy) names, and only the service's development setting drops it;
//! - a cross-site `POST /auth/login` carrying the Basic credentials a browser cached is refused
//!   with `403 cross_site_request` by the framework's CSRF defence, before its credentials are
//!   checked (login CSRF), while the app's own and trusted origins still log in.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use auth_examples::orders::{DEV_OPS_PASSWORD, Settings};
use auth_examples::session::{ACCESS_COOKIE, REFRESH_COOKIE};
use auth_tests::http::{TestServer, request};
use auth_tests::{Answer, orders};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Written by `bcrypt::hash`: `cheap` / `cheap-password` at cost 4, `costly` /
/// `costly-password` at cost 8.
const MIXED_HTPASSWD: &str = "cheap:$2b$04$jxs8eJy4s.mo55quOXKblepT9AmfX2V8kJkxC3J/CgXU8K3sqQrPq\n\
                              costly:$2b$08$7lwbFRKQcb3z4vi5jd2pKOyrJs.KySWdaNyZYOC2jLCx7EAecTxrm\n";
const TRUSTED_APP: &str = "https://app.example.com";

fn settings() -> Settings {
    let mut settings = orders::settings(None, None);
    settings.cors_origins = vec![TRUSTED_APP.to_owned()];
    settings
}

/// The orders service with its session routes, as the binary assembles it.
fn start(settings: Settings) -> TestServer {
    orders::start(&settings)
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Authorization: Basic {}",
        STANDARD.encode(format!("{user}:{password}"))
    )
}

/// The response as it came off the wire, without its `Date` field.
fn without_date(res: &Answer) -> String {
    String::from_utf8_lossy(&res.raw)
        .split("\r\n")
        .filter(|line| !line.to_ascii_lowercase().starts_with("date:"))
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The `name=value` pair of the `Set-Cookie` field for `name`.
fn cookie_pair(res: &Answer, name: &str) -> String {
    let field = res
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie: {:?}", res.headers));
    field.split(';').next().unwrap().to_owned()
}

fn assert_every_cookie_secure(res: &Answer, secure: bool, what: &str) {
    let cookies = res.all("set-cookie");
    assert_eq!(cookies.len(), 2, "{what}: {cookies:?}");
    for cookie in cookies {
        let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
        assert_eq!(
            attributes.iter().any(|a| a.eq_ignore_ascii_case("secure")),
            secure,
            "{what}: {cookie}"
        );
    }
}

/// Finding 6: the refusal of a known user with a cheap hash, of a known user with a costly one
/// and of an unknown user are the same bytes, on the Basic route and on the login.
#[actix_web::test]
async fn a_cheap_hash_user_and_an_unknown_user_get_the_same_refusal() {
    let mut settings = settings();
    settings.htpasswd = MIXED_HTPASSWD.to_owned();
    let srv = start(settings);
    let a = srv.addr;
    assert_eq!(
        request(
            a,
            "GET",
            "/ops/status",
            &[&basic("cheap", "cheap-password")]
        )
        .status,
        200
    );
    for (path, method, extra) in [
        ("/ops/status", "GET", None),
        ("/auth/login", "POST", Some("Sec-Fetch-Site: same-origin")),
    ] {
        let refusal = |user: &str, password: &str| {
            let auth = basic(user, password);
            let mut lines = vec![auth.as_str(), "Content-Length: 0"];
            lines.extend(extra);
            request(a, method, path, &lines)
        };
        let unknown = refusal("nobody", "cheap-password");
        assert_eq!(unknown.status, 401, "{path}");
        assert_eq!(unknown.error(), "invalid_credentials", "{path}");
        for (user, password) in [
            ("cheap", "wrong"),
            ("costly", "wrong"),
            ("cheap", "costly-password"),
            ("chea", "cheap-password"),
        ] {
            assert_eq!(
                without_date(&refusal(user, password)),
                without_date(&unknown),
                "{path}: {user}"
            );
        }
    }
}

/// Finding 7: `Secure` is the service's setting, not the request's: a login, a refresh and a
/// logout reached under a loopback `Host` (a proxy forwarding its upstream host), or naming one
/// in `X-Forwarded-Host` or `Forwarded`, still set `Secure` cookies.
#[actix_web::test]
async fn session_cookies_are_secure_whatever_host_the_request_names() {
    let srv = start(settings());
    let a = srv.addr;
    let login = basic("ops", DEV_OPS_PASSWORD);
    for names in [
        // `request` writes `Host: 127.0.0.1:<port>`.
        None,
        Some("X-Forwarded-Host: localhost"),
        Some("Forwarded: host=localhost;proto=http"),
        Some("X-Forwarded-Host: [::1]:8080"),
    ] {
        let with = |lines: &[&str]| {
            let mut all = vec!["Sec-Fetch-Site: same-origin", "Content-Length: 0"];
            all.extend_from_slice(lines);
            all.extend(names);
            all.into_iter().map(str::to_owned).collect::<Vec<_>>()
        };
        let call = |path: &str, lines: Vec<String>| {
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            request(a, "POST", path, &lines)
        };
        let what = names.unwrap_or("Host: 127.0.0.1");
        let logged_in = call("/auth/login", with(&[&login]));
        assert_eq!(logged_in.status, 204, "{what}");
        assert_every_cookie_secure(&logged_in, true, &format!("login, {what}"));

        let refresh = format!("Cookie: {}", cookie_pair(&logged_in, REFRESH_COOKIE));
        let refreshed = call("/auth/refresh", with(&[&refresh]));
        assert_eq!(refreshed.status, 204, "{what}");
        assert_every_cookie_secure(&refreshed, true, &format!("refresh, {what}"));

        let access = format!("Cookie: {}", cookie_pair(&refreshed, ACCESS_COOKIE));
        let logged_out = call("/auth/logout", with(&[&access]));
        assert_eq!(logged_out.status, 204, "{what}");
        assert_every_cookie_secure(&logged_out, true, &format!("logout, {what}"));
    }
    drop(srv);

    // Only the service's development setting (`AUTH_INSECURE_COOKIES`) drops `Secure`.
    let mut development = settings();
    development.insecure_cookies = true;
    let srv = start(development);
    let logged_in = request(
        srv.addr,
        "POST",
        "/auth/login",
        &[&login, "Sec-Fetch-Site: same-origin", "Content-Length: 0"],
    );
    assert_eq!(logged_in.status, 204);
    assert_every_cookie_secure(&logged_in, false, "development login");
}

/// Finding 8: a login another site forges (the browser adds the Basic credentials it cached)
/// is refused `403 cross_site_request` with no cookie, whatever its credentials, and counts no
/// failure against the visitor; the service's own origin and the trusted app still log in.
#[actix_web::test]
async fn a_cross_site_login_is_refused_before_its_credentials_are_checked() {
    let mut settings = settings();
    settings.failure_limit = 2;
    let srv = start(settings);
    let a = srv.addr;
    let good = basic("ops", DEV_OPS_PASSWORD);
    let wrong = basic("ops", "guess");
    let login = |lines: &[&str]| {
        let mut all = vec!["Content-Length: 0", "Content-Type: text/plain"];
        all.extend_from_slice(lines);
        request(a, "POST", "/auth/login", &all)
    };
    let other_port = format!("Origin: http://127.0.0.1:{}", a.port().wrapping_add(1));
    let forged_valid = login(&[
        &good,
        "Origin: https://evil.example",
        "Sec-Fetch-Site: cross-site",
    ]);
    assert_eq!(forged_valid.status, 403, "{}", without_date(&forged_valid));
    assert_eq!(forged_valid.error(), "cross_site_request");
    assert!(forged_valid.all("set-cookie").is_empty());
    assert_eq!(forged_valid.header("www-authenticate"), None);
    for forged in [
        // Wrong or no credentials get the same 403, not a 401: the origin is decided first.
        vec![wrong.as_str(), "Origin: https://evil.example"],
        vec!["Origin: https://evil.example", "Sec-Fetch-Site: cross-site"],
        // Same site, another origin (cookies and cached credentials are sent).
        vec![
            good.as_str(),
            other_port.as_str(),
            "Sec-Fetch-Site: same-site",
        ],
        vec![good.as_str(), "Origin: null"],
        // Neither `Origin` nor `Sec-Fetch-Site`: not provably a page of ours.
        vec![good.as_str()],
    ] {
        for _ in 0..3 {
            let res = login(&forged);
            assert_eq!(
                without_date(&res),
                without_date(&forged_valid),
                "{forged:?}"
            );
        }
    }

    // None of the forged attempts above counted against the visitor (limit 2 per minute).
    let own_origin = format!("Origin: http://{a}");
    for allowed in [
        vec![good.as_str(), "Sec-Fetch-Site: same-origin"],
        vec![good.as_str(), own_origin.as_str()],
        vec![
            good.as_str(),
            "Origin: https://app.example.com",
            "Sec-Fetch-Site: cross-site",
        ],
    ] {
        let res = login(&allowed);
        assert_eq!(res.status, 204, "{allowed:?}: {}", without_date(&res));
        assert_eq!(res.all("set-cookie").len(), 2, "{allowed:?}");
    }
}
