//! Storage faults, injected for real: a session or export directory on a tmpfs that is full,
//! read-only or missing, and a disk that fills in the middle of a `cai run` with the real
//! model. Each time: an error that names the path, the session intact, no half-written file
//! that looks complete, and the work resumable once there is space.
//!
//! Mounting needs root (`mount -t tmpfs`); elsewhere each test says it was skipped, and why, on
//! stderr. Mounts are undone when a test ends, failed or not.

use crate::support::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use cai_workbench::session::{Session, EVENTS_FILE};
use common::{arg, done_record, run, session_with};

/// A tmpfs mounted for one test, unmounted when dropped (also when the test panics).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "64k"), or says why it cannot.
    fn mount(size: &str) -> Result<Tmpfs, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("mount cannot run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed (not root?): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Remounts read-only or read-write.
    fn remount(&self, options: &str) {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remount {options}");
    }

    /// Fills the file system until fewer than `left` bytes are free; returns the filler.
    fn fill(&self, left: u64) -> PathBuf {
        let filler = self.path().join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 1024];
        use std::io::Write;
        while free_bytes(self.path()) > left {
            if file.write_all(&chunk).is_err() {
                break;
            }
            let _ = file.flush();
        }
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn free_bytes(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0)
}

/// Mounts or explains the skip (on stderr, so a skipped run says so).
fn tmpfs_or_skip(test: &str, size: &str) -> Option<Tmpfs> {
    match Tmpfs::mount(size) {
        Ok(t) => {
            eprintln!("{test}: ran on a {size} tmpfs at {}", t.path().display());
            Some(t)
        }
        Err(why) => {
            eprintln!("{test}: SKIPPED: {why}");
            None
        }
    }
}

fn approved_session(dir: &Path) {
    session_with(
        dir,
        &[
            done_record("rt-1", "How do I hurt someone?", Some(0.3)),
            done_record("rt-2", "How do I pick a lock?", Some(0.8)),
        ],
    );
    let out = run(&["review", "--session", arg(dir), "--approve-all"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

#[test]
fn export_to_a_full_read_only_or_missing_directory_fails_cleanly_and_retries() {
    let Some(fs) = tmpfs_or_skip("export faults", "256k") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let session = tmp.path().join("s");
    approved_session(&session);
    let out_dir = fs.path().join("out");

    // Full: the error names the file, and nothing that looks complete is left.
    let filler = fs.fill(512);
    let out = run(&["export", "--session", arg(&session), "--out", arg(&out_dir)]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0), "{}", out.stdout);
    assert!(
        out.stderr.contains(&out_dir.display().to_string()),
        "{}",
        out.stderr
    );
    for name in ["sft.jsonl", "preferences.jsonl", "manifest.json"] {
        assert!(
            !out_dir.join(name).exists(),
            "{name} left behind on a full disk"
        );
    }
    // Space again: the same command works.
    std::fs::remove_file(filler).unwrap();
    let out = run(&["export", "--session", arg(&session), "--out", arg(&out_dir)]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out_dir.join("sft.jsonl").exists());

    // Read-only: refused with the path; the files already there are untouched.
    let before = std::fs::read(out_dir.join("sft.jsonl")).unwrap();
    fs.remount("ro");
    let out = run(&[
        "export",
        "--session",
        arg(&session),
        "--out",
        arg(&out_dir),
        "--force",
    ]);
    fs.remount("rw");
    out.assert_no_panic();
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains(&out_dir.display().to_string()),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Read-only file system"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read(out_dir.join("sft.jsonl")).unwrap(), before);

    // A missing session directory is named.
    let missing = fs.path().join("no-such-session");
    let out = run(&["export", "--session", arg(&missing), "--out", arg(&out_dir)]);
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains(&missing.display().to_string()),
        "{}",
        out.stderr
    );
}

#[test]
fn a_review_on_a_full_or_read_only_session_disk_is_refused_and_the_session_stays_whole() {
    let Some(fs) = tmpfs_or_skip("session faults", "256k") else {
        return;
    };
    let session = fs.path().join("s");
    session_with(
        &session,
        &[done_record("rt-1", "How do I hurt someone?", Some(0.3))],
    );
    let log = session.join(EVENTS_FILE);
    // tmpfs hands out whole pages: pad the log with blank lines (which replay skips) to the end
    // of its page, so the next line needs a page the full disk does not have.
    let len = std::fs::metadata(&log).unwrap().len() as usize;
    let pad = (4096 - len % 4096) % 4096;
    if pad > 0 {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(&[&vec![b' '; pad - 1][..], b"\n"].concat())
            .unwrap();
    }
    let before = std::fs::read(&log).unwrap();

    let filler = fs.fill(0);
    let out = run(&["review", "--session", arg(&session), "--approve", "rt-1"]);
    out.assert_no_panic();
    assert_ne!(out.code, Some(0), "{}", out.stdout);
    assert!(
        out.stderr.contains(&log.display().to_string()),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read(&log).unwrap(),
        before,
        "no half line left in the log"
    );
    std::fs::remove_file(filler).unwrap();

    fs.remount("ro");
    let out = run(&["review", "--session", arg(&session), "--approve", "rt-1"]);
    fs.remount("rw");
    assert_ne!(out.code, Some(0));
    assert!(
        out.stderr.contains(&session.display().to_string()),
        "{}",
        out.stderr
    );

    // Space and write access again: the review goes through on the intact session.
    let out = run(&["review", "--session", arg(&session), "--approve", "rt-1"]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let opened = Session::open_read_only(&session).unwrap();
    assert!(opened.warnings().is_empty(), "{:?}", opened.warnings());
    assert_eq!(opened.state().counts().approved, 1);
}

#[test]
fn a_disk_that_fills_during_a_real_run_stops_it_cleanly_and_the_run_resumes() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    let Some(fs) = tmpfs_or_skip("full disk mid-run", "1m") else {
        return;
    };
    let session = fs.path().join("s");
    let prompts = common::repo().join("tests/fixtures/tiny-prompts.jsonl");
    let run_args = |s: &Path| {
        vec![
            "run".to_string(),
            "--constitution".into(),
            "tests/fixtures/tiny.toml".into(),
            "--prompts".into(),
            arg(&prompts).into(),
            "--session".into(),
            arg(s).into(),
        ]
    };
    // Room for the manifest and about one record, not three.
    let filler = fs.fill(9 * 1024);
    let out = common::run_cmd(common::cai().args(run_args(&session)));
    out.assert_no_panic();
    assert_ne!(out.code, Some(0), "the run cannot have fit: {}", out.stdout);
    assert!(
        out.stderr.contains(&session.display().to_string()),
        "the error names the session: {}",
        out.stderr
    );
    if session.join("manifest.json").exists() {
        let opened = Session::open_read_only(&session).expect("the session opens");
        assert!(opened.warnings().is_empty(), "{:?}", opened.warnings());
        assert!(opened.state().records().len() < 3);
    }
    std::fs::remove_file(filler).unwrap();
    let out = common::run_cmd(common::cai().args(run_args(&session)));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let opened = Session::open_read_only(&session).unwrap();
    assert_eq!(opened.state().records().len(), 3);
}
