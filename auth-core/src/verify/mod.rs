//! Turning credentials into a principal. One submodule per credential kind.

pub mod api_key;
pub mod basic;
pub mod bearer;
mod cache;
pub mod claims;
pub mod digest;
pub mod htpasswd;
pub mod jwt;
pub mod keys;
pub mod keyset;
pub mod revocation;
