#![no_main]
//! Fuzz target `forms`: see `commons_tests::fuzz::forms`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::forms(data));
