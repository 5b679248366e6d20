//! The label a comparison carries once a person has looked at it: the feedback model's choice,
//! or the other answer when the reviewer flipped it. The review pane, the comparison view,
//! the per-principle agreement statistics and the preference export all read it from here.

use crate::data::{Choice, Comparison};

use super::{BlindPick, Review};

/// A comparison's label after review.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Label {
    /// The slot (A or B) the label prefers.
    pub chosen: Choice,
    /// The feedback model's probability for that slot (below 0.5 when the reviewer flipped a
    /// confident label).
    pub p_chosen: f64,
    /// The reviewer flipped the feedback model's choice.
    pub flipped: bool,
}

impl Label {
    /// What the preferred answer is ("initial", "revision", "sample-1", ...).
    pub fn chosen_source<'c>(&self, comparison: &'c Comparison) -> &'c str {
        match self.chosen {
            Choice::A => &comparison.a_source,
            Choice::B => &comparison.b_source,
        }
    }
}

/// Who a label comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelSource {
    /// The feedback model's P(A), no person has judged it.
    FeedbackModel,
    /// A reviewer saw the label and confirmed or flipped it.
    Reviewer,
    /// A person picked blind, without the label, model, principle or source in sight.
    BlindPick,
    /// A revision-over-initial pair: the revision is chosen by construction.
    ByConstruction,
}

/// A person's judgement of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanLabel {
    /// The slot the person prefers; `None` for a tie.
    pub chosen: Option<Choice>,
    pub source: LabelSource,
}

/// The person's judgement of `comparison`, if there is one: a blind pick first (it saw no
/// label to lean on), else a reviewer's confirmed or flipped label.
pub fn human_label(
    comparison: &Comparison,
    review: Option<&Review>,
    blind: Option<&BlindPick>,
) -> Option<HumanLabel> {
    if let Some(pick) = blind {
        let chosen = match pick.picked.as_deref() {
            None => None,
            Some(source) if source == comparison.a_source => Some(Choice::A),
            Some(source) if source == comparison.b_source => Some(Choice::B),
            Some(_) => return None,
        };
        return Some(HumanLabel {
            chosen,
            source: LabelSource::BlindPick,
        });
    }
    let review = review.filter(|r| r.label_checked || r.flipped)?;
    Some(HumanLabel {
        chosen: Some(reviewed_label(comparison, Some(review)).chosen),
        source: LabelSource::Reviewer,
    })
}

/// The label of `comparison` under `review` (the feedback model's own when not reviewed).
pub fn reviewed_label(comparison: &Comparison, review: Option<&Review>) -> Label {
    let flipped = review.is_some_and(|r| r.flipped);
    let chosen = if flipped {
        comparison.choice.other()
    } else {
        comparison.choice
    };
    let p_chosen = match chosen {
        Choice::A => comparison.p_a,
        Choice::B => 1.0 - comparison.p_a,
    };
    Label {
        chosen,
        p_chosen,
        flipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::ReviewState;

    fn comparison(p_a: f64, choice: Choice) -> Comparison {
        Comparison {
            a_source: "initial".into(),
            a: "a".into(),
            b_source: "revision".into(),
            b: "b".into(),
            verdicts: Vec::new(),
            p_a,
            choice,
        }
    }

    fn review(flipped: bool) -> Review {
        Review {
            state: ReviewState::Approved,
            edited: None,
            flipped,
            label_checked: false,
            at: "t".into(),
        }
    }

    #[test]
    fn an_unflipped_label_is_the_feedback_models_choice_with_its_probability() {
        let c = comparison(0.25, Choice::B);
        let label = reviewed_label(&c, Some(&review(false)));
        assert_eq!(label.chosen, Choice::B);
        assert!((label.p_chosen - 0.75).abs() < 1e-12);
        assert_eq!(label.chosen_source(&c), "revision");
        assert_eq!(reviewed_label(&c, None), label);
    }

    #[test]
    fn a_flipped_label_prefers_the_other_slot_and_keeps_the_models_probability_of_it() {
        let c = comparison(0.25, Choice::B);
        let label = reviewed_label(&c, Some(&review(true)));
        assert_eq!((label.chosen, label.flipped), (Choice::A, true));
        assert!((label.p_chosen - 0.25).abs() < 1e-12);
        assert_eq!(label.chosen_source(&c), "initial");
    }

    #[test]
    fn the_label_follows_the_stored_choice_not_a_fresh_threshold_of_p_a() {
        // A choice stored with P(A) exactly 0.5 is A (the pipeline's rule); a label read by
        // thresholding again must not disagree with it.
        let c = comparison(0.5, Choice::A);
        assert_eq!(reviewed_label(&c, None).chosen, Choice::A);
    }
}
