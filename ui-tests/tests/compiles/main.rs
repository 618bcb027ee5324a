//! The forms `#[require_auth]` must accept, one module each: they compile in this test binary,
//! and each `run` builds its app (some also check what the attribute declared). They were
//! trybuild "pass" cases; as plain modules they prove the same (the code compiles, `run` runs)
//! without trybuild building every dependency again (its compile-fail cases in `ui.rs` only
//! need `cargo check`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// A module per case, and a test that runs it.
macro_rules! cases {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case;
            #[test]
            fn $case() {
                $case::run();
            }
        )*
    };
}

cases!(
    above_get,
    all_arguments,
    below_get,
    crate_override,
    doc_examples,
    early_return,
    generic_where,
    openapi_security,
    policy,
    route,
    routes,
    same_stacking_twice,
    scope_module,
    step_up,
    struct_forms,
);
