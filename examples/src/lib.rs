//! Runnable services built on `auth-core`. The `orders` service is the main one: its routes
//! live in [`orders`] so the integration tests drive exactly the code the binary serves.
//! [`minimal`] is the smallest: one protected handler, one file.
#![deny(missing_docs)]

pub mod metrics;
pub mod minimal;
pub mod orders;
pub mod revocations;
pub mod session;
pub mod tls;
