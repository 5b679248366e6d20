use super::*;

/// β_0 − β_1 of a fit.
fn gap(r: &Ratings, i: usize, j: usize) -> f64 {
    r.contestants[i].beta.unwrap() - r.contestants[j].beta.unwrap()
}

/// `n` matches of every pair among contestants of strength `beta`, outcomes drawn from
/// P(i beats j) = σ(β_i − β_j) by a seeded generator.
fn simulate(beta: &[f64], n: usize, seed: u64) -> Vec<Match> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut matches = Vec::new();
    for i in 0..beta.len() {
        for j in i + 1..beta.len() {
            for _ in 0..n {
                let win = rng.gen::<f64>() < sigmoid(beta[i] - beta[j]);
                matches.push(Match::new(i, j, if win { 1.0 } else { 0.0 }));
            }
        }
    }
    matches
}

#[test]
fn three_wins_in_four_give_a_gap_of_ln_3_less_the_ridge_pull() {
    // With β = (d/2, −d/2) the penalised likelihood's slope in d is 3 − 4σ(d) − λd/2. At
    // λ = 0 it vanishes at σ(d) = 3/4, d = ln 3 = 1.098612. The ridge moves d by
    // −λ·ln 3 / (2·4·σ'(ln 3)) = −0.001·1.098612 / (8·3/16) = −0.000732; d = 1.097880.
    let matches = [
        Match::new(0, 1, 1.0),
        Match::new(0, 1, 1.0),
        Match::new(1, 0, 0.0),
        Match::new(0, 1, 0.0),
    ];
    let r = fit(2, &matches).unwrap();
    let d = gap(&r, 0, 1);
    assert!((d - (3f64.ln() - 0.000_732_4)).abs() < 1e-5, "{d}");
    assert!(d < 3f64.ln());
    assert!(r.converged && r.connected);
    assert_eq!(r.contestants[0].matches, 4);
    // Mean 0: β = ±d/2. Elo = 1000 ± 400·(d/2)/ln 10 = 1000 ± 95.38.
    let (a, b) = (
        r.contestants[0].beta.unwrap(),
        r.contestants[1].beta.unwrap(),
    );
    assert!((a + b).abs() < 1e-12);
    assert!((r.contestants[0].elo.unwrap() - (1000.0 + 200.0 * d / LN_10)).abs() < 1e-9);
    // One soft match of 0.75 standing for four matches is the same data.
    let soft = fit(2, &[Match::new(0, 1, 0.75).weighted(4.0)]).unwrap();
    assert!((gap(&soft, 0, 1) - d).abs() < 1e-9);
}

#[test]
fn elo_puts_a_100_point_gap_at_a_64_percent_expected_score() {
    assert_eq!(elo(0.0), 1000.0);
    // 100 points is β gap 100·ln 10 / 400 = 0.575646; σ(0.575646) = 0.640065.
    let beta = 100.0 * LN_10 / 400.0;
    assert!((elo(beta) - elo(0.0) - 100.0).abs() < 1e-9);
    assert!((sigmoid(beta) - 0.640_065).abs() < 1e-6);
}

#[test]
fn synthetic_matches_recover_the_order_and_intervals_cover_the_truth() {
    let truth = [-1.0, 0.0, 1.0];
    let r = fit_with_intervals(3, &simulate(&truth, 300, 11), 200, 5).unwrap();
    assert_eq!(r.replicates, 200);
    let beta: Vec<f64> = r.contestants.iter().map(|c| c.beta.unwrap()).collect();
    assert!(beta[0] < beta[1] && beta[1] < beta[2], "{beta:?}");
    for (c, t) in r.contestants.iter().zip(truth) {
        let (lo, hi) = c.interval.unwrap();
        assert!(lo < t && t < hi, "{t} outside {lo}..{hi}");
        assert!(hi - lo < 0.5, "600 matches each should pin β: {lo}..{hi}");
        assert!((c.beta.unwrap() - t).abs() < 0.2);
        assert_eq!((c.matches, c.replicates), (600, 200));
        let (elo_lo, elo_hi) = c.elo_interval.unwrap();
        assert!((elo_lo - elo(lo)).abs() < 1e-9 && (elo_hi - elo(hi)).abs() < 1e-9);
    }
    // The true gap 2 − 0 = 2 between the ends lies in the difference's interval, 0 does not.
    let (lo, hi) = r.difference(2, 0).unwrap();
    assert!(lo < 2.0 && 2.0 < hi && lo > 0.0, "{lo}..{hi}");
}

#[test]
fn soft_labels_at_the_models_own_probabilities_recover_the_strengths() {
    // score_i = σ(β_i − β_j) exactly zeroes the likelihood's slope at the true β; only the
    // ridge, λβ against 20 matches of information ≈ 0.2 each per pair, pulls it (< 0.001).
    let truth = [-1.0, 0.0, 1.0];
    let mut matches = Vec::new();
    for i in 0..3 {
        for j in i + 1..3 {
            matches.push(Match::new(i, j, sigmoid(truth[i] - truth[j])).weighted(20.0));
        }
    }
    let r = fit(3, &matches).unwrap();
    for (c, t) in r.contestants.iter().zip(truth) {
        assert!((c.beta.unwrap() - t).abs() < 1e-3, "{:?} vs {t}", c.beta);
    }
}

#[test]
fn a_copy_of_a_contestant_scores_zero_difference_within_its_interval() {
    // 0 and 1 are the same model: they tie each other, and each wins 7 of 10 against 2.
    let mut matches = vec![Match::new(0, 1, 0.5); 10];
    for copy in [0, 1] {
        for n in 0..10 {
            matches.push(Match::new(copy, 2, if n < 7 { 1.0 } else { 0.0 }));
        }
    }
    // A contestant against itself carries no information and is skipped.
    matches.push(Match::new(2, 2, 1.0));
    let r = fit_with_intervals(3, &matches, 300, 9).unwrap();
    assert_eq!(r.skipped_self, 1);
    assert!(gap(&r, 0, 1).abs() < 1e-9);
    assert!((r.win_probability(0, 1).unwrap() - 0.5).abs() < 1e-9);
    let (lo, hi) = r.difference(0, 1).unwrap();
    assert!(lo < 0.0 && 0.0 < hi, "{lo}..{hi}");
    let (lo, hi) = r.contestants[0].interval.unwrap();
    let copy = r.contestants[1].beta.unwrap();
    assert!(lo < copy && copy < hi);
}

#[test]
fn a_contestant_that_won_everything_gets_a_large_finite_rating() {
    // 5 wins of 5: the slope in d is 5·(1 − σ(d)) − λd/2, zero at d = 7.2312 (by bisection),
    // where without the ridge it would climb forever.
    let r = fit(2, &[Match::new(0, 1, 1.0); 5]).unwrap();
    let d = gap(&r, 0, 1);
    assert!((d - 7.2312).abs() < 1e-3, "{d}");
    assert!(r.converged);
}

#[test]
fn a_contestant_that_never_played_gets_no_rating_and_no_interval() {
    let matches = [
        Match::new(0, 1, 1.0),
        Match::new(1, 2, 0.5),
        Match::new(2, 0, 0.0),
    ];
    let r = fit_with_intervals(4, &matches, 50, 1).unwrap();
    let idle = &r.contestants[3];
    assert_eq!((idle.matches, idle.replicates), (0, 0));
    assert_eq!((idle.beta, idle.elo, idle.interval), (None, None, None));
    assert_eq!(r.win_probability(0, 3), None);
    assert_eq!(r.difference(0, 3), None);
    assert!(r.connected, "the three that played are linked");
    assert!(r.contestants[..3].iter().all(|c| c.interval.is_some()));
    // Zero-weight and self matches do not count as played.
    let r = fit(
        3,
        &[Match::new(0, 1, 1.0), Match::new(2, 0, 1.0).weighted(0.0)],
    )
    .unwrap();
    assert_eq!((r.contestants[2].matches, r.contestants[2].beta), (0, None));
}

#[test]
fn two_parts_that_never_met_are_reported_as_not_connected() {
    let r = fit(4, &[Match::new(0, 1, 1.0), Match::new(2, 3, 1.0)]).unwrap();
    assert!(!r.connected);
    let r = fit(
        4,
        &[
            Match::new(0, 1, 1.0),
            Match::new(2, 3, 1.0),
            Match::new(1, 2, 0.5),
        ],
    )
    .unwrap();
    assert!(r.connected);
}

#[test]
fn the_bootstrap_is_fixed_by_its_seed() {
    let matches = simulate(&[0.0, 0.5, -0.5], 20, 3);
    let a = fit_with_intervals(3, &matches, 40, 17).unwrap();
    assert_eq!(a, fit_with_intervals(3, &matches, 40, 17).unwrap());
    assert_ne!(a, fit_with_intervals(3, &matches, 40, 18).unwrap());
    // No replicates, no intervals; no matches, no ratings.
    let none = fit(3, &matches).unwrap();
    assert!(none.contestants.iter().all(|c| c.interval.is_none()));
    let empty = fit_with_intervals(3, &[], 40, 1).unwrap();
    assert_eq!(empty.replicates, 0);
    assert!(empty.contestants.iter().all(|c| c.beta.is_none()));
}

#[test]
fn percentiles_interpolate_between_order_statistics() {
    // Five values: rank 0.025·4 = 0.1 → 1 + 0.1·(2 − 1) = 1.1; rank 3.9 → 4 + 0.9 = 4.9.
    let (lo, hi) = percentile_interval(&mut [5.0, 1.0, 4.0, 2.0, 3.0]).unwrap();
    assert!(
        (lo - 1.1).abs() < 1e-12 && (hi - 4.9).abs() < 1e-12,
        "{lo} {hi}"
    );
    assert_eq!(percentile_interval(&mut [2.0]), Some((2.0, 2.0)));
    assert_eq!(percentile_interval(&mut []), None);
}

#[test]
fn bad_matches_give_errors_never_a_panic() {
    let err = |m: Match| fit(2, &[m]).unwrap_err();
    assert!(matches!(
        err(Match::new(0, 1, f64::NAN)),
        InputError::NotAProbability { .. }
    ));
    assert!(matches!(
        err(Match::new(0, 1, 1.5)),
        InputError::NotAProbability { .. }
    ));
    assert!(matches!(
        err(Match::new(0, 2, 1.0)),
        InputError::ContestantOutOfRange { .. }
    ));
    let bad_weight = Match::new(0, 1, 1.0).weighted(-1.0);
    assert!(matches!(err(bad_weight), InputError::BadWeight { .. }));
    let nan_weight = Match::new(0, 1, 1.0).weighted(f64::NAN);
    assert!(matches!(err(nan_weight), InputError::BadWeight { .. }));
    let huge = Match::new(0, 1, 1.0).weighted(1e300);
    assert!(matches!(err(huge), InputError::TotalWeight { .. }));
    assert!(fit(MAX_CONTESTANTS + 1, &[]).is_err());
    assert!(fit_with_intervals(2, &[Match::new(0, 1, 1.0)], MAX_REPLICATES + 1, 0).is_err());
    assert!(fit_with_intervals(1000, &[Match::new(0, 1, 1.0)], 20_000, 0).is_err());
    // Tiny weights leave the ridge in charge: ratings near 0, but defined.
    let r = fit(2, &[Match::new(0, 1, 1.0).weighted(1e-300)]).unwrap();
    assert!(gap(&r, 0, 1).abs() < 1e-6);
    assert!(fit(0, &[]).unwrap().contestants.is_empty());
}

#[test]
fn the_schedule_plays_every_pair_before_repeating_any() {
    // Four contestants, none played: (0,1), then (2,3) whose players have 0 games against 2,
    // then (0,2) (all pairs left have 2 games between their players; lowest first), then
    // (1,3) (2 games against 3 for the others), then (0,3) and (1,2) (4 each; lowest first).
    // Then every pair has met once and all ratings are equal: the second round starts, with
    // the lower index second on a second meeting.
    let got = schedule(4, 9, &[]).unwrap();
    let round = [(0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2)];
    assert_eq!(got[..6], round);
    assert_eq!(got[6..], [(1, 0), (3, 2), (2, 0)]);
    // Pairs already played are not repeated while others have not met.
    let played = [Match::new(0, 1, 1.0)];
    assert_eq!(schedule(3, 2, &played).unwrap(), [(0, 2), (1, 2)]);
    // Every pair of 6 contestants once in the first 15 picks.
    let got = schedule(6, 15, &[]).unwrap();
    let mut pairs: Vec<(usize, usize)> = got.iter().map(|&(i, j)| (i.min(j), i.max(j))).collect();
    pairs.sort_unstable();
    pairs.dedup();
    assert_eq!(pairs.len(), 15);
}

#[test]
fn once_all_have_met_the_schedule_prefers_close_ratings_and_few_meetings() {
    // 0 and 1 split 10 matches; 2 beats both 10 of 10. σ(β_2 − β_0) is near 1, so
    // p(1 − p)/(10 + 1) is far below (0,1)'s 0.25/11 and then 0.25/12.
    let mut played = Vec::new();
    for n in 0..10 {
        played.push(Match::new(0, 1, if n % 2 == 0 { 1.0 } else { 0.0 }));
        played.push(Match::new(2, 0, 1.0));
        played.push(Match::new(2, 1, 1.0));
    }
    assert_eq!(schedule(3, 2, &played).unwrap(), [(0, 1), (1, 0)]);
    // Equal ratings (all ties), (0,1) met 3 times, the others once: 0.25/2 beats 0.25/4, so
    // (0,2) and (1,2) come first, each on its second meeting (lower index second).
    let mut played = vec![Match::new(0, 1, 0.5); 3];
    played.push(Match::new(0, 2, 0.5));
    played.push(Match::new(1, 2, 0.5));
    assert_eq!(schedule(3, 2, &played).unwrap(), [(2, 0), (2, 1)]);
}

#[test]
fn the_schedule_handles_degenerate_requests() {
    assert_eq!(schedule(0, 5, &[]).unwrap(), []);
    assert_eq!(schedule(1, 5, &[]).unwrap(), []);
    assert_eq!(schedule(4, 0, &[]).unwrap(), []);
    assert!(schedule(3, MAX_BUDGET + 1, &[]).is_err());
    assert!(schedule(MAX_CONTESTANTS + 1, 1, &[]).is_err());
    assert!(schedule(2, 1, &[Match::new(0, 5, 1.0)]).is_err());
}

#[test]
fn the_schedule_within_room_skips_full_pairs_and_stops_when_none_has_room() {
    // (0,1) may meet once more, (0,2) never, (1,2) twice: with 5 asked for, the picks are
    // (0,1) and (1,2) (round 1, (0,2) has no room), then (1,2)'s second meeting (2 first),
    // then nothing has room.
    let room = |i: usize, j: usize| match (i, j) {
        (0, 1) => 1,
        (1, 2) => 2,
        _ => 0,
    };
    let got = schedule_within(3, 5, &[], &room).unwrap();
    assert_eq!(got, [(0, 1), (1, 2), (2, 1)]);
    // Unlimited room is the plain schedule.
    let all = |_: usize, _: usize| usize::MAX;
    assert_eq!(
        schedule_within(4, 9, &[], &all).unwrap(),
        schedule(4, 9, &[]).unwrap()
    );
}
