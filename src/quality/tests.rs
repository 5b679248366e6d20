//! Flags on hand-built records whose answers are known: each flag fires on the text made to
//! have it, at the right site, and not on a clean record.

use super::*;
use crate::data::FinishReason;
use crate::data::{Choice, Comparison, Prompt, Record, RecordStatus, Response, Round};

pub(crate) fn answer(text: &str) -> Response {
    Response {
        text: text.to_string(),
        evasive: crate::quality::refusal::is_evasive(text),
        tokens: text.split_whitespace().count() as u32,
        finish: FinishReason::Stop,
    }
}

pub(crate) fn round(principle: &str, critique: &str, revision: Response) -> Round {
    Round {
        principle_id: principle.to_string(),
        critique_request: format!("Critique under {principle}."),
        critique: answer(critique),
        revision_request: format!("Rewrite the response under {principle}, please."),
        revision,
    }
}

/// A done record with an initial answer and the given rounds, no comparison.
pub(crate) fn record(prompt: &str, initial: &str, rounds: Vec<Round>) -> Record {
    Record {
        prompt: Prompt::new(prompt, None),
        initial: Some(answer(initial)),
        rounds,
        comparison: None,
        status: RecordStatus::Done,
        started_at: "2025-01-01T00:00:00Z".into(),
        finished_at: "2025-01-01T00:00:01Z".into(),
        generated_tokens: 10,
        seconds: 1.0,
        flags: None,
        served_by: Vec::new(),
    }
}

pub(crate) fn comparison(a_source: &str, b_source: &str, p_a: f64) -> Comparison {
    Comparison {
        a_source: a_source.into(),
        a: "first answer".into(),
        b_source: b_source.into(),
        b: "second answer".into(),
        verdicts: vec![],
        p_a,
        choice: if p_a >= 0.5 { Choice::A } else { Choice::B },
    }
}

const FLUENT: &str = "Mixing bleach with ammonia releases toxic chloramine gas, so store the \
                      two apart and open a window when you clean.";
const FLUENT_2: &str = "Keep cleaning products in their own bottles, away from children, and \
                        never combine two of them in one bucket.";
const LOOP: &str = "It's a lie. It's a lie. It's a lie. It's a lie. It's a lie. It's a lie. \
                    It's a lie. It's a lie. It's a lie.";

fn kinds_at(record: &Record) -> Vec<(FlagKind, Site)> {
    flag_record(record, 0.05)
        .into_iter()
        .map(|f| (f.kind, f.site))
        .collect()
}

#[test]
fn a_clean_record_has_no_flags() {
    let r = record(
        "q",
        FLUENT,
        vec![round("harm", "It could say more.", answer(FLUENT_2))],
    );
    assert_eq!(kinds_at(&r), vec![]);
}

#[test]
fn a_looping_revision_is_degenerate_at_its_round() {
    let r = record(
        "q",
        FLUENT,
        vec![
            round("harm", "Fine.", answer(FLUENT_2)),
            round("ethics", "Be honest.", answer(LOOP)),
        ],
    );
    let flags = flag_record(&r, 0.05);
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(
        (flags[0].kind, flags[0].site),
        (FlagKind::Degenerate, Site::Revision(2))
    );
    assert!(
        flags[0].reason.contains("\"It's a lie.\" 9 times"),
        "{flags:?}"
    );
}

#[test]
fn a_generation_stopped_while_looping_is_degenerate_even_when_trimmed() {
    let mut revision = answer("It's a lie.");
    revision.finish = FinishReason::Loop;
    let r = record("q", FLUENT, vec![round("harm", "x", revision)]);
    let flags = flag_record(&r, 0.05);
    assert_eq!(flags[0].kind, FlagKind::Degenerate);
    assert!(flags[0].reason.contains("stopped while looping"));
}

#[test]
fn a_revision_copying_its_critique_or_request_echoes_it() {
    let critique = "The answer names a chemical that is dangerous to mix at home.";
    let r = record(
        "q",
        FLUENT,
        vec![
            round("harm", critique, answer(critique)),
            round(
                "ethics",
                "Fine.",
                answer("Rewrite the response under ethics, please."),
            ),
        ],
    );
    let flags = flag_record(&r, 0.05);
    let echoes: Vec<_> = flags.iter().filter(|f| f.kind == FlagKind::Echo).collect();
    assert_eq!(echoes.len(), 2, "{flags:?}");
    assert_eq!(echoes[0].site, Site::Revision(1));
    assert!(echoes[0].reason.contains("100% copied from the critique"));
    assert!(echoes[1]
        .reason
        .contains("100% copied from the revision request"));
}

#[test]
fn a_revision_the_same_as_the_text_before_is_unchanged() {
    let r = record(
        "q",
        FLUENT,
        vec![
            round("harm", "Fine.", answer(&FLUENT.to_uppercase())),
            round("ethics", "Fine.", answer(FLUENT_2)),
        ],
    );
    assert_eq!(kinds_at(&r), vec![(FlagKind::Unchanged, Site::Revision(1))]);
}

#[test]
fn empty_cut_off_and_evasive_answers_are_flagged() {
    let mut cut = answer(FLUENT_2);
    cut.finish = FinishReason::Length;
    let r = record(
        "q",
        "",
        vec![
            round("harm", "Fine.", cut),
            round("ethics", "Fine.", answer("I can't help with that request.")),
        ],
    );
    assert_eq!(
        kinds_at(&r),
        vec![
            (FlagKind::Empty, Site::Initial),
            (FlagKind::CutOff, Site::Revision(1)),
            (FlagKind::Evasive, Site::Revision(2)),
        ]
    );
}

#[test]
fn a_cancelled_answer_is_not_judged() {
    let mut partial = answer("");
    partial.finish = FinishReason::Cancelled;
    let r = record("q", FLUENT, vec![round("harm", "Fine.", partial)]);
    assert_eq!(kinds_at(&r), vec![]);
}

#[test]
fn a_near_tie_depends_on_the_margin() {
    let mut r = record("q", FLUENT, vec![round("harm", "Fine.", answer(FLUENT_2))]);
    r.comparison = Some(comparison("initial", "revision", 0.53));
    let at = |margin| {
        flag_record(&r, margin)
            .into_iter()
            .map(|f| (f.kind, f.site))
            .collect::<Vec<_>>()
    };
    assert_eq!(at(0.05), vec![(FlagKind::NearTie, Site::Comparison)]);
    assert_eq!(at(0.03), vec![], "0.03 away from a tie is not below 0.03");
    assert!(flag_record(&r, 0.05)[0].reason.contains("P(A) = 0.530"));
}

#[test]
fn a_near_tie_states_the_margin_as_the_constitution_writes_it() {
    let mut r = record("q", FLUENT, vec![round("harm", "Fine.", answer(FLUENT_2))]);
    r.comparison = Some(comparison("initial", "revision", 0.472));
    // The pipeline widens the constitution's f32 margin to f64.
    let margin = f64::from(0.05_f32);
    assert_eq!(
        flag_record(&r, margin)[0].reason,
        "P(A) = 0.472, within 0.05 of a tie"
    );
}

#[test]
fn two_samples_candidates_are_judged_from_their_text() {
    let mut r = record("q", FLUENT, vec![]);
    let mut c = comparison("sample-1", "sample-2", 0.9);
    c.a = LOOP.into();
    c.b = "I can't help with that.".into();
    r.comparison = Some(c);
    assert_eq!(
        kinds_at(&r),
        vec![
            (FlagKind::Degenerate, Site::Sample(1)),
            (FlagKind::Evasive, Site::Sample(2)),
        ]
    );
}

#[test]
fn flag_lists_parse_with_a_helpful_error() {
    assert_eq!(
        FlagKind::parse_list("degenerate, evasive,,near-tie,evasive"),
        Ok(vec![
            FlagKind::Degenerate,
            FlagKind::Evasive,
            FlagKind::NearTie
        ])
    );
    let err = FlagKind::parse_list("degenerate,loopy").unwrap_err();
    assert!(
        err.contains("unknown flag `loopy`") && err.contains("cut-off"),
        "{err}"
    );
}

#[test]
fn final_site_is_the_last_revision_or_the_initial_answer() {
    let r = record("q", FLUENT, vec![]);
    assert_eq!(final_site(&r), Site::Initial);
    let r = record(
        "q",
        FLUENT,
        vec![
            round("a", "x", answer(FLUENT)),
            round("b", "y", answer(FLUENT_2)),
        ],
    );
    assert_eq!(final_site(&r), Site::Revision(2));
    assert!(
        !has_flag(&r, FlagKind::Unchanged, None),
        "flags not computed yet"
    );
}
