//! A/B runs from the workbench: `b` in the Insights view runs the constitution being edited
//! (A) against a file beside it (B) on the listed prompts (20 red-team, 10 benign: prompts of
//! category `benign`, or `assets/prompts/benign.jsonl`), into `sessions/ab-<time>`. Progress
//! comes back as [`AbUpdate`]s; the Insights view shows the result, and the latest A/B run is
//! read when the workbench opens. Both sides use the loaded model: unlike `cai ab`, which loads
//! a fresh one per side, the engine's random generator runs on from one side to the next.

use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use crate::ab::run::{run_ab, AbEvent, AbPlan, Contender, LoadModels};
use crate::ab::AbOutcome;
use crate::data::Prompt;
use crate::model::Models;
use crate::tui::event::AppEvent;
use crate::tui::task::spawn_reporting;

/// Red-team and benign prompts an A/B from the workbench runs at most.
const RED_TEAM_LIMIT: usize = 20;
const BENIGN_LIMIT: usize = 10;
/// Benign prompts used when none are listed.
const BENIGN_FILE: &str = "assets/prompts/benign.jsonl";

/// What an A/B run reports to the workbench.
#[derive(Debug)]
pub enum AbUpdate {
    /// A progress line.
    Progress(String),
    /// The run ended, with its directory and outcome.
    Finished(Result<Box<(PathBuf, AbOutcome)>, String>),
    /// The latest earlier A/B run, read when the workbench opened.
    Earlier(Result<Box<(PathBuf, AbOutcome)>, String>),
}

/// The A/B part's state: the run in progress, if one is.
#[derive(Default)]
pub struct AbPart {
    cancel: Option<CancellationToken>,
}

/// What an A/B from the workbench compares: side A, the constitution being edited, and the
/// file side B is read from.
pub struct AbRequest {
    pub a: Contender,
    /// Side B's file (already confined to the constitution's folder).
    pub b_path: PathBuf,
    /// The prompts listed in the workbench.
    pub prompts: Vec<Prompt>,
    /// Where sessions go (the A/B run goes to `ab-<time>` in it).
    pub root: PathBuf,
}

impl AbPart {
    /// Whether an A/B run is in progress.
    pub fn is_running(&self) -> bool {
        self.cancel.is_some()
    }

    /// Starts an A/B run of `request` on the loaded models; returns the status line and the
    /// status to show in the Insights view, or why it did not start.
    pub fn start(
        &mut self,
        request: AbRequest,
        models: Option<&Models>,
        tx: &tokio::sync::mpsc::UnboundedSender<AppEvent>,
    ) -> Result<String, String> {
        if self.cancel.is_some() {
            return Err("an A/B run is in progress; Esc in view 6 cancels it".into());
        }
        let Some(models) = models else {
            return Err("model loading: start the A/B when it is ready".into());
        };
        let AbRequest {
            a,
            b_path,
            prompts,
            root,
        } = request;
        let (benign, red_team): (Vec<Prompt>, Vec<Prompt>) = prompts
            .into_iter()
            .partition(|p| p.category.as_deref() == Some("benign"));
        let dir = root.join(format!("ab-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S")));
        let cancel = CancellationToken::new();
        self.cancel = Some(cancel.clone());
        let status = format!("A/B starting in {}", dir.display());
        let (models, forward_tx) = (models.clone(), tx.clone());
        let work = async move {
            let b = read_contender(b_path).await?;
            let benign = match benign.is_empty() {
                true => read_benign().await,
                false => benign,
            };
            let plan = AbPlan {
                dir: dir.clone(),
                seed: a.constitution.settings.seed,
                contenders: [a, b],
                prompts_path: PathBuf::from("(listed in the workbench)"),
                red_team: red_team.into_iter().take(RED_TEAM_LIMIT).collect(),
                benign_path: None,
                benign: benign.into_iter().take(BENIGN_LIMIT).collect(),
                compare: false,
            };
            let load: Box<LoadModels> = Box::new(move || {
                let models = models.clone();
                Box::pin(async move { Ok(models) })
            });
            let (progress, mut rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(async move {
                let mut done = 0;
                while let Some(event) = rx.recv().await {
                    let line = match event {
                        AbEvent::SideStarted(side, n) => {
                            done = 0;
                            format!("A/B side {}: {n} prompts", side.dir_name())
                        }
                        AbEvent::Finished(side, _) => {
                            done += 1;
                            format!("A/B side {}: {done} done", side.dir_name())
                        }
                        AbEvent::HeadToHeadStarted(n) => format!("A/B head to head: {n}"),
                        AbEvent::Compared(id) => format!("A/B compared {id}"),
                    };
                    let _ = forward_tx.send(AppEvent::Ab(AbUpdate::Progress(line)));
                }
            });
            run_ab(&plan, load.as_ref(), Some(progress), cancel)
                .await
                .map(|o| Box::new((dir, o)))
                .map_err(|e| format!("{e:#}"))
        };
        spawn_reporting(tx.clone(), "the A/B run", work, |result| {
            AppEvent::Ab(AbUpdate::Finished(result))
        });
        Ok(status)
    }

    /// Cancels the running A/B (finished prompts are kept and resumed by `cai ab`); returns
    /// the status line.
    pub fn cancel(&self) -> String {
        match &self.cancel {
            Some(cancel) => {
                cancel.cancel();
                "cancelling the A/B run".into()
            }
            None => "no A/B run is running".into(),
        }
    }

    /// An A/B run ended (or an earlier one was read).
    pub fn finished(&mut self) {
        self.cancel = None;
    }
}

async fn read_contender(path: PathBuf) -> Result<Contender, String> {
    tokio::task::spawn_blocking(move || {
        let (constitution, text) = crate::constitution::load_constitution(&path)
            .map_err(|diags| crate::data::diagnostic::lines(&diags))?;
        Ok(Contender {
            path,
            text,
            constitution,
        })
    })
    .await
    .map_err(|e| e.to_string())?
}

async fn read_benign() -> Vec<Prompt> {
    tokio::task::spawn_blocking(|| crate::prompts::load_prompts(Path::new(BENIGN_FILE)).ok())
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Reads the latest A/B run under `root` (off the UI thread) and sends it to the workbench.
pub fn spawn_load_latest(root: PathBuf, tx: tokio::sync::mpsc::UnboundedSender<AppEvent>) {
    tokio::task::spawn_blocking(move || {
        if let Some(dir) = crate::ab::load::latest(&root) {
            let result = crate::ab::load::load_outcome(&dir)
                .map(|o| Box::new((dir, o)))
                .map_err(|e| format!("{e:#}"));
            let _ = tx.send(AppEvent::Ab(AbUpdate::Earlier(result)));
        }
    });
}
