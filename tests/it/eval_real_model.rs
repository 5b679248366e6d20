//! `cai eval` with the real default model on a known-answer set of our own
//! (`tests/fixtures/known-answers.jsonl`: eight pair questions in the CAI paper's layout and two
//! written ones): every configuration reported, the eval resumed without asking again, a
//! temperature fitted and then applied by the next run, and the same eval on a llama.cpp
//! server on loopback agreeing with the model in process.

use std::path::Path;

use cai_workbench::eval::{SavedEval, REPORT_FILE};

use crate::support::common::{arg, cai, repo, run_cmd, Output};
use crate::support::llama_server::{LlamaServer, Options};

const SET: &str = "tests/fixtures/known-answers.jsonl";

fn eval(out: &Path, extra: &[&str]) -> Output {
    let out = run_cmd(
        cai()
            .args([
                "eval",
                "--set",
                SET,
                "--constitution",
                "tests/fixtures/tiny.toml",
            ])
            .args(["--out", arg(out)])
            .args(extra),
    );
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    out
}

fn saved(dir: &Path) -> SavedEval {
    let text = std::fs::read_to_string(dir.join(REPORT_FILE)).expect("report.json");
    serde_json::from_str(&text).expect("a saved eval")
}

#[test]
fn an_eval_on_the_real_model_reports_every_configuration_and_resumes_without_asking_again() {
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("eval");
    let first = eval(
        &dir,
        &["--config", "single", "--config", "single/one-order"],
    );
    assert!(
        first
            .stderr
            .contains("10 questions to ask (0 already answered)"),
        "{}",
        first.stderr
    );
    let report = saved(&dir).report;
    let set = &report.sets[0];
    assert_eq!(set.questions, 10);
    let names: Vec<&str> = set.configs.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["single", "single/one-order", "as written"]);
    for row in &set.configs {
        let expected = if row.name == "as written" { 2 } else { 8 };
        assert_eq!(row.n, expected, "{}", row.name);
        let rate = row.accuracy.rate().unwrap();
        let (lo, hi) = row.interval.unwrap();
        assert!(lo <= rate && rate <= hi, "{row:?}");
        let in_bins: usize = row.reliability.iter().map(|b| b.n).sum();
        assert_eq!(in_bins, row.n, "every answer in one bin");
        assert!(row.brier.unwrap() >= 0.0 && row.ece.unwrap() >= 0.0);
    }
    assert!(set.configs[0].order_consistency.is_some());
    assert!(
        set.configs[1].order_consistency.is_none(),
        "one order has nothing to swap"
    );
    let answers = std::fs::read_to_string(dir.join("answers.jsonl")).unwrap();
    assert_eq!(
        answers.lines().count(),
        10,
        "one ask per question: the one-order config reuses it"
    );
    assert!(first.stdout.contains("| single | 8 |"), "{}", first.stdout);

    let again = eval(
        &dir,
        &["--config", "single", "--config", "single/one-order"],
    );
    assert!(
        again
            .stderr
            .contains("0 questions to ask (10 already answered)"),
        "{}",
        again.stderr
    );
    assert_eq!(
        saved(&dir).report,
        report,
        "the same answers give the same report"
    );
}

#[test]
fn a_fitted_temperature_is_written_into_the_constitution_and_applied_by_the_next_run() {
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let constitution = tmp.path().join("tiny.toml");
    std::fs::copy(repo().join("tests/fixtures/tiny.toml"), &constitution).unwrap();
    let out = run_cmd(
        cai()
            .args(["eval", "--set", SET, "--config", "single", "--fit"])
            .args(["--constitution", arg(&constitution)])
            .args(["--out", arg(&tmp.path().join("eval"))]),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let fit = saved(&tmp.path().join("eval")).fit.expect("a fit");
    assert_eq!((fit.fitted_on, fit.held_out), (4, 4));
    let text = std::fs::read_to_string(&constitution).unwrap();
    assert!(text.contains("[settings.comparison.calibration]"), "{text}");
    let (parsed, _) = cai_workbench::constitution::load_constitution(&constitution).unwrap();
    let calibration = parsed.settings.comparison.calibration.expect("stored");
    assert!((calibration.temperature - fit.fit.t).abs() < 1e-4);

    // The next run with it asks its comparisons with that temperature.
    let session = tmp.path().join("session");
    let prompts = repo().join("tests/fixtures/tiny-prompts.jsonl");
    let run = run_cmd(
        cai()
            .args(["run", "--compare", "--limit", "1"])
            .args(["--constitution", arg(&constitution)])
            .args(["--prompts", arg(&prompts), "--session", arg(&session)]),
    );
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let opened = cai_workbench::session::Session::open_read_only(&session).unwrap();
    let record = &opened.state().records()[0];
    let verdict = &record.comparison.as_ref().expect("a comparison").verdicts[0];
    assert_eq!(verdict.temperature, Some(calibration.temperature));
    assert_eq!(
        opened.manifest().settings.comparison.calibration.as_ref(),
        Some(&calibration),
        "the manifest records it"
    );
}

#[test]
fn the_same_eval_on_a_llama_server_agrees_with_the_model_in_process() {
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("local");
    eval(&local, &["--config", "single"]);
    let server = LlamaServer::start(Options::default());
    let served = tmp.path().join("served");
    eval(&served, &["--config", "single", "--endpoint", &server.url]);
    let (a, b) = (saved(&local), saved(&served));
    assert!(
        b.eval.feedback_model.server.is_some(),
        "asked through the server"
    );
    let (ra, rb) = (&a.report.sets[0].configs[0], &b.report.sets[0].configs[0]);
    eprintln!(
        "accuracy in process {:?}, on the server {:?}",
        ra.accuracy, rb.accuracy
    );
    // The server runs the pulled Q4_1 file, in process its Q8_0 copy: the labels differ a
    // little, so the accuracy may differ by a question or two of eight, not more.
    assert!(
        (ra.accuracy.k - rb.accuracy.k).abs() <= 2.0,
        "{:?} vs {:?}",
        ra.accuracy,
        rb.accuracy
    );
    let p = |dir: &Path| -> Vec<(String, f64)> {
        let text = std::fs::read_to_string(dir.join("answers.jsonl")).unwrap();
        let mut v: Vec<(String, f64)> = text
            .lines()
            .filter_map(|l| {
                let a: serde_json::Value = serde_json::from_str(l).ok()?;
                Some((a["item"].as_str()?.to_string(), a["p_a_forward"].as_f64()?))
            })
            .collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    };
    let (pa, pb) = (p(&local), p(&served));
    assert_eq!(pa.len(), 8);
    let mean_gap = pa
        .iter()
        .zip(&pb)
        .map(|(x, y)| (x.1 - y.1).abs())
        .sum::<f64>()
        / pa.len() as f64;
    eprintln!("mean |P(A) in process - P(A) on the server| = {mean_gap:.4}");
    assert!(mean_gap <= 0.06, "{pa:?}\n{pb:?}");
}
