#![no_main]
//! Fuzz target `photo`: see `commons_tests::fuzz::photo`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::photo(data));
