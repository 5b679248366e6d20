//! What a server backend is configured with: the endpoints of one served model, how the
//! comparisons' assistant turn is continued, limits, timeouts and retries; and what of it is
//! recorded in manifests ([`ServerInfo`], which never holds the API key, only the name of the
//! environment variable it is read from).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::ModelError;

/// How an assistant turn that has begun with the answer prefix is continued, so that the
/// option tokens' logprobs can be read right after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Continuation {
    /// Chat completions with a final assistant message and `continue_final_message: true`,
    /// `add_generation_prompt: false` (vLLM, SGLang, llama.cpp's server).
    #[default]
    ContinueFinalMessage,
    /// Chat completions with a final assistant message and no extra fields: servers that
    /// prefill a trailing assistant message by default (llama.cpp's server).
    AssistantPrefill,
    /// `POST /completions` with the chat rendered by the model's chat template here (TGI,
    /// mistral.rs's server, any server with a completions route).
    Completions,
}

impl Continuation {
    /// The name used in `cai.toml` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Continuation::ContinueFinalMessage => "continue-final-message",
            Continuation::AssistantPrefill => "assistant-prefill",
            Continuation::Completions => "completions",
        }
    }

    /// Parses a name as written in `cai.toml` or on the command line.
    pub fn parse(name: &str) -> Option<Continuation> {
        [
            Continuation::ContinueFinalMessage,
            Continuation::AssistantPrefill,
            Continuation::Completions,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }
}

/// The most requests in flight one endpoint may be given.
pub const MAX_IN_FLIGHT: usize = 4096;

/// The longest timeout a server model may be given (a day).
pub const MAX_TIMEOUT_S: f64 = 86_400.0;

/// One served model behind one or more OpenAI-compatible endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Base URLs, each the server's `/v1` (e.g. `http://10.0.0.5:8000/v1`).
    pub endpoints: Vec<String>,
    /// The model name to send; asked from `GET {base}/models` when `None`.
    pub served_model: Option<String>,
    /// The environment variable holding the API key, if the servers want one.
    pub api_key_env: Option<String>,
    /// Requests in flight per endpoint, at most.
    pub max_in_flight: usize,
    pub continuation: Continuation,
    /// How many top logprobs to ask for (OpenAI and vLLM allow 20 by default).
    pub top_logprobs: u32,
    /// The base of the logprobs the servers return: e, or 10 for mistral.rs 0.8's server.
    pub logprob_base: f64,
    /// For [`Continuation::Completions`]: a chat template file (a Jinja file, or a
    /// `tokenizer_config.json` with a `chat_template`); else asked from the server's `/props`.
    pub chat_template: Option<std::path::PathBuf>,
    pub connect_timeout: Duration,
    /// Longest wait for a response head or for the next streamed piece.
    pub read_timeout: Duration,
    /// Attempts after the first, on connection errors, timeouts, 429 and 5xx.
    pub retries: u32,
    /// First backoff; it doubles per attempt (with full jitter) up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Consecutive failures after which an endpoint is set aside (a refused connection sets
    /// it aside at once).
    pub failures_to_set_aside: u32,
    /// How long an endpoint stays aside before it is probed again (doubling while it fails,
    /// up to 16 times this).
    pub probe_after: Duration,
}

impl ServerConfig {
    /// A configuration for `endpoints` with the defaults.
    pub fn new(endpoints: Vec<String>) -> ServerConfig {
        ServerConfig {
            endpoints,
            served_model: None,
            api_key_env: None,
            max_in_flight: 4,
            continuation: Continuation::default(),
            top_logprobs: 20,
            logprob_base: std::f64::consts::E,
            chat_template: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            retries: 4,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            failures_to_set_aside: 3,
            probe_after: Duration::from_secs(5),
        }
    }

    /// Checks the endpoints and limits, normalising each URL (no trailing slash).
    pub fn validated(mut self) -> Result<ServerConfig, ModelError> {
        if self.endpoints.is_empty() {
            return Err(ModelError::Backend(
                "a server model needs at least one endpoint\n  fix: give --endpoint URL (the server's /v1 base) or `endpoints = [...]` in cai.toml".into(),
            ));
        }
        for url in &mut self.endpoints {
            let trimmed = url.trim().trim_end_matches('/').to_string();
            let parsed = reqwest::Url::parse(&trimmed).map_err(|e| {
                ModelError::Backend(format!(
                    "endpoint {url:?} is not a URL ({e})\n  fix: write it as http://HOST:PORT/v1"
                ))
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ModelError::Backend(format!(
                    "endpoint {url:?} is not http or https\n  fix: write it as http://HOST:PORT/v1"
                )));
            }
            *url = trimmed;
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = self.endpoints.iter().find(|u| !seen.insert(u.as_str())) {
            return Err(ModelError::Backend(format!(
                "endpoint {dup} is listed twice"
            )));
        }
        if !(1..=MAX_IN_FLIGHT).contains(&self.max_in_flight) {
            return Err(ModelError::Backend(format!(
                "max_in_flight = {} is out of range (1 to {MAX_IN_FLIGHT})",
                self.max_in_flight
            )));
        }
        if !(1..=100).contains(&self.top_logprobs) {
            return Err(ModelError::Backend(format!(
                "top_logprobs = {} is out of range (1 to 100; most servers allow 20)",
                self.top_logprobs
            )));
        }
        if !(self.logprob_base > 1.0 && self.logprob_base.is_finite()) {
            return Err(ModelError::Backend(format!(
                "logprob_base = {} must be a number above 1 (e or 10)",
                self.logprob_base
            )));
        }
        Ok(self)
    }

    /// The API key from the environment, if a variable is named. A named variable that is
    /// unset or empty is an error, so a run never goes out unauthenticated by mistake.
    pub fn api_key(&self) -> Result<Option<String>, ModelError> {
        let Some(var) = &self.api_key_env else {
            return Ok(None);
        };
        match std::env::var(var) {
            Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_string())),
            _ => Err(ModelError::Backend(format!(
                "the API key variable {var} is not set\n  fix: export {var}=... before running, or drop api_key_env if the servers need no key"
            ))),
        }
    }
}

impl ServerConfig {
    /// What to do when a server refuses the key.
    pub fn key_fix(&self) -> String {
        match &self.api_key_env {
            Some(var) => format!("check the key in {var}"),
            None => {
                "name the variable holding the API key (api_key_env in cai.toml, or --api-key-env)"
                    .to_string()
            }
        }
    }
}

/// What a session manifest records about a server model: where it ran and how, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// Always `"openai"` (the OpenAI-compatible API).
    pub backend: String,
    pub endpoints: Vec<String>,
    /// How the comparisons' assistant turn was continued.
    pub continuation: Continuation,
    pub top_logprobs: u32,
    pub max_in_flight: usize,
    /// The name of the variable the key was read from (not the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
}

impl ServerInfo {
    /// The manifest entry of `config`.
    pub fn of(config: &ServerConfig) -> ServerInfo {
        ServerInfo {
            backend: "openai".to_string(),
            endpoints: config.endpoints.clone(),
            continuation: config.continuation,
            top_logprobs: config.top_logprobs,
            max_in_flight: config.max_in_flight,
            api_key_env: config.api_key_env.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_normalised_and_checked() {
        let c = ServerConfig::new(vec!["http://127.0.0.1:8080/v1/ ".into()])
            .validated()
            .unwrap();
        assert_eq!(c.endpoints, vec!["http://127.0.0.1:8080/v1"]);
        for bad in ["127.0.0.1:8080", "ftp://x/v1", "not a url"] {
            let e = ServerConfig::new(vec![bad.into()]).validated().unwrap_err();
            assert!(e.to_string().contains("fix:"), "{bad}: {e}");
        }
        assert!(ServerConfig::new(vec![]).validated().is_err());
        let twice = vec!["http://a:1/v1".to_string(), "http://a:1/v1/".to_string()];
        assert!(ServerConfig::new(twice).validated().is_err());
    }

    #[test]
    fn continuation_names_round_trip() {
        for c in [
            Continuation::ContinueFinalMessage,
            Continuation::AssistantPrefill,
            Continuation::Completions,
        ] {
            assert_eq!(Continuation::parse(c.name()), Some(c));
        }
        assert_eq!(Continuation::parse("guess"), None);
    }

    #[test]
    fn a_named_but_unset_key_variable_is_an_error() {
        let mut c = ServerConfig::new(vec!["http://a:1/v1".into()]);
        assert_eq!(c.api_key().unwrap(), None);
        c.api_key_env = Some("CAI_TEST_KEY_THAT_IS_NEVER_SET".into());
        let e = c.api_key().unwrap_err().to_string();
        assert!(e.contains("CAI_TEST_KEY_THAT_IS_NEVER_SET"), "{e}");
    }
}
