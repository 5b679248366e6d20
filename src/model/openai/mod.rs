//! The backend for OpenAI-compatible inference servers (vLLM, TGI, llama.cpp's `llama-server`,
//! `mistralrs-server`): one served model behind one or more endpoints.
//!
//! - Chat completions are streamed (`stream: true`); sampling settings and the seed are passed
//!   through; cancelling drops the connection, which makes the servers stop generating.
//! - Option probabilities come from the `top_logprobs` of a one-token answer right after the
//!   assistant turn has begun with the answer prefix ([`config::Continuation`] says how the turn
//!   is continued; [`logprobs`] how the probabilities are read, with the documented floor).
//! - Requests spread over the endpoints by least outstanding work with a limit per endpoint
//!   ([`pool`]); failures are retried with backoff and jitter, elsewhere when possible, and an
//!   endpoint that keeps failing is set aside and probed again later ([`retry`]). A streamed
//!   answer cut off by a dying server is asked again from the start elsewhere; the stream gets
//!   a note saying so, the recorded text is the complete answer only.
//! - [`connect`] checks the servers before a run: reachable, the served model's name, and, for
//!   a feedback model, that they return the logprobs the comparisons need.
//!
//! The API key is read from the environment variable the profile names and is only ever put in
//! an `Authorization` header: never in manifests, logs, records or errors.

mod client;
pub mod config;
mod connect;
pub mod logprobs;
pub mod pool;
pub mod retry;
pub mod template;
pub mod wire;

use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use config::{Continuation, ServerConfig, ServerInfo, MAX_IN_FLIGHT, MAX_TIMEOUT_S};
pub use connect::CheckComparisons;

use self::client::Http;
use self::pool::{Lease, Pool};
use self::retry::{AttemptError, Attempts};
use self::template::ChatTemplate;
use super::{
    Backend, ChatMessage, EndpointUsage, Generation, ModelError, ModelInfo, OptionScores, Sampling,
    TokenSink,
};
use crate::data::FinishReason;

/// What the stream shows when an answer is asked again on another endpoint.
pub const RESTART_NOTE: &str = "\n[the server was lost; asking again from the start]\n";

/// A served model behind OpenAI-compatible endpoints.
pub struct OpenAiBackend {
    config: ServerConfig,
    /// The model name sent in requests.
    model: String,
    http: Http,
    pool: Arc<Pool>,
    /// For [`Continuation::Completions`].
    template: Option<ChatTemplate>,
}

impl OpenAiBackend {
    /// The served model name requests carry.
    pub fn served_model(&self) -> &str {
        &self.model
    }

    /// The configuration in use (endpoints normalised).
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    fn attempts<'a>(&'a self, what: &'a str) -> Attempts<'a> {
        Attempts::new(
            &self.pool,
            what,
            self.config.retries,
            self.config.backoff,
            self.config.max_backoff,
        )
        .on_refusal(self.config.key_fix())
    }

    /// One option request on the endpoint of `lease`: the answer's JSON.
    async fn option_attempt(
        &self,
        lease: &Lease,
        messages: &[ChatMessage],
        prefix: &str,
    ) -> Result<Value, AttemptError> {
        let top = self.config.top_logprobs;
        match self.config.continuation {
            Continuation::Completions => {
                let template = self.template.as_ref().ok_or_else(|| {
                    AttemptError::Fatal("no chat template for the completions route".into())
                })?;
                let prompt = template
                    .render(messages, true)
                    .map_err(AttemptError::Fatal)?
                    + prefix;
                let body = wire::option_completion_body(&self.model, &prompt, top);
                let url = format!("{}/completions", lease.url());
                self.http.post_json(&url, &body).await
            }
            continuation => {
                let body = wire::option_chat_body(&self.model, messages, prefix, top, continuation);
                let url = format!("{}/chat/completions", lease.url());
                self.http.post_json(&url, &body).await
            }
        }
    }
}

#[async_trait]
impl Backend for OpenAiBackend {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            id: self.model.clone(),
            path: None,
            sha256: None,
            server: Some(ServerInfo::of(&self.config)),
        }
    }

    async fn chat(
        &self,
        messages: &[ChatMessage],
        sampling: Sampling,
        stream: Option<TokenSink>,
        cancel: CancellationToken,
    ) -> Result<Generation, ModelError> {
        let started = Instant::now();
        let body = wire::chat_body(&self.model, messages, sampling);
        let mut attempts = self.attempts("the chat completion");
        let cancelled = |served_by: Option<String>| Generation {
            text: String::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            finish: FinishReason::Cancelled,
            seconds: started.elapsed().as_secs_f64(),
            served_by,
        };
        loop {
            let Some(lease) = attempts.next(Some(&cancel)).await? else {
                return Ok(cancelled(None));
            };
            // Forward pieces through a counter, to know whether a retry must say so.
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
            let url = format!("{}/chat/completions", lease.url());
            let attempt = self.http.stream_chat(&url, &body, Some(&tx), &cancel);
            tokio::pin!(attempt);
            let mut streamed = false;
            let result = loop {
                tokio::select! {
                    biased;
                    Some(piece) = rx.recv() => {
                        streamed = true;
                        if let Some(s) = &stream { let _ = s.send(piece); }
                    }
                    result = &mut attempt => break result,
                }
            };
            while let Ok(piece) = rx.try_recv() {
                streamed = true;
                if let Some(s) = &stream {
                    let _ = s.send(piece);
                }
            }
            match result {
                Ok(out) => {
                    let served_by = Some(lease.url().to_string());
                    if out.finish == FinishReason::Cancelled {
                        drop(lease);
                    } else {
                        lease.succeeded();
                    }
                    return Ok(Generation {
                        text: out.text,
                        prompt_tokens: out.prompt_tokens,
                        completion_tokens: out.completion_tokens,
                        finish: out.finish,
                        seconds: started.elapsed().as_secs_f64(),
                        served_by,
                    });
                }
                Err(error) => {
                    attempts.failed(lease, error)?;
                    if streamed {
                        if let Some(s) = &stream {
                            let _ = s.send(RESTART_NOTE.to_string());
                        }
                    }
                }
            }
        }
    }

    async fn option_probabilities(
        &self,
        messages: &[ChatMessage],
        assistant_prefix: &str,
        options: &[&str],
    ) -> Result<Vec<f64>, ModelError> {
        Ok(self
            .option_scores(messages, assistant_prefix, options)
            .await?
            .probabilities)
    }

    async fn option_scores(
        &self,
        messages: &[ChatMessage],
        assistant_prefix: &str,
        options: &[&str],
    ) -> Result<OptionScores, ModelError> {
        let mut attempts = self.attempts("the option probabilities request");
        loop {
            let Some(lease) = attempts.next(None).await? else {
                continue;
            };
            let read = match self
                .option_attempt(&lease, messages, assistant_prefix)
                .await
            {
                Ok(answer) => read_answer(&answer, options, &self.config),
                Err(e) => Err(e),
            };
            match read {
                Ok(reading) => {
                    let served_by = Some(lease.url().to_string());
                    lease.succeeded();
                    return Ok(OptionScores {
                        probabilities: reading.probabilities,
                        floored: reading.floored,
                        served_by,
                    });
                }
                Err(error) => attempts.failed(lease, error)?,
            }
        }
    }

    fn capacity(&self) -> Option<usize> {
        Some(self.pool.capacity())
    }

    fn endpoint_usage(&self) -> Vec<EndpointUsage> {
        self.pool.usage()
    }
}

/// The options' probabilities in an answer, or why it has none.
fn read_answer(
    answer: &Value,
    options: &[&str],
    config: &ServerConfig,
) -> Result<logprobs::OptionReading, AttemptError> {
    let top = wire::top_tokens(answer).ok_or_else(|| {
        AttemptError::Fatal(

            "the answer has no logprobs, which the comparisons need\n  fix: use a server that returns top_logprobs (vLLM, llama.cpp's llama-server), or run the comparisons with a local --feedback-model"
                .to_string(),
        )
    })?;
    logprobs::read_options(&top, options, config.logprob_base).map_err(AttemptError::Fatal)
}
