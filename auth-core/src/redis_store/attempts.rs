//! Failure throttling through Redis: one script per failure, blocks announced to every
//! instance's local view.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use redis::Script;

use super::{RedisStore, store_error};
use crate::store::{StoreError, StoreFuture};
use crate::throttle::{AttemptStore, ThrottleKey, UserDigest};

/// The most blocks one instance's local view holds; when full, expired ones are swept and
/// then the sixteenth ending soonest make room (a spray of addresses cannot grow it). Redis
/// still holds every block: a client evicted here is refused again after its next failure.
///
/// ```
/// assert_eq!(auth_core::redis_store::MAX_LOCAL_BLOCKS, 65_536);
/// ```
pub const MAX_LOCAL_BLOCKS: usize = 65_536;

/// KEYS: the counter, the block, the set of blocks by end (for read-back). ARGV: limit,
/// window (ms), channel, the key's id. Answers the block's remaining milliseconds, or -1 when
/// not blocked. Time is Redis's: key TTLs and `TIME`.
static RECORD_FAILURE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local blocked = redis.call('PTTL', KEYS[2])
if blocked > 0 then return blocked end
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if failures >= tonumber(ARGV[1]) then
  local now = redis.call('TIME')
  local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  redis.call('DEL', KEYS[1])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now_ms)
  redis.call('ZADD', KEYS[3], now_ms + tonumber(ARGV[2]), ARGV[4])
  redis.call('PUBLISH', ARGV[3], 'b ' .. ARGV[4] .. ' ' .. ARGV[2])
  return tonumber(ARGV[2])
end
return -1
",
    )
});

/// The longest block a message may set in a local view: a forged or corrupt message cannot
/// block a client for longer than a day.
pub(crate) const MAX_BLOCK: Duration = Duration::from_secs(24 * 3600);

/// The blocks this instance knows of: key → when it ends, on this node's clock.
#[derive(Default)]
pub(crate) struct LocalBlocks {
    blocks: Mutex<HashMap<ThrottleKey, SystemTime>>,
}

impl LocalBlocks {
    pub(crate) fn insert(&self, key: ThrottleKey, for_: Duration) {
        let until = SystemTime::now() + for_.min(MAX_BLOCK);
        let mut blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        if blocks.len() >= MAX_LOCAL_BLOCKS && !blocks.contains_key(&key) {
            let now = SystemTime::now();
            blocks.retain(|_, end| *end > now);
            if blocks.len() >= MAX_LOCAL_BLOCKS {
                // Still full of live blocks: the sixteenth ending soonest make room at once, so
                // a spray costs one scan per 4 096 inserts, not one per insert.
                let mut ends: Vec<SystemTime> = blocks.values().copied().collect();
                let cut = MAX_LOCAL_BLOCKS / 16;
                let (_, line, _) = ends.select_nth_unstable(cut);
                let line = *line;
                blocks.retain(|_, end| *end > line);
            }
        }
        let end = blocks.entry(key).or_insert(until);
        *end = (*end).max(until);
    }

    fn remaining(&self, key: &ThrottleKey, now: SystemTime) -> Option<Duration> {
        let blocks = self.blocks.lock().unwrap_or_else(|e| e.into_inner());
        let end = blocks.get(key)?;
        end.duration_since(now).ok().filter(|d| !d.is_zero())
    }

    pub(crate) fn len(&self) -> usize {
        self.blocks.lock().map(|b| b.len()).unwrap_or(0)
    }
}

/// A throttle key as text, for key names and messages: `c-<ip>`, `x-<origin>-<ip>`,
/// `u-<sha256 hex>`. Never a user name.
pub(crate) fn key_id(key: &ThrottleKey) -> String {
    match key {
        ThrottleKey::Client(ip) => format!("c-{ip}"),
        ThrottleKey::CrossSite { client, origin } => format!("x-{origin}-{client}"),
        ThrottleKey::User(digest) => {
            let mut id = String::with_capacity(66);
            id.push_str("u-");
            for b in digest.as_bytes() {
                id.push_str(&format!("{b:02x}"));
            }
            id
        }
    }
}

/// The inverse of [`key_id`]; `None` for anything else.
pub(crate) fn parse_key_id(id: &str) -> Option<ThrottleKey> {
    if let Some(ip) = id.strip_prefix("c-") {
        return ip.parse::<IpAddr>().ok().map(ThrottleKey::Client);
    }
    if let Some(rest) = id.strip_prefix("x-") {
        let (origin, client) = rest.split_once('-')?;
        return Some(ThrottleKey::CrossSite {
            client: client.parse().ok()?,
            origin: origin.parse().ok()?,
        });
    }
    let hex = id.strip_prefix("u-")?;
    if hex.len() != 64 {
        return None;
    }
    let mut bytes = [0u8; 32];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(ThrottleKey::User(UserDigest::from_bytes(bytes)))
}

impl AttemptStore for RedisStore {
    /// The local view: no round trip.
    fn blocked_for(&self, key: &ThrottleKey, now: SystemTime) -> Option<Duration> {
        self.shared.blocks.remaining(key, now)
    }

    /// One script run: counts the failure in Redis (the window is the counter's TTL, so
    /// Redis's clock), and when it reaches `limit`, sets the block and announces it; the
    /// local view takes the block before the future completes.
    fn record_failure(
        &self,
        key: &ThrottleKey,
        _now: SystemTime,
        limit: u32,
        window: Duration,
    ) -> StoreFuture<Result<Option<Duration>, StoreError>> {
        let key = *key;
        let id = key_id(&key);
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        self.run("attempts", move |mut connection, shared| async move {
            let (failures, blocked) = shared.keys.throttle(&id);
            let answer: i64 = RECORD_FAILURE
                .key(failures)
                .key(blocked)
                .key(&shared.keys.blocks)
                .arg(limit.max(1))
                .arg(window_ms)
                .arg(&shared.keys.channel)
                .arg(&id)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| store_error(&e))?;
            let Ok(ms) = u64::try_from(answer) else {
                return Ok(None);
            };
            let for_ = Duration::from_millis(ms);
            shared.blocks.insert(key, for_);
            Ok(Some(for_))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_round_trip_and_hold_no_user_name() {
        let keys = [
            ThrottleKey::Client([192, 0, 2, 1].into()),
            ThrottleKey::Client("2001:db8::".parse().unwrap_or(IpAddr::from([0u8; 4]))),
            ThrottleKey::CrossSite {
                client: [198, 51, 100, 7].into(),
                origin: 3,
            },
            ThrottleKey::user("alice@example.com"),
        ];
        for key in keys {
            let id = key_id(&key);
            assert_eq!(parse_key_id(&id), Some(key), "{id}");
            assert!(!id.contains("alice"));
        }
        for junk in ["", "c-", "c-999.1.1.1", "u-00", "x-1", "q-1"] {
            assert_eq!(parse_key_id(junk), None, "{junk}");
        }
    }

    #[test]
    fn the_local_view_is_bounded_under_a_spray_of_addresses() {
        let blocks = LocalBlocks::default();
        for i in 0..(MAX_LOCAL_BLOCKS as u32 + 1_000) {
            blocks.insert(
                ThrottleKey::Client(IpAddr::from(i.to_be_bytes())),
                Duration::from_secs(60),
            );
        }
        assert!(blocks.len() <= MAX_LOCAL_BLOCKS, "{}", blocks.len());
        let last = ThrottleKey::Client(IpAddr::from((MAX_LOCAL_BLOCKS as u32 + 999).to_be_bytes()));
        assert!(blocks.remaining(&last, SystemTime::now()).is_some());
    }
}
