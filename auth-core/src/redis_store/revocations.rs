//! Revocation through Redis: written there and to this instance's view at once, announced to
//! every other instance's view, checked locally on every request.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::FutureExt as _;
use redis::Script;

use super::{RedisStore, Shared, store_error};
use crate::store::{StoreError, StoreFuture};
use crate::verify::revocation::{RevocationCheck, RevocationStore, TokenIdentity};

/// KEYS: revoked tokens (hash), revoked subjects (hash), when to forget each (sorted set).
/// ARGV: the field (`[issuer, id]` as JSON), the value (ms since the epoch), when to forget it
/// (s), the kind (`t` or `s`), the channel. A larger value replaces a smaller one, never the
/// reverse; a few forgotten entries are pruned on each call (by Redis's `TIME`).
static REVOKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local now = tonumber(redis.call('TIME')[1])
local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 64)
for _, member in ipairs(old) do
  if string.sub(member, 1, 1) == 't' then
    redis.call('HDEL', KEYS[1], string.sub(member, 2))
  else
    redis.call('HDEL', KEYS[2], string.sub(member, 2))
  end
  redis.call('ZREM', KEYS[3], member)
end
local hash = KEYS[1]
if ARGV[4] == 's' then hash = KEYS[2] end
local value = tonumber(ARGV[2])
local known = tonumber(redis.call('HGET', hash, ARGV[1]) or '0')
if value > known then
  redis.call('HSET', hash, ARGV[1], ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4] .. ARGV[1])
end
redis.call('PUBLISH', ARGV[5], ARGV[4] .. ' ' .. ARGV[2] .. ' ' .. ARGV[1])
return 1
",
    )
});

/// The largest millisecond count Lua's numbers (doubles) hold exactly: later instants are
/// stored as this one (about the year 287 396, so only "forever" is affected).
const MAX_EXACT_MS: u64 = (1 << 53) - 1;

/// What a revocation is of.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A token, by issuer and `jti`, until its expiry.
    Token,
    /// A subject's tokens issued before a cut-off.
    Subject,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Token => "t",
            Kind::Subject => "s",
        }
    }
}

/// `[issuer, id]` as JSON: any bytes of either survive, and the pair is one field.
pub(crate) fn field(issuer: Option<&str>, id: &str) -> String {
    serde_json::json!([issuer, id]).to_string()
}

/// The inverse of [`field`].
pub(crate) fn parse_field(field: &str) -> Option<(Option<String>, String)> {
    serde_json::from_str(field).ok()
}

pub(crate) fn to_ms(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

pub(crate) fn from_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// Applies a revocation to this instance's view (ready at once: it is in memory).
pub(crate) fn apply(
    shared: &Shared,
    kind: Kind,
    issuer: Option<&str>,
    id: &str,
    at: SystemTime,
) -> Result<(), StoreError> {
    let view = &shared.revocations;
    let write = match kind {
        Kind::Token => view.revoke_token(issuer, id, at),
        Kind::Subject => view.revoke_subject(issuer, id, at),
    };
    write.now_or_never().unwrap_or(Err(StoreError::Unavailable(
        "the local view did not answer",
    )))
}

impl RedisStore {
    fn revoke(
        &self,
        kind: Kind,
        issuer: Option<&str>,
        id: &str,
        at: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        // This instance refuses the token at once, whatever Redis says.
        let local = apply(&self.shared, kind, issuer, id, at);
        let (leeway, retention) = self.shared.revocations.retention();
        let keep = match kind {
            Kind::Token => leeway,
            Kind::Subject => retention,
        };
        // Saturating (a far-future `until` must not overflow), rounded up to the second.
        let forget_ms =
            to_ms(at).saturating_add(u64::try_from(keep.as_millis()).unwrap_or(u64::MAX));
        let forget_s = forget_ms.div_ceil(1000);
        let (field, value) = (field(issuer, id), to_ms(at).min(MAX_EXACT_MS));
        let remote = self.run("revocations", move |mut connection, shared| async move {
            let keys = &shared.keys;
            let _: i64 = REVOKE
                .key(&keys.revoked_tokens)
                .key(&keys.revoked_subjects)
                .key(&keys.revocation_expiry)
                .arg(field)
                .arg(value)
                .arg(forget_s)
                .arg(kind.tag())
                .arg(&keys.channel)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| store_error(&e))?;
            Ok(())
        });
        Box::pin(async move {
            local?;
            remote.await
        })
    }
}

impl RevocationStore for RedisStore {
    /// The local view, while Redis has confirmed it within the staleness bound; `Stale` after.
    fn check(&self, token: &TokenIdentity<'_>, now: SystemTime) -> RevocationCheck {
        if !self.is_fresh() {
            return RevocationCheck::Stale;
        }
        self.shared.revocations.check(token, now)
    }

    fn revoke_token(
        &self,
        issuer: Option<&str>,
        jti: &str,
        until: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        self.revoke(Kind::Token, issuer, jti, until)
    }

    fn revoke_subject(
        &self,
        issuer: Option<&str>,
        subject: &str,
        issued_before: SystemTime,
    ) -> StoreFuture<Result<(), StoreError>> {
        self.revoke(Kind::Subject, issuer, subject, issued_before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_any_bytes_and_tell_a_missing_issuer_from_an_empty_one() {
        for (issuer, id) in [
            (None, "t-1"),
            (Some(""), "t-1"),
            (
                Some("https://id.example.com"),
                "a \"quoted\" id with spaces\n",
            ),
        ] {
            let f = field(issuer, id);
            assert_eq!(
                parse_field(&f),
                Some((issuer.map(str::to_owned), id.to_owned()))
            );
            assert!(!f.contains('\n'), "one line, for the messages");
        }
        assert_ne!(field(None, "x"), field(Some(""), "x"));
        assert_eq!(
            from_ms(to_ms(UNIX_EPOCH + Duration::from_millis(1_234))),
            UNIX_EPOCH + Duration::from_millis(1_234)
        );
    }
}
