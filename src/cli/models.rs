//! The model flags every command shares (`--model`, `--feedback-model`, `--endpoint` ...),
//! resolved against the profiles of `cai.toml` into a [`ModelPlan`], and loaded.

use std::path::Path;

use anyhow::anyhow;

use crate::cli::args::ModelArgs;
use crate::model::loader::{load_plan, LoadedModels, StatusFn};
use crate::model::openai::Continuation;
use crate::model::profiles::{ModelFlags, ModelPlan, Profiles};

/// The flags as the core reads them.
pub fn flags(args: &ModelArgs) -> anyhow::Result<ModelFlags> {
    let servers = &args.servers;
    let continuation = match &servers.continuation {
        Some(name) => Some(Continuation::parse(name).ok_or_else(|| {
            anyhow!("--continuation {name:?} is not one of continue-final-message, assistant-prefill, completions")
        })?),
        None => None,
    };
    Ok(ModelFlags {
        model: args.model.clone(),
        feedback_model: args.feedback_model.clone(),
        endpoints: servers.endpoints.clone(),
        served_model: servers.served_model.clone(),
        api_key_env: servers.api_key_env.clone(),
        continuation,
        max_in_flight: servers.max_in_flight,
    })
}

/// The profiles (`--config`, else `cai.toml` here or beside `constitution`) and the plan the
/// flags ask for.
pub fn plan(
    args: &ModelArgs,
    constitution: Option<&Path>,
) -> anyhow::Result<(Profiles, ModelPlan)> {
    let profiles =
        Profiles::find(args.servers.config.as_deref(), constitution).map_err(|e| anyhow!(e))?;
    let plan = profiles.plan(&flags(args)?).map_err(|e| anyhow!(e))?;
    Ok((profiles, plan))
}

/// Resolves and loads the models the flags ask for; `comparisons` checks the feedback model's
/// servers for what comparisons need.
pub async fn load(
    args: &ModelArgs,
    constitution: Option<&Path>,
    comparisons: bool,
    status: &StatusFn,
) -> anyhow::Result<LoadedModels> {
    let (_, plan) = plan(args, constitution)?;
    Ok(load_plan(&plan, comparisons, status).await?)
}
