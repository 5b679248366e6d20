//! `cai run` over real llama.cpp servers on loopback: 20 prompts spread over two servers, one of
//! two servers killed mid-run with nothing lost, and the API key sent but never written.

use crate::support::llama_server as llama;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use llama::{quick_constitution, repo, turn, LlamaServer, Options};

/// `cai`, as a child process.
fn cai() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("cai"));
    cmd.current_dir(repo());
    cmd
}

/// `(served, failed)` of an endpoint line of `cai run`'s summary.
fn served_by(stdout: &str, url: &str) -> (u64, u64) {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("endpoint {url}:")))
        .unwrap_or_else(|| panic!("no line for {url} in:\n{stdout}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    (numbers[0], numbers[1])
}

fn records_done(session: &Path) -> usize {
    let session = cai_workbench::session::Session::open(session).expect("the session opens");
    session
        .state()
        .records()
        .iter()
        .filter(|r| r.status == cai_workbench::data::RecordStatus::Done)
        .count()
}

#[test]
fn twenty_prompts_spread_over_two_servers() {
    let _turn = turn();
    let one = LlamaServer::start(Options::default());
    let two = LlamaServer::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let constitution = quick_constitution(dir.path());
    let session = dir.path().join("spread");
    let started = Instant::now();
    let out = cai()
        .args(["run", "--compare", "--limit", "20", "--max-in-flight", "2"])
        .arg("--constitution")
        .arg(&constitution)
        .arg("--session")
        .arg(&session)
        .args(["--endpoint", &one.url, "--endpoint", &two.url])
        .env("CAI_DATA_DIR", dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}\n{:.1} s", started.elapsed().as_secs_f64());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("20 done, 0 failed"), "{stdout}");
    let (a, b) = (served_by(&stdout, &one.url), served_by(&stdout, &two.url));
    assert_eq!((a.1, b.1), (0, 0), "healthy servers fail nothing");
    let total = (a.0 + b.0) as f64;
    for (name, share) in [("first", a.0), ("second", b.0)] {
        assert!(
            share as f64 >= 0.25 * total,
            "the {name} server served {share} of {total} requests"
        );
    }
    assert_eq!(records_done(&session), 20);
}

#[test]
fn killing_one_of_two_servers_mid_run_loses_nothing() {
    let _turn = turn();
    let one = LlamaServer::start(Options::default());
    let mut two = LlamaServer::start(Options::default());
    let dir = tempfile::tempdir().unwrap();
    let constitution = quick_constitution(dir.path());
    let session = dir.path().join("failover");
    let child = cai()
        .args(["run", "--compare", "--limit", "12", "--max-in-flight", "2"])
        .arg("--constitution")
        .arg(&constitution)
        .arg("--session")
        .arg(&session)
        .args(["--endpoint", &one.url, "--endpoint", &two.url])
        .env("CAI_DATA_DIR", dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the second server once three records are durable and it is working on others.
    let events = session.join("events.jsonl");
    let waited = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&events)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if lines >= 3 && two.busy() {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(240),
            "the run made no progress"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    two.kill();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("12 done, 0 failed"), "{stdout}");
    let (served_two, failed_two) = served_by(&stdout, &two.url);
    let (served_one, failed_one) = served_by(&stdout, &one.url);
    assert_eq!(failed_one, 0, "the server left running failed nothing");
    assert!(
        failed_two >= 1,
        "requests in flight on the killed server failed there"
    );
    assert!(served_two >= 1 && served_one > served_two, "{stdout}");
    assert!(stdout.contains(&format!(
        "endpoint {}: {served_two} requests served, {failed_two} failed (set aside)",
        two.url
    )));
    assert_eq!(records_done(&session), 12, "every record is in the session");
}

#[test]
fn the_api_key_is_sent_but_never_written() {
    let _turn = turn();
    let key = "sk-test-6b1f0c2e9d";
    let server = LlamaServer::start(Options {
        extra: vec!["--api-key".into(), key.into()],
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let constitution = quick_constitution(dir.path());
    let session = dir.path().join("keyed");
    let run = |with_key: Option<&str>| {
        let mut cmd = cai();
        cmd.args([
            "run",
            "--compare",
            "--limit",
            "2",
            "--api-key-env",
            "CAI_TEST_SERVER_KEY",
        ])
        .arg("--constitution")
        .arg(&constitution)
        .arg("--session")
        .arg(&session)
        .args(["--endpoint", &server.url])
        .env("CAI_DATA_DIR", dir.path())
        .env("CAI_LOG", "trace")
        .env_remove("CAI_TEST_SERVER_KEY");
        if let Some(k) = with_key {
            cmd.env("CAI_TEST_SERVER_KEY", k);
        }
        cmd.output().unwrap()
    };
    let missing = run(None);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("CAI_TEST_SERVER_KEY is not set"));
    let wrong = run(Some("sk-wrong"));
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("check the key in CAI_TEST_SERVER_KEY"));
    let ok = run(Some(key));
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let review = cai()
        .args(["review", "--approve-all", "--session"])
        .arg(&session)
        .output()
        .unwrap();
    assert!(review.status.success());
    let export = cai()
        .args(["export", "--session"])
        .arg(&session)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let manifest = std::fs::read_to_string(session.join("manifest.json")).unwrap();
    assert!(
        manifest.contains("CAI_TEST_SERVER_KEY"),
        "the variable's name is recorded"
    );
    let mut checked = 0;
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(key),
            "{} holds the key",
            entry.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 5,
        "session, log and export files were written ({checked})"
    );
    for output in [&missing, &wrong, &ok] {
        assert!(!String::from_utf8_lossy(&output.stderr).contains(key));
        assert!(!String::from_utf8_lossy(&output.stdout).contains(key));
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
