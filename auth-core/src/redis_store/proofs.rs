//! The DPoP replay memory through Redis: every instance of a fleet refuses a proof any of them
//! accepted. There is no local view: a proof is accepted only after Redis recorded it (one
//! `SET NX` round trip), and the request is refused with 503 when Redis cannot answer (fail
//! closed). Each proof's key expires with its window, so Redis holds only live proofs.

use std::time::{SystemTime, UNIX_EPOCH};

use super::{RedisStore, store_error};
use crate::store::{StoreError, StoreFuture};
use crate::verify::dpop_replay::{ProofId, ProofReplayStore, ProofUse};

impl ProofReplayStore for RedisStore {
    /// `SET <tag>:<id> 1 NX EXAT <expires>`: set means first, not set means a replay. An
    /// expiry already past records nothing (nothing can replay it: its `iat` is refused).
    fn record(
        &self,
        id: ProofId,
        expires: SystemTime,
    ) -> StoreFuture<Result<ProofUse, StoreError>> {
        let at = expires
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if at <= now {
            return Box::pin(std::future::ready(Ok(ProofUse::First)));
        }
        let id = id.hex();
        self.run("dpop_proofs", move |mut connection, shared| async move {
            let key = format!("{}:{id}", shared.keys.dpop);
            let set: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(1)
                .arg("NX")
                .arg("EXAT")
                .arg(at)
                .query_async(&mut connection)
                .await
                .map_err(|e| store_error(&e))?;
            Ok(if set.is_some() {
                ProofUse::First
            } else {
                ProofUse::Replayed
            })
        })
    }
}
