//! The entry points that fuzzing drives: each takes arbitrary bytes and runs them through a
//! reader the way a file from disk would be (UTF-8 check, parse, validation, replay). The
//! cargo-fuzz targets under `fuzz/` call these, and `tests/fuzz_corpus.rs` feeds every file of
//! the kept corpus to the same functions, so the corpus is replayed by a plain `cargo test`.
//! A reader may reject its input; it must never panic.

use crate::constitution::parse_constitution;
use crate::prompts::{parse_prompts, PromptFormat};
use crate::session::{log::replay_bytes, SessionState};

/// The constitution parser and validator, on text as read from a file.
pub fn constitution(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(constitution) = parse_constitution(text, None) {
            // What the workbench does next with a constitution that parsed.
            let _ = constitution.enabled_principles().len();
        }
    }
}

/// Every prompt-set reader on the same bytes (each layout a file may be read as).
pub fn prompt_readers(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        for format in [PromptFormat::Json, PromptFormat::Csv, PromptFormat::Text] {
            if let Ok(prompts) = parse_prompts(text, format) {
                assert!(
                    !prompts.is_empty(),
                    "a prompt set that parsed is never empty"
                );
            }
        }
    }
}

/// Replay of a session's event log, then the fold of its events into records and reviews.
pub fn session_log(data: &[u8]) {
    let replay = replay_bytes("events.jsonl", data);
    let state = SessionState::from_events(&replay.events);
    let _ = (state.counts(), state.finished_ids());
}
