#![no_main]
//! Fuzz target `signed_records`: see `commons_tests::fuzz::signed_records`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::signed_records(data));
