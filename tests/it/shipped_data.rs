//! Every shipped constitution and prompt set must load, and keep the sizes the documentation
//! promises.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cai_workbench::constitution::{load_constitution, ComparisonMode};
use cai_workbench::prompts::load_prompts;

fn files_in(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_constitution_is_valid() {
    let files = files_in("constitutions");
    assert!(files.len() >= 2, "{files:?}");
    for file in &files {
        if let Err(diagnostics) = load_constitution(file) {
            let all: Vec<_> = diagnostics.iter().map(ToString::to_string).collect();
            panic!("{}", all.join("\n"));
        }
    }
}

#[test]
fn harmless_has_the_promised_shape() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("constitutions/harmless.toml");
    let (c, _) = load_constitution(&path).unwrap();
    assert_eq!(c.name, "harmless");
    assert!(c.enabled_principles().len() >= 12);
    assert!(c.enabled_comparisons().len() >= 12);
    assert!(c
        .comparisons
        .iter()
        .all(|q| q.question.starts_with("Which of these responses")));
    assert_eq!(c.examples.len(), 2);
    for e in &c.examples {
        for field in [&e.prompt, &e.response, &e.critique, &e.revision] {
            assert!(
                field.len() < 240,
                "few-shot text too long for a small model: {field}"
            );
        }
        assert!(!e.revision.to_lowercase().starts_with("sure"));
    }
    let s = &c.settings;
    assert_eq!((s.rounds, s.comparison.mode), (2, ComparisonMode::Ensemble));
    assert_eq!(s.comparison.ensemble_size, 3);
    assert!(s.comparison.both_orders);
}

#[test]
fn candid_is_small_and_different() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("constitutions/candid.toml");
    let (c, _) = load_constitution(&path).unwrap();
    assert_eq!(c.name, "candid");
    assert_eq!(
        (c.principles.len(), c.comparisons.len(), c.examples.len()),
        (5, 5, 1)
    );
}

#[test]
fn shipped_prompt_sets_load_with_ids_and_categories() {
    let files = files_in("assets/prompts");
    assert!(files.len() >= 2, "{files:?}");
    for file in &files {
        let prompts = load_prompts(file).unwrap_or_else(|e| panic!("{e}"));
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(
            prompts
                .iter()
                .all(|p| p.category.is_some() && !p.id.is_empty()),
            "{name}"
        );
        match name.as_ref() {
            "red-team.jsonl" => {
                assert!(prompts.len() >= 50, "{}", prompts.len());
                let categories: HashSet<_> = prompts
                    .iter()
                    .filter_map(|p| p.category.as_deref())
                    .collect();
                for wanted in [
                    "violence",
                    "weapons",
                    "drugs",
                    "cybercrime",
                    "fraud",
                    "harassment",
                    "self-harm",
                    "privacy",
                    "hate",
                    "misinformation",
                ] {
                    assert!(categories.contains(wanted), "no {wanted} prompts");
                }
            }
            "benign.jsonl" => {
                assert!(prompts.len() >= 20);
                assert!(prompts
                    .iter()
                    .all(|p| p.category.as_deref() == Some("benign")));
            }
            _ => {}
        }
    }
}
