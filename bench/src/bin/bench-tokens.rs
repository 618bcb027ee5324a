//! `bench-tokens ALG valid|forged N`: N tokens (unique when N > 1), one `Bearer …` per line.
use auth_bench::{ALGORITHMS, Kind, token};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, alg, kind, n] = args.as_slice() else {
        eprintln!("usage: bench-tokens hs256|rs256|es256|eddsa valid|forged N");
        std::process::exit(2);
    };
    let Some(alg) = ALGORITHMS
        .iter()
        .find(|a| format!("{a:?}").eq_ignore_ascii_case(alg))
    else {
        eprintln!("unknown algorithm {alg}");
        std::process::exit(2);
    };
    let kind = if kind == "forged" {
        Kind::Forged
    } else {
        Kind::Valid
    };
    let n: u64 = n.parse().unwrap_or(1);
    let mut out = String::new();
    for serial in 0..n {
        out.push_str("Bearer ");
        out.push_str(&token(*alg, kind, serial));
        out.push('\n');
    }
    print!("{out}");
}
