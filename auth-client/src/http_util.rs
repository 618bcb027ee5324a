//! The few rules every call to an authorization server or a metadata endpoint follows: TLS
//! except on the loopback interface, bounded bodies, bounded time.

use std::time::Duration;

use url::{Host, Url};

use crate::Error;

/// The most a metadata, token or introspection answer may weigh: 64 KiB. These documents are a
/// few hundred bytes; a larger one is a misbehaving or hostile server.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// How long one call to an authorization server may take by default.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `url` may carry credentials: `https`, or `http` to a loopback address (the traffic
/// never leaves the machine, which is how development and CI run; RFC 8252 §8.3 makes the same
/// exception for redirects). Anything else, and any URL with a fragment, is refused.
pub(crate) fn is_safe_endpoint(url: &Url) -> bool {
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return false;
    }
    match url.scheme() {
        "https" => url.host().is_some(),
        "http" => is_loopback(url),
        _ => false,
    }
}

/// Whether the URL's host is 127.0.0.0/8, `::1` or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Parses an endpoint a configuration or a metadata document names: absolute, TLS (or
/// loopback), no fragment. Never resolved against anything.
pub(crate) fn endpoint(value: &str, what: &'static str) -> Result<Url, Error> {
    let url = Url::parse(value).map_err(|_| Error::Discovery(what))?;
    if is_safe_endpoint(&url) {
        Ok(url)
    } else {
        Err(Error::Discovery(what))
    }
}

/// Parses a URL prefix the application configures (where tokens may go): absolute, TLS (or
/// loopback), no query, no fragment, no credentials.
pub(crate) fn prefix(value: &str, what: &'static str) -> Result<Url, Error> {
    Url::parse(value)
        .ok()
        .filter(is_safe_endpoint)
        .filter(|u| u.query().is_none())
        .ok_or(Error::Config(what))
}

/// Refuses an answer that came from another URL than the one asked: the caller's
/// `reqwest::Client` followed a redirect. An authorization server's or a metadata endpoint's
/// answer is only trusted from the URL that was configured or discovered (RFC 8414 §3.3, RFC
/// 9728 §3.3 bind documents to their URLs); a client built by [`http_client`] never follows one,
/// so the form is not even sent on.
pub(crate) fn not_redirected(response: &reqwest::Response, asked: &Url) -> Result<(), Error> {
    if response.url() == asked {
        Ok(())
    } else {
        tracing::warn!(target: "auth_client", asked = %asked, "an authorization or metadata request was redirected; refused (give auth-client a client built by auth_client::http_client())");
        Err(Error::BadResponse(
            "the answer came from a redirect; redirects are not followed",
        ))
    }
}

/// A `reqwest::Client` fit for the calls to authorization servers and metadata endpoints: it
/// never follows a redirect. reqwest's default client follows up to ten, to any scheme, and
/// sends a `307`/`308`'s body on: a token request's form (a client secret, a refresh token, an
/// assertion) would reach wherever the redirect points. auth-client refuses a redirected answer
/// whatever the client, but only this one keeps the form from leaving in the first place.
///
/// ```
/// let http = auth_client::http_client().unwrap();
/// ```
///
/// # Errors
///
/// [`Error::Config`] when reqwest cannot build a client (no TLS backend).
pub fn http_client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|_| Error::Config("reqwest could not build an HTTP client"))
}

/// Reads a response body of at most [`MAX_BODY`] bytes.
pub(crate) async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, Error> {
    if response
        .content_length()
        .is_some_and(|l| l > MAX_BODY as u64)
    {
        return Err(Error::BadResponse("the answer is larger than 64 KiB"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(Error::BadResponse("the answer is larger than 64 KiB"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The origin of a URL, `scheme://host[:port]`: the key DPoP nonces are kept under.
pub(crate) fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tls_or_loopback_carries_credentials() {
        let ok = |u: &str| is_safe_endpoint(&Url::parse(u).unwrap());
        assert!(ok("https://as.example.com/token"));
        assert!(ok("http://127.0.0.1:8080/token"));
        assert!(ok("http://[::1]/token"));
        assert!(ok("http://localhost/token"));
        assert!(!ok("http://as.example.com/token"));
        assert!(!ok("https://as.example.com/token#x"));
        assert!(!ok("https://user:pw@as.example.com/token"));
        assert!(!ok("ftp://as.example.com/token"));
    }
}
