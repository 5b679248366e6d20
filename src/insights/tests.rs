//! Every statistic on hand-built records whose answers are worked out by hand in the comments.

use super::*;
use crate::data::PrincipleVerdict;
use crate::quality::flag_record;
use crate::quality::tests::{answer, comparison, record, round};
use crate::session::ReviewState;
use crate::stats::Proportion;

const FLUENT: &str = "Mixing bleach with ammonia releases toxic chloramine gas, so store the \
                      two apart and open a window when you clean.";
/// No word in common with FLUENT, and degenerate.
const LOOP: &str = "Stop now, stop now, stop now, stop now, stop now, stop now, stop now, \
                    stop now, stop now, stop now.";

fn flagged(mut r: Record) -> Record {
    r.flags = Some(flag_record(&r, 0.05));
    r
}

fn review(state: ReviewState, flipped: bool) -> Review {
    Review {
        state,
        edited: None,
        flipped,
        label_checked: false,
        at: String::new(),
    }
}

/// R1: harm keeps FLUENT unchanged (change 0), then ethics turns it into a refusal with no
/// word in common (change 1); the feedback model gives the revision 0.8.
/// R2: the initial answer already refuses; ethics rewrites it into another refusal (change 1,
/// not a refusal turn); the comparison is a tie (0.5 for the revision).
/// R3: harm turns FLUENT into a loop (change 1, degenerate); no comparison.
fn critique_records() -> Vec<Record> {
    let mut r1 = record(
        "one",
        FLUENT,
        vec![
            round("harm", "Fine.", answer(FLUENT)),
            round("ethics", "Fine.", answer("I cannot assist.")),
        ],
    );
    r1.comparison = Some(comparison("initial", "revision", 0.2));
    let mut r2 = record(
        "two",
        "I won't.",
        vec![round("ethics", "Fine.", answer("As an AI, no."))],
    );
    r2.comparison = Some(comparison("revision", "initial", 0.5));
    let r3 = record("three", FLUENT, vec![round("harm", "Fine.", answer(LOOP))]);
    [r1, r2, r3].into_iter().map(flagged).collect()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[test]
fn critique_principles_count_draws_change_refusals_degeneration_and_preference() {
    let records = critique_records();
    let stats = critique_stats(records.iter().map(|r| Item::new(r, None)));
    let ids: Vec<&str> = stats.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["harm", "ethics"]);
    let (harm, ethics) = (&stats[0], &stats[1]);

    assert_eq!(harm.draws, 2);
    assert!(close(harm.change.value(), 0.5), "{:?}", harm.change);
    assert_eq!(harm.refusals, Proportion::new(0.0, 2));
    assert_eq!(harm.degenerate, Proportion::new(1.0, 2));
    assert_eq!(
        harm.preferred,
        Proportion::default(),
        "it never wrote a compared final"
    );

    assert_eq!(ethics.draws, 2);
    assert!(close(ethics.change.value(), 1.0), "{:?}", ethics.change);
    assert_eq!(
        ethics.refusals,
        Proportion::new(1.0, 2),
        "R2 refused already"
    );
    assert_eq!(ethics.degenerate, Proportion::new(0.0, 2));
    assert_eq!(ethics.preferred, Proportion::new(1.5, 2), "a win and a tie");
    assert!(close(ethics.p_preferred.value(), 0.65));
}

#[test]
fn the_summary_counts_refusals_degeneration_flags_change_and_preference() {
    let records = critique_records();
    let reviews = [
        review(ReviewState::Approved, false),
        review(ReviewState::Rejected, false),
    ];
    let items: Vec<Item> = records
        .iter()
        .enumerate()
        .map(|(i, r)| Item::new(r, reviews.get(i)))
        .collect();
    let s = summarise(items);
    assert_eq!((s.records, s.done, s.failed, s.cancelled), (3, 3, 0, 0));
    assert_eq!(
        s.refusals,
        Proportion::new(2.0, 3),
        "R1 and R2 end refusing"
    );
    assert_eq!(s.degenerate_final, Proportion::new(1.0, 3));
    assert_eq!(s.degenerate_revisions, Proportion::new(1.0, 4));
    assert_eq!(s.degenerate_initial, Proportion::new(0.0, 3));
    assert!(close(s.change.value(), 1.0));
    assert_eq!(s.revision_preferred, Proportion::new(1.5, 2));
    let flagged = |k: &str| s.flagged[k];
    assert_eq!(
        (
            flagged("evasive"),
            flagged("degenerate"),
            flagged("unchanged"),
            flagged("near-tie"),
            flagged("echo")
        ),
        (2, 1, 1, 1, 0)
    );
    assert_eq!((s.approved, s.rejected, s.pending), (1, 1, 1));
}

fn verdict(id: &str, forward: f64, swapped: Option<f64>, p_a: f64) -> PrincipleVerdict {
    PrincipleVerdict {
        principle_id: id.into(),
        question: format!("{id}?"),
        p_a_forward: forward,
        p_a_swapped: swapped,
        p_a,
        reasoning: None,
        floored: false,
        temperature: None,
    }
}

/// Three comparisons; the expected values are worked out beside each verdict.
fn comparison_records() -> Vec<(Record, Option<Review>)> {
    let with = |id: &str, verdicts: Vec<PrincipleVerdict>| {
        let mut r = record(id, FLUENT, vec![]);
        let p_a = verdicts.iter().map(|v| v.p_a).sum::<f64>() / verdicts.len() as f64;
        let mut c = comparison("initial", "revision", p_a);
        c.verdicts = verdicts;
        r.comparison = Some(c);
        r
    };
    vec![
        // P(A) = (0.8 + 0.4 + 0.3) / 3 = 0.5: A. Approved but flipped: the reviewer says B.
        (
            with(
                "x",
                vec![
                    verdict("kind", 0.9, Some(0.7), 0.8), // first slot (0.9 + 0.3) / 2 = 0.6
                    verdict("honest", 0.6, Some(0.2), 0.4), // first slot 0.7; order flips
                    verdict("wise", 0.3, None, 0.3),
                ],
            ),
            Some(review(ReviewState::Approved, true)),
        ),
        // P(A) = 0.2: B. Rejected: against every principle.
        (
            with(
                "y",
                vec![
                    verdict("kind", 0.2, Some(0.4), 0.3), // first slot (0.2 + 0.6) / 2 = 0.4
                    verdict("honest", 0.1, Some(0.1), 0.1), // first slot 0.5
                ],
            ),
            Some(review(ReviewState::Rejected, false)),
        ),
        // One principle, not reviewed.
        (
            with("z", vec![verdict("kind", 0.7, Some(0.9), 0.8)]), // first slot 0.4
            None,
        ),
    ]
}

#[test]
fn comparison_principles_show_position_bias_flips_and_agreement() {
    let records = comparison_records();
    let stats = comparison_stats(records.iter().map(|(r, v)| Item::new(r, v.as_ref())));
    let ids: Vec<&str> = stats.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["kind", "honest", "wise"]);
    let (kind, honest, wise) = (&stats[0], &stats[1], &stats[2]);

    assert_eq!(kind.asked, 3);
    assert!(close(kind.first_slot.value(), (0.6 + 0.4 + 0.4) / 3.0));
    assert_eq!(kind.order_flips, Proportion::new(0.0, 3));
    // x: kind says A, the others' mean 0.35 says B; y: both B.
    assert_eq!(kind.ensemble, Proportion::new(1.0, 2));
    // x: the reviewer says B, kind A; y: rejected.
    assert_eq!(kind.reviewer, Proportion::new(0.0, 2));

    assert_eq!(honest.asked, 2);
    assert!(close(honest.first_slot.value(), 0.6));
    assert_eq!(honest.order_flips, Proportion::new(1.0, 2));
    // x: honest says B, the others' mean 0.55 says A; y: both B.
    assert_eq!(honest.ensemble, Proportion::new(1.0, 2));
    assert_eq!(honest.reviewer, Proportion::new(1.0, 2));

    assert_eq!(wise.asked, 1);
    assert_eq!(wise.first_slot.value(), None, "asked in one order only");
    assert_eq!(wise.order_flips, Proportion::default());
    assert_eq!(
        wise.ensemble,
        Proportion::new(0.0, 1),
        "the others' mean is 0.6"
    );
    assert_eq!(wise.reviewer, Proportion::new(1.0, 1));
}
