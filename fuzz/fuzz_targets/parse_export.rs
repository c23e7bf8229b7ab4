#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| creatoros_fuzz::formats::parse_export(data));
