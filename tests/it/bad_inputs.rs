//! The bad-input corpus: files a person might give `cai` by mistake, each with the exact
//! message they get. Every case must exit with status 2, print nothing on stdout, name the file
//! (with line and column where there is one), never panic and write nothing: the directory the
//! command runs in is compared before and after.
//!
//! The files under `tests/bad_inputs/` are the kept corpus; the cases that are too big or too
//! binary to keep (a 1 MB prompt, model files, session logs) are built here.

use crate::support::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cai_workbench::session::{LogEvent, Review, ReviewState, EVENTS_FILE};
use common::{cai, done_record, repo, run_cmd, session_with};

/// (file, exact stderr) for `cai check FILE` run in a copy of `tests/bad_inputs/`.
const KEPT: &[(&str, &str)] = &[
    ("array-bad-element.json", "array-bad-element.json:4:14: \"prompt\" must be a non-empty string (or a chat message list with a user turn)"),
    ("array-truncated.json", "array-truncated.json:3:17: not valid JSON: EOF while parsing a string"),
    ("bad-comparison-mode.toml", "bad-comparison-mode.toml:5:8: [settings.comparison.mode] unknown value `vote`, expected one of `single`, `ensemble`, `chain-of-thought`"),
    ("bom-then-broken.jsonl", "bom-then-broken.jsonl:2:12: not valid JSON: expected value"),
    ("broken-json-line.jsonl", "broken-json-line.jsonl:2:29: not valid JSON: EOF while parsing an object"),
    ("conflicting-ids.jsonl", "conflicting-ids.jsonl:2:1: id `q1` is already used on line 1 by a different prompt"),
    ("crlf-broken.jsonl", "crlf-broken.jsonl:2:16: not valid JSON: trailing comma"),
    ("csv-empty-cell.csv", "csv-empty-cell.csv:3:4: empty `prompt` cell"),
    ("csv-no-prompt-column.csv", "csv-no-prompt-column.csv:1:1: the header needs a `prompt`, `goal` or `Behavior` column (found `question`, `answer`)"),
    ("csv-unclosed-quote.csv", "csv-unclosed-quote.csv:3:1: this quoted cell is never closed: it would take in the rest of the file"),
    ("duplicate-ids.toml", "duplicate-ids.toml:12:1: [principles[1].id] id `harm` is already used by principles[0]"),
    ("duplicate-key.toml", "duplicate-key.toml:8:1: duplicate key `id` in table `principles`"),
    ("empty-id.toml", "empty-id.toml:7:1: [principles[0].id] id must not be empty"),
    ("empty-prompt.jsonl", "empty-prompt.jsonl:2:12: \"prompt\" must be a non-empty string (or a chat message list with a user turn)"),
    ("empty.toml", "empty.toml:1:1: the constitution is empty: it needs a `name` and at least one [[principles]] table"),
    ("empty.txt", "empty.txt:1:1: the file holds no prompts"),
    ("ensemble-too-big.toml", "ensemble-too-big.toml:4:1: [settings.comparison.ensemble_size] ensemble_size is 4 but only 1 comparison principle(s) are enabled; lower ensemble_size in [settings.comparison] or add comparisons"),
    ("hh-without-human.jsonl", "hh-without-human.jsonl:1:12: \"chosen\" has no \"Human:\" turn to take the prompt from"),
    ("id-not-a-string.jsonl", "id-not-a-string.jsonl:1:23: \"id\" must be a string"),
    ("key-inside-string.json", "key-inside-string.json:1:45: \"prompt\" must be a non-empty string (or a chat message list with a user turn)"),
    ("missing-name.toml", "missing-name.toml:1:1: missing field `name`"),
    ("neither-layout.jsonl", "neither-layout.jsonl:1:1: expected an object with a \"prompt\" string (or \"goal\", \"behavior\", \"messages\"), or a transcript under \"rl_prompt\", \"chosen\", \"rejected\" or \"transcript\""),
    ("no-enabled-principle.toml", "no-enabled-principle.toml:6:1: [principles] every principle is disabled; enable at least one"),
    ("non-utf8.jsonl", "non-utf8.jsonl:2:16: the file is not valid UTF-8"),
    ("non-utf8.toml", "non-utf8.toml:1:12: the file is not valid UTF-8"),
    ("only-blank-lines.jsonl", "only-blank-lines.jsonl:1:1: the file holds no prompts"),
    ("only-comments.toml", "only-comments.toml:1:1: the constitution is empty: it needs a `name` and at least one [[principles]] table"),
    ("only-comments.txt", "only-comments.txt:1:1: the file holds no prompts"),
    ("prompt-not-a-string.jsonl", "prompt-not-a-string.jsonl:1:12: \"prompt\" must be a non-empty string (or a chat message list with a user turn)"),
    ("truncated-emoji.jsonl", "truncated-emoji.jsonl:2:14: not valid JSON: EOF while parsing a string"),
    ("truncated-mid-value.toml", "truncated-mid-value.toml:4:25: invalid basic string"),
    ("truncated-multibyte.jsonl", "truncated-multibyte.jsonl:2:29: not valid JSON: EOF while parsing a string"),
    ("truncated-table-header.toml", "truncated-table-header.toml:11:9: invalid table header: expected `.`, `]]`"),
    ("unknown-principle-field.toml", "unknown-principle-field.toml:10:1: [principles[0].weight] unknown field `weight`, expected one of `id`, `critique`, `revision`, `enabled`"),
    ("unknown-top-level-field.toml", "unknown-top-level-field.toml:2:1: [colour] unknown field `colour`, expected one of `name`, `description`, `settings`, `principles`, `comparisons`, `examples`"),
    ("unterminated-string.toml", "unterminated-string.toml:1:12: invalid basic string"),
    ("wrong-type-critique.toml", "wrong-type-critique.toml:8:12: [principles[0].critique] wrong type: integer `5`, expected a string"),
    ("wrong-type-enabled.toml", "wrong-type-enabled.toml:10:11: [principles[0].enabled] wrong type: string \"yes\", expected a boolean"),
    ("wrong-type-rounds.toml", "wrong-type-rounds.toml:4:10: [settings.rounds] wrong type: string \"two\", expected u32"),
];

/// Names, sizes and contents of every file under `dir`: what "nothing written" compares.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.insert(path.clone(), Vec::new());
                stack.push(path);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// Runs `cai ARGS` in `dir`; asserts status 2, the exact stderr, an empty stdout, no panic and
/// no change under `dir`.
fn expect_bad(dir: &Path, args: &[&str], expected: &str) {
    let before = snapshot(dir);
    let out = run_cmd(cai().current_dir(dir).args(args));
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
    assert_eq!(out.stderr.trim_end(), expected, "{args:?}");
    assert_eq!(out.stdout, "", "{args:?}");
    assert!(
        snapshot(dir) == before,
        "{args:?} changed files in {}",
        dir.display()
    );
}

/// A copy of the kept corpus in a temp dir, to run in.
fn corpus_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo().join("tests/bad_inputs")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, tmp.path().join(path.file_name().unwrap())).unwrap();
    }
    tmp
}

#[test]
fn every_kept_bad_file_gets_its_exact_message_and_status_2() {
    let tmp = corpus_copy();
    let on_disk = std::fs::read_dir(tmp.path()).unwrap().count() - 1; // less the README
    assert_eq!(on_disk, KEPT.len(), "every kept file has a case");
    for (file, expected) in KEPT {
        expect_bad(tmp.path(), &["check", file], expected);
    }
}

#[test]
fn a_1_mb_prompt_is_refused_with_its_size() {
    let tmp = tempfile::tempdir().unwrap();
    let prompt = "a".repeat(1 << 20);
    std::fs::write(
        tmp.path().join("huge.jsonl"),
        format!("{{\"prompt\": \"short\"}}\n{{\"prompt\": \"{prompt}\"}}\n"),
    )
    .unwrap();
    expect_bad(
        tmp.path(),
        &["check", "huge.jsonl"],
        "huge.jsonl:2:1: the prompt is 1048576 bytes long; prompts are limited to 65536 bytes (a missing line break?)",
    );
}

/// A GGUF header with one metadata key and no tensors.
fn gguf_header(arch: &str) -> Vec<u8> {
    let mut v = b"GGUF".to_vec();
    v.extend(3u32.to_le_bytes());
    v.extend(0u64.to_le_bytes());
    v.extend(1u64.to_le_bytes());
    let key = "general.architecture";
    v.extend((key.len() as u64).to_le_bytes());
    v.extend(key.as_bytes());
    v.extend(8u32.to_le_bytes());
    v.extend((arch.len() as u64).to_le_bytes());
    v.extend(arch.as_bytes());
    v
}

#[test]
fn bad_model_files_are_named_with_the_reason_and_a_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir(dir.join("folder.gguf")).unwrap();
    std::fs::write(dir.join("empty.gguf"), b"").unwrap();
    std::fs::write(
        dir.join("notes.gguf"),
        b"this is a text file, not a model\n",
    )
    .unwrap();
    std::fs::write(dir.join("gemma.gguf"), gguf_header("gemma")).unwrap();
    // A truncated copy: the first half of the real default model when it is here (its whole
    // header and tensor table, half its data), else a small made-up one.
    let truncated = match default_model() {
        Some(model) => {
            let whole = std::fs::read(model).unwrap();
            whole[..whole.len() / 2].to_vec()
        }
        None => {
            let mut v = gguf_header("llama");
            v[8..16].copy_from_slice(&1u64.to_le_bytes());
            v.extend(1u64.to_le_bytes());
            v.extend(b"w");
            v.extend(1u32.to_le_bytes());
            v.extend(1024u64.to_le_bytes());
            v.extend(0u32.to_le_bytes());
            v.extend(0u64.to_le_bytes());
            v
        }
    };
    std::fs::write(dir.join("cut.gguf"), &truncated).unwrap();

    let cases = [
        ("folder.gguf", "folder.gguf is a directory, not a model file\n  fix: pass the path of the .gguf file".to_string()),
        ("empty.gguf", "empty.gguf is empty (0 bytes)\n  fix: download it again (`cai model pull` for the default model)".to_string()),
        ("notes.gguf", "notes.gguf is not a GGUF file (its first bytes are not \"GGUF\")\n  fix: pass a .gguf model file".to_string()),
        ("gemma.gguf", "gemma.gguf: architecture `gemma` is not supported by mistral.rs 0.8 GGUF loading (supported: llama, phi2, phi3, starcoder2, qwen2, qwen3, qwen3moe)\n  fix: use a GGUF of a supported architecture".to_string()),
    ];
    for (file, expected) in &cases {
        expect_bad(dir, &["check", file], expected);
    }
    let out = run_cmd(cai().current_dir(dir).args(["check", "cut.gguf"]));
    out.assert_no_panic();
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr.starts_with("cut.gguf: the file is truncated"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("fix: download it again"),
        "{}",
        out.stderr
    );
}

fn default_model() -> Option<PathBuf> {
    let out = run_cmd(cai().args(["model", "path"]));
    let path = PathBuf::from(out.stdout.trim());
    (out.code == Some(0) && path.is_file()).then_some(path)
}

#[test]
fn bad_session_logs_name_each_line_and_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    session_with(
        &dir,
        &[done_record("rt-1", "How do I hurt someone?", Some(0.4))],
    );
    let log = dir.join(EVENTS_FILE);
    let mut bytes = std::fs::read(&log).unwrap();
    let stray = serde_json::to_string(&LogEvent::Review {
        prompt_id: "rt-unknown".into(),
        review: Review {
            state: ReviewState::Approved,
            edited: None,
            flipped: false,
            label_checked: false,
            at: "t".into(),
        },
    })
    .unwrap();
    bytes.extend_from_slice(b"garbage that is not json\n");
    bytes.extend_from_slice(stray.as_bytes());
    bytes.extend_from_slice(b"\n{\"type\": \"record\", \"record\": {\"prom");
    std::fs::write(&log, &bytes).unwrap();
    expect_bad(
        tmp.path(),
        &["check", "s"],
        "s/events.jsonl:2:1: skipped a line that is not a valid event: expected value at line 1 column 1\n\
         s/events.jsonl:3: skipped a review of `rt-unknown`: no record with that prompt id comes before it\n\
         s/events.jsonl:4: torn last line (35 bytes) skipped",
    );
    expect_bad(
        &dir,
        &["check", "events.jsonl"],
        "events.jsonl:2:1: skipped a line that is not a valid event: expected value at line 1 column 1\n\
         events.jsonl:3: skipped a review of `rt-unknown`: no record with that prompt id comes before it\n\
         events.jsonl:4: torn last line (35 bytes) skipped",
    );
    // The one good record is still there.
    let out = run_cmd(
        cai()
            .current_dir(tmp.path())
            .args(["sessions", "show", "s"]),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("rt-1"), "{}", out.stdout);
}

#[test]
fn cai_run_refuses_bad_inputs_with_status_2_before_creating_anything() {
    let tmp = corpus_copy();
    let dir = tmp.path();
    std::fs::copy(
        repo().join("tests/fixtures/tiny.toml"),
        dir.join("good.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("good.jsonl"), "{\"prompt\": \"hi\"}\n").unwrap();
    std::fs::create_dir(dir.join("model-dir.gguf")).unwrap();
    let run = |c: &str, p: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--constitution",
            c,
            "--prompts",
            p,
            "--session",
            "out",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let cases = [
        (
            run("duplicate-ids.toml", "good.jsonl", &[]),
            "error: duplicate-ids.toml:12:1: [principles[1].id] id `harm` is already used by principles[0]",
        ),
        (
            run("good.toml", "truncated-multibyte.jsonl", &[]),
            "error: truncated-multibyte.jsonl:2:29: not valid JSON: EOF while parsing a string",
        ),
        (
            run("good.toml", "good.jsonl", &["--model", "model-dir.gguf"]),
            "error: model-dir.gguf is a directory, not a model file\n  fix: pass the path of the .gguf file",
        ),
    ];
    for (args, expected) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        expect_bad(dir, &args, expected);
        assert!(!dir.join("out").exists());
    }
}
