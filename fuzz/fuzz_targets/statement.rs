#![no_main]
//! Fuzz target `statement`: see `commons_tests::fuzz::statement`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::statement(data));
