//! One HTTP attempt against one endpoint: a JSON GET or POST, or a streamed chat completion
//! read piece by piece. Every wait (the response head, each streamed piece, a whole JSON
//! answer) is bounded by the read timeout, so a server that hangs is an error, not a stall.
//! Retrying is the caller's business; this file only says what went wrong and whether trying
//! again can help ([`AttemptError`]).

use std::time::Duration;

use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::retry::{parse_retry_after, AttemptError};
use super::wire::{parse_chunk, SseEvents};
use crate::data::FinishReason;
use crate::model::{ModelError, TokenSink};

/// What a streamed chat attempt produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Streamed {
    pub text: String,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub finish: FinishReason,
}

/// An HTTP client with the key and timeouts of one server model.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    key: Option<String>,
    read_timeout: Duration,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Http")
            .field("has_key", &self.key.is_some())
            .field("read_timeout", &self.read_timeout)
            .finish()
    }
}

impl Http {
    pub fn new(
        key: Option<String>,
        connect_timeout: Duration,
        read_timeout: Duration,
    ) -> Result<Http, ModelError> {
        // A connection per request: servers close kept-alive connections on their own terms
        // (llama.cpp's after a few requests or 5 idle seconds), and a request sent on one the
        // server has just closed fails with "connection closed before message completed"
        // (measured: 4 to 6 of 60 requests). A connection costs far less than a generation.
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| ModelError::Backend(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Http {
            client,
            key,
            read_timeout,
        })
    }

    fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, url);
        match &self.key {
            Some(key) => builder.header(AUTHORIZATION, format!("Bearer {key}")),
            None => builder,
        }
    }

    /// `GET url`, answered with JSON.
    pub async fn get_json(&self, url: &str) -> Result<Value, AttemptError> {
        let request = self.request(reqwest::Method::GET, url);
        self.json_answer(request).await
    }

    /// `POST url` with a JSON body, answered with JSON.
    pub async fn post_json(&self, url: &str, body: &Value) -> Result<Value, AttemptError> {
        let request = self
            .request(reqwest::Method::POST, url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.json_answer(request).await
    }

    async fn json_answer(&self, request: reqwest::RequestBuilder) -> Result<Value, AttemptError> {
        let attempt = async {
            let response = request
                .send()
                .await
                .map_err(|e| AttemptError::from_reqwest(&e))?;
            let response = check_status(response).await?;
            let bytes = response
                .bytes()
                .await
                .map_err(|e| AttemptError::from_reqwest(&e))?;
            serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                let shown: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
                AttemptError::Fatal(format!("the answer is not JSON ({e}): {shown}"))
            })
        };
        tokio::time::timeout(self.read_timeout, attempt)
            .await
            .unwrap_or_else(|_| Err(self.timed_out("an answer")))
    }

    fn timed_out(&self, what: &str) -> AttemptError {
        AttemptError::retryable(format!(
            "no {what} within {:.0} s",
            self.read_timeout.as_secs_f64()
        ))
    }

    /// `POST url` with a streaming chat body; text pieces go to `sink` as they arrive. When
    /// `cancel` fires the connection is dropped (the server stops generating) and the text so
    /// far comes back with [`FinishReason::Cancelled`].
    pub async fn stream_chat(
        &self,
        url: &str,
        body: &Value,
        sink: Option<&TokenSink>,
        cancel: &CancellationToken,
    ) -> Result<Streamed, AttemptError> {
        let mut out = Streamed {
            text: String::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            finish: FinishReason::Stop,
        };
        let send = self
            .request(reqwest::Method::POST, url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send();
        let response = tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                out.finish = FinishReason::Cancelled;
                return Ok(out);
            }
            sent = tokio::time::timeout(self.read_timeout, send) => match sent {
                Err(_) => return Err(self.timed_out("response")),
                Ok(Err(e)) => return Err(AttemptError::from_reqwest(&e)),
                Ok(Ok(response)) => response,
            },
        };
        let mut response = check_status(response).await?;
        let mut events = SseEvents::default();
        let mut pieces = 0u32;
        let mut finished = false;
        loop {
            let chunk = tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    out.finish = FinishReason::Cancelled;
                    break;
                }
                chunk = tokio::time::timeout(self.read_timeout, response.chunk()) => chunk,
            };
            let datas = match chunk {
                Err(_) => return Err(self.timed_out("streamed text")),
                Ok(Err(e)) => return Err(AttemptError::from_reqwest(&e)),
                Ok(Ok(None)) => {
                    let last: Vec<String> = events.finish().into_iter().collect();
                    if last.is_empty() {
                        break;
                    }
                    last
                }
                Ok(Ok(Some(bytes))) => events.feed(&bytes),
            };
            for data in datas {
                if data == "[DONE]" {
                    finished = true;
                    continue;
                }
                let delta = parse_chunk(&data).map_err(AttemptError::retryable)?;
                if let Some(piece) = delta.text {
                    pieces += 1;
                    if let Some(sink) = sink {
                        let _ = sink.send(piece.clone());
                    }
                    out.text.push_str(&piece);
                }
                if let Some(finish) = delta.finish {
                    out.finish = finish;
                    finished = true;
                }
                if let Some((prompt, completion)) = delta.usage {
                    out.prompt_tokens = prompt;
                    out.completion_tokens = completion;
                }
            }
        }
        if out.finish != FinishReason::Cancelled && !finished {
            return Err(AttemptError::retryable(
                "the stream ended before the answer was complete",
            ));
        }
        if out.completion_tokens == 0 {
            out.completion_tokens = pieces;
        }
        Ok(out)
    }
}

/// The response if its status is a success, else the error it stands for.
async fn check_status(response: reqwest::Response) -> Result<reqwest::Response, AttemptError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let body = response.text().await.unwrap_or_default();
    Err(AttemptError::from_status(
        status.as_u16(),
        retry_after,
        &body,
    ))
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}
