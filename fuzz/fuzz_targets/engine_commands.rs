//! Any bytes as engine commands (see `tests::fuzzing::engine_commands`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tests::fuzzing::engine_commands(data));
