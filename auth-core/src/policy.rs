//! Policies beyond scopes: an application function that sees the verified principal and the
//! request (the order's owner, a team membership) and decides after every other condition of
//! the endpoint passed.
//!
//! A policy is a plain or an `async fn` taking `(&Principal, &HttpRequest)` and returning a
//! [`Decision`]. `#[require_auth(policy = path::to::check)]` names one; a hand-written
//! [`Requirement`](crate::Requirement) takes the [`Policy`] that [`policy!`](crate::policy!)
//! builds. The guard runs it only for a request whose credentials verified and whose scopes
//! (and step-up conditions) are satisfied, so a policy never sees an unauthenticated caller:
//!
//! | decision | answer |
//! |---|---|
//! | [`Decision::Allow`] | the handler runs |
//! | [`Decision::Deny`] | 403, no `WWW-Authenticate` (a new token would not help), problem `error` `forbidden`, one fixed sentence |
//! | [`Decision::Undecided`] | 503 `temporarily_unavailable` with `Retry-After` |
//!
//! The audit log (target `auth`) names the policy and its decision; the response never does.
//!
//! ```
//! use actix_web::{get, web, HttpRequest};
//! use auth_core::{require_auth, Decision, Principal};
//!
//! /// Only the owner of `/orders/{id}` (the `orders` claim lists the caller's order ids).
//! fn owns_order(user: &Principal, req: &HttpRequest) -> Decision {
//!     let Some(id) = req.match_info().get("id") else { return Decision::Deny };
//!     let owned = user.claim("orders").and_then(|v| v.as_array());
//!     owned.is_some_and(|ids| ids.iter().any(|o| o.as_str() == Some(id))).into()
//! }
//!
//! #[require_auth(scheme = "bearer", scope = "orders:read", policy = owns_order)]
//! #[get("/orders/{id}")]
//! async fn order(id: web::Path<String>) -> String {
//!     format!("order {id}")
//! }
//! ```

use std::fmt;
use std::future::{Future, IntoFuture, Ready, ready};
use std::pin::Pin;

use actix_web::HttpRequest;

use crate::principal::Principal;

/// What a policy says about a request whose credentials and scopes already passed.
///
/// A plain `fn` policy returns it; an `async fn` policy returns a future of it. It converts
/// from `bool` (`true` allows).
///
/// ```
/// use auth_core::Decision;
/// assert_eq!(Decision::from(true), Decision::Allow);
/// assert_eq!(Decision::from(false), Decision::Deny);
/// // Why it could not decide, for the audit log (never sent).
/// let unsure = Decision::Undecided("orders database unreachable");
/// assert_ne!(unsure, Decision::Deny);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a policy's decision only counts when it is returned"]
pub enum Decision {
    /// The request may proceed.
    Allow,
    /// The caller may not do this: 403 `forbidden`, no challenge.
    Deny,
    /// The policy cannot decide now (its data source is down): 503 `temporarily_unavailable`
    /// with `Retry-After`. The text is logged, never sent.
    Undecided(&'static str),
}

impl From<bool> for Decision {
    fn from(allowed: bool) -> Self {
        if allowed {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }
}

/// A decision is a future that is ready at once, so the code calling a policy awaits it the
/// same way whether the policy is a plain `fn` or an `async fn`.
///
/// ```
/// use auth_core::Decision;
/// # actix_web::rt::System::new().block_on(async {
/// assert_eq!(Decision::Allow.await, Decision::Allow);
/// # });
/// ```
impl IntoFuture for Decision {
    type Output = Decision;
    type IntoFuture = Ready<Decision>;

    fn into_future(self) -> Self::IntoFuture {
        ready(self)
    }
}

/// A policy's evaluation in progress.
///
/// ```
/// use auth_core::policy::PolicyFuture;
/// use auth_core::Decision;
/// let later: PolicyFuture = Box::pin(async { Decision::Allow });
/// # let _ = later;
/// ```
pub type PolicyFuture = Pin<Box<dyn Future<Output = Decision>>>;

/// An application policy as a requirement holds it: its name (for the audit log and OpenAPI
/// documents) and the function the guard calls. Built by [`policy!`](crate::policy!) or by
/// `#[require_auth(policy = …)]`, in `const` context.
///
/// ```
/// use actix_web::HttpRequest;
/// use auth_core::{policy, Decision, Policy, Principal, Requirement, SchemeSet};
///
/// fn staff(user: &Principal, _: &HttpRequest) -> Decision {
///     (user.claim("staff") == Some(&serde_json::Value::Bool(true))).into()
/// }
///
/// const STAFF: Policy = policy!(staff);
/// const ADMIN: Requirement = Requirement::new(SchemeSet::ANY).with_policy(STAFF);
/// assert_eq!(ADMIN.policy().map(|p| p.name()), Some("staff"));
/// ```
#[derive(Clone, Copy)]
pub struct Policy {
    name: &'static str,
    run: fn(Principal, HttpRequest) -> PolicyFuture,
}

impl Policy {
    /// A policy named `name` that `run` evaluates. [`policy!`](crate::policy!) writes `run`
    /// for a `fn(&Principal, &HttpRequest)`; write one by hand only to adapt something else.
    ///
    /// ```
    /// use actix_web::HttpRequest;
    /// use auth_core::policy::PolicyFuture;
    /// use auth_core::{Decision, Policy, Principal};
    ///
    /// fn weekdays(_: Principal, _: HttpRequest) -> PolicyFuture {
    ///     Box::pin(async { Decision::Allow })
    /// }
    /// const WEEKDAYS: Policy = Policy::new("weekdays", weekdays);
    /// assert_eq!(WEEKDAYS.name(), "weekdays");
    /// ```
    pub const fn new(name: &'static str, run: fn(Principal, HttpRequest) -> PolicyFuture) -> Self {
        Policy { name, run }
    }

    /// The policy's name: the path it was built from (`orders::owns_order`).
    ///
    /// ```
    /// # use actix_web::HttpRequest;
    /// # use auth_core::{policy, Decision, Principal};
    /// fn open(_: &Principal, _: &HttpRequest) -> Decision { Decision::Allow }
    /// assert_eq!(policy!(open).name(), "open");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Evaluates the policy for `principal` and `req`. The guard calls this only after the
    /// credentials verified and the endpoint's scopes passed.
    ///
    /// ```
    /// # use actix_web::{test::TestRequest, HttpRequest};
    /// # use auth_core::{policy, Decision, Principal, Scheme};
    /// async fn named(user: &Principal, _: &HttpRequest) -> Decision {
    ///     user.subject().is_some().into()
    /// }
    /// let alice = Principal::new(Scheme::Bearer, Some("alice".into()), vec![], Default::default());
    /// let req = TestRequest::default().to_http_request();
    /// # actix_web::rt::System::new().block_on(async {
    /// assert_eq!(policy!(named).evaluate(alice, req).await, Decision::Allow);
    /// # });
    /// ```
    pub fn evaluate(&self, principal: Principal, req: HttpRequest) -> PolicyFuture {
        (self.run)(principal, req)
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Policy").field(&self.name).finish()
    }
}

/// Policies compare by name: every `policy!(path)` builds a wrapper function of its own, so
/// the same policy named twice has two function addresses but one name.
impl PartialEq for Policy {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Policy {}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(_: &Principal, _: &HttpRequest) -> Decision {
        Decision::Deny
    }

    async fn allow(_: &Principal, _: &HttpRequest) -> Decision {
        Decision::Allow
    }

    #[actix_web::test]
    async fn plain_and_async_fns_evaluate() {
        let who = || Principal::new(crate::Scheme::Bearer, None, vec![], Default::default());
        let req = || actix_web::test::TestRequest::default().to_http_request();
        assert_eq!(
            crate::policy!(deny).evaluate(who(), req()).await,
            Decision::Deny
        );
        assert_eq!(
            crate::policy!(allow).evaluate(who(), req()).await,
            Decision::Allow
        );
        assert_eq!(crate::policy!(self::deny).name(), "self::deny");
        assert_eq!(crate::policy!(deny), crate::policy!(deny));
        assert_ne!(crate::policy!(deny), crate::policy!(allow));
    }
}
