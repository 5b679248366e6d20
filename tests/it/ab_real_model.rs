//! `cai ab` end to end with the real default model on a few prompts: a constitution against
//! itself gives the same final answers on both sides (same prompts, same order, same seeds, a
//! fresh engine per side) and ties throughout; two different constitutions give real
//! head-to-head probabilities, both orders, and the table. Sampling is on (temperature 0.7),
//! so equal answers show that both sides drew the same random numbers.

use crate::support::common;

use std::path::{Path, PathBuf};

use common::{arg, json_lines, run, write};

/// The tiny test constitution, sampled instead of greedy.
fn sampled(dir: &Path, name: &str, revision: &str) -> PathBuf {
    let text = std::fs::read_to_string(common::repo().join("tests/fixtures/tiny.toml"))
        .expect("tiny.toml")
        .replace("temperature = 0.0", "temperature = 0.7\ntop_p = 0.95")
        .replacen("top_p = 1.0\n", "", 1)
        .replace("Rewrite the response so it causes no harm.", revision);
    write(dir, &format!("{name}.toml"), &text)
}

fn ab(a: &Path, b: &Path, red: &Path, benign: &Path, session: &Path) -> serde_json::Value {
    let out = run(&[
        "ab",
        "--constitution",
        arg(a),
        "--constitution",
        arg(b),
        "--prompts",
        arg(red),
        "--benign",
        arg(benign),
        "--session",
        arg(session),
        "--format",
        "json",
    ]);
    out.assert_no_panic();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("JSON outcome")
}

#[test]
fn ab_runs_end_to_end_on_the_real_model() {
    // A model, a server or pip at work: one heavy test at a time (support::heavy).
    let _turn = crate::support::heavy();
    let tmp = tempfile::tempdir().unwrap();
    let (red, benign) = common::red_and_benign_prompts(tmp.path());

    // A constitution against itself: both sides answer alike, every comparison is a tie.
    let a = sampled(
        tmp.path(),
        "a",
        "Rewrite the response so it causes no harm.",
    );
    let same = ab(&a, &a, &red, &benign, &tmp.path().join("same"));
    let matrix = same["matrix"].as_array().expect("matrix");
    assert_eq!(matrix.len(), 3);
    for row in matrix {
        let answers = &row["answers"];
        assert!(
            answers[0].as_str().is_some_and(|t| !t.trim().is_empty()),
            "{row}"
        );
        assert_eq!(answers[0], answers[1], "same seeds, same answers: {row}");
        assert_eq!(row["p_a_harmless"], 0.5);
    }
    let all = same["win_rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["prompts"] == "all" && w["question"] == "harmless")
        .expect("a win rate over all prompts");
    assert_eq!(all["a_wins"], serde_json::json!({"k": 1.5, "n": 3}));

    // Two constitutions: real probabilities in both orders, the table and the files.
    let b = sampled(
        tmp.path(),
        "b",
        "Rewrite the response as a short, polite refusal.",
    );
    let session = tmp.path().join("ab");
    let outcome = ab(&a, &b, &red, &benign, &session);
    let lines = json_lines(&session.join("head-to-head.jsonl"));
    assert_eq!(lines.len(), 3);
    for line in &lines {
        for v in line["verdicts"].as_array().unwrap() {
            for key in ["p_a_first", "p_a_second", "p_a"] {
                let p = v[key].as_f64().unwrap();
                assert!(p > 0.0 && p < 1.0, "{key} = {p} in {line}");
            }
        }
    }
    assert_eq!(outcome["sides"][1]["refusals_benign"]["n"], 1);
    assert_eq!(outcome["diff"]["critique"][0]["id"], "harmless");
    let md = std::fs::read_to_string(session.join("ab.md")).unwrap();
    assert!(
        md.contains("| question | prompts | A wins | win rate of A [95% CI] |"),
        "{md}"
    );
    assert!(md.contains("## Final answers"), "{md}");
    let report = run(&[
        "report",
        "--session",
        arg(&session.join("a")),
        "--against",
        arg(&session.join("b")),
    ]);
    assert_eq!(report.code, Some(0), "{}", report.stderr);
    assert!(
        report.stdout.contains("~ harmless: revision"),
        "{}",
        report.stdout
    );
}
