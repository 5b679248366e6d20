//! End-to-end test of the workbench as a person uses it: the real `cai` binary in a tmux pane,
//! the real default model, keys sent with `tmux send-keys` and the screen read with
//! `tmux capture-pane`. One prompt goes from the prompt list through a run, the revision
//! inspector's initial-vs-final diff, approval in the review queue and the export dialog, and
//! the exported SFT file is checked against the session's record.
//!
//! Needs tmux (CI installs it); the harness is in [`crate::support::tmux`]. Set
//! `CAI_E2E_CAPTURE_DIR` to keep text captures of the streaming, diff and comparison screens, and
//! `CAI_E2E_BIN` to drive another build of `cai` than the one cargo just built.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use cai_workbench::session::Session;

use crate::support::tmux::{
    after_exit, cai_binary, keep_screen, quoted, repo_path, require_tmux, synthetic_session, Tmux,
    MODEL_TIMEOUT, RUN_TIMEOUT, SCREEN_TIMEOUT,
};

#[test]
fn one_prompt_from_run_to_export_in_the_real_workbench() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    require_tmux();
    let started = Instant::now();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().expect("temp dir");
    let constitution = dir.path().join("e2e.toml");
    let prompts = dir.path().join("e2e.jsonl");
    std::fs::copy(fixtures.join("e2e.toml"), &constitution).expect("copy constitution");
    std::fs::copy(fixtures.join("e2e.jsonl"), &prompts).expect("copy prompts");
    let session = dir.path().join("session");
    let out = session.join("out");
    let command = format!(
        "{} tui --constitution {} --prompts {} --session {}; {}",
        quoted(&cai_binary()),
        quoted(&constitution),
        quoted(&prompts),
        quoted(&session),
        after_exit()
    );
    let mut tmux = Tmux::start(dir.path(), &command);

    // The first frame comes at once; the model loads behind it.
    tmux.wait_for("1 Constitution", SCREEN_TIMEOUT);
    tmux.wait_for("model ready", MODEL_TIMEOUT);

    // Prompts view: run the one prompt and watch it stream.
    tmux.keys(&["2"]);
    tmux.wait_for("not run", SCREEN_TIMEOUT);
    tmux.keys(&["r"]);
    tmux.wait_for("initial response", RUN_TIMEOUT);
    // Keep one screen from mid-run (a critique streaming), if the polling catches one.
    let mut kept = false;
    let screen = tmux.wait_until("the run to finish", RUN_TIMEOUT, |screen| {
        if !kept && screen.contains("── critique 1") && screen.contains(" running ") {
            keep_screen("streaming", screen);
            kept = true;
        }
        screen.contains("run finished")
    });
    assert!(screen.contains("done"), "the prompt is not done:\n{screen}");
    assert!(screen.contains("1/1 records"), "{screen}");

    // Revision inspector: cycle the diff mode to initial vs final.
    tmux.keys(&["Enter"]);
    tmux.wait_for("Revisions · 1 round(s)", SCREEN_TIMEOUT);
    tmux.keys(&["d", "d"]);
    tmux.wait_for("diff: initial vs final", SCREEN_TIMEOUT);
    tmux.wait_for("Initial → final revision", SCREEN_TIMEOUT);
    tmux.keep("diff");

    // Comparison view: the feedback model's label.
    tmux.keys(&["4"]);
    tmux.wait_for("Feedback: P(A) =", SCREEN_TIMEOUT);
    tmux.keep("comparison");

    // Review queue: approve.
    tmux.keys(&["5"]);
    tmux.wait_for("1 pending", SCREEN_TIMEOUT);
    tmux.keys(&["a"]);
    tmux.wait_for("1 approved · 0 rejected · 0 pending", SCREEN_TIMEOUT);

    // Export dialog: a new destination, then write.
    tmux.keys(&["x"]);
    tmux.wait_for("destination:", SCREEN_TIMEOUT);
    tmux.keys(&["o"]);
    tmux.wait_for("Export destination folder", SCREEN_TIMEOUT);
    tmux.keys(&["C-u"]);
    tmux.type_text(&out.to_string_lossy());
    tmux.keys(&["Enter"]);
    tmux.wait_for(&format!("destination: {}", out.display()), SCREEN_TIMEOUT);
    tmux.keys(&["Enter"]);
    tmux.wait_for("written:", SCREEN_TIMEOUT);

    // Close the dialog and quit, answering a confirmation if one is asked.
    tmux.keys(&["Escape"]);
    tmux.wait_for("a  approve", SCREEN_TIMEOUT);
    tmux.keys(&["q"]);
    std::thread::sleep(Duration::from_millis(500));
    if tmux.exit_status().is_none() && tmux.screen().contains("Confirm") {
        tmux.keys(&["y"]);
    }
    let status = tmux.wait_for_exit(SCREEN_TIMEOUT);
    let screen = tmux.screen();
    assert_eq!(
        status, "0",
        "cai did not exit cleanly; last screen:\n{screen}"
    );

    // The export holds exactly the approved record, as the session has it.
    let sft = std::fs::read_to_string(out.join("sft.jsonl")).expect("sft.jsonl was written");
    let lines: Vec<&str> = sft.lines().collect();
    assert_eq!(lines.len(), 1, "sft.jsonl:\n{sft}");
    let row: serde_json::Value = serde_json::from_str(lines[0]).expect("sft line is JSON");
    let opened = Session::open_read_only(&session).expect("the session opens");
    let records = opened.state().records();
    assert_eq!(records.len(), 1);
    let final_text = records[0]
        .final_text()
        .expect("the record has a final text");
    assert!(!final_text.trim().is_empty());
    let expected = serde_json::json!([
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": final_text},
    ]);
    assert_eq!(row["messages"], expected, "sft row: {row}");
    eprintln!("workbench end to end: {:.1?}", started.elapsed());
}

/// The "N approved" of the review view's title, once it is on screen.
fn approved_on_screen(screen: &str) -> Option<usize> {
    let title = screen.lines().find(|l| l.contains("Review · "))?;
    let after = title.split("Review · ").nth(1)?;
    after.split(' ').next()?.parse().ok()
}

#[test]
fn the_workbench_killed_during_reviews_keeps_every_decision_it_showed() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    require_tmux();
    let tmp = tempfile::tempdir().expect("temp dir");
    let session = tmp.path().join("session");
    synthetic_session(&session, "kill", 40);
    let constitution = repo_path("tests/fixtures/tiny.toml");
    let command = format!(
        "{} tui --constitution {} --prompts {} --session {}; {}",
        quoted(&cai_binary()),
        quoted(&constitution),
        quoted(&repo_path("tests/fixtures/tiny-prompts.jsonl")),
        quoted(&session),
        after_exit()
    );
    let mut tmux = Tmux::start(tmp.path(), &command);
    tmux.wait_for("Constitution", SCREEN_TIMEOUT);
    tmux.keys(&["5"]);
    tmux.wait_for("Review · ", SCREEN_TIMEOUT);
    // Approve in a burst, then kill the workbench (SIGKILL) right after reading the screen.
    let mut burst = vec!["send-keys", "-t", "e2e"];
    burst.extend(std::iter::repeat_n("a", 30));
    tmux.run(&burst);
    // Kill as soon as a first decision is on screen (waiting for that state, not a fixed
    // time: the machine may be slow), while the rest of the burst is still being saved.
    let waited = Instant::now();
    let shown = loop {
        let shown = approved_on_screen(&tmux.screen()).expect("the review title");
        if shown > 0 {
            break shown;
        }
        assert!(
            waited.elapsed() < SCREEN_TIMEOUT,
            "no approval reached the screen in {SCREEN_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let shell = String::from_utf8_lossy(
        &tmux
            .run(&["display", "-p", "-t", "e2e", "#{pane_pid}"])
            .stdout,
    )
    .trim()
    .to_string();
    let children = Command::new("ps")
        .args(["--ppid", &shell, "-o", "pid="])
        .output()
        .expect("ps");
    let pid = String::from_utf8_lossy(&children.stdout).trim().to_string();
    assert!(!pid.is_empty(), "cai is not running under the pane's shell");
    let killed = Command::new("kill").args(["-KILL", &pid]).status();
    assert!(killed.is_ok_and(|s| s.success()), "kill -KILL {pid}");
    let gone = Instant::now();
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            gone.elapsed() < SCREEN_TIMEOUT,
            "cai {pid} outlived SIGKILL"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Every decision the screen showed is in the log; the session opens for writing again.
    let reopened = Session::open(&session).expect("the session opens after the kill");
    let approved = reopened.state().counts().approved;
    assert!(shown > 0, "no decision was shown before the kill");
    assert!(
        approved >= shown,
        "{shown} shown approved, {approved} in the log"
    );
    eprintln!("workbench killed with {shown} decisions shown, {approved} in the log");
}

#[test]
fn blind_picks_made_in_the_real_workbench_reach_the_session_log() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    require_tmux();
    let tmp = tempfile::tempdir().expect("temp dir");
    let session = tmp.path().join("session");
    let records = synthetic_session(&session, "blind", 3);
    let command = format!(
        "{} tui --constitution {} --prompts {} --session {}; {}",
        quoted(&cai_binary()),
        quoted(&repo_path("tests/fixtures/tiny.toml")),
        quoted(&repo_path("tests/fixtures/tiny-prompts.jsonl")),
        quoted(&session),
        after_exit()
    );
    let mut tmux = Tmux::start(tmp.path(), &command);
    tmux.wait_for("Constitution", SCREEN_TIMEOUT);
    tmux.keys(&["4"]);
    tmux.wait_for("P(A)", SCREEN_TIMEOUT);
    tmux.keys(&["B"]);
    let screen = tmux.wait_for("Blind judging", SCREEN_TIMEOUT);
    tmux.keep("blind-judging");
    for giveaway in ["P(A)", "initial", "revision", "less-harmful"] {
        assert!(
            !screen.contains(giveaway),
            "`{giveaway}` shown blind:\n{screen}"
        );
    }
    // (A) on the first pair, a tie on the second; the third is left.
    tmux.keys(&["a"]);
    tmux.wait_for("1 picked", SCREEN_TIMEOUT);
    tmux.keys(&["t"]);
    tmux.wait_for("2 picked", SCREEN_TIMEOUT);
    tmux.keys(&["Escape"]);
    // Back in the comparison view (its P(A) shows again) before the next key, which tmux
    // would otherwise join to the Escape as Alt+q.
    tmux.wait_for("P(A)", SCREEN_TIMEOUT);
    tmux.keys(&["q"]);
    tmux.wait_for_exit(SCREEN_TIMEOUT);
    let opened = Session::open_read_only(&session).expect("the session opens");
    let state = opened.state();
    let picks: Vec<_> = records
        .iter()
        .map(|r| state.blind_pick(&r.prompt.id).cloned())
        .collect();
    let first = picks[0].as_ref().expect("the first pick is in the log");
    assert_eq!(
        first.picked.as_deref(),
        Some(first.shown_first.as_str()),
        "a picks (A)"
    );
    let second = picks[1].as_ref().expect("the tie is in the log");
    assert_eq!(second.picked, None);
    assert!(picks[2].is_none(), "the third pair was not judged");
}
