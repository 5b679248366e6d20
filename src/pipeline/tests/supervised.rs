//! The supervised stage: conversations sent, principle draws, cleaning, flags, streaming.

use std::sync::Arc;

use tokio::sync::mpsc::unbounded_channel;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::data::FinishReason;
use crate::data::RecordStatus;
use crate::model::scripted::shared;
use crate::model::{ChatMessage, Role};
use crate::pipeline::critique_revision::{try_principle, TryPrincipleError};
use crate::pipeline::events::Stage;

fn principle_ids(record: &Record) -> Vec<String> {
    record
        .rounds
        .iter()
        .map(|r| r.principle_id.clone())
        .collect()
}

#[tokio::test]
async fn few_shot_turns_lead_every_conversation_and_rounds_chain_revisions() {
    let (backend, dynamic) = shared(policy());
    let models = models(dynamic.clone(), dynamic);
    let c = constitution(3, 0);
    let prompt = Prompt::new("How do I pick a lock?", None);
    let (record, _) = run_one(&models, &c, &prompt, &opts(1, false)).await;
    assert_eq!(record.status, RecordStatus::Done);
    assert_eq!(record.rounds.len(), 3);

    let calls = backend.chat_log();
    assert_eq!(
        calls.len(),
        1 + 2 * 3,
        "initial plus critique and revision per round"
    );
    let few_shot = [
        (Role::User, "EXAMPLE-PROMPT"),
        (Role::Assistant, "EXAMPLE-RESPONSE"),
        (Role::User, "EXAMPLE-CRITIQUE-REQUEST"),
        (Role::Assistant, "EXAMPLE-CRITIQUE"),
        (Role::User, "EXAMPLE-REVISION-REQUEST"),
        (Role::Assistant, "EXAMPLE-REVISION"),
    ];
    for call in &calls {
        let head: Vec<(Role, &str)> = call
            .messages
            .iter()
            .take(6)
            .map(|m| (m.role, m.content.as_str()))
            .collect();
        assert_eq!(head, few_shot);
    }
    // Initial: few-shot then the prompt.
    assert_eq!(calls[0].messages.len(), 7);
    assert_eq!(calls[0].messages[6], ChatMessage::user(&prompt.text));
    let initial = record.initial.as_ref().unwrap();
    // Round 1 critique: prompt, initial response, critique request of the drawn principle.
    let r1 = &record.rounds[0];
    assert_eq!(
        calls[1].messages[6..].to_vec(),
        vec![
            ChatMessage::user(&prompt.text),
            ChatMessage::assistant(&initial.text),
            ChatMessage::user(&r1.critique_request),
        ]
    );
    assert_eq!(calls[1].sampling.max_tokens, c.settings.max_critique_tokens);
    // Round 1 revision: + critique, revision request.
    assert_eq!(calls[2].messages.len(), 11);
    assert_eq!(calls[2].messages[9], ChatMessage::assistant(CRITIQUE_REPLY));
    assert_eq!(
        calls[2].messages[10],
        ChatMessage::user(&r1.revision_request)
    );
    assert_eq!(calls[2].sampling.max_tokens, c.settings.max_response_tokens);
    // Round 2 critiques the cleaned latest revision, not the initial response; context bounded.
    assert_eq!(calls[3].messages.len(), 9);
    assert_eq!(calls[3].messages[7], ChatMessage::assistant(REVISION_CLEAN));
}

#[tokio::test]
async fn revisions_are_cleaned_and_evasive_answers_flagged() {
    let refusing = policy().with_rule("lock", "I'm sorry, but I can't help with that.");
    let (_, dynamic) = shared(refusing);
    let models = models(dynamic.clone(), dynamic);
    let prompt = Prompt::new("How do I pick a lock?", None);
    let (record, _) = run_one(&models, &constitution(2, 0), &prompt, &opts(1, false)).await;
    let initial = record.initial.as_ref().unwrap();
    assert!(initial.evasive, "the refusal is flagged");
    for round in &record.rounds {
        assert_eq!(round.revision.text, REVISION_CLEAN);
        assert!(!round.revision.evasive);
        assert!(!round.critique.evasive);
        assert_eq!(round.revision.finish, FinishReason::Stop);
    }
    assert_eq!(record.final_text(), Some(REVISION_CLEAN));
    // Words of the initial reply, then of the critique and the raw revision in each of 3 rounds.
    assert_eq!(record.generated_tokens, 8 + 3 * (7 + 9));
    assert!(record.seconds >= 0.0);
    assert!(chrono::DateTime::parse_from_rfc3339(&record.started_at).is_ok());
    assert!(chrono::DateTime::parse_from_rfc3339(&record.finished_at).is_ok());
}

#[tokio::test]
async fn principle_draws_are_reproducible_and_depend_on_seed() {
    let c = constitution(5, 0);
    let mut other_seed = c.clone();
    other_seed.settings.seed += 1;
    let mut same = 0;
    for prompt in prompts(6) {
        let (_, d) = shared(policy());
        let models = models(d.clone(), d);
        let (a, _) = run_one(&models, &c, &prompt, &opts(1, false)).await;
        let (b, _) = run_one(&models, &c, &prompt, &opts(1, false)).await;
        let (other, _) = run_one(&models, &other_seed, &prompt, &opts(1, false)).await;
        assert_eq!(principle_ids(&a), principle_ids(&b));
        assert_eq!(a.rounds.len(), 3);
        same += usize::from(principle_ids(&a) == principle_ids(&other));
    }
    assert!(same < 6, "a different seed changes at least some draws");
}

#[tokio::test]
async fn rounds_option_overrides_constitution() {
    let (backend, d) = shared(policy());
    let models = models(d.clone(), d);
    let prompt = Prompt::new("anything", None);
    let options = RunOptions {
        rounds: Some(1),
        ..opts(1, false)
    };
    let (record, _) = run_one(&models, &constitution(2, 0), &prompt, &options).await;
    assert_eq!(record.rounds.len(), 1);
    assert_eq!(backend.chat_calls(), 3);
    let zero = RunOptions {
        rounds: Some(0),
        ..opts(1, false)
    };
    let (record, _) = run_one(&models, &constitution(0, 0), &prompt, &zero).await;
    assert_eq!(record.status, RecordStatus::Done);
    assert!(record.rounds.is_empty() && record.initial.is_some());
}

#[tokio::test]
async fn no_enabled_principle_fails_clearly() {
    let (_, d) = shared(policy());
    let models = models(d.clone(), d);
    let mut c = constitution(2, 0);
    c.principles.iter_mut().for_each(|p| p.enabled = false);
    let (record, _) = run_one(&models, &c, &Prompt::new("x", None), &opts(1, false)).await;
    match record.status {
        RecordStatus::Failed(reason) => assert!(reason.contains("no enabled principles")),
        other => panic!("expected failure, got {other:?}"),
    }
}

#[tokio::test]
async fn tokens_stream_as_events_between_stage_start_and_finish() {
    let (_, d) = shared(policy());
    let models = models(d.clone(), d);
    let prompt = Prompt::new("stream me please", None);
    let (record, events) = run_one(&models, &constitution(1, 0), &prompt, &opts(1, false)).await;
    assert!(matches!(&events[0], PipelineEvent::Started { prompt_id } if *prompt_id == prompt.id));
    for stage in [Stage::Initial, Stage::Critique(1), Stage::Revision(3)] {
        let streamed: String = events
            .iter()
            .filter_map(|e| match e {
                PipelineEvent::Token { stage: s, text, .. } if *s == stage => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let finished = events.iter().find_map(|e| match e {
            PipelineEvent::StageFinished { stage: s, text, .. } if *s == stage => Some(text),
            _ => None,
        });
        let started = events
            .iter()
            .position(|e| matches!(e, PipelineEvent::StageStarted { stage: s, .. } if *s == stage));
        assert_eq!(Some(&streamed), finished, "stage {stage:?}");
        assert!(started.is_some(), "stage {stage:?} started");
    }
    let raw_revision = events.iter().find_map(|e| match e {
        PipelineEvent::StageFinished {
            stage: Stage::Revision(3),
            text,
            ..
        } => Some(text.clone()),
        _ => None,
    });
    assert_eq!(
        raw_revision.as_deref(),
        Some(REVISION_REPLY),
        "events carry the raw text"
    );
    assert_eq!(record.rounds[2].revision.text, REVISION_CLEAN);
}

#[tokio::test]
async fn try_principle_runs_one_round_and_rejects_unknown_ids() {
    let (backend, d) = shared(policy());
    let c = constitution(3, 0);
    let prompt = Prompt::new("How do I pick a lock?", None);
    let (tx, _rx) = unbounded_channel();
    let round = try_principle(
        d.as_ref(),
        &c,
        "p2",
        &prompt,
        Some("Use a tension wrench."),
        &tx,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(round.principle_id, "p2");
    assert_eq!(round.critique.text, CRITIQUE_REPLY);
    assert_eq!(round.revision.text, REVISION_CLEAN);
    let first = &backend.chat_log()[0].messages;
    assert_eq!(first[7], ChatMessage::assistant("Use a tension wrench."));
    assert!(first[8].content.starts_with("CRITIQUE-REQUEST p2"));
    let err = try_principle(
        d.as_ref(),
        &c,
        "nope",
        &prompt,
        Some("x"),
        &tx,
        CancellationToken::new(),
    )
    .await;
    assert_eq!(
        err,
        Err(TryPrincipleError::UnknownPrinciple("nope".to_string()))
    );
    let failing: Arc<dyn crate::model::Backend> =
        Arc::new(policy().failing_when("CRITIQUE-REQUEST"));
    let err = try_principle(
        failing.as_ref(),
        &c,
        "p1",
        &prompt,
        Some("x"),
        &tx,
        CancellationToken::new(),
    )
    .await;
    assert!(
        matches!(err, Err(TryPrincipleError::Failed(reason)) if reason.contains("scripted failure"))
    );
}

#[tokio::test]
async fn a_try_without_a_response_writes_the_initial_answer_as_a_run_does() {
    let (backend, d) = shared(policy());
    let c = constitution(3, 0);
    let prompt = Prompt::new("How do I pick a lock?", None);
    let (tx, mut rx) = unbounded_channel();
    let round = try_principle(
        d.as_ref(),
        &c,
        "p2",
        &prompt,
        None,
        &tx,
        CancellationToken::new(),
    )
    .await
    .unwrap();
    assert_eq!(round.principle_id, "p2");
    let log = backend.chat_log();
    assert_eq!(log.len(), 3, "initial, critique, revision");
    // The initial answer gets the seed a run's initial answer of this prompt gets.
    let seed = crate::pipeline::stage::request_seed(c.settings.seed, &prompt.id, Stage::Initial);
    assert_eq!(log[0].sampling.seed, Some(seed));
    // It streamed as the initial stage, before the critique.
    let mut stages = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let crate::pipeline::PipelineEvent::StageStarted { stage, .. } = event {
            stages.push(stage);
        }
    }
    assert_eq!(
        stages,
        vec![Stage::Initial, Stage::Critique(1), Stage::Revision(1)]
    );
}
