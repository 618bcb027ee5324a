//! The store's thread: connects, subscribes, reads the state back, follows the channel, and
//! proves the view fresh with heartbeats; starts over after any failure.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use redis::AsyncCommands as _;

use super::attempts::parse_key_id;
use super::revocations::{self, Kind};
use super::{HEARTBEAT, Shared, store_error};
use crate::store::StoreError;

/// The longest wait between two connection attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

pub(crate) struct Sync {
    shared: Arc<Shared>,
    client: redis::Client,
}

impl Sync {
    pub(crate) fn new(shared: Arc<Shared>, client: redis::Client) -> Self {
        Sync { shared, client }
    }

    /// Runs until `stop` resolves (the last clone of the store was dropped).
    pub(crate) async fn run(self, stop: tokio::sync::oneshot::Receiver<()>) {
        tokio::select! {
            _ = stop => {}
            () = self.forever() => {}
            () = self.report_view_age() => {}
        }
    }

    /// Sets the view-age gauge every second, connected or not (an operator alerts on it).
    async fn report_view_age(&self) {
        let mut tick = tokio::time::interval(HEARTBEAT);
        loop {
            tick.tick().await;
            let age = self
                .shared
                .view_age()
                .unwrap_or_else(|| self.shared.started.elapsed());
            crate::metrics::view_age("redis", age.as_secs_f64());
        }
    }

    async fn forever(&self) {
        let mut backoff = Duration::from_millis(50);
        loop {
            let started = Instant::now();
            let ended = self.session().await;
            self.shared.up.store(false, Ordering::Release);
            if let Err(error) = ended {
                tracing::error!(
                    target: "auth",
                    %error,
                    "redis store: the shared view is not being kept; reconnecting"
                );
            }
            // A session that lasted resets the backoff; one that failed at once doubles it.
            if started.elapsed() > Duration::from_secs(10) {
                backoff = Duration::from_millis(50);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    /// One connected session: returns only on failure.
    async fn session(&self) -> Result<(), StoreError> {
        let timeout = self.shared.timeout;
        if self.shared.connection.load().is_none() {
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout))
                .set_number_of_retries(1);
            let manager = self
                .client
                .get_connection_manager_with_config(config)
                .await
                .map_err(|e| store_error(&e))?;
            self.shared.connection.store(Some(Arc::new(manager)));
        }
        let mut pubsub = tokio::time::timeout(timeout, self.client.get_async_pubsub())
            .await
            .map_err(|_| StoreError::Timeout)?
            .map_err(|e| store_error(&e))?;
        // A server that accepts the connection but never answers must not wedge the session.
        tokio::time::timeout(timeout, pubsub.subscribe(&self.shared.keys.channel))
            .await
            .map_err(|_| StoreError::Timeout)?
            .map_err(|e| store_error(&e))?;
        // Subscribed first, read back second: nothing published in between is missed.
        self.read_back().await?;
        self.shared.confirm();
        self.shared.up.store(true, Ordering::Release);
        tracing::info!(target: "auth", "redis store: view in sync");
        let mut messages = pubsub.on_message();
        let mut beat = tokio::time::interval(HEARTBEAT);
        let mut beats = 0u32;
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(message) => self.apply(message.get_payload_bytes()),
                    None => return Err(StoreError::Unavailable("subscription lost")),
                },
                _ = beat.tick() => {
                    beats = beats.wrapping_add(1);
                    if self.shared.incomplete.load(Ordering::Acquire) {
                        // A revocation could not enter the view: revocation stays `Stale`,
                        // the other uses go on; read everything back every ten seconds.
                        if beats.is_multiple_of(10) {
                            self.read_back().await?;
                        }
                    } else if self
                        .shared
                        .view_age()
                        .is_some_and(|silent| silent > HEARTBEAT * 3 + timeout)
                    {
                        // Heartbeats stopped coming back: the subscription is dead.
                        return Err(StoreError::Unavailable("heartbeats lost"));
                    }
                    self.heartbeat().await;
                }
            }
        }
    }

    async fn heartbeat(&self) {
        let Some(connection) = self.shared.connection.load_full() else {
            return;
        };
        let mut connection = (*connection).clone();
        let beat = format!("h {}", self.shared.instance);
        let sent = tokio::time::timeout(
            self.shared.timeout,
            connection.publish::<_, _, i64>(&self.shared.keys.channel, beat),
        )
        .await;
        if !matches!(sent, Ok(Ok(_))) {
            tracing::warn!(target: "auth", "redis store: a heartbeat could not be sent");
        }
    }

    /// Reads every live block and every revocation back into the views: two hashes and one
    /// range of a sorted set, whatever else the Redis holds.
    async fn read_back(&self) -> Result<(), StoreError> {
        let Some(connection) = self.shared.connection.load_full() else {
            return Err(StoreError::Unavailable("not connected"));
        };
        let mut connection = (*connection).clone();
        let keys = &self.shared.keys;
        let work = async {
            let tokens: Vec<(String, u64)> = connection
                .hgetall(&keys.revoked_tokens)
                .await
                .map_err(|e| store_error(&e))?;
            let subjects: Vec<(String, u64)> = connection
                .hgetall(&keys.revoked_subjects)
                .await
                .map_err(|e| store_error(&e))?;
            let (secs, micros): (u64, u64) = redis::cmd("TIME")
                .query_async(&mut connection)
                .await
                .map_err(|e| store_error(&e))?;
            let now_ms = secs * 1000 + micros / 1000;
            let blocks: Vec<(String, u64)> = connection
                .zrangebyscore_withscores(&keys.blocks, now_ms, "+inf")
                .await
                .map_err(|e| store_error(&e))?;
            Ok::<_, StoreError>((tokens, subjects, blocks, now_ms))
        };
        let (tokens, subjects, blocks, now_ms) =
            tokio::time::timeout(self.shared.timeout * 10, work)
                .await
                .map_err(|_| StoreError::Timeout)??;
        // Trust is restored only by a read-back that every revocation entered; a view that
        // cannot hold them all stays `Stale` (revocation fails closed) while throttling and the
        // Digest memory, which need no view of revocations, go on.
        let mut complete = true;
        for (kind, entries) in [(Kind::Token, tokens), (Kind::Subject, subjects)] {
            for (field, ms) in entries {
                complete &= self.revocation(kind, &field, ms);
            }
        }
        self.shared.incomplete.store(!complete, Ordering::Release);
        for (id, ends_ms) in blocks {
            if let Some(key) = parse_key_id(&id) {
                let left = Duration::from_millis(ends_ms.saturating_sub(now_ms));
                self.shared.blocks.insert(key, left);
            }
        }
        Ok(())
    }

    /// One message of the channel (see the scripts for their shapes).
    fn apply(&self, payload: &[u8]) {
        let Ok(text) = std::str::from_utf8(payload) else {
            return;
        };
        let mut parts = text.splitn(3, ' ');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("h"), Some(instance), None) if instance == self.shared.instance => {
                self.shared.confirm();
            }
            (Some("b"), Some(id), Some(ms)) => {
                if let (Some(key), Ok(ms)) = (parse_key_id(id), ms.parse::<u64>()) {
                    self.shared.blocks.insert(key, Duration::from_millis(ms));
                }
            }
            (Some(kind @ ("t" | "s")), Some(ms), Some(field)) => {
                let kind = if kind == "t" {
                    Kind::Token
                } else {
                    Kind::Subject
                };
                if let Ok(ms) = ms.parse()
                    && !self.revocation(kind, field, ms)
                {
                    // Fail closed: a view missing a revocation is not served as fresh.
                    self.shared.distrust();
                }
            }
            _ => {}
        }
    }

    /// Applies one revocation to the view; `false` when it could not enter it.
    fn revocation(&self, kind: Kind, field: &str, ms: u64) -> bool {
        let Some((issuer, id)) = revocations::parse_field(field) else {
            // Not ours to judge (another writer's junk): nothing to hold.
            return true;
        };
        let at = revocations::from_ms(ms);
        let applied = revocations::apply(&self.shared, kind, issuer.as_deref(), &id, at);
        if let Err(error) = &applied {
            crate::metrics::store_error("revocations");
            tracing::error!(
                target: "auth",
                %error,
                "redis store: a revocation could not enter the local view; refusing as stale"
            );
        }
        applied.is_ok()
    }
}
