//! The fuzz targets' checks on every `cargo test`: the committed corpus
//! (seeds and anything the fuzzer found, in `fuzz/corpus/`) plus a few
//! hundred pseudo-random inputs, so a regression shows without nightly or
//! libFuzzer. `docs/FUZZING.md` says how to fuzz for real.

use std::path::PathBuf;
use tests::fuzzing;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files.iter().map(|f| std::fs::read(f).unwrap()).collect()
}

/// A small deterministic generator of test inputs (xorshift).
fn noise(seed: u64, count: usize, max_len: usize) -> Vec<Vec<u8>> {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..count)
        .map(|_| {
            let len = (next() as usize) % max_len;
            (0..len).map(|_| next() as u8).collect()
        })
        .collect()
}

#[test]
fn client_messages_from_the_corpus_and_noise_never_panic_and_round_trip() {
    let inputs = corpus("client_message");
    for input in &inputs {
        fuzzing::client_message(input);
    }
    // Mutations of the valid seeds: truncated and with a byte flipped.
    let mut n = 0;
    for input in &inputs {
        for cut in (0..input.len()).step_by(7) {
            fuzzing::client_message(&input[..cut]);
            let mut flipped = input.clone();
            flipped[cut] ^= 0x20;
            fuzzing::client_message(&flipped);
            n += 2;
        }
    }
    for input in noise(7, 500, 200) {
        fuzzing::client_message(&input);
    }
    assert!(n > 100);
}

#[test]
fn engine_command_sequences_from_the_corpus_and_noise_keep_the_invariants() {
    for input in corpus("engine_commands") {
        fuzzing::engine_commands(&input);
    }
    for input in noise(11, 150, 1500) {
        fuzzing::engine_commands(&input);
    }
}
