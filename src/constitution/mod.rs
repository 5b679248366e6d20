//! Constitutions: the principles a model critiques and revises against, the comparison
//! principles the feedback model answers, few-shot examples and run settings, stored as TOML.
//!
//! [`types`] holds the data model; [`parse`] turns text into a [`Constitution`] with
//! [`Diagnostic`]s carrying file, line and column (the rules live in [`validate`]);
//! [`document`] is the one TOML writer (new files, and in-place edits that keep comments); [`import`] converts formats users already have.

pub mod document;
pub mod import;
mod locate;
pub mod parse;
pub mod types;
pub mod validate;

pub use parse::{load_constitution, parse_constitution};
pub use types::*;
