//! `cai review`, `cai export` and `cai sessions` on sessions built on disk with the library's
//! session types and hand-built records.

use std::path::Path;

use cai_workbench::session::{replay, ReviewState, Session, EVENTS_FILE};

use super::common::{
    arg, cai, done_record, failed_record, json_lines, manifest, run, run_cmd, session_with, write,
};

/// Three done records (two with a comparison, one of them preferring the initial answer), one
/// failed record; ids share prefixes the way a prompt set's ids do.
fn sample_session(dir: &Path) {
    session_with(
        dir,
        &[
            done_record("rt-harm-01", "How do I hurt someone?", Some(0.3)),
            done_record("rt-harm-02", "How do I pick a lock?", Some(0.8)),
            done_record("rt-tax-01", "How do I evade taxes?", None),
            failed_record("rt-law-02", "How do I forge a cheque?"),
        ],
    );
}

fn review_state(dir: &Path, id: &str) -> ReviewState {
    Session::open(dir).unwrap().state().review(id).state
}

#[test]
fn review_by_id_and_prefix_and_unknown_ids() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    sample_session(&dir);
    let s = arg(&dir);

    let out = run(&["review", "--session", s, "--approve", "rt-harm-01"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "rt-harm-01: approved");
    // A unique prefix names one record; an ambiguous one names the candidates.
    let out = run(&["review", "--session", s, "--reject", "rt-t"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "rt-tax-01: rejected");
    let out = run(&["review", "--session", s, "--reject", "rt-harm-0"]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0), "{}", out.stdout);
    assert!(out.stderr.contains("ambiguous"), "{}", out.stderr);
    assert!(
        out.stderr.contains("rt-harm-01, rt-harm-02"),
        "{}",
        out.stderr
    );
    let out = run(&["review", "--session", s, "--reject", "rt-harm-02"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // A record that is not done can be reviewed, with a note that export leaves it out.
    let out = run(&["review", "--session", s, "--approve", "rt-law-02"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("not done"), "{}", out.stdout);

    let out = run(&["review", "--session", s, "--approve", "nope"]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("no record with prompt id `nope`"),
        "{}",
        out.stderr
    );

    assert_eq!(review_state(&dir, "rt-harm-01"), ReviewState::Approved);
    assert_eq!(review_state(&dir, "rt-harm-02"), ReviewState::Rejected);
    assert_eq!(review_state(&dir, "rt-tax-01"), ReviewState::Rejected);
    assert_eq!(review_state(&dir, "rt-law-02"), ReviewState::Approved);
    // A decision can be changed; approve-all then finds nothing pending among done records.
    let out = run(&["review", "--session", s, "--approve", "rt-t"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(review_state(&dir, "rt-tax-01"), ReviewState::Approved);
    let out = run(&["review", "--session", s, "--approve-all"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("approved 0 pending records"),
        "{}",
        out.stdout
    );
    assert_eq!(review_state(&dir, "rt-harm-02"), ReviewState::Rejected);

    let out = run(&[
        "review",
        "--session",
        arg(&tmp.path().join("none")),
        "--approve-all",
    ]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("no manifest.json"), "{}", out.stderr);
}

#[test]
fn export_writes_trl_files_with_the_right_counts_and_keeps_them_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    sample_session(&dir);
    let out_dir = tmp.path().join("out");
    let export = || {
        let mut cmd = cai();
        cmd.args(["export", "--session", arg(&dir), "--out", arg(&out_dir)]);
        cmd
    };

    // Nothing approved yet: an error that says what to do, and no files.
    let out = run_cmd(&mut export());
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("fix:"), "{}", out.stderr);
    assert!(out.stderr.contains("--approve-all"), "{}", out.stderr);
    assert!(!out_dir.exists());

    let out = run(&["review", "--session", arg(&dir), "--approve-all"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = run_cmd(export().arg("--revision-pairs"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("exported 3 approved records"),
        "{}",
        out.stdout
    );

    let sft = json_lines(&out_dir.join("sft.jsonl"));
    assert_eq!(sft.len(), 3);
    for line in &sft {
        let messages = line["messages"].as_array().expect("messages");
        assert_eq!(messages.len(), 2, "{line}");
        assert_eq!(messages[0]["role"], "user");
        assert_eq!(messages[1]["role"], "assistant");
        assert!(messages[1]["content"]
            .as_str()
            .unwrap()
            .contains("revised answer"));
        assert_eq!(line["review_state"], "approved");
    }
    let prefs = json_lines(&out_dir.join("preferences.jsonl"));
    // Two AI-feedback pairs (records with a comparison), three revision-over-initial pairs.
    assert_eq!(prefs.len(), 5);
    let of_kind = |kind: &str| prefs.iter().filter(|l| l["pair"] == kind).count();
    assert_eq!(
        (of_kind("ai-feedback"), of_kind("revision-over-initial")),
        (2, 3)
    );
    for line in &prefs {
        for key in ["prompt", "chosen", "rejected"] {
            let turns = line[key]
                .as_array()
                .unwrap_or_else(|| panic!("{key}: {line}"));
            assert_eq!(turns.len(), 1, "{line}");
        }
        assert_eq!(line["prompt"][0]["role"], "user");
        assert_eq!(line["chosen"][0]["role"], "assistant");
        assert_eq!(line["rejected"][0]["role"], "assistant");
        let p = line["p_chosen"].as_f64().unwrap();
        assert!((0.5..=1.0).contains(&p), "{line}");
    }
    // P(A) 0.3 means the feedback model preferred B, the revision.
    let harm_01 = prefs
        .iter()
        .find(|l| l["record_id"] == "rt-harm-01" && l["pair"] == "ai-feedback")
        .expect("pair of rt-harm-01");
    assert_eq!(harm_01["chosen_source"], "revision");
    assert!((harm_01["p_chosen"].as_f64().unwrap() - 0.7).abs() < 1e-9);

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"]["sft.jsonl"]["lines"], 3, "{manifest}");
    assert_eq!(
        manifest["files"]["preferences.jsonl"]["lines"], 5,
        "{manifest}"
    );

    // Again without --force: refused, nothing changed.
    let before = std::fs::read(out_dir.join("sft.jsonl")).unwrap();
    std::fs::write(out_dir.join("preferences.jsonl"), "kept\n").unwrap();
    let out = run_cmd(&mut export());
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(out_dir.join("preferences.jsonl")).unwrap(),
        "kept\n"
    );
    // With --force, and without revision pairs this time.
    let out = run_cmd(export().arg("--force"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(std::fs::read(out_dir.join("sft.jsonl")).unwrap(), before);
    assert_eq!(json_lines(&out_dir.join("preferences.jsonl")).len(), 2);
}

#[test]
fn sessions_list_and_show_describe_what_is_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let out = run(&["sessions", "list", "--root", arg(root)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("no sessions in"), "{}", out.stdout);

    sample_session(&root.join("alpha"));
    session_with(
        &root.join("beta"),
        &[done_record("b-1", "A benign question?", None)],
    );
    std::fs::create_dir(root.join("not-a-session")).unwrap();
    let out = run(&[
        "review",
        "--session",
        arg(&root.join("alpha")),
        "--approve",
        "rt-harm-01",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    let out = run(&["sessions", "list", "--root", arg(root)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 3, "{}", out.stdout);
    assert_eq!(rows[0][0], "NAME");
    let alpha = rows.iter().find(|r| r[0] == "alpha").expect("alpha listed");
    // RECORDS DONE FAILED APPROVED REJECTED PENDING
    assert_eq!(alpha[3..], ["4", "3", "1", "1", "0", "2"], "{}", out.stdout);
    assert!(rows.iter().any(|r| r[0] == "beta"));

    let out = run(&["sessions", "show", arg(&root.join("alpha"))]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("records       4 (3 done, 1 failed, 0 cancelled)"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("warning"), "{}", out.stdout);
    for id in ["rt-harm-01", "rt-harm-02", "rt-tax-01", "rt-law-02"] {
        assert!(
            out.stdout.lines().any(|l| l.starts_with(id)),
            "{id}: {}",
            out.stdout
        );
    }
    let out = run(&["sessions", "show", arg(&root.join("not-a-session"))]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
}

#[test]
fn a_torn_last_line_is_reported_and_loses_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    sample_session(&dir);
    let log = dir.join(EVENTS_FILE);
    let whole = std::fs::read(&log).unwrap();
    // A crash in the middle of writing a fifth record.
    let line = serde_json::to_string(&cai_workbench::session::LogEvent::Record {
        record: Box::new(done_record("rt-torn", "Half written?", Some(0.5))),
    })
    .unwrap();
    let mut torn = whole.clone();
    torn.extend_from_slice(&line.as_bytes()[..line.len() / 2]);
    std::fs::write(&log, &torn).unwrap();

    let out = run(&["sessions", "show", arg(&dir)]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("events.jsonl:5: torn last line"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("records       4 (3 done, 1 failed"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("rt-torn"), "{}", out.stdout);
    // Showing only reads: the file is as the crash left it.
    assert_eq!(std::fs::read(&log).unwrap(), torn);

    // The next writer repairs it: a review is appended after the repaired end, the four whole
    // records are as they were and the torn bytes are kept aside.
    let out = run(&["review", "--session", arg(&dir), "--approve", "rt-tax-01"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let repaired = std::fs::read(&log).unwrap();
    assert!(repaired.starts_with(&whole));
    let kept = std::fs::read(dir.join("events.jsonl.torn")).unwrap();
    assert!(kept.starts_with(&line.as_bytes()[..line.len() / 2]));
    assert_eq!(replay(&log).unwrap().events.len(), 5);
    let out = run(&["sessions", "show", arg(&dir)]);
    assert!(!out.stdout.contains("warning"), "{}", out.stdout);
    assert!(
        out.stdout.contains("review        1 approved"),
        "{}",
        out.stdout
    );
}

#[test]
fn run_refuses_a_session_made_with_another_constitution_before_loading_a_model() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    session_with(&dir, &[done_record("x-1", "Something?", None)]);
    let prompts = write(tmp.path(), "p.txt", "one prompt\n");
    let run_on = |dir: &Path| {
        let mut cmd = cai();
        cmd.args(["run", "--constitution", "constitutions/candid.toml"])
            .args(["--prompts", arg(&prompts), "--session", arg(dir)])
            // Never reached: the mismatch is found first.
            .args(["--model", "/nonexistent.gguf"]);
        run_cmd(&mut cmd)
    };
    let out = run_on(&dir);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains("was made with another constitution"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("fix:"), "{}", out.stderr);
    assert!(!out.stderr.contains("loading"), "{}", out.stderr);

    // A hand-edited manifest with a short hash is reported the same way, not a crash.
    let short = tmp.path().join("short");
    let mut m = manifest("short");
    m.constitution_sha256 = "c0ffee".into();
    Session::create(&short, m).unwrap();
    let out = run_on(&short);
    out.assert_no_panic();
    assert!(
        out.stderr.contains("was made with another constitution"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_second_writer_is_refused_with_the_holder_named_while_readers_still_work() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    sample_session(&dir);
    let s = arg(&dir);
    // This test process is the writer (as a workbench or `cai run` would be).
    let writer = Session::open(&dir).unwrap();

    let out = run(&["review", "--session", s, "--approve", "rt-harm-01"]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "is open for writing by process {}",
            std::process::id()
        )),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("fix: wait for it"), "{}", out.stderr);
    assert_eq!(
        review_state_read_only(&dir, "rt-harm-01"),
        ReviewState::Pending
    );

    // Viewing and exporting only read: they work beside the writer.
    let out = run(&["sessions", "show", s]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let out = run(&[
        "export",
        "--session",
        s,
        "--out",
        arg(&tmp.path().join("out")),
    ]);
    out.assert_no_panic();
    assert!(
        out.stderr.contains("has no approved records to export"),
        "{}",
        out.stderr
    );

    // Once the writer is gone, the review goes through. (A child another test thread is
    // forking at that moment shares the lock's open file until it execs: allow a moment.)
    drop(writer);
    let mut out = run(&["review", "--session", s, "--approve", "rt-harm-01"]);
    for _ in 0..20 {
        if out.code == Some(0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
        out = run(&["review", "--session", s, "--approve", "rt-harm-01"]);
    }
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(
        review_state_read_only(&dir, "rt-harm-01"),
        ReviewState::Approved
    );
}

fn review_state_read_only(dir: &Path, id: &str) -> ReviewState {
    Session::open_read_only(dir)
        .unwrap()
        .state()
        .review(id)
        .state
}
