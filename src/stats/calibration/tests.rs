use super::*;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// Six predictions of a fixed option with hand-worked bins at M = 5 (width 0.2):
/// bin 0 [0, 0.2): 0.1 (no), 0.15 (yes); bin 1 [0.2, 0.4): 0.3 (no); bin 2 [0.4, 0.6): empty;
/// bin 3 [0.6, 0.8): 0.7 (yes); bin 4 [0.8, 1]: 0.9 (no), 1.0 (yes).
fn six() -> Predictions {
    Predictions::fixed_option([
        (0.1, false),
        (0.15, true),
        (0.3, false),
        (0.7, true),
        (0.9, false),
        (1.0, true),
    ])
    .unwrap()
}

#[test]
fn brier_of_a_small_set_matches_the_hand_sum() {
    // (0.9 − 1)² + (0.2 − 0)² + (0.6 − 0)² + (1 − 1)² = 0.01 + 0.04 + 0.36 + 0 = 0.41; / 4.
    let p =
        Predictions::fixed_option([(0.9, true), (0.2, false), (0.6, false), (1.0, true)]).unwrap();
    assert!(close(p.brier().unwrap(), 0.1025), "{:?}", p.brier());
    // 0.01 + 0.7225 + 0.09 + 0.09 + 0.81 + 0 = 1.7225; / 6 = 0.287083…
    assert!(close(six().brier().unwrap(), 1.7225 / 6.0));
}

#[test]
fn reliability_table_matches_the_hand_bins_with_an_empty_bin_and_one_in_the_last() {
    let table = six().reliability(5).unwrap();
    assert_eq!(table.convention, Convention::FixedOption);
    assert_eq!(table.n, 6);
    let counts: Vec<usize> = table.bins.iter().map(|b| b.n).collect();
    assert_eq!(counts, [2, 1, 0, 1, 2], "1.0 lands in the last bin");
    let b = &table.bins;
    // Bin 0: conf (0.1 + 0.15) / 2 = 0.125, acc 1/2.
    assert!(close(b[0].conf.unwrap(), 0.125) && close(b[0].acc.unwrap(), 0.5));
    // Bin 1: conf 0.3, acc 0.
    assert!(close(b[1].conf.unwrap(), 0.3) && close(b[1].acc.unwrap(), 0.0));
    // Bin 2 is kept, empty, with no mean and no interval.
    assert_eq!((b[2].conf, b[2].acc, b[2].interval), (None, None, None));
    assert!(close(b[2].lo, 0.4) && close(b[2].hi, 0.6));
    // Bin 3: conf 0.7, acc 1. Bin 4: conf (0.9 + 1.0) / 2 = 0.95, acc 1/2.
    assert!(close(b[3].conf.unwrap(), 0.7) && close(b[3].acc.unwrap(), 1.0));
    assert!(close(b[4].conf.unwrap(), 0.95) && close(b[4].acc.unwrap(), 0.5));
    assert!(close(b[4].lo, 0.8) && b[4].hi == 1.0);
    // The bin intervals are the project's Wilson intervals of hits out of n.
    assert_eq!(
        b[0].interval,
        crate::stats::wilson(1.0, 2, crate::stats::Z_95)
    );
    assert_eq!(
        b[3].interval,
        crate::stats::wilson(1.0, 1, crate::stats::Z_95)
    );
}

#[test]
fn ece_of_six_predictions_matches_the_hand_sum_and_reports_m() {
    // (2·|0.5 − 0.125| + 1·|0 − 0.3| + 1·|1 − 0.7| + 2·|0.5 − 0.95|) / 6
    // = (0.75 + 0.3 + 0.3 + 0.9) / 6 = 2.25 / 6 = 0.375.
    let ece = six().reliability(5).unwrap().ece().unwrap();
    assert!(close(ece.value, 0.375), "{ece:?}");
    assert_eq!(ece.bins, 5);
    assert_eq!(ece.convention, Convention::FixedOption);
}

#[test]
fn always_half_judge_has_brier_a_quarter_and_ece_the_base_rate_gap() {
    // 7 of 10 correct, p = 0.5 each: (0.5 − y)² = 0.25 whatever y; all ten in bin [0.5, 0.6),
    // conf 0.5, acc 0.7, so ECE = |0.7 − 0.5| = 0.2.
    let p = Predictions::fixed_option((0..10).map(|i| (0.5, i < 7))).unwrap();
    assert!(close(p.brier().unwrap(), 0.25));
    let table = p.reliability(10).unwrap();
    assert_eq!(table.bins[5].n, 10);
    let ece = table.ece().unwrap().value;
    assert!((ece - 0.2).abs() < 1e-12, "{ece}");
}

#[test]
fn nll_matches_the_hand_sum_and_stays_finite_at_certainty() {
    // −ln 0.9 − ln 0.15 − ln 0.7 − ln 0.7 − ln 0.1 − ln(1 − 1e-12)
    // = 0.105361 + 1.897120 + 0.356675 + 0.356675 + 2.302585 + 0.000000 = 5.018415; / 6.
    let nll = six().nll().unwrap();
    assert!((nll - 0.836_402_580).abs() < 1e-8, "{nll}");
    // Certain and wrong: p = 0 for an event that held costs −ln 1e-12 = 27.631021.
    let wrong = Predictions::fixed_option([(0.0, true)])
        .unwrap()
        .nll()
        .unwrap();
    assert!((wrong - 27.631_021_116).abs() < 1e-6, "{wrong}");
    // Certain and right costs −ln(1 − 1e-12) ≈ 1e-12.
    let right = Predictions::fixed_option([(1.0, true)])
        .unwrap()
        .nll()
        .unwrap();
    assert!(right > 0.0 && right < 2e-12, "{right}");
}

#[test]
fn chosen_option_takes_the_largest_p_and_counts_ties_as_a_random_choice() {
    let items = vec![
        (vec![0.8, 0.2], 0),      // chose 0 at 0.8, right
        (vec![0.3, 0.7], 0),      // chose 1 at 0.7, wrong
        (vec![0.5, 0.5], 1),      // tie at 0.5: right half the time
        (vec![0.2, 0.5, 0.3], 1), // three options, chose 1 at 0.5, right
        (vec![2.0, 6.0], 1),      // not normalised: 0.25 / 0.75, chose 1 at 0.75, right
    ];
    let p = Predictions::chosen_option(&items).unwrap();
    assert_eq!(p.convention(), Convention::ChosenOption);
    let got: Vec<(f64, f64)> = p.items.iter().map(|o| (o.p, o.y)).collect();
    assert_eq!(
        got,
        [(0.8, 1.0), (0.7, 0.0), (0.5, 0.5), (0.5, 1.0), (0.75, 1.0)]
    );
    // The tie's expected Brier is ½·(0.5 − 1)² + ½·(0.5 − 0)² = 0.25; the rest:
    // 0.04 + 0.49 + 0.25 + 0.0625 = 0.8425; total 1.0925 / 5 = 0.2185.
    assert!(close(p.brier().unwrap(), 0.2185), "{:?}", p.brier());
}

#[test]
fn the_same_answers_under_the_two_conventions_give_different_ece() {
    // Four questions, A correct in all: P(A) = 0.8 twice and P(A) = 0.2 twice.
    // Fixed option (P(A) against "A correct"): bin [0.2, 0.3) conf 0.2 acc 1, gap 0.8; bin
    // [0.8, 0.9) conf 0.8 acc 1, gap 0.2; ECE (2·0.8 + 2·0.2) / 4 = 0.5.
    // Chosen option: the judge chooses A at 0.8 twice (right) and B at 0.8 twice (wrong); one
    // bin, conf 0.8, acc 2/4; ECE |0.5 − 0.8| = 0.3.
    let fixed = Predictions::fixed_option([(0.8, true), (0.8, true), (0.2, true), (0.2, true)])
        .unwrap()
        .reliability(10)
        .unwrap()
        .ece()
        .unwrap();
    let chosen = Predictions::chosen_option(&[
        (vec![0.8, 0.2], 0),
        (vec![0.8, 0.2], 0),
        (vec![0.2, 0.8], 0),
        (vec![0.2, 0.8], 0),
    ])
    .unwrap()
    .reliability(10)
    .unwrap()
    .ece()
    .unwrap();
    assert!(close(fixed.value, 0.5), "{fixed:?}");
    assert!(close(chosen.value, 0.3), "{chosen:?}");
    assert_eq!(fixed.convention, Convention::FixedOption);
    assert_eq!(chosen.convention, Convention::ChosenOption);
}

#[test]
fn a_p_on_an_edge_lands_in_the_bin_that_edge_opens_despite_rounding() {
    // fl(1/49)·49 rounds to 0.9999999999999999, so floor alone would put it in bin 0.
    let p = Predictions::fixed_option([(1.0 / 49.0, true), (0.0, false), (1.0, true)]).unwrap();
    let table = p.reliability(49).unwrap();
    assert_eq!(table.bins[0].n, 1, "0 in the first bin");
    assert_eq!(table.bins[1].n, 1, "1/49 opens bin 1");
    assert_eq!(table.bins[1].lo, 1.0 / 49.0);
    assert_eq!(table.bins[48].n, 1, "1 closes the last bin");
    // And the other way: the float just below fl(5/6) times 6 rounds up to 5.0, yet it lies
    // below bin 5's lower edge, so it belongs to bin 4.
    let below = f64::from_bits((5.0f64 / 6.0).to_bits() - 1);
    assert_eq!((below * 6.0).floor(), 5.0);
    let table = Predictions::fixed_option([(below, true)])
        .unwrap()
        .reliability(6)
        .unwrap();
    assert_eq!(table.bins[4].n, 1);
    // Every edge of a 1000-bin table holds the p equal to it.
    let edges: Vec<(f64, bool)> = (0..1000).map(|i| (i as f64 / 1000.0, true)).collect();
    let table = Predictions::fixed_option(edges)
        .unwrap()
        .reliability(1000)
        .unwrap();
    assert!(table.bins.iter().all(|b| b.n == 1 && b.conf == Some(b.lo)));
}

#[test]
fn bad_or_empty_input_gives_errors_or_none_never_a_panic() {
    assert!(matches!(
        Predictions::fixed_option([(0.5, true), (f64::NAN, false)]),
        Err(InputError::NotAProbability { item: 1, value }) if value.is_nan()
    ));
    assert!(Predictions::fixed_option([(1.5, true)]).is_err());
    assert!(Predictions::fixed_option([(f64::INFINITY, true)]).is_err());
    assert!(Predictions::chosen_option(&[(vec![f64::NAN, 0.5], 0)]).is_err());
    assert!(Predictions::chosen_option(&[(vec![0.5, 0.5], 7)]).is_err());
    assert!(Predictions::chosen_option(&[(vec![1.0], 0)]).is_err());
    let empty = Predictions::fixed_option([]).unwrap();
    assert!(empty.is_empty());
    assert_eq!((empty.brier(), empty.nll()), (None, None));
    let table = empty.reliability(10).unwrap();
    assert!(table.bins.iter().all(|b| b.n == 0));
    assert_eq!(table.ece(), None);
    assert_eq!(empty.report(10), None);
    assert_eq!(six().reliability(0), None);
    assert_eq!(six().reliability(MAX_BINS + 1), None);
    assert_eq!(six().reliability(usize::MAX), None);
}

#[test]
fn report_gathers_the_statistics_under_its_convention() {
    let r = six().report(5).unwrap();
    assert_eq!(r.convention, Convention::FixedOption);
    assert_eq!(r.n, 6);
    assert!(close(r.brier, 1.7225 / 6.0));
    assert!(close(r.ece.value, 0.375));
    assert_eq!(r.reliability.bins.len(), 5);
}

#[test]
fn accuracy_counts_ties_at_the_top_as_a_share_and_gives_a_wilson_interval() {
    // right, wrong, 2-way tie with the correct one (1/2), 3-way tie (1/3), tie without it (0).
    let items = vec![
        (vec![0.9, 0.1], 0),
        (vec![0.9, 0.1], 1),
        (vec![0.5, 0.5], 0),
        (vec![1.0, 1.0, 1.0], 2),
        (vec![0.1, 0.45, 0.45], 0),
    ];
    let acc = accuracy(&items).unwrap();
    assert_eq!(acc.n, 5);
    assert!((acc.k - (1.0 + 0.5 + 1.0 / 3.0)).abs() < 1e-12, "{acc:?}");
    assert_eq!(
        acc.wilson(),
        crate::stats::wilson(acc.k, 5, crate::stats::Z_95)
    );
    assert!(accuracy(&[(vec![0.5, f64::NAN], 0)]).is_err());
    assert_eq!(accuracy(&[]).unwrap().rate(), None);
}
