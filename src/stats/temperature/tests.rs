use super::*;
use crate::stats::calibration::accuracy;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() < tol
}

/// Weighted two-option items whose labels follow a judge at temperature `t0`: at each log-odds
/// z the judge says P(A) = σ(z), and A is correct with weight σ(z/t0), B with 1 − σ(z/t0).
/// The weighted NLL's slope in s = 1/T is Σ_z z·(σ(s·z) − σ(z/t0)), zero exactly at s = 1/t0.
fn binary_at(t0: f64) -> (Vec<(Vec<f64>, usize)>, Vec<f64>) {
    let mut items = Vec::new();
    let mut weights = Vec::new();
    for z in [-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0] {
        let p = vec![sigmoid(z), sigmoid(-z)];
        items.push((p.clone(), 0));
        weights.push(sigmoid(z / t0));
        items.push((p, 1));
        weights.push(sigmoid(-z / t0));
    }
    (items, weights)
}

#[test]
fn apply_matches_hand_values() {
    // T = 2 takes square roots: √0.8 : √0.2 = 2 : 1, so (2/3, 1/3).
    let p = apply(&[0.8, 0.2], 2.0).unwrap();
    assert!(
        close(p[0], 2.0 / 3.0, 1e-12) && close(p[1], 1.0 / 3.0, 1e-12),
        "{p:?}"
    );
    // T = 1/2 squares: 0.25 : 0.0625 : 0.0625 = 4 : 1 : 1, so (2/3, 1/6, 1/6).
    let p = apply(&[0.5, 0.25, 0.25], 0.5).unwrap();
    assert!(
        close(p[0], 2.0 / 3.0, 1e-12) && close(p[2], 1.0 / 6.0, 1e-12),
        "{p:?}"
    );
    // T = 1 changes nothing.
    let p = apply(&[0.6, 0.3, 0.1], 1.0).unwrap();
    assert!(close(p[0], 0.6, 1e-12) && close(p[1], 0.3, 1e-12) && close(p[2], 0.1, 1e-12));
    // Binary: σ(logit(0.8) / 2) = σ(ln 4 / 2) = σ(ln 2) = 2/3.
    assert!(close(apply_binary(0.8, 2.0).unwrap(), 2.0 / 3.0, 1e-12));
    for (pa, t) in [(0.8, 2.0), (0.1, 0.3), (0.5, 7.0), (0.999, 40.0)] {
        let full = apply(&[pa, 1.0 - pa], t).unwrap()[0];
        assert!(close(apply_binary(pa, t).unwrap(), full, 1e-12), "{pa} {t}");
    }
}

#[test]
fn apply_is_defined_at_certainty_and_refuses_bad_temperatures() {
    // p = 1 is clamped to 1 − 1e-12: logit 27.631; at T = 1 that is 1 − 1e-12 again.
    assert!(close(apply_binary(1.0, 1.0).unwrap(), 1.0 - 1e-12, 1e-15));
    assert!(close(apply_binary(0.0, 1.0).unwrap(), 1e-12, 1e-15));
    // At T = 10: σ(27.631 / 10) = σ(2.7631) = 0.940649.
    assert!(close(apply_binary(1.0, 10.0).unwrap(), 0.940_649, 1e-6));
    let p = apply(&[1.0, 0.0], 1.0).unwrap();
    assert!(
        p.iter().all(|x| x.is_finite()) && close(p[1], 1e-12, 1e-15),
        "{p:?}"
    );
    // A tiny T sharpens to certainty without NaN; T = ∞ gives the uniform answer.
    assert_eq!(apply(&[0.6, 0.4], 1e-300).unwrap(), [1.0, 0.0]);
    assert_eq!(
        apply(&[0.9, 0.05, 0.05], f64::INFINITY).unwrap(),
        [1.0 / 3.0; 3]
    );
    assert_eq!(apply_binary(0.9, f64::INFINITY), Some(0.5));
    for t in [0.0, -1.0, f64::NAN, f64::NEG_INFINITY] {
        assert_eq!(apply(&[0.5, 0.5], t), None);
        assert_eq!(apply_binary(0.5, t), None);
    }
    assert_eq!(apply(&[0.5, f64::NAN], 1.0), None);
    assert_eq!(apply(&[1.0], 1.0), None);
    assert_eq!(apply_binary(f64::NAN, 1.0), None);
    assert_eq!(apply_binary(1.5, 1.0), None);
}

#[test]
fn nll_before_is_the_hand_value_and_the_fit_does_not_raise_it() {
    // −ln 0.8 = 0.223144 and −ln 0.4 = 0.916291; mean 0.569717.
    let items = vec![(vec![0.8, 0.2], 0), (vec![0.6, 0.4], 1)];
    let f = fit(&items).unwrap();
    assert!(close(f.nll_before, 0.569_717, 1e-6), "{f:?}");
    assert!(f.nll_after <= f.nll_before);
    assert_eq!(f.items, 2);
}

#[test]
fn fit_recovers_a_known_temperature_within_a_percent() {
    for t0 in [0.5, 3.0] {
        let (items, weights) = binary_at(t0);
        let f = fit_weighted(&items, &weights).unwrap();
        assert!((f.t / t0 - 1.0).abs() < 0.01, "T0 = {t0}: {f:?}");
        // The data are exact, so the search is far tighter than the percent asked.
        assert!((f.t / t0 - 1.0).abs() < 1e-6, "T0 = {t0}: {f:?}");
        assert_eq!(f.bound, None);
        assert!(f.nll_after < f.nll_before);
    }
}

#[test]
fn fit_recovers_a_known_temperature_on_three_way_items() {
    // Each judge answer p carries correct option c with weight softmax(ln p / T0)_c.
    let answers = [
        vec![0.7, 0.2, 0.1],
        vec![0.1, 0.6, 0.3],
        vec![0.3, 0.3, 0.4],
        vec![0.05, 0.15, 0.8],
    ];
    for t0 in [0.5, 3.0] {
        let mut items = Vec::new();
        let mut weights = Vec::new();
        for p in &answers {
            let truth = apply(p, t0).unwrap();
            for (c, w) in truth.into_iter().enumerate() {
                items.push((p.clone(), c));
                weights.push(w);
            }
        }
        let f = fit_weighted(&items, &weights).unwrap();
        assert!((f.t / t0 - 1.0).abs() < 1e-6, "T0 = {t0}: {f:?}");
    }
}

#[test]
fn fit_leaves_argmax_accuracy_unchanged() {
    // An overconfident judge: 0.99 on its choice, right on 5 of 8 (two- and three-way).
    let items = vec![
        (vec![0.99, 0.01], 0),
        (vec![0.01, 0.99], 1),
        (vec![0.99, 0.01], 0),
        (vec![0.99, 0.01], 1),
        (vec![0.01, 0.99], 0),
        (vec![0.98, 0.01, 0.01], 0),
        (vec![0.01, 0.01, 0.98], 2),
        (vec![0.01, 0.98, 0.01], 0),
    ];
    let f = fit(&items).unwrap();
    assert!(f.t > 1.5, "the fit should soften this judge: {f:?}");
    let scaled: Vec<(Vec<f64>, usize)> = items
        .iter()
        .map(|(p, c)| (apply(p, f.t).unwrap(), *c))
        .collect();
    assert_eq!(accuracy(&items).unwrap(), accuracy(&scaled).unwrap());
    assert_eq!(accuracy(&scaled).unwrap().k, 5.0);
    let argmax = |p: &[f64]| (0..p.len()).fold(0, |b, i| if p[i] > p[b] { i } else { b });
    for ((p, _), (q, _)) in items.iter().zip(&scaled) {
        assert_eq!(argmax(p), argmax(q));
    }
}

#[test]
fn judge_independent_of_the_truth_hits_the_upper_bound_with_labels_near_a_half() {
    // Every answer appears once with A correct and once with B: P(A) says nothing.
    let items: Vec<(Vec<f64>, usize)> = [0.9, 0.7, 0.2, 0.6, 0.95, 0.1]
        .iter()
        .flat_map(|&pa| [(vec![pa, 1.0 - pa], 0), (vec![pa, 1.0 - pa], 1)])
        .collect();
    let f = fit(&items).unwrap();
    assert_eq!(f.bound, Some(Bound::Upper), "{f:?}");
    assert!((f.t / T_MAX - 1.0).abs() < 1e-5, "{f:?}");
    assert!(f.note().unwrap().contains("upper bound"));
    for (p, _) in &items {
        let a = apply_binary(p[0], f.t).unwrap();
        assert!((a - 0.5).abs() < 0.01, "{a}");
    }
    // At T = 1000 every item costs about ln 2 = 0.693147.
    assert!(close(f.nll_after, std::f64::consts::LN_2, 1e-5), "{f:?}");
    // Three options likewise: labels near 1/3.
    let p = vec![0.6, 0.3, 0.1];
    let items: Vec<(Vec<f64>, usize)> = (0..3).map(|c| (p.clone(), c)).collect();
    let f = fit(&items).unwrap();
    assert_eq!(f.bound, Some(Bound::Upper));
    assert!(apply(&p, f.t)
        .unwrap()
        .iter()
        .all(|x| (x - 1.0 / 3.0).abs() < 0.01));
}

#[test]
fn judge_never_wrong_hits_the_lower_bound() {
    let items = vec![(vec![0.7, 0.3], 0), (vec![0.2, 0.8], 1)];
    let f = fit(&items).unwrap();
    assert_eq!(f.bound, Some(Bound::Lower), "{f:?}");
    assert!((f.t / T_MIN - 1.0).abs() < 1e-5, "{f:?}");
    assert!(f.note().unwrap().contains("lower bound"));
}

#[test]
fn fit_refuses_empty_and_bad_input() {
    assert_eq!(fit(&[]), Err(InputError::NoItems));
    assert!(fit(&[(vec![0.5, f64::NAN], 0)]).is_err());
    assert!(fit(&[(vec![0.5, 0.5], 2)]).is_err());
    assert!(fit(&[(vec![1.0], 0)]).is_err());
    let items = vec![(vec![0.6, 0.4], 0)];
    assert_eq!(fit_weighted(&items, &[0.0]), Err(InputError::NoItems));
    assert!(fit_weighted(&items, &[f64::NAN]).is_err());
    assert!(fit_weighted(&items, &[1.0, 1.0]).is_err());
    // Certain answers, right and wrong, still give a finite fit.
    let f = fit(&[(vec![1.0, 0.0], 0), (vec![0.0, 1.0], 0)]).unwrap();
    assert!(f.t.is_finite() && f.nll_after.is_finite() && f.nll_before.is_finite());
}

#[test]
fn split_halves_is_seeded_disjoint_and_complete() {
    let (a, b) = split_halves(10, 7).unwrap();
    assert_eq!((a.len(), b.len()), (5, 5));
    let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
    all.sort_unstable();
    assert_eq!(all, (0..10).collect::<Vec<_>>());
    assert!(a.windows(2).all(|w| w[0] < w[1]) && b.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(split_halves(10, 7).unwrap(), (a.clone(), b));
    assert_ne!(a, (0..5).collect::<Vec<_>>(), "the split is shuffled");
    assert_ne!(
        split_halves(10, 8).unwrap().0,
        a,
        "another seed, another split"
    );
    assert_eq!(split_halves(0, 1).unwrap(), (vec![], vec![]));
    assert_eq!(split_halves(1, 1).unwrap(), (vec![], vec![0]));
    let (a, b) = split_halves(11, 3).unwrap();
    assert_eq!((a.len(), b.len()), (5, 6));
    assert_eq!(split_halves(usize::MAX, 1), None);
}
