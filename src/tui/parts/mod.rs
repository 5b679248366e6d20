//! The workbench's parts beside its views, each owning its own state: [`runs`] (the run, the
//! try and the prompts queued while the model loads), [`models`] (the loaded model, the
//! picker's choices, a picked model loading), [`ab`] (an A/B run from the Insights view),
//! [`arena`] (the latest arena read, blind picks of its pairs written) and [`disk`] (work handed to the disk worker, review decisions in flight). The app routes
//! events and commands to them and passes in the shared workspace where a part changes it;
//! no part reaches into another's fields.

pub mod ab;
pub mod arena;
pub mod disk;
pub mod models;
pub mod runs;
