//! The store's thread: connects, subscribes, reads the state back, follows the channel, and
//! proves the view fresh with heartbeats; starts over after any failure.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt as _;
use redis::AsyncCommands as _;

use super::attempts::{id_in_block_key, parse_key_id};
use super::revocations::{self, Kind};
use super::{HEARTBEAT, Shared, now_ms, store_error};
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
        }
    }

    async fn forever(&self) {
        let mut backoff = Duration::from_millis(50);
        loop {
            let started = now_ms();
            if let Err(error) = self.session().await {
                tracing::error!(
                    target: "auth",
                    %error,
                    "redis store: the shared view is not being kept; reconnecting"
                );
            }
            // A session that lasted resets the backoff; one that failed at once doubles it.
            if now_ms().saturating_sub(started) > 10_000 {
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
        pubsub
            .subscribe(&self.shared.keys.channel)
            .await
            .map_err(|e| store_error(&e))?;
        // Subscribed first, read back second: nothing published in between is missed.
        self.read_back().await?;
        self.shared.confirmed_ms.store(now_ms(), Ordering::Release);
        tracing::info!(target: "auth", "redis store: view in sync");
        let mut messages = pubsub.on_message();
        let mut beat = tokio::time::interval(HEARTBEAT);
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(message) => self.apply(message.get_payload_bytes()),
                    None => return Err(StoreError::Unavailable("subscription lost")),
                },
                _ = beat.tick() => {
                    let silent = now_ms()
                        .saturating_sub(self.shared.confirmed_ms.load(Ordering::Acquire));
                    if silent > 3 * HEARTBEAT.as_millis() as u64 + timeout.as_millis() as u64 {
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

    /// Reads every block and revocation back into the views.
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
            let mut names = Vec::new();
            {
                let mut scan = connection
                    .scan_match::<_, String>(keys.blocks_pattern())
                    .await
                    .map_err(|e| store_error(&e))?;
                while let Some(name) = scan.next().await {
                    names.push(name.map_err(|e| store_error(&e))?);
                }
            }
            let mut blocks = Vec::with_capacity(names.len());
            for name in names {
                let left: i64 = connection.pttl(&name).await.map_err(|e| store_error(&e))?;
                blocks.push((name, left));
            }
            Ok::<_, StoreError>((tokens, subjects, blocks))
        };
        let (tokens, subjects, blocks) = tokio::time::timeout(self.shared.timeout * 20, work)
            .await
            .map_err(|_| StoreError::Timeout)??;
        for (kind, entries) in [(Kind::Token, tokens), (Kind::Subject, subjects)] {
            for (field, ms) in entries {
                self.revocation(kind, &field, ms);
            }
        }
        for (name, left) in blocks {
            let key = id_in_block_key(&name).and_then(parse_key_id);
            if let (Some(key), Ok(ms)) = (key, u64::try_from(left)) {
                self.shared.blocks.insert(key, Duration::from_millis(ms));
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
                self.shared.confirmed_ms.store(now_ms(), Ordering::Release);
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
                if let Ok(ms) = ms.parse() {
                    self.revocation(kind, field, ms);
                }
            }
            _ => {}
        }
    }

    fn revocation(&self, kind: Kind, field: &str, ms: u64) {
        let Some((issuer, id)) = revocations::parse_field(field) else {
            return;
        };
        let at = revocations::from_ms(ms);
        if let Err(error) = revocations::apply(&self.shared, kind, issuer.as_deref(), &id, at) {
            tracing::error!(
                target: "auth",
                %error,
                "redis store: a revocation could not enter the local view"
            );
        }
    }
}
