//! SIGKILL at ten moments of `cai run` with the real default model: at start-up, while the
//! model loads, while it generates, and the instant a record reaches the log (the moment is
//! chosen by watching `events.jsonl` grow). After every kill the session opens, every record
//! finished before the kill is there exactly once, and the next run goes on from there; a last
//! run completes the rest.

use crate::support::common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use cai_workbench::data::RecordStatus;
use cai_workbench::session::{LogEvent, Session, EVENTS_FILE};
use common::{arg, repo};

const PROMPTS: usize = 9;

/// When to kill a run.
#[derive(Debug, Clone, Copy)]
enum Moment {
    /// This long after it started (start-up, model loading).
    After(Duration),
    /// The instant the log grows (a record is being written or was just written).
    OnWrite,
    /// This long after the log last grew (generating the next record).
    AfterWrite(Duration),
}

fn spawn(session: &Path, prompts: &Path) -> Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_cai"))
        .current_dir(repo())
        .args([
            "run",
            "--constitution",
            "tests/fixtures/tiny.toml",
            "--prompts",
        ])
        .args([
            arg(prompts),
            "--session",
            arg(session),
            "--concurrency",
            "1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("cai starts")
}

fn log_len(session: &Path) -> u64 {
    std::fs::metadata(session.join(EVENTS_FILE)).map_or(0, |m| m.len())
}

/// Done records in the raw log by prompt id, counting repeats; whole lines only.
fn done_counts(session: &Path) -> HashMap<String, usize> {
    let bytes = std::fs::read(session.join(EVENTS_FILE)).unwrap_or_default();
    let mut counts = HashMap::new();
    for line in bytes.split(|&b| b == b'\n') {
        if let Ok(LogEvent::Record { record }) = serde_json::from_slice::<LogEvent>(line) {
            if record.status == RecordStatus::Done {
                *counts.entry(record.prompt.id.clone()).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// Waits for the moment (or the end of the run) and kills; returns whether it killed.
fn kill_at(child: &mut Child, session: &Path, moment: Moment) -> bool {
    let started = Instant::now();
    let limit = Duration::from_secs(300);
    let grown_from = log_len(session);
    let mut last_growth: Option<Instant> = None;
    loop {
        if child.try_wait().expect("status").is_some() {
            return false;
        }
        assert!(
            started.elapsed() < limit,
            "no moment for {moment:?} in {limit:?}"
        );
        let len = log_len(session);
        let grew = len > grown_from;
        let now = match moment {
            Moment::After(d) => started.elapsed() >= d,
            Moment::OnWrite => grew,
            Moment::AfterWrite(d) => {
                if grew && last_growth.is_none() {
                    last_growth = Some(Instant::now());
                }
                last_growth.is_some_and(|t| t.elapsed() >= d)
            }
        };
        if now {
            child.kill().expect("SIGKILL");
            child.wait().expect("reaped");
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn ten_sigkills_lose_no_finished_record_and_the_run_completes() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let prompts = tmp.path().join("prompts.jsonl");
    let lines: Vec<String> = (1..=PROMPTS)
        .map(|i| format!("{{\"id\": \"k{i}\", \"prompt\": \"Give me one tip number {i} for staying safe online.\"}}"))
        .collect();
    std::fs::write(&prompts, lines.join("\n") + "\n").unwrap();
    let session = tmp.path().join("session");
    let ms = Duration::from_millis;
    let moments = [
        Moment::After(ms(30)),
        Moment::After(ms(400)),
        Moment::After(ms(1500)),
        Moment::OnWrite,
        Moment::AfterWrite(ms(300)),
        Moment::OnWrite,
        Moment::AfterWrite(ms(1200)),
        Moment::OnWrite,
        Moment::AfterWrite(ms(50)),
        Moment::OnWrite,
    ];
    let mut kills = 0;
    for moment in moments {
        let before: HashSet<String> = done_counts(&session).into_keys().collect();
        let mut child = spawn(&session, &prompts);
        let killed = kill_at(&mut child, &session, moment);
        assert!(
            killed,
            "the run ended before {moment:?}: not enough prompts left"
        );
        kills += 1;
        // The session opens (a torn last line is reported and set aside), and every record
        // finished before this kill is still there, exactly once.
        if session.join("manifest.json").exists() {
            let opened = Session::open_read_only(&session).expect("the session opens");
            for w in opened.warnings() {
                assert!(w.contains("torn last line"), "after {moment:?}: {w}");
            }
            let counts = done_counts(&session);
            for id in &before {
                assert_eq!(
                    counts.get(id),
                    Some(&1),
                    "{id} after {moment:?}: {counts:?}"
                );
            }
            assert!(
                counts.values().all(|&n| n == 1),
                "after {moment:?}: {counts:?}"
            );
        }
        eprintln!(
            "kill {kills} at {moment:?}: {} done",
            done_counts(&session).len()
        );
    }
    assert_eq!(kills, 10);
    // A last run completes the rest; nothing is done twice.
    let mut child = spawn(&session, &prompts);
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "the last run hangs"
        );
        std::thread::sleep(ms(100));
    }
    let counts = done_counts(&session);
    assert_eq!(counts.len(), PROMPTS, "{counts:?}");
    assert!(counts.values().all(|&n| n == 1), "{counts:?}");
    let opened = Session::open(&session).expect("the session opens for writing");
    assert_eq!(opened.state().records().len(), PROMPTS);
}
