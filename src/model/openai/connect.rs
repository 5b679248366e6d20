//! Before a run: reach the endpoints, learn the served model's name, find the chat template the
//! completions route needs, and, for a feedback model, check that the servers return what the
//! comparisons need (logprobs of an option letter right after the answer prefix), so that a
//! server that cannot gives a clear error before any prompt runs.

use std::sync::Arc;
use std::time::Duration;

use super::client::Http;
use super::config::{Continuation, ServerConfig};
use super::pool::{Pool, Prober};
use super::retry::AttemptError;
use super::template::ChatTemplate;
use super::{wire, OpenAiBackend};
use crate::model::loader::StatusFn;
use crate::model::{Backend, ChatMessage, ModelError};

/// Whether [`OpenAiBackend::connect`] checks the comparisons' needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckComparisons {
    Yes,
    No,
}

/// The question of the comparisons check: any model continues "The answer is: (" with a letter.
const CHECK_QUESTION: &str = "Which letter comes first in the alphabet?\n\nOptions:\n(A) A\n(B) B";

impl OpenAiBackend {
    /// Connects to the endpoints of `config`: every endpoint is asked `GET {base}/models`; one
    /// that does not answer starts set aside (and is probed later), none answering is an error.
    pub async fn connect(
        config: ServerConfig,
        check: CheckComparisons,
        status: &StatusFn,
    ) -> Result<OpenAiBackend, ModelError> {
        let config = config.validated()?;
        let key = config.api_key()?;
        let http = Http::new(key, config.connect_timeout, config.read_timeout)?;
        let probe_http = Http::new(
            config.api_key()?,
            config.connect_timeout,
            config.read_timeout.min(Duration::from_secs(5)),
        )?;
        let prober: Prober = Arc::new(move |url: String| {
            let http = probe_http.clone();
            Box::pin(async move { http.get_json(&format!("{url}/models")).await.is_ok() })
        });
        let pool = Pool::new(
            config.endpoints.clone(),
            config.max_in_flight,
            config.failures_to_set_aside,
            config.probe_after,
            Some(prober),
        );

        let mut names: Option<Vec<String>> = None;
        let mut down = Vec::new();
        for (index, url) in config.endpoints.iter().enumerate() {
            status(format!("connecting to {url}"));
            match http.get_json(&format!("{url}/models")).await {
                Ok(answer) => {
                    let listed = wire::model_names(&answer);
                    if let Some(wanted) = &config.served_model {
                        if !listed.is_empty() && !listed.contains(wanted) {
                            status(format!(
                                "{url} lists {listed:?}, not {wanted}; sending {wanted} anyway"
                            ));
                        }
                    }
                    names.get_or_insert(listed);
                }
                Err(AttemptError::Fatal(reason))
                    if reason.starts_with("HTTP 401") || reason.starts_with("HTTP 403") =>
                {
                    return Err(ModelError::Backend(format!(
                        "{url} refused the request ({reason})\n  fix: {}",
                        config.key_fix()
                    )));
                }
                Err(e) => {
                    status(format!(
                        "{url} does not answer ({}); set aside for now",
                        e.reason()
                    ));
                    down.push(format!("{url}: {}", e.reason()));
                    pool.mark_unreachable(index);
                }
            }
        }
        let Some(listed) = names else {
            return Err(ModelError::Backend(format!(
                "no endpoint answered GET /models: {}\n  fix: check that the servers run and that each URL is the server's /v1 base (http://HOST:PORT/v1)",
                down.join("; ")
            )));
        };
        let model = match (&config.served_model, listed.first()) {
            (Some(name), _) => name.clone(),
            (None, Some(first)) => first.clone(),
            (None, None) => {
                return Err(ModelError::Backend(
                    "the servers list no model in GET /models\n  fix: name it with --served-model or served_model in cai.toml".into(),
                ))
            }
        };
        let template = match config.continuation {
            Continuation::Completions => Some(find_template(&config, &http).await?),
            _ => None,
        };
        let backend = OpenAiBackend {
            config,
            model,
            http,
            pool,
            template,
        };
        if check == CheckComparisons::Yes {
            status(format!("checking that {} returns logprobs", backend.model));
            backend.check_comparisons().await?;
        }
        status(format!(
            "{} ready on {} endpoint(s)",
            backend.model,
            backend.config.endpoints.len()
        ));
        Ok(backend)
    }

    /// Asks one option question and fails with a fix when the answer cannot serve comparisons.
    pub async fn check_comparisons(&self) -> Result<(), ModelError> {
        let messages = [ChatMessage::user(CHECK_QUESTION)];
        let prefix = crate::model::ANSWER_PREFIX;
        match self.option_scores(&messages, prefix, &["A", "B"]).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let text = e.to_string();
                let hint = if text.contains("did not answer with an option") {
                    format!(
                        "the server did not continue the assistant turn after {prefix:?} (continuation = \"{}\")\n  fix: try continuation = \"assistant-prefill\" or \"completions\" for this server",
                        self.config.continuation.name()
                    )
                } else if text.contains("continue_final_message") {
                    "the server does not take continue_final_message\n  fix: set continuation = \"assistant-prefill\" or \"completions\"".to_string()
                } else {
                    String::new()
                };
                Err(ModelError::Backend(format!(
                    "the comparisons need option probabilities from {}, and checking them failed: {text}{}{hint}",
                    self.model,
                    if hint.is_empty() { "" } else { "\n  " }
                )))
            }
        }
    }
}

/// The chat template for the completions route: the profile's file, else the server's
/// `GET /props` (llama.cpp).
async fn find_template(config: &ServerConfig, http: &Http) -> Result<ChatTemplate, ModelError> {
    if let Some(path) = &config.chat_template {
        return ChatTemplate::from_file(path).map_err(ModelError::Backend);
    }
    for url in &config.endpoints {
        let origin = url.strip_suffix("/v1").unwrap_or(url);
        if let Ok(props) = http.get_json(&format!("{origin}/props")).await {
            if let Some(template) = ChatTemplate::from_props(&props) {
                return Ok(template);
            }
        }
    }
    Err(ModelError::Backend(
        "continuation = \"completions\" needs the model's chat template, and the servers do not report one\n  fix: set chat_template = \"PATH\" (a tokenizer_config.json or a Jinja file) in the profile".into(),
    ))
}
