//! A prompt to run and its stable id.

use serde::{Deserialize, Serialize};

/// A red-team (or benign) prompt to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// Stable id: the first 16 hex digits of the sha256 of the text, unless the prompt set gave one.
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

impl Prompt {
    /// A prompt whose id is derived from its text.
    pub fn new(text: impl Into<String>, category: Option<String>) -> Self {
        let text = text.into();
        let id = prompt_id(&text);
        Prompt { id, text, category }
    }
}

/// The id of a prompt text: first 16 hex digits of its sha256.
pub fn prompt_id(text: &str) -> String {
    crate::fsutil::sha256_hex(text.as_bytes())[..16].to_string()
}
