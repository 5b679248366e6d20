//! Configurations of the judge an eval compares side by side, as the paper's figure does: one
//! principle (drawn per question as the pipeline draws it, or a named one), the ensemble,
//! chain of thought, each with both orders or one.
//!
//! Written as `MODE[:PRINCIPLE][/one-order]`: `single`, `single:less-harmful`, `ensemble`,
//! `chain-of-thought`, `single/one-order`; `each` stands for every enabled comparison principle
//! alone.

use serde::{Deserialize, Serialize};

use crate::constitution::{ComparisonMode, Constitution};

/// How one configuration picks its principles and asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// As written on the command line (and in the tables).
    pub name: String,
    pub mode: ComparisonMode,
    /// A fixed principle instead of one drawn per question (single and chain of thought).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principle: Option<String>,
    pub both_orders: bool,
}

/// The configurations run when none are named: one principle in both orders and in one, the
/// ensemble, chain of thought.
pub const DEFAULT_CONFIGS: [&str; 4] =
    ["single", "single/one-order", "ensemble", "chain-of-thought"];

impl EvalConfig {
    /// Parses one configuration (`each` is expanded by [`parse_configs`]).
    pub fn parse(spec: &str, constitution: &Constitution) -> Result<EvalConfig, String> {
        let spec = spec.trim();
        let (head, both_orders) = match spec.strip_suffix("/one-order") {
            Some(head) => (head, false),
            None => (spec, true),
        };
        let (mode, principle) = match head.split_once(':') {
            Some((mode, principle)) => (mode, Some(principle.trim().to_string())),
            None => (head, None),
        };
        let mode = match mode {
            "single" => ComparisonMode::Single,
            "ensemble" => ComparisonMode::Ensemble,
            "chain-of-thought" | "cot" => ComparisonMode::ChainOfThought,
            other => {
                return Err(format!(
                    "unknown configuration `{other}` in `{spec}`: use single, ensemble or \
                     chain-of-thought, with :PRINCIPLE and /one-order if wanted, or each"
                ))
            }
        };
        if let Some(id) = &principle {
            if mode == ComparisonMode::Ensemble {
                return Err(format!(
                    "`{spec}`: an ensemble draws its principles; name one with single:ID"
                ));
            }
            if !constitution
                .enabled_comparisons()
                .iter()
                .any(|c| &c.id == id)
            {
                let ids: Vec<&str> = constitution
                    .enabled_comparisons()
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect();
                return Err(format!(
                    "`{spec}`: the constitution has no enabled comparison principle `{id}` (it has {})",
                    ids.join(", ")
                ));
            }
        }
        Ok(EvalConfig {
            name: spec.to_string(),
            mode,
            principle,
            both_orders,
        })
    }
}

/// The configurations `specs` name (the defaults when empty), `each` expanded, duplicates
/// dropped.
pub fn parse_configs(
    specs: &[String],
    constitution: &Constitution,
) -> Result<Vec<EvalConfig>, String> {
    if constitution.enabled_comparisons().is_empty() {
        return Err(format!(
            "the constitution `{}` has no enabled comparison principles to ask with\n  fix: add [[comparisons]] (constitutions/harmless.toml has examples)",
            constitution.name
        ));
    }
    let defaults: Vec<String> = DEFAULT_CONFIGS.iter().map(|s| s.to_string()).collect();
    let specs = if specs.is_empty() { &defaults } else { specs };
    let mut out: Vec<EvalConfig> = Vec::new();
    for spec in specs {
        let expanded: Vec<String> = if spec.trim() == "each" {
            constitution
                .enabled_comparisons()
                .iter()
                .map(|c| format!("single:{}", c.id))
                .collect()
        } else {
            vec![spec.clone()]
        };
        for one in expanded {
            let config = EvalConfig::parse(&one, constitution)?;
            if !out.iter().any(|c| c.name == config.name) {
                out.push(config);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constitution() -> Constitution {
        crate::constitution::parse_constitution(
            "name = \"c\"\n[settings.comparison]\nensemble_size = 2\n[[principles]]\nid = \"p\"\ncritique = \"c\"\nrevision = \"r\"\n\
             [[comparisons]]\nid = \"kind\"\nquestion = \"Which is kinder?\"\n\
             [[comparisons]]\nid = \"safe\"\nquestion = \"Which is safer?\"\n",
            None,
        )
        .unwrap()
    }

    #[test]
    fn the_defaults_are_one_principle_both_ways_and_one_the_ensemble_and_chain_of_thought() {
        let configs = parse_configs(&[], &constitution()).unwrap();
        let shapes: Vec<(ComparisonMode, bool)> =
            configs.iter().map(|c| (c.mode, c.both_orders)).collect();
        assert_eq!(
            shapes,
            vec![
                (ComparisonMode::Single, true),
                (ComparisonMode::Single, false),
                (ComparisonMode::Ensemble, true),
                (ComparisonMode::ChainOfThought, true)
            ]
        );
    }

    #[test]
    fn each_expands_to_every_principle_alone_and_bad_specs_say_why() {
        let c = constitution();
        let configs = parse_configs(&["each".into(), "single:kind".into()], &c).unwrap();
        let names: Vec<&str> = configs.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["single:kind", "single:safe"]);
        assert_eq!(configs[1].principle.as_deref(), Some("safe"));
        let err = EvalConfig::parse("single:nope", &c).unwrap_err();
        assert!(err.contains("it has kind, safe"), "{err}");
        assert!(EvalConfig::parse("majority", &c)
            .unwrap_err()
            .contains("unknown configuration"));
        let cot = EvalConfig::parse("cot:safe/one-order", &c).unwrap();
        assert_eq!(
            (cot.mode, cot.principle.as_deref(), cot.both_orders),
            (ComparisonMode::ChainOfThought, Some("safe"), false)
        );
    }
}
