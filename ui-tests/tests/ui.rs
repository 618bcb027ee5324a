//! Every compile-time error of `#[require_auth]`, with the compiler's message pinned in
//! `ui/fail/*.stderr`. Refresh after a deliberate change with
//! `TRYBUILD=overwrite cargo test -p auth-ui-tests --test ui`. The forms that must compile are
//! `tests/compiles/` (plain modules: trybuild only needs `cargo check` for these cases).
#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/fail/*.rs");
}
