//! The Digest replay memory through Redis: every instance of a fleet refuses a (`nonce`, `nc`)
//! pair any of them accepted. Unlike the other uses there is no local view: an answer is
//! accepted only after Redis recorded it, and refused with 503 when Redis cannot (fail closed).

use std::sync::LazyLock;

use redis::Script;
use sha2::{Digest as _, Sha256};

use super::{RedisStore, store_error};
use crate::store::{StoreError, StoreFuture};
use crate::verify::digest_nonces::{NonceAnswer, NonceStore, NonceUse};

/// The most live nonces remembered per user, as `MemoryNonces` does by default.
const PER_USER: u32 = crate::verify::digest_nonces::NONCES_PER_USER as u32;

/// The most counts remembered per nonce: past it, the client is sent for a fresh nonce.
const COUNTS_PER_NONCE: u32 = 1024;

/// KEYS: the user's counts of this nonce (set), the user's live nonces (sorted set by issue
/// time), the user's floor. ARGV: nonce id, issued (s), expires (s), count, per-user cap,
/// counts cap. Answers 1 first, 2 replayed, 3 stale. Every key lives as long as the longest-
/// lived nonce it holds (never shortened), and no longer: nonces live at most a day
/// (`DigestAuth` refuses longer lifetimes), so nothing here is dropped while live.
static RECORD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local function keep_until(key, at)
  -- Only ever lengthen a key's life: a later answer with an earlier expiry (another client of
  -- the account, another instance's lifetime) must not make Redis forget a live nonce.
  redis.call('EXPIREAT', key, at, 'NX')
  redis.call('EXPIREAT', key, at, 'GT')
end
local now = tonumber(redis.call('TIME')[1])
local issued, expires = tonumber(ARGV[2]), tonumber(ARGV[3])
if expires <= now then return 3 end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  if redis.call('SISMEMBER', KEYS[1], ARGV[4]) == 1 then return 2 end
  if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[6]) then return 3 end
  redis.call('SADD', KEYS[1], ARGV[4])
  keep_until(KEYS[1], expires)
  return 1
end
local floor = tonumber(redis.call('GET', KEYS[3]) or '0')
if issued < floor then return 3 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then
  local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if tonumber(oldest[2]) >= issued then return 3 end
  redis.call('ZREM', KEYS[2], oldest[1])
  local gone = tonumber(oldest[2]) + 1
  if gone > floor then redis.call('SET', KEYS[3], gone) end
  keep_until(KEYS[3], expires)
  if issued < gone then return 3 end
end
redis.call('ZADD', KEYS[2], issued, ARGV[1])
keep_until(KEYS[2], expires)
if redis.call('SADD', KEYS[1], ARGV[4]) == 0 then return 2 end
keep_until(KEYS[1], expires)
return 1
",
    )
});

impl NonceStore for RedisStore {
    /// One script run: the nonce's counts and the user's share of the memory, bounded like
    /// [`MemoryNonces`](crate::verify::digest_nonces::MemoryNonces) per user (a forgotten
    /// nonce is stale, never accepted again) and per nonce (1 024 counts, then stale).
    fn record(&self, answer: &NonceAnswer<'_>) -> StoreFuture<Result<NonceUse, StoreError>> {
        let nonce = format!("{:032x}", answer.nonce);
        // The user as a digest: no name in a key.
        let user: String = Sha256::digest(answer.user.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let (issued, expires, count) = (answer.issued, answer.expires, answer.count);
        self.run("digest_nonces", move |mut connection, shared| async move {
            let tag = &shared.keys.digest;
            let code: i64 = RECORD
                // Per user: nonces are public (in challenges), so another account's answers
                // to a victim's nonce must not use up or replay the victim's counts.
                .key(format!("{tag}:counts:{user}:{nonce}"))
                .key(format!("{tag}:live:{user}"))
                .key(format!("{tag}:floor:{user}"))
                .arg(&nonce)
                .arg(issued)
                .arg(expires)
                .arg(count)
                .arg(PER_USER)
                .arg(COUNTS_PER_NONCE)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| store_error(&e))?;
            Ok(match code {
                1 => NonceUse::First,
                2 => NonceUse::Replayed,
                _ => NonceUse::Stale,
            })
        })
    }
}
