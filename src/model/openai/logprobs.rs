//! Option probabilities from a server's top logprobs.
//!
//! A server lists the N most likely next tokens with their logprobs (natural logs, except
//! mistral.rs 0.8's server, which gives base-10 ones). The same option can come back spelled
//! several ways (`A`, ` A`, `A)`): their probabilities are summed. Then the options are
//! normalised over each other, as the in-process backend does with its two logits.
//!
//! **The floor.** An option missing from the top N has at most the smallest probability listed
//! (it would be listed otherwise). It is given exactly that bound, and the reading is marked
//! `floored`: the listed option's probability is then a lower bound of what a full distribution
//! would give, never a silent 0.5 or 1.0. When no option is listed at all the model did not
//! answer with an option letter, and that is an error rather than a guess.

use super::wire::TopToken;

/// Normalised option probabilities, and whether a bound stood in for a missing option.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionReading {
    pub probabilities: Vec<f64>,
    pub floored: bool,
}

/// Reads the options' probabilities from `top` (logprobs in base `base`).
pub fn read_options(
    top: &[TopToken],
    options: &[&str],
    base: f64,
) -> Result<OptionReading, String> {
    if options.is_empty() {
        return Err("no options to score".to_string());
    }
    let probability = |t: &TopToken| (t.logprob * base.ln()).exp();
    let listed: Vec<(String, f64)> = top
        .iter()
        .filter(|t| t.logprob.is_finite())
        .map(|t| (t.token.clone(), probability(t)))
        .collect();
    let smallest = listed.iter().map(|(_, p)| *p).fold(f64::INFINITY, f64::min);
    let found: Vec<Option<f64>> = options
        .iter()
        .map(|option| {
            let matching: Vec<f64> = listed
                .iter()
                .filter(|(token, _)| spells_option(token, option))
                .map(|(_, p)| *p)
                .collect();
            (!matching.is_empty()).then(|| matching.iter().sum())
        })
        .collect();
    if found.iter().all(Option::is_none) {
        let shown: Vec<String> = listed
            .iter()
            .take(8)
            .map(|(t, p)| format!("{t:?} {p:.3}"))
            .collect();
        return Err(format!(
            "none of the options {options:?} is among the {} most likely tokens, so the model did \
             not answer with an option (most likely: {})",
            listed.len(),
            shown.join(", ")
        ));
    }
    let floored = found.iter().any(Option::is_none);
    let raw: Vec<f64> = found.iter().map(|p| p.unwrap_or(smallest)).collect();
    let total: f64 = raw.iter().sum();
    if !(total.is_finite() && total > 0.0) {
        return Err(format!(
            "the options' probabilities {raw:?} do not add up to a positive number"
        ));
    }
    Ok(OptionReading {
        probabilities: raw.iter().map(|p| p / total).collect(),
        floored,
    })
}

/// Whether a listed token spells `option`: after leading spaces (or a tokenizer's space
/// marker) and an optional `(`, the option itself, followed by nothing but punctuation.
pub fn spells_option(token: &str, option: &str) -> bool {
    let rest = token.trim_start_matches(|c: char| c.is_whitespace() || c == '▁' || c == 'Ġ');
    let rest = rest.strip_prefix('(').unwrap_or(rest);
    match rest.strip_prefix(option) {
        Some(tail) => tail.chars().all(|c| !c.is_alphanumeric() && c != '_'),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(list: &[(&str, f64)]) -> Vec<TopToken> {
        list.iter()
            .map(|(t, lp)| TopToken {
                token: t.to_string(),
                logprob: *lp,
            })
            .collect()
    }

    #[test]
    fn spellings_of_an_option_are_recognised() {
        for yes in ["A", " A", "A)", "(A", " (A).", "▁A", "ĠA", "A\n"] {
            assert!(spells_option(yes, "A"), "{yes:?}");
        }
        for no in ["An", " Apple", "B", "", "a", "A1", "A_"] {
            assert!(!spells_option(no, "A"), "{no:?}");
        }
    }

    #[test]
    fn variants_are_summed_and_options_normalised() {
        let t = top(&[
            ("A", 0.5f64.ln()),
            (" A", 0.1f64.ln()),
            ("B", 0.2f64.ln()),
            ("The", 0.1f64.ln()),
        ]);
        let r = read_options(&t, &["A", "B"], std::f64::consts::E).unwrap();
        assert!(!r.floored);
        assert!(
            (r.probabilities[0] - 0.75).abs() < 1e-12,
            "{:?}",
            r.probabilities
        );
        assert!((r.probabilities[1] - 0.25).abs() < 1e-12);
    }

    #[test]
    fn a_missing_option_gets_the_smallest_listed_probability_and_is_marked() {
        let t = top(&[
            ("A", 0.9f64.ln()),
            ("The", 0.05f64.ln()),
            ("I", 0.01f64.ln()),
        ]);
        let r = read_options(&t, &["A", "B"], std::f64::consts::E).unwrap();
        assert!(r.floored);
        assert!(
            (r.probabilities[1] - 0.01 / 0.91).abs() < 1e-12,
            "{:?}",
            r.probabilities
        );
        assert!(r.probabilities[0] < 1.0 && r.probabilities[0] != 0.5);
    }

    #[test]
    fn no_option_at_all_is_an_error_not_a_half() {
        let t = top(&[("The", -0.1), ("I", -3.0)]);
        let e = read_options(&t, &["A", "B"], std::f64::consts::E).unwrap_err();
        assert!(e.contains("did not answer with an option"), "{e}");
        assert!(e.contains("\"The\""), "{e}");
    }

    #[test]
    fn base_ten_logprobs_are_read_as_such() {
        // P(A) = 0.8, P(B) = 0.2, written as base-10 logarithms.
        let t = top(&[("A", 0.8f64.log10()), ("B", 0.2f64.log10())]);
        let r = read_options(&t, &["A", "B"], 10.0).unwrap();
        assert!((r.probabilities[0] - 0.8).abs() < 1e-12);
        // Read as natural logs the same numbers would give another answer.
        let wrong = read_options(&t, &["A", "B"], std::f64::consts::E).unwrap();
        assert!((wrong.probabilities[0] - 0.8).abs() > 0.05);
    }
}
