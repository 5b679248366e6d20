//! Reading logits from the mistral.rs backend: the probabilities of a comparison's options
//! after a prompt (one generation step, logits read by a logits processor) and how a model reads
//! a fixed text (one prefill with raw logits for every position).

use std::sync::Arc;

use either::Either;
use mistralrs::{
    cross_entropy_loss, Constraint, CustomLogitsProcessor, DType, Device, NormalRequest, Request,
    RequestMessage, Response, ResponseOk, SamplingParams, Tensor,
};

use super::mistralrs_backend::{backend_err, MistralRsBackend};
use super::{ChatMessage, ModelError};

/// How a model reads a fixed text (see [`MistralRsBackend::score_text`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TextScore {
    pub perplexity: f64,
    /// The text's tokens.
    pub tokens: Vec<u32>,
    /// The most likely token after each prefix `tokens[..=i]` (one fewer than `tokens`).
    pub predicted: Vec<u32>,
}

impl MistralRsBackend {
    /// The prompt tokens of a question with the assistant's answer started by `prefix`, and the
    /// first token of each option.
    pub(super) async fn option_prompt(
        &self,
        messages: &[ChatMessage],
        prefix: &str,
        options: &[&str],
    ) -> Result<(Vec<u32>, Vec<usize>), ModelError> {
        let mut tokens = self
            .tokens(Either::Left(Self::text_messages(messages)), true)
            .await?;
        tokens.extend(
            self.tokens(Either::Right(prefix.to_string()), false)
                .await?,
        );
        let mut option_ids = Vec::with_capacity(options.len());
        for option in options {
            let ids = self
                .tokens(Either::Right(option.to_string()), false)
                .await?;
            let first = *ids
                .first()
                .ok_or_else(|| ModelError::Backend(format!("option {option:?} has no tokens")))?;
            option_ids.push(first as usize);
        }
        Ok((tokens, option_ids))
    }

    /// The option logits as [`Backend::option_probabilities`](super::Backend) reads them, but
    /// from a raw-logits request (every prompt position through the output layer): slower,
    /// kept to check the fast path against.
    pub async fn option_logits_from_raw_logits(
        &self,
        messages: &[ChatMessage],
        prefix: &str,
        options: &[&str],
    ) -> Result<Vec<f32>, ModelError> {
        let (tokens, option_ids) = self.option_prompt(messages, prefix, options).await?;
        let chunks = self.raw_logits(tokens, 1).await?;
        let last = chunks
            .last()
            .ok_or_else(|| backend_err("no logits returned"))?
            .to_dtype(DType::F32)
            .map_err(backend_err)?;
        let row = match last.rank() {
            1 => last,
            _ => {
                let flat = last.flatten_to(last.rank() - 2).map_err(backend_err)?;
                let n = flat.dim(0).map_err(backend_err)?;
                flat.get(n - 1).map_err(backend_err)?
            }
        };
        let logits: Vec<f32> = row.to_vec1().map_err(backend_err)?;
        pick(&logits, &option_ids).map_err(backend_err)
    }

    /// The option logits of [`Backend::option_probabilities`](super::Backend), before the
    /// softmax.
    pub async fn option_logits(
        &self,
        messages: &[ChatMessage],
        prefix: &str,
        options: &[&str],
    ) -> Result<Vec<f32>, ModelError> {
        let (tokens, option_ids) = self.option_prompt(messages, prefix, options).await?;
        self.next_token_logits(tokens, option_ids).await
    }

    /// Scores `text` in one prefill from raw logits: its perplexity (exp of the mean negative
    /// log-likelihood of each token after the first) and the model's most likely next token at
    /// each position. For comparing weights on a fixed text.
    pub async fn score_text(&self, text: &str) -> Result<TextScore, ModelError> {
        let tokens = self.tokens(Either::Right(text.to_string()), false).await?;
        if tokens.len() < 2 {
            return Err(backend_err("scoring needs a text of at least two tokens"));
        }
        let chunks = self.raw_logits(tokens.clone(), 0).await?;
        let logits = chunks
            .first()
            .ok_or_else(|| backend_err("no logits returned"))?
            .to_dtype(DType::F32)
            .map_err(backend_err)?;
        let positions = logits.dim(0).map_err(backend_err)?;
        if positions != tokens.len() {
            return Err(backend_err(format!(
                "expected logits for {} positions, got {positions}",
                tokens.len()
            )));
        }
        let predicting = logits
            .narrow(0, 0, positions - 1)
            .and_then(|t| t.contiguous())
            .map_err(backend_err)?;
        let labels =
            Tensor::from_slice(&tokens[1..], positions - 1, &Device::Cpu).map_err(backend_err)?;
        let loss = cross_entropy_loss(&predicting, &labels)
            .and_then(|l| l.to_scalar::<f32>())
            .map_err(backend_err)?;
        let predicted = predicting
            .argmax(1)
            .and_then(|t| t.to_vec1::<u32>())
            .map_err(backend_err)?;
        Ok(TextScore {
            perplexity: f64::from(loss).exp(),
            tokens,
            predicted,
        })
    }

    /// Sends `tokens` as a completion request asking for raw logits (`max_len` 0: the prompt's
    /// logits only); returns the logits chunks.
    pub(super) async fn raw_logits(
        &self,
        tokens: Vec<u32>,
        max_len: usize,
    ) -> Result<Vec<Tensor>, ModelError> {
        let response = self.send_tokens(tokens, max_len, true, None).await?;
        match response.as_result().map_err(backend_err)? {
            ResponseOk::Raw { logits_chunks, .. } => Ok(logits_chunks),
            _ => Err(backend_err("expected raw logits")),
        }
    }

    /// The logits of `ids` at the position after `tokens`, read in one generation step by a
    /// logits processor (they are what the sampler receives). Unlike a raw-logits request, only
    /// the last position goes through the output layer (49,152 x 576 weights per position).
    pub(super) async fn next_token_logits(
        &self,
        tokens: Vec<u32>,
        ids: Vec<usize>,
    ) -> Result<Vec<f32>, ModelError> {
        type Seen = std::sync::Mutex<Option<Result<Vec<f32>, String>>>;
        let seen: Arc<Seen> = Arc::default();
        let sink = seen.clone();
        let read = move |logits: &Tensor, _context: &[u32]| -> candle_core::Result<Tensor> {
            let picked = logits
                .to_dtype(DType::F32)
                .and_then(|l| l.to_vec1::<f32>())
                .map_err(|e| e.to_string())
                .and_then(|all| pick(&all, &ids));
            let mut slot = sink.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert(picked);
            Ok(logits.clone())
        };
        let processor: Arc<dyn CustomLogitsProcessor> = Arc::new(read);
        match self.send_tokens(tokens, 1, false, Some(processor)).await? {
            Response::InternalError(e) | Response::ValidationError(e) => {
                return Err(backend_err(e))
            }
            Response::CompletionModelError(e, _) => return Err(backend_err(e)),
            _ => {}
        }
        let picked = seen.lock().unwrap_or_else(|e| e.into_inner()).take();
        picked
            .ok_or_else(|| backend_err("the engine did not sample"))?
            .map_err(backend_err)
    }

    /// Sends `tokens` as a greedy completion request of at most `max_len` tokens and returns
    /// the engine's (one, non-streamed) response.
    async fn send_tokens(
        &self,
        tokens: Vec<u32>,
        max_len: usize,
        return_raw_logits: bool,
        processor: Option<Arc<dyn CustomLogitsProcessor>>,
    ) -> Result<Response, ModelError> {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let request = Request::Normal(Box::new(NormalRequest {
            messages: RequestMessage::CompletionTokens(tokens),
            sampling_params: SamplingParams {
                max_len: Some(max_len),
                ..SamplingParams::deterministic()
            },
            response: tx,
            return_logprobs: false,
            is_streaming: false,
            id: 0,
            constraint: Constraint::None,
            suffix: None,
            tools: None,
            tool_choice: None,
            logits_processors: processor.map(|p| vec![p]),
            return_raw_logits,
            web_search_options: None,
            model_id: None,
            truncate_sequence: false,
        }));
        self.model
            .inner()
            .get_sender(None)
            .map_err(backend_err)?
            .send(request)
            .await
            .map_err(backend_err)?;
        rx.recv()
            .await
            .ok_or_else(|| backend_err("engine closed the channel"))
    }
}

/// The logits of the options' tokens.
fn pick(logits: &[f32], ids: &[usize]) -> Result<Vec<f32>, String> {
    ids.iter()
        .map(|&i| {
            logits
                .get(i)
                .copied()
                .ok_or_else(|| format!("option token {i} outside the vocabulary"))
        })
        .collect()
}
