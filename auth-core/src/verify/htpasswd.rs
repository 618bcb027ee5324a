//! A user store read from an Apache `htpasswd` file, so teams moving from nginx or Apache keep
//! their files.
//!
//! Accepted: bcrypt (`$2y$`, `$2b$`, `$2a$`, written by `htpasswd -B`) and Argon2 PHC strings
//! (`$argon2id$…`). Refused at load, naming the line, unless the application opts in with
//! [`Htpasswd::parse_allowing_legacy`]: `{SHA}` (unsalted SHA-1, `htpasswd -s`), `$apr1$`
//! (iterated MD5, `htpasswd -m`) and plain text (`htpasswd -p`). Refused always: DES `crypt`
//! (`htpasswd -d`), which silently truncates passwords to 8 bytes, and any other format.
//!
//! Hashing runs on actix's blocking pool (`web::block`), never on the async worker.
//!
//! Requires the feature `htpasswd` (off by default), which brings in `bcrypt`, `argon2`, `sha1`
//! and `md-5`. Without it, applications plug their own store in with
//! [`BasicVerifier`].
//!
//! # Every check costs the same
//!
//! The time a check takes must not tell a client whether a user exists, nor which kind of hash
//! that user has. Checking an unknown user against one dummy hash is not enough when entries
//! differ in cost: against the costliest entry, a user with a cheaper hash stands out (a cost-5
//! bcrypt user answered in 3 ms, unknown users in 300 ms). So the file's entries are grouped
//! into cost classes (bcrypt per cost; Argon2 per variant, version, `m`/`t`/`p` and output
//! length; each legacy format), and **every check evaluates exactly one hash of each class**:
//! for the user's own class its own hash, for every other class the first entry of that class
//! (whose result is thrown away). An unknown user evaluates one entry of each class and is
//! refused whatever the results. Right password, wrong password and unknown user thus do the
//! same work, and get the same answer for each refusal.
//!
//! The price: a file that mixes costs makes every check pay for each of them (a warning is
//! logged at load). Keep one cost for all entries, and a check costs one hash, as before.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use sha1::Sha1;
use subtle::ConstantTimeEq as _;

use super::basic::{BasicFuture, BasicOutcome, BasicVerifier};
use crate::credentials::BasicCredentials;
use crate::principal::Principal;
use crate::scheme::Scheme;

/// A password hash of one `htpasswd` line.
#[derive(Clone)]
enum Hash {
    Bcrypt { hash: String, cost: u32 },
    Argon2(String),
    Sha1([u8; 20]),
    Apr1 { salt: String, hash: String },
    Plain(String),
}

/// What checking a password against a hash costs: its kind and the parameters that set its
/// work factor. Two hashes of one class cost the same to check, whatever the password.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum CostClass {
    /// bcrypt at this cost (2^cost rounds).
    Bcrypt(u32),
    /// Argon2: the variant, version, `m`/`t`/`p` parameters and output length of the PHC string.
    Argon2(String),
    /// `$apr1$` (1 000 MD5 rounds).
    Apr1,
    /// `{SHA}`.
    Sha1,
    /// Plain text.
    Plain,
}

impl Hash {
    /// The cost class of this hash.
    fn class(&self) -> CostClass {
        match self {
            Hash::Bcrypt { cost, .. } => CostClass::Bcrypt(*cost),
            Hash::Argon2(phc) => CostClass::Argon2(match argon2::PasswordHash::new(phc) {
                Ok(h) => format!(
                    "{} {:?} {} {:?}",
                    h.algorithm,
                    h.version,
                    h.params,
                    h.hash.map(|o| o.len())
                ),
                // Not reached: `classify` only keeps strings that parse.
                Err(_) => String::new(),
            }),
            Hash::Apr1 { .. } => CostClass::Apr1,
            Hash::Sha1(_) => CostClass::Sha1,
            Hash::Plain(_) => CostClass::Plain,
        }
    }

    fn matches(&self, password: &str) -> bool {
        #[cfg(test)]
        tests::EVALUATED.with(|e| e.borrow_mut().push(self.class()));
        match self {
            Hash::Bcrypt { hash, .. } => bcrypt::verify(password, hash).unwrap_or(false),
            Hash::Argon2(phc) => {
                use argon2::PasswordVerifier as _;
                argon2::PasswordHash::new(phc).is_ok_and(|h| {
                    argon2::Argon2::default()
                        .verify_password(password.as_bytes(), &h)
                        .is_ok()
                })
            }
            Hash::Sha1(digest) => Sha1::digest(password.as_bytes())
                .as_slice()
                .ct_eq(digest)
                .into(),
            Hash::Apr1 { salt, hash } => apr1(password.as_bytes(), salt.as_bytes())
                .as_bytes()
                .ct_eq(hash.as_bytes())
                .into(),
            Hash::Plain(stored) => password.as_bytes().ct_eq(stored.as_bytes()).into(),
        }
    }
}

/// Why an `htpasswd` file was refused (feature `htpasswd`).
///
/// ```
/// use auth_core::{Htpasswd, HtpasswdError};
/// assert_eq!(Htpasswd::parse("# nobody yet\n").unwrap_err(), HtpasswdError::Empty);
/// let err = Htpasswd::parse("ops\n").unwrap_err();
/// assert!(matches!(err, HtpasswdError::Malformed { line: 1, .. }));
/// assert_eq!(err.to_string(), "htpasswd line 1: expected user:hash");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HtpasswdError {
    /// The file could not be read.
    #[error("cannot read the htpasswd file: {0}")]
    Io(String),
    /// A line that is not `user:hash`, or a repeated user.
    #[error("htpasswd line {line}: {detail}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// A weak or unsupported hash format.
    #[error("htpasswd line {line} (user {user:?}): {detail}")]
    WeakHash {
        /// 1-based line number.
        line: usize,
        /// The user of that line.
        user: String,
        /// The format and what to do.
        detail: String,
    },
    /// No user at all.
    #[error("the htpasswd file holds no user")]
    Empty,
}

/// A Basic user store from an `htpasswd` file. Cheap to clone. Requires the feature
/// `htpasswd`.
///
/// ```
/// use auth_core::Htpasswd;
///
/// // Written by `htpasswd -nbB ops 'correct horse'`.
/// let store = Htpasswd::parse("ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n")?;
/// assert_eq!(store.users().collect::<Vec<_>>(), ["ops"]);
/// assert!(Htpasswd::parse("old:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=").is_err());
/// # Ok::<(), auth_core::HtpasswdError>(())
/// ```
#[derive(Clone)]
pub struct Htpasswd {
    inner: Arc<Inner>,
}

struct Inner {
    /// Each user, its hash and the index of its hash's class in `classes`.
    users: Vec<(String, Hash, usize)>,
    /// One hash of each cost class in the file (the first entry of that class), in class
    /// order: every check evaluates each class once.
    classes: Vec<(CostClass, Hash)>,
}

impl std::fmt::Debug for Htpasswd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Htpasswd")
            .field("users", &self.inner.users.len())
            .finish()
    }
}

impl Htpasswd {
    /// Parses a file's text, accepting bcrypt and Argon2 only.
    ///
    /// ```
    /// use auth_core::{Htpasswd, HtpasswdError};
    /// let store = Htpasswd::parse(concat!("# the ops team\n", "ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n"))?;
    /// assert_eq!(store.users().count(), 1);
    /// // A weak hash is refused, naming its line.
    /// let weak = Htpasswd::parse(concat!("ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n", "old:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="));
    /// assert!(matches!(weak, Err(HtpasswdError::WeakHash { line: 2, .. })));
    /// # Ok::<(), auth_core::HtpasswdError>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self, HtpasswdError> {
        Self::parse_inner(text, false)
    }

    /// Parses a file's text, also accepting the weak legacy formats `{SHA}`, `$apr1$` and plain
    /// text. Each legacy entry is logged as a warning at load.
    ///
    /// ```
    /// use auth_core::Htpasswd;
    /// let store = Htpasswd::parse_allowing_legacy("old:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")?;
    /// assert_eq!(store.users().collect::<Vec<_>>(), ["old"]);
    /// // DES crypt truncates passwords: refused even so.
    /// assert!(Htpasswd::parse_allowing_legacy("des:abJnggxhB/yWI").is_err());
    /// # Ok::<(), auth_core::HtpasswdError>(())
    /// ```
    pub fn parse_allowing_legacy(text: &str) -> Result<Self, HtpasswdError> {
        Self::parse_inner(text, true)
    }

    /// Reads and parses a file (bcrypt and Argon2 only).
    ///
    /// ```
    /// use auth_core::{Htpasswd, HtpasswdError};
    /// let path = std::env::temp_dir().join(format!("auth-core-doc-{}.htpasswd", std::process::id()));
    /// std::fs::write(&path, "ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n").unwrap();
    /// let store = Htpasswd::load(&path)?;
    /// # std::fs::remove_file(&path).ok();
    /// assert_eq!(store.users().collect::<Vec<_>>(), ["ops"]);
    /// assert!(matches!(Htpasswd::load("/nonexistent/htpasswd"), Err(HtpasswdError::Io(_))));
    /// # Ok::<(), auth_core::HtpasswdError>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self, HtpasswdError> {
        let text = std::fs::read_to_string(path).map_err(|e| HtpasswdError::Io(e.to_string()))?;
        Self::parse(&text)
    }

    /// The user names, in file order.
    ///
    /// ```
    /// use auth_core::Htpasswd;
    /// let store = Htpasswd::parse_allowing_legacy("zoe:plain-zoe\nadam:plain-adam\n")?;
    /// assert_eq!(store.users().collect::<Vec<_>>(), ["zoe", "adam"]);
    /// # Ok::<(), auth_core::HtpasswdError>(())
    /// ```
    pub fn users(&self) -> impl Iterator<Item = &str> {
        self.inner.users.iter().map(|(u, _, _)| u.as_str())
    }

    fn parse_inner(text: &str, allow_legacy: bool) -> Result<Self, HtpasswdError> {
        let mut users: Vec<(String, Hash)> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let entry = raw.trim_end_matches(['\r', ' ', '\t']);
            if entry.trim().is_empty() || entry.starts_with('#') {
                continue;
            }
            let malformed = |detail: &str| HtpasswdError::Malformed {
                line,
                detail: detail.to_owned(),
            };
            let (user, field) = entry
                .split_once(':')
                .ok_or_else(|| malformed("expected user:hash"))?;
            if user.is_empty() {
                return Err(malformed("empty user name"));
            }
            if users.iter().any(|(u, _)| u == user) {
                return Err(malformed("user listed twice"));
            }
            let weak = |detail: String| HtpasswdError::WeakHash {
                line,
                user: user.to_owned(),
                detail,
            };
            let hash = classify(field).map_err(weak)?;
            if matches!(hash, Hash::Sha1(_) | Hash::Apr1 { .. } | Hash::Plain(_)) {
                if !allow_legacy {
                    return Err(weak(format!(
                        "{} is a weak legacy format; re-hash it with `htpasswd -B`, or opt in with \
                         Htpasswd::parse_allowing_legacy",
                        legacy_name(&hash)
                    )));
                }
                tracing::warn!(target: crate::audit::TARGET, line, user, format = legacy_name(&hash), "htpasswd entry uses a weak legacy hash");
            }
            users.push((user.to_owned(), hash));
        }
        if users.is_empty() {
            return Err(HtpasswdError::Empty);
        }
        let mut classes: Vec<(CostClass, Hash)> = Vec::new();
        for (_, hash) in &users {
            let class = hash.class();
            if !classes.iter().any(|(c, _)| *c == class) {
                classes.push((class, hash.clone()));
            }
        }
        classes.sort_by(|a, b| a.0.cmp(&b.0));
        if classes.len() > 1 {
            tracing::warn!(
                target: crate::audit::TARGET,
                classes = classes.len(),
                "htpasswd entries use hashes of different costs: every check evaluates one hash of \
                 each, so each login costs their sum; re-hash every entry with one cost"
            );
        }
        let users = users
            .into_iter()
            .map(|(user, hash)| {
                let class = hash.class();
                let index = classes.iter().position(|(c, _)| *c == class).unwrap_or(0);
                (user, hash, index)
            })
            .collect();
        Ok(Htpasswd {
            inner: Arc::new(Inner { users, classes }),
        })
    }

    /// Whether `credentials` are valid. The work is the same for every user name and password:
    /// one evaluation per cost class of the file, the user's own hash for its class and the
    /// class's representative for the others (all of them for an unknown user), with every
    /// result computed before any is looked at.
    fn check(&self, credentials: &BasicCredentials) -> bool {
        let wanted = credentials.user_id().as_bytes();
        // The whole list, without stopping at the match (names are unique).
        let mut entry = None;
        for (user, hash, class) in &self.inner.users {
            if bool::from(user.as_bytes().ct_eq(wanted)) {
                entry = Some((hash, *class));
            }
        }
        let mut valid = false;
        for (index, (_, representative)) in self.inner.classes.iter().enumerate() {
            let own = entry.filter(|(_, class)| *class == index).map(|(h, _)| h);
            let matched = own
                .unwrap_or(representative)
                .matches(credentials.password());
            valid |= own.is_some() & matched;
        }
        valid
    }
}

impl BasicVerifier for Htpasswd {
    fn verify(&self, credentials: BasicCredentials) -> BasicFuture {
        let store = self.clone();
        Box::pin(async move {
            let user = credentials.user_id().to_owned();
            match actix_web::web::block(move || store.check(&credentials)).await {
                Ok(true) => BasicOutcome::Valid(Principal::new(
                    Scheme::Basic,
                    Some(user),
                    Vec::new(),
                    Default::default(),
                )),
                Ok(false) => BasicOutcome::Invalid,
                Err(_) => BasicOutcome::Unavailable,
            }
        })
    }
}

fn legacy_name(hash: &Hash) -> &'static str {
    match hash {
        Hash::Sha1(_) => "{SHA} (unsalted SHA-1)",
        Hash::Apr1 { .. } => "$apr1$ (iterated MD5)",
        _ => "plain text",
    }
}

const CRYPT_ALPHABET: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn classify(field: &str) -> Result<Hash, String> {
    if let Some(rest) = ["$2y$", "$2b$", "$2a$"]
        .iter()
        .find_map(|p| field.strip_prefix(p))
    {
        let cost = rest.get(..2).and_then(|c| c.parse::<u32>().ok());
        return match cost {
            Some(cost) if field.len() == 60 && rest.as_bytes().get(2) == Some(&b'$') => {
                Ok(Hash::Bcrypt {
                    hash: field.to_owned(),
                    cost,
                })
            }
            _ => Err("malformed bcrypt hash".to_owned()),
        };
    }
    if field.starts_with("$argon2") {
        return argon2::PasswordHash::new(field)
            .map(|_| Hash::Argon2(field.to_owned()))
            .map_err(|e| format!("malformed Argon2 PHC string: {e}"));
    }
    if let Some(b64) = field.strip_prefix("{SHA}") {
        let digest = STANDARD
            .decode(b64)
            .ok()
            .and_then(|d| <[u8; 20]>::try_from(d).ok());
        return digest
            .map(Hash::Sha1)
            .ok_or_else(|| "malformed {SHA} hash".to_owned());
    }
    if let Some(rest) = field.strip_prefix("$apr1$") {
        return match rest.split_once('$') {
            Some((salt, _)) if !salt.is_empty() && salt.len() <= 8 => Ok(Hash::Apr1 {
                salt: salt.to_owned(),
                hash: field.to_owned(),
            }),
            _ => Err("malformed $apr1$ hash".to_owned()),
        };
    }
    if field.starts_with('$') {
        return Err("unsupported hash format; use bcrypt (`htpasswd -B`) or Argon2".to_owned());
    }
    if field.len() == 13 && field.bytes().all(|b| CRYPT_ALPHABET.contains(&b)) {
        return Err(
            "DES crypt truncates passwords to 8 bytes and is never accepted; re-hash it \
                    with `htpasswd -B`"
                .to_owned(),
        );
    }
    Ok(Hash::Plain(field.to_owned()))
}

/// Apache's `$apr1$` (the FreeBSD MD5-crypt algorithm with Apache's magic string), over the
/// RustCrypto MD5 implementation. Only reached when legacy hashes are explicitly allowed.
fn apr1(password: &[u8], salt: &[u8]) -> String {
    const MAGIC: &[u8] = b"$apr1$";
    let alternate = Md5::new()
        .chain_update(password)
        .chain_update(salt)
        .chain_update(password)
        .finalize();
    let mut ctx = Md5::new()
        .chain_update(password)
        .chain_update(MAGIC)
        .chain_update(salt);
    let mut left = password.len();
    while left > 0 {
        let n = left.min(16);
        ctx.update(&alternate[..n]);
        left -= n;
    }
    let mut bits = password.len();
    while bits > 0 {
        if bits & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        bits >>= 1;
    }
    let mut digest = ctx.finalize();
    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 == 1 {
            c.update(password);
        } else {
            c.update(digest);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(password);
        }
        if round & 1 == 1 {
            c.update(digest);
        } else {
            c.update(password);
        }
        digest = c.finalize();
    }
    let mut out = String::with_capacity(37);
    out.push_str("$apr1$");
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let mut push = |mut v: u32, n: usize| {
        for _ in 0..n {
            out.push(char::from(CRYPT_ALPHABET[(v & 0x3f) as usize]));
            v >>= 6;
        }
    };
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        push(
            u32::from(digest[a]) << 16 | u32::from(digest[b]) << 8 | u32::from(digest[c]),
            4,
        );
    }
    push(u32::from(digest[11]), 2);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::cell::RefCell;

    thread_local! {
        /// The cost class of every hash evaluated on this thread, in order.
        pub(super) static EVALUATED: RefCell<Vec<CostClass>> = const { RefCell::new(Vec::new()) };
    }

    /// The cost classes `check` evaluated for `user`/`password` (sorted), and its answer.
    fn work(store: &Htpasswd, user: &str, password: &str) -> (Vec<CostClass>, bool) {
        EVALUATED.with(|e| e.borrow_mut().clear());
        let valid = store.check(&BasicCredentials::new(user, password));
        let mut done = EVALUATED.with(|e| std::mem::take(&mut *e.borrow_mut()));
        done.sort();
        (done, valid)
    }

    /// A file with a cheap bcrypt user, a costlier bcrypt user, a cheap Argon2 user and (with
    /// the legacy opt-in) a plain-text user.
    fn mixed_store() -> Htpasswd {
        let cheap = bcrypt::hash("cheap-pw", 4).unwrap();
        let costly = bcrypt::hash("costly-pw", 6).unwrap();
        let argon = {
            use argon2::PasswordHasher as _;
            let params = argon2::Params::new(64, 1, 1, None).unwrap();
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
                .hash_password_with_salt(b"argon-pw", b"saltsaltsaltsalt")
                .unwrap()
                .to_string()
        };
        Htpasswd::parse_allowing_legacy(&format!(
            "cheap:{cheap}\ncostly:{costly}\nargon:{argon}\nplain:plain-pw\n"
        ))
        .unwrap()
    }

    #[test]
    fn every_check_does_the_same_work_whoever_the_user_and_whatever_the_password() {
        let store = mixed_store();
        let (expected, _) = work(&store, "nobody", "x");
        // One evaluation per cost class of the file, for an unknown user too.
        assert_eq!(
            expected.len(),
            4,
            "one evaluation per cost class: {expected:?}"
        );
        for (user, password, valid) in [
            ("cheap", "cheap-pw", true),
            ("cheap", "wrong", false),
            ("costly", "costly-pw", true),
            ("costly", "wrong", false),
            ("argon", "argon-pw", true),
            ("argon", "wrong", false),
            ("plain", "plain-pw", true),
            ("plain", "wrong", false),
            ("nobody", "cheap-pw", false),
            ("", "", false),
            // Another user's password never opens an account.
            ("cheap", "costly-pw", false),
        ] {
            assert_eq!(
                work(&store, user, password),
                (expected.clone(), valid),
                "{user}/{password}"
            );
        }
    }

    #[test]
    fn apr1_matches_openssl() {
        // `openssl passwd -apr1 -salt abcdefgh password`
        assert_eq!(
            apr1(b"password", b"abcdefgh"),
            "$apr1$abcdefgh$FBwExRW4dCc8aL.OvjpIE1"
        );
        assert_eq!(
            apr1(
                "a longer pass phrase with : colons and ümlauts".as_bytes(),
                b"x"
            ),
            "$apr1$x$QMvGuQcYxkoDTslnwNCyg1"
        );
    }

    #[test]
    fn formats_and_errors() {
        let err = Htpasswd::parse("a:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\n\nb:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n").unwrap_err();
        assert!(
            matches!(&err, HtpasswdError::WeakHash { line: 3, user, .. } if user == "b"),
            "{err}"
        );
        let strong =
            Htpasswd::parse("ops:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu")
                .unwrap();
        assert!(strong.check(&BasicCredentials::new("ops", "correct horse")));
        assert!(!strong.check(&BasicCredentials::new("ops", "correct horsE")));
        assert!(!strong.check(&BasicCredentials::new("other", "correct horse")));
        assert!(err.to_string().contains("line 3"));
        let legacy = Htpasswd::parse_allowing_legacy("s:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\nm:$apr1$abcdefgh$FBwExRW4dCc8aL.OvjpIE1\np:plainpass\n").unwrap();
        assert!(legacy.check(&BasicCredentials::new("s", "password")));
        assert!(legacy.check(&BasicCredentials::new("m", "password")));
        assert!(legacy.check(&BasicCredentials::new("p", "plainpass")));
        assert!(!legacy.check(&BasicCredentials::new("p", "plainpasS")));
        assert!(!legacy.check(&BasicCredentials::new("nobody", "password")));
        // DES crypt is refused even with the opt-in.
        assert!(Htpasswd::parse_allowing_legacy("d:abJnggxhB/yWI").is_err());
        assert!(Htpasswd::parse("nocolon").is_err());
        assert!(Htpasswd::parse("a:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu\na:$2y$05$ggiwRqbwwKXmuqrQ5kWCwO6k08OjLLuXbB23pK1n9Z1orlmwb1Utu").is_err());
        assert_eq!(
            Htpasswd::parse("# only a comment\n").unwrap_err(),
            HtpasswdError::Empty
        );
    }
}
