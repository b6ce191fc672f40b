#![no_main]
//! Fuzz target `moderation_log`: see `commons_tests::fuzz::moderation_log`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| commons_tests::fuzz::moderation_log(data));
