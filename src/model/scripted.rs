//! A scripted backend for unit tests of the pipeline and the views. Never what the product runs.
//!
//! Replies are chosen by rules: the first rule whose substring occurs in the last user message
//! wins, otherwise a default reply derived from the input is used. Replies stream word by word to
//! the [`TokenSink`] (one word is one token), honour `max_tokens` and cancellation (optionally with
//! a per-token delay so a test can cancel mid-generation), and every call is logged so tests can
//! inspect exactly which messages the pipeline sent. Option probabilities come from fixed values
//! or a function and are normalised like a real model's. Failures can be scripted too.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::{Backend, ChatMessage, Generation, ModelError, ModelInfo, Role, Sampling, TokenSink};
use crate::data::FinishReason;

/// Computes option probabilities from (messages, assistant prefix, options); the result is
/// normalised by the backend.
pub type ProbabilityFn = dyn Fn(&[ChatMessage], &str, &[&str]) -> Vec<f64> + Send + Sync;

/// Computes the default reply from the messages of a chat call.
pub type ReplyFn = dyn Fn(&[ChatMessage]) -> String + Send + Sync;

/// One chat call as the backend received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatCall {
    pub messages: Vec<ChatMessage>,
    pub sampling: Sampling,
}

/// One option-probability call as the backend received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbabilityCall {
    pub messages: Vec<ChatMessage>,
    pub assistant_prefix: String,
    pub options: Vec<String>,
}

/// A deterministic fake model. Build it with the `with_*` methods, share it in an `Arc`.
pub struct ScriptedBackend {
    rules: Vec<(String, String)>,
    default_reply: Box<ReplyFn>,
    token_delay: Option<Duration>,
    probabilities: Option<Box<ProbabilityFn>>,
    fail_when: Vec<String>,
    panic_when: Vec<String>,
    id: String,
    chat_log: Mutex<Vec<ChatCall>>,
    probability_log: Mutex<Vec<ProbabilityCall>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Default for ScriptedBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl ScriptedBackend {
    /// A backend with no rules: every reply is [`echo_reply`], probabilities are uniform.
    pub fn new() -> Self {
        ScriptedBackend {
            rules: Vec::new(),
            default_reply: Box::new(|messages: &[ChatMessage]| echo_reply(messages)),
            token_delay: None,
            probabilities: None,
            fail_when: Vec::new(),
            panic_when: Vec::new(),
            id: "scripted".to_string(),
            chat_log: Mutex::new(Vec::new()),
            probability_log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        }
    }

    /// Replies `reply` when the last user message contains `needle`. Rules are tried in the
    /// order they were added.
    pub fn with_rule(mut self, needle: impl Into<String>, reply: impl Into<String>) -> Self {
        self.rules.push((needle.into(), reply.into()));
        self
    }

    /// Replaces the default reply used when no rule matches.
    pub fn with_default_reply(
        mut self,
        reply: impl Fn(&[ChatMessage]) -> String + Send + Sync + 'static,
    ) -> Self {
        self.default_reply = Box::new(reply);
        self
    }

    /// Waits this long before each streamed token, so tests can cancel mid-generation.
    pub fn with_token_delay(mut self, delay: Duration) -> Self {
        self.token_delay = Some(delay);
        self
    }

    /// Option probabilities are always these values (normalised).
    pub fn with_fixed_probabilities(self, values: Vec<f64>) -> Self {
        self.with_probabilities(move |_, _, _| values.clone())
    }

    /// Option probabilities come from this function (its output is normalised).
    pub fn with_probabilities(
        mut self,
        f: impl Fn(&[ChatMessage], &str, &[&str]) -> Vec<f64> + Send + Sync + 'static,
    ) -> Self {
        self.probabilities = Some(Box::new(f));
        self
    }

    /// Any call whose last user message contains `needle` fails with [`ModelError::Backend`].
    pub fn failing_when(mut self, needle: impl Into<String>) -> Self {
        self.fail_when.push(needle.into());
        self
    }

    /// Any chat call whose last user message contains `needle` panics (for tests of what
    /// the callers do with a task that panics).
    pub fn panicking_when(mut self, needle: impl Into<String>) -> Self {
        self.panic_when.push(needle.into());
        self
    }

    /// The model id it reports (`scripted` by default).
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Number of chat calls received so far.
    pub fn chat_calls(&self) -> usize {
        lock(&self.chat_log).len()
    }

    /// Number of option-probability calls received so far.
    pub fn probability_calls(&self) -> usize {
        lock(&self.probability_log).len()
    }

    /// Every chat call received, in arrival order.
    pub fn chat_log(&self) -> Vec<ChatCall> {
        lock(&self.chat_log).clone()
    }

    /// Every option-probability call received, in arrival order.
    pub fn probability_log(&self) -> Vec<ProbabilityCall> {
        lock(&self.probability_log).clone()
    }

    /// The largest number of calls (of either kind) that were running at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// The reply the rules give for these messages.
    pub fn reply_for(&self, messages: &[ChatMessage]) -> String {
        let last = last_user_message(messages);
        self.rules
            .iter()
            .find(|(needle, _)| last.contains(needle.as_str()))
            .map(|(_, reply)| reply.clone())
            .unwrap_or_else(|| (self.default_reply)(messages))
    }

    fn check_failure(&self, messages: &[ChatMessage]) -> Result<(), ModelError> {
        let last = last_user_message(messages);
        match self.fail_when.iter().find(|n| last.contains(n.as_str())) {
            Some(needle) => Err(ModelError::Backend(format!(
                "scripted failure: the last user message contains {needle:?}"
            ))),
            None => Ok(()),
        }
    }

    fn enter(&self) -> InFlightGuard<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlightGuard(&self.in_flight)
    }
}

/// Decrements the in-flight counter when a call ends, however it ends.
struct InFlightGuard<'a>(&'a AtomicUsize);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Locks a log, recovering it if a panicking test thread poisoned it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The content of the last user message, or "" if there is none.
pub fn last_user_message(messages: &[ChatMessage]) -> &str {
    messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.content.as_str())
        .unwrap_or("")
}

/// The default reply: "Reply to: " and the first twelve words of the last user message.
pub fn echo_reply(messages: &[ChatMessage]) -> String {
    let words: Vec<&str> = last_user_message(messages)
        .split_whitespace()
        .take(12)
        .collect();
    format!("Reply to: {}", words.join(" "))
}

/// Splits a reply into word tokens, each but the first carrying its leading space.
fn word_tokens(text: &str) -> Vec<String> {
    text.split_whitespace()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                w.to_string()
            } else {
                format!(" {w}")
            }
        })
        .collect()
}

fn count_words(messages: &[ChatMessage]) -> u32 {
    let n: usize = messages
        .iter()
        .map(|m| m.content.split_whitespace().count())
        .sum();
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[async_trait]
impl Backend for ScriptedBackend {
    fn info(&self) -> ModelInfo {
        ModelInfo {
            id: self.id.clone(),
            path: None,
            sha256: None,
            server: None,
        }
    }

    async fn chat(
        &self,
        messages: &[ChatMessage],
        sampling: Sampling,
        stream: Option<TokenSink>,
        cancel: CancellationToken,
    ) -> Result<Generation, ModelError> {
        let _guard = self.enter();
        let started = Instant::now();
        lock(&self.chat_log).push(ChatCall {
            messages: messages.to_vec(),
            sampling,
        });
        let last_user = last_user_message(messages);
        if self
            .panic_when
            .iter()
            .any(|n| last_user.contains(n.as_str()))
        {
            panic!("scripted panic on {last_user:?}");
        }
        self.check_failure(messages)?;
        let reply = self.reply_for(messages);
        let mut text = String::new();
        let mut produced = 0u32;
        let mut finish = FinishReason::Stop;
        for token in word_tokens(&reply) {
            if produced >= sampling.max_tokens {
                finish = FinishReason::Length;
                break;
            }
            if let Some(delay) = self.token_delay {
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = cancel.cancelled() => {}
                }
            } else {
                tokio::task::yield_now().await;
            }
            if cancel.is_cancelled() {
                finish = FinishReason::Cancelled;
                break;
            }
            if let Some(sink) = &stream {
                let _ = sink.send(token.clone());
            }
            text.push_str(&token);
            produced += 1;
        }
        Ok(Generation {
            text,
            prompt_tokens: count_words(messages),
            completion_tokens: produced,
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
        let _guard = self.enter();
        lock(&self.probability_log).push(ProbabilityCall {
            messages: messages.to_vec(),
            assistant_prefix: assistant_prefix.to_string(),
            options: options.iter().map(|o| o.to_string()).collect(),
        });
        self.check_failure(messages)?;
        tokio::task::yield_now().await;
        if options.is_empty() {
            return Err(ModelError::Backend("no options to score".to_string()));
        }
        let raw = match &self.probabilities {
            Some(f) => f(messages, assistant_prefix, options),
            None => vec![1.0; options.len()],
        };
        normalise(&raw, options.len())
    }
}

/// Normalises scores so they sum to 1; errors on a wrong count or non-positive total.
fn normalise(raw: &[f64], expected: usize) -> Result<Vec<f64>, ModelError> {
    if raw.len() != expected {
        return Err(ModelError::Backend(format!(
            "scripted probabilities: {} values for {expected} options",
            raw.len()
        )));
    }
    let total: f64 = raw.iter().map(|v| v.max(0.0)).sum();
    if !total.is_finite() || total <= 0.0 {
        return Err(ModelError::Backend(format!(
            "scripted probabilities {raw:?} do not have a positive finite sum"
        )));
    }
    Ok(raw.iter().map(|v| v.max(0.0) / total).collect())
}

/// Convenience: an `Arc<dyn Backend>` of a scripted backend and the concrete handle for checks.
pub fn shared(backend: ScriptedBackend) -> (Arc<ScriptedBackend>, Arc<dyn Backend>) {
    let concrete = Arc::new(backend);
    let dynamic: Arc<dyn Backend> = concrete.clone();
    (concrete, dynamic)
}

#[cfg(test)]
mod tests;
