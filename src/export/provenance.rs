//! Provenance kept beside every exported line: where the text came from and who approved it.
//!
//! Every key is present on every line (null when there is no value), so a dataset loader that
//! infers one schema for the whole file sees the same columns everywhere.

use serde::Serialize;

use crate::fsutil::sha256_hex;
use crate::pipeline::Record;
use crate::session::{Manifest, Review, ReviewState};

/// The sampling settings the policy ran with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplingProvenance {
    pub temperature: f32,
    pub top_p: f32,
    pub max_response_tokens: u32,
    pub max_critique_tokens: u32,
    pub rounds: u32,
}

/// Provenance fields, flattened into each exported JSON line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Provenance {
    /// Full lowercase sha256 of the prompt text.
    pub prompt_id: String,
    /// The record's id in the session (the prompt set's id or a short hash).
    pub record_id: String,
    pub category: Option<String>,
    pub session: String,
    pub constitution_name: String,
    pub constitution_sha256: String,
    /// Critique/revision principles drawn for this record, in round order.
    pub critique_principle_ids: Vec<String>,
    pub policy_model_id: String,
    pub policy_model_sha256: Option<String>,
    pub feedback_model_id: String,
    pub feedback_model_sha256: Option<String>,
    pub sampling: SamplingProvenance,
    pub seed: u64,
    pub started_at: String,
    pub finished_at: String,
    pub review_state: ReviewState,
    pub reviewed_at: String,
    /// The reviewer edited the final response.
    pub edited: bool,
    /// The final response as the model wrote it, when the reviewer edited it (else null).
    pub original_text: Option<String>,
}

impl Provenance {
    /// Provenance of one record of a session under its current review.
    pub fn new(manifest: &Manifest, record: &Record, review: &Review) -> Provenance {
        let settings = &manifest.settings;
        Provenance {
            prompt_id: sha256_hex(record.prompt.text.as_bytes()),
            record_id: record.prompt.id.clone(),
            category: record.prompt.category.clone(),
            session: manifest.name.clone(),
            constitution_name: manifest.constitution_name.clone(),
            constitution_sha256: manifest.constitution_sha256.clone(),
            critique_principle_ids: record
                .rounds
                .iter()
                .map(|r| r.principle_id.clone())
                .collect(),
            policy_model_id: manifest.policy_model.id.clone(),
            policy_model_sha256: manifest.policy_model.sha256.clone(),
            feedback_model_id: manifest.feedback_model.id.clone(),
            feedback_model_sha256: manifest.feedback_model.sha256.clone(),
            sampling: SamplingProvenance {
                temperature: settings.temperature,
                top_p: settings.top_p,
                max_response_tokens: settings.max_response_tokens,
                max_critique_tokens: settings.max_critique_tokens,
                rounds: settings.rounds,
            },
            seed: manifest.seed,
            started_at: record.started_at.clone(),
            finished_at: record.finished_at.clone(),
            review_state: review.state,
            reviewed_at: review.at.clone(),
            edited: review.edited.is_some(),
            original_text: review
                .edited
                .as_ref()
                .map(|_| record.final_text().unwrap_or_default().to_string()),
        }
    }
}

/// The text a record contributes as its final answer: the reviewer's edit if there is one,
/// else the final revision (or the initial response when there were no rounds).
pub fn final_answer<'a>(record: &'a Record, review: &'a Review) -> Option<&'a str> {
    review.edited.as_deref().or_else(|| record.final_text())
}
