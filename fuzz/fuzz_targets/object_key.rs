#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| creatoros_fuzz::pipeline::object_key(data));
