//! `cai eval`: the feedback model measured on questions whose answer is known, before its labels
//! are trusted, as the CAI paper measured its judge (its Fig. 4).
//!
//! - [`sets`]: readers of known-answer sets (the paper's evaluation files, preference pairs);
//!   [`human`]: a person's own judgements in sessions as known answers;
//! - [`config`]: the judge configurations compared side by side (one principle, the ensemble,
//!   chain of thought, each in both orders or one);
//! - [`run`]: asking every question in every configuration through the pipeline's judge, into
//!   the eval's own resumable, append-only directory;
//! - [`report`]: accuracy with 95% intervals against chance, order consistency, position
//!   bias, Brier score, expected calibration error and the reliability table, per
//!   configuration and per comparison principle;
//! - [`fit`]: a calibration temperature fitted on one half and reported on the other, stored
//!   in the constitution;
//! - [`markdown`]: the tables.

pub mod config;
pub mod fit;
pub mod human;
pub mod markdown;
pub mod report;
pub mod run;
pub mod sets;

pub use config::{parse_configs, EvalConfig};
pub use report::{report, EvalReport};
pub use run::{run_eval, EvalManifest, EvalPlan};
