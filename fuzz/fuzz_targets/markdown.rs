#![no_main]
//! Fuzz target `markdown`: see `commons_tests::fuzz::markdown`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::markdown(data));
