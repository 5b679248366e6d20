//! cai-workbench: a terminal workbench for Constitutional AI.
//!
//! The crate is split into a core that knows nothing of the terminal and two front ends:
//!
//! - [`constitution`]: the TOML constitution model, validation with file/line/column, importers.
//! - [`prompts`]: readers for red-team prompt sets (JSONL, text, CSV, HH-RLHF transcripts).
//! - [`model`]: the backend trait the pipeline talks to; mistral.rs in process; a scripted
//!   backend for tests; fetching the default model.
//! - [`pipeline`]: critique/revision rounds, AI-feedback comparisons with soft labels, the
//!   evasiveness heuristic, and the runner that keeps many prompts in flight.
//! - [`quality`]: quality flags on every record (degenerate, echo, unchanged, empty, cut off,
//!   evasive, near tie).
//! - [`insights`]: per-principle effects and session summaries (`cai report`, `cai ab`, the
//!   Insights view).
//! - [`session`]: the append-only event log, the manifest, replay, review state and resume.
//! - [`export`]: TRL-ready SFT and preference files with provenance.
//! - [`ab`]: A/B runs of two constitutions on the same prompts and seeds, head to head.
//! - [`cli`] (headless) and [`tui`] (the workbench): front ends on the same core.

pub mod ab;
pub mod cli;
pub mod constitution;
pub mod export;
pub mod fsutil;
pub mod fuzz_entry;
pub mod insights;
pub mod model;
pub mod pipeline;
pub mod position;
pub mod prompts;
pub mod quality;
pub mod session;
pub mod tui;
