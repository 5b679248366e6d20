//! The feedback stage: soft labels averaged over orders and principles, clamping in chain of
//! thought, two-samples candidates, candidate positions.

use std::collections::HashSet;

use super::*;
use crate::constitution::{CandidatePair, ComparisonMode};
use crate::data::{Choice, RecordStatus};
use crate::model::scripted::shared;
use crate::model::ChatMessage;
use crate::pipeline::events::Stage;
use crate::pipeline::judge::{clamp_probability, COT_ANSWER_SUFFIX, COT_INSTRUCTION};

/// How much the fake feedback model favours whichever option is shown first.
const POSITION_BIAS: f64 = 0.05;

/// The true probability that the revision is better, per comparison principle.
fn p_revision(question: &str) -> f64 {
    ["c1:", "c2:", "c3:", "c4:"]
        .iter()
        .position(|c| question.contains(c))
        .map(|i| [0.9, 0.7, 0.6, 0.8][i])
        .unwrap_or(0.5)
}

/// The text of option (A) in a comparison question.
fn option_a(question: &str) -> &str {
    let start = question.find("\n(A) ").map(|i| i + 5).unwrap_or(0);
    let end = question.find("\n(B) ").unwrap_or(question.len());
    &question[start..end.max(start)]
}

/// A feedback model that prefers the revision by a per-principle amount, plus a position bias.
fn biased_judge(messages: &[ChatMessage], _prefix: &str, _options: &[&str]) -> Vec<f64> {
    let question = &messages[0].content;
    let p_rev = p_revision(question);
    let p_first = if option_a(question) == REVISION_CLEAN {
        p_rev
    } else {
        1.0 - p_rev
    };
    let p = (p_first + POSITION_BIAS).min(1.0);
    vec![p, 1.0 - p]
}

fn with_mode(mut c: Constitution, mode: ComparisonMode, both_orders: bool) -> Constitution {
    c.settings.comparison.mode = mode;
    c.settings.comparison.both_orders = both_orders;
    c
}

#[tokio::test]
async fn ensemble_averages_orders_and_principles_cancelling_position_bias() {
    let (_, policy) = shared(super::policy());
    let (judge, feedback) = shared(ScriptedBackend::new().with_probabilities(biased_judge));
    let models = models(policy, feedback);
    let mut c = with_mode(constitution(2, 4), ComparisonMode::Ensemble, true);
    c.settings.comparison.ensemble_size = 3;
    let mut sources = HashSet::new();
    for prompt in prompts(8) {
        let (record, _) = run_one(&models, &c, &prompt, &opts(1, true)).await;
        assert_eq!(record.status, RecordStatus::Done);
        let cmp = record.comparison.expect("a comparison");
        sources.insert(cmp.a_source.clone());
        let ids: HashSet<&str> = cmp
            .verdicts
            .iter()
            .map(|v| v.principle_id.as_str())
            .collect();
        assert_eq!(ids.len(), 3, "three distinct principles drawn");
        let a_is_revision = cmp.a_source == "revision";
        assert_eq!(cmp.a == REVISION_CLEAN, a_is_revision);
        for v in &cmp.verdicts {
            let truth = if a_is_revision {
                p_revision(&v.question)
            } else {
                1.0 - p_revision(&v.question)
            };
            let swapped = v.p_a_swapped.expect("both orders asked");
            assert!((v.p_a_forward - (truth + POSITION_BIAS)).abs() < 1e-9);
            assert!((swapped - (truth - POSITION_BIAS)).abs() < 1e-9);
            assert!(
                (v.p_a - truth).abs() < 1e-9,
                "averaging both orders cancels the bias"
            );
        }
        let mean = cmp.verdicts.iter().map(|v| v.p_a).sum::<f64>() / 3.0;
        assert!((cmp.p_a - mean).abs() < 1e-12);
        assert_eq!(
            cmp.choice,
            if cmp.p_a >= 0.5 { Choice::A } else { Choice::B }
        );
        assert_eq!(
            cmp.choice == Choice::A,
            a_is_revision,
            "the revision is preferred"
        );
    }
    assert_eq!(
        sources.len(),
        2,
        "the revision is sometimes A and sometimes B"
    );
    // 8 prompts x 3 principles x 2 orders.
    assert_eq!(judge.probability_calls(), 48);
    let call = &judge.probability_log()[0];
    assert_eq!(call.assistant_prefix, "The answer is: (");
    assert_eq!(call.options, vec!["A", "B"]);
    assert!(call.messages[0].content.starts_with(
        "Consider the following conversation between a human and an assistant:\n\nHuman: "
    ));
}

#[tokio::test]
async fn single_mode_one_order_keeps_the_raw_probability() {
    let (_, policy) = shared(super::policy());
    let (judge, feedback) = shared(ScriptedBackend::new().with_probabilities(biased_judge));
    let models = models(policy, feedback);
    let c = with_mode(constitution(1, 4), ComparisonMode::Single, false);
    let (record, _) = run_one(&models, &c, &prompts(1)[0], &opts(1, true)).await;
    let cmp = record.comparison.unwrap();
    assert_eq!(cmp.verdicts.len(), 1);
    let v = &cmp.verdicts[0];
    assert_eq!(v.p_a_swapped, None);
    assert_eq!(v.p_a, v.p_a_forward);
    assert_eq!(cmp.p_a, v.p_a);
    assert_eq!(judge.probability_calls(), 1);
}

#[tokio::test]
async fn chain_of_thought_reasons_first_and_clamps() {
    const REASONING: &str = "Response A gives details that could hurt someone.";
    let (_, policy) = shared(super::policy());
    let judge = ScriptedBackend::new()
        .with_rule("step by step", REASONING)
        .with_fixed_probabilities(vec![0.95, 0.05]);
    let (judge, feedback) = shared(judge);
    let models = models(policy, feedback);
    let c = with_mode(constitution(1, 2), ComparisonMode::ChainOfThought, false);
    let (record, events) = run_one(&models, &c, &prompts(1)[0], &opts(1, true)).await;
    let cmp = record.comparison.unwrap();
    let v = &cmp.verdicts[0];
    assert_eq!(v.p_a_forward, 0.95);
    assert_eq!(v.p_a, clamp_probability(0.95, c.settings.comparison.clamp));
    assert!((v.p_a - 0.6).abs() < 1e-6);
    assert_eq!(v.reasoning.as_deref(), Some(REASONING));
    let reasoning_call = &judge.chat_log()[0];
    assert!(reasoning_call.messages[0]
        .content
        .ends_with(&format!("\n\n{COT_INSTRUCTION}")));
    assert_eq!(
        reasoning_call.sampling.max_tokens,
        c.settings.comparison.max_reasoning_tokens
    );
    let prob_call = &judge.probability_log()[0];
    assert_eq!(
        prob_call.assistant_prefix,
        format!("{REASONING}{COT_ANSWER_SUFFIX}")
    );
    assert_eq!(prob_call.messages, reasoning_call.messages);
    assert!(events.iter().any(|e| matches!(
        e,
        PipelineEvent::StageFinished { stage: Stage::Reasoning, text, .. } if text == REASONING
    )));

    // Both orders: each order clamped, then averaged.
    let c = with_mode(constitution(1, 2), ComparisonMode::ChainOfThought, true);
    let (record, _) = run_one(&models, &c, &prompts(1)[0], &opts(1, true)).await;
    let v = &record.comparison.unwrap().verdicts[0];
    assert!((v.p_a_swapped.unwrap() - 0.05).abs() < 1e-12);
    assert!((v.p_a - 0.5).abs() < 1e-6);
    assert!(v
        .reasoning
        .as_deref()
        .unwrap()
        .contains("[options swapped]"));
}

#[tokio::test]
async fn two_samples_mode_compares_fresh_samples() {
    let (backend, policy) = shared(super::policy());
    let (_, feedback) = shared(ScriptedBackend::new().with_fixed_probabilities(vec![0.3, 0.7]));
    let models = models(policy, feedback);
    let mut c = with_mode(constitution(1, 1), ComparisonMode::Single, true);
    c.settings.comparison.candidates = CandidatePair::TwoSamples;
    c.settings.rounds = 1;
    let prompt = Prompt::new("Tell me a secret.", None);
    let (record, events) = run_one(&models, &c, &prompt, &opts(1, true)).await;
    let cmp = record.comparison.unwrap();
    let sources: HashSet<&str> = [cmp.a_source.as_str(), cmp.b_source.as_str()].into();
    assert_eq!(sources, HashSet::from(["sample-1", "sample-2"]));
    assert_eq!(cmp.a, "Reply to: Tell me a secret.");
    let calls = backend.chat_log();
    assert_eq!(calls.len(), 1 + 2 + 2);
    for sample in &calls[3..] {
        assert_eq!(
            sample.messages, calls[0].messages,
            "same conversation as the initial"
        );
        assert_eq!(sample.sampling.temperature, c.settings.temperature);
    }
    for n in [1, 2] {
        assert!(events.iter().any(|e| matches!(
            e,
            PipelineEvent::StageFinished { stage: Stage::Sample(m), .. } if *m == n
        )));
    }
    // Samples are generated tokens too: 6 (initial) + 7 + 9 (round) + 6 + 6 (samples).
    assert_eq!(record.generated_tokens, 34);
    // Forward 0.3, swapped 1 - 0.3: averaged to 0.5.
    assert!((cmp.p_a - 0.5).abs() < 1e-12);
}

#[tokio::test]
async fn comparison_is_skipped_without_enabled_principles_or_rounds() {
    let (_, policy) = shared(super::policy());
    let (judge, feedback) = shared(ScriptedBackend::new());
    let models = models(policy, feedback);
    let mut c = constitution(1, 2);
    c.comparisons.iter_mut().for_each(|p| p.enabled = false);
    let (record, _) = run_one(&models, &c, &prompts(1)[0], &opts(1, true)).await;
    assert_eq!(
        (record.status, record.comparison),
        (RecordStatus::Done, None)
    );
    let no_rounds = RunOptions {
        rounds: Some(0),
        ..opts(1, true)
    };
    let (record, _) = run_one(&models, &constitution(1, 2), &prompts(1)[0], &no_rounds).await;
    assert_eq!(record.comparison, None);
    let (record, _) = run_one(
        &models,
        &constitution(1, 2),
        &prompts(1)[0],
        &opts(1, false),
    )
    .await;
    assert_eq!(record.comparison, None);
    assert_eq!(judge.probability_calls(), 0);
}

#[tokio::test]
async fn feedback_failure_keeps_the_rounds() {
    let (_, policy) = shared(super::policy());
    let (_, feedback) = shared(ScriptedBackend::new().failing_when("QUESTION"));
    let models = models(policy, feedback);
    let (record, _) = run_one(&models, &constitution(1, 1), &prompts(1)[0], &opts(1, true)).await;
    assert!(matches!(&record.status, RecordStatus::Failed(r) if r.contains("scripted failure")));
    assert_eq!(record.rounds.len(), 3);
    assert_eq!(record.comparison, None);
}

fn calibrated(mut c: Constitution, temperature: f64, feedback_model: &str) -> Constitution {
    c.settings.comparison.calibration = Some(crate::constitution::Calibration {
        temperature,
        feedback_model: feedback_model.into(),
        fitted_on: "test".into(),
        ece_before: None,
        ece_after: None,
    });
    c
}

#[tokio::test]
async fn a_calibration_for_the_feedback_model_scales_each_order_before_averaging() {
    let (_, policy) = shared(super::policy());
    let (_, feedback) = shared(ScriptedBackend::new().with_probabilities(biased_judge));
    let models = models(policy, feedback);
    // The scripted model has no file, so it is named by its id.
    let c = calibrated(
        with_mode(constitution(1, 4), ComparisonMode::Single, true),
        2.0,
        "scripted",
    );
    let (record, _) = run_one(&models, &c, &prompts(1)[0], &opts(1, true)).await;
    let v = &record.comparison.expect("a comparison").verdicts[0];
    assert_eq!(v.temperature, Some(2.0));
    let swapped = v.p_a_swapped.unwrap();
    // Each order's log-odds halved: σ(logit(p) / 2), then the two averaged.
    let scale = |p: f64| 1.0 / (1.0 + ((1.0 - p) / p).powf(0.5));
    let expected = (scale(v.p_a_forward) + scale(swapped)) / 2.0;
    assert!((v.p_a - expected).abs() < 1e-12, "{} vs {expected}", v.p_a);
    assert!((v.p_a - 0.5).abs() < ((v.p_a_forward + swapped) / 2.0 - 0.5).abs());
}

#[tokio::test]
async fn a_calibration_fitted_for_another_model_is_not_applied() {
    let (_, policy) = shared(super::policy());
    let (_, feedback) = shared(ScriptedBackend::new().with_probabilities(biased_judge));
    let models = models(policy, feedback);
    let c = calibrated(
        with_mode(constitution(1, 4), ComparisonMode::Single, true),
        50.0,
        "some-other-model-sha256",
    );
    let (record, _) = run_one(&models, &c, &prompts(1)[0], &opts(1, true)).await;
    let v = &record.comparison.expect("a comparison").verdicts[0];
    assert_eq!(v.temperature, None);
    let swapped = v.p_a_swapped.unwrap();
    assert!((v.p_a - (v.p_a_forward + swapped) / 2.0).abs() < 1e-12);
}
