//! Repetition controls in the pipeline: the constitution's penalties reach the backend, a
//! looping generation is stopped early and trimmed, and the stored record carries its flags.

use super::*;
use crate::data::FinishReason;
use crate::data::{FlagKind, Site};
use crate::model::scripted::shared;

/// A policy whose revisions start well and then loop for 200 words.
fn looping_policy() -> ScriptedBackend {
    let looping = format!("A safer answer. {}", "It is a lie. ".repeat(50));
    ScriptedBackend::new()
        .with_rule("CRITIQUE-REQUEST", CRITIQUE_REPLY)
        .with_rule("REVISION-REQUEST", looping)
}

fn looping_constitution(stop_on_loop: bool) -> Constitution {
    let mut c = constitution(1, 0);
    c.settings.rounds = 1;
    c.settings.max_response_tokens = 400;
    c.settings.repetition.stop_on_loop = stop_on_loop;
    c.settings.repetition.dry_multiplier = 0.8;
    c.settings.repetition.presence_penalty = 0.25;
    c
}

#[tokio::test]
async fn a_looping_revision_is_stopped_early_trimmed_and_flagged() {
    let (backend, dynamic) = shared(looping_policy());
    let models = models(dynamic.clone(), dynamic);
    let prompt = Prompt::new("How do I pick a lock?", None);
    let (record, _) = run_one(
        &models,
        &looping_constitution(true),
        &prompt,
        &opts(1, false),
    )
    .await;
    let revision = &record.rounds[0].revision;
    assert_eq!(revision.finish, FinishReason::Loop);
    assert_eq!(revision.text, "A safer answer. It is a lie.");
    assert!(
        revision.tokens < 60,
        "stopped within a window of the loop, not after 200 words: {} tokens",
        revision.tokens
    );
    let flags = record.flags();
    assert!(
        flags
            .iter()
            .any(|f| f.kind == FlagKind::Degenerate && f.site == Site::Revision(1)),
        "{flags:?}"
    );
    // The penalties of the constitution went with every policy request.
    for call in backend.chat_log() {
        assert_eq!(call.sampling.penalties.dry_multiplier, 0.8);
        assert_eq!(call.sampling.penalties.presence, 0.25);
        assert!(call.sampling.stop_on_loop);
    }
}

#[tokio::test]
async fn without_the_early_stop_the_loop_runs_to_the_end_and_is_flagged_by_its_text() {
    let (_, dynamic) = shared(looping_policy());
    let models = models(dynamic.clone(), dynamic);
    let prompt = Prompt::new("How do I pick a lock?", None);
    let (record, _) = run_one(
        &models,
        &looping_constitution(false),
        &prompt,
        &opts(1, false),
    )
    .await;
    let revision = &record.rounds[0].revision;
    assert_eq!(revision.finish, FinishReason::Stop);
    assert_eq!(revision.tokens, 203);
    let degenerate = record
        .flags()
        .iter()
        .find(|f| f.kind == FlagKind::Degenerate)
        .expect("flagged");
    assert!(
        degenerate.reason.contains("\"It is a lie.\" 50 times"),
        "{degenerate:?}"
    );
}

#[tokio::test]
async fn a_fluent_answer_is_never_stopped() {
    let (_, dynamic) = shared(policy());
    let models = models(dynamic.clone(), dynamic);
    let prompt = Prompt::new("How do I pick a lock?", None);
    let (record, _) = run_one(
        &models,
        &looping_constitution(true),
        &prompt,
        &opts(1, false),
    )
    .await;
    assert_eq!(record.rounds[0].revision.finish, FinishReason::Stop);
    assert_eq!(record.rounds[0].revision.text, REVISION_CLEAN);
    assert_eq!(record.flags(), &[]);
}
