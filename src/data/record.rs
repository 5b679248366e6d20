//! The record one prompt produces, as written to the session log and read by review and export:
//! the answers, the critique/revision rounds, the AI-feedback comparison, and how it ended.

use serde::{Deserialize, Serialize};

use super::flag::QualityFlag;
use super::prompt::Prompt;

/// Why a generation stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FinishReason {
    /// The model ended its turn.
    Stop,
    /// The token limit was reached.
    Length,
    /// The caller cancelled; the text is partial.
    Cancelled,
    /// The pipeline stopped it because it was repeating itself (the repeats are trimmed).
    Loop,
}

/// One model answer with what we know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub text: String,
    /// The evasiveness heuristic flagged it as a refusal.
    pub evasive: bool,
    pub tokens: u32,
    pub finish: FinishReason,
}

/// One critique-then-revision round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Round {
    pub principle_id: String,
    pub critique_request: String,
    pub critique: Response,
    pub revision_request: String,
    pub revision: Response,
}

/// Which response is in which slot of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    A,
    B,
}

impl Choice {
    /// The other slot.
    pub fn other(self) -> Choice {
        match self {
            Choice::A => Choice::B,
            Choice::B => Choice::A,
        }
    }
}

/// One comparison principle asked about the pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrincipleVerdict {
    pub principle_id: String,
    pub question: String,
    /// P(A) with A first.
    pub p_a_forward: f64,
    /// P(A) when asked with the options swapped (A shown second), if both orders were asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_a_swapped: Option<f64>,
    /// Combined P(A) for this principle (average of orders, clamped in chain-of-thought mode).
    pub p_a: f64,
    /// The chain-of-thought text, in that mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    /// An option was missing from a server's top logprobs in at least one order, and the
    /// smallest listed probability stood in for it: these P(A) are bounds, not estimates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub floored: bool,
    /// The calibration temperature `p_a` was computed with (each order's log-odds divided by
    /// it); `p_a_forward` and `p_a_swapped` are the probabilities as read, before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
}

/// The AI-feedback comparison of two responses to a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// What response A is ("initial", "revision", "sample-1", ...).
    pub a_source: String,
    pub a: String,
    pub b_source: String,
    pub b: String,
    pub verdicts: Vec<PrincipleVerdict>,
    /// Mean P(A) over the verdicts: the soft label.
    pub p_a: f64,
    /// The label the feedback model gives: A if p_a >= 0.5.
    pub choice: Choice,
}

/// Where a record ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "status", content = "detail")]
pub enum RecordStatus {
    Done,
    Failed(String),
    /// Stopped by the user; whatever was produced is kept and marked partial.
    Cancelled,
}

/// Everything one prompt produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub prompt: Prompt,
    pub initial: Option<Response>,
    pub rounds: Vec<Round>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Comparison>,
    pub status: RecordStatus,
    /// RFC 3339 timestamps.
    pub started_at: String,
    pub finished_at: String,
    /// Tokens generated for this record, all stages.
    pub generated_tokens: u32,
    /// Wall seconds spent on this record.
    pub seconds: f64,
    /// Quality flags ([`crate::quality`]); `None` in records stored before flags existed,
    /// which get them when the session is replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<Vec<QualityFlag>>,
    /// The server endpoints that answered this record's requests, in order of first use
    /// (empty when the model ran in process).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub served_by: Vec<String>,
}

impl Record {
    /// The final revision's text, or the initial response if there were no rounds.
    pub fn final_text(&self) -> Option<&str> {
        self.rounds
            .last()
            .map(|r| r.revision.text.as_str())
            .or(self.initial.as_ref().map(|r| r.text.as_str()))
    }

    /// The record's quality flags (none if they were never computed).
    pub fn flags(&self) -> &[QualityFlag] {
        self.flags.as_deref().unwrap_or(&[])
    }
}
