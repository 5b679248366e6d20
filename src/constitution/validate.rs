//! Semantic checks of a [`Constitution`] that the type system cannot express: non-empty texts,
//! simple unique ids, settings in range. Every problem is reported with the path of the field
//! it is about (`principles[3].id`), so `parse` can place it at a line and column.

use std::collections::HashMap;

use super::types::{ComparisonMode, Constitution};

/// One semantic problem: the field it concerns and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path with 0-based indices, e.g. `principles[3].id` or `settings.comparison.clamp`.
    pub path: String,
    pub message: String,
}

/// Highest token limit a constitution may ask for.
pub const MAX_TOKENS: u32 = 4096;
/// Highest number of critique/revision rounds.
pub const MAX_ROUNDS: u32 = 16;

/// True for ids made only of ASCII letters, digits, `-` and `_` (and not empty).
pub fn is_simple_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks everything; returns all problems found, in file order as far as possible.
pub fn validate(c: &Constitution) -> Vec<Problem> {
    let mut out = Problems::default();
    if c.name.trim().is_empty() {
        out.push("name", "the constitution needs a name");
    }

    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, p) in c.principles.iter().enumerate() {
        let base = format!("principles[{i}]");
        check_id(&mut out, &base, i, &p.id, &mut seen, "principles");
        non_empty(&mut out, &base, "critique", &p.critique);
        non_empty(&mut out, &base, "revision", &p.revision);
    }
    if c.principles.iter().all(|p| !p.enabled) {
        let message = if c.principles.is_empty() {
            "there are no critique/revision principles; add at least one [[principles]] table"
        } else {
            "every principle is disabled; enable at least one"
        };
        out.push("principles", message);
    }

    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, p) in c.comparisons.iter().enumerate() {
        let base = format!("comparisons[{i}]");
        check_id(&mut out, &base, i, &p.id, &mut seen, "comparisons");
        non_empty(&mut out, &base, "question", &p.question);
    }

    for (i, e) in c.examples.iter().enumerate() {
        let base = format!("examples[{i}]");
        for (field, text) in [
            ("prompt", &e.prompt),
            ("response", &e.response),
            ("critique_request", &e.critique_request),
            ("critique", &e.critique),
            ("revision_request", &e.revision_request),
            ("revision", &e.revision),
        ] {
            non_empty(&mut out, &base, field, text);
        }
    }

    check_settings(&mut out, c);
    out.0
}

fn check_settings(out: &mut Problems, c: &Constitution) {
    let s = &c.settings;
    if !(1..=MAX_ROUNDS).contains(&s.rounds) {
        out.push(
            "settings.rounds",
            format!(
                "rounds is {}; it must be between 1 and {MAX_ROUNDS}",
                s.rounds
            ),
        );
    }
    if !(0.0..=2.0).contains(&s.temperature) {
        out.push(
            "settings.temperature",
            format!(
                "temperature is {}; it must be between 0 and 2",
                s.temperature
            ),
        );
    }
    if !(s.top_p > 0.0 && s.top_p <= 1.0) {
        out.push(
            "settings.top_p",
            format!("top_p is {}; it must be above 0 and at most 1", s.top_p),
        );
    }
    for (path, value) in [
        ("settings.max_response_tokens", s.max_response_tokens),
        ("settings.max_critique_tokens", s.max_critique_tokens),
        (
            "settings.comparison.max_reasoning_tokens",
            s.comparison.max_reasoning_tokens,
        ),
    ] {
        if !(1..=MAX_TOKENS).contains(&value) {
            out.push(
                path,
                format!("{value} tokens is out of range; use 1 to {MAX_TOKENS}"),
            );
        }
    }
    if s.seed > i64::MAX as u64 {
        out.push(
            "settings.seed",
            format!(
                "seed must be at most {} (TOML integers are signed)",
                i64::MAX
            ),
        );
    }

    let cmp = &s.comparison;
    let enabled = c.comparisons.iter().filter(|p| p.enabled).count();
    if cmp.ensemble_size < 1 {
        out.push(
            "settings.comparison.ensemble_size",
            "ensemble_size must be at least 1",
        );
    } else if cmp.mode == ComparisonMode::Ensemble
        && !c.comparisons.is_empty()
        && cmp.ensemble_size as usize > enabled
    {
        out.push(
            "settings.comparison.ensemble_size",
            format!(
                "ensemble_size is {} but only {enabled} comparison principle(s) are enabled; \
                 lower ensemble_size in [settings.comparison] or add comparisons",
                cmp.ensemble_size
            ),
        );
    }
    let [lo, hi] = cmp.clamp;
    if !(0.0 <= lo && lo < hi && hi <= 1.0) {
        out.push(
            "settings.comparison.clamp",
            format!("clamp is [{lo}, {hi}]; it must satisfy 0 <= low < high <= 1"),
        );
    }
    if !(0.0..=0.5).contains(&cmp.tie_margin) {
        out.push(
            "settings.comparison.tie_margin",
            format!(
                "tie_margin is {}; it must be between 0 and 0.5",
                cmp.tie_margin
            ),
        );
    }
    check_repetition(out, &s.repetition);
}

fn check_repetition(out: &mut Problems, rep: &crate::constitution::RepetitionSettings) {
    for (field, value) in [
        ("frequency_penalty", rep.frequency_penalty),
        ("presence_penalty", rep.presence_penalty),
    ] {
        if !(-2.0..=2.0).contains(&value) {
            out.push(
                format!("settings.repetition.{field}"),
                format!("{field} is {value}; it must be between -2 and 2"),
            );
        }
    }
    if !(0.0..=5.0).contains(&rep.dry_multiplier) {
        out.push(
            "settings.repetition.dry_multiplier",
            format!(
                "dry_multiplier is {}; it must be between 0 (off) and 5",
                rep.dry_multiplier
            ),
        );
    }
    if !(1.0..=4.0).contains(&rep.dry_base) {
        out.push(
            "settings.repetition.dry_base",
            format!("dry_base is {}; it must be between 1 and 4", rep.dry_base),
        );
    }
    if !(1..=64).contains(&rep.dry_allowed_length) {
        out.push(
            "settings.repetition.dry_allowed_length",
            format!(
                "dry_allowed_length is {}; it must be between 1 and 64",
                rep.dry_allowed_length
            ),
        );
    }
}

fn check_id<'a>(
    out: &mut Problems,
    base: &str,
    index: usize,
    id: &'a str,
    seen: &mut HashMap<&'a str, usize>,
    list: &str,
) {
    let path = format!("{base}.id");
    if id.trim().is_empty() {
        out.push(path, "id must not be empty");
        return;
    }
    if !is_simple_id(id) {
        out.push(
            path.clone(),
            format!("id `{id}` may only contain letters, digits, `-` and `_`"),
        );
    }
    if let Some(first) = seen.get(id) {
        out.push(
            path,
            format!("id `{id}` is already used by {list}[{first}]"),
        );
    } else {
        seen.insert(id, index);
    }
}

fn non_empty(out: &mut Problems, base: &str, field: &str, text: &str) {
    if text.trim().is_empty() {
        out.push(
            format!("{base}.{field}"),
            format!("{field} must not be empty"),
        );
    }
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constitution::types::*;

    fn minimal() -> Constitution {
        Constitution {
            name: "m".into(),
            description: String::new(),
            settings: Settings::default(),
            principles: vec![Principle {
                id: "p".into(),
                critique: "c".into(),
                revision: "r".into(),
                enabled: true,
            }],
            comparisons: vec![ComparisonPrinciple {
                id: "q".into(),
                question: "Which?".into(),
                enabled: true,
            }],
            examples: vec![],
        }
    }

    fn paths(c: &Constitution) -> Vec<String> {
        validate(c).into_iter().map(|p| p.path).collect()
    }

    #[test]
    fn simple_ids() {
        assert!(is_simple_id("harm-2_b"));
        assert!(!is_simple_id(""));
        assert!(!is_simple_id("a.b"));
        assert!(!is_simple_id("naïve"));
    }

    #[test]
    fn ensemble_size_is_bounded_only_in_ensemble_mode() {
        let mut c = minimal();
        assert_eq!(paths(&c), ["settings.comparison.ensemble_size"]);
        c.settings.comparison.mode = ComparisonMode::Single;
        assert!(paths(&c).is_empty());
        c.settings.comparison.ensemble_size = 0;
        assert_eq!(paths(&c), ["settings.comparison.ensemble_size"]);
        // Without comparisons there is nothing to bound it by.
        let mut c = minimal();
        c.comparisons.clear();
        assert!(paths(&c).is_empty());
    }

    #[test]
    fn non_finite_and_edge_values() {
        let mut c = minimal();
        c.comparisons.clear();
        c.settings.temperature = f32::NAN;
        c.settings.top_p = 1.0;
        c.settings.comparison.clamp = [0.0, 1.0];
        c.settings.rounds = MAX_ROUNDS;
        c.settings.seed = u64::MAX;
        assert_eq!(paths(&c), ["settings.temperature", "settings.seed"]);
        c.principles[0].enabled = false;
        assert!(paths(&c).contains(&"principles".to_string()));
    }
}
