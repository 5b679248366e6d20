//! `cai` and `cai tui`: open the workbench on the default constitution, prompt set, model and
//! the last session (or a new one), loading the model in the background.

use std::path::PathBuf;

use crate::cli::args::{TuiArgs, DEFAULT_CONSTITUTION, DEFAULT_PROMPTS};
use crate::model::loader::load_plan;
use crate::session::list_sessions;
use crate::tui::TuiConfig;

/// Where sessions go when none is named.
pub const SESSIONS_ROOT: &str = "sessions";

/// Chooses the session: the one named, else the most recent under `sessions/`, else a new
/// timestamped one.
pub fn choose_session(named: Option<PathBuf>) -> PathBuf {
    if let Some(dir) = named {
        return dir;
    }
    let root = PathBuf::from(SESSIONS_ROOT);
    list_sessions(&root)
        .into_iter()
        .rfind(|s| s.error.is_none())
        .map(|s| s.dir)
        .unwrap_or_else(|| root.join(chrono::Local::now().format("%Y%m%d-%H%M%S").to_string()))
}

/// Opens the workbench; returns when the user quits.
pub async fn run(args: TuiArgs, log_path: Option<PathBuf>) -> anyhow::Result<()> {
    let mut config = TuiConfig {
        constitution_path: args
            .constitution
            .unwrap_or_else(|| DEFAULT_CONSTITUTION.into()),
        prompts_path: Some(args.prompts.unwrap_or_else(|| DEFAULT_PROMPTS.into())),
        session_dir: choose_session(args.session),
        log_path,
        model_choices: Vec::new(),
    };
    let (status_tx, status_rx) = tokio::sync::mpsc::unbounded_channel();
    let (profiles, plan) = crate::cli::models::plan(&args.models, Some(&config.constitution_path))?;
    config.model_choices = crate::model::choices::choices(&plan, &profiles);
    let models = Box::pin(async move {
        let status = move |line: String| {
            let _ = status_tx.send(line);
        };
        load_plan(&plan, true, &status).await
    });
    crate::tui::run(config, models, status_rx).await
}
