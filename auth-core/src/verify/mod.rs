//! Turning credentials into a principal. One submodule per credential kind.

pub mod api_key;
pub mod basic;
pub mod bearer;
mod cache;
pub mod claims;
#[cfg(feature = "digest")]
pub mod digest;
#[cfg(feature = "digest")]
pub mod digest_nonces;
pub mod dpop;
pub mod dpop_nonce;
pub mod dpop_replay;
#[cfg(feature = "htpasswd")]
pub mod htpasswd;
#[cfg(feature = "introspection")]
pub mod introspection;
#[cfg(feature = "introspection")]
mod introspection_answer;
#[cfg(feature = "introspection")]
pub mod introspection_client;
#[cfg(feature = "introspection")]
pub mod introspection_store;
pub mod jwt;
pub mod jwt_or_opaque;
pub mod keys;
#[cfg(feature = "jwks")]
pub mod keyset;
pub mod revocation;
