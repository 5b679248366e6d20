//! The OpenAI-compatible wire format: request bodies, streamed chunks (server-sent events) and
//! the logprobs of a one-token answer, in the shapes the servers send them.

use serde::Deserialize;
use serde_json::{json, Value};

use super::config::Continuation;
use crate::data::FinishReason;
use crate::model::{ChatMessage, Role, Sampling};

fn role(r: Role) -> &'static str {
    match r {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
    }
}

fn messages_json(messages: &[ChatMessage]) -> Vec<Value> {
    messages
        .iter()
        .map(|m| json!({"role": role(m.role), "content": m.content}))
        .collect()
}

/// A streamed chat completion request.
pub fn chat_body(model: &str, messages: &[ChatMessage], sampling: Sampling) -> Value {
    let mut body = json!({
        "model": model,
        "messages": messages_json(messages),
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": sampling.max_tokens.max(1),
        "temperature": sampling.temperature.max(0.0),
        "top_p": if sampling.temperature <= 0.0 { 1.0 } else { sampling.top_p },
    });
    if let Some(seed) = sampling.seed {
        body["seed"] = json!(seed);
    }
    let p = sampling.penalties;
    if p.frequency != 0.0 {
        body["frequency_penalty"] = json!(p.frequency);
    }
    if p.presence != 0.0 {
        body["presence_penalty"] = json!(p.presence);
    }
    // DRY is not in the OpenAI API; llama.cpp's server reads these fields, others ignore them.
    if p.dry_multiplier > 0.0 {
        body["dry_multiplier"] = json!(p.dry_multiplier);
        body["dry_base"] = json!(p.dry_base);
        body["dry_allowed_length"] = json!(p.dry_allowed_length);
    }
    body
}

/// A one-token greedy chat request continuing an assistant turn that begins with `prefix`,
/// asking for the `top` most likely tokens.
pub fn option_chat_body(
    model: &str,
    messages: &[ChatMessage],
    prefix: &str,
    top: u32,
    continuation: Continuation,
) -> Value {
    let mut all = messages_json(messages);
    all.push(json!({"role": "assistant", "content": prefix}));
    let mut body = json!({
        "model": model,
        "messages": all,
        "max_tokens": 1,
        "temperature": 0.0,
        "logprobs": true,
        "top_logprobs": top,
        "stream": false,
    });
    if continuation == Continuation::ContinueFinalMessage {
        body["continue_final_message"] = json!(true);
        body["add_generation_prompt"] = json!(false);
    }
    body
}

/// A one-token greedy completions request on a prompt rendered here.
pub fn option_completion_body(model: &str, prompt: &str, top: u32) -> Value {
    json!({
        "model": model,
        "prompt": prompt,
        "max_tokens": 1,
        "temperature": 0.0,
        "logprobs": top,
        "stream": false,
    })
}

/// What one streamed event carries.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ChunkDelta {
    pub text: Option<String>,
    pub finish: Option<FinishReason>,
    /// (prompt tokens, completion tokens) when the server reports usage.
    pub usage: Option<(u32, u32)>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

/// Parses one `data:` payload of a chat stream; `Err` for an error event or bad JSON.
pub fn parse_chunk(data: &str) -> Result<ChunkDelta, String> {
    let chunk: Chunk =
        serde_json::from_str(data).map_err(|e| format!("unreadable stream event ({e}): {data}"))?;
    if let Some(error) = chunk.error {
        return Err(format!("the server reported an error mid-stream: {error}"));
    }
    let mut delta = ChunkDelta {
        usage: chunk.usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
        ..ChunkDelta::default()
    };
    if let Some(choice) = chunk.choices.into_iter().next() {
        delta.text = choice
            .delta
            .and_then(|d| d.content)
            .filter(|t| !t.is_empty());
        delta.finish = choice.finish_reason.map(|r| match r.as_str() {
            "length" => FinishReason::Length,
            _ => FinishReason::Stop,
        });
    }
    Ok(delta)
}

/// Splits a byte stream into the data of server-sent events, as the format defines them: an
/// event is the lines up to a blank line; its `data:` lines (one space after the colon
/// dropped) are joined with line breaks; comments (`:`) and other fields are skipped; lines
/// end with LF, CRLF or CR. Feed it chunks as they arrive; it keeps an unfinished line and
/// event for the next chunk, and [`SseEvents::finish`] gives an event the stream ended in.
#[derive(Debug, Default)]
pub struct SseEvents {
    pending: Vec<u8>,
    /// The data lines of the event being read.
    data: Option<String>,
    /// The last byte fed was a CR ending a line, so a following LF belongs to it.
    after_cr: bool,
}

impl SseEvents {
    /// The data of the events completed by `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut bytes = bytes;
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n' || b == b'\r') {
            let ending_len = match (self.pending[end], self.pending.get(end + 1)) {
                (b'\r', Some(b'\n')) => 2,
                (b'\r', None) => {
                    self.after_cr = true;
                    1
                }
                _ => 1,
            };
            let line: Vec<u8> = self.pending.drain(..end + ending_len).collect();
            let line = String::from_utf8_lossy(&line[..end]).into_owned();
            if let Some(event) = self.line(&line) {
                out.push(event);
            }
        }
        out
    }

    /// The event the stream ended in without its blank line, if any.
    pub fn finish(&mut self) -> Option<String> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            let line = String::from_utf8_lossy(&rest).into_owned();
            if let Some(event) = self.line(&line) {
                return Some(event);
            }
        }
        self.data.take()
    }

    /// Takes one line; returns an event's data when the line ends it.
    fn line(&mut self, line: &str) -> Option<String> {
        if line.is_empty() {
            return self.data.take();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            }
        }
        None
    }
}

/// One candidate token and its logprob, as a server listed it.
#[derive(Debug, Clone, PartialEq)]
pub struct TopToken {
    pub token: String,
    pub logprob: f64,
}

/// The top tokens of the first generated position of a non-streamed answer, from any of the
/// shapes servers use: chat (`logprobs.content[0].top_logprobs[]`), legacy completions
/// (`logprobs.top_logprobs[0]` as a map), or llama.cpp's completions (as chat). `None` when the
/// answer has no logprobs.
pub fn top_tokens(answer: &Value) -> Option<Vec<TopToken>> {
    let logprobs = answer.pointer("/choices/0/logprobs")?;
    if let Some(list) = logprobs.pointer("/content/0/top_logprobs") {
        let tokens: Vec<TopToken> = list
            .as_array()?
            .iter()
            .filter_map(|t| {
                Some(TopToken {
                    token: t.get("token")?.as_str()?.to_string(),
                    logprob: t.get("logprob")?.as_f64()?,
                })
            })
            .collect();
        return (!tokens.is_empty()).then_some(tokens);
    }
    let map = logprobs.pointer("/top_logprobs/0")?.as_object()?;
    let tokens: Vec<TopToken> = map
        .iter()
        .filter_map(|(token, lp)| {
            Some(TopToken {
                token: token.clone(),
                logprob: lp.as_f64()?,
            })
        })
        .collect();
    (!tokens.is_empty()).then_some(tokens)
}

/// The served model names of a `GET {base}/models` answer.
pub fn model_names(answer: &Value) -> Vec<String> {
    answer
        .get("data")
        .and_then(Value::as_array)
        .map(|models| {
            models
                .iter()
                .filter_map(|m| m.get("id").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
