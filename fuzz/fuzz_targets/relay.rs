#![no_main]
//! Fuzz target `relay`: see `commons_tests::fuzz::relay`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::relay(data));
