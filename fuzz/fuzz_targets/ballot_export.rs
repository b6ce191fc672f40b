#![no_main]
//! Fuzz target `ballot_export`: see `commons_tests::fuzz::ballot_export`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::ballot_export(data));
