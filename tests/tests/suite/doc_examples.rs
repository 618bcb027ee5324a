//! Every public item of `auth-core`, `auth-grammar` and `auth-client` carries a compiling example in its docs (the doctests run
//! with `cargo test`; this test makes sure none is missing). Items are found by their
//! declaration lines: `pub fn`, `pub const fn`, `pub async fn`, `pub struct`, `pub enum`,
//! `pub trait`, `pub const`, `pub static` and `pub type`, outside `#[cfg(test)]` modules and
//! `#[doc(hidden)]` items, in every file but the hidden `__private` module.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

const KINDS: [&str; 9] = [
    "pub fn ",
    "pub const fn ",
    "pub async fn ",
    "pub struct ",
    "pub enum ",
    "pub trait ",
    "pub const ",
    "pub static ",
    "pub type ",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "__private.rs")
        {
            out.push(path);
        }
    }
}

/// The public items of one file that have no code block in their docs.
fn without_examples(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut missing = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.starts_with("#[cfg(test)]") {
            break; // the unit tests close every file of the crate
        }
        let code = line.trim_start();
        if !KINDS.iter().any(|k| code.starts_with(k)) {
            continue;
        }
        let docs: Vec<&str> = lines[..i]
            .iter()
            .rev()
            .map(|l| l.trim_start())
            .take_while(|l| l.starts_with("///") || l.starts_with("#["))
            .collect();
        if docs.iter().any(|l| l.starts_with("#[doc(hidden)]")) {
            continue;
        }
        if !docs.iter().any(|l| l.contains("```")) {
            missing.push(format!("line {}: {}", i + 1, code));
        }
    }
    missing
}

#[test]
fn every_public_item_has_an_example() {
    let mut files = Vec::new();
    for (krate, at_least) in [("auth-core", 20), ("auth-grammar", 2), ("auth-client", 10)] {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../{krate}/src"));
        let before = files.len();
        sources(&root, &mut files);
        assert!(
            files.len() - before >= at_least,
            "found the sources of {krate}"
        );
    }
    files.sort();
    let mut report = Vec::new();
    for file in &files {
        for item in without_examples(&std::fs::read_to_string(file).unwrap()) {
            report.push(format!("{}: {item}", file.display()));
        }
    }
    assert!(
        report.is_empty(),
        "public items without an example:\n{}",
        report.join("\n")
    );
}

#[test]
fn the_scan_finds_a_missing_example() {
    let text = "/// Documented.\n///\n/// ```\n/// assert!(true);\n/// ```\npub fn ok() {}\n\n/// No example.\n#[must_use]\npub fn bare() {}\n";
    assert_eq!(without_examples(text), ["line 10: pub fn bare() {}"]);
}
