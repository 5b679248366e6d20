//! The real default model for the tests that run it: pulled on first use and loaded once per
//! test binary, on one shared runtime (mistral.rs's engine lives in it).

use std::sync::{Arc, LazyLock};

use cai_workbench::model::loader::{load_models, LoadedModels, ModelChoice};
use cai_workbench::model::Backend;
use tokio::sync::OnceCell;

pub static RUNTIME: LazyLock<tokio::runtime::Runtime> =
    LazyLock::new(|| tokio::runtime::Runtime::new().expect("runtime"));
static MODELS: OnceCell<LoadedModels> = OnceCell::const_new();

/// The default model, loaded on first call.
pub async fn models() -> &'static LoadedModels {
    MODELS
        .get_or_init(|| async {
            load_models(&ModelChoice::default(), &|line| eprintln!("{line}"))
                .await
                .expect("the default model loads")
        })
        .await
}

/// The policy model (loading it on first call).
pub fn policy() -> Arc<dyn Backend> {
    RUNTIME.block_on(async { models().await.policy.clone() })
}
