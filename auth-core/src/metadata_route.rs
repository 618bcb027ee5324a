//! Serving the application's protected-resource metadata (RFC 9728): the route, built from the
//! [`AuthConfig`] (its [`ResourceMetadata`](crate::resource_metadata::ResourceMetadata), its
//! DPoP settings and its token locations), never from the request.

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::config::AuthConfig;
use crate::token_location::TokenLocation;

impl AuthConfig {
    /// The route serving the metadata document (`GET`, `application/json`, cached for an hour)
    /// at its path-aware well-known path, or `None` without
    /// [`resource_metadata`](crate::AuthConfigBuilder::resource_metadata).
    ///
    /// ```
    /// use auth_core::resource_metadata::ResourceMetadata;
    /// use auth_core::AuthConfig;
    /// assert!(AuthConfig::builder().build()?.resource_metadata_service().is_none());
    /// let metadata = ResourceMetadata::builder("https://api.example.com").build()?;
    /// let auth = AuthConfig::builder().resource_metadata(metadata).build()?;
    /// let app = actix_web::App::new().service(auth.resource_metadata_service().unwrap());
    /// # let _ = app;
    /// # Ok::<(), auth_core::ConfigError>(())
    /// ```
    pub fn resource_metadata_service(&self) -> Option<actix_web::Resource> {
        let metadata = self.resource_metadata()?;
        let mut document = metadata.document(self.dpop());
        // RFC 6750's methods the application accepts everywhere (cookies are none of them).
        let locations = self.token_locations();
        let methods: Vec<&str> = [
            (TokenLocation::Header, "header"),
            (TokenLocation::Form, "body"),
            (TokenLocation::Query, "query"),
        ]
        .into_iter()
        .filter(|(location, _)| locations.contains(*location))
        .map(|(_, method)| method)
        .collect();
        document["bearer_methods_supported"] = json!(methods);
        let body = Bytes::from(serde_json::to_vec(&document).ok()?);
        Some(web::resource(metadata.path()).route(web::get().to(move || {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .insert_header((
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    ))
                    .insert_header((
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("max-age=3600"),
                    ))
                    .body(body)
            }
        })))
    }
}
