//! Introspection answers shared by a fleet through Redis: `GET`/`SET … EXAT` under
//! `<prefix>:introspections:<SHA-256 of the token>`, so a token introspected by one instance
//! costs the others one read instead of a call to the authorization server. A cache in front of
//! the server: when Redis cannot answer, the verifier asks the server (fails open to the source
//! of truth, never to an acceptance), and Redis expires each entry with its token's answer.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{RedisStore, store_error};
use crate::store::{StoreError, StoreFuture};
use crate::verify::introspection_store::{IntrospectionStore, TokenDigest};

impl IntrospectionStore for RedisStore {
    fn get(&self, token: TokenDigest) -> StoreFuture<Result<Option<Vec<u8>>, StoreError>> {
        let id = token.hex();
        self.run("introspections", move |mut connection, shared| async move {
            let key = format!("{}:{id}", shared.keys.introspections);
            redis::cmd("GET")
                .arg(&key)
                .query_async::<Option<Vec<u8>>>(&mut connection)
                .await
                .map_err(|e| store_error(&e))
        })
    }

    /// An `until` already past stores nothing.
    fn put(
        &self,
        token: TokenDigest,
        answer: Vec<u8>,
        until: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        let at = until.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if at <= now {
            return Box::pin(std::future::ready(Ok(())));
        }
        let id = token.hex();
        self.run("introspections", move |mut connection, shared| async move {
            let key = format!("{}:{id}", shared.keys.introspections);
            redis::cmd("SET")
                .arg(&key)
                .arg(answer)
                .arg("EXAT")
                .arg(at)
                .query_async::<()>(&mut connection)
                .await
                .map_err(|e| store_error(&e))
        })
    }
}
