//! Provenance kept beside every exported line: where the text came from and who approved it.
//!
//! Every key is present on every line with the same type: a loader such as
//! `datasets.load_dataset("json")` fixes a file's schema from its first chunk, so a key that is
//! null there and a string further down fails to load. Text that may be missing is therefore
//! an empty string, never null (only values that are the same for a whole session, such as a
//! model's file hash, can be null).

use serde::Serialize;

use crate::data::Record;
use crate::fsutil::sha256_hex;
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
    /// The prompt's category, empty when the prompt set gave none.
    pub category: String,
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
    /// The inference-server endpoints that answered this record's requests (empty when the
    /// models ran in process; which server and settings are in the manifest's model entries).
    pub served_by: Vec<String>,
    /// Timestamps as RFC 3339 UTC to the second (`2024-05-01T12:00:00Z`), one shape on every
    /// line so a loader infers one column type.
    pub started_at: String,
    pub finished_at: String,
    pub review_state: ReviewState,
    pub reviewed_at: String,
    /// The reviewer edited the final response.
    pub edited: bool,
    /// The final response as the model wrote it, when the reviewer edited it (else empty).
    pub original_text: String,
}

impl Provenance {
    /// Provenance of one record of a session under its current review.
    pub fn new(manifest: &Manifest, record: &Record, review: &Review) -> Provenance {
        let settings = &manifest.settings;
        Provenance {
            prompt_id: sha256_hex(record.prompt.text.as_bytes()),
            record_id: record.prompt.id.clone(),
            category: record.prompt.category.clone().unwrap_or_default(),
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
            served_by: record.served_by.clone(),
            started_at: timestamp(&record.started_at),
            finished_at: timestamp(&record.finished_at),
            review_state: review.state,
            reviewed_at: timestamp(&review.at),
            edited: review.edited.is_some(),
            original_text: match review.edited {
                Some(_) => record.final_text().unwrap_or_default().to_string(),
                None => String::new(),
            },
        }
    }
}

/// An RFC 3339 timestamp in UTC to the second; kept as written when it does not parse.
fn timestamp(text: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        Err(_) => text.to_string(),
    }
}

/// The text a record contributes as its final answer: the reviewer's edit if there is one,
/// else the final revision (or the initial response when there were no rounds).
pub fn final_answer<'a>(record: &'a Record, review: &'a Review) -> Option<&'a str> {
    review.edited.as_deref().or_else(|| record.final_text())
}

#[cfg(test)]
mod tests {
    use super::timestamp;

    #[test]
    fn timestamps_take_one_shape() {
        let z = "2024-05-01T10:00:00Z";
        assert_eq!(timestamp("2024-05-01T12:00:00.123456+02:00"), z);
        assert_eq!(timestamp("2024-05-01T10:00:00Z"), z);
        assert_eq!(timestamp("yesterday"), "yesterday");
    }
}
