//! Statistics the reports share, always with their uncertainty, free of models, files and the
//! terminal:
//!
//! - [`proportion`]: proportions with Wilson score intervals, and running means;
//! - [`calibration`]: Brier score, NLL, reliability tables and expected calibration error,
//!   argmax accuracy (for judging a feedback model on known answers);
//! - [`temperature`]: temperature scaling of a judge's option probabilities, fitted by NLL;
//! - [`bradley_terry`]: Bradley–Terry ratings from pairwise matches (Elo scale), bootstrap
//!   intervals, and which pairs to play next;
//! - [`input`]: the checks every entry point runs on its numbers.

pub mod bradley_terry;
pub mod calibration;
pub mod input;
pub mod proportion;
pub mod temperature;

pub use proportion::{wilson, Mean, Proportion, Z_95};
