//! Fuzz target: [`cai_workbench::fuzz_entry::prompt_readers`] on arbitrary bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cai_workbench::fuzz_entry::prompt_readers(data));
