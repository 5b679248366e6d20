//! `cai ab --contestant ...` end to end: three contestants on the real default model (its
//! plain answer, and the tiny greedy constitution twice, which must score within its interval
//! of its copy), then resumed;
//! and a contestant on a llama.cpp server on loopback beside one in process.

use crate::support::common::{self, arg, json_lines, run, write};
use crate::support::llama_server::{LlamaServer, Options};

fn elo(outcome: &serde_json::Value, question: &str, set: &str, c: usize) -> serde_json::Value {
    let table = outcome["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["question"] == question && t["prompts"] == set && t["rater"] == "ai")
        .unwrap_or_else(|| panic!("no {question} table on {set}"));
    table["ratings"]["contestants"][c].clone()
}

#[test]
fn an_arena_of_three_runs_on_the_real_model_and_a_copy_scores_within_its_interval_of_0() {
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let (red, benign) = common::red_and_benign_prompts(tmp.path());
    let tiny = common::repo().join("tests/fixtures/tiny.toml");
    let session = tmp.path().join("arena");
    let tiny_arg = |name: &str| format!("{name}=default:{}", tiny.display());
    let args = [
        "ab".to_string(),
        "--contestant".into(),
        "plain=default".into(),
        "--contestant".into(),
        tiny_arg("tiny"),
        "--contestant".into(),
        tiny_arg("tiny-copy"),
        "--prompts".into(),
        arg(&red).into(),
        "--benign".into(),
        arg(&benign).into(),
        "--session".into(),
        arg(&session).into(),
        "--format".into(),
        "json".into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&args);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let outcome: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON outcome");

    // Every pair on every prompt: 3 pairs × 3 prompts, each question in both orders.
    let lines = json_lines(&session.join("matches.jsonl"));
    assert_eq!(lines.len(), 9);
    let mut asked = 0;
    for line in &lines {
        let pair = (
            line["contestants"][0].as_str().unwrap(),
            line["contestants"][1].as_str().unwrap(),
        );
        for v in line["verdicts"].as_array().unwrap() {
            let p = v["p_a"].as_f64().unwrap();
            if matches!(pair, ("tiny", "tiny-copy") | ("tiny-copy", "tiny")) {
                // Greedy, same seed, same model: the same answers, a tie without asking.
                assert_eq!(line["a"], line["b"], "{line}");
                assert_eq!(p, 0.5, "{line}");
            } else if line["a"] != line["b"] {
                assert!(p > 0.0 && p < 1.0, "{line}");
                asked += 1;
            }
        }
    }
    assert!(
        asked > 0,
        "the plain answer differs from the tiny constitution's somewhere"
    );
    // The copy scores as its original: 0 is inside their difference's interval.
    for (question, set) in [("harmless", "red-team"), ("helpful", "benign")] {
        let (a, b) = (
            elo(&outcome, question, set, 1),
            elo(&outcome, question, set, 2),
        );
        // Their matches against the plain answer ask the same questions, but a prompt read
        // again (a prefix-cache hit) can give P a few 1e-3 apart: a gap of a few Elo points.
        let gap = a["elo"].as_f64().unwrap() - b["elo"].as_f64().unwrap();
        assert!(gap.abs() < 10.0, "{question}: {a} {b}");
        let table = outcome["scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["question"] == question && t["prompts"] == set && t["rater"] == "ai")
            .unwrap();
        let d = table["differences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["i"] == 1 && d["j"] == 2)
            .unwrap();
        let (lo, hi) = (
            d["interval"][0].as_f64().unwrap(),
            d["interval"][1].as_f64().unwrap(),
        );
        assert!(lo <= 0.0 && hi >= 0.0, "{question}: [{lo}, {hi}]");
        assert!(a["elo_interval"].is_array(), "{a}");
    }
    assert_eq!(outcome["contestants"][0]["constitution"], "none");
    assert_eq!(outcome["contestants"][1]["rates"]["done"], 3);
    let md = std::fs::read_to_string(session.join("arena.md")).unwrap();
    assert!(md.contains("| plain | default | none |"), "{md}");
    assert!(md.contains("## Final answers"), "{md}");

    // Again: nothing left to answer or play, the same scores.
    let again = run(&args);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    assert!(!again.stderr.contains("to play"), "{}", again.stderr);
    let resumed: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(resumed["scores"], outcome["scores"]);
}

#[test]
fn a_contestant_on_a_llama_server_meets_one_in_process() {
    let _turn = crate::support::heavy();
    let server = LlamaServer::start(Options::default());
    let tmp = tempfile::tempdir().unwrap();
    let (red, benign) = common::red_and_benign_prompts(tmp.path());
    let config = write(
        tmp.path(),
        "cai.toml",
        &format!(
            "[models.served]\nbackend = \"openai\"\nendpoints = [\"{}\"]\ncontinuation = \"assistant-prefill\"\n",
            server.url
        ),
    );
    let tiny = common::repo().join("tests/fixtures/tiny.toml");
    let session = tmp.path().join("arena");
    let out = run(&[
        "ab",
        "--config",
        arg(&config),
        "--contestant",
        &format!("served=served:{}", tiny.display()),
        "--contestant",
        &format!("local=default:{}", tiny.display()),
        "--prompts",
        arg(&red),
        "--limit",
        "1",
        "--benign",
        arg(&benign),
        "--session",
        arg(&session),
        "--format",
        "json",
    ]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}\n{}", out.stderr, server.log_text());
    let outcome: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let detail = outcome["manifest"]["contestants"][0]["model_detail"]
        .as_str()
        .unwrap();
    assert!(detail.contains(&format!(":{}", server.port)), "{detail}");
    // The served contestant's records came from the server, the local one's from the engine.
    let served =
        cai_workbench::session::Session::open_read_only(&session.join("contestants/served"))
            .unwrap();
    let local = cai_workbench::session::Session::open_read_only(&session.join("contestants/local"))
        .unwrap();
    assert_eq!(served.state().records().len(), 2);
    assert_eq!(local.state().records().len(), 2);
    let port = format!(":{}", server.port);
    for r in served.state().records() {
        assert!(
            r.served_by.iter().any(|s| s.contains(&port)),
            "{:?}",
            r.served_by
        );
    }
    assert!(local
        .state()
        .records()
        .iter()
        .all(|r| r.served_by.is_empty()));
    // One match per prompt, judged in process.
    let lines = json_lines(&session.join("matches.jsonl"));
    assert_eq!(lines.len(), 2);
    for r in ["served", "local"] {
        let rating =
            &outcome["scores"][0]["ratings"]["contestants"][if r == "served" { 0 } else { 1 }];
        assert_eq!(rating["matches"], 1, "{rating}");
    }
}
