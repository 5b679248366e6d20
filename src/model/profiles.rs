//! Named model choices: `cai.toml`, kept beside the constitutions, names profiles (a local GGUF,
//! or a model served by OpenAI-compatible servers), and what `--model NAME|PATH`,
//! `--feedback-model`, `--endpoint URL ...` resolve to ([`ModelPlan`]).
//!
//! ```toml
//! [defaults]
//! model = "cluster"            # policy (else the default model)
//! feedback_model = "cluster"   # feedback (else the policy model)
//!
//! [models.small]
//! path = "models/smollm2-135m.gguf"
//!
//! [models.cluster]
//! backend = "openai"
//! endpoints = ["http://gpu1:8000/v1", "http://gpu2:8000/v1"]
//! served_model = "meta-llama/Llama-3.1-8B-Instruct"   # else asked from GET /models
//! api_key_env = "VLLM_API_KEY"                         # the variable's name, never the key
//! max_in_flight = 16                                   # per endpoint
//! continuation = "continue-final-message"              # or assistant-prefill, completions
//! ```
//!
//! Relative paths in the file are relative to the file. Errors say file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::openai::{Continuation, ServerConfig, MAX_TIMEOUT_S};
use crate::data::{Diagnostic, LineIndex};

/// The file name looked for.
pub const CONFIG_FILE: &str = "cai.toml";

/// One model as chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelSpec {
    /// The default model, pulled on first use.
    Default,
    /// A local GGUF file, or a hub name `hf:OWNER/REPO/FILE.gguf`.
    Local(PathBuf),
    /// A model behind OpenAI-compatible servers.
    Server(ServerConfig),
}

impl ModelSpec {
    /// A short description for status lines and the model picker.
    pub fn describe(&self) -> String {
        match self {
            ModelSpec::Default => "the default model (in process)".to_string(),
            ModelSpec::Local(path) => format!("{} (in process)", path.display()),
            ModelSpec::Server(c) => format!(
                "{} on {}",
                c.served_model.as_deref().unwrap_or("the served model"),
                c.endpoints.join(", ")
            ),
        }
    }
}

/// The policy and feedback models of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelPlan {
    pub policy: ModelSpec,
    pub feedback: ModelSpec,
}

impl Default for ModelPlan {
    fn default() -> Self {
        ModelPlan {
            policy: ModelSpec::Default,
            feedback: ModelSpec::Default,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    defaults: Defaults,
    #[serde(default)]
    models: BTreeMap<String, toml::Spanned<ProfileToml>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Defaults {
    model: Option<String>,
    feedback_model: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileToml {
    backend: Option<String>,
    path: Option<PathBuf>,
    #[serde(default)]
    endpoints: Vec<String>,
    served_model: Option<String>,
    api_key_env: Option<String>,
    max_in_flight: Option<usize>,
    continuation: Option<String>,
    top_logprobs: Option<u32>,
    logprob_base: Option<f64>,
    chat_template: Option<PathBuf>,
    connect_timeout_s: Option<f64>,
    timeout_s: Option<f64>,
    retries: Option<u32>,
}

/// The profiles of a `cai.toml` (none if there is no file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profiles {
    /// The file they came from.
    pub file: Option<PathBuf>,
    /// The profiles by name.
    pub models: BTreeMap<String, ModelSpec>,
    pub default_model: Option<String>,
    pub default_feedback_model: Option<String>,
}

impl Profiles {
    /// Reads `explicit` if given (it must exist), else `cai.toml` in the working directory,
    /// else `cai.toml` beside `constitution`; no file means no profiles.
    pub fn find(explicit: Option<&Path>, constitution: Option<&Path>) -> Result<Profiles, String> {
        if let Some(path) = explicit {
            return Profiles::load(path);
        }
        let beside = constitution
            .and_then(Path::parent)
            .map(|dir| dir.join(CONFIG_FILE));
        for candidate in [Some(PathBuf::from(CONFIG_FILE)), beside]
            .into_iter()
            .flatten()
        {
            if candidate.is_file() {
                return Profiles::load(&candidate);
            }
        }
        Ok(Profiles::default())
    }

    /// Reads one config file; every problem as `file:line:column: [field] message`.
    pub fn load(path: &Path) -> Result<Profiles, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Profiles::parse(&text, path)
    }

    /// Parses the text of `path`.
    pub fn parse(text: &str, path: &Path) -> Result<Profiles, String> {
        let lines = LineIndex::new(text);
        let at = |offset: usize, field: Option<String>, message: String| {
            let (line, column) = lines.position(offset);
            Diagnostic {
                file: Some(path.to_path_buf()),
                line,
                column,
                field,
                message,
            }
            .to_string()
        };
        let config: ConfigFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            at(offset, None, e.message().trim().to_string())
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let mut models = BTreeMap::new();
        for (name, spanned) in &config.models {
            let field = Some(format!("models.{name}"));
            let spec = profile_spec(spanned.get_ref(), base)
                .map_err(|m| at(spanned.span().start, field.clone(), m))?;
            models.insert(name.clone(), spec);
        }
        for (key, wanted) in [
            ("defaults.model", &config.defaults.model),
            ("defaults.feedback_model", &config.defaults.feedback_model),
        ] {
            if let Some(name) = wanted {
                if !models.contains_key(name) {
                    let offset = text.find(&format!("\"{name}\"")).unwrap_or(0);
                    return Err(at(
                        offset,
                        Some(key.to_string()),
                        format!("no profile named {name:?} under [models]"),
                    ));
                }
            }
        }
        Ok(Profiles {
            file: Some(path.to_path_buf()),
            models,
            default_model: config.defaults.model,
            default_feedback_model: config.defaults.feedback_model,
        })
    }

    /// A profile by name, or else a path to a GGUF file (or a hub name).
    pub fn resolve(&self, name_or_path: &Path) -> ModelSpec {
        let by_name = name_or_path.to_str().and_then(|name| self.models.get(name));
        match by_name {
            Some(spec) => spec.clone(),
            None => ModelSpec::Local(name_or_path.to_path_buf()),
        }
    }
}

/// What the command line says about models (`--model`, `--feedback-model`, `--endpoint` and
/// the ad hoc server's settings).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelFlags {
    pub model: Option<PathBuf>,
    pub feedback_model: Option<PathBuf>,
    pub endpoints: Vec<String>,
    pub served_model: Option<String>,
    pub api_key_env: Option<String>,
    pub continuation: Option<Continuation>,
    pub max_in_flight: Option<usize>,
}

impl Profiles {
    /// The plan the flags ask for. `--endpoint` makes an ad hoc server model for policy and
    /// feedback; `--model` names a profile or a file; the feedback model follows the policy
    /// model unless `--feedback-model` names another. With no flags, the file's defaults, else
    /// the default model.
    pub fn plan(&self, flags: &ModelFlags) -> Result<ModelPlan, String> {
        let ad_hoc = if flags.endpoints.is_empty() {
            let server_only = [
                ("--served-model", flags.served_model.is_some()),
                ("--api-key-env", flags.api_key_env.is_some()),
                ("--continuation", flags.continuation.is_some()),
                ("--max-in-flight", flags.max_in_flight.is_some()),
            ];
            if let Some((flag, _)) = server_only.iter().find(|(_, given)| *given) {
                return Err(format!(
                    "{flag} sets up a server model and needs --endpoint URL (or put it in a profile in {CONFIG_FILE})"
                ));
            }
            None
        } else {
            let mut c = ServerConfig::new(flags.endpoints.clone());
            c.served_model = flags.served_model.clone();
            c.api_key_env = flags.api_key_env.clone();
            c.continuation = flags.continuation.unwrap_or(c.continuation);
            c.max_in_flight = flags.max_in_flight.unwrap_or(c.max_in_flight);
            Some(c.validated().map_err(|e| e.to_string())?)
        };
        let named = |name: &Option<String>| name.as_ref().and_then(|n| self.models.get(n)).cloned();
        let policy = match (&flags.model, ad_hoc) {
            (Some(_), Some(_)) => {
                return Err(format!(
                    "--model and --endpoint both choose the policy model; give one (a profile in {CONFIG_FILE} can hold endpoints), and --feedback-model for the other"
                ))
            }
            (Some(m), None) => self.resolve(m),
            (None, Some(server)) => ModelSpec::Server(server),
            (None, None) => named(&self.default_model).unwrap_or(ModelSpec::Default),
        };
        let cli_policy = flags.model.is_some() || !flags.endpoints.is_empty();
        let feedback = match &flags.feedback_model {
            Some(m) => self.resolve(m),
            None if cli_policy => policy.clone(),
            None => named(&self.default_feedback_model).unwrap_or_else(|| policy.clone()),
        };
        Ok(ModelPlan { policy, feedback })
    }
}

fn profile_spec(p: &ProfileToml, base: &Path) -> Result<ModelSpec, String> {
    let relative = |path: &PathBuf| {
        if path.is_relative() && !path.to_string_lossy().starts_with("hf:") {
            base.join(path)
        } else {
            path.clone()
        }
    };
    let backend = p.backend.as_deref().unwrap_or(if p.endpoints.is_empty() {
        "local"
    } else {
        "openai"
    });
    match backend {
        "local" => {
            if !p.endpoints.is_empty() {
                return Err("a local profile has no endpoints (set backend = \"openai\")".into());
            }
            let path = p.path.as_ref().ok_or(
                "a local profile needs path = \"FILE.gguf\" (or backend = \"openai\" with endpoints)",
            )?;
            Ok(ModelSpec::Local(relative(path)))
        }
        "openai" => {
            if p.path.is_some() {
                return Err("a server profile has no path (the servers hold the weights)".into());
            }
            let mut c = ServerConfig::new(p.endpoints.clone());
            c.served_model = p.served_model.clone();
            c.api_key_env = p.api_key_env.clone();
            c.max_in_flight = p.max_in_flight.unwrap_or(c.max_in_flight);
            if let Some(name) = &p.continuation {
                c.continuation = Continuation::parse(name).ok_or_else(|| {
                    format!("continuation {name:?} is not one of continue-final-message, assistant-prefill, completions")
                })?;
            }
            c.top_logprobs = p.top_logprobs.unwrap_or(c.top_logprobs);
            c.logprob_base = p.logprob_base.unwrap_or(c.logprob_base);
            c.chat_template = p.chat_template.as_ref().map(relative);
            let seconds = |s: Option<f64>, default: Duration, key: &str| {
                match s {
                None => Ok(default),
                Some(s) if s > 0.0 && s <= MAX_TIMEOUT_S => Duration::try_from_secs_f64(s)
                    .map_err(|e| format!("{key} = {s}: {e}")),
                Some(s) => Err(format!(
                    "{key} = {s} must be a number of seconds above 0 and at most {MAX_TIMEOUT_S} (a day)"
                )),
            }
            };
            c.connect_timeout =
                seconds(p.connect_timeout_s, c.connect_timeout, "connect_timeout_s")?;
            c.read_timeout = seconds(p.timeout_s, c.read_timeout, "timeout_s")?;
            c.retries = p.retries.unwrap_or(c.retries);
            let c = c.validated().map_err(|e| {
                let text = e.to_string();
                text.strip_prefix("model failed: ")
                    .unwrap_or(&text)
                    .to_string()
            })?;
            Ok(ModelSpec::Server(c))
        }
        other => Err(format!(
            "backend {other:?} is not one of \"local\", \"openai\""
        )),
    }
}

#[cfg(test)]
#[path = "profiles_tests.rs"]
mod tests;
