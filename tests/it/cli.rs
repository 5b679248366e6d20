//! The command line without a model: `cai check`, `cai import`, `cai model path`, model errors,
//! and (in [`sessions`]) review, export and sessions on sessions built on disk. Each test runs
//! the real `cai` binary in temp dirs and asserts on exit status, stdout, stderr and files.

use crate::support::common;
mod quality;
mod sessions;

use std::path::{Path, PathBuf};

use common::{arg, cai, repo, run, run_cmd, write};

/// Every file directly in `dir` (relative to the crate root), sorted.
fn shipped(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// The diagnostics of `file` in `stderr`, as (line, column, rest) with the file prefix taken off.
fn diagnostics(stderr: &str, file: &Path) -> Vec<(usize, usize, String)> {
    let prefix = format!("{}:", file.display());
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| {
            let mut parts = rest.splitn(3, ':');
            let line = parts.next().and_then(|n| n.parse().ok());
            let column = parts.next().and_then(|n| n.parse().ok());
            let message = parts.next().unwrap_or_default().trim().to_string();
            match (line, column) {
                (Some(l), Some(c)) => (l, c, message),
                _ => panic!("no line:column after {prefix} in {rest:?}"),
            }
        })
        .collect()
}

#[test]
fn check_accepts_every_shipped_constitution_and_prompt_set() {
    let files: Vec<PathBuf> = [shipped("constitutions"), shipped("assets/prompts")].concat();
    assert!(files.len() >= 4, "{files:?}");
    let out = run_cmd(cai().arg("check").args(&files));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    for file in &files {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{}: ok (", file.display())))
            .unwrap_or_else(|| panic!("no ok line for {}:\n{}", file.display(), out.stdout));
        // The summary counts what was read: never an empty file.
        assert!(!line.contains("(0 "), "{line}");
    }
}

#[test]
fn check_places_a_toml_syntax_error() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = write(
        tmp.path(),
        "syntax.toml",
        "name = \"x\"\n\n[settings]\nrounds = = 2\n",
    );
    let out = run(&["check", arg(&bad)]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let found = diagnostics(&out.stderr, &bad);
    assert_eq!(found.len(), 1, "{}", out.stderr);
    // Line 4, at the second `=`.
    assert_eq!((found[0].0, found[0].1), (4, 10), "{}", out.stderr);
}

#[test]
fn check_names_an_unknown_field_where_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "name = \"x\"\n\n[[principles]]\nid = \"a\"\ncritique = \"c\"\nrevision = \"r\"\ncolour = \"red\"\n";
    let bad = write(tmp.path(), "unknown.toml", text);
    let out = run(&["check", arg(&bad)]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let found = diagnostics(&out.stderr, &bad);
    assert_eq!(found.len(), 1, "{}", out.stderr);
    let (line, column, message) = &found[0];
    assert_eq!((*line, *column), (7, 1), "{}", out.stderr);
    assert!(message.starts_with("[principles[0].colour]"), "{message}");
    assert!(message.contains("unknown field"), "{message}");
}

#[test]
fn check_reports_every_semantic_error_with_its_field() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "name = \"\"\n\n[settings]\nrounds = 99\n\n\
                [[principles]]\nid = \"a\"\ncritique = \"c\"\nrevision = \"r\"\n\n\
                [[principles]]\nid = \"a\"\ncritique = \"c2\"\nrevision = \"r2\"\n";
    let bad = write(tmp.path(), "semantic.toml", text);
    let good = write(tmp.path(), "prompts.txt", "first prompt\nsecond prompt\n");
    let out = run(&["check", arg(&good), arg(&bad)]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    // The good file is still checked and reported.
    assert!(
        out.stdout
            .contains(&format!("{}: ok (2 prompts)", good.display())),
        "{}",
        out.stdout
    );
    let found = diagnostics(&out.stderr, &bad);
    let fields: Vec<(usize, &str)> = found
        .iter()
        .map(|(line, _, m)| (*line, m.split("] ").next().unwrap_or_default()))
        .collect();
    assert_eq!(
        fields,
        [
            (1, "[name"),
            (4, "[settings.rounds"),
            (12, "[principles[1].id"),
        ],
        "{}",
        out.stderr
    );
    assert!(found[1].2.contains("99"), "{}", out.stderr);
}

#[test]
fn check_places_a_broken_jsonl_line() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "{\"prompt\": \"fine\"}\n{\"prompt\": \"also fine\"}\n{\"prompt\": \"torn\n";
    let bad = write(tmp.path(), "prompts.jsonl", text);
    let out = run(&["check", arg(&bad)]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let found = diagnostics(&out.stderr, &bad);
    assert_eq!(found.len(), 1, "{}", out.stderr);
    assert_eq!(found[0].0, 3, "{}", out.stderr);
    assert!(found[0].1 >= 1, "{}", out.stderr);
}

#[test]
fn import_writes_a_constitution_that_check_accepts_and_keeps_it_without_force() {
    let fixtures = repo().join("tests/fixtures/import");
    let tmp = tempfile::tempdir().unwrap();
    for inputs in [
        vec!["critique_revision.json", "comparisons.json"],
        vec!["reproduction.json"],
    ] {
        let out_file = tmp.path().join(format!("{}.toml", inputs[0]));
        let mut cmd = cai();
        cmd.arg("import").arg("--out").arg(&out_file);
        cmd.args(inputs.iter().map(|f| fixtures.join(f)));
        let out = run_cmd(&mut cmd);
        assert_eq!(out.code, Some(0), "{inputs:?}: {}", out.stderr);
        assert!(out.stdout.starts_with("wrote "), "{}", out.stdout);
        let checked = run(&["check", arg(&out_file)]);
        assert_eq!(checked.code, Some(0), "{}", checked.stderr);
        assert!(checked.stdout.contains(": ok ("), "{}", checked.stdout);

        // Again without --force: refused, file untouched.
        let before = std::fs::read(&out_file).unwrap();
        std::fs::write(&out_file, b"# hand edits\n").unwrap();
        let again = run_cmd(&mut cmd);
        again.assert_no_panic();
        assert_ne!(again.code, Some(0));
        assert!(again.stderr.contains("--force"), "{}", again.stderr);
        assert_eq!(std::fs::read(&out_file).unwrap(), b"# hand edits\n");
        // With --force: replaced by the same import.
        let forced = run_cmd(cmd.arg("--force"));
        assert_eq!(forced.code, Some(0), "{}", forced.stderr);
        assert_eq!(std::fs::read(&out_file).unwrap(), before);
    }
}

#[test]
fn import_of_unusable_json_fails_and_writes_nothing() {
    let fixtures = repo().join("tests/fixtures/import");
    let tmp = tempfile::tempdir().unwrap();
    for name in ["bad.json", "unknown.json"] {
        let out_file = tmp.path().join("out.toml");
        let out = run_cmd(
            cai()
                .args(["import", "--out", arg(&out_file)])
                .arg(fixtures.join(name)),
        );
        out.assert_no_panic();
        assert_ne!(out.code, Some(0), "{name}");
        assert!(out.stderr.contains(name), "{name}: {}", out.stderr);
        assert!(!out_file.exists(), "{name}");
    }
}

#[test]
fn model_path_is_under_the_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_cmd(
        cai()
            .args(["model", "path"])
            .env("CAI_DATA_DIR", tmp.path()),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let path = PathBuf::from(out.stdout.trim());
    assert!(path.starts_with(tmp.path()), "{}", path.display());
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("gguf"));
}

#[test]
fn verifying_a_missing_default_model_says_how_to_get_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_cmd(
        cai()
            .args(["model", "pull", "--verify"])
            .env("CAI_DATA_DIR", tmp.path()),
    );
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
    assert!(
        out.stderr.contains("fix: run `cai model pull`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&tmp.path().display().to_string()));
}

/// `cai run` on one prompt with `--model model`, in a fresh session under `tmp`.
fn run_with_model(tmp: &Path, model: &Path) -> (common::Output, PathBuf) {
    let prompts = write(tmp, "p.txt", "one prompt\n");
    let session = tmp.join("session");
    let out = run_cmd(
        cai()
            .args(["run", "--constitution", "constitutions/candid.toml"])
            .args(["--prompts", arg(&prompts), "--session", arg(&session)])
            .arg("--model")
            .arg(model),
    );
    (out, session)
}

#[test]
fn a_missing_model_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = Path::new("/nonexistent.gguf");
    let (out, session) = run_with_model(tmp.path(), missing);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr
            .contains("model file not found: /nonexistent.gguf"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("fix:"), "{}", out.stderr);
    assert!(!session.exists(), "no session is made without a model");
}

#[test]
fn a_file_that_is_not_gguf_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let fake = write(tmp.path(), "weights.gguf", "{\"this\": \"is json\"}\n");
    let (out, session) = run_with_model(tmp.path(), &fake);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("is not a GGUF file"), "{}", out.stderr);
    assert!(out.stderr.contains("fix:"), "{}", out.stderr);
    assert!(!session.exists());
    // The same from the benchmark.
    let out = run(&["bench", "--model", arg(&fake)]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("fix:"), "{}", out.stderr);
}

#[test]
fn compare_without_comparison_principles_is_refused_before_anything_loads() {
    let tmp = tempfile::tempdir().unwrap();
    // The tiny constitution without its [[comparisons]], as one imported from the open
    // reproduction (critique/revision pairs only) would be.
    let tiny = std::fs::read_to_string(repo().join("tests/fixtures/tiny.toml")).unwrap();
    let critique_only = &tiny[..tiny.find("[[comparisons]]").expect("tiny has comparisons")];
    let constitution = write(tmp.path(), "critique-only.toml", critique_only);
    let prompts = write(tmp.path(), "p.txt", "one prompt\n");
    let session = tmp.path().join("session");
    let out = run_cmd(
        cai()
            .args(["run", "--constitution", arg(&constitution), "--compare"])
            .args(["--prompts", arg(&prompts), "--session", arg(&session)])
            .args(["--model", "/nonexistent.gguf"]),
    );
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr
            .contains("has no comparison principles, so --compare has nothing to ask"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("fix:"), "{}", out.stderr);
    // Said before the model is looked for, and before a session is made.
    assert!(
        !out.stderr.contains("model file not found"),
        "{}",
        out.stderr
    );
    assert!(!session.exists());
}

#[test]
fn eval_places_a_broken_set_line_at_its_line_and_column_before_loading_a_model() {
    let tmp = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(repo().join("tests/fixtures/known-answers.jsonl")).unwrap();
    let first = good.lines().next().unwrap();
    let set = write(
        tmp.path(),
        "broken.jsonl",
        &format!("{first}\n{{\"prompt\": \"Q?\", \"corrects\": [\" (A)\"] \"incorrects\": []}}\n"),
    );
    let out = run_cmd(
        cai()
            .args(["eval", "--set", arg(&set)])
            .args(["--out", arg(&tmp.path().join("eval"))])
            // Never reached: the set is read first.
            .args(["--model", "/nonexistent.gguf"]),
    );
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("{}:2:39: not valid JSON", set.display())),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("loading"), "{}", out.stderr);
    assert!(!tmp.path().join("eval").exists(), "nothing written");
}

#[test]
fn eval_refuses_an_unknown_configuration_naming_the_principles_there_are() {
    let out = run(&[
        "eval",
        "--set",
        "tests/fixtures/known-answers.jsonl",
        "--constitution",
        "tests/fixtures/tiny.toml",
        "--config",
        "single:nope",
        "--model",
        "/nonexistent.gguf",
    ]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("no enabled comparison principle `nope`"),
        "{}",
        out.stderr
    );
}
