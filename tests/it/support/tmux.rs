//! Driving the real `cai` binary in tmux: a tmux server of a test's own (its socket in the
//! test's temp dir, an empty config), keys sent with `send-keys`, the screen read with
//! `capture-pane`, waits for what the screen must show (never for a fixed time), and the exit
//! status read back; plus a synthetic session for tests that need records without a model.
//! Set `CAI_E2E_CAPTURE_DIR` to keep text captures, `CAI_E2E_BIN` to drive another build.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use cai_workbench::session::Session;

pub const WIDTH: u16 = 160;
pub const HEIGHT: u16 = 45;
/// Loading (and, on a fresh machine, fetching) the default model.
pub const MODEL_TIMEOUT: Duration = Duration::from_secs(600);
/// One prompt through the tiny constitution: a few dozen tokens at CPU speed.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// What the shell prints after `cai` exits, followed by its exit status.
pub const EXIT_LINE: &str = "cai exit status: ";

/// The file, in the test's directory, the shell writes `cai`'s exit status to beside the
/// screen's [`EXIT_LINE`]: once the workbench has left the alternate screen, tmux does not
/// always show what the shell printed after it before the pane is dead.
pub const EXIT_STATUS_FILE: &str = "cai-exit-status";

/// What the shell runs after `cai`: the exit status on the screen and in [`EXIT_STATUS_FILE`].
pub fn after_exit() -> String {
    format!("s=$?; printf '\\n{EXIT_LINE}%s\\n' $s; echo $s > {EXIT_STATUS_FILE}")
}
/// Anything that only redraws.
pub const SCREEN_TIMEOUT: Duration = Duration::from_secs(20);

/// A tmux server of our own, running `cai` in one pane; killed on drop.
pub struct Tmux {
    /// The server's socket, inside the test's temp dir (so it goes with it).
    socket: PathBuf,
    /// Where the shell around `cai` writes its exit status too (see [`EXIT_STATUS_FILE`]).
    status_file: PathBuf,
    last_screen: String,
}

impl Tmux {
    /// Starts a detached session of fixed size running the shell line `command` in `cwd`; the
    /// pane stays after the command exits so its last screen can be read.
    pub fn start(cwd: &Path, command: &str) -> Tmux {
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
    pub fn run(&self, args: &[&str]) -> Output {
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
    pub fn screen(&mut self) -> String {
        let output = self.run(&["capture-pane", "-p", "-t", "e2e"]);
        self.last_screen = String::from_utf8_lossy(&output.stdout).into_owned();
        self.last_screen.clone()
    }

    /// Sends tmux key names (`Enter`, `Escape`, `C-u`, or single characters) one at a time, with
    /// a pause so that Escape is never read together with the next key as Alt+key.
    pub fn keys(&mut self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "e2e", key]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Types text literally.
    pub fn type_text(&mut self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Waits until the screen contains `text`; panics with the screen after `timeout`, or at
    /// once if the model failed to load or the program exited.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> String {
        self.wait_until(&format!("{text:?}"), timeout, |screen| {
            screen.contains(text)
        })
    }

    /// Waits until `done` holds for the screen (see [`Tmux::wait_for`]).
    pub fn wait_until(
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
    pub fn exit_status(&mut self) -> Option<String> {
        let screen = self.screen();
        if let Some(line) = screen.lines().find(|l| l.starts_with(EXIT_LINE)) {
            return Some(line[EXIT_LINE.len()..].trim().to_string());
        }
        let written = std::fs::read_to_string(&self.status_file).ok()?;
        Some(written.trim().to_string()).filter(|s| !s.is_empty())
    }

    /// Waits for `cai` to exit and returns its status as the shell printed it.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> String {
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
    pub fn keep(&mut self, name: &str) {
        let screen = self.screen();
        keep_screen(name, &screen);
    }
}

/// Saves a screen as `<name>.txt` when `CAI_E2E_CAPTURE_DIR` is set.
pub fn keep_screen(name: &str, screen: &str) {
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

pub fn require_tmux() {
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
pub fn cai_binary() -> PathBuf {
    std::env::var_os("CAI_E2E_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_cai")))
}

/// Quotes a path for the shell line tmux runs.
pub fn quoted(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}

/// A session in `dir` of `count` synthetic done records, made for the default model and with
/// no constitution hash (so the workbench opened with `tests/fixtures/tiny.toml` keeps it);
/// returns the records.
pub fn synthetic_session(dir: &Path, name: &str, count: usize) -> Vec<cai_workbench::data::Record> {
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

pub fn model_info() -> cai_workbench::model::ModelInfo {
    cai_workbench::model::ModelInfo {
        id: "default".into(),
        path: None,
        sha256: None,
        server: None,
    }
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}
