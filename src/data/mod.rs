//! Plain data every layer shares and none owns: the prompt, the record one prompt produces
//! (answers, rounds, the comparison, how it ended), the quality flags stored on it, and the
//! diagnostics and text positions every error message is placed with.
//!
//! Nothing here knows how the data is made (the pipeline), judged (quality), stored (session)
//! or shown (the front ends); every one of those imports it from here.

pub mod diagnostic;
pub mod flag;
pub mod position;
pub mod prompt;
pub mod record;

pub use diagnostic::Diagnostic;
pub use flag::{FlagKind, QualityFlag, Site};
pub use position::LineIndex;
pub use prompt::{prompt_id, Prompt};
pub use record::{
    Choice, Comparison, FinishReason, PrincipleVerdict, Record, RecordStatus, Response, Round,
};
