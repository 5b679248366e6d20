//! Constitutions: the principles a model critiques and revises against, the comparison
//! principles the feedback model answers, few-shot examples and run settings, stored as TOML.
//!
//! [`types`] holds the data model; [`parse`] turns text into a [`Constitution`] with
//! [`Diagnostic`]s carrying file, line and column (the rules live in [`validate`]);
//! [`serialize`] writes one back as readable TOML; [`import`] converts formats users already have.

pub mod diagnostic;
pub mod import;
mod locate;
pub mod parse;
pub mod serialize;
pub mod types;
pub mod validate;

pub use diagnostic::Diagnostic;
pub use parse::{load_constitution, parse_constitution};
pub use serialize::to_toml;
pub use types::*;
