//! cai-workbench: a terminal workbench for Constitutional AI.
//!
//! A core that knows nothing of the terminal, in layers that import only downward (held by a
//! test in `layers.rs`), and two front ends on it:
//!
//! 0. [`fsutil`] (durable writes, hashes) and [`stats`] (proportions with Wilson intervals,
//!    calibration, temperature scaling, Bradley–Terry).
//! 1. [`data`]: plain data every layer shares: prompt, record, quality flags, diagnostics and
//!    text positions.
//! 2. [`constitution`] (the TOML model, validation with file/line/column, importers),
//!    [`model`] (the backend trait; mistral.rs in process; inference servers; a scripted
//!    backend for tests; the default model), [`quality`] (flags on every record, refusals),
//!    [`prompts`] (prompt-set readers).
//! 3. [`pipeline`]: critique/revision rounds and AI-feedback comparisons with soft labels, and
//!    the runner that keeps prompts in flight.
//! 4. [`session`]: the append-only event log, the manifest (one constitution and one pair of
//!    models per session), review state, the reviewed label, resume.
//! 5. [`insights`] (per-principle effects, summaries) and [`eval`] (the feedback model
//!    measured on known answers, calibrated).
//! 6. [`export`] (TRL-ready files with provenance and what the judge's eval says) and [`ab`]
//!    (constitutions compared on the same prompts and seeds, head to head).
//! 7. [`tui`]: the workbench, which shows core state and sends the core commands.
//! 8. [`cli`]: the command line: headless commands on the same core, or the workbench started
//!    with its arguments.

pub mod ab;
pub mod cli;
pub mod constitution;
pub mod data;
pub mod eval;
pub mod export;
pub mod fsutil;
pub mod fuzz_entry;
pub mod insights;
pub mod model;
pub mod pipeline;
pub mod prompts;
pub mod quality;
pub mod session;
pub mod stats;
pub mod tui;

/// The layering every module follows, and the test that holds it.
#[cfg(test)]
mod layers;
