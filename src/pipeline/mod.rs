//! The Constitutional AI pipeline over any [`crate::model::Backend`].
//!
//! - [`record`]: what one prompt produces (initial response, rounds, comparison), as stored.
//! - [`events`]: progress events front ends receive while prompts run (tokens, stages, results).

pub mod events;
pub mod record;

pub use events::*;
pub use record::*;
