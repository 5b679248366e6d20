//! Progress events sent by running prompts to whichever front end watches them.

use serde::{Deserialize, Serialize};

use crate::data::Record;

/// Which step of a record's pipeline produced some text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    Initial,
    Critique(u32),
    Revision(u32),
    /// A second sample for a two-samples comparison.
    Sample(u32),
    /// Chain-of-thought reasoning of the feedback model.
    Reasoning,
    /// Option probabilities of the comparison questions.
    Comparison,
}

/// An event from the pipeline runner.
#[derive(Debug, Clone, PartialEq)]
pub enum PipelineEvent {
    /// A prompt began.
    Started { prompt_id: String },
    /// A stage began.
    StageStarted { prompt_id: String, stage: Stage },
    /// A piece of streamed text.
    Token {
        prompt_id: String,
        stage: Stage,
        text: String,
    },
    /// A stage finished with its whole text.
    StageFinished {
        prompt_id: String,
        stage: Stage,
        text: String,
    },
    /// A prompt finished (done, failed or cancelled); the record is already durable in the log
    /// when a runner with a session sends this.
    Finished { record: Box<Record> },
    /// The whole run ended.
    RunFinished {
        done: usize,
        failed: usize,
        cancelled: usize,
    },
}

/// Where a runner puts finished records before announcing them (a session's event log).
/// `record_finished` must return only once the record is durable.
pub trait RecordSink: Send + Sync {
    fn record_finished(&self, record: &Record) -> Result<(), String>;
}
