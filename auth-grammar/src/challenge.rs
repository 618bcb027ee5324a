//! `WWW-Authenticate` challenges (RFC 9110 §11.6.1): a renderer that always writes
//! `quoted-string` parameter values with `"` and `\` escaped, and a parser for the same grammar.
//!
//! ```
//! use auth_grammar::challenge::{parse, Challenge};
//!
//! let rendered = Challenge::new("Bearer")
//!     .param("realm", r#"say "hi" \ bye"#)
//!     .param("error", "invalid_token")
//!     .render()
//!     .unwrap();
//! assert_eq!(rendered, r#"Bearer realm="say \"hi\" \\ bye", error="invalid_token""#);
//! assert_eq!(parse(&rendered).unwrap(), vec![Challenge::new("Bearer")
//!     .param("realm", r#"say "hi" \ bye"#)
//!     .param("error", "invalid_token")]);
//! ```

use crate::syntax::is_tchar;
pub use crate::syntax::{is_quotable, is_rfc6750_value, is_token};

use std::fmt::Write as _;

/// One challenge: a scheme and its `auth-param`s, in order.
///
/// ```
/// use auth_grammar::challenge::Challenge;
/// let c = Challenge::new("Basic").param("realm", "api");
/// assert_eq!(c.scheme, "Basic");
/// assert_eq!(c.params, [("realm".to_owned(), "api".to_owned())]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// The auth-scheme, as written.
    pub scheme: String,
    /// The parameters, names as written, values unescaped.
    pub params: Vec<(String, String)>,
}

/// Why a challenge could not be rendered or parsed.
///
/// ```
/// use auth_grammar::challenge::{parse, Challenge, ChallengeError};
/// let bad_scheme = Challenge::new("Bad scheme").render();
/// assert_eq!(bad_scheme, Err(ChallengeError::NotAToken("Bad scheme".into())));
/// let bad_value = Challenge::new("Bearer").param("realm", "a\nb").render();
/// assert_eq!(bad_value, Err(ChallengeError::UnsafeValue("realm".into())));
/// assert_eq!(parse(""), Err(ChallengeError::Malformed(0)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// A scheme or parameter name that is not an RFC 9110 `token`.
    #[error("not an RFC 9110 token: {0:?}")]
    NotAToken(String),
    /// A parameter value holding a control or non-ASCII character, which no header may carry.
    #[error("parameter {0:?} holds a control or non-ASCII character")]
    UnsafeValue(String),
    /// The header value does not follow the challenge grammar.
    #[error("malformed challenge list at byte {0}")]
    Malformed(usize),
}

impl Challenge {
    /// A challenge for `scheme` with no parameters.
    ///
    /// ```
    /// use auth_grammar::challenge::Challenge;
    /// let c = Challenge::new("Bearer");
    /// assert!(c.params.is_empty());
    /// assert_eq!(c.render().unwrap(), "Bearer");
    /// ```
    pub fn new(scheme: impl Into<String>) -> Self {
        Challenge {
            scheme: scheme.into(),
            params: Vec::new(),
        }
    }

    /// Appends a parameter.
    ///
    /// ```
    /// use auth_grammar::challenge::Challenge;
    /// let c = Challenge::new("Bearer").param("realm", "api").param("scope", "a b");
    /// assert_eq!(c.render().unwrap(), r#"Bearer realm="api", scope="a b""#);
    /// ```
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.push((name.into(), value.into()));
        self
    }

    /// The value of the first parameter named `name` (case-insensitive, RFC 9110 §11.2).
    ///
    /// ```
    /// use auth_grammar::challenge::Challenge;
    /// let c = Challenge::new("Bearer").param("Realm", "api");
    /// assert_eq!(c.get("realm"), Some("api"));
    /// assert_eq!(c.get("scope"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Renders as `Scheme name="value", name="value"`.
    ///
    /// ```
    /// use auth_grammar::challenge::Challenge;
    /// let c = Challenge::new("Basic").param("realm", r#"a "b""#).param("charset", "UTF-8");
    /// assert_eq!(c.render().unwrap(), r#"Basic realm="a \"b\"", charset="UTF-8""#);
    /// assert!(Challenge::new("Basic").param("realm", "é").render().is_err());
    /// ```
    pub fn render(&self) -> Result<String, ChallengeError> {
        let mut out = String::with_capacity(64);
        self.render_into(&mut out)?;
        Ok(out)
    }

    fn render_into(&self, out: &mut String) -> Result<(), ChallengeError> {
        if !is_token(&self.scheme) {
            return Err(ChallengeError::NotAToken(self.scheme.clone()));
        }
        out.push_str(&self.scheme);
        for (i, (name, value)) in self.params.iter().enumerate() {
            if !is_token(name) {
                return Err(ChallengeError::NotAToken(name.clone()));
            }
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(name);
            out.push('=');
            write_quoted(out, value).map_err(|()| ChallengeError::UnsafeValue(name.clone()))?;
        }
        Ok(())
    }
}

/// Renders several challenges as one header value, separated by `", "`.
///
/// ```
/// use auth_grammar::challenge::{parse, render_list, Challenge};
/// let list = [
///     Challenge::new("Bearer").param("realm", "api"),
///     Challenge::new("Basic").param("realm", "api"),
/// ];
/// let value = render_list(&list).unwrap();
/// assert_eq!(value, r#"Bearer realm="api", Basic realm="api""#);
/// assert_eq!(parse(&value).unwrap(), list);
/// ```
pub fn render_list(challenges: &[Challenge]) -> Result<String, ChallengeError> {
    let mut out = String::with_capacity(64 * challenges.len());
    for (i, c) in challenges.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        c.render_into(&mut out)?;
    }
    Ok(out)
}

fn write_quoted(out: &mut String, value: &str) -> Result<(), ()> {
    if !is_quotable(value) {
        return Err(());
    }
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        let _ = out.write_char(c);
    }
    out.push('"');
    Ok(())
}

/// Parses a `WWW-Authenticate` field value into its challenges (RFC 9110 §11.6.1):
/// `#challenge`, `challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`.
///
/// A `token68` is returned as a single parameter with an empty name.
///
/// ```
/// use auth_grammar::challenge::parse;
/// let list = parse(r#"Bearer realm="api", error="invalid_token", Basic realm="api""#).unwrap();
/// assert_eq!(list.len(), 2);
/// assert_eq!(list[0].get("error"), Some("invalid_token"));
/// assert_eq!(list[1].scheme, "Basic");
/// assert_eq!(parse("Negotiate abc==").unwrap()[0].params, [(String::new(), "abc==".to_owned())]);
/// ```
pub fn parse(value: &str) -> Result<Vec<Challenge>, ChallengeError> {
    Parser {
        s: value.as_bytes(),
        pos: 0,
    }
    .challenges()
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.pos;
        while self.peek().is_some_and(is_tchar) {
            self.pos += 1;
        }
        (self.pos > start).then(|| String::from_utf8_lossy(&self.s[start..self.pos]).into_owned())
    }

    fn err(&self) -> ChallengeError {
        ChallengeError::Malformed(self.pos)
    }

    /// Skips empty list elements (`, ,`), as RFC 9110 §5.6.1 asks recipients to.
    fn skip_commas(&mut self) {
        loop {
            self.skip_ows();
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                return;
            }
        }
    }

    fn challenges(&mut self) -> Result<Vec<Challenge>, ChallengeError> {
        let mut out = Vec::new();
        self.skip_commas();
        while self.pos < self.s.len() {
            let scheme = self.token().ok_or_else(|| self.err())?;
            let mut challenge = Challenge::new(scheme);
            let had_space = self.peek() == Some(b' ');
            while self.peek() == Some(b' ') {
                self.pos += 1;
            }
            if had_space && self.peek().is_some_and(|b| b != b',') {
                self.params(&mut challenge)?;
            }
            out.push(challenge);
            self.skip_ows();
            match self.peek() {
                None => break,
                Some(b',') => self.skip_commas(),
                Some(_) => return Err(self.err()),
            }
        }
        if out.is_empty() {
            return Err(self.err());
        }
        Ok(out)
    }

    /// Reads a token68 or a list of auth-params, stopping before the comma that starts the
    /// next challenge.
    fn params(&mut self, challenge: &mut Challenge) -> Result<(), ChallengeError> {
        // token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
        {
            self.pos += 1;
        }
        let body_end = self.pos;
        while self.peek() == Some(b'=') {
            self.pos += 1;
        }
        let after = self.pos;
        self.skip_ows();
        let is_token68 = body_end > start && matches!(self.peek(), None | Some(b','));
        let looks_like_param = after == body_end + 1 && !matches!(self.peek(), None | Some(b','));
        if is_token68 && !looks_like_param {
            let t = String::from_utf8_lossy(&self.s[start..after]).into_owned();
            challenge.params.push((String::new(), t));
            return Ok(());
        }
        self.pos = start;
        loop {
            let name = self.token().ok_or_else(|| self.err())?;
            self.skip_ows();
            if self.peek() != Some(b'=') {
                return Err(self.err());
            }
            self.pos += 1;
            self.skip_ows();
            let value = if self.peek() == Some(b'"') {
                self.quoted()?
            } else {
                self.token().ok_or_else(|| self.err())?
            };
            challenge.params.push((name, value));
            // Either the end, or a comma followed by another param (`name =`) or by the next
            // challenge (`scheme SP` / `scheme ,` / `scheme` at the end).
            let save = self.pos;
            self.skip_ows();
            if self.peek() != Some(b',') {
                self.pos = save;
                return Ok(());
            }
            self.skip_commas();
            let next = self.pos;
            if self.token().is_some() {
                self.skip_ows();
                let is_param = self.peek() == Some(b'=');
                self.pos = next;
                if is_param {
                    continue;
                }
            }
            // Leave the comma for the challenge list.
            self.pos = save;
            return Ok(());
        }
    }

    fn quoted(&mut self) -> Result<String, ChallengeError> {
        self.pos += 1; // opening quote
        let mut bytes = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.err()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(String::from_utf8_lossy(&bytes).into_owned());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                            bytes.push(b);
                            self.pos += 1;
                        }
                        _ => return Err(self.err()),
                    }
                }
                Some(b) if b == b'\t' || b >= 0x20 && b != 0x7f => {
                    bytes.push(b);
                    self.pos += 1;
                }
                Some(_) => return Err(self.err()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_several_challenges_and_token68() {
        let list = parse(
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].get("title"), Some(r#"Login to "apps""#));
        assert_eq!(list[0].get("TYPE"), Some("1"));
        assert_eq!(list[1].scheme, "Basic");
        let t = parse("Negotiate abc==, Bearer").unwrap();
        assert_eq!(t[0].params, vec![(String::new(), "abc==".to_string())]);
        assert_eq!(t[1], Challenge::new("Bearer"));
    }

    #[test]
    fn refuses_unsafe_values() {
        assert!(
            Challenge::new("Bearer")
                .param("realm", "a\r\nb")
                .render()
                .is_err()
        );
        assert!(
            Challenge::new("Bearer")
                .param("realm", "é")
                .render()
                .is_err()
        );
        assert!(Challenge::new("Bad scheme").render().is_err());
        assert!(parse(r#"Bearer realm="open"#).is_err());
        assert!(parse("").is_err());
    }
}
