//! Metrics through the [`metrics`](https://docs.rs/metrics) facade (feature `metrics`): the
//! application installs the recorder it wants (Prometheus, StatsD, …), this crate only counts.
//! Without the feature every function here is empty and compiles away.
//!
//! Names and labels follow Prometheus conventions (`_total` counters, `_seconds` units, base
//! units, small fixed label sets). Labels never carry a user, a token, a key id, an address or
//! anything a client chose: `scheme` is one of the schemes' names (`none` without a credential,
//! `other` for an unknown `Authorization` scheme), `status` and `error` are the response's.
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `auth_authenticated_total` | counter | `scheme` | requests let through (after scopes) |
//! | `auth_refusals_total` | counter | `status`, `error`, `scheme` | refusals, as answered |
//! | `auth_verdict_cache_hits_total` | counter | | bearer verdicts answered from the cache |
//! | `auth_verdict_cache_misses_total` | counter | | bearer tokens verified afresh |
//! | `auth_key_set_refreshes_total` | counter | `result` (`ok`, `error`) | JWKS fetches |
//! | `auth_key_set_age_seconds` | gauge | | age of the key set in use, at each refresh attempt |
//! | `auth_key_set_last_success_timestamp_seconds` | gauge | | when the key set in use was fetched |
//! | `auth_throttle_blocks_total` | counter | `key` (`client`, `cross_site`, `user`) | keys that crossed the failure limit |
//! | `auth_introspections_total` | counter | `result` (`active`, `inactive`, `error`) | calls to the authorization server's introspection endpoint |
//! | `auth_store_errors_total` | counter | `store` (`attempts`, `revocations`, `digest_nonces`, `introspections`) | failed store operations |
//! | `auth_store_view_age_seconds` | gauge | `store` (`redis`) | time since Redis last confirmed the local view |
//!
//! ```
//! // The names, for dashboards and alert rules.
//! assert_eq!(auth_core::metrics::REFUSALS, "auth_refusals_total");
//! ```

use actix_web::HttpRequest;

/// `auth_authenticated_total{scheme}`.
///
/// ```
/// assert!(auth_core::metrics::AUTHENTICATED.ends_with("_total"));
/// ```
pub const AUTHENTICATED: &str = "auth_authenticated_total";
/// `auth_refusals_total{status, error, scheme}`.
///
/// ```
/// assert!(auth_core::metrics::REFUSALS.ends_with("_total"));
/// ```
pub const REFUSALS: &str = "auth_refusals_total";
/// `auth_verdict_cache_hits_total`.
///
/// ```
/// assert!(auth_core::metrics::CACHE_HITS.ends_with("_total"));
/// ```
pub const CACHE_HITS: &str = "auth_verdict_cache_hits_total";
/// `auth_verdict_cache_misses_total`.
///
/// ```
/// assert!(auth_core::metrics::CACHE_MISSES.ends_with("_total"));
/// ```
pub const CACHE_MISSES: &str = "auth_verdict_cache_misses_total";
/// `auth_key_set_refreshes_total{result}`.
///
/// ```
/// assert!(auth_core::metrics::KEY_SET_REFRESHES.ends_with("_total"));
/// ```
pub const KEY_SET_REFRESHES: &str = "auth_key_set_refreshes_total";
/// `auth_key_set_age_seconds`.
///
/// ```
/// assert!(auth_core::metrics::KEY_SET_AGE.ends_with("_seconds"));
/// ```
pub const KEY_SET_AGE: &str = "auth_key_set_age_seconds";
/// `auth_key_set_last_success_timestamp_seconds`.
///
/// ```
/// assert!(auth_core::metrics::KEY_SET_LAST_SUCCESS.ends_with("_seconds"));
/// ```
pub const KEY_SET_LAST_SUCCESS: &str = "auth_key_set_last_success_timestamp_seconds";
/// `auth_throttle_blocks_total{key}`.
///
/// ```
/// assert!(auth_core::metrics::THROTTLE_BLOCKS.ends_with("_total"));
/// ```
pub const THROTTLE_BLOCKS: &str = "auth_throttle_blocks_total";
/// `auth_store_errors_total{store}`.
///
/// ```
/// assert!(auth_core::metrics::STORE_ERRORS.ends_with("_total"));
/// ```
pub const STORE_ERRORS: &str = "auth_store_errors_total";
/// `auth_introspections_total{result}`.
///
/// ```
/// assert!(auth_core::metrics::INTROSPECTIONS.ends_with("_total"));
/// ```
pub const INTROSPECTIONS: &str = "auth_introspections_total";
/// `auth_store_view_age_seconds{store}`.
///
/// ```
/// assert!(auth_core::metrics::STORE_VIEW_AGE.ends_with("_seconds"));
/// ```
pub const STORE_VIEW_AGE: &str = "auth_store_view_age_seconds";

/// A request was let through.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn authenticated(scheme: crate::Scheme) {
    #[cfg(feature = "metrics")]
    metrics::counter!(AUTHENTICATED, "scheme" => scheme.attribute_name()).increment(1);
}

/// A refusal was answered.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn refused(req: &HttpRequest, status: u16, error: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(
        REFUSALS,
        "status" => status_label(status),
        "error" => error,
        "scheme" => presented(req),
    )
    .increment(1);
}

/// The verdict cache answered (`true`) or the token was verified afresh.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn verdict_cache(hit: bool) {
    #[cfg(feature = "metrics")]
    if hit {
        metrics::counter!(CACHE_HITS).increment(1);
    } else {
        metrics::counter!(CACHE_MISSES).increment(1);
    }
}

/// A key-set fetch ended; `age` is that of the set in use after it, `fetched_at` (Unix
/// seconds) when that set was fetched.
#[cfg_attr(
    any(not(feature = "metrics"), not(feature = "jwks")),
    allow(unused_variables, dead_code)
)]
pub(crate) fn key_set_refresh(ok: bool, age: Option<u64>, fetched_at: Option<u64>) {
    #[cfg(feature = "metrics")]
    {
        let result = if ok { "ok" } else { "error" };
        metrics::counter!(KEY_SET_REFRESHES, "result" => result).increment(1);
        if let Some(age) = age {
            metrics::gauge!(KEY_SET_AGE).set(age as f64);
        }
        if let Some(at) = fetched_at {
            metrics::gauge!(KEY_SET_LAST_SUCCESS).set(at as f64);
        }
    }
}

/// An introspection call ended: `active`, `inactive` or `error`.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
#[cfg_attr(not(feature = "introspection"), allow(dead_code))]
pub(crate) fn introspection(result: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(INTROSPECTIONS, "result" => result).increment(1);
}

/// A throttle key crossed the failure limit.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn throttle_block(key: &crate::ThrottleKey) {
    #[cfg(feature = "metrics")]
    {
        let kind = match key {
            crate::ThrottleKey::Client(_) => "client",
            crate::ThrottleKey::CrossSite { .. } => "cross_site",
            crate::ThrottleKey::User(_) => "user",
        };
        metrics::counter!(THROTTLE_BLOCKS, "key" => kind).increment(1);
    }
}

/// A store operation failed: `store` is `attempts`, `revocations` or `digest_nonces`.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
#[cfg_attr(not(any(feature = "redis", feature = "digest")), allow(dead_code))]
pub(crate) fn store_error(store: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!(STORE_ERRORS, "store" => store).increment(1);
}

/// The age of a shared store's local view.
#[cfg_attr(
    any(not(feature = "metrics"), not(feature = "redis")),
    allow(unused_variables, dead_code)
)]
pub(crate) fn view_age(store: &'static str, seconds: f64) {
    #[cfg(feature = "metrics")]
    metrics::gauge!(STORE_VIEW_AGE, "store" => store).set(seconds);
}

/// Which scheme the request presented a credential of: a fixed name, never the client's text.
#[cfg(feature = "metrics")]
fn presented(req: &HttpRequest) -> &'static str {
    use actix_web::HttpMessage as _;
    use actix_web::http::header::AUTHORIZATION;

    if let Some(value) = req.headers().get(AUTHORIZATION) {
        let word = value.as_bytes().split(|b| *b == b' ').next().unwrap_or(b"");
        return crate::Scheme::ALL
            .into_iter()
            .find(|s| {
                s.authorization_name()
                    .is_some_and(|n| n.as_bytes().eq_ignore_ascii_case(word))
            })
            .map_or("other", crate::Scheme::attribute_name);
    }
    let config = req.app_data::<crate::AuthConfig>();
    if config
        .and_then(crate::AuthConfig::api_keys)
        .is_some_and(|keys| req.headers().contains_key(keys.header()))
    {
        return crate::Scheme::ApiKey.attribute_name();
    }
    if req
        .extensions()
        .get::<crate::transport::TokenSource>()
        .is_some()
    {
        return crate::Scheme::Bearer.attribute_name();
    }
    "none"
}

#[cfg(feature = "metrics")]
fn status_label(status: u16) -> &'static str {
    match status {
        400 => "400",
        401 => "401",
        403 => "403",
        429 => "429",
        500 => "500",
        503 => "503",
        _ => "other",
    }
}
