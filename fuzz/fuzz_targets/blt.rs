#![no_main]
//! Fuzz target `blt`: see `commons_tests::fuzz::blt`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::blt(data));
