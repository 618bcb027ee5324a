//! The grammar shared by the parsers and the renderers: RFC 9110 `tchar` and `token`, the
//! characters a quoted-string may carry, RFC 6750's `b64token` and its charset for `scope` and
//! `error_description`. One definition each, below everything that reads or writes headers.

/// Whether `s` is safe inside a quoted-string once `"` and `\` are escaped: printable ASCII and
/// space only. (RFC 9110 also allows HTAB and obs-text; we never emit them.)
///
/// ```
/// use auth_grammar::challenge::is_quotable; // also `auth_grammar::syntax::is_quotable`
/// assert!(is_quotable(r#"say "hi" \ bye"#));
/// assert!(!is_quotable("a\r\nb"));
/// assert!(!is_quotable("é"));
/// ```
pub fn is_quotable(s: &str) -> bool {
    s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// Whether `s` fits RFC 6750 §3's charset for `error_description` and `scope` values:
/// `%x20-21 / %x23-5B / %x5D-7E` (no `"` and no `\`).
///
/// ```
/// use auth_grammar::challenge::is_rfc6750_value;
/// assert!(is_rfc6750_value("orders:read orders:write"));
/// assert!(!is_rfc6750_value(r#"say "hi""#));
/// assert!(!is_rfc6750_value(r"a\b"));
/// ```
pub fn is_rfc6750_value(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// RFC 9110 §5.6.2 `tchar`.
///
/// ```
/// use auth_grammar::syntax::is_tchar;
/// assert!(is_tchar(b'~'));
/// assert!(!is_tchar(b' '));
/// ```
pub fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 9110 §5.6.2 `token`.
///
/// ```
/// use auth_grammar::challenge::is_token;
/// assert!(is_token("Bearer"));
/// assert!(!is_token("two words"));
/// assert!(!is_token(""));
/// ```
pub fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// RFC 6750 §2.1 `b64token`.
///
/// ```
/// use auth_grammar::syntax::is_b64token;
/// assert!(is_b64token(b"abc.DEF-_~+/=="));
/// assert!(!is_b64token(b"a=b"));
/// assert!(!is_b64token(b"="));
/// ```
pub fn is_b64token(token: &[u8]) -> bool {
    // A table lookup per byte: this scan runs on every request, over tokens of up to 8 KiB.
    static TOKEN68: [bool; 256] = {
        let mut table = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            table[b] =
                c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
            b += 1;
        }
        table
    };
    let body = token.iter().position(|b| *b == b'=').unwrap_or(token.len());
    body > 0
        && token[..body].iter().all(|b| TOKEN68[usize::from(*b)])
        && token[body..].iter().all(|b| *b == b'=')
}
