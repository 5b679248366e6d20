//! `cai run` with the real default model on a tiny constitution (tests/fixtures/tiny.toml: one
//! short round, one comparison principle in both orders) and three prompts: a whole run through
//! review and export, a run killed mid-way and resumed, and a run stopped with Ctrl+C (SIGINT)
//! and resumed. The model is pulled on first use; the tests take turns so only one model runs
//! at a time.

use crate::support::common;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use cai_workbench::constitution::load_constitution;
use cai_workbench::data::{Choice, Record, RecordStatus};
use cai_workbench::session::{replay, LogEvent, Session, EVENTS_FILE};

use common::{arg, cai, json_lines, repo, run, run_cmd, Output};

const CONSTITUTION: &str = "tests/fixtures/tiny.toml";
const PROMPTS: &str = "tests/fixtures/tiny-prompts.jsonl";
const PROMPT_COUNT: usize = 3;
/// How long a run may take to finish its first record before a test gives up.
const FIRST_RECORD_TIMEOUT: Duration = Duration::from_secs(300);

/// The arguments of `cai run` on the tiny constitution into `session`.
fn run_args(session: &Path, compare: bool) -> Vec<String> {
    let mut args = vec![
        "run".to_string(),
        "--constitution".into(),
        CONSTITUTION.into(),
        "--prompts".into(),
        PROMPTS.into(),
        "--session".into(),
        arg(session).into(),
        "--concurrency".into(),
        "1".into(),
    ];
    if compare {
        args.push("--compare".into());
    }
    args
}

/// `cai run` to completion.
fn run_to_end(session: &Path, compare: bool) -> Output {
    run_cmd(cai().args(run_args(session, compare)))
}

/// `cai run` as a child process, its output piped.
fn spawn_run(session: &Path) -> Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_cai"))
        .current_dir(repo())
        .args(run_args(session, false))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cai starts")
}

/// The records in the raw log, in the order they were written (a last line without its
/// newline is not counted: it may still be being written).
fn logged_records(session: &Path) -> Vec<Record> {
    let bytes = std::fs::read(session.join(EVENTS_FILE)).unwrap_or_default();
    let whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    bytes[..whole]
        .split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<LogEvent>(line).ok())
        .filter_map(|event| match event {
            LogEvent::Record { record } => Some(*record),
            LogEvent::Review { .. } | LogEvent::Blind { .. } => None,
        })
        .collect()
}

/// Waits until the running child has logged `n` records; fails if it exits first.
fn wait_for_records(child: &mut Child, session: &Path, n: usize) {
    let started = Instant::now();
    while logged_records(session).len() < n {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("cai run exited ({status}) before logging {n} record(s)");
        }
        if started.elapsed() > FIRST_RECORD_TIMEOUT {
            let _ = child.kill();
            panic!("no record after {FIRST_RECORD_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for the child to exit (killing it after `limit`) and returns its output.
fn wait_with_limit(mut child: Child, limit: Duration) -> Output {
    let started = Instant::now();
    while child.try_wait().expect("child status").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("cai run did not stop within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("child output");
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Opens the session and checks every prompt has exactly one done record and the log
/// replays without warnings; returns the records by prompt id.
fn all_done(session: &Path) -> HashMap<String, Record> {
    let opened = Session::open(session).expect("session opens");
    assert!(opened.warnings().is_empty(), "{:?}", opened.warnings());
    let records = opened.state().records();
    assert_eq!(records.len(), PROMPT_COUNT, "{records:#?}");
    let mut by_id = HashMap::new();
    for record in records {
        assert_eq!(record.status, RecordStatus::Done, "{record:#?}");
        assert!(by_id
            .insert(record.prompt.id.clone(), record.clone())
            .is_none());
    }
    by_id
}

#[test]
fn run_compare_review_export_with_the_real_model() {
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("session");
    let (constitution, _) = load_constitution(&repo().join(CONSTITUTION)).expect("tiny is valid");
    let s = &constitution.settings;
    let token_limit = 2 * s.max_response_tokens + s.max_critique_tokens;

    let out = run_to_end(&session, true);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("3 done, 0 failed, 0 cancelled"),
        "{}",
        out.stdout
    );

    let records = all_done(&session);
    for record in records.values() {
        let initial = record.initial.as_ref().expect("initial response");
        assert!(!initial.text.trim().is_empty(), "{record:#?}");
        assert!(initial.tokens <= s.max_response_tokens);
        assert_eq!(record.rounds.len(), 1, "{record:#?}");
        let round = &record.rounds[0];
        assert!(constitution
            .principles
            .iter()
            .any(|p| p.id == round.principle_id));
        assert!(round.critique.tokens <= s.max_critique_tokens);
        assert!(record.generated_tokens > 0 && record.generated_tokens <= token_limit);
        let comparison = record.comparison.as_ref().expect("comparison");
        // The initial answer against the revision, in either slot.
        let text_of = |source: &str| match source {
            "initial" => initial.text.clone(),
            "revision" => round.revision.text.clone(),
            other => panic!("unexpected comparison source {other}"),
        };
        assert_ne!(comparison.a_source, comparison.b_source);
        assert_eq!(comparison.a, text_of(&comparison.a_source));
        assert_eq!(comparison.b, text_of(&comparison.b_source));
        assert_eq!(comparison.verdicts.len(), 1, "ensemble_size 1");
        let v = &comparison.verdicts[0];
        assert!(constitution
            .comparisons
            .iter()
            .any(|c| c.id == v.principle_id));
        let swapped = v.p_a_swapped.expect("both orders asked");
        for p in [v.p_a_forward, swapped, v.p_a, comparison.p_a] {
            assert!(p > 0.0 && p < 1.0, "{comparison:#?}");
        }
        assert!((v.p_a - (v.p_a_forward + swapped) / 2.0).abs() < 1e-9);
        assert!((comparison.p_a - v.p_a).abs() < 1e-9);
        let expected = if comparison.p_a >= 0.5 {
            Choice::A
        } else {
            Choice::B
        };
        assert_eq!(comparison.choice, expected);
    }

    let out = run(&["review", "--session", arg(&session), "--approve-all"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("approved 3 pending records"),
        "{}",
        out.stdout
    );
    let out_dir = tmp.path().join("export");
    let out = run(&[
        "export",
        "--session",
        arg(&session),
        "--out",
        arg(&out_dir),
        "--revision-pairs",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    let sft = json_lines(&out_dir.join("sft.jsonl"));
    assert_eq!(sft.len(), PROMPT_COUNT);
    for line in &sft {
        let record = &records[line["record_id"].as_str().expect("record_id")];
        assert_eq!(line["messages"][0]["content"], record.prompt.text.as_str());
        assert_eq!(line["messages"][1]["content"], record.final_text().unwrap());
    }
    // A pair per comparison of two different texts, and per revision that changed the text.
    let differ = |r: &&Record| r.comparison.as_ref().is_some_and(|c| c.a != c.b);
    let revised = |r: &&Record| r.final_text() != r.initial.as_ref().map(|i| i.text.as_str());
    let ai_pairs = records.values().filter(differ).count();
    let revision_pairs = records.values().filter(revised).count();
    let prefs = json_lines(&out_dir.join("preferences.jsonl"));
    let of_kind = |kind: &str| prefs.iter().filter(|l| l["pair"] == kind).count();
    assert_eq!(of_kind("ai-feedback"), ai_pairs, "{}", out.stdout);
    assert_eq!(
        of_kind("revision-over-initial"),
        revision_pairs,
        "{}",
        out.stdout
    );
    assert_eq!(prefs.len(), ai_pairs + revision_pairs);
    for line in prefs.iter().filter(|l| l["pair"] == "ai-feedback") {
        let record = &records[line["record_id"].as_str().expect("record_id")];
        let c = record.comparison.as_ref().unwrap();
        let (chosen, p) = match c.choice {
            Choice::A => (&c.a, c.p_a),
            Choice::B => (&c.b, 1.0 - c.p_a),
        };
        assert_eq!(line["chosen"][0]["content"], chosen.as_str());
        assert!((line["p_chosen"].as_f64().unwrap() - p).abs() < 1e-9);
    }
}

#[test]
fn a_killed_run_resumes_without_redoing_finished_records() {
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("session");
    let mut child = spawn_run(&session);
    wait_for_records(&mut child, &session, 1);
    child.kill().expect("SIGKILL"); // SIGKILL: no chance to clean up
    child.wait().expect("child reaped");

    let before = logged_records(&session);
    assert!(
        !before.is_empty() && before.len() < PROMPT_COUNT,
        "{before:#?}"
    );
    let replayed = replay(&session.join(EVENTS_FILE)).expect("log readable");
    assert!(
        replayed.warnings.is_empty()
            || (replayed.warnings.len() == 1 && replayed.warnings[0].contains("torn last line")),
        "{:?}",
        replayed.warnings
    );

    let out = run_to_end(&session, false);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let resumed = format!("{} of {PROMPT_COUNT} prompts already done", before.len());
    assert!(out.stderr.contains(&resumed), "{}", out.stderr);

    let after = all_done(&session);
    for record in &before {
        // Not redone: the very record written before the kill.
        assert_eq!(after[&record.prompt.id], *record);
    }
    let logged = logged_records(&session);
    assert_eq!(
        logged.len(),
        PROMPT_COUNT,
        "one record line per prompt: {logged:#?}"
    );
}

#[test]
fn ctrl_c_stops_cleanly_keeps_the_work_and_resumes() {
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("session");
    let mut child = spawn_run(&session);
    wait_for_records(&mut child, &session, 1);
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let out = wait_with_limit(child, Duration::from_secs(120));
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "a clean exit: {}", out.stderr);
    assert!(out.stderr.contains("run again to resume"), "{}", out.stderr);

    let stopped = Session::open(&session).expect("session opens");
    assert!(stopped.warnings().is_empty(), "{:?}", stopped.warnings());
    let counts = stopped.state().counts();
    assert!(counts.done >= 1 && counts.done < PROMPT_COUNT, "{counts:?}");
    assert_eq!(counts.failed, 0);
    let summary = format!(
        "{} done, 0 failed, {} cancelled",
        counts.done, counts.cancelled
    );
    assert!(out.stdout.contains(&summary), "{summary}: {}", out.stdout);
    let done_before: Vec<Record> = stopped
        .state()
        .records()
        .iter()
        .filter(|r| r.status == RecordStatus::Done)
        .cloned()
        .collect();
    drop(stopped);

    let out = run_to_end(&session, false);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let resumed = format!(
        "resuming {}: {} of {PROMPT_COUNT} prompts already done",
        session.display(),
        done_before.len()
    );
    assert!(out.stderr.contains(&resumed), "{}", out.stderr);
    let after = all_done(&session);
    for record in &done_before {
        assert_eq!(after[&record.prompt.id], *record);
    }
}
