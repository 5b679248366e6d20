//! `sft.jsonl`: one TRL conversational example per approved record,
//! `{"messages": [user prompt, assistant final answer], ...provenance}`.

use serde::Serialize;

use crate::data::Record;
use crate::model::ChatMessage;
use crate::session::{Manifest, Review};

use super::provenance::{final_answer, Provenance};

/// One line of `sft.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SftLine {
    pub messages: Vec<ChatMessage>,
    #[serde(flatten)]
    pub provenance: Provenance,
}

/// The SFT example of an approved record, or why it has none.
pub fn sft_line(manifest: &Manifest, record: &Record, review: &Review) -> Result<SftLine, String> {
    let answer = final_answer(record, review).ok_or("no response to train on")?;
    if answer.trim().is_empty() {
        return Err("the final response is empty".into());
    }
    Ok(SftLine {
        messages: vec![
            ChatMessage::user(record.prompt.text.clone()),
            ChatMessage::assistant(answer),
        ],
        provenance: Provenance::new(manifest, record, review),
    })
}
