//! What a sender-constrained token is bound to (its `cnf` claim, RFC 7800), as plain data: read
//! by the verifiers (`verify::claims` for JWTs, `Principal::new` for a claims map), carried by
//! the `Principal`, and checked against the request by `crate::binding`.

/// The confirmation methods of a sender-constrained token (`cnf`, RFC 7800) that the
/// framework checks: each one present must be satisfied by the request (`crate::binding`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Binding {
    /// `cnf.jkt`: the RFC 7638 thumbprint (base64url SHA-256) of the DPoP key (RFC 9449 §6.1).
    pub(crate) jkt: Option<Box<str>>,
    /// `cnf.x5t#S256`: the base64url SHA-256 of the client certificate's DER (RFC 8705 §3.1).
    pub(crate) x5t_s256: Option<Box<str>>,
    /// A `cnf` this framework cannot check (another method, a malformed value): never
    /// satisfied.
    pub(crate) unverifiable: bool,
}

/// A `cnf` claim in a claims map (of a principal built by [`Principal::new`]).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnownedConfirmation {
    jkt: Option<String>,
    #[serde(rename = "x5t#S256")]
    x5t_s256: Option<String>,
}

impl UnownedConfirmation {
    pub(crate) fn binding(self) -> Option<Binding> {
        let valid = |v: &Option<String>| v.as_deref().is_none_or(|v| !v.is_empty());
        let named = self.jkt.is_some() || self.x5t_s256.is_some();
        (named && valid(&self.jkt) && valid(&self.x5t_s256)).then(|| Binding {
            jkt: self.jkt.map(Box::from),
            x5t_s256: self.x5t_s256.map(Box::from),
            unverifiable: false,
        })
    }
}
