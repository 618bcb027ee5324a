//! A scripted authorization server for the client-side (`auth-client`) tests: a real actix-web
//! server on `127.0.0.1:0`, plain HTTP (which `auth-client` allows on loopback only), that
//! answers each path with the replies a test queued for it, in order, and records every request
//! it gets (method, path, query, headers, raw body, decoded form pairs). A path with no reply
//! left answers 404 `{"error":"mock_as_unscripted"}`, so a client that sends more requests than
//! the test expected sees an error instead of a repeated answer. The server stops when the
//! [`MockAs`] is dropped.
//!
//! Header names: actix-web writes response header names in lower case on HTTP/1.1
//! (`dpop-nonce: …`), whatever case the test spelled them in. [`Reply::camel_case_headers`]
//! makes it write them Camel-Case instead (`Dpop-Nonce: …`, `Content-Type: …`), which is how a
//! test sends a name in a casing other than the lower-case one over the wire. A mixed spelling
//! such as `DPoP-Nonce` cannot be produced by actix; for a client that matches names
//! case-insensitively (RFC 9110 §5.1) none of them differ.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;

use crate::http::TestServer;

/// One scripted answer: status, extra headers, body.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    content_type: Option<String>,
    body: Vec<u8>,
    camel_case: bool,
}

impl Reply {
    /// `status` with `body` as `application/json`.
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            content_type: Some("application/json".to_owned()),
            body: body.to_string().into_bytes(),
            camel_case: false,
        }
    }

    /// `status` with an empty body and no content type.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            content_type: None,
            body: Vec::new(),
            camel_case: false,
        }
    }

    /// Adds a header (appended; a name may repeat).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Writes this reply's header names Camel-Case on the wire (`Dpop-Nonce`) instead of
    /// actix's lower case (`dpop-nonce`).
    pub fn camel_case_headers(mut self) -> Reply {
        self.camel_case = true;
        self
    }

    fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).expect("a valid status code");
        let mut builder = HttpResponse::build(status);
        if let Some(ct) = &self.content_type {
            builder.content_type(ct.as_str());
        }
        for (name, value) in &self.headers {
            builder.append_header((name.as_str(), value.as_str()));
        }
        let mut response = builder.body(self.body.clone());
        if self.camel_case {
            response.head_mut().set_camel_case_headers(true);
        }
        response
    }
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string (empty when none).
    pub query: String,
    /// Every header, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// The body decoded as `application/x-www-form-urlencoded` pairs, in order
    /// (`url::form_urlencoded::parse`: `+` and `%20` both decode to a space).
    pub form: Vec<(String, String)>,
}

impl Recorded {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every decoded value of form field `name`, in order.
    pub fn form_values(&self, name: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The decoded value of form field `name`; panics when it is sent more than once.
    pub fn form_value(&self, name: &str) -> Option<&str> {
        let values = self.form_values(name);
        assert!(
            values.len() <= 1,
            "form field {name} sent {} times: {values:?}",
            values.len()
        );
        values.first().copied()
    }

    /// Whether form field `name` is present at all (even empty).
    pub fn has_form_field(&self, name: &str) -> bool {
        self.form.iter().any(|(n, _)| n == name)
    }
}

#[derive(Debug, Default)]
struct State {
    replies: Mutex<HashMap<String, VecDeque<Reply>>>,
    log: Mutex<Vec<Recorded>>,
}

/// A running scripted authorization server; stopped when dropped.
#[allow(missing_debug_implementations)]
pub struct MockAs {
    pub addr: SocketAddr,
    state: Arc<State>,
    _server: TestServer,
}

impl MockAs {
    /// Starts a server on `127.0.0.1:0` with nothing scripted.
    pub fn start() -> MockAs {
        let state = Arc::new(State::default());
        let data = web::Data::from(Arc::clone(&state));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let server = TestServer::start(move || {
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(data.clone())
                    .default_service(web::to(answer))
            })
            .workers(1)
            .listen(listener)?;
            let addr = server.addrs()[0];
            Ok((server.run(), addr))
        });
        MockAs {
            addr: server.addr,
            state,
            _server: server,
        }
    }

    /// `http://127.0.0.1:<port>`, no trailing slash: the issuer identifier of the tests.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    /// Queues `reply` as the next answer to requests for `path` (any method).
    pub fn reply(&self, path: &str, reply: Reply) {
        self.state
            .replies
            .lock()
            .unwrap()
            .entry(path.to_owned())
            .or_default()
            .push_back(reply);
    }

    /// Queues `document` (200, JSON) at the RFC 8414 metadata URL of the issuer
    /// `base() + issuer_path`: `/.well-known/oauth-authorization-server<issuer_path>`.
    pub fn metadata(&self, issuer_path: &str, document: &Value) {
        self.reply(
            &format!("/.well-known/oauth-authorization-server{issuer_path}"),
            Reply::json(200, document),
        );
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state.log.lock().unwrap().clone()
    }

    /// The requests received for `path`, in order.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

async fn answer(state: web::Data<State>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form = url::form_urlencoded::parse(&body).into_owned().collect();
    let headers = req
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    state.log.lock().unwrap().push(Recorded {
        method: req.method().as_str().to_owned(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        headers,
        body: body.to_vec(),
        form,
    });
    let next = state
        .replies
        .lock()
        .unwrap()
        .get_mut(req.path())
        .and_then(VecDeque::pop_front);
    match next {
        Some(reply) => reply.response(),
        None => Reply::json(404, &serde_json::json!({"error": "mock_as_unscripted"})).response(),
    }
}
