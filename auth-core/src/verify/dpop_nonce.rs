//! Server-provided DPoP nonces (RFC 9449 §9), stateless: a nonce is the number of the period
//! it was issued in, sealed with an HMAC, so every instance holding the secret can check any
//! instance's nonce without shared state, and a nonce ages out on its own.
//!
//! A nonce is accepted during the period it was issued in and the next one, so a client that
//! fetched one just before a period ended still has a full period to use it; and during the
//! period before, for an instance whose clock lags the one that issued it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ConfigError;

/// The length of a nonce's HMAC tag, in bytes (128 bits: unforgeable, short on the wire).
const TAG_LEN: usize = 16;

// The default period of a nonce: a nonce lives one to two of them.
const DEFAULT_PERIOD_SECS: u64 = 300;

/// Rolling, HMAC-sealed `DPoP-Nonce` values: enable them with
/// [`DpopBuilder::nonces`](crate::DpopBuilder::nonces) and every proof must carry a nonce this
/// resource issued, so a proof made in advance (by malware that briefly held the key) is
/// useless after a period or two.
///
/// ```
/// use auth_core::DpopNonces;
/// let nonces = DpopNonces::new(b"a nonce secret of at least 32 bytes!")?;
/// let nonce = nonces.issue_at(1_700_000_000);
/// assert!(nonces.accepts_at(&nonce, 1_700_000_000));
/// assert!(nonces.accepts_at(&nonce, 1_700_000_000 + 300));
/// assert!(!nonces.accepts_at(&nonce, 1_700_000_000 + 900));
/// assert!(!DpopNonces::new(b"another secret of at least 32 bytes")?.accepts_at(&nonce, 1_700_000_000));
/// # Ok::<(), auth_core::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct DpopNonces {
    key: hmac::Key,
    period: u64,
}

impl DpopNonces {
    /// The default period, in seconds.
    ///
    /// ```
    /// assert_eq!(auth_core::DpopNonces::DEFAULT_PERIOD_SECS, 300);
    /// ```
    pub const DEFAULT_PERIOD_SECS: u64 = DEFAULT_PERIOD_SECS;

    /// Nonces sealed with `secret` (at least 32 bytes; every instance of a fleet takes the same
    /// one), rolling every [`DpopNonces::DEFAULT_PERIOD_SECS`].
    ///
    /// ```
    /// use auth_core::DpopNonces;
    /// assert!(DpopNonces::new(b"short").is_err());
    /// assert!(DpopNonces::new(&[7u8; 32]).is_ok());
    /// ```
    pub fn new(secret: &[u8]) -> Result<Self, ConfigError> {
        if secret.len() < 32 {
            return Err(ConfigError::WeakSecret {
                alg: "DPoP nonce".into(),
                len: secret.len(),
                min: 32,
            });
        }
        Ok(DpopNonces {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            period: DEFAULT_PERIOD_SECS,
        })
    }

    /// Nonces sealed with a random secret of this process (one instance; a fleet must share a
    /// secret through [`DpopNonces::new`]).
    ///
    /// ```
    /// use auth_core::DpopNonces;
    /// let nonces = DpopNonces::random()?;
    /// assert!(nonces.accepts_at(&nonces.issue_at(10), 10));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn random() -> Result<Self, ConfigError> {
        let mut secret = [0u8; 32];
        aws_lc_rs::rand::fill(&mut secret).map_err(|_| ConfigError::InvalidSetting {
            what: "DPoP nonce secret",
            detail: "the system's random generator failed".into(),
        })?;
        Self::new(&secret)
    }

    /// Rolls every `seconds` instead (at least 10).
    ///
    /// ```
    /// use auth_core::DpopNonces;
    /// let nonces = DpopNonces::new(&[7u8; 32])?.period_secs(60);
    /// let nonce = nonces.issue_at(1000);
    /// assert!(nonces.accepts_at(&nonce, 1000 + 60));
    /// assert!(!nonces.accepts_at(&nonce, 1000 + 180));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn period_secs(mut self, seconds: u64) -> Self {
        self.period = seconds.max(10);
        self
    }

    /// The nonce to hand out at the Unix second `now`.
    ///
    /// ```
    /// use auth_core::DpopNonces;
    /// let nonces = DpopNonces::new(&[7u8; 32])?;
    /// // Printable, and the same for a whole period.
    /// assert_eq!(nonces.issue_at(600), nonces.issue_at(899));
    /// assert!(nonces.issue_at(600).bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn issue_at(&self, now: u64) -> String {
        self.seal(now / self.period)
    }

    /// The nonce to hand out now.
    ///
    /// ```
    /// use auth_core::DpopNonces;
    /// let nonces = DpopNonces::new(&[7u8; 32])?;
    /// assert!(nonces.accepts(&nonces.issue()));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn issue(&self) -> String {
        self.issue_at(unix_now())
    }

    /// Whether `nonce` was issued by these settings in this period or the previous one, at the
    /// Unix second `now`. The tag is compared in constant time.
    ///
    /// ```
    /// use auth_core::DpopNonces;
    /// let nonces = DpopNonces::new(&[7u8; 32])?;
    /// assert!(!nonces.accepts_at("not-a-nonce", 0));
    /// assert!(!nonces.accepts_at(&nonces.issue_at(10_000), 0), "a nonce from the far future");
    /// assert!(nonces.accepts_at(&nonces.issue_at(600), 599), "one period ahead: clock skew");
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn accepts_at(&self, nonce: &str, now: u64) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let Some((number, tag)) = bytes.split_first_chunk::<8>() else {
            return false;
        };
        let period = u64::from_be_bytes(*number);
        let current = now / self.period;
        // This period, the previous one, and the next: an instance of the fleet whose clock is
        // a little ahead may have rolled over already (the HMAC still proves the origin).
        let near = period == current
            || period.checked_add(1) == Some(current)
            || current.checked_add(1) == Some(period);
        if !near {
            return false;
        }
        let expected = self.tag(period);
        let Some(expected) = expected.as_ref().get(..TAG_LEN) else {
            return false;
        };
        tag.len() == TAG_LEN && bool::from(subtle::ConstantTimeEq::ct_eq(tag, expected))
    }

    /// [`DpopNonces::accepts_at`] now.
    ///
    /// ```
    /// use auth_core::DpopNonces;
    /// let nonces = DpopNonces::new(&[7u8; 32])?;
    /// assert!(!nonces.accepts(""));
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn accepts(&self, nonce: &str) -> bool {
        self.accepts_at(nonce, unix_now())
    }

    fn tag(&self, period: u64) -> hmac::Tag {
        let mut message = *b"dpop-nonce\0\0\0\0\0\0\0\0";
        message[10..].copy_from_slice(&period.to_be_bytes());
        hmac::sign(&self.key, &message)
    }

    fn seal(&self, period: u64) -> String {
        let tag = self.tag(period);
        let mut bytes = period.to_be_bytes().to_vec();
        bytes.extend_from_slice(tag.as_ref().get(..TAG_LEN).unwrap_or_default());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

impl fmt::Debug for DpopNonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopNonces")
            .field("period", &self.period)
            .finish_non_exhaustive()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tampered_nonce_is_refused() {
        let nonces = DpopNonces::new(&[1u8; 32]).unwrap();
        let nonce = nonces.issue_at(5000);
        let mut bytes = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        for i in 0..bytes.len() {
            bytes[i] ^= 1;
            assert!(
                !nonces.accepts_at(&URL_SAFE_NO_PAD.encode(&bytes), 5000),
                "byte {i}"
            );
            bytes[i] ^= 1;
        }
        bytes.push(0);
        assert!(!nonces.accepts_at(&URL_SAFE_NO_PAD.encode(&bytes), 5000));
    }
}
