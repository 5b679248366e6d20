//! Constitutions: the principles a model critiques and revises against, the comparison
//! principles the feedback model answers, few-shot examples and run settings, stored as TOML.
//!
//! [`types`] holds the data model; `parse` turns text into a [`Constitution`] with diagnostics
//! carrying file, line and column; `import` converts formats users already have.

pub mod types;

pub use types::*;
