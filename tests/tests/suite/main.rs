//! The integration tests of the workspace, one module per subject, in one test binary: 37
//! binaries each linking actix-web, tokio, reqwest and the framework cost CI minutes of
//! duplicated code generation and linking for nothing. Two stay apart: `ui` (trybuild compiles
//! its cases in a project of its own) and `metrics` (it installs the process-wide recorder).
//! Run one subject with its module path: `cargo test -p auth-tests --test suite client_middleware::`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod attacks;
mod attacks_guard;
mod attacks_jwt_profile;
mod attacks_sessions;
mod audit_log;
mod bearer_matrix;
mod bindings;
mod claim_layouts;
mod client_middleware;
mod conformance_client;
mod conformance_jwt;
mod digest;
mod doc_examples;
mod dpop;
mod dpop_redis;
mod introspection;
mod introspection_redis;
mod key_sets;
mod keys_config;
mod leaks;
mod minimal_example;
mod openapi;
mod orders_revocations;
mod orders_service;
mod policies;
mod properties;
mod redis_store;
mod resource_metadata;
mod schemes;
mod scope_guard;
mod stacking;
mod startup_guards;
mod state_stores;
mod step_up;
mod testing_helpers;
mod token_locations;
mod verifier_seam;
