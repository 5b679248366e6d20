//! The feedback stage (RL-CAI labels) for one prompt: a feedback model compares two responses
//! under comparison principles and gives a soft label, P(A), from its option probabilities.
//!
//! Candidates are the initial response against the final revision, or two fresh policy samples
//! (same conversation as the initial response, at the constitution's temperature). Which one is
//! shown as (A) is drawn from the record's [`RngStream::Feedback`] generator, so position is not
//! always the same; the same generator draws the principles. Modes:
//! - single: one principle drawn;
//! - ensemble: `ensemble_size` principles drawn without replacement, P(A) averaged;
//! - chain of thought: one principle; the model reasons first (greedy, so labels are
//!   reproducible), then P(A) is read after "So the answer is: (" and clamped into
//!   `settings.clamp`, because such probabilities come out near 0 or 1.
//!
//! With `both_orders`, every question is also asked with the options swapped and the two P(A)
//! are averaged, which cancels the model's position bias.

use rand::seq::index::sample;
use rand::Rng;

use super::critique_revision::{few_shot_messages, response_sampling};
use super::events::{PipelineEvent, Stage};
use super::record::{Choice, Comparison, PrincipleVerdict, Record};
use super::stage::{account, note_server, record_rng, RngStream, StageContext, StageStop};
use crate::constitution::{CandidatePair, ComparisonMode, ComparisonPrinciple, Constitution};
use crate::model::{Backend, ChatMessage, Sampling};

/// The assistant prefix after which the option letter is scored.
pub const ANSWER_PREFIX: &str = "The answer is: (";
/// What follows the reasoning in chain-of-thought mode, before the option letter.
pub const COT_ANSWER_SUFFIX: &str = "\nSo the answer is: (";
/// Appended to the question in chain-of-thought mode.
pub const COT_INSTRUCTION: &str = "Let's think step by step, then answer with (A) or (B).";
const OPTIONS: [&str; 2] = ["A", "B"];

/// The multiple-choice question the feedback model answers.
pub fn comparison_question(prompt: &str, question: &str, a: &str, b: &str) -> String {
    format!(
        "Consider the following conversation between a human and an assistant:\n\n\
         Human: {prompt}\n\n{question}\n\nOptions:\n(A) {a}\n(B) {b}"
    )
}

/// The two candidates, in the order they will be shown.
struct Candidates {
    a_source: String,
    a: String,
    b_source: String,
    b: String,
}

/// Runs the comparison for `record` and stores it in `record.comparison`. Skipped (comparison
/// stays `None`) when the constitution has no enabled comparison principles, or when comparing
/// initial against revision and no round ran.
pub async fn run_feedback(
    policy: &dyn Backend,
    feedback: &dyn Backend,
    constitution: &Constitution,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<(), StageStop> {
    let principles = constitution.enabled_comparisons();
    if principles.is_empty() {
        return Ok(());
    }
    ctx.check_cancelled()?;
    let settings = &constitution.settings.comparison;
    let Some((first, second)) = candidate_pair(policy, constitution, record, ctx).await? else {
        return Ok(());
    };
    let mut rng = record_rng(
        constitution.settings.seed,
        &record.prompt.id,
        RngStream::Feedback,
    );
    let ((a_source, a), (b_source, b)) = if rng.gen_bool(0.5) {
        (second, first)
    } else {
        (first, second)
    };
    let pair = Candidates {
        a_source,
        a,
        b_source,
        b,
    };

    let drawn: Vec<&ComparisonPrinciple> = match settings.mode {
        ComparisonMode::Single | ComparisonMode::ChainOfThought => {
            vec![principles[rng.gen_range(0..principles.len())]]
        }
        ComparisonMode::Ensemble => {
            let k = (settings.ensemble_size.max(1) as usize).min(principles.len());
            sample(&mut rng, principles.len(), k)
                .into_iter()
                .map(|i| principles[i])
                .collect()
        }
    };

    ctx.emit(PipelineEvent::StageStarted {
        prompt_id: ctx.prompt_id.to_string(),
        stage: Stage::Comparison,
    });
    let mut verdicts = Vec::with_capacity(drawn.len());
    for principle in drawn {
        verdicts.push(verdict(feedback, constitution, &pair, principle, record, ctx).await?);
    }
    let p_a = verdicts.iter().map(|v| v.p_a).sum::<f64>() / verdicts.len() as f64;
    let comparison = Comparison {
        a_source: pair.a_source,
        a: pair.a,
        b_source: pair.b_source,
        b: pair.b,
        verdicts,
        p_a,
        choice: if p_a >= 0.5 { Choice::A } else { Choice::B },
    };
    ctx.emit(PipelineEvent::StageFinished {
        prompt_id: ctx.prompt_id.to_string(),
        stage: Stage::Comparison,
        text: format!(
            "P(A) = {p_a:.3} (A: {}, B: {})",
            comparison.a_source, comparison.b_source
        ),
    });
    record.comparison = Some(comparison);
    Ok(())
}

/// The two (source, text) candidates in their natural order, or `None` if there is nothing to
/// compare.
async fn candidate_pair(
    policy: &dyn Backend,
    constitution: &Constitution,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<Option<((String, String), (String, String))>, StageStop> {
    match constitution.settings.comparison.candidates {
        CandidatePair::InitialVsRevision => {
            let initial = record
                .initial
                .as_ref()
                .map(|r| r.text.clone())
                .ok_or_else(|| StageStop::Failed("no initial response to compare".to_string()))?;
            Ok(record.rounds.last().map(|last| {
                (
                    ("initial".to_string(), initial),
                    ("revision".to_string(), last.revision.text.clone()),
                )
            }))
        }
        CandidatePair::TwoSamples => {
            let mut messages = few_shot_messages(&constitution.examples);
            messages.push(ChatMessage::user(&record.prompt.text));
            let mut samples = Vec::with_capacity(2);
            for n in 1..=2u32 {
                ctx.check_cancelled()?;
                let sampling = response_sampling(constitution);
                let g = ctx
                    .generate(policy, &messages, sampling, Stage::Sample(n))
                    .await?;
                account(record, &g)?;
                samples.push((format!("sample-{n}"), g.text.trim().to_string()));
            }
            let second = samples.pop();
            let first = samples.pop();
            Ok(first.zip(second))
        }
    }
}

/// Asks one comparison principle (in one or both orders) and combines the answers.
async fn verdict(
    feedback: &dyn Backend,
    constitution: &Constitution,
    pair: &Candidates,
    principle: &ComparisonPrinciple,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<PrincipleVerdict, StageStop> {
    let settings = &constitution.settings.comparison;
    let prompt = record.prompt.text.clone();
    let forward_q = comparison_question(&prompt, &principle.question, &pair.a, &pair.b);
    let forward = ask(feedback, constitution, &forward_q, record, ctx).await?;
    let (p_forward, mut reasoning, mut floored) =
        (forward.p_first, forward.reasoning, forward.floored);
    let p_swapped = if settings.both_orders {
        let swapped_q = comparison_question(&prompt, &principle.question, &pair.b, &pair.a);
        let swapped = ask(feedback, constitution, &swapped_q, record, ctx).await?;
        floored |= swapped.floored;
        let (p_first, reasoning_swapped) = (swapped.p_first, swapped.reasoning);
        if let (Some(r), Some(s)) = (reasoning.as_mut(), reasoning_swapped) {
            r.push_str("\n\n[options swapped]\n");
            r.push_str(&s);
        }
        // A was shown second, so P(A) is the probability of the second option.
        Some(1.0 - p_first)
    } else {
        None
    };
    let adjust = |p: f64| match settings.mode {
        ComparisonMode::ChainOfThought => clamp_probability(p, settings.clamp),
        _ => p,
    };
    let p_a = match p_swapped {
        Some(s) => (adjust(p_forward) + adjust(s)) / 2.0,
        None => adjust(p_forward),
    };
    Ok(PrincipleVerdict {
        principle_id: principle.id.clone(),
        question: principle.question.clone(),
        p_a_forward: p_forward,
        p_a_swapped: p_swapped,
        p_a,
        reasoning,
        floored,
    })
}

/// One question's answer: the probability of the first option, the reasoning (chain of
/// thought) and whether a floor stood in for a missing option.
struct Answer {
    p_first: f64,
    reasoning: Option<String>,
    floored: bool,
}

/// Asks one question.
async fn ask(
    feedback: &dyn Backend,
    constitution: &Constitution,
    question: &str,
    record: &mut Record,
    ctx: &StageContext<'_>,
) -> Result<Answer, StageStop> {
    let settings = &constitution.settings.comparison;
    ctx.check_cancelled()?;
    let (messages, prefix, reasoning) = if settings.mode == ComparisonMode::ChainOfThought {
        let messages = vec![ChatMessage::user(format!(
            "{question}\n\n{COT_INSTRUCTION}"
        ))];
        let sampling = Sampling::greedy(settings.max_reasoning_tokens);
        let g = ctx
            .generate(feedback, &messages, sampling, Stage::Reasoning)
            .await?;
        account(record, &g)?;
        let reasoning = g.text.trim().to_string();
        let prefix = format!("{reasoning}{COT_ANSWER_SUFFIX}");
        (messages, prefix, Some(reasoning))
    } else {
        (
            vec![ChatMessage::user(question)],
            ANSWER_PREFIX.to_string(),
            None,
        )
    };
    ctx.check_cancelled()?;
    let scores = feedback.option_scores(&messages, &prefix, &OPTIONS).await?;
    note_server(record, scores.served_by.as_deref());
    Ok(Answer {
        p_first: first_option_probability(&scores.probabilities)?,
        reasoning,
        floored: scores.floored,
    })
}

/// The probability of option A from a backend's answer, checked.
fn first_option_probability(probabilities: &[f64]) -> Result<f64, StageStop> {
    match probabilities {
        [a, b] if a.is_finite() && b.is_finite() && (0.0..=1.0).contains(a) => Ok(*a),
        _ => Err(StageStop::Failed(format!(
            "the feedback model returned {probabilities:?} for options (A) and (B); expected two \
             probabilities"
        ))),
    }
}

/// Clamps `p` into `[clamp[0], clamp[1]]` (bounds taken in either order, limited to [0, 1]).
pub fn clamp_probability(p: f64, clamp: [f32; 2]) -> f64 {
    let lo = f64::from(clamp[0].min(clamp[1])).clamp(0.0, 1.0);
    let hi = f64::from(clamp[0].max(clamp[1])).clamp(0.0, 1.0);
    p.clamp(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_has_the_documented_shape() {
        let q = comparison_question("P?", "Which is kinder?", "one", "two");
        assert_eq!(
            q,
            "Consider the following conversation between a human and an assistant:\n\n\
             Human: P?\n\nWhich is kinder?\n\nOptions:\n(A) one\n(B) two"
        );
    }

    #[test]
    fn clamp_handles_reversed_and_wild_bounds() {
        assert_eq!(clamp_probability(0.9, [0.4, 0.6]), 0.6_f32 as f64);
        assert_eq!(clamp_probability(0.1, [0.6, 0.4]), 0.4_f32 as f64);
        assert_eq!(clamp_probability(0.5, [-1.0, 2.0]), 0.5);
    }

    #[test]
    fn bad_probabilities_are_rejected() {
        assert!(first_option_probability(&[0.3]).is_err());
        assert!(first_option_probability(&[f64::NAN, 0.5]).is_err());
        assert_eq!(first_option_probability(&[0.3, 0.7]), Ok(0.3));
    }
}
