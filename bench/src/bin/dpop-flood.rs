//! The DPoP replay memory under a flood of unique proofs: fills the default `MemoryProofs`
//! (2^20 proofs) with live entries, then keeps flooding, and prints the resident memory it
//! took, the time per record, and how the proofs past the bound were answered (refused: full,
//! fail closed). Run: `cargo run --release -p auth-bench --bin dpop-flood`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use auth_core::store::StoreError;
use auth_core::verify::dpop_replay::{MAX_REMEMBERED_PROOFS, MemoryProofs, ProofId, ProofUse};

/// Resident memory of this process, in KiB (`/proc/self/statm`, pages of 4 KiB).
fn resident_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .unwrap_or(0)
        * 4
}

fn main() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let before = resident_kib();
    let store = MemoryProofs::new();
    let flood = MAX_REMEMBERED_PROOFS + MAX_REMEMBERED_PROOFS / 4;
    let (mut first, mut full) = (0usize, 0usize);
    let start = Instant::now();
    for i in 0..flood {
        // 32 keys: one key alone would stop at its share (a sixteenth of the memory).
        let id = ProofId::new(&format!("flooding key {}", i % 32), &i.to_string());
        match store.record_at(id, now + 61, now) {
            Ok(ProofUse::First) => first += 1,
            Err(StoreError::Full { .. }) => full += 1,
            other => panic!("{other:?}"),
        }
    }
    let elapsed = start.elapsed();
    let after = resident_kib();
    println!("proofs sent:          {flood}");
    println!(
        "remembered:           {first} (bound {MAX_REMEMBERED_PROOFS}), len {}",
        store.len()
    );
    println!("refused, store full:  {full}");
    println!(
        "resident memory:      +{} MiB",
        (after.saturating_sub(before)) / 1024
    );
    println!(
        "bytes per proof:      {}",
        (after.saturating_sub(before)) * 1024 / first.max(1) as u64
    );
    println!(
        "time per record:      {:.0} ns",
        elapsed.as_nanos() as f64 / flood as f64
    );
    let later = store.record_at(ProofId::new("another key", "one more"), now + 200, now + 62);
    println!("after the window:     {later:?}, len {}", store.len());
}
