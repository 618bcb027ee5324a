//! Keys published by an identity provider: a JWKS URL, or an issuer whose OpenID Connect
//! discovery document names one. Fetched with `reqwest` over rustls by one background thread;
//! requests read an immutable snapshot and never wait on a lock held across a fetch.
//!
//! - **Refresh** on a schedule from the response's `Cache-Control: max-age`, bounded (default
//!   between 1 minute and 1 hour; 5 minutes without the header).
//! - **Unknown `kid`**: a request naming a key the snapshot lacks asks for one refetch and waits
//!   for it. Callers arriving while a fetch runs share it; a new fetch starts at most once per
//!   cool-down (default 15 s), so a storm of random `kid`s costs at most one fetch per cool-down,
//!   and a freshly rotated key is accepted within that delay.
//! - **Outages**: a failed fetch or a garbage key set keeps the last good set (logged) until it is
//!   older than `max_stale` (default 24 h). With no key set at all (a cold start while the
//!   provider is down), requests are answered 503 with `Retry-After`; the service itself starts.
//! - **Never from the token**: key URLs come from configuration only; `jku`, `x5u`, `jwk` and
//!   `x5c` header parameters are never read.
//! - Transport: `https`, or `http` to a loopback address only; no redirects; responses over
//!   1 MiB refused; 10 s timeout.
//! - **Discovery never points inwards**: a discovery document's `jwks_uri` naming a loopback
//!   host (unless the issuer itself is on loopback), a link-local one (169.254.0.0/16, where
//!   cloud metadata services answer; fe80::/10) or the unspecified address is refused as a
//!   failed fetch, loudly logged, before any request to it.
//!
//! Requires the feature `jwks` (on by default), which brings in `reqwest` (rustls) and `tokio`
//! (the refresher's own single-threaded runtime). Without it, [`JwtVerifier`](crate::JwtVerifier)
//! verifies with static [`JwtKey`]s only.

use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use jsonwebtoken::Algorithm;
use serde_json::Value;
use tokio::sync::{Notify, watch};

use super::keys::{JwtKey, parse_jwks};
use crate::error::ConfigError;

const MAX_BODY: usize = 1 << 20;

/// Where a verifier's keys come from when an identity provider publishes them. Requires the
/// feature `jwks` (on by default).
///
/// ```no_run
/// use auth_core::{JwtVerifier, KeySet};
///
/// // Discovery: the issuer is enforced on tokens and its `jwks_uri` is fetched.
/// let verifier = JwtVerifier::builder()
///     .key_set(KeySet::discover("https://id.example.com"))
///     .audience("orders-api")
///     .build()?;
/// // Or a JWKS URL directly.
/// let verifier = JwtVerifier::builder()
///     .key_set(KeySet::jwks("https://id.example.com/.well-known/jwks.json"))
///     .issuer("https://id.example.com")
///     .build()?;
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct KeySet {
    pub(crate) source: Source,
    pub(crate) settings: Settings,
}

#[derive(Clone, Debug)]
pub(crate) enum Source {
    Jwks(String),
    Discovery(String, Discovery),
}

/// Which discovery document names the key set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Discovery {
    /// OpenID Connect Discovery 1.0 §4: `{issuer}/.well-known/openid-configuration`.
    OpenId,
    /// RFC 8414 §3.1: `/.well-known/oauth-authorization-server` inserted between the issuer's
    /// host and its path.
    OAuth,
}

/// The URL of `issuer`'s discovery document of `kind`.
pub(crate) fn discovery_url(issuer: &str, kind: Discovery) -> String {
    match kind {
        Discovery::OpenId => format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
        Discovery::OAuth => match reqwest::Url::parse(issuer) {
            Ok(url) => {
                // The terminating slash right after the host goes; any other path is kept.
                let path = if url.path() == "/" { "" } else { url.path() };
                format!(
                    "{}/.well-known/oauth-authorization-server{path}",
                    url.origin().ascii_serialization()
                )
            }
            // Not a URL: refused by the builder's URL check before anything is fetched.
            Err(_) => issuer.to_owned(),
        },
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Settings {
    cooldown: Duration,
    refresh_min: Duration,
    refresh_max: Duration,
    refresh_default: Duration,
    max_stale: Duration,
    timeout: Duration,
    rsa_algorithms: Vec<Algorithm>,
}

impl KeySet {
    fn new(source: Source) -> Self {
        KeySet {
            source,
            settings: Settings {
                cooldown: Duration::from_secs(15),
                refresh_min: Duration::from_secs(60),
                refresh_max: Duration::from_secs(3600),
                refresh_default: Duration::from_secs(300),
                max_stale: Duration::from_secs(24 * 3600),
                timeout: Duration::from_secs(10),
                rsa_algorithms: vec![Algorithm::RS256],
            },
        }
    }

    /// Keys from a JWKS URL (RFC 7517 §5).
    ///
    /// ```
    /// use auth_core::{ConfigError, JwtVerifier, KeySet};
    /// // Keys fetched in clear text could be replaced on the way: plain http (except to a
    /// // loopback address) is refused when the verifier is built, before any fetch.
    /// let built = JwtVerifier::builder().key_set(KeySet::jwks("http://id.example.com/jwks.json")).build();
    /// assert!(matches!(built, Err(ConfigError::InvalidSetting { what: "key set URL", .. })));
    /// ```
    pub fn jwks(url: impl Into<String>) -> Self {
        Self::new(Source::Jwks(url.into()))
    }

    /// Keys from the `jwks_uri` of the issuer's OpenID Connect discovery document
    /// (`{issuer}/.well-known/openid-configuration`), whose `issuer` must equal `issuer`
    /// exactly; the verifier then requires that issuer on every token. The document's
    /// `jwks_uri` follows the rules of [`KeySet::jwks`], and may name neither a link-local or
    /// unspecified address nor, unless the issuer itself is on loopback, a loopback host: such a
    /// document is a failed fetch (logged as an error), and nothing is requested from it.
    ///
    /// ```
    /// use auth_core::{ConfigError, JwtVerifier, KeySet};
    /// // The verifier enforces the discovered issuer; configuring another is refused (before any fetch).
    /// let built = JwtVerifier::builder()
    ///     .key_set(KeySet::discover("https://id.example.com"))
    ///     .issuer("https://other.example.com")
    ///     .build();
    /// assert!(matches!(built, Err(ConfigError::InvalidSetting { what: "issuer", .. })));
    /// ```
    pub fn discover(issuer: impl Into<String>) -> Self {
        Self::new(Source::Discovery(issuer.into(), Discovery::OpenId))
    }

    /// Keys from the `jwks_uri` of a plain OAuth authorization server's metadata (RFC 8414):
    /// `/.well-known/oauth-authorization-server` inserted between the issuer's host and its
    /// path (`https://as.example/tenant-a` →
    /// `https://as.example/.well-known/oauth-authorization-server/tenant-a`), with the rules of
    /// [`KeySet::discover`]: the document's `issuer` must equal `issuer` exactly (RFC 8414
    /// §3.3), and the verifier enforces it on every token.
    ///
    /// ```
    /// use auth_core::{ConfigError, JwtVerifier, KeySet};
    /// let built = JwtVerifier::builder()
    ///     .key_set(KeySet::discover_oauth("https://as.example/tenant-a"))
    ///     .issuer("https://as.example/tenant-b")
    ///     .build();
    /// assert!(matches!(built, Err(ConfigError::InvalidSetting { what: "issuer", .. })));
    /// ```
    pub fn discover_oauth(issuer: impl Into<String>) -> Self {
        Self::new(Source::Discovery(issuer.into(), Discovery::OAuth))
    }

    /// The shortest interval between two fetches asked for by unknown `kid`s (default 15 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::KeySet;
    /// let set = KeySet::jwks("https://id.example.com/jwks.json").cooldown(Duration::from_secs(30));
    /// assert!(format!("{set:?}").contains("cooldown: 30s"));
    /// ```
    pub fn cooldown(mut self, cooldown: Duration) -> Self {
        self.settings.cooldown = cooldown;
        self
    }

    /// Bounds of the scheduled refresh interval taken from `Cache-Control: max-age` (default
    /// 1 min to 1 h), and the interval without that header (default 5 min, within the bounds).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::KeySet;
    /// let minutes = |m: u64| Duration::from_secs(60 * m);
    /// // A default outside the bounds is clamped into them.
    /// let set = KeySet::jwks("https://id.example.com/jwks.json").refresh_interval(minutes(1), minutes(10), minutes(60));
    /// assert!(format!("{set:?}").contains("refresh_max: 600s, refresh_default: 600s"));
    /// ```
    pub fn refresh_interval(mut self, min: Duration, max: Duration, default: Duration) -> Self {
        self.settings.refresh_min = min;
        self.settings.refresh_max = max.max(min);
        self.settings.refresh_default = default.clamp(min, self.settings.refresh_max);
        self
    }

    /// How long the last good key set keeps serving while the provider is unreachable or
    /// returns garbage (default 24 h); older, requests get 503.
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::KeySet;
    /// let set = KeySet::jwks("https://id.example.com/jwks.json").max_stale(Duration::from_secs(3600));
    /// assert!(format!("{set:?}").contains("max_stale: 3600s"));
    /// ```
    pub fn max_stale(mut self, max_stale: Duration) -> Self {
        self.settings.max_stale = max_stale;
        self
    }

    /// The timeout of one fetch (default 10 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// use auth_core::KeySet;
    /// let set = KeySet::jwks("https://id.example.com/jwks.json").timeout(Duration::from_secs(3));
    /// assert!(format!("{set:?}").contains("timeout: 3s"));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The algorithms an RSA key without `alg` verifies (default `RS256` only). A JWK with `alg`
    /// is bound to it; EC and OKP keys follow from their curve.
    ///
    /// ```
    /// use auth_core::{Algorithm, ConfigError, JwtVerifier, KeySet};
    /// let set = KeySet::jwks("https://id.example.com/jwks.json");
    /// assert!(format!("{:?}", set.clone().rsa_algorithms([Algorithm::RS256, Algorithm::PS256])).contains("[RS256, PS256]"));
    /// // An RSA key is never used for another family: refused before any fetch.
    /// let built = JwtVerifier::builder().key_set(set.rsa_algorithms([Algorithm::HS256])).build();
    /// assert!(matches!(built, Err(ConfigError::InvalidSetting { what: "key set RSA algorithms", .. })));
    /// ```
    pub fn rsa_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.settings.rsa_algorithms = algorithms.into_iter().collect();
        self
    }

    /// The issuer to enforce, for discovery.
    pub(crate) fn discovered_issuer(&self) -> Option<&str> {
        match &self.source {
            Source::Discovery(issuer, _) => Some(issuer),
            Source::Jwks(_) => None,
        }
    }
}

/// The keys of one successful fetch.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) keys: Vec<JwtKey>,
    /// Starts at 1 and grows with every successful fetch: cached verdicts name the one they
    /// were decided with.
    pub(crate) generation: u64,
    fetched_at: Instant,
}

struct Shared {
    snapshot: ArcSwapOption<Snapshot>,
    /// Bumped after every fetch attempt, good or bad: waiters re-read the snapshot.
    attempts: watch::Sender<u64>,
    /// A fetch is asked for or running: new demands share it.
    fetching: AtomicBool,
    last_demand: Mutex<Option<Instant>>,
    wake: Arc<Notify>,
    settings: Settings,
    fetches: AtomicU64,
}

/// A running key source: cheap to clone; the refresher thread stops when the last clone drops.
#[derive(Clone)]
pub(crate) struct RemoteKeys {
    shared: Arc<Shared>,
    _stop: Arc<StopOnDrop>,
}

struct StopOnDrop(Arc<Notify>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteKeys")
            .field(
                "keys",
                &self.shared.snapshot.load().as_ref().map(|s| s.keys.len()),
            )
            .field("fetches", &self.shared.fetches.load(Ordering::Relaxed))
            .finish()
    }
}

/// What a request does when its key is not in the snapshot.
pub(crate) enum Demand {
    /// Wait for this fetch attempt to finish, then look again.
    Wait(watch::Receiver<u64>, Duration),
    /// A fetch ran less than a cool-down ago: decide with what we have.
    No,
}

impl RemoteKeys {
    /// Validates the URLs and starts the refresher thread, which fetches at once.
    pub(crate) fn start(set: KeySet) -> Result<Self, ConfigError> {
        if set.settings.rsa_algorithms.is_empty()
            || set
                .settings
                .rsa_algorithms
                .iter()
                .any(|a| a.family() != jsonwebtoken::AlgorithmFamily::Rsa)
        {
            return Err(invalid(
                "key set RSA algorithms",
                "must be a non-empty list of RS*/PS* algorithms: an RSA key is never used for HMAC or another family".into(),
            ));
        }
        let url = match &set.source {
            Source::Jwks(url) | Source::Discovery(url, _) => url,
        };
        check_url(url)?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(set.settings.timeout)
            .user_agent(concat!("auth-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| invalid("key set HTTP client", e.to_string()))?;
        let wake = Arc::new(Notify::new());
        let shared = Arc::new(Shared {
            snapshot: ArcSwapOption::empty(),
            attempts: watch::channel(0).0,
            fetching: AtomicBool::new(true),
            last_demand: Mutex::new(None),
            wake: wake.clone(),
            settings: set.settings.clone(),
            fetches: AtomicU64::new(0),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| invalid("key set refresher", e.to_string()))?;
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("auth-core-keyset".into())
            .spawn(move || runtime.block_on(refresher(weak, wake, client, set.source)))
            .map_err(|e| invalid("key set refresher", e.to_string()))?;
        Ok(RemoteKeys {
            _stop: Arc::new(StopOnDrop(shared.wake.clone())),
            shared,
        })
    }

    /// The current keys, unless none were ever fetched or they are older than `max_stale`.
    pub(crate) fn snapshot(&self) -> Option<Arc<Snapshot>> {
        let snapshot = self.shared.snapshot.load_full()?;
        (snapshot.fetched_at.elapsed() <= self.shared.settings.max_stale).then_some(snapshot)
    }

    /// Asks for a refetch because a key is missing: shares a running fetch, starts one if the
    /// cool-down allows, else declines.
    pub(crate) fn demand(&self) -> Demand {
        let shared = &self.shared;
        let receiver = shared.attempts.subscribe();
        let wait = shared.settings.timeout + Duration::from_secs(1);
        if shared.fetching.load(Ordering::Acquire) {
            return Demand::Wait(receiver, wait);
        }
        let mut last = shared.last_demand.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|t| t.elapsed() < shared.settings.cooldown) {
            return Demand::No;
        }
        *last = Some(Instant::now());
        shared.fetching.store(true, Ordering::Release);
        shared.wake.notify_one();
        Demand::Wait(receiver, wait)
    }

    /// How many fetches of the key set ran (for tests and metrics).
    pub(crate) fn fetch_count(&self) -> u64 {
        self.shared.fetches.load(Ordering::Relaxed)
    }
}

/// Waits until the fetch attempt a [`Demand::Wait`] refers to has finished (or the wait bound).
pub(crate) async fn wait_for_attempt(mut receiver: watch::Receiver<u64>, bound: Duration) {
    let _ = tokio::time::timeout(bound, receiver.changed()).await;
}

fn invalid(what: &'static str, detail: String) -> ConfigError {
    ConfigError::InvalidSetting { what, detail }
}

/// `https`, or `http` to a loopback host only (keys fetched in clear text could be replaced by
/// anyone on the path).
pub(crate) fn check_url(url: &str) -> Result<(), ConfigError> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| invalid("key set URL", format!("{url:?}: {e}")))?;
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if on_loopback(&parsed) => Ok(()),
        _ => Err(invalid(
            "key set URL",
            format!("{url:?} must be https (http only to a loopback address)"),
        )),
    }
}

/// Strictly this machine's loopback: 127.0.0.0/8, `::1` (or its IPv4-mapped form), and the name
/// `localhost`. Where plain `http` is allowed, and where an issuer may publish its keys on
/// loopback.
fn on_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Where a host points inwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inward {
    /// This machine: loopback addresses, `localhost` and every name under it (RFC 6761 §6.3).
    Loopback,
    /// The link-local network: 169.254.0.0/16 (where cloud metadata services answer), fe80::/10.
    LinkLocal,
    /// `0.0.0.0` or `::`, which connect to this machine.
    Unspecified,
}

/// Whether a URL's host points inwards, and how.
fn inward(url: &reqwest::Url) -> Option<Inward> {
    let v4 = |ip: Ipv4Addr| {
        if ip.is_loopback() {
            Some(Inward::Loopback)
        } else if ip.is_link_local() {
            Some(Inward::LinkLocal)
        } else if ip.is_unspecified() {
            Some(Inward::Unspecified)
        } else {
            None
        }
    };
    match url.host()? {
        url::Host::Ipv4(ip) => v4(ip),
        url::Host::Ipv6(ip) => match ip.to_ipv4_mapped() {
            Some(mapped) => v4(mapped),
            None if ip.is_loopback() => Some(Inward::Loopback),
            None if ip.is_unicast_link_local() => Some(Inward::LinkLocal),
            None if ip.is_unspecified() => Some(Inward::Unspecified),
            None => None,
        },
        url::Host::Domain(d) => {
            let last_label = d.trim_end_matches('.').rsplit('.').next();
            last_label
                .is_some_and(|l| l.eq_ignore_ascii_case("localhost"))
                .then_some(Inward::Loopback)
        }
    }
}

/// The `jwks_uri` of a discovery document: fetched under the rules of a configured URL
/// ([`check_url`]), and never pointing inwards, so a document cannot turn the refresher into a
/// blind request to this machine's or its network's internal services. A loopback `jwks_uri`
/// is allowed only when the issuer itself is on loopback (a provider on this machine, as in
/// development and tests); a link-local or unspecified one never.
fn check_discovered_jwks_uri(issuer: &str, jwks_uri: &str) -> Result<(), String> {
    check_discovered_url(issuer, jwks_uri, "jwks_uri")
}

/// A URL a discovery document names (`member`: `jwks_uri`, `introspection_endpoint`), under the
/// rules of [`check_discovered_jwks_uri`].
pub(crate) fn check_discovered_url(issuer: &str, found: &str, member: &str) -> Result<(), String> {
    check_url(found).map_err(|e| e.to_string())?;
    let url = reqwest::Url::parse(found).map_err(|e| e.to_string())?;
    let issuer_on_loopback = reqwest::Url::parse(issuer).is_ok_and(|u| on_loopback(&u));
    let why = match inward(&url) {
        None => return Ok(()),
        Some(Inward::Loopback) if issuer_on_loopback => return Ok(()),
        Some(Inward::Loopback) => "is on loopback but the issuer is not",
        Some(Inward::LinkLocal) => "names a link-local address",
        Some(Inward::Unspecified) => "names the unspecified address",
    };
    Err(format!("the discovery document's {member} {why}"))
}

async fn refresher(
    shared: Weak<Shared>,
    wake: Arc<Notify>,
    client: reqwest::Client,
    source: Source,
) {
    let mut delay = Duration::ZERO;
    let mut failures: u32 = 0;
    loop {
        if !delay.is_zero() {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = wake.notified() => {}
            }
        }
        let Some(shared) = shared.upgrade() else {
            return;
        };
        shared.fetching.store(true, Ordering::Release);
        shared.fetches.fetch_add(1, Ordering::Relaxed);
        let settings = &shared.settings;
        match fetch(&client, &source, settings).await {
            Ok((keys, max_age)) => {
                failures = 0;
                tracing::info!(target: crate::audit::TARGET, keys = keys.len(), "key set fetched");
                let generation = shared
                    .snapshot
                    .load()
                    .as_ref()
                    .map_or(1, |s| s.generation + 1);
                shared.snapshot.store(Some(Arc::new(Snapshot {
                    keys,
                    generation,
                    fetched_at: Instant::now(),
                })));
                crate::metrics::key_set_refresh(true, Some(0), Some(unix_now()));
                delay = max_age.map_or(settings.refresh_default, |a| {
                    a.clamp(settings.refresh_min, settings.refresh_max)
                });
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                let age = shared
                    .snapshot
                    .load()
                    .as_ref()
                    .map(|s| s.fetched_at.elapsed().as_secs());
                tracing::warn!(target: crate::audit::TARGET, error = %e, serving_keys_aged_secs = ?age, "key set fetch failed; keeping the last good set");
                crate::metrics::key_set_refresh(false, age, None);
                // Back off 1, 2, 4 … s, never past the cool-down (so a rotated key is still
                // picked up promptly once the provider is back).
                delay = Duration::from_secs(1u64 << failures.min(6))
                    .min(settings.cooldown.max(Duration::from_secs(1)));
            }
        }
        shared.fetching.store(false, Ordering::Release);
        shared.attempts.send_modify(|n| *n = n.wrapping_add(1));
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    #[error("{0}")]
    Http(String),
    #[error("status {0}")]
    Status(u16),
    #[error("response over 1 MiB")]
    TooLarge,
    #[error("not a usable document: {0}")]
    Document(String),
}

pub(crate) async fn get(
    client: &reqwest::Client,
    url: &str,
) -> Result<(Vec<u8>, Option<Duration>), FetchError> {
    let mut res = client
        .get(url)
        .send()
        .await
        .map_err(|e| FetchError::Http(e.without_url().to_string()))?;
    if !res.status().is_success() {
        return Err(FetchError::Status(res.status().as_u16()));
    }
    let max_age = res
        .headers()
        .get_all(reqwest::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|d| {
            d.trim()
                .strip_prefix("max-age=")
                .and_then(|n| n.trim_matches('"').parse::<u64>().ok())
        })
        .map(Duration::from_secs);
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| FetchError::Http(e.without_url().to_string()))?
    {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(FetchError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, max_age))
}

async fn fetch(
    client: &reqwest::Client,
    source: &Source,
    settings: &Settings,
) -> Result<(Vec<JwtKey>, Option<Duration>), FetchError> {
    let jwks_url = match source {
        Source::Jwks(url) => url.clone(),
        Source::Discovery(issuer, kind) => {
            let url = discovery_url(issuer, *kind);
            let (body, _) = get(client, &url).await?;
            let doc: Value =
                serde_json::from_slice(&body).map_err(|e| FetchError::Document(e.to_string()))?;
            if doc.get("issuer").and_then(Value::as_str) != Some(issuer.as_str()) {
                return Err(FetchError::Document(
                    "the discovery document's issuer differs from the configured one".into(),
                ));
            }
            let jwks_uri = doc
                .get("jwks_uri")
                .and_then(Value::as_str)
                .ok_or_else(|| FetchError::Document("no jwks_uri".into()))?;
            if let Err(why) = check_discovered_jwks_uri(issuer, jwks_uri) {
                tracing::error!(
                    target: crate::audit::TARGET,
                    issuer = %issuer,
                    jwks_uri = ?jwks_uri,
                    "refusing the key set of a discovery document: {why}; nothing was fetched from it"
                );
                return Err(FetchError::Document(why));
            }
            jwks_uri.to_owned()
        }
    };
    let (body, max_age) = get(client, &jwks_url).await?;
    let keys = parse_jwks(&body, &settings.rsa_algorithms).map_err(FetchError::Document)?;
    Ok((keys, max_age))
}

/// Unix seconds now, for the key-set metrics.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discovered_jwks_uri_never_points_inwards() {
        let public = "https://id.example.com";
        for (issuer, jwks_uri) in [
            (public, "https://id.example.com/jwks"),
            (public, "https://10.0.0.5/jwks"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/jwks"),
            ("http://127.0.0.1:8080", "https://localhost/jwks"),
            ("http://localhost:8080", "http://[::1]:8080/jwks"),
            ("https://[::1]", "http://127.0.0.2/jwks"),
        ] {
            assert_eq!(
                check_discovered_jwks_uri(issuer, jwks_uri),
                Ok(()),
                "{issuer} {jwks_uri}"
            );
        }
        for (issuer, jwks_uri) in [
            (public, "https://127.0.0.1/jwks"),
            (public, "https://127.1.2.3:8443/jwks"),
            (public, "https://2130706433/jwks"),
            (public, "https://[::1]/jwks"),
            (public, "https://[::ffff:127.0.0.1]/jwks"),
            (public, "https://localhost/jwks"),
            (public, "https://LOCALHOST./jwks"),
            (public, "https://keys.localhost/jwks"),
            (public, "http://127.0.0.1/jwks"),
            (public, "https://169.254.169.254/latest/meta-data"),
            (public, "https://[fe80::1]/jwks"),
            (public, "https://[::ffff:169.254.169.254]/jwks"),
            (public, "https://0.0.0.0/jwks"),
            (public, "https://[::]/jwks"),
            (public, "http://id.example.com/jwks"),
            (public, "/jwks"),
            ("http://127.0.0.1:8080", "https://169.254.169.254/jwks"),
            ("http://127.0.0.1:8080", "https://0.0.0.0:8080/jwks"),
            ("http://127.0.0.1:8080", "http://0.0.0.0:8080/jwks"),
        ] {
            assert!(
                check_discovered_jwks_uri(issuer, jwks_uri).is_err(),
                "{issuer} {jwks_uri}"
            );
        }
    }

    /// Case `rfc8414-discovery-url-must-insert-well-known-before-issuer-path` (RFC 8414 §3.1),
    /// beside OpenID Connect Discovery's appended form.
    #[test]
    fn rfc8414_discovery_url_must_insert_well_known_before_issuer_path() {
        for (issuer, oauth, openid) in [
            (
                "https://as.example",
                "https://as.example/.well-known/oauth-authorization-server",
                "https://as.example/.well-known/openid-configuration",
            ),
            (
                "https://as.example/",
                "https://as.example/.well-known/oauth-authorization-server",
                "https://as.example/.well-known/openid-configuration",
            ),
            (
                "https://as.example/tenant-a",
                "https://as.example/.well-known/oauth-authorization-server/tenant-a",
                "https://as.example/tenant-a/.well-known/openid-configuration",
            ),
            (
                "https://as.example:8443/a/b",
                "https://as.example:8443/.well-known/oauth-authorization-server/a/b",
                "https://as.example:8443/a/b/.well-known/openid-configuration",
            ),
        ] {
            assert_eq!(discovery_url(issuer, Discovery::OAuth), oauth, "{issuer}");
            assert_eq!(discovery_url(issuer, Discovery::OpenId), openid, "{issuer}");
        }
    }
}
