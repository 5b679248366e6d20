//! Export with exclusions: flagged records and near ties left out, and counted in the
//! manifest.

use super::tests::{full_record, lines, review};
use super::*;
use crate::data::{FlagKind, QualityFlag, Site};
use crate::session::store::tests::manifest;
use crate::session::ReviewState;

/// Four approved records: id2's revision is flagged degenerate, id3's P(A) is 0.52.
fn session(dir: &Path) -> Session {
    let mut s = Session::create(dir, manifest("exclusions")).unwrap();
    for n in 1..=4 {
        let mut r = full_record(n);
        if n == 2 {
            r.flags = Some(vec![QualityFlag {
                kind: FlagKind::Degenerate,
                site: Site::Revision(1),
                reason: "hand-made".into(),
            }]);
        }
        if n == 3 {
            let c = r.comparison.as_mut().unwrap();
            c.p_a = 0.52;
            c.choice = crate::data::Choice::A;
        }
        s.append_record(&r).unwrap();
        s.set_review(
            &format!("id{n}"),
            review(ReviewState::Approved, None, false),
        )
        .unwrap();
    }
    s
}

/// The user prompt of an exported line (SFT lines hold it in `messages`).
fn prompt_of(line: &serde_json::Value) -> String {
    let turns = line.get("prompt").unwrap_or(&line["messages"]);
    turns[0]["content"].as_str().unwrap().to_string()
}

#[test]
fn excluded_lines_are_left_out_and_counted_per_file_and_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let s = session(&tmp.path().join("s"));
    let out = tmp.path().join("out");
    let opts = ExportOptions {
        out: out.clone(),
        sft: true,
        preferences: true,
        revision_pairs: true,
        exclusions: Exclusions {
            flags: vec![FlagKind::Degenerate],
            min_margin: Some(0.1),
        },
        ..ExportOptions::default()
    };
    let summary = export(&s, &opts).unwrap();
    let ids =
        |file: &str| -> Vec<String> { lines(&out.join(file)).iter().map(prompt_of).collect() };
    assert_eq!(ids(SFT_FILE), ["prompt 1", "prompt 3", "prompt 4"]);
    let pairs: Vec<(String, String)> = lines(&out.join(PREFERENCES_FILE))
        .iter()
        .map(|l| (prompt_of(l), l["pair"].as_str().unwrap().to_string()))
        .collect();
    let expected = [
        ("prompt 1", "ai-feedback"),
        ("prompt 1", "revision-over-initial"),
        ("prompt 3", "revision-over-initial"),
        ("prompt 4", "ai-feedback"),
        ("prompt 4", "revision-over-initial"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(pairs, expected);
    assert_eq!(summary.ai_feedback_pairs, 2);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(MANIFEST_FILE)).unwrap()).unwrap();
    assert_eq!(
        manifest["counts"]["excluded"],
        serde_json::json!({
            "preferences.jsonl": {"degenerate": 2, "min-margin": 1},
            "sft.jsonl": {"degenerate": 1}
        })
    );
    assert_eq!(
        manifest["options"]["exclude"],
        serde_json::json!(["degenerate"])
    );
    assert_eq!(manifest["options"]["min_margin"], serde_json::json!(0.1));
    let card = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(
        card.contains("Left out of `preferences.jsonl` by the export's quality options"),
        "{card}"
    );
}

#[test]
fn without_exclusions_nothing_is_left_out_and_the_counts_are_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let s = session(&tmp.path().join("s"));
    let out = tmp.path().join("out");
    let opts = ExportOptions {
        out: out.clone(),
        sft: true,
        preferences: true,
        ..ExportOptions::default()
    };
    let summary = export(&s, &opts).unwrap();
    assert_eq!((summary.sft_lines, summary.ai_feedback_pairs), (4, 4));
    assert!(summary.excluded.is_empty());
}
