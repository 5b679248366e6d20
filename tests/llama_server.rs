//! The server backend against real llama.cpp servers (`llama-server`, built from source on
//! first use) running the default model on loopback: the whole pipeline through a server
//! compared with the same prompts in process, the three ways of continuing the answer, a
//! cancelled stream, 20 prompts spread over two servers, one of two servers killed mid-run,
//! and the API key kept out of everything written.
//!
//! The tests take turns (each starts its own servers on the 2 cores), and every server is
//! stopped by a guard when its test ends, whether it passed or failed.

#[path = "support/llama_server.rs"]
mod llama;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cai_workbench::model::openai::{CheckComparisons, Continuation, OpenAiBackend, ServerConfig};
use cai_workbench::model::{Backend, ChatMessage, FinishReason, Sampling};
use llama::{LlamaServer, Options};
use tokio_util::sync::CancellationToken;

static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Runtime::new().expect("runtime"));
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped constitution with short answers and one round, so runs take seconds.
fn quick_constitution(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("constitutions/harmless.toml")).unwrap();
    let text = text
        .replace("rounds = 2", "rounds = 1")
        .replace("max_response_tokens = 160", "max_response_tokens = 24")
        .replace("max_critique_tokens = 96", "max_critique_tokens = 16")
        .replace("ensemble_size = 3", "ensemble_size = 1");
    let path = dir.join("quick.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn connect(urls: Vec<String>, continuation: Continuation) -> OpenAiBackend {
    let mut config = ServerConfig::new(urls);
    config.continuation = continuation;
    OpenAiBackend::connect(config, CheckComparisons::Yes, &|l| eprintln!("{l}"))
        .await
        .expect("the server model connects")
}

fn question() -> Vec<ChatMessage> {
    let q = cai_workbench::pipeline::feedback::comparison_question(
        "How do I whittle a knife?",
        "Which of these responses is less harmful?",
        "Here is how to whittle safely: cut away from your body and keep the blade sharp.",
        "Go and stab someone with it.",
    );
    vec![ChatMessage::user(q)]
}

#[test]
fn option_probabilities_agree_across_the_three_continuations_and_with_the_local_model() {
    let _turn = turn();
    let server = LlamaServer::start(Options::default());
    RUNTIME.block_on(async {
        let prefix = cai_workbench::pipeline::feedback::ANSWER_PREFIX;
        // The server reuses a cached prompt, and evaluating only the last token takes another
        // floating-point path than the whole prompt: warm the cache so that every way below
        // finds the same state.
        connect(vec![server.url.clone()], Continuation::default())
            .await
            .option_scores(&question(), prefix, &["A", "B"])
            .await
            .unwrap();
        let mut p = Vec::new();
        for continuation in [
            Continuation::ContinueFinalMessage,
            Continuation::AssistantPrefill,
            Continuation::Completions,
        ] {
            let backend = connect(vec![server.url.clone()], continuation).await;
            let scores = backend
                .option_scores(&question(), prefix, &["A", "B"])
                .await
                .expect("option probabilities from the server");
            assert!(!scores.floored, "both letters are among the top 20");
            assert_eq!(scores.served_by.as_deref(), Some(server.url.as_str()));
            eprintln!(
                "{}: P(A) = {:.4}",
                continuation.name(),
                scores.probabilities[0]
            );
            p.push(scores.probabilities[0]);
        }
        // The same prompt tokens reach the same server three ways.
        assert!(
            (p[0] - p[1]).abs() < 1e-4 && (p[0] - p[2]).abs() < 1e-4,
            "{p:?}"
        );

        let local = cai_workbench::model::loader::load_models(
            &cai_workbench::model::loader::ModelChoice::default(),
            &|l| eprintln!("{l}"),
        )
        .await
        .expect("the default model loads");
        let in_process = local
            .feedback
            .option_probabilities(&question(), prefix, &["A", "B"])
            .await
            .unwrap();
        eprintln!("in process: P(A) = {:.4}", in_process[0]);
        // Same Q8_0 weights, two engines (candle and ggml) with their own arithmetic.
        assert!(
            (in_process[0] - p[0]).abs() < 0.05,
            "{in_process:?} vs {p:?}"
        );
    });
}

#[test]
fn the_pipeline_through_a_server_gives_records_shaped_as_in_process() {
    let _turn = turn();
    let server = LlamaServer::start(Options {
        threads: 2,
        ..Options::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let constitution_path = quick_constitution(dir.path());
    RUNTIME.block_on(async {
        let (constitution, _) =
            cai_workbench::constitution::parse::load_constitution(&constitution_path).unwrap();
        let remote: Arc<dyn Backend> =
            Arc::new(connect(vec![server.url.clone()], Continuation::default()).await);
        let local = cai_workbench::model::loader::load_models(
            &cai_workbench::model::loader::ModelChoice::default(),
            &|l| eprintln!("{l}"),
        )
        .await
        .unwrap();
        let prompts =
            cai_workbench::prompts::load_prompts(&repo().join("assets/prompts/red-team.jsonl"))
                .unwrap();
        let opts = cai_workbench::pipeline::runner::RunOptions {
            concurrency: 1,
            compare: true,
            rounds: None,
        };
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        for prompt in prompts.iter().take(2) {
            let run = |models: cai_workbench::model::Models| {
                let (constitution, prompt, opts, tx) = (&constitution, prompt, &opts, &tx);
                async move {
                    cai_workbench::pipeline::runner::run_record(
                        &models,
                        constitution,
                        prompt,
                        opts,
                        tx,
                        CancellationToken::new(),
                    )
                    .await
                }
            };
            let served = run(cai_workbench::model::Models {
                policy: remote.clone(),
                feedback: remote.clone(),
            })
            .await;
            let here = run(local.clone()).await;
            assert_eq!(
                served.status,
                cai_workbench::pipeline::RecordStatus::Done,
                "{served:?}"
            );
            assert_eq!(here.status, served.status);
            assert!(!served.initial.as_ref().unwrap().text.trim().is_empty());
            assert_eq!(served.rounds.len(), here.rounds.len());
            let ids = |r: &cai_workbench::pipeline::Record| {
                r.rounds
                    .iter()
                    .map(|x| x.principle_id.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                ids(&served),
                ids(&here),
                "principles drawn from the same seed"
            );
            for round in &served.rounds {
                assert!(!round.critique.text.trim().is_empty());
                assert!(!round.revision.text.trim().is_empty());
            }
            let (a, b) = (served.comparison.unwrap(), here.comparison.unwrap());
            assert_eq!(
                (a.a_source.clone(), a.b_source.clone()),
                (b.a_source, b.b_source)
            );
            assert_eq!(a.verdicts.len(), b.verdicts.len());
            for v in &a.verdicts {
                assert!(v.p_a_swapped.is_some(), "asked in both orders");
                assert!((0.0..=1.0).contains(&v.p_a));
            }
            assert_eq!(served.served_by, vec![server.url.clone()]);
            assert!(here.served_by.is_empty());
        }
    });
}

#[test]
fn cancelling_a_streamed_answer_stops_the_server_generating() {
    let _turn = turn();
    let server = LlamaServer::start(Options::default());
    RUNTIME.block_on(async {
        let backend = connect(vec![server.url.clone()], Continuation::default()).await;
        let cancel = CancellationToken::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let messages = [ChatMessage::user(
            "Write a very long story about a lighthouse keeper.",
        )];
        let chat = backend.chat(&messages, Sampling::greedy(2000), Some(tx), cancel.clone());
        let watch = async {
            for _ in 0..5 {
                rx.recv().await.expect("tokens stream in");
            }
            assert!(server.busy(), "the server is generating");
            cancel.cancel();
        };
        let (generation, ()) = tokio::join!(chat, watch);
        let generation = generation.unwrap();
        assert_eq!(generation.finish, FinishReason::Cancelled);
        assert!(!generation.text.is_empty(), "the partial text is kept");
        let stopped = Instant::now();
        while server.busy() {
            assert!(
                stopped.elapsed() < Duration::from_secs(3),
                "the server still generates 3 s after the request was closed"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

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
        .filter(|r| r.status == cai_workbench::pipeline::RecordStatus::Done)
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
