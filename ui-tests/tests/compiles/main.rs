//! The forms `#[require_auth]` must accept, one module each: they compile in this test binary,
//! and each `run` builds its app (some also check what the attribute declared). They were
//! trybuild "pass" cases; as plain modules they prove the same (the code compiles, `run` runs)
//! without trybuild building every dependency again (its compile-fail cases in `ui.rs` only
//! need `cargo check`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod above_get;
mod all_arguments;
mod below_get;
mod crate_override;
mod doc_examples;
mod early_return;
mod generic_where;
mod openapi_security;
mod policy;
mod route;
mod routes;
mod same_stacking_twice;
mod scope_module;
mod step_up;
mod struct_forms;

#[test]
fn above_get() {
    above_get::run();
}

#[test]
fn all_arguments() {
    all_arguments::run();
}

#[test]
fn below_get() {
    below_get::run();
}

#[test]
fn crate_override() {
    crate_override::run();
}

#[test]
fn doc_examples() {
    doc_examples::run();
}

#[test]
fn early_return() {
    early_return::run();
}

#[test]
fn generic_where() {
    generic_where::run();
}

#[test]
fn openapi_security() {
    openapi_security::run();
}

#[test]
fn policy() {
    policy::run();
}

#[test]
fn route() {
    route::run();
}

#[test]
fn routes() {
    routes::run();
}

#[test]
fn same_stacking_twice() {
    same_stacking_twice::run();
}

#[test]
fn scope_module() {
    scope_module::run();
}

#[test]
fn step_up() {
    step_up::run();
}

#[test]
fn struct_forms() {
    struct_forms::run();
}
