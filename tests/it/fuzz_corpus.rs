//! Replays the kept fuzzing corpus (`fuzz/corpus/<target>/`) through the same entry points the
//! cargo-fuzz targets drive (`cai_workbench::fuzz_entry`), so every input fuzzing kept, and
//! every crash it found, is run by a plain `cargo test`: none may panic.

use std::path::Path;

use cai_workbench::fuzz_entry;

fn replay(target: &str, entry: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for file in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = file.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| entry(&data));
        assert!(outcome.is_ok(), "{} panicked", path.display());
        count += 1;
    }
    count
}

#[test]
fn the_constitution_corpus_parses_without_a_panic() {
    assert!(replay("constitution", fuzz_entry::constitution) > 10);
}

#[test]
fn the_prompt_reader_corpus_parses_without_a_panic() {
    assert!(replay("prompt_readers", fuzz_entry::prompt_readers) > 10);
}

#[test]
fn the_session_log_corpus_replays_without_a_panic() {
    assert!(replay("session_log", fuzz_entry::session_log) > 3);
}
