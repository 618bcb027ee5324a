//! Procedural macros of `auth_core`. Use them through `auth_core`, which re-exports them and
//! provides every item the generated code names.
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attr;
mod errors;
mod expand;
mod valid;

/// Requires an authenticated request before an actix-web handler runs, or makes a struct an
/// extractor that does.
///
/// The arguments become a `const` [`Requirement`](https://docs.rs/auth-core/latest/auth_core/struct.Requirement.html)
/// at compile time and are checked there: nothing about them is parsed per request.
///
/// # On a handler
///
/// ```ignore
/// use actix_web::{get, Responder};
/// use auth_core::{require_auth, Principal};
///
/// #[require_auth(scheme = "bearer", scope = "orders:read")]
/// #[get("/orders")]
/// async fn list_orders(user: Principal) -> impl Responder {
///     format!("orders of {}", user.subject())
/// }
/// ```
///
/// The macro adds one hidden argument in first place, an extractor whose type carries the
/// requirement. actix extracts arguments in order and stops at the first error, so the check
/// runs before the handler's own extractors (a JSON body, a database handle) and a refused
/// request never reaches the body; the refusal is answered as the runtime's rejection
/// (`401` with a `WWW-Authenticate` challenge, or `403 insufficient_scope`). A `Principal` or
/// `Claims<T>` argument of the handler receives the verified identity. The return type, the
/// body, the other arguments, the generics and the `where` clause are unchanged.
///
/// The handler must be a free `async fn` (not a method taking `self`). Because of the hidden
/// argument it can take at most 15 arguments of its own (actix's limit is 16).
///
/// # On a struct
///
/// ```ignore
/// use auth_core::{require_auth, Claims, Principal};
///
/// #[require_auth(scheme = "bearer", scope = "orders:write")]
/// struct OrderWriter(Principal);
///
/// #[require_auth(any_scope = "admin support")]
/// struct Staff {
///     claims: Claims<StaffClaims>,
/// }
///
/// #[require_auth]
/// struct Authenticated;
///
/// #[post("/orders")]
/// async fn create_order(writer: OrderWriter, body: Json<NewOrder>) -> impl Responder { … }
/// ```
///
/// The struct implements actix's `FromRequest`: reuse it in as many handlers as you like. It
/// may have no field (the check alone), or exactly one, of a type that can receive the
/// verified identity (`Principal`, `Claims<T>`), tuple or named. Generics are allowed.
///
/// # Arguments
///
/// All are optional `key = "string"` pairs, separated by commas. Without any,
/// `#[require_auth]` accepts any valid credential of any scheme the application registered.
///
/// - `scheme = "bearer"`: the schemes accepted, separated by `|` (`"bearer"`), matched
///   case-insensitively. Default: every scheme the application registered a verifier for.
/// - `scope = "orders:read orders:write"`: scopes that must **all** be granted, separated by
///   single spaces. Each is an RFC 6749 §3.3 scope token: printable ASCII except space, `"`
///   and `\`. Matching at run time is exact and case-sensitive.
/// - `any_scope = "admin support"`: scopes of which **at least one** must be granted, same
///   syntax. With `scope` too, both conditions apply.
/// - `realm = "orders"`: the realm of this endpoint's challenges instead of the
///   application's default; non-empty printable ASCII (`"` and `\` are fine, they are escaped
///   when written).
/// - `crate = "::my_crate::auth"`: the path to `auth_core` in the generated code, for a crate
///   that re-exports `auth_core` under another name. Default: `::auth_core`.
///
/// Mistakes are compile errors pointing at the offending key or string, all reported at
/// once: an unknown or repeated key, a value that is not a string literal, an unknown or
/// repeated scheme, an empty scope list, an empty, malformed or repeated scope token, an
/// empty realm or one with control or non-ASCII characters.
///
/// ```ignore
/// #[require_auth(scope = "orders:read  orders:write")] // error: an empty scope token
/// #[get("/orders")]
/// async fn list_orders() -> &'static str { "" }
/// ```
///
/// # With actix's routing macros
///
/// Every order works; pick one and keep to it:
///
/// - above `#[get]`/`#[post]`/`#[route]`/`#[routes]` (the macro re-emits them unchanged), or
///   below them (its output then lives in the handler's generated registration, which is
///   fine: nothing of it has to be visible to the module);
/// - inside a `#[scope("/api")]` module, above or below the method attribute;
/// - stacked: two `#[require_auth]` on one handler both apply (both checks must pass).
///
/// ```ignore
/// #[get("/orders")]
/// #[require_auth(scope = "orders:read")]
/// async fn list_orders() -> impl Responder { … }
///
/// #[require_auth(scope = "orders:read")]
/// #[routes]
/// #[get("/orders/{id}")]
/// #[head("/orders/{id}")]
/// async fn order(id: Path<u64>) -> impl Responder { … }
///
/// #[scope("/api")]
/// mod api {
///     #[require_auth(scope = "orders:read")]
///     #[get("/orders")]
///     pub async fn list_orders() -> impl Responder { … }
/// }
/// ```
#[proc_macro_attribute]
pub fn require_auth(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::require_auth(args.into(), item.into()).into()
}
