//! Procedural macros of `auth_core`. Use them through `auth_core`, which re-exports them and
//! provides every item the generated code names.
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attr;
mod errors;
mod expand;
mod openapi;
mod valid;

/// Requires an authenticated request before an actix-web handler runs, or makes a struct an
/// extractor that does.
///
/// The arguments are checked at compile time and become a `const` `auth_core::Requirement`:
/// nothing about them is parsed per request.
///
/// # On a handler
///
/// ```text
/// use actix_web::{get, Responder};
/// use auth_core::{require_auth, Principal};
///
/// #[require_auth(scheme = "bearer", scope = "orders:read")]
/// #[get("/orders")]
/// async fn list_orders(user: Principal) -> impl Responder {
///     format!("orders of {}", user.subject().unwrap_or("?"))
/// }
/// ```
///
/// The macro adds one hidden argument in first place, an extractor whose type carries the
/// requirement. actix extracts arguments in order and stops at the first error, so the check
/// runs before the handler's own extractors (a JSON body, a database handle) and a refused
/// request never reaches the body: it is answered with the runtime's `Rejection` (`401` and a
/// `WWW-Authenticate` challenge, or `403 insufficient_scope`). A `Principal` or `Claims<T>`
/// argument of the handler receives the verified identity. The return type, the body, the
/// other arguments and attributes, the generics and the `where` clause are left as written.
///
/// The handler must be a free `async fn` (not a method taking `self`). Because of the hidden
/// argument it can take at most 15 arguments of its own (actix's limit is 16).
///
/// # On a struct
///
/// ```text
/// use actix_web::{post, web, Responder};
/// use auth_core::{require_auth, Claims, Principal};
/// use serde::Deserialize;
///
/// /// A caller allowed to write orders, with their identity.
/// #[require_auth(scheme = "bearer", scope = "orders:write")]
/// struct OrderWriter(Principal);
///
/// #[derive(Deserialize)]
/// struct StaffClaims {
///     team: String,
/// }
///
/// /// A member of staff, with the token's claims.
/// #[require_auth(any_scope = "admin support")]
/// struct Staff {
///     claims: Claims<StaffClaims>,
/// }
///
/// /// Any authenticated caller; the check alone.
/// #[require_auth]
/// struct Authenticated;
///
/// #[post("/orders")]
/// async fn create_order(OrderWriter(user): OrderWriter, body: String) -> impl Responder {
///     format!("{body} ordered by {}", user.subject().unwrap_or("?"))
/// }
///
/// #[post("/orders/{id}/refund")]
/// async fn refund(staff: Staff, id: web::Path<u64>) -> impl Responder {
///     format!("order {id} refunded by team {}", staff.claims.0.team)
/// }
/// ```
///
/// The struct implements actix's `FromRequest`: use it in as many handlers as you like. It has
/// no field (the check alone) or exactly one, tuple or named, of a type that receives the
/// verified identity (`Principal` or `Claims<T>`). Generics are allowed.
///
/// # Arguments
///
/// All are optional `key = "string"` pairs, separated by commas. Without any,
/// `#[require_auth]` accepts any valid credential of any scheme the application registered.
///
/// - `scheme = "bearer | basic"`: the schemes accepted, names separated by `|`, matched
///   case-insensitively: `bearer` (RFC 6750 JWTs), `basic` (RFC 7617) and `api_key` (a key in
///   a header). A refusal carries one challenge per accepted scheme; the first credential of
///   an accepted scheme decides. Default: every scheme the application registered a verifier
///   for.
/// - `scope = "orders:read orders:write"`: scopes that must **all** be granted, separated by
///   single spaces. Each is an RFC 6749 §3.3 scope token: printable ASCII except space, `"`
///   and `\`. Matching at run time is exact and case-sensitive.
/// - `any_scope = "admin support"`: scopes of which **at least one** must be granted, same
///   syntax. Given with `scope`, both conditions apply.
/// - `realm = "orders"`: the realm of this endpoint's challenges, instead of the
///   application's default; non-empty printable ASCII (`"` and `\` are fine: they are escaped
///   when the challenge is written).
/// - `crate = "::my_crate::auth"`: the path to `auth_core` in the generated code, for a crate
///   that re-exports `auth_core` and whose users do not depend on it. Default: `::auth_core`.
///
/// Mistakes are compile errors pointing at the offending key or string, all reported at
/// once: an unknown or repeated key, a value that is not a string literal, an unknown,
/// repeated or empty scheme name, an empty scope list, an empty, malformed or repeated scope
/// token, an empty realm or one with control or non-ASCII characters, an item that is neither
/// an `async fn` nor a struct with at most one field.
///
/// ```text
/// // error: `scope` has an empty scope token (a leading, trailing or doubled space)
/// #[require_auth(scope = "orders:read  orders:write")]
/// #[get("/orders")]
/// async fn list_orders() -> &'static str {
///     "orders"
/// }
/// ```
///
/// # With actix's routing macros
///
/// Every order works:
///
/// - above or below `#[get]`, `#[post]`, … and `#[route]`;
/// - above or below `#[routes]` (or between its method attributes);
/// - in a `#[scope("/api")]` module, above or below the method attribute;
/// - twice on one handler: both requirements apply.
///
/// Above, the macro passes the routing attribute on unchanged; below, its output lives in
/// the registration code the routing macro generates, which needs nothing more.
///
/// ```text
/// use actix_web::{get, routes, scope, web, Responder};
/// use auth_core::require_auth;
///
/// #[get("/orders")]
/// #[require_auth(scope = "orders:read")]
/// async fn list_orders() -> impl Responder {
///     "orders"
/// }
///
/// #[require_auth(scope = "orders:read")]
/// #[routes]
/// #[get("/orders/{id}")]
/// #[head("/orders/{id}")]
/// async fn order(id: web::Path<u64>) -> impl Responder {
///     format!("order {id}")
/// }
///
/// #[scope("/api")]
/// mod api {
///     use super::*;
///
///     #[require_auth(scope = "invoices:read")]
///     #[get("/invoices")]
///     pub async fn list_invoices() -> impl Responder {
///         "invoices"
///     }
/// }
/// ```
#[proc_macro_attribute]
pub fn require_auth(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::require_auth(args.into(), item.into()).into()
}
