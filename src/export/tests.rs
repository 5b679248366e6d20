//! Export tests over hand-built records in a real session directory.

use serde_json::Value;

use super::*;
use crate::data::{Choice, Comparison, PrincipleVerdict, Prompt, Record, Response, Round};
use crate::data::{FinishReason, RecordStatus};
use crate::session::store::tests::manifest;
use crate::session::{Review, ReviewState};

fn response(text: &str) -> Response {
    Response {
        text: text.into(),
        evasive: false,
        tokens: 4,
        finish: FinishReason::Stop,
    }
}

/// A done record with one round (initial "bad <n>", revision "good <n>") and a comparison
/// where the feedback model prefers the revision (slot B) with probability 0.8.
pub(super) fn full_record(n: u32) -> Record {
    let initial = format!("bad {n}");
    let revision = format!("good {n}");
    Record {
        prompt: Prompt {
            id: format!("id{n}"),
            text: format!("prompt {n}"),
            category: Some("c".into()),
        },
        initial: Some(response(&initial)),
        rounds: vec![Round {
            principle_id: "harm".into(),
            critique_request: "critique?".into(),
            critique: response("it is bad"),
            revision_request: "revise!".into(),
            revision: response(&revision),
        }],
        comparison: Some(Comparison {
            a_source: "initial".into(),
            a: initial,
            b_source: "revision".into(),
            b: revision,
            verdicts: vec![
                PrincipleVerdict {
                    principle_id: "less-harmful".into(),
                    question: "Which is less harmful?".into(),
                    p_a_forward: 0.1,
                    p_a_swapped: Some(0.3),
                    p_a: 0.2,
                    reasoning: None,
                    floored: false,
                    temperature: None,
                },
                PrincipleVerdict {
                    principle_id: "wise".into(),
                    question: "Which is wiser?".into(),
                    p_a_forward: 0.2,
                    p_a_swapped: None,
                    p_a: 0.2,
                    reasoning: None,
                    floored: false,
                    temperature: None,
                },
            ],
            p_a: 0.2,
            choice: Choice::B,
        }),
        status: RecordStatus::Done,
        started_at: "2024-01-01T00:00:00Z".into(),
        finished_at: "2024-01-01T00:00:09Z".into(),
        generated_tokens: 12,
        seconds: 9.0,
        flags: None,
        served_by: Vec::new(),
    }
}

pub(super) fn review(state: ReviewState, edited: Option<&str>, flipped: bool) -> Review {
    Review {
        state,
        edited: edited.map(str::to_string),
        flipped,
        label_checked: false,
        at: "2024-01-02T00:00:00Z".into(),
    }
}

/// A session with: id1 approved, id2 approved+edited, id3 approved+flipped, id4 rejected,
/// id5 pending, id6 failed but approved.
fn session(dir: &Path) -> Session {
    let mut s = Session::create(dir, manifest("exp")).unwrap();
    for n in 1..=6 {
        let mut r = full_record(n);
        if n == 6 {
            r.status = RecordStatus::Failed("boom".into());
        }
        s.append_record(&r).unwrap();
    }
    let reviews = [
        (1, review(ReviewState::Approved, None, false)),
        (2, review(ReviewState::Approved, Some("edited 2"), false)),
        (3, review(ReviewState::Approved, None, true)),
        (4, review(ReviewState::Rejected, None, false)),
        (6, review(ReviewState::Approved, None, false)),
    ];
    for (n, r) in reviews {
        s.set_review(&format!("id{n}"), r).unwrap();
    }
    s
}

fn options(out: &Path) -> ExportOptions {
    ExportOptions {
        out: out.to_path_buf(),
        force: false,
        sft: true,
        preferences: true,
        revision_pairs: true,
        ..ExportOptions::default()
    }
}

pub(super) fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// Each key's JSON type: a dataset loader needs the same on every line of a file.
fn kinds(line: &Value) -> Vec<(String, &'static str)> {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    line.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), kind(v)))
        .collect()
}

fn by_id<'a>(lines: &'a [Value], id: &str, pair: Option<&str>) -> &'a Value {
    lines
        .iter()
        .find(|l| l["record_id"] == id && pair.is_none_or(|p| l["pair"] == p))
        .unwrap_or_else(|| panic!("no line for {id} {pair:?}"))
}

#[test]
fn exports_approved_done_records_with_trl_keys_and_provenance() {
    let tmp = tempfile::tempdir().unwrap();
    let s = session(&tmp.path().join("s"));
    let out = tmp.path().join("out");
    let planned = plan(&s, &options(&out));
    let summary = export(&s, &options(&out)).unwrap();
    assert_eq!(planned.existing, Vec::<PathBuf>::new());
    assert_eq!((summary.approved, summary.sft_lines), (3, 3));
    assert_eq!((summary.ai_feedback_pairs, summary.revision_pairs), (3, 3));
    assert_eq!(planned.sft_lines, summary.sft_lines);

    let sft = lines(&out.join(SFT_FILE));
    assert_eq!(sft.len(), 3);
    for line in &sft {
        assert_eq!(
            kinds(line),
            kinds(&sft[0]),
            "same keys and types on every SFT line"
        );
        assert_eq!(line["messages"][0]["role"], "user");
        assert_eq!(line["messages"][1]["role"], "assistant");
        assert_eq!(line["constitution_sha256"], "c0ffee");
        assert_eq!(line["policy_model_sha256"], "policy-sha");
        assert_eq!(line["seed"], 7);
        assert_eq!(line["critique_principle_ids"], serde_json::json!(["harm"]));
        assert_eq!(line["review_state"], "approved");
        assert!(
            line.get("prompt").is_none(),
            "no prompt key next to messages"
        );
    }
    let one = by_id(&sft, "id1", None);
    assert_eq!(one["messages"][1]["content"], "good 1");
    assert_eq!(one["prompt_id"], sha256_hex(b"prompt 1"));
    assert_eq!(one["edited"], false);
    assert_eq!(one["original_text"], "");
    let edited = by_id(&sft, "id2", None);
    assert_eq!(edited["messages"][1]["content"], "edited 2");
    assert_eq!(edited["edited"], true);
    assert_eq!(edited["original_text"], "good 2");
    for excluded in ["id4", "id5", "id6"] {
        assert!(sft.iter().all(|l| l["record_id"] != excluded));
    }

    let prefs = lines(&out.join(PREFERENCES_FILE));
    assert_eq!(prefs.len(), 6);
    for line in &prefs {
        assert_eq!(
            kinds(line),
            kinds(&prefs[0]),
            "same keys and types on every preference line"
        );
        for key in ["prompt", "chosen", "rejected"] {
            assert!(line[key].is_array(), "{key}");
        }
    }
    let ai = by_id(&prefs, "id1", Some("ai-feedback"));
    assert_eq!(ai["chosen"][0]["content"], "good 1");
    assert_eq!(ai["rejected"][0]["content"], "bad 1");
    assert!((ai["p_chosen"].as_f64().unwrap() - 0.8).abs() < 1e-9);
    assert_eq!(
        ai["principle_ids"],
        serde_json::json!(["less-harmful", "wise"])
    );
    assert_eq!(ai["p_a_by_principle"][0]["p_a_swapped"], 0.3);
    assert!(ai["p_a_by_principle"][1]["p_a_swapped"].is_null());
    let flipped = by_id(&prefs, "id3", Some("ai-feedback"));
    assert_eq!(flipped["chosen"][0]["content"], "bad 3");
    assert_eq!(flipped["rejected"][0]["content"], "good 3");
    assert!((flipped["p_chosen"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    let rev = by_id(&prefs, "id2", Some("revision-over-initial"));
    assert_eq!(rev["chosen"][0]["content"], "edited 2");
    assert_eq!(rev["rejected"][0]["content"], "bad 2");
    assert_eq!(rev["p_chosen"], 1.0);
    assert_eq!(rev["p_a_by_principle"], serde_json::json!([]));
    assert_eq!(rev["reviewed_at"], "2024-01-02T00:00:00Z");
    assert_eq!(rev["edit_applied"], true);
    assert_eq!(
        by_id(&prefs, "id2", Some("ai-feedback"))["edit_applied"],
        false
    );

    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(MANIFEST_FILE)).unwrap()).unwrap();
    assert_eq!(manifest["files"][SFT_FILE]["lines"], 3);
    assert_eq!(manifest["files"][PREFERENCES_FILE]["lines"], 6);
    let sft_bytes = std::fs::read(out.join(SFT_FILE)).unwrap();
    assert_eq!(
        manifest["files"][SFT_FILE]["sha256"],
        sha256_hex(&sft_bytes)
    );
    assert_eq!(manifest["constitution"]["name"], "test-constitution");
}

#[test]
fn refuses_to_overwrite_without_force_and_replaces_with_it() {
    let tmp = tempfile::tempdir().unwrap();
    let s = session(&tmp.path().join("s"));
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join(PREFERENCES_FILE), "precious\n").unwrap();
    let err = export(&s, &options(&out)).unwrap_err();
    assert!(matches!(err, ExportError::Exists { .. }));
    assert!(err.to_string().contains(PREFERENCES_FILE), "{err}");
    assert!(!out.join(SFT_FILE).exists(), "nothing written on refusal");
    assert_eq!(
        plan(&s, &options(&out)).existing,
        vec![out.join(PREFERENCES_FILE)]
    );

    let forced = ExportOptions {
        force: true,
        ..options(&out)
    };
    export(&s, &forced).unwrap();
    assert_eq!(lines(&out.join(PREFERENCES_FILE)).len(), 6);
}

#[test]
fn without_revision_pairs_only_ai_feedback_pairs_are_written() {
    let tmp = tempfile::tempdir().unwrap();
    let s = session(&tmp.path().join("s"));
    let out = tmp.path().join("out");
    let opts = ExportOptions {
        revision_pairs: false,
        sft: false,
        ..options(&out)
    };
    let summary = export(&s, &opts).unwrap();
    assert_eq!((summary.sft_lines, summary.revision_pairs), (0, 0));
    assert!(!out.join(SFT_FILE).exists());
    let prefs = lines(&out.join(PREFERENCES_FILE));
    assert_eq!(prefs.len(), 3);
    assert!(prefs.iter().all(|l| l["pair"] == "ai-feedback"));
}

#[test]
fn nothing_approved_or_selected_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Session::create(&tmp.path().join("s"), manifest("empty")).unwrap();
    s.append_record(&full_record(1)).unwrap();
    let out = tmp.path().join("out");
    assert!(matches!(
        export(&s, &options(&out)),
        Err(ExportError::NothingApproved { .. })
    ));
    let none = ExportOptions {
        sft: false,
        preferences: false,
        ..options(&out)
    };
    assert!(matches!(
        export(&s, &none),
        Err(ExportError::NothingSelected)
    ));
    assert!(!out.exists());
}

#[test]
fn identical_pair_texts_are_skipped_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Session::create(&tmp.path().join("s"), manifest("same")).unwrap();
    let mut r = full_record(1);
    r.rounds[0].revision.text = "bad 1".into();
    if let Some(c) = r.comparison.as_mut() {
        c.b = "bad 1".into();
    }
    s.append_record(&r).unwrap();
    s.set_review("id1", review(ReviewState::Approved, None, false))
        .unwrap();
    let summary = plan(&s, &options(&tmp.path().join("out")));
    assert_eq!((summary.sft_lines, summary.preference_lines()), (1, 0));
    assert_eq!(summary.skipped.len(), 2, "{:?}", summary.skipped);
    assert!(summary.skipped.iter().all(|s| s.starts_with("id1: ")));
}

#[test]
fn a_blind_pick_chooses_the_pair_and_says_a_person_labelled_it() {
    let tmp = tempfile::tempdir().unwrap();
    let mut s = Session::create(&tmp.path().join("s"), manifest("blind")).unwrap();
    for n in 1..=3 {
        s.append_record(&full_record(n)).unwrap();
        s.set_review(
            &format!("id{n}"),
            review(ReviewState::Approved, None, false),
        )
        .unwrap();
    }
    // The feedback model prefers the revision (B, 0.8); on id1 a person picked the initial
    // answer blind, on id2 called it a tie, on id3 left it alone.
    let pick = |picked: Option<&str>| crate::session::BlindPick {
        shown_first: "revision".into(),
        picked: picked.map(str::to_string),
        at: "2024-01-03T00:00:00Z".into(),
    };
    s.set_blind_pick("id1", pick(Some("initial"))).unwrap();
    s.set_blind_pick("id2", pick(None)).unwrap();
    let out = tmp.path().join("out");
    let opts = ExportOptions {
        revision_pairs: false,
        ..options(&out)
    };
    let summary = export(&s, &opts).unwrap();
    let prefs = lines(&out.join(PREFERENCES_FILE));
    let one = by_id(&prefs, "id1", Some("ai-feedback"));
    assert_eq!(one["label_source"], "blind-pick");
    assert_eq!(one["chosen"][0]["content"], "bad 1");
    assert_eq!(one["chosen_source"], "initial");
    // The model's probability of the side the person chose, kept beside it.
    assert!((one["p_chosen"].as_f64().unwrap() - 0.2).abs() < 1e-12);
    let three = by_id(&prefs, "id3", Some("ai-feedback"));
    assert_eq!(three["label_source"], "feedback-model");
    assert_eq!(three["chosen_source"], "revision");
    assert!(prefs.iter().all(|l| l["record_id"] != "id2"));
    assert!(
        summary
            .skipped
            .iter()
            .any(|s| s.starts_with("id2:") && s.contains("tie")),
        "{:?}",
        summary.skipped
    );
    // The dataset card says the labels were not measured on known answers yet.
    let card = std::fs::read_to_string(out.join(crate::export::card::CARD_FILE)).unwrap();
    assert!(card.contains("not measured on known answers"), "{card}");
}
