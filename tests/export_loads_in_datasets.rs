//! The exported files load with Hugging Face `datasets.load_dataset("json", ...)`, the way a TRL
//! training run reads them. The test fetches `datasets` into a cached virtual environment on
//! first use (under the data directory), like the default model; it needs python3 with venv.

use std::path::{Path, PathBuf};
use std::process::Command;

use cai_workbench::export::{export, ExportOptions};
use cai_workbench::model::ModelInfo;
use cai_workbench::session::{Manifest, Review, ReviewState, Session};
use cai_workbench::pipeline::synthetic::synthetic_record;

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

fn session_with_reviews(dir: &Path, n: usize) -> Session {
    let model = ModelInfo {
        id: "m.gguf".into(),
        path: None,
        sha256: Some("ab".repeat(32)),
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
            at: "2026-01-01T00:00:01Z".into(),
        };
        session.set_review(&id, review).expect("review");
    }
    session
}

#[test]
fn exported_files_load_with_datasets() {
    let python = python_with_datasets();
    let dir = tempfile::tempdir().unwrap();
    let session = session_with_reviews(&dir.path().join("session"), 12);
    let out = dir.path().join("out");
    let summary = export(
        &session,
        &ExportOptions {
            out: out.clone(),
            force: false,
            sft: true,
            preferences: true,
            revision_pairs: true,
        },
    )
    .expect("export");
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
