//! A/B runs from the workbench: `b` in the Insights view runs the constitution being edited
//! (A) against a file beside it (B) on the listed prompts (20 red-team, 10 benign: prompts of
//! category `benign`, or `assets/prompts/benign.jsonl`), into `sessions/ab-<time>`. Progress
//! comes back as [`AbUpdate`]s; the Insights view shows the result, and the latest A/B run is
//! read when the workbench opens. Both sides use the loaded model: unlike `cai ab`, which loads
//! a fresh one per side, the engine's random generator runs on from one side to the next.

use std::path::{Path, PathBuf};

use tokio_util::sync::CancellationToken;

use super::app::{App, ModelState};
use super::event::AppEvent;
use crate::ab::run::{run_ab, AbEvent, AbPlan, Contender, LoadModels};
use crate::ab::AbOutcome;
use crate::pipeline::Prompt;

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
    /// The run ended (or an earlier run was read), with its directory and outcome.
    Finished(Result<Box<(PathBuf, AbOutcome)>, String>),
}

impl App {
    /// Starts an A/B of the working constitution against the file `typed` names.
    pub(crate) fn start_ab(&mut self, typed: String) {
        if self.ab_run.is_some() {
            self.notice = "an A/B run is in progress; Esc in view 6 cancels it".into();
            return;
        }
        let ModelState::Ready(models) = &self.model else {
            self.notice = "model loading: start the A/B when it is ready".into();
            return;
        };
        let a = match self.views.constitution.valid_constitution() {
            Ok(constitution) => Contender {
                path: self.views.constitution.doc.path.clone(),
                text: self.views.constitution.text().to_string(),
                constitution,
            },
            Err(why) => return self.notice = why,
        };
        let base = super::app_commands::parent_or_here(&a.path);
        let b_path = match super::confine::confine(&base, &typed) {
            Ok(path) => path,
            Err(why) => return self.notice = format!("no A/B: {why}"),
        };
        let (benign, red_team): (Vec<Prompt>, Vec<Prompt>) = self
            .ws
            .prompts
            .iter()
            .map(|row| row.prompt.clone())
            .partition(|p| p.category.as_deref() == Some("benign"));
        let root = self
            .session
            .dir
            .as_deref()
            .and_then(Path::parent)
            .map_or_else(|| PathBuf::from("sessions"), Path::to_path_buf);
        let dir = root.join(format!("ab-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S")));
        let cancel = CancellationToken::new();
        self.ab_run = Some(cancel.clone());
        self.views.insights.ab_status = Some(format!("A/B starting in {}", dir.display()));
        self.notice = "A/B started".into();
        let (models, tx) = (models.clone(), self.tx.clone());
        tokio::spawn(async move {
            let result = async {
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
                let forward_tx = tx.clone();
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
            }
            .await;
            let _ = tx.send(AppEvent::Ab(AbUpdate::Finished(result)));
        });
    }

    /// Cancels the running A/B (finished prompts are kept and resumed by `cai ab`).
    pub(crate) fn cancel_ab(&mut self) {
        match &self.ab_run {
            Some(cancel) => {
                cancel.cancel();
                self.notice = "cancelling the A/B run".into();
            }
            None => self.notice = "no A/B run is running".into(),
        }
    }

    /// Folds an A/B update in.
    pub(crate) fn ab_update(&mut self, update: AbUpdate) {
        match update {
            AbUpdate::Progress(line) => self.views.insights.ab_status = Some(line),
            AbUpdate::Finished(result) => {
                self.ab_run = None;
                match result {
                    Ok(found) => {
                        let (dir, outcome) = *found;
                        self.views.insights.ab_status = None;
                        self.notice = format!("A/B read from {}", dir.display());
                        self.views.insights.ab = Some((dir, outcome));
                    }
                    Err(why) => {
                        self.notice = format!("A/B failed: {why}");
                        self.views.insights.ab_status = Some(format!("A/B failed: {why}"));
                    }
                }
            }
        }
    }
}

async fn read_contender(path: PathBuf) -> Result<Contender, String> {
    tokio::task::spawn_blocking(move || {
        let (constitution, text) =
            crate::cli::load_constitution(&path).map_err(|e| format!("{e:#}"))?;
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
            let _ = tx.send(AppEvent::Ab(AbUpdate::Finished(result)));
        }
    });
}
