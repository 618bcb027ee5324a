//! OpenAPI documents with `utoipa` (feature `openapi`): the security schemes of this framework,
//! and each annotated handler's security requirement written by `#[require_auth]` itself.
//!
//! Put `#[require_auth]` **above** `#[utoipa::path]`: the attribute then adds
//! `security(...)` to the path's arguments, derived from the same requirement it enforces, so
//! the document cannot drift from the code. (Attributes expand top-down; below `#[utoipa::path]`
//! it would run too late to change the document.) A `security(...)` written by hand on such a
//! path is a compile error.
//!
//! | `#[require_auth(…)]` | operation `security` |
//! |---|---|
//! | `scheme = "bearer", scope = "a b"` | `[{"bearer": ["a", "b"]}]` |
//! | `scheme = "bearer", any_scope = "a b"` | `[{"bearer": ["a"]}, {"bearer": ["b"]}]` |
//! | `scheme = "bearer \| basic"` | `[{"bearer": []}, {"basic": []}]` |
//! | `scheme = "bearer \| dpop"` | `[{"bearer": []}, {"dpop": []}]` |
//! | `acr = "urn:mfa", max_age = 300` | the operation's `x-step-up`: `{"acr_values": "urn:mfa", "max_age": 300}` |
//! | `policy = policies::owns_order` | the operation's `x-policy`: `"policies::owns_order"` (a 403 `forbidden` may come from it) |
//! | no `scheme` | one entry per scheme: `bearer`, `dpop`, `digest`, `basic`, `api_key` |
//!
//! Scopes on non-OAuth schemes are "role names" in OpenAPI 3.1 (§4.8.30), which `utoipa`
//! emits. A handler protected by an extractor struct (no attribute on the fn) gets its
//! security from [`ExtractorSecurity`], which reads the struct's requirement. Register the
//! schemes with [`SecuritySchemes`]:
//!
//! ```
//! use utoipa::OpenApi;
//! use auth_core::openapi::SecuritySchemes;
//!
//! #[auth_core::require_auth(scheme = "bearer", scope = "orders:read")]
//! #[utoipa::path(get, path = "/orders", responses((status = 200, description = "The orders")))]
//! #[actix_web::get("/orders")]
//! async fn list_orders() -> &'static str {
//!     "[]"
//! }
//!
//! // `modifiers(&…)` takes a name: the schemes as a const (or `with_api_key_header`).
//! const SECURITY: SecuritySchemes = SecuritySchemes::DEFAULT;
//!
//! #[derive(OpenApi)]
//! #[openapi(paths(list_orders), modifiers(&SECURITY))]
//! struct ApiDoc;
//!
//! let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
//! assert_eq!(
//!     doc["paths"]["/orders"]["get"]["security"],
//!     serde_json::json!([{ "bearer": ["orders:read"] }])
//! );
//! assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
//! ```

use utoipa::Modify;
use utoipa::openapi::OpenApi;
use utoipa::openapi::security::SecurityRequirement;

use crate::__private::RequirementSource;
use crate::requirement::Requirement;
use crate::scheme::{Scheme, SchemeSet};

/// The name of a scheme in `components.securitySchemes` and in operations' `security`: the
/// name `#[require_auth(scheme = "…")]` uses.
///
/// ```
/// use auth_core::openapi::security_scheme_name;
/// use auth_core::Scheme;
///
/// assert_eq!(security_scheme_name(Scheme::Bearer), "bearer");
/// assert_eq!(security_scheme_name(Scheme::ApiKey), "api_key");
/// ```
pub const fn security_scheme_name(scheme: Scheme) -> &'static str {
    scheme.attribute_name()
}

/// A `utoipa` modifier that declares the `bearer` (JWT), `basic` and `api_key` security
/// schemes.
///
/// ```
/// use auth_core::openapi::SecuritySchemes;
/// use utoipa::Modify;
///
/// let mut doc = utoipa::openapi::OpenApi::default();
/// SecuritySchemes::DEFAULT.modify(&mut doc);
/// let schemes = &serde_json::to_value(&doc).unwrap()["components"]["securitySchemes"];
/// assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
/// assert_eq!(schemes["basic"]["scheme"], "basic");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SecuritySchemes {
    api_key_header: &'static str,
}

impl SecuritySchemes {
    /// The schemes with the API key in `X-API-Key`.
    ///
    /// ```
    /// use auth_core::openapi::SecuritySchemes;
    /// use utoipa::Modify;
    ///
    /// let mut doc = utoipa::openapi::OpenApi::default();
    /// SecuritySchemes::DEFAULT.modify(&mut doc);
    /// let doc = serde_json::to_value(&doc).unwrap();
    /// assert_eq!(doc["components"]["securitySchemes"]["api_key"]["name"], "X-API-Key");
    /// ```
    pub const DEFAULT: SecuritySchemes = SecuritySchemes {
        api_key_header: crate::verify::api_key::DEFAULT_HEADER,
    };

    /// The schemes with the API key in another header (as configured with
    /// [`ApiKeysBuilder::header`](crate::ApiKeysBuilder::header)).
    ///
    /// ```
    /// use auth_core::openapi::SecuritySchemes;
    /// use utoipa::Modify;
    ///
    /// let mut doc = utoipa::openapi::OpenApi::default();
    /// SecuritySchemes::with_api_key_header("X-Partner-Key").modify(&mut doc);
    /// let doc = serde_json::to_value(&doc).unwrap();
    /// assert_eq!(doc["components"]["securitySchemes"]["api_key"]["name"], "X-Partner-Key");
    /// ```
    pub const fn with_api_key_header(header: &'static str) -> Self {
        SecuritySchemes {
            api_key_header: header,
        }
    }
}

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_schemes_from_iter(Scheme::ALL.map(|scheme| {
            let declared = crate::schemes::of(scheme).openapi(self.api_key_header);
            (security_scheme_name(scheme), declared)
        }));
    }
}

/// The `security` of an operation protected by `requirement`: one alternative per accepted
/// scheme and per any-of scope (the table in the module docs). `#[require_auth]` writes the
/// same at compile time.
///
/// ```
/// use auth_core::openapi::security_of;
/// use auth_core::{Requirement, Scheme, SchemeSet};
/// let security = security_of(
///     &Requirement::new(SchemeSet::EMPTY.with(Scheme::Bearer)).with_any_scopes(&["a", "b"]),
/// );
/// assert_eq!(
///     serde_json::to_value(&security).unwrap(),
///     serde_json::json!([{ "bearer": ["a"] }, { "bearer": ["b"] }])
/// );
/// ```
pub fn security_of(requirement: &Requirement) -> Vec<SecurityRequirement> {
    let schemes = if requirement.schemes() == SchemeSet::ANY {
        Scheme::ALL
            .into_iter()
            .fold(SchemeSet::EMPTY, SchemeSet::with)
    } else {
        requirement.schemes()
    };
    let all_of = requirement.all_scopes();
    let scope_sets: Vec<Vec<&str>> = if requirement.any_scopes().is_empty() {
        vec![all_of.to_vec()]
    } else {
        requirement
            .any_scopes()
            .iter()
            .map(|one| all_of.iter().chain([one]).copied().collect())
            .collect()
    };
    schemes
        .iter()
        .flat_map(|scheme| {
            scope_sets.iter().map(move |scopes| {
                SecurityRequirement::new(security_scheme_name(scheme), scopes.clone())
            })
        })
        .collect()
}

/// A `utoipa` modifier writing the security of one operation whose handler is protected by a
/// `#[require_auth]` extractor struct.
///
/// ```
/// use actix_web::post;
/// use auth_core::openapi::{ExtractorSecurity, SecuritySchemes};
/// use auth_core::{require_auth, Principal};
/// use utoipa::OpenApi;
///
/// #[require_auth(scheme = "bearer", scope = "orders:write")]
/// struct OrderWriter(Principal);
///
/// #[utoipa::path(post, path = "/orders", responses((status = 201, description = "Created")))]
/// #[post("/orders")]
/// async fn create(OrderWriter(_user): OrderWriter) -> &'static str {
///     "created"
/// }
///
/// const SECURITY: SecuritySchemes = SecuritySchemes::DEFAULT;
/// const CREATE: ExtractorSecurity = ExtractorSecurity::of::<OrderWriter>("post", "/orders");
///
/// #[derive(OpenApi)]
/// #[openapi(paths(create), modifiers(&SECURITY, &CREATE))]
/// struct ApiDoc;
///
/// let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
/// assert_eq!(
///     doc["paths"]["/orders"]["post"]["security"],
///     serde_json::json!([{ "bearer": ["orders:write"] }])
/// );
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ExtractorSecurity {
    method: &'static str,
    path: &'static str,
    requirement: &'static Requirement,
}

impl ExtractorSecurity {
    /// The operation `method` (lower-case, as in OpenAPI: `get`, `post`, …) on `path` (as
    /// written in the document) requires what the extractor `T` requires.
    ///
    /// ```
    /// use auth_core::openapi::ExtractorSecurity;
    /// use auth_core::{require_auth, Principal};
    /// use serde_json::json;
    /// use utoipa::Modify;
    ///
    /// #[require_auth(scheme = "basic")]
    /// struct Admin(Principal);
    ///
    /// # let paths = json!({ "/users/{id}": { "delete": { "responses": {} } } });
    /// # let mut doc: utoipa::openapi::OpenApi = serde_json::from_value(json!({
    /// #     "openapi": "3.1.0", "info": { "title": "t", "version": "1" }, "paths": paths,
    /// # })).unwrap();
    /// // `doc` is an OpenAPI document with the operation `DELETE /users/{id}`.
    /// ExtractorSecurity::of::<Admin>("delete", "/users/{id}").modify(&mut doc);
    /// let doc = serde_json::to_value(&doc).unwrap();
    /// assert_eq!(doc["paths"]["/users/{id}"]["delete"]["security"], json!([{ "basic": [] }]));
    /// ```
    pub const fn of<T: RequirementSource>(method: &'static str, path: &'static str) -> Self {
        ExtractorSecurity {
            method,
            path,
            requirement: T::REQUIREMENT,
        }
    }
}

impl Modify for ExtractorSecurity {
    fn modify(&self, openapi: &mut OpenApi) {
        let operation = openapi
            .paths
            .paths
            .get_mut(self.path)
            .and_then(|item| match self.method {
                "get" => item.get.as_mut(),
                "put" => item.put.as_mut(),
                "post" => item.post.as_mut(),
                "delete" => item.delete.as_mut(),
                "options" => item.options.as_mut(),
                "head" => item.head.as_mut(),
                "patch" => item.patch.as_mut(),
                "trace" => item.trace.as_mut(),
                _ => None,
            });
        match operation {
            Some(operation) => {
                operation.security = Some(security_of(self.requirement));
                if let Some(step_up) = step_up_of(self.requirement) {
                    let extensions = operation.extensions.get_or_insert_with(Default::default);
                    extensions.insert("x-step-up".to_owned(), step_up);
                }
                if let Some(policy) = self.requirement.policy() {
                    let extensions = operation.extensions.get_or_insert_with(Default::default);
                    extensions.insert("x-policy".to_owned(), policy.name().into());
                }
            }
            // A document that silently shows an operation as open is worse than a loud log.
            None => tracing::error!(
                target: crate::audit::TARGET,
                method = self.method,
                path = self.path,
                "ExtractorSecurity names an operation the OpenAPI document does not have"
            ),
        }
    }
}

/// The `x-step-up` extension of an operation whose requirement has RFC 9470 conditions:
/// `{"acr_values": "…", "max_age": N}`, as its challenge would say them. `#[require_auth]`
/// writes the same at compile time.
///
/// ```
/// use auth_core::openapi::step_up_of;
/// use auth_core::Requirement;
/// let r = Requirement::AUTHENTICATED.with_acr_values(&["urn:mfa", "phr"]).with_max_age(300);
/// assert_eq!(step_up_of(&r), Some(serde_json::json!({"acr_values": "urn:mfa phr", "max_age": 300})));
/// assert_eq!(step_up_of(&Requirement::AUTHENTICATED), None);
/// ```
pub fn step_up_of(requirement: &Requirement) -> Option<serde_json::Value> {
    let mut step_up = serde_json::Map::new();
    if !requirement.acr_values().is_empty() {
        step_up.insert(
            "acr_values".into(),
            requirement.acr_values().join(" ").into(),
        );
    }
    if let Some(max_age) = requirement.max_age() {
        step_up.insert("max_age".into(), max_age.into());
    }
    (!step_up.is_empty()).then_some(serde_json::Value::Object(step_up))
}

/// Every scope an OpenAPI document's operations require of the token schemes (Bearer and
/// DPoP), in document order, without duplicates: the `scopes_supported` of the application's
/// protected-resource metadata ([`ResourceMetadataBuilder::scopes_supported`]), gathered
/// from the requirements its handlers declare.
///
/// ```
/// use utoipa::OpenApi;
/// use auth_core::openapi::{scopes_of, SecuritySchemes};
///
/// #[auth_core::require_auth(scheme = "bearer | dpop", scope = "orders:read")]
/// #[utoipa::path(get, path = "/orders", responses((status = 200, description = "The orders")))]
/// #[actix_web::get("/orders")]
/// async fn list_orders() -> &'static str { "[]" }
///
/// #[auth_core::require_auth(scheme = "bearer", any_scope = "orders:write orders:admin")]
/// #[utoipa::path(post, path = "/orders", responses((status = 201, description = "Created")))]
/// #[actix_web::post("/orders")]
/// async fn create_order() -> &'static str { "{}" }
///
/// const SECURITY: SecuritySchemes = SecuritySchemes::DEFAULT;
/// #[derive(OpenApi)]
/// #[openapi(paths(list_orders, create_order), modifiers(&SECURITY))]
/// struct ApiDoc;
///
/// assert_eq!(scopes_of(&ApiDoc::openapi()), ["orders:read", "orders:write", "orders:admin"]);
/// ```
///
/// [`ResourceMetadataBuilder::scopes_supported`]: crate::resource_metadata::ResourceMetadataBuilder::scopes_supported
pub fn scopes_of(doc: &OpenApi) -> Vec<String> {
    let token_schemes = [
        security_scheme_name(Scheme::Bearer),
        security_scheme_name(Scheme::Dpop),
    ];
    let mut scopes: Vec<String> = Vec::new();
    let Ok(doc) = serde_json::to_value(doc) else {
        return scopes;
    };
    let operations = doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(serde_json::Value::as_object)
        .flat_map(|item| item.values());
    for operation in operations {
        let requirements = operation["security"].as_array().into_iter().flatten();
        for requirement in requirements.filter_map(serde_json::Value::as_object) {
            for (scheme, required) in requirement {
                if !token_schemes.contains(&scheme.as_str()) {
                    continue;
                }
                for scope in required.as_array().into_iter().flatten() {
                    if let Some(scope) = scope.as_str()
                        && !scopes.iter().any(|s| s == scope)
                    {
                        scopes.push(scope.to_owned());
                    }
                }
            }
        }
    }
    scopes
}
