//! Turning credentials into a principal. One submodule per credential kind.

pub mod claims;
pub mod jwt;
pub mod keys;
