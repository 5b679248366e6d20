//! The exported files load with Hugging Face `datasets`, the way a TRL training run reads them:
//! each file with `load_dataset("json", ...)`, and the directory by configuration name
//! (`load_dataset(DIR, "sft")`, `load_dataset(DIR, "preferences")`) through the dataset card's
//! `configs:`; every key of the TRL recipes beside the data is a field of the dataclasses TRL's
//! `sft` and `dpo` commands parse at the pinned TRL release (`tests/python/check_export.py`
//! reads them from the TRL and transformers wheels, without installing TRL and torch). The test
//! fetches `datasets` into a cached virtual environment on first use (under the data
//! directory), like the default model, and caches the dataclass fields beside it; it needs
//! python3 with venv. No training is run.

use std::path::{Path, PathBuf};
use std::process::Command;

use cai_workbench::export::recipes::{TRANSFORMERS_VERSION, TRL_VERSION};
use cai_workbench::export::{export, ExportOptions, ExportSummary};
use cai_workbench::model::ModelInfo;
use cai_workbench::pipeline::synthetic::synthetic_record;
use cai_workbench::session::{Manifest, Review, ReviewState, Session};

fn python_with_datasets() -> PathBuf {
    let venv = cai_workbench::model::fetch::data_dir().join("test-venv");
    let python = venv.join("bin").join("python3");
    let has = |py: &Path| {
        Command::new(py)
            .args(["-c", "import datasets"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if has(&python) {
        return python;
    }
    let ok = Command::new("python3")
        .arg("-m")
        .arg("venv")
        .arg(&venv)
        .status();
    assert!(
        ok.map(|s| s.success()).unwrap_or(false),
        "python3 -m venv failed: install python3-venv"
    );
    let ok = Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "datasets"])
        .status();
    assert!(
        ok.map(|s| s.success()).unwrap_or(false),
        "pip install datasets failed"
    );
    assert!(has(&python), "datasets still not importable");
    python
}

/// Runs `tests/python/check_export.py` on an export directory: its output, or its failure.
fn check_export(python: &Path, out: &Path, hf_cache: &Path) -> Result<String, String> {
    let fields = cai_workbench::model::fetch::data_dir()
        .join("test-cache")
        .join(format!(
            "trl-{TRL_VERSION}-transformers-{TRANSFORMERS_VERSION}-fields.json"
        ));
    let output = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/check_export.py"))
        .arg(out)
        .arg(&fields)
        .args([TRL_VERSION, TRANSFORMERS_VERSION])
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_DATASETS_CACHE", hf_cache)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!(
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn export_all(session: &Session, out: &Path) -> ExportSummary {
    export(
        session,
        &ExportOptions {
            out: out.to_path_buf(),
            force: false,
            sft: true,
            preferences: true,
            revision_pairs: true,
            ..ExportOptions::default()
        },
    )
    .expect("export")
}

fn session_with_reviews(dir: &Path, n: usize) -> Session {
    let model = ModelInfo {
        id: "m.gguf".into(),
        path: None,
        sha256: Some("ab".repeat(32)),
        server: None,
    };
    let manifest = Manifest {
        name: "loads".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        constitution_name: "harmless".into(),
        constitution_sha256: "cd".repeat(32),
        constitution_toml: "name = \"harmless\"\n".into(),
        constitution_path: None,
        prompts_path: None,
        policy_model: model.clone(),
        feedback_model: model,
        settings: Default::default(),
        seed: 42,
        program_version: "test".into(),
    };
    let mut session = Session::create(dir, manifest).expect("session");
    for i in 0..n {
        let record = synthetic_record(i);
        let id = record.prompt.id.clone();
        session.append_record(&record).expect("append");
        // A mix: approved, approved with an edit, approved and flipped, rejected.
        let review = Review {
            state: if i % 4 == 3 {
                ReviewState::Rejected
            } else {
                ReviewState::Approved
            },
            edited: (i % 4 == 1).then(|| format!("An edited answer number {i}.")),
            flipped: i % 4 == 2,
            label_checked: false,
            at: "2026-01-01T00:00:01Z".into(),
        };
        session.set_review(&id, review).expect("review");
    }
    session
}

#[test]
fn exported_files_load_with_datasets() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    let python = python_with_datasets();
    let dir = tempfile::tempdir().unwrap();
    let session = session_with_reviews(&dir.path().join("session"), 12);
    let out = dir.path().join("out");
    let summary = export_all(&session, &out);
    assert_eq!(summary.approved, 9);
    let script = r#"
import sys, datasets
sft = datasets.load_dataset("json", data_files=sys.argv[1], split="train")
prefs = datasets.load_dataset("json", data_files=sys.argv[2], split="train")
assert sft[0]["messages"][0]["role"] == "user", sft[0]
assert prefs[0]["chosen"][0]["role"] == "assistant", prefs[0]
print(len(sft), len(prefs))
"#;
    let output = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(out.join("sft.jsonl"))
        .arg(out.join("preferences.jsonl"))
        .env("HF_DATASETS_OFFLINE", "1")
        .env("HF_DATASETS_CACHE", dir.path().join("hf-cache"))
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "datasets failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let counts = String::from_utf8_lossy(&output.stdout);
    let expected = format!(
        "{} {}",
        summary.sft_lines,
        summary.ai_feedback_pairs + summary.revision_pairs
    );
    assert_eq!(counts.trim(), expected);
    assert_eq!(summary.sft_lines, 9);
}

#[test]
fn the_export_loads_by_configuration_name_and_its_recipes_are_trl_configs() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    let python = python_with_datasets();
    let dir = tempfile::tempdir().unwrap();
    let session = session_with_reviews(&dir.path().join("session"), 12);
    let out = dir.path().join("out");
    let summary = export_all(&session, &out);
    let hf_cache = dir.path().join("hf-cache");
    let report = check_export(&python, &out, &hf_cache).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<&str> = report.lines().collect();
    let pairs = summary.ai_feedback_pairs + summary.revision_pairs;
    assert_eq!(
        lines,
        [
            format!("sft {}", summary.sft_lines),
            format!("preferences {pairs}"),
            format!("dpo.yaml ok: trl dpo reads {pairs} rows of `preferences`"),
            format!(
                "sft.yaml ok: trl sft reads {} rows of `sft`",
                summary.sft_lines
            ),
        ]
    );

    // The check can fail: a key TRL does not know (the handbook's DPO recipe still has
    // max_prompt_length, which DPOConfig no longer has) is named.
    let dpo = out.join("dpo.yaml");
    let recipe = std::fs::read_to_string(&dpo).unwrap();
    std::fs::write(&dpo, format!("{recipe}max_prompt_length: 512\n")).unwrap();
    let err = check_export(&python, &out, &hf_cache).unwrap_err();
    assert!(
        err.contains(&format!(
            "dpo.yaml: not fields of `trl dpo` at TRL {TRL_VERSION}: max_prompt_length"
        )),
        "{err}"
    );
}

#[test]
fn an_export_without_comparisons_writes_no_empty_preferences_file_and_still_loads() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    let python = python_with_datasets();
    let dir = tempfile::tempdir().unwrap();
    let mut session = session_with_reviews(&dir.path().join("session"), 0);
    for i in 0..3 {
        let mut record = synthetic_record(i);
        record.comparison = None;
        let id = record.prompt.id.clone();
        session.append_record(&record).expect("append");
        let review = Review {
            state: ReviewState::Approved,
            edited: None,
            flipped: false,
            label_checked: false,
            at: "2026-01-01T00:00:01Z".into(),
        };
        session.set_review(&id, review).expect("review");
    }
    let out = dir.path().join("out");
    let summary = export(
        &session,
        &ExportOptions {
            out: out.clone(),
            force: false,
            sft: true,
            preferences: true,
            revision_pairs: false,
            ..ExportOptions::default()
        },
    )
    .expect("export");
    assert!(!out.join("preferences.jsonl").exists());
    assert!(!out.join("dpo.yaml").exists());
    assert_eq!(summary.notes.len(), 1, "{:?}", summary.notes);
    assert!(
        summary.notes[0].contains("--revision-pairs"),
        "{:?}",
        summary.notes
    );
    let report =
        check_export(&python, &out, &dir.path().join("hf-cache")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        report.lines().collect::<Vec<_>>(),
        ["sft 3", "sft.yaml ok: trl sft reads 3 rows of `sft`"]
    );
}
