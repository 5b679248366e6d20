//! The constitution data model, exactly as it appears in the TOML files under `constitutions/`.

use serde::{Deserialize, Serialize};

/// A whole constitution file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constitution {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub settings: Settings,
    /// Critique/revision principles (supervised stage).
    #[serde(default, rename = "principles")]
    pub principles: Vec<Principle>,
    /// Comparison principles (feedback stage).
    #[serde(default, rename = "comparisons")]
    pub comparisons: Vec<ComparisonPrinciple>,
    /// Few-shot examples of the whole critique/revision exchange.
    #[serde(default, rename = "examples")]
    pub examples: Vec<FewShotExample>,
}

/// One critique/revision principle: a pair of requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principle {
    pub id: String,
    /// Asks the model to identify ways its last response falls short.
    pub critique: String,
    /// Asks the model to rewrite its response to fix what the critique found.
    pub revision: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// One comparison principle: the question the feedback model answers with (A) or (B).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonPrinciple {
    pub id: String,
    pub question: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

/// A worked example of the whole exchange, put in front of every conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FewShotExample {
    pub prompt: String,
    pub response: String,
    pub critique_request: String,
    pub critique: String,
    pub revision_request: String,
    pub revision: String,
}

/// Run settings stored with the constitution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Critique/revision rounds per prompt.
    pub rounds: u32,
    /// Sampling temperature (0 means greedy).
    pub temperature: f32,
    pub top_p: f32,
    /// Token limit for the initial response and each revision.
    pub max_response_tokens: u32,
    /// Token limit for each critique.
    pub max_critique_tokens: u32,
    /// Seed of the principle-drawing RNG (and recorded for provenance).
    pub seed: u64,
    pub comparison: ComparisonSettings,
    /// What keeps answers from repeating themselves.
    pub repetition: RepetitionSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            rounds: 2,
            temperature: 0.7,
            top_p: 0.95,
            max_response_tokens: 160,
            max_critique_tokens: 96,
            seed: 42,
            comparison: ComparisonSettings::default(),
            repetition: RepetitionSettings::default(),
        }
    }
}

/// Sampler penalties against repetition and the early stop of looping generations
/// (`[settings.repetition]`). They apply to answers, critiques and revisions, not to the
/// feedback model's reasoning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RepetitionSettings {
    /// Logit penalty per earlier occurrence of a token (0 = off).
    pub frequency_penalty: f32,
    /// Logit penalty for a token that occurred at all (0 = off).
    pub presence_penalty: f32,
    /// DRY penalty multiplier (0 = off).
    pub dry_multiplier: f32,
    /// DRY penalty growth per token of repeat beyond `dry_allowed_length`.
    pub dry_base: f32,
    /// Repeats up to this many tokens long go unpenalised by DRY.
    pub dry_allowed_length: u32,
    /// Stop a generation once it loops, and trim the repeats.
    pub stop_on_loop: bool,
}

impl Default for RepetitionSettings {
    fn default() -> Self {
        // Measured on the shipped red-team set (README, "Less repetition"): DRY with a small
        // presence penalty cut degenerate revisions the most; frequency penalties count the
        // few-shot prompt's tokens too and hurt.
        RepetitionSettings {
            frequency_penalty: 0.0,
            presence_penalty: 0.3,
            dry_multiplier: 0.8,
            dry_base: 1.75,
            dry_allowed_length: 2,
            stop_on_loop: true,
        }
    }
}

impl RepetitionSettings {
    /// No penalties and no early stop.
    pub fn off() -> Self {
        RepetitionSettings {
            frequency_penalty: 0.0,
            presence_penalty: 0.0,
            dry_multiplier: 0.0,
            stop_on_loop: false,
            ..RepetitionSettings::default()
        }
    }
}

/// How the feedback stage asks its questions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ComparisonSettings {
    pub mode: ComparisonMode,
    /// Principles drawn per comparison in `ensemble` mode.
    pub ensemble_size: u32,
    /// Ask with both option orders, (A,B) and (B,A), and average.
    pub both_orders: bool,
    /// In `chain-of-thought` mode, P(A) is clamped into `[clamp[0], clamp[1]]`.
    pub clamp: [f32; 2],
    /// Token limit of the chain-of-thought reasoning.
    pub max_reasoning_tokens: u32,
    /// Which two responses are compared.
    pub candidates: CandidatePair,
    /// A comparison with |P(A) - 0.5| below this is flagged as a near tie.
    pub tie_margin: f32,
    /// The feedback model's calibration, fitted on known answers by `cai eval --fit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<Calibration>,
}

/// A calibration temperature for the feedback model's P(A): each order's log-odds are divided
/// by it before the orders are averaged. Fitted by `cai eval --fit` on one half of a
/// known-answer set (and reported on the other); it applies only to the model it was fitted
/// for. A judge at chance gets a large temperature, which sends its labels to 0.5.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    pub temperature: f64,
    /// The feedback model it was fitted for: its file's sha256 when local, else its name.
    pub feedback_model: String,
    /// What it was fitted on (set, items, configuration), for the record.
    #[serde(default)]
    pub fitted_on: String,
    /// Expected calibration error on the held-out half before and after, if measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ece_before: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ece_after: Option<f64>,
}

impl Default for ComparisonSettings {
    fn default() -> Self {
        ComparisonSettings {
            mode: ComparisonMode::Ensemble,
            ensemble_size: 3,
            both_orders: true,
            clamp: [0.4, 0.6],
            max_reasoning_tokens: 96,
            candidates: CandidatePair::InitialVsRevision,
            tie_margin: 0.05,
            calibration: None,
        }
    }
}

/// One principle per comparison, an ensemble of k, or chain of thought (one principle, reasoning
/// first, probability clamped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComparisonMode {
    Single,
    Ensemble,
    ChainOfThought,
}

/// Which pair of responses the feedback model compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CandidatePair {
    /// The initial response against the final revision.
    InitialVsRevision,
    /// Two fresh samples of the policy for the prompt.
    TwoSamples,
}

fn yes() -> bool {
    true
}

impl Constitution {
    /// Enabled critique/revision principles, in file order.
    pub fn enabled_principles(&self) -> Vec<&Principle> {
        self.principles.iter().filter(|p| p.enabled).collect()
    }

    /// Enabled comparison principles, in file order.
    pub fn enabled_comparisons(&self) -> Vec<&ComparisonPrinciple> {
        self.comparisons.iter().filter(|p| p.enabled).collect()
    }
}
