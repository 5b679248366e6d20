//! The report on hand-built answers, every number checked by hand in the comments.

use super::*;
use crate::eval::config::parse_configs;
use crate::eval::dir::SetEntry;
use crate::eval::run::{asks_of, config_asks};
use crate::eval::sets::KnownAnswer;

const CONSTITUTION: &str = "name = \"c\"\n[settings.comparison]\nensemble_size = 2\n\
    [[principles]]\nid = \"p\"\ncritique = \"c\"\nrevision = \"r\"\n\
    [[comparisons]]\nid = \"kind\"\nquestion = \"Which is kinder?\"\n\
    [[comparisons]]\nid = \"safe\"\nquestion = \"Which is safer?\"\n";

fn pair(n: usize) -> KnownAnswer {
    KnownAnswer {
        id: format!("set:{n}"),
        set: "set".into(),
        item: Item::Pair {
            transcript: format!("Human: question {n}"),
            better: format!("good {n}"),
            worse: format!("bad {n}"),
            set_question: None,
            written: None,
        },
    }
}

fn plan(items: Vec<KnownAnswer>, configs: &[&str]) -> EvalPlan {
    let constitution = crate::constitution::parse_constitution(CONSTITUTION, None).unwrap();
    let configs: Vec<String> = configs.iter().map(|s| s.to_string()).collect();
    let configs = parse_configs(&configs, &constitution).unwrap();
    EvalPlan {
        dir: "unused".into(),
        sets: vec![(
            SetEntry {
                name: "set".into(),
                path: String::new(),
                sha256: String::new(),
                questions: items.len(),
                layout: String::new(),
            },
            items,
        )],
        constitution,
        constitution_text: CONSTITUTION.into(),
        configs,
        as_written: false,
        in_flight: 1,
    }
}

/// Answers for every ask of `plan`: `p_better(item, forward)` gives the probability the judge
/// gives the better answer in each order.
fn answer_all(plan: &EvalPlan, p_better: impl Fn(usize, bool) -> f64) -> Vec<Answer> {
    let principles = plan.constitution.enabled_comparisons();
    let mut out = Vec::new();
    for (n, item) in plan.sets[0].1.iter().enumerate() {
        for key in asks_of(
            item,
            &plan.configs,
            false,
            &principles,
            &plan.constitution.settings,
        ) {
            let AskKey::Pair { better_first, .. } = &key else {
                unreachable!()
            };
            // P(A) in either order: A is the better answer when `better_first`.
            let p_a = |q: f64| if *better_first { q } else { 1.0 - q };
            let (forward, p_a_swapped) = (p_a(p_better(n, true)), p_a(p_better(n, false)));
            out.push(Answer {
                item: item.id.clone(),
                ask: key.clone(),
                p_a_forward: Some(forward),
                p_a_swapped: Some(p_a_swapped),
                probabilities: Vec::new(),
                reasoning: None,
                floored: false,
                served_by: Vec::new(),
                seconds: 0.0,
            });
        }
    }
    out
}

fn row<'r>(r: &'r EvalReport, name: &str) -> &'r Row {
    r.sets[0]
        .configs
        .iter()
        .find(|row| row.name == name)
        .unwrap()
}

#[test]
fn a_judge_that_is_always_right_with_confidence_point_eight_scores_every_statistic_as_computed_by_hand(
) {
    let items: Vec<KnownAnswer> = (0..10).map(pair).collect();
    let p = plan(items, &["single:kind", "single:kind/one-order"]);
    // P(better) = 0.8 in both orders.
    let answers = answer_all(&p, |_, _| 0.8);
    let r = report(&p, &answers, None);
    let both = row(&r, "single:kind");
    assert_eq!(both.n, 10);
    assert_eq!(both.accuracy.rate(), Some(1.0));
    assert_eq!(both.chance, 0.5);
    // Every label is 0.8 for the better answer: P(A) is 0.8 when A is better, 0.2 when not.
    // Brier: (0.2)^2 = 0.04 for each. ECE: all in the 0.8 bin (acc 1) or the 0.2 bin (acc 0):
    // |1 - 0.8| = |0 - 0.2| = 0.2.
    assert!((both.brier.unwrap() - 0.04).abs() < 1e-12);
    assert!((both.ece.unwrap() - 0.2).abs() < 1e-12);
    assert!((both.mean_confidence.unwrap() - 0.3).abs() < 1e-12);
    // The same answer in both orders every time; the first option is chosen as often as the
    // better answer is shown first.
    assert_eq!(both.order_consistency.unwrap().rate(), Some(1.0));
    let first = both.first_chosen.unwrap();
    assert_eq!(first.n, 20, "two orders per question");
    assert_eq!(
        first.k, 10.0,
        "in one of the two orders the better answer is first"
    );
    let one = row(&r, "single:kind/one-order");
    assert_eq!((one.n, one.accuracy.rate()), (10, Some(1.0)));
    assert!(one.order_consistency.is_none());
}

#[test]
fn a_judge_that_always_says_a_is_at_chance_with_total_position_bias() {
    let items: Vec<KnownAnswer> = (0..40).map(pair).collect();
    let p = plan(items, &["single:kind", "single:kind/one-order"]);
    let principles = p.constitution.enabled_comparisons();
    // P(first option) = 0.9 whatever is shown: in the forward order P(A) = 0.9; swapped, the
    // first option is B, so P(A) = 0.1.
    let mut answers = answer_all(&p, |_, _| 0.5);
    for a in &mut answers {
        a.p_a_forward = Some(0.9);
        a.p_a_swapped = Some(0.1);
    }
    let r = report(&p, &answers, None);
    let both = row(&r, "single:kind");
    // Both orders: (0.9 + 0.1) / 2 = 0.5 for every question: half right each.
    assert_eq!(both.accuracy.rate(), Some(0.5));
    assert_eq!(both.order_consistency.unwrap().rate(), Some(0.0));
    assert_eq!(both.first_chosen.unwrap().rate(), Some(1.0));
    assert!((both.brier.unwrap() - 0.25).abs() < 1e-12);
    // One order: right exactly when the better answer happened to be shown first.
    let better_first = p.sets[0]
        .1
        .iter()
        .filter(|k| {
            matches!(
                config_asks(&k.id, &p.configs[1], &principles, &p.constitution.settings)[0],
                AskKey::Pair {
                    better_first: true,
                    ..
                }
            )
        })
        .count();
    let one = row(&r, "single:kind/one-order");
    assert_eq!(one.accuracy.k, better_first as f64);
    assert!(
        better_first > 5 && better_first < 35,
        "the draw mixes positions: {better_first}"
    );
}

#[test]
fn a_temperature_moves_confidence_but_not_accuracy() {
    let items: Vec<KnownAnswer> = (0..10).map(pair).collect();
    let p = plan(items, &["single:kind"]);
    // Right on 7, wrong on 3, always at 0.8 confidence.
    let answers = answer_all(&p, |n, _| if n < 7 { 0.8 } else { 0.2 });
    let raw = report(&p, &answers, None);
    let hot = report(&p, &answers, Some(1000.0));
    let (raw, hot) = (row(&raw, "single:kind"), row(&hot, "single:kind"));
    assert_eq!(raw.accuracy.rate(), Some(0.7));
    assert_eq!(hot.accuracy.rate(), Some(0.7));
    // Brier raw: 7 × 0.04 + 3 × 0.64 = 2.2 over 10 = 0.22; at T = 1000 every label is within
    // 0.001 of 0.5, so Brier ≈ 0.25 and mean |P - 0.5| ≈ 0.
    assert!((raw.brier.unwrap() - 0.22).abs() < 1e-12);
    assert!((hot.brier.unwrap() - 0.25).abs() < 1e-3);
    assert!(hot.mean_confidence.unwrap() < 1e-3);
}

#[test]
fn the_ensemble_averages_its_principles_and_each_principle_gets_its_row() {
    let items: Vec<KnownAnswer> = (0..6).map(pair).collect();
    let p = plan(items, &["ensemble"]);
    let mut answers = answer_all(&p, |_, _| 0.5);
    // kind is right at 0.9 both ways, safe wrong at 0.3 both ways.
    for a in &mut answers {
        let AskKey::Pair {
            principle,
            better_first,
            ..
        } = &a.ask
        else {
            unreachable!()
        };
        let p_better = if principle == "kind" { 0.9 } else { 0.3 };
        let p_a = if *better_first {
            p_better
        } else {
            1.0 - p_better
        };
        a.p_a_forward = Some(p_a);
        a.p_a_swapped = Some(p_a);
    }
    let r = report(&p, &answers, None);
    let ensemble = row(&r, "ensemble");
    // Two principles drawn of two: mean P(better) = (0.9 + 0.3) / 2 = 0.6: always right.
    assert_eq!(ensemble.accuracy.rate(), Some(1.0));
    let principles = &r.sets[0].principles;
    let names: Vec<&str> = principles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["kind", "safe"]);
    assert_eq!(principles[0].accuracy.rate(), Some(1.0));
    assert_eq!(principles[1].accuracy.rate(), Some(0.0));
    assert_eq!(principles[1].n, 6);
}

#[test]
fn a_question_without_its_answers_is_counted_as_unanswered() {
    let items: Vec<KnownAnswer> = (0..4).map(pair).collect();
    let p = plan(items, &["single:kind"]);
    let mut answers = answer_all(&p, |_, _| 0.8);
    answers.pop();
    let r = report(&p, &answers, None);
    assert_eq!(r.unanswered, 1);
    assert_eq!(row(&r, "single:kind").n, 3);
}

#[test]
fn written_questions_of_three_options_have_chance_a_third() {
    let item = |n: usize, correct| KnownAnswer {
        id: format!("w:{n}"),
        set: "set".into(),
        item: Item::Written {
            text: "Q".into(),
            letters: vec!["A".into(), "B".into(), "C".into()],
            correct,
        },
    };
    let p = plan(vec![item(0, 0), item(1, 2)], &["single:kind"]);
    let answers = vec![
        Answer {
            item: "w:0".into(),
            ask: AskKey::Written,
            p_a_forward: None,
            p_a_swapped: None,
            probabilities: vec![0.6, 0.3, 0.1],
            reasoning: None,
            floored: false,
            served_by: vec![],
            seconds: 0.0,
        },
        Answer {
            item: "w:1".into(),
            ask: AskKey::Written,
            p_a_forward: None,
            p_a_swapped: None,
            probabilities: vec![0.5, 0.3, 0.2],
            reasoning: None,
            floored: false,
            served_by: vec![],
            seconds: 0.0,
        },
    ];
    let r = report(&p, &answers, None);
    let written = row(&r, "as written");
    assert!((written.chance - 1.0 / 3.0).abs() < 1e-12);
    // Right on the first (A has 0.6), wrong on the second (A has 0.5, C is right).
    assert_eq!(written.accuracy.rate(), Some(0.5));
    // Chosen-option confidence: 0.6 (right) and 0.5 (wrong): Brier (0.16 + 0.25) / 2.
    assert!((written.brier.unwrap() - 0.205).abs() < 1e-12);
    assert_eq!(r.sets[0].asked, "as written, after the answer prefix");
}
