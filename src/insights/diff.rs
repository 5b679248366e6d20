//! A principle-level diff of two constitutions: which critique and comparison principles one
//! has and the other lacks, which changed text or were switched on or off, and which settings
//! differ. Shown beside A/B numbers and in `cai report --against`.

use serde::Serialize;

use crate::constitution::Constitution;

/// How one principle differs between A and B.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "change")]
pub enum PrincipleChange {
    /// Only in A.
    OnlyA { id: String },
    /// Only in B.
    OnlyB { id: String },
    /// In both, with these fields different (e.g. "critique", "enabled").
    Changed { id: String, fields: Vec<String> },
}

impl PrincipleChange {
    /// One line: `- harm (only in A)`, `~ honest: critique, enabled`.
    pub fn line(&self) -> String {
        match self {
            PrincipleChange::OnlyA { id } => format!("- {id} (only in A)"),
            PrincipleChange::OnlyB { id } => format!("+ {id} (only in B)"),
            PrincipleChange::Changed { id, fields } => format!("~ {id}: {}", fields.join(", ")),
        }
    }
}

/// The differences between constitution A and constitution B.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConstitutionDiff {
    pub critique: Vec<PrincipleChange>,
    pub comparison: Vec<PrincipleChange>,
    /// `settings.path: A -> B` for each setting that differs.
    pub settings: Vec<String>,
    /// Whether the few-shot examples differ.
    pub examples_differ: bool,
}

impl ConstitutionDiff {
    /// Whether the two constitutions have the same principles, settings and examples.
    pub fn is_empty(&self) -> bool {
        self.critique.is_empty()
            && self.comparison.is_empty()
            && self.settings.is_empty()
            && !self.examples_differ
    }
}

/// Fields of a principle, by name, for comparing.
type Fields = Vec<(&'static str, String)>;

/// Compares A with B.
pub fn diff(a: &Constitution, b: &Constitution) -> ConstitutionDiff {
    let critique = |c: &Constitution| -> Vec<(String, Fields)> {
        c.principles
            .iter()
            .map(|p| {
                let fields = vec![
                    ("critique", p.critique.clone()),
                    ("revision", p.revision.clone()),
                    ("enabled", p.enabled.to_string()),
                ];
                (p.id.clone(), fields)
            })
            .collect()
    };
    let comparison = |c: &Constitution| -> Vec<(String, Fields)> {
        c.comparisons
            .iter()
            .map(|p| {
                let fields = vec![
                    ("question", p.question.clone()),
                    ("enabled", p.enabled.to_string()),
                ];
                (p.id.clone(), fields)
            })
            .collect()
    };
    ConstitutionDiff {
        critique: principle_changes(&critique(a), &critique(b)),
        comparison: principle_changes(&comparison(a), &comparison(b)),
        settings: settings_changes(a, b),
        examples_differ: a.examples != b.examples,
    }
}

fn principle_changes(a: &[(String, Fields)], b: &[(String, Fields)]) -> Vec<PrincipleChange> {
    let mut out = Vec::new();
    for (id, fields_a) in a {
        match b.iter().find(|(other, _)| other == id) {
            None => out.push(PrincipleChange::OnlyA { id: id.clone() }),
            Some((_, fields_b)) => {
                let fields: Vec<String> = fields_a
                    .iter()
                    .zip(fields_b)
                    .filter(|(x, y)| x.1 != y.1)
                    .map(|(x, _)| x.0.to_string())
                    .collect();
                if !fields.is_empty() {
                    out.push(PrincipleChange::Changed {
                        id: id.clone(),
                        fields,
                    });
                }
            }
        }
    }
    for (id, _) in b {
        if !a.iter().any(|(other, _)| other == id) {
            out.push(PrincipleChange::OnlyB { id: id.clone() });
        }
    }
    out
}

/// Settings that differ, as `path: A -> B`, from their JSON form.
fn settings_changes(a: &Constitution, b: &Constitution) -> Vec<String> {
    let (Ok(a), Ok(b)) = (
        serde_json::to_value(&a.settings),
        serde_json::to_value(&b.settings),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk("settings", &a, &b, &mut out);
    out
}

fn walk(path: &str, a: &serde_json::Value, b: &serde_json::Value, out: &mut Vec<String>) {
    match (a, b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => {
            for (key, value) in x {
                let null = serde_json::Value::Null;
                walk(
                    &format!("{path}.{key}"),
                    value,
                    y.get(key).unwrap_or(&null),
                    out,
                );
            }
        }
        _ if a != b => out.push(format!("{path}: {} -> {}", shown(a), shown(b))),
        _ => {}
    }
}

/// A setting's value as written: f32 settings without the digits widening to f64 adds.
fn shown(value: &serde_json::Value) -> String {
    match value.as_f64() {
        Some(x) if value.is_f64() && f64::from(x as f32) == x => format!("{}", x as f32),
        _ => value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constitution::{ComparisonPrinciple, Principle};

    fn principle(id: &str, critique: &str) -> Principle {
        Principle {
            id: id.into(),
            critique: critique.into(),
            revision: "Rewrite it.".into(),
            enabled: true,
        }
    }

    fn constitution(principles: Vec<Principle>) -> Constitution {
        Constitution {
            name: "c".into(),
            description: String::new(),
            settings: Default::default(),
            principles,
            comparisons: vec![ComparisonPrinciple {
                id: "kinder".into(),
                question: "Which is kinder?".into(),
                enabled: true,
            }],
            examples: vec![],
        }
    }

    #[test]
    fn added_removed_and_changed_principles_and_settings_are_listed() {
        let a = constitution(vec![
            principle("harm", "Is it harmful?"),
            principle("old", "x"),
        ]);
        let mut b = constitution(vec![
            principle("harm", "Could it hurt anyone?"),
            principle("new", "y"),
        ]);
        b.principles[0].enabled = false;
        b.comparisons[0].question = "Which is gentler?".into();
        b.settings.rounds = 3;
        b.settings.repetition.dry_multiplier = 1.2;
        let d = diff(&a, &b);
        let lines: Vec<String> = d.critique.iter().map(PrincipleChange::line).collect();
        assert_eq!(
            lines,
            [
                "~ harm: critique, enabled",
                "- old (only in A)",
                "+ new (only in B)"
            ]
        );
        assert_eq!(d.comparison[0].line(), "~ kinder: question");
        assert_eq!(
            d.settings,
            [
                "settings.rounds: 2 -> 3",
                "settings.repetition.dry_multiplier: 0.8 -> 1.2"
            ]
        );
        assert!(!d.examples_differ);
        assert!(diff(&a, &a).is_empty());
    }
}
