//! The one response helper of the tests: a response read whole, whether from an in-process
//! service ([`call`], [`Answer::read`]) or off a socket ([`crate::http`]), and the HTTP-level
//! assertions on its status, `WWW-Authenticate` fields and problem body.

use actix_web::body::{MessageBody, to_bytes};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::test::{self, TestRequest};
use actix_web::{App, get};
use auth_core::{JwtVerifier, Principal, require_auth};
use serde_json::Value;

/// The challenge of every refusal of a token that failed verification, in realm `orders`.
pub const INVALID_TOKEN: &str = r#"Bearer realm="orders", error="invalid_token""#;

/// The body of every such refusal, byte for byte.
pub const INVALID_TOKEN_BODY: &str = r#"{"type":"about:blank","title":"Unauthorized","status":401,"detail":"The access token is invalid.","error":"invalid_token"}"#;

/// A response as read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// Every field, in order, names as written (lower case in process).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Off a socket: every byte received (status line, fields, body). In process: the status
    /// line and fields as HTTP/1.1 writes them, then the body.
    pub raw: Vec<u8>,
}

impl Answer {
    /// Reads an in-process response whole.
    pub async fn read<B: MessageBody>(res: ServiceResponse<B>) -> Answer {
        let status = res.status();
        let headers: Vec<(String, String)> = res
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = value.to_str().expect("a test response's fields are ASCII");
                (name.to_string(), value.to_owned())
            })
            .collect();
        // A body that fails to stream reads as empty.
        let body = to_bytes(res.into_body())
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        let mut raw = format!("HTTP/1.1 {status}\r\n");
        for (name, value) in &headers {
            raw.push_str(&format!("{name}: {value}\r\n"));
        }
        raw.push_str("\r\n");
        let mut raw = raw.into_bytes();
        raw.extend_from_slice(&body);
        Answer {
            status: status.as_u16(),
            headers,
            body,
            raw,
        }
    }

    /// The first field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }

    /// Every field named `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The `WWW-Authenticate` field (the first, if several).
    pub fn challenge(&self) -> Option<&str> {
        self.header("www-authenticate")
    }

    /// Every `WWW-Authenticate` field.
    pub fn challenges(&self) -> Vec<String> {
        self.all("www-authenticate")
            .into_iter()
            .map(str::to_owned)
            .collect()
    }

    /// The status line and fields: everything before the body.
    pub fn head(&self) -> String {
        let raw = String::from_utf8_lossy(&self.raw);
        raw.split_once("\r\n\r\n")
            .map_or(raw.as_ref(), |(head, _)| head)
            .to_owned()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    /// The problem body's `error` member (empty when there is none or the body is not JSON).
    pub fn error(&self) -> String {
        serde_json::from_slice::<Value>(&self.body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Asserts what every refusal is: `status`, `Cache-Control: no-store`, an
    /// `application/problem+json` body.
    pub fn assert_problem(&self, status: u16) {
        assert_eq!(
            self.status,
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.header("cache-control"), Some("no-store"));
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
    }

    /// Asserts a refusal: `status`, the one `WWW-Authenticate` field `challenge`, and the
    /// problem body with exactly its five members and `error`.
    pub fn assert_refusal(&self, status: u16, challenge: &str, error: &str) {
        self.assert_problem(status);
        assert_eq!(self.challenges(), [challenge]);
        let body = self.json();
        assert_eq!(body["type"], "about:blank");
        assert_eq!(body["status"], status);
        assert_eq!(body["error"], error);
        assert!(body["title"].is_string() && body["detail"].is_string());
        assert_eq!(
            body.as_object().unwrap().len(),
            5,
            "exactly the five members"
        );
    }

    /// Asserts the one refusal of a token that failed verification: 401, [`INVALID_TOKEN`],
    /// [`INVALID_TOKEN_BODY`] byte for byte.
    pub fn assert_invalid_token(&self, what: &str) {
        assert_eq!(self.status, 401, "{what}");
        assert_eq!(self.challenge(), Some(INVALID_TOKEN), "{what}");
        assert_eq!(
            self.body,
            INVALID_TOKEN_BODY.as_bytes(),
            "{what}: the one invalid_token body"
        );
    }
}

/// Sends `req` to an in-process service and reads the answer.
pub async fn call<S, B>(app: &S, req: TestRequest) -> Answer
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = app
        .call(req.to_request())
        .await
        .expect("the service answers");
    Answer::read(res).await
}

/// `GET /p`: Bearer with the scope `orders:read`; answers the subject.
#[require_auth(scheme = "bearer", scope = "orders:read")]
#[get("/p")]
pub async fn protected(user: Principal) -> String {
    user.subject().unwrap_or("?").to_owned()
}

/// One `GET /p` with `Authorization: Bearer <token>` to [`protected`], its Bearer tokens
/// verified by `verifier` (realm `orders`).
pub async fn call_bearer(verifier: &JwtVerifier, token: &str) -> Answer {
    let config = crate::config_with(verifier.clone());
    let app = test::init_service(App::new().app_data(config).service(protected)).await;
    let req = TestRequest::get()
        .uri("/p")
        .insert_header(("authorization", format!("Bearer {token}")));
    call(&app, req).await
}
