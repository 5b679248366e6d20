//! End-to-end test of the workbench as a person uses it: the real `cai` binary in a tmux pane,
//! the real default model, keys sent with `tmux send-keys` and the screen read with
//! `tmux capture-pane`. One prompt goes from the prompt list through a run, the revision
//! inspector's initial-vs-final diff, approval in the review queue and the export dialog, and
//! the exported SFT file is checked against the session's record.
//!
//! Needs tmux (CI installs it). The tmux server uses its own socket (in the test's temp dir) and
//! an empty config, so it never touches other sessions, and a guard kills it whatever happens. Set
//! `CAI_E2E_CAPTURE_DIR` to keep text captures of the streaming, diff and comparison screens, and
//! `CAI_E2E_BIN` to drive another build of `cai` than the one cargo just built.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use cai_workbench::session::Session;

const WIDTH: u16 = 160;
const HEIGHT: u16 = 45;
/// Loading (and, on a fresh machine, fetching) the default model.
const MODEL_TIMEOUT: Duration = Duration::from_secs(600);
/// One prompt through the tiny constitution: a few dozen tokens at CPU speed.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// What the shell prints after `cai` exits, followed by its exit status.
const EXIT_LINE: &str = "cai exit status: ";

/// The file, in the test's directory, the shell writes `cai`'s exit status to beside the
/// screen's [`EXIT_LINE`]: once the workbench has left the alternate screen, tmux does not
/// always show what the shell printed after it before the pane is dead.
const EXIT_STATUS_FILE: &str = "cai-exit-status";

/// What the shell runs after `cai`: the exit status on the screen and in [`EXIT_STATUS_FILE`].
fn after_exit() -> String {
    format!("s=$?; printf '\\n{EXIT_LINE}%s\\n' $s; echo $s > {EXIT_STATUS_FILE}")
}
/// Anything that only redraws.
const SCREEN_TIMEOUT: Duration = Duration::from_secs(20);

/// A tmux server of our own, running `cai` in one pane; killed on drop.
struct Tmux {
    /// The server's socket, inside the test's temp dir (so it goes with it).
    socket: PathBuf,
    /// Where the shell around `cai` writes its exit status too (see [`EXIT_STATUS_FILE`]).
    status_file: PathBuf,
    last_screen: String,
}

impl Tmux {
    /// Starts a detached session of fixed size running the shell line `command` in `cwd`; the
    /// pane stays after the command exits so its last screen can be read.
    fn start(cwd: &Path, command: &str) -> Tmux {
        let socket = cwd.join("tmux.sock");
        let config = cwd.join("tmux.conf");
        std::fs::write(
            &config,
            "set -s escape-time 0\nset -g remain-on-exit on\nset -g history-limit 0\n",
        )
        .expect("write the tmux config");
        let tmux = Tmux {
            socket,
            status_file: cwd.join(EXIT_STATUS_FILE),
            last_screen: String::new(),
        };
        let (w, h) = (WIDTH.to_string(), HEIGHT.to_string());
        let config = config.to_string_lossy().into_owned();
        let cwd = cwd.to_string_lossy().into_owned();
        tmux.run(&[
            "-f",
            &config,
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &w,
            "-y",
            &h,
            "-c",
            &cwd,
            command,
        ]);
        tmux
    }

    /// Runs one tmux command on our socket; panics (with the screen) if tmux fails.
    fn run(&self, args: &[&str]) -> Output {
        let output = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}\nlast screen:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.last_screen
        );
        output
    }

    /// The pane's text now.
    fn screen(&mut self) -> String {
        let output = self.run(&["capture-pane", "-p", "-t", "e2e"]);
        self.last_screen = String::from_utf8_lossy(&output.stdout).into_owned();
        self.last_screen.clone()
    }

    /// Sends tmux key names (`Enter`, `Escape`, `C-u`, or single characters) one at a time, with
    /// a pause so that Escape is never read together with the next key as Alt+key.
    fn keys(&mut self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "e2e", key]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Types text literally.
    fn type_text(&mut self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Waits until the screen contains `text`; panics with the screen after `timeout`, or at
    /// once if the model failed to load or the program exited.
    fn wait_for(&mut self, text: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{text:?}"), timeout, |screen| {
            screen.contains(text)
        })
    }

    /// Waits until `done` holds for the screen (see [`Tmux::wait_for`]).
    fn wait_until(
        &mut self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&str) -> bool,
    ) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if screen.contains("model failed") || screen.contains(EXIT_LINE) {
                panic!("waiting for {what}, the workbench stopped:\n{screen}");
            }
            if start.elapsed() > timeout {
                panic!("{what} did not appear within {timeout:?}; last screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The exit status of `cai`, once the shell around it has printed it (see [`EXIT_LINE`]).
    /// The status is read from the screen rather than from tmux, because tmux 3.3 sometimes
    /// leaves a pane's exited program unreaped, with no status, for a long while.
    fn exit_status(&mut self) -> Option<String> {
        let screen = self.screen();
        if let Some(line) = screen.lines().find(|l| l.starts_with(EXIT_LINE)) {
            return Some(line[EXIT_LINE.len()..].trim().to_string());
        }
        let written = std::fs::read_to_string(&self.status_file).ok()?;
        Some(written.trim().to_string()).filter(|s| !s.is_empty())
    }

    /// Waits for `cai` to exit and returns its status as the shell printed it.
    fn wait_for_exit(&mut self, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(status) = self.exit_status() {
                return status;
            }
            if start.elapsed() > timeout {
                let screen = self.screen();
                panic!("the workbench did not exit within {timeout:?}; last screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Saves the current screen as `<name>.txt` when `CAI_E2E_CAPTURE_DIR` is set.
    fn keep(&mut self, name: &str) {
        let screen = self.screen();
        keep_screen(name, &screen);
    }
}

/// Saves a screen as `<name>.txt` when `CAI_E2E_CAPTURE_DIR` is set.
fn keep_screen(name: &str, screen: &str) {
    if let Some(dir) = std::env::var_os("CAI_E2E_CAPTURE_DIR") {
        let dir = PathBuf::from(dir);
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(dir.join(format!("{name}.txt")), screen);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

fn require_tmux() {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(
        found,
        "this test drives the workbench through tmux, which was not found: install tmux \
         (e.g. `apt-get install tmux`)"
    );
}

/// The `cai` to drive: `CAI_E2E_BIN` if set, else the one built with this test.
fn cai_binary() -> PathBuf {
    std::env::var_os("CAI_E2E_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_cai")))
}

/// Quotes a path for the shell line tmux runs.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}

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

/// A session in `dir` of `count` synthetic done records, made for the default model and with
/// no constitution hash (so the workbench opened with `tests/fixtures/tiny.toml` keeps it);
/// returns the records.
fn synthetic_session(dir: &Path, name: &str, count: usize) -> Vec<cai_workbench::data::Record> {
    let mut s = Session::create(
        dir,
        cai_workbench::session::Manifest {
            name: name.into(),
            created_at: "2024-01-01T00:00:00Z".into(),
            constitution_name: "tiny".into(),
            constitution_sha256: String::new(),
            constitution_toml: String::new(),
            constitution_path: None,
            prompts_path: None,
            policy_model: model_info(),
            feedback_model: model_info(),
            settings: Default::default(),
            seed: 1,
            program_version: "test".into(),
        },
    )
    .expect("session");
    let records: Vec<_> = (0..count)
        .map(cai_workbench::pipeline::synthetic::synthetic_record)
        .collect();
    for r in &records {
        s.append_record(r).expect("record");
    }
    records
}

fn model_info() -> cai_workbench::model::ModelInfo {
    cai_workbench::model::ModelInfo {
        id: "default".into(),
        path: None,
        sha256: None,
        server: None,
    }
}

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
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
