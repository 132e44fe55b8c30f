//! Any bytes as a client message (see `tests::fuzzing::client_message`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tests::fuzzing::client_message(data));
