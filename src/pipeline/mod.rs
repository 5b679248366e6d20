//! The Constitutional AI pipeline over any [`crate::model::Backend`].
//!
//! - [`record`]: what one prompt produces (initial response, rounds, comparison), as stored.
//! - [`events`]: progress events front ends receive while prompts run (tokens, stages, results).
//! - [`critique_revision`]: the supervised stage: initial response, critique/revision rounds.
//! - [`feedback`]: the comparison stage: soft AI-feedback labels over two candidates.
//! - [`refusal`]: the evasiveness heuristic every response is flagged with.
//! - [`cleanup`]: strips preambles and meta-comments from revisions.
//! - [`stage`]: what the stages share (streamed generation, early stops, per-record RNG).
//! - [`runner`]: one prompt end to end, and runs of many prompts with bounded concurrency.
//! - [`synthetic`]: deterministic synthetic records for benchmarks and tests.

pub mod cleanup;
pub mod critique_revision;
pub mod events;
pub mod feedback;
pub mod judge;
pub mod runner;
pub mod stage;
pub mod synthetic;

#[cfg(test)]
mod tests;

pub use events::*;
