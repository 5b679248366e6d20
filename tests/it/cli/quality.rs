//! Quality flags on the command line: `cai export --exclude ... --min-margin ...` on a
//! session built on disk whose records were stored without flags (as older versions wrote
//! them), so the flags come from the replay.

use super::common::{arg, done_record, json_lines, run, session_with};

const LOOP: &str = "It is a lie. It is a lie. It is a lie. It is a lie. It is a lie. It is a \
                    lie. It is a lie. It is a lie.";

/// r1 clean (P(A) 0.2), r2 with a looping revision (P(A) 0.3), r3 a near tie (P(A) 0.52).
fn flagged_session(dir: &std::path::Path) {
    let mut looping = done_record("r2", "Second prompt?", Some(0.3));
    looping.rounds[0].revision.text = LOOP.into();
    if let Some(c) = looping.comparison.as_mut() {
        c.b = LOOP.into();
    }
    session_with(
        dir,
        &[
            done_record("r1", "First prompt?", Some(0.2)),
            looping,
            done_record("r3", "Third prompt?", Some(0.52)),
        ],
    );
    let out = run(&["review", "--session", arg(dir), "--approve-all"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn export_leaves_out_flagged_records_and_near_ties_and_says_how_many() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    flagged_session(&dir);
    let out_dir = tmp.path().join("out");
    let out = run(&[
        "export",
        "--session",
        arg(&dir),
        "--out",
        arg(&out_dir),
        "--exclude",
        "degenerate,evasive",
        "--min-margin",
        "0.1",
    ]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("left out of preferences.jsonl: 1 degenerate, 1 min-margin"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("left out of sft.jsonl: 1 degenerate"),
        "{}",
        out.stdout
    );
    let sft = json_lines(&out_dir.join("sft.jsonl"));
    let prompts: Vec<&str> = sft
        .iter()
        .map(|l| l["messages"][0]["content"].as_str().unwrap())
        .collect();
    assert_eq!(prompts, ["First prompt?", "Third prompt?"]);
    assert_eq!(json_lines(&out_dir.join("preferences.jsonl")).len(), 1);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(
        manifest["counts"]["excluded"]["preferences.jsonl"]["min-margin"],
        1
    );
}

#[test]
fn an_unknown_flag_or_margin_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    flagged_session(&dir);
    let out_dir = tmp.path().join("out");
    for (flag, value, expected) in [
        (
            "--exclude",
            "degenerate,loopy",
            "unknown flag `loopy`; the flags are degenerate",
        ),
        ("--min-margin", "0.7", "--min-margin is 0.7"),
    ] {
        let out = run(&[
            "export",
            "--session",
            arg(&dir),
            "--out",
            arg(&out_dir),
            flag,
            value,
        ]);
        out.assert_no_panic();
        assert_ne!(out.code, Some(0));
        assert!(out.stderr.contains(expected), "{}", out.stderr);
        assert!(!out_dir.exists());
    }
}

/// A session whose manifest carries `constitution` (a TOML text).
fn session_with_constitution(
    dir: &std::path::Path,
    constitution: &str,
    records: &[cai_workbench::data::Record],
) {
    let name = dir.file_name().unwrap().to_string_lossy();
    let mut manifest = super::common::manifest(&name);
    manifest.constitution_toml = constitution.to_string();
    manifest.constitution_name = "c".into();
    let mut session = cai_workbench::session::Session::create(dir, manifest).unwrap();
    for record in records {
        session.append_record(record).unwrap();
    }
}

const CONSTITUTION: &str = r#"name = "c"

[[principles]]
id = "harm"
critique = "Is it harmful?"
revision = "Rewrite it."

[[comparisons]]
id = "kinder"
question = "Which is kinder?"
"#;

#[test]
fn report_gives_rates_and_principles_as_json_and_markdown_against_another_session() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    // A: the revision of r2 loops; the feedback model prefers the revision in r1 (P(A) 0.2
    // for the initial answer) and not in r2 (0.7).
    let mut looping = done_record("r2", "Second prompt?", Some(0.7));
    looping.rounds[0].revision.text = LOOP.into();
    session_with_constitution(
        &a,
        CONSTITUTION,
        &[done_record("r1", "First prompt?", Some(0.2)), looping],
    );
    let changed = CONSTITUTION.replace("Is it harmful?", "Could it hurt anyone?");
    session_with_constitution(&b, &changed, &[done_record("r1", "First prompt?", None)]);

    let out = run(&["report", "--session", arg(&a), "--format", "json"]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let summary = &json["session"]["insights"]["summary"];
    assert_eq!(
        summary["degenerate_revisions"],
        serde_json::json!({"k": 1.0, "n": 2})
    );
    assert_eq!(
        summary["revision_preferred"],
        serde_json::json!({"k": 1.0, "n": 2})
    );
    let harm = &json["session"]["insights"]["critique"][0];
    assert_eq!(
        (harm["id"].as_str(), harm["draws"].as_u64()),
        (Some("harm"), Some(2))
    );
    assert_eq!(harm["degenerate"], serde_json::json!({"k": 1.0, "n": 2}));

    let out = run(&["report", "--session", arg(&a), "--against", arg(&b)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let md = out.stdout;
    assert!(
        md.contains("| degenerate revisions | 1/2 (50%) [9–91%] | 0/1 (0%) [0–79%] |"),
        "{md}"
    );
    assert!(md.contains("- Critique principle ~ harm: critique"), "{md}");
    assert!(md.contains("## Critique principles: b"), "{md}");
}

#[test]
fn ab_needs_two_readable_constitutions_before_any_model_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("ab");
    let out = run(&[
        "ab",
        "--constitution",
        "constitutions/harmless.toml",
        "--session",
        arg(&session),
    ]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("exactly two constitutions"),
        "{}",
        out.stderr
    );
    let broken = super::common::write(tmp.path(), "broken.toml", "name = \"x\"\nrounds = \n");
    let out = run(&[
        "ab",
        "--constitution",
        "constitutions/harmless.toml",
        "--constitution",
        arg(&broken),
        "--session",
        arg(&session),
    ]);
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("broken.toml:2:"), "{}", out.stderr);
    assert!(!session.exists(), "nothing written");
}

#[test]
fn an_arena_reports_bad_contestants_before_any_model_loads() {
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("arena");
    let broken = super::common::write(tmp.path(), "broken.toml", "name = \"x\"\nrounds = \n");
    let broken_arg = format!("b=default:{}", broken.display());
    for (contestants, says) in [
        (vec!["base"], "has no '='"),
        (vec!["a=default"], "at least two contestants"),
        (
            vec!["a=default", "a=default"],
            "two contestants are named \"a\"",
        ),
        (
            vec!["a=default", "b=missing.gguf"],
            "no model file at missing.gguf",
        ),
        (vec!["a=default", broken_arg.as_str()], "broken.toml:2:"),
        (vec!["a/b=default", "c=default"], "use letters, digits"),
    ] {
        let mut args = vec!["ab", "--session", arg(&session)];
        for c in &contestants {
            args.extend(["--contestant", c]);
        }
        let out = run(&args);
        out.assert_no_panic();
        assert_eq!(out.code, Some(2), "{contestants:?}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{contestants:?}: {}", out.stderr);
        assert!(!session.exists(), "nothing written for {contestants:?}");
    }
    // An arena is not mixed into an A/B run's flags.
    let out = run(&[
        "ab",
        "--contestant",
        "a=default",
        "--constitution",
        "constitutions/harmless.toml",
        "--session",
        arg(&session),
    ]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
}
