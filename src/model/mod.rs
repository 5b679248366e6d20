//! Model backends: the one trait the pipeline talks to, and its implementations.
//!
//! - `mistralrs`: a local GGUF run in process by mistral.rs, offline, on the CPU.
//! - `openai`: OpenAI-compatible inference servers (vLLM, TGI, llama.cpp's and mistral.rs's
//!   servers), one or many endpoints per model, with failover.
//! - `profiles`: named model choices in `cai.toml`, and what `--model`/`--endpoint` resolve to.
//! - `scripted`: canned answers for fast unit tests of the pipeline and views (never the product).
//! - `fetch`: the default model, where it lives and how it is pulled and verified.
//! - `requantize`, `derived`: the default model converted once into a format with fast CPU kernels.

pub mod choices;
pub mod derived;
pub mod fetch;
pub mod gguf;
pub mod loader;
pub mod mistralrs_backend;
mod mistralrs_logits;
pub mod openai;
pub mod profiles;
pub mod requantize;
pub mod scripted;

use async_trait::async_trait;

use crate::data::FinishReason;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// The assistant prefix after which a comparison's option letter is scored: the model's turn
/// begins with it and the next token is the option ("A" or "B").
pub const ANSWER_PREFIX: &str = "The answer is: (";

/// Who said a chat turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One chat turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

impl ChatMessage {
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::User,
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::Assistant,
            content: content.into(),
        }
    }
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage {
            role: Role::System,
            content: content.into(),
        }
    }
}

/// Sampling settings of one request. `temperature == 0.0` means greedy decoding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    pub temperature: f32,
    pub top_p: f32,
    pub max_tokens: u32,
    /// Penalties against repeating tokens (none by default).
    #[serde(default)]
    pub penalties: Penalties,
    /// Stop the generation once it loops ([`crate::quality::repetition::is_looping`]); done
    /// by the pipeline while the text streams in, whatever the backend.
    #[serde(default)]
    pub stop_on_loop: bool,
    /// A per-request seed, passed to backends that take one (inference servers); the pipeline
    /// derives one per prompt and stage from the constitution's seed. mistral.rs 0.8 has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl Sampling {
    pub fn greedy(max_tokens: u32) -> Self {
        Sampling {
            temperature: 0.0,
            top_p: 1.0,
            max_tokens,
            penalties: Penalties::default(),
            stop_on_loop: false,
            seed: None,
        }
    }
}

/// Sampler penalties against repetition, as OpenAI-style servers and mistral.rs take them.
/// Zero means off. All of them count the tokens of the whole sequence, prompt included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Penalties {
    /// Subtracted from a token's logit once per earlier occurrence.
    pub frequency: f32,
    /// Subtracted from a token's logit once if it occurred at all.
    pub presence: f32,
    /// DRY ("don't repeat yourself"): a token that would extend a repeat of an earlier
    /// sequence of `dry_allowed_length` or more tokens loses
    /// `dry_multiplier * dry_base^(length - dry_allowed_length)` from its logit.
    pub dry_multiplier: f32,
    pub dry_base: f32,
    pub dry_allowed_length: u32,
}

/// The result of one chat completion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub text: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub finish: FinishReason,
    /// Seconds spent producing the completion (prefill plus decode).
    pub seconds: f64,
    /// The endpoint (server base URL) that produced it, for a server backend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
}

/// A comparison's option probabilities with where they came from (see
/// [`Backend::option_scores`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionScores {
    /// One probability per option, summing to 1.
    pub probabilities: Vec<f64>,
    /// An option was missing from a server's top logprobs and was given the smallest listed
    /// probability (an upper bound for it), so the others' probabilities are lower bounds.
    pub floored: bool,
    /// The endpoint that answered, for a server backend.
    pub served_by: Option<String>,
}

/// Requests one endpoint of a server backend served, for run summaries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointUsage {
    pub endpoint: String,
    /// Requests that succeeded there.
    pub served: u64,
    /// Attempts that failed there (and were retried elsewhere or reported).
    pub failed: u64,
    /// Whether it is set aside now (failing; probed again later).
    pub set_aside: bool,
}

/// What identifies a loaded model, recorded in every session manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// A human name, e.g. the GGUF file name.
    pub id: String,
    /// Where the weights came from (a path), if local.
    pub path: Option<String>,
    /// sha256 of the weights file, if local.
    pub sha256: Option<String>,
    /// For a model behind inference servers: the endpoints and settings used (never the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<openai::ServerInfo>,
}

impl ModelInfo {
    /// Whether two infos name the same model: the same weights (sha256) when both know them,
    /// else the same name, run the same way (in process, or behind servers). A server model
    /// on other endpoints is still the same model.
    pub fn same_model(&self, other: &ModelInfo) -> bool {
        if self.server.is_some() != other.server.is_some() {
            return false;
        }
        match (&self.sha256, &other.sha256) {
            (Some(a), Some(b)) => a == b,
            _ => self.id == other.id,
        }
    }
}

/// Errors a backend reports; each says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file not found: {path}\n  fix: run `cai model pull` for the default model, or pass --model with the path of a .gguf file")]
    Missing { path: String },
    #[error("model file {path} has sha256 {actual}, expected {expected}\n  fix: delete it and run `cai model pull` again")]
    HashMismatch {
        path: String,
        expected: String,
        actual: String,
    },
    #[error("{path} is not a GGUF file (its first bytes are not \"GGUF\")\n  fix: pass a .gguf model file")]
    NotGguf { path: String },
    #[error("{path}: architecture `{arch}` is not supported by mistral.rs 0.8 GGUF loading (supported: llama, phi2, phi3, starcoder2, qwen2, qwen3, qwen3moe)\n  fix: use a GGUF of a supported architecture")]
    UnsupportedArchitecture { path: String, arch: String },
    #[error("could not fetch the default model: {0}")]
    Fetch(String),
    #[error("model failed: {0}")]
    Backend(String),
    /// A model file that cannot be a usable model (a directory, empty, truncated), with a fix.
    #[error("{0}")]
    BadFile(String),
}

/// The models a run uses: the policy writes responses, critiques and revisions; the feedback
/// model answers the comparison questions (it may be the same model, shared).
#[derive(Clone)]
pub struct Models {
    pub policy: std::sync::Arc<dyn Backend>,
    pub feedback: std::sync::Arc<dyn Backend>,
}

/// A sink for streamed text pieces.
pub type TokenSink = UnboundedSender<String>;

/// What the pipeline needs from a model.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Identity of the model, for manifests and provenance.
    fn info(&self) -> ModelInfo;

    /// Chat completion. Text pieces go to `stream` as they are produced, if given. When `cancel`
    /// fires the call returns promptly with the partial text and `FinishReason::Cancelled`.
    async fn chat(
        &self,
        messages: &[ChatMessage],
        sampling: Sampling,
        stream: Option<TokenSink>,
        cancel: CancellationToken,
    ) -> Result<Generation, ModelError>;

    /// The probability of each option continuing the conversation after the assistant turn
    /// has begun with `assistant_prefix`, normalised over the options (they sum to 1).
    /// E.g. prefix "The answer is: (" and options ["A", "B"].
    async fn option_probabilities(
        &self,
        messages: &[ChatMessage],
        assistant_prefix: &str,
        options: &[&str],
    ) -> Result<Vec<f64>, ModelError>;

    /// [`Backend::option_probabilities`] with where the answer came from and whether a bound
    /// stood in for a missing option. Backends that read whole distributions need not
    /// override it.
    async fn option_scores(
        &self,
        messages: &[ChatMessage],
        assistant_prefix: &str,
        options: &[&str],
    ) -> Result<OptionScores, ModelError> {
        let probabilities = self
            .option_probabilities(messages, assistant_prefix, options)
            .await?;
        Ok(OptionScores {
            probabilities,
            floored: false,
            served_by: None,
        })
    }

    /// How many requests the backend serves at once (the sum of a server pool's in-flight
    /// limits); `None` when it has no such limit (in process).
    fn capacity(&self) -> Option<usize> {
        None
    }

    /// Requests per endpoint so far, for a server backend; empty in process.
    fn endpoint_usage(&self) -> Vec<EndpointUsage> {
        Vec::new()
    }
}
