//! What became of the last review decision: sent to the session log, on disk, taken back, or
//! not saved. The review pane shows it as its confirmation line, so a reviewer sees each
//! decision land (or fail) without leaving the queue.

use crate::session::{Review, ReviewState};

/// The last review decision and where it is.
#[derive(Debug, Clone, PartialEq)]
pub enum DecisionNote {
    /// Queued for the session log, not on disk yet (`undo`: it takes back the last one).
    Saving { id: String, undo: bool },
    /// On disk: `review` replaced `previous`.
    Saved {
        id: String,
        review: Review,
        previous: Option<Review>,
    },
    /// The undo is on disk: the record's review is `review` again.
    Undone { id: String, review: Review },
    /// Not saved, with the reason.
    Failed { id: String, error: String },
}

/// How a note reads and whether it is good news, bad news or on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoteTone {
    Done(ReviewState),
    Waiting,
    Failed,
}

impl DecisionNote {
    /// One line, e.g. `✓ approved 1a2b3c4d: in the session log · u undoes`.
    pub fn line(&self) -> (String, NoteTone) {
        match self {
            DecisionNote::Saving { id, undo } => (
                format!(
                    "… {} {}: writing to the session log",
                    if *undo { "undoing" } else { "saving" },
                    short(id)
                ),
                NoteTone::Waiting,
            ),
            DecisionNote::Saved {
                id,
                review,
                previous,
            } => (
                format!(
                    "✓ {} {}: in the session log · u undoes",
                    what_changed(review, previous.as_ref()),
                    short(id)
                ),
                NoteTone::Done(review.state),
            ),
            DecisionNote::Undone { id, review } => (
                format!(
                    "↶ undone: {} is {} again (in the session log)",
                    short(id),
                    state_word(review.state)
                ),
                NoteTone::Done(review.state),
            ),
            DecisionNote::Failed { id, error } => (
                format!("✗ {} not saved: {error}", short(id)),
                NoteTone::Failed,
            ),
        }
    }
}

/// A prompt id as the note names it: a hash id (prompts listed without one) by its first 8
/// digits, a written id such as `rt-violence-01` whole (its first 8 characters, `rt-viole`,
/// would not say which prompt), cut at 24 characters.
fn short(id: &str) -> String {
    let hash = id.len() > 8 && id.chars().all(|c| c.is_ascii_hexdigit());
    let keep = if hash { 8 } else { 24 };
    match id.char_indices().nth(keep) {
        Some((end, _)) => format!("{}{}", &id[..end], if hash { "" } else { "…" }),
        None => id.to_string(),
    }
}

fn state_word(state: ReviewState) -> &'static str {
    match state {
        ReviewState::Approved => "approved",
        ReviewState::Rejected => "rejected",
        ReviewState::Pending => "pending",
    }
}

/// What a decision did: a new state, an edit, a flipped label, or several.
fn what_changed(review: &Review, previous: Option<&Review>) -> String {
    let before_state = previous.map_or(ReviewState::Pending, |p| p.state);
    let before_edit = previous.and_then(|p| p.edited.as_ref());
    let before_flip = previous.is_some_and(|p| p.flipped);
    let mut parts = Vec::new();
    if review.state != before_state {
        parts.push(match review.state {
            ReviewState::Pending => "back to pending",
            other => state_word(other),
        });
    }
    if review.edited.as_ref() != before_edit {
        parts.push(match review.edited {
            Some(_) => "edited",
            None => "edit removed",
        });
    }
    if review.flipped != before_flip {
        parts.push(if review.flipped {
            "label flipped"
        } else {
            "label agreed"
        });
    }
    if parts.is_empty() {
        parts.push(state_word(review.state));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(state: ReviewState, edited: Option<&str>, flipped: bool) -> Review {
        Review {
            state,
            edited: edited.map(str::to_string),
            flipped,
            label_checked: false,
            at: String::new(),
        }
    }

    #[test]
    fn each_kind_of_decision_reads_as_what_it_did() {
        let saved = |review, previous| {
            DecisionNote::Saved {
                id: "0123456789abcdef".into(),
                review,
                previous,
            }
            .line()
            .0
        };
        assert_eq!(
            saved(review(ReviewState::Approved, None, false), None),
            "✓ approved 01234567: in the session log · u undoes"
        );
        let approved = review(ReviewState::Approved, None, false);
        assert_eq!(
            saved(
                review(ReviewState::Approved, Some("new text"), false),
                Some(approved.clone())
            ),
            "✓ edited 01234567: in the session log · u undoes"
        );
        assert_eq!(
            saved(
                review(ReviewState::Rejected, None, true),
                Some(approved.clone())
            ),
            "✓ rejected, label flipped 01234567: in the session log · u undoes"
        );
        assert_eq!(
            saved(review(ReviewState::Pending, None, false), Some(approved)),
            "✓ back to pending 01234567: in the session log · u undoes"
        );
        let undone = DecisionNote::Undone {
            id: "0123456789abcdef".into(),
            review: review(ReviewState::Pending, None, false),
        };
        assert_eq!(
            undone.line(),
            (
                "↶ undone: 01234567 is pending again (in the session log)".to_string(),
                NoteTone::Done(ReviewState::Pending)
            )
        );
        let written = DecisionNote::Saved {
            id: "rt-violence-01".into(),
            review: review(ReviewState::Rejected, None, false),
            previous: None,
        };
        assert_eq!(
            written.line().0,
            "✓ rejected rt-violence-01: in the session log · u undoes",
            "a written id is named whole"
        );
        let failed = DecisionNote::Failed {
            id: "ab".into(),
            error: "disk full".into(),
        };
        assert_eq!(
            failed.line(),
            ("✗ ab not saved: disk full".to_string(), NoteTone::Failed)
        );
    }
}
