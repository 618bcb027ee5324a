//! Reading a resource server's answer: which of RFC 6750 §3, RFC 9449 §7.1 and §9, RFC 9470 §3
//! and RFC 9110 §10.2.3 it is, through the workspace's one challenge parser.

use std::time::{Duration, SystemTime};

use auth_grammar::challenge::{Challenge, parse};
use http::HeaderMap;
use reqwest::StatusCode;

/// What the middleware does with an answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Hand the response to the caller as it is.
    Done,
    /// 401 `invalid_token`: refresh once, replay once.
    InvalidToken,
    /// 401 Bearer/DPoP without an error code: credentials are wanted (or were not enough).
    CredentialsWanted {
        resource_metadata: Option<String>,
        scope: Option<String>,
    },
    /// 401 (or 400) `use_dpop_nonce`.
    UseDpopNonce,
    /// 403 `insufficient_scope`.
    InsufficientScope {
        scopes: Vec<String>,
        resource_metadata: Option<String>,
    },
    /// 401 `insufficient_user_authentication`.
    StepUp {
        acr_values: Vec<String>,
        max_age: Option<u64>,
    },
    /// 401 whose challenges are all of other schemes.
    Unsupported { schemes: Vec<String> },
    /// 401 with another error code (`invalid_request`, …) or no challenge: not retried.
    Refused,
    /// 429 or 503 with a `Retry-After` the caller may wait out.
    RetryAfter(Duration),
}

/// Every challenge of every `WWW-Authenticate` field; fields that do not parse are skipped.
pub(crate) fn challenges(headers: &HeaderMap) -> Vec<Challenge> {
    headers
        .get_all(http::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| parse(v).ok())
        .flatten()
        .collect()
}

fn is_oauth(c: &Challenge) -> bool {
    c.scheme.eq_ignore_ascii_case("bearer") || c.scheme.eq_ignore_ascii_case("dpop")
}

fn split(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Reads `status` and `headers`; `sent_scheme` is the scheme of the token sent, if any (its
/// challenge is preferred when both Bearer and DPoP are offered).
pub(crate) fn read(status: StatusCode, headers: &HeaderMap, sent_scheme: Option<&str>) -> Verdict {
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST => {}
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            return retry_after(headers).map_or(Verdict::Done, Verdict::RetryAfter);
        }
        _ => return Verdict::Done,
    }
    let all = challenges(headers);
    let oauth: Vec<&Challenge> = all.iter().filter(|c| is_oauth(c)).collect();
    // A nonce demand is acted on whichever challenge carries it.
    if oauth
        .iter()
        .any(|c| c.get("error") == Some("use_dpop_nonce"))
    {
        return Verdict::UseDpopNonce;
    }
    let chosen = sent_scheme
        .and_then(|s| oauth.iter().find(|c| c.scheme.eq_ignore_ascii_case(s)))
        .or(oauth.first());
    let Some(challenge) = chosen else {
        return if status == StatusCode::UNAUTHORIZED && !all.is_empty() {
            let mut schemes: Vec<String> = Vec::new();
            for c in &all {
                if !schemes.iter().any(|s| s.eq_ignore_ascii_case(&c.scheme)) {
                    schemes.push(c.scheme.clone());
                }
            }
            Verdict::Unsupported { schemes }
        } else if status == StatusCode::UNAUTHORIZED {
            Verdict::Refused
        } else {
            Verdict::Done
        };
    };
    let metadata = challenge.get("resource_metadata").map(str::to_owned);
    match (status, challenge.get("error")) {
        (StatusCode::UNAUTHORIZED, Some("invalid_token")) => Verdict::InvalidToken,
        (StatusCode::UNAUTHORIZED, Some("insufficient_user_authentication")) => Verdict::StepUp {
            acr_values: split(challenge.get("acr_values")),
            max_age: challenge.get("max_age").and_then(|m| m.parse().ok()),
        },
        (StatusCode::UNAUTHORIZED, None) => Verdict::CredentialsWanted {
            resource_metadata: metadata,
            scope: challenge.get("scope").map(str::to_owned),
        },
        (StatusCode::UNAUTHORIZED, Some(_)) => Verdict::Refused,
        (StatusCode::FORBIDDEN, Some("insufficient_scope")) => Verdict::InsufficientScope {
            scopes: split(challenge.get("scope")),
            resource_metadata: metadata,
        },
        // 400 (invalid_request, invalid_dpop_proof) and other 403s: never retried.
        _ => Verdict::Done,
    }
}

/// `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(challenges: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for c in challenges {
            h.append(http::header::WWW_AUTHENTICATE, c.parse().unwrap());
        }
        h
    }

    #[test]
    fn reads_the_rfc_6750_answers() {
        let h = headers(&[r#"Bearer realm="orders", error="invalid_token""#]);
        assert_eq!(
            read(StatusCode::UNAUTHORIZED, &h, Some("Bearer")),
            Verdict::InvalidToken
        );
        let h = headers(&[r#"Bearer error="insufficient_scope", scope="a b""#]);
        assert_eq!(
            read(StatusCode::FORBIDDEN, &h, Some("Bearer")),
            Verdict::InsufficientScope {
                scopes: vec!["a".into(), "b".into()],
                resource_metadata: None
            }
        );
        let h = headers(&[r#"Basic realm="x""#, r#"Digest realm="x", nonce="n""#]);
        assert_eq!(
            read(StatusCode::UNAUTHORIZED, &h, None),
            Verdict::Unsupported {
                schemes: vec!["Basic".into(), "Digest".into()]
            }
        );
        let h = headers(&[r#"Bearer realm="x", DPoP error="use_dpop_nonce""#]);
        assert_eq!(
            read(StatusCode::UNAUTHORIZED, &h, Some("DPoP")),
            Verdict::UseDpopNonce
        );
    }
}
