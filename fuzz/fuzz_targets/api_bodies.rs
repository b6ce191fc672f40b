#![no_main]
//! Fuzz target `api_bodies`: see `commons_tests::fuzz::api_bodies`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::api_bodies(data));
