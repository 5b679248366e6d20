//! The product's backend: a local GGUF run in process by mistral.rs on the CPU, fully offline.
//!
//! Loading follows the traps noted for mistral.rs 0.8.1: the GGUF is given as an absolute
//! directory plus file name (anything else falls through to the network), the tokenizer and chat
//! template come from the GGUF metadata, and `with_logging` is never called (it prints to
//! stdout). Greedy requests use `SamplingParams::deterministic()`, never temperature 0. The
//! engine has no per-request seed: sampled outputs depend on request order.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use either::Either;
use mistralrs::{
    DrySamplingParams, GgufModelBuilder, Model, RequestBuilder, Response, SamplingParams,
    TextMessageRole, TextMessages, TokenSource,
};
use tokio_util::sync::CancellationToken;

pub use super::mistralrs_logits::TextScore;
use super::{Backend, ChatMessage, Generation, ModelError, ModelInfo, Role, Sampling, TokenSink};
use crate::data::FinishReason;

/// A GGUF model loaded by mistral.rs.
pub struct MistralRsBackend {
    pub(super) model: Arc<Model>,
    info: ModelInfo,
}

impl MistralRsBackend {
    /// Loads `path` (a .gguf file) on the CPU. Checks the file first so a missing, foreign or
    /// unsupported file gets an error that says what to do. `sha256` is recorded in `info()`.
    pub async fn load(path: &Path, sha256: Option<String>) -> Result<Self, ModelError> {
        super::gguf::inspect(path)?;
        let abs = std::fs::canonicalize(path).map_err(|_| ModelError::Missing {
            path: path.display().to_string(),
        })?;
        let dir = abs.parent().ok_or_else(|| ModelError::Missing {
            path: abs.display().to_string(),
        })?;
        let file = abs
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .ok_or_else(|| ModelError::Missing {
                path: abs.display().to_string(),
            })?;
        let model = GgufModelBuilder::new(dir.to_string_lossy(), vec![file.clone()])
            .with_force_cpu()
            .with_token_source(TokenSource::None)
            .build()
            .await
            .map_err(|e| ModelError::Backend(format!("loading {}: {e}", abs.display())))?;
        Ok(MistralRsBackend {
            model: Arc::new(model),
            info: ModelInfo {
                id: file,
                path: Some(abs.display().to_string()),
                sha256,
                server: None,
            },
        })
    }

    /// Loads `file` (a .gguf) from the Hugging Face hub repository `repo`, for users with a
    /// network: mistral.rs downloads it into its hub cache (a token in the usual hub cache
    /// location is used if present). The tokenizer and chat template come from the GGUF.
    pub async fn load_hub(repo: &str, file: &str) -> Result<Self, ModelError> {
        let model = GgufModelBuilder::new(repo, vec![file.to_string()])
            .with_force_cpu()
            .with_token_source(TokenSource::CacheToken)
            .build()
            .await
            .map_err(|e| {
                ModelError::Backend(format!(
                    "loading {file} from the hub repository {repo}: {e}\n  fix: check the network and the names, or download the file and pass its path"
                ))
            })?;
        Ok(MistralRsBackend {
            model: Arc::new(model),
            info: ModelInfo {
                id: format!("{repo}/{file}"),
                path: None,
                sha256: None,
                server: None,
            },
        })
    }

    pub(super) fn text_messages(messages: &[ChatMessage]) -> TextMessages {
        messages.iter().fold(TextMessages::new(), |m, msg| {
            let role = match msg.role {
                Role::System => TextMessageRole::System,
                Role::User => TextMessageRole::User,
                Role::Assistant => TextMessageRole::Assistant,
            };
            m.add_message(role, &msg.content)
        })
    }

    pub(super) fn sampling_params(s: Sampling) -> SamplingParams {
        let max_len = Some(s.max_tokens.max(1) as usize);
        let mut params = if s.temperature <= 0.0 {
            SamplingParams {
                max_len,
                ..SamplingParams::deterministic()
            }
        } else {
            SamplingParams {
                temperature: Some(s.temperature as f64),
                top_p: Some(s.top_p as f64),
                max_len,
                ..SamplingParams::neutral()
            }
        };
        let p = s.penalties;
        params.frequency_penalty = (p.frequency != 0.0).then_some(p.frequency);
        params.presence_penalty = (p.presence != 0.0).then_some(p.presence);
        if p.dry_multiplier > 0.0 {
            // mistral.rs's default sequence breakers (newline, colon, quote, asterisk).
            params.dry_params = DrySamplingParams::new_with_defaults(
                p.dry_multiplier,
                None,
                Some(p.dry_base),
                Some(p.dry_allowed_length as usize),
            )
            .ok();
        }
        params
    }

    pub(super) async fn tokens(
        &self,
        text: Either<TextMessages, String>,
        generation_prompt: bool,
    ) -> Result<Vec<u32>, ModelError> {
        self.model
            .tokenize(text, None, false, generation_prompt, None)
            .await
            .map_err(|e| ModelError::Backend(format!("tokenize: {e}")))
    }
}

pub(super) fn backend_err(e: impl std::fmt::Display) -> ModelError {
    ModelError::Backend(e.to_string())
}

#[async_trait]
impl Backend for MistralRsBackend {
    fn info(&self) -> ModelInfo {
        self.info.clone()
    }

    async fn chat(
        &self,
        messages: &[ChatMessage],
        sampling: Sampling,
        stream: Option<TokenSink>,
        cancel: CancellationToken,
    ) -> Result<Generation, ModelError> {
        let started = Instant::now();
        let request = RequestBuilder::from(Self::text_messages(messages))
            .set_sampling(Self::sampling_params(sampling));
        let mut chunks = self
            .model
            .stream_chat_request(request)
            .await
            .map_err(backend_err)?;
        let mut text = String::new();
        let mut completion_tokens = 0u32;
        let mut prompt_tokens = 0u32;
        let mut finish = FinishReason::Stop;
        let mut finished = false;
        loop {
            let next = tokio::select! {
                biased;
                _ = cancel.cancelled() => { finish = FinishReason::Cancelled; break; }
                next = chunks.next() => next,
            };
            let Some(response) = next else {
                if finished {
                    break;
                }
                // The stream closed without a finish reason: the engine stopped (a panic in
                // its thread drops every request's sender). Say so rather than return the
                // partial text as an answer.
                return Err(ModelError::Backend(format!(
                    "mistral.rs's engine stopped before finishing this answer, after \
                     {completion_tokens} tokens (its thread panicked; the message is on stderr)"
                )));
            };
            match response {
                Response::Chunk(chunk) => {
                    if let Some(usage) = &chunk.usage {
                        prompt_tokens = usage.prompt_tokens as u32;
                        completion_tokens = usage.completion_tokens as u32;
                    }
                    let Some(choice) = chunk.choices.first() else {
                        continue;
                    };
                    if let Some(piece) = &choice.delta.content {
                        if chunk.usage.is_none() {
                            completion_tokens += 1;
                        }
                        text.push_str(piece);
                        if let Some(s) = &stream {
                            let _ = s.send(piece.clone());
                        }
                    }
                    if let Some(reason) = &choice.finish_reason {
                        finished = true;
                        finish = if reason == "length" {
                            FinishReason::Length
                        } else {
                            FinishReason::Stop
                        };
                        if chunk.usage.is_some() {
                            break;
                        }
                    }
                }
                Response::Done(done) => {
                    prompt_tokens = done.usage.prompt_tokens as u32;
                    completion_tokens = done.usage.completion_tokens as u32;
                    break;
                }
                Response::InternalError(e) | Response::ValidationError(e) => {
                    return Err(backend_err(e))
                }
                Response::ModelError(e, _) => return Err(backend_err(e)),
                _ => {}
            }
        }
        // Dropping the stream tells the engine to stop this sequence.
        drop(chunks);
        Ok(Generation {
            text,
            prompt_tokens,
            completion_tokens,
            finish,
            seconds: started.elapsed().as_secs_f64(),
            served_by: None,
        })
    }

    async fn option_probabilities(
        &self,
        messages: &[ChatMessage],
        assistant_prefix: &str,
        options: &[&str],
    ) -> Result<Vec<f64>, ModelError> {
        let (tokens, option_ids) = self
            .option_prompt(messages, assistant_prefix, options)
            .await?;
        let picked = self.next_token_logits(tokens, option_ids).await?;
        Ok(softmax(
            &picked.into_iter().map(f64::from).collect::<Vec<_>>(),
        ))
    }
}

/// Softmax over a few logits, numerically stable.
pub(crate) fn softmax(logits: &[f64]) -> Vec<f64> {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = logits.iter().map(|l| (l - max).exp()).collect();
    let sum: f64 = exps.iter().sum();
    exps.iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::softmax;

    #[test]
    fn softmax_sums_to_one_and_orders() {
        let p = softmax(&[2.0, 0.0]);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(p[0] > 0.88 && p[0] < 0.89);
        let big = softmax(&[1000.0, 999.0]);
        assert!(big.iter().all(|x| x.is_finite()));
    }
}
