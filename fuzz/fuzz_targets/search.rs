#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sipas::fuzzing::text::search(data));
