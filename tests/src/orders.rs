//! The `orders` example under test: its settings, the service on a real socket assembled as the
//! binary assembles it, and a minter of the tokens it accepts.

use actix_web::{App, HttpServer, web};
use auth_core::Algorithm;
use auth_core::testing::Minter;
use auth_examples::orders::{Settings, Store, routes};
use auth_examples::session::{self, Sessions};

use crate::http::TestServer;

/// The HS256 secret the example is started with.
pub const SECRET: &[u8] = b"orders-test-secret-of-32-bytes-or-more";

/// [`Settings::for_tests`] with [`SECRET`], and the issuer and audience when given.
pub fn settings(issuer: Option<&str>, audience: Option<&str>) -> Settings {
    Settings::for_tests(SECRET, issuer, audience)
}

/// The service on 127.0.0.1, as the binary assembles it: the routes, and the session routes
/// whenever it signs its own tokens. (Without the binary's CORS layer: the tests that need one
/// add it.)
pub fn start(settings: &Settings) -> TestServer {
    // Bound first, so the public origin DPoP proofs must name is this server's own address.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut settings = settings.clone();
    if settings.public_origin.is_none() {
        settings.public_origin = Some(format!("http://{}", listener.local_addr().unwrap()));
    }
    let settings = &settings;
    let auth = settings.auth_config().unwrap();
    let revocations = web::Data::new(settings.revocations.clone());
    let sessions = Sessions::new(settings).unwrap().map(web::Data::new);
    TestServer::start(move || {
        let store = web::Data::new(Store::default());
        let server = HttpServer::new(move || {
            let mut app = App::new()
                .app_data(auth.clone())
                .app_data(store.clone())
                .app_data(revocations.clone())
                .configure(routes);
            if let Some(metadata) = auth.resource_metadata_service() {
                app = app.service(metadata);
            }
            let app = app.wrap(auth_core::OfferDpopNonce);
            match &sessions {
                Some(sessions) => app.app_data(sessions.clone()).configure(session::routes),
                None => app,
            }
        })
        .workers(1)
        .listen(listener)?;
        let addr = server.addrs()[0];
        Ok((server.run(), addr))
    })
}

/// Tokens `settings` accepts: HS256 under its secret, its issuer and audience when it has them.
pub fn minter(settings: &Settings) -> Minter {
    let mut minter = Minter::hmac(Algorithm::HS256, &settings.secret);
    if let Some(issuer) = &settings.issuer {
        minter = minter.claim("iss", issuer.as_str());
    }
    if let Some(audience) = &settings.audience {
        minter = minter.claim("aud", audience.as_str());
    }
    minter
}
