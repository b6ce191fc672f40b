#![no_main]
//! Fuzz target `export_audit`: see `commons_tests::fuzz::export_audit`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::export_audit(data));
