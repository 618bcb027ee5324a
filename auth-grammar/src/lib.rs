//! The HTTP authentication grammar, once for the whole workspace: `auth-core` renders its
//! `WWW-Authenticate` challenges and reads `Authorization` fields with it, `auth-client` reads
//! the challenges back with the same parser. No HTTP framework, no I/O: strings in, strings out.
//!
//! ```
//! use auth_grammar::challenge::{parse, Challenge};
//! let header = Challenge::new("Bearer").param("error", "insufficient_scope")
//!     .param("scope", "orders:write").render().unwrap();
//! let read = parse(&header).unwrap();
//! assert_eq!(read[0].get("scope"), Some("orders:write"));
//! ```
#![deny(missing_docs)]

pub mod challenge;
pub mod syntax;
