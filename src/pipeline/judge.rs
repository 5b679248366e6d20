//! The judge: one question put to the feedback model about two answers, the way every part of
//! the workbench asks it (the feedback stage, A/B head-to-heads, `cai eval` on known answers).
//!
//! The question is the multiple-choice form of the paper: the conversation, the principle's
//! question, the options (A) and (B); the model's turn begins with [`ANSWER_PREFIX`] and the
//! probabilities of the next token being `A` or `B` are read. In chain-of-thought mode the
//! model first reasons (greedy, so labels are reproducible) and the probabilities are read
//! after "So the answer is: (" and clamped. With both orders the question is also asked with
//! the options swapped, which cancels position bias. A calibration temperature, when given,
//! divides each order's log-odds before they are clamped and averaged.

use super::events::Stage;
use super::stage::{StageContext, StageStop};
use crate::constitution::{Calibration, ComparisonMode, ComparisonSettings};
use crate::model::{Backend, ChatMessage, ModelInfo, Sampling, ANSWER_PREFIX};
use crate::stats::temperature::apply_binary;

/// What follows the reasoning in chain-of-thought mode, before the option letter.
pub const COT_ANSWER_SUFFIX: &str = "\nSo the answer is: (";
/// Appended to the question in chain-of-thought mode.
pub const COT_INSTRUCTION: &str = "Let's think step by step, then answer with (A) or (B).";
const OPTIONS: [&str; 2] = ["A", "B"];

/// A conversation as the judge reads it: `Human: ...` turns, and `Assistant: ...` turns
/// before the answer being judged.
pub fn transcript_of_prompt(prompt: &str) -> String {
    format!("Human: {prompt}")
}

/// The multiple-choice question the feedback model answers.
pub fn comparison_question(transcript: &str, question: &str, a: &str, b: &str) -> String {
    format!(
        "Consider the following conversation between a human and an assistant:\n\n\
         {transcript}\n\n{question}\n\nOptions:\n(A) {a}\n(B) {b}"
    )
}

/// How a model is named in a calibration ([`Calibration::feedback_model`]): its file's sha256
/// when local, else its name.
pub fn model_key(info: &ModelInfo) -> String {
    info.sha256.clone().unwrap_or_else(|| info.id.clone())
}

/// The calibration temperature of `settings` when it was fitted for this feedback model; a
/// temperature fitted for another model is not applied.
pub fn calibration_for(settings: &ComparisonSettings, feedback: &dyn Backend) -> Option<f64> {
    let calibration: &Calibration = settings.calibration.as_ref()?;
    (calibration.feedback_model == model_key(&feedback.info())).then_some(calibration.temperature)
}

/// How a question is asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HowToAsk {
    /// Reason first, then answer (probabilities clamped into `clamp`).
    pub chain_of_thought: bool,
    /// Also ask with the options swapped, and average.
    pub both_orders: bool,
    pub clamp: [f32; 2],
    pub max_reasoning_tokens: u32,
    /// The calibration temperature applied to each order's P(A), if any.
    pub temperature: Option<f64>,
}

impl HowToAsk {
    /// As the constitution's comparison settings say, with `temperature` (the calibration
    /// that applies to the feedback model in use, if any).
    pub fn from_settings(settings: &ComparisonSettings, temperature: Option<f64>) -> HowToAsk {
        HowToAsk {
            chain_of_thought: settings.mode == ComparisonMode::ChainOfThought,
            both_orders: settings.both_orders,
            clamp: settings.clamp,
            max_reasoning_tokens: settings.max_reasoning_tokens,
            temperature,
        }
    }

    /// Direct answers in both orders: the head-to-head's way.
    pub fn both_orders(temperature: Option<f64>) -> HowToAsk {
        HowToAsk {
            chain_of_thought: false,
            both_orders: true,
            clamp: [0.0, 1.0],
            max_reasoning_tokens: 0,
            temperature,
        }
    }
}

/// A question about two answers.
#[derive(Debug, Clone, Copy)]
pub struct PairQuestion<'a> {
    /// The conversation up to the answers, as [`transcript_of_prompt`] gives it.
    pub transcript: &'a str,
    /// The principle's question.
    pub question: &'a str,
    pub a: &'a str,
    pub b: &'a str,
}

/// The judge's answer to a [`PairQuestion`].
#[derive(Debug, Clone, PartialEq)]
pub struct PairVerdict {
    /// P(A) as read with A shown first (before calibration).
    pub p_a_forward: f64,
    /// P(A) as read with A shown second, if both orders were asked (before calibration).
    pub p_a_swapped: Option<f64>,
    /// The label: each order calibrated, clamped in chain-of-thought mode, then averaged.
    pub p_a: f64,
    /// The chain-of-thought text, in that mode.
    pub reasoning: Option<String>,
    /// An option was missing from a server's top logprobs in an order, and the smallest
    /// listed probability stood in for it.
    pub floored: bool,
    /// Endpoints that answered, in order (empty in process).
    pub served_by: Vec<String>,
    /// Tokens generated (the reasoning, in chain-of-thought mode).
    pub generated_tokens: u32,
}

/// Asks `q` in one or both orders as `how` says.
pub async fn ask_pair(
    feedback: &dyn Backend,
    how: &HowToAsk,
    q: &PairQuestion<'_>,
    ctx: &StageContext<'_>,
) -> Result<PairVerdict, StageStop> {
    let mut verdict = PairVerdict {
        p_a_forward: 0.5,
        p_a_swapped: None,
        p_a: 0.5,
        reasoning: None,
        floored: false,
        served_by: Vec::new(),
        generated_tokens: 0,
    };
    let forward_text = comparison_question(q.transcript, q.question, q.a, q.b);
    let forward = ask_once(feedback, how, &forward_text, ctx, &mut verdict).await?;
    verdict.p_a_forward = forward.0;
    verdict.reasoning = forward.1;
    if how.both_orders {
        let swapped_text = comparison_question(q.transcript, q.question, q.b, q.a);
        let (p_first, reasoning) =
            ask_once(feedback, how, &swapped_text, ctx, &mut verdict).await?;
        if let (Some(r), Some(s)) = (verdict.reasoning.as_mut(), reasoning) {
            r.push_str("\n\n[options swapped]\n");
            r.push_str(&s);
        }
        // A was shown second, so P(A) is the probability of the second option.
        verdict.p_a_swapped = Some(1.0 - p_first);
    }
    let adjust = |p: f64| {
        let p = match how.temperature {
            Some(t) => apply_binary(p, t).unwrap_or(p),
            None => p,
        };
        if how.chain_of_thought {
            clamp_probability(p, how.clamp)
        } else {
            p
        }
    };
    verdict.p_a = match verdict.p_a_swapped {
        Some(s) => (adjust(verdict.p_a_forward) + adjust(s)) / 2.0,
        None => adjust(verdict.p_a_forward),
    };
    Ok(verdict)
}

/// A question of several options asked as written (the set's own text, then the answer
/// prefix): the probability of each option's letter, normalised over them, and whether a
/// server's floor stood in for one. `cai eval` asks the questions that are not pairs this way.
pub async fn ask_written(
    feedback: &dyn Backend,
    text: &str,
    letters: &[&str],
    ctx: &StageContext<'_>,
) -> Result<crate::model::OptionScores, StageStop> {
    ctx.check_cancelled()?;
    let scores = feedback
        .option_scores(&[ChatMessage::user(text)], ANSWER_PREFIX, letters)
        .await?;
    let p = &scores.probabilities;
    if p.len() != letters.len() || p.iter().any(|x| !x.is_finite() || *x < 0.0) {
        return Err(StageStop::Failed(format!(
            "the feedback model returned {p:?} for {} options",
            letters.len()
        )));
    }
    Ok(scores)
}

/// Asks one question text; returns P(first option) and the reasoning.
async fn ask_once(
    feedback: &dyn Backend,
    how: &HowToAsk,
    question: &str,
    ctx: &StageContext<'_>,
    verdict: &mut PairVerdict,
) -> Result<(f64, Option<String>), StageStop> {
    ctx.check_cancelled()?;
    let (messages, prefix, reasoning) = if how.chain_of_thought {
        let messages = vec![ChatMessage::user(format!(
            "{question}\n\n{COT_INSTRUCTION}"
        ))];
        let sampling = Sampling::greedy(how.max_reasoning_tokens);
        let g = ctx
            .generate(feedback, &messages, sampling, Stage::Reasoning)
            .await?;
        note(&mut verdict.served_by, g.served_by.as_deref());
        verdict.generated_tokens = verdict.generated_tokens.saturating_add(g.completion_tokens);
        if g.finish == crate::data::FinishReason::Cancelled {
            return Err(StageStop::Cancelled);
        }
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
    note(&mut verdict.served_by, scores.served_by.as_deref());
    verdict.floored |= scores.floored;
    Ok((first_option_probability(&scores.probabilities)?, reasoning))
}

fn note(served_by: &mut Vec<String>, url: Option<&str>) {
    if let Some(url) = url {
        if !served_by.iter().any(|u| u == url) {
            served_by.push(url.to_string());
        }
    }
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
        let q = comparison_question(
            &transcript_of_prompt("P?"),
            "Which is kinder?",
            "one",
            "two",
        );
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
