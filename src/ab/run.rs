//! Running an A/B: side A's prompts into `DIR/a`, side B's into `DIR/b`, each side one prompt
//! at a time in the same order on a freshly loaded model (so both start from the engine's
//! seed), with the same principle-drawing seed; then the head-to-head of every prompt both
//! sides finished, appended to `head-to-head.jsonl` one fsynced line at a time. Running it
//! again resumes: finished prompts and comparisons are not redone.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use futures::future::BoxFuture;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio_util::sync::CancellationToken;

use super::head_to_head::{compare, HeadToHead};
use super::{outcome, AbManifest, AbOutcome, Side, AB_FILE, HEAD_TO_HEAD_FILE};
use crate::constitution::Constitution;
use crate::data::Prompt;
use crate::fsutil::{append_json_line, create_json_file, read_json_lines, sha256_hex};
use crate::insights::diff::diff;
use crate::model::Models;
use crate::pipeline::judge::calibration_for;
use crate::pipeline::runner::{default_in_flight, spawn_run, RunOptions};
use crate::pipeline::PipelineEvent;
use crate::session::{RunManifest, Session, SessionWriter, MANIFEST_FILE};

/// One constitution of an A/B run: its file, its text and what it parses to.
#[derive(Debug, Clone)]
pub struct Contender {
    pub path: PathBuf,
    pub text: String,
    pub constitution: Constitution,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct AbPlan {
    pub dir: PathBuf,
    /// A, then B.
    pub contenders: [Contender; 2],
    pub prompts_path: PathBuf,
    pub red_team: Vec<Prompt>,
    pub benign_path: Option<PathBuf>,
    pub benign: Vec<Prompt>,
    /// The principle-drawing seed of both sides.
    pub seed: u64,
    /// Also run each side's own AI-feedback comparisons.
    pub compare: bool,
}

/// Progress of an A/B run.
#[derive(Debug, Clone, PartialEq)]
pub enum AbEvent {
    /// A side starts `todo` prompts.
    SideStarted(Side, usize),
    /// A side finished a prompt.
    Finished(Side, String),
    /// The head-to-head starts `todo` prompts.
    HeadToHeadStarted(usize),
    /// One prompt was compared head to head.
    Compared(String),
}

/// Loads a fresh copy of the models, once per side.
pub type LoadModels = dyn Fn() -> BoxFuture<'static, Result<Models, String>> + Send + Sync;

/// Runs (or resumes) the A/B run of `plan` and returns what it shows.
pub async fn run_ab(
    plan: &AbPlan,
    load: &LoadModels,
    events: Option<UnboundedSender<AbEvent>>,
    cancel: CancellationToken,
) -> anyhow::Result<AbOutcome> {
    let manifest = ab_manifest(plan);
    prepare_dir(&plan.dir, &manifest)?;
    let emit = |e: AbEvent| {
        if let Some(tx) = &events {
            let _ = tx.send(e);
        }
    };
    let prompts: Vec<Prompt> = plan.red_team.iter().chain(&plan.benign).cloned().collect();
    let mut models = None;
    for (side, contender) in [Side::A, Side::B].into_iter().zip(&plan.contenders) {
        if cancel.is_cancelled() {
            bail!("the A/B run was cancelled; run it again to resume");
        }
        if let Some(loaded) =
            run_side(plan, side, contender, &prompts, load, &emit, &cancel).await?
        {
            models = Some(loaded);
        }
    }
    let (a, b) = (open(&plan.dir, Side::A)?, open(&plan.dir, Side::B)?);
    let log = plan.dir.join(HEAD_TO_HEAD_FILE);
    let mut done = read_head_to_head(&log)?;
    let todo: Vec<&Prompt> = prompts
        .iter()
        .filter(|p| !done.iter().any(|h| h.prompt_id == p.id))
        .filter(|p| final_of(&a, &p.id).is_some() && final_of(&b, &p.id).is_some())
        .collect();
    if !todo.is_empty() {
        emit(AbEvent::HeadToHeadStarted(todo.len()));
        let models = match models {
            Some(m) => m,
            None => load().await.map_err(anyhow::Error::msg)?,
        };
        for prompt in todo {
            if cancel.is_cancelled() {
                bail!("the A/B run was cancelled; run it again to resume");
            }
            let (fa, fb) = (final_of(&a, &prompt.id), final_of(&b, &prompt.id));
            let benign = plan.benign.iter().any(|p| p.id == prompt.id);
            // Side A's calibration of the feedback model, when it has one for this model.
            let temperature = calibration_for(
                &plan.contenders[0].constitution.settings.comparison,
                models.feedback.as_ref(),
            );
            let h = compare(
                models.feedback.as_ref(),
                (&prompt.id, &prompt.text),
                benign,
                (fa.unwrap_or_default(), fb.unwrap_or_default()),
                temperature,
            )
            .await?;
            append_line(&log, &h)?;
            emit(AbEvent::Compared(prompt.id.clone()));
            done.push(h);
        }
    }
    let [ca, cb] = &plan.contenders;
    let diff = Some(diff(&ca.constitution, &cb.constitution));
    Ok(outcome(&manifest, a.state(), b.state(), &done, diff))
}

/// The final answer of a done record of a side.
fn final_of<'s>(session: &'s Session, id: &str) -> Option<&'s str> {
    session
        .state()
        .get(id)
        .filter(|r| r.status == crate::data::RecordStatus::Done)
        .and_then(|r| r.final_text())
}

fn ab_manifest(plan: &AbPlan) -> AbManifest {
    let [a, b] = &plan.contenders;
    AbManifest {
        created_at: chrono::Utc::now().to_rfc3339(),
        constitutions: [a.path.display().to_string(), b.path.display().to_string()],
        names: [a.constitution.name.clone(), b.constitution.name.clone()],
        sha256: [sha256_hex(a.text.as_bytes()), sha256_hex(b.text.as_bytes())],
        prompts_path: plan.prompts_path.display().to_string(),
        benign_path: plan.benign_path.as_ref().map(|p| p.display().to_string()),
        red_team: plan.red_team.iter().map(|p| p.id.clone()).collect(),
        benign: plan.benign.iter().map(|p| p.id.clone()).collect(),
        seed: plan.seed,
        program_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Makes the directory and writes `ab.json`, or checks that an existing one is this run.
fn prepare_dir(dir: &Path, manifest: &AbManifest) -> anyhow::Result<()> {
    let path = dir.join(AB_FILE);
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let old: AbManifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not an A/B description", path.display()))?;
        let same = old.sha256 == manifest.sha256
            && old.red_team == manifest.red_team
            && old.benign == manifest.benign
            && old.seed == manifest.seed;
        if !same {
            bail!(
                "{} holds another A/B run (other constitutions, prompts or seed)\n  fix: use a new --session directory",
                dir.display()
            );
        }
        return Ok(());
    }
    create_json_file(dir, AB_FILE, manifest)
}

/// Runs the prompts a side has not finished; returns the models it loaded, if any.
async fn run_side(
    plan: &AbPlan,
    side: Side,
    contender: &Contender,
    prompts: &[Prompt],
    load: &LoadModels,
    emit: &(dyn Fn(AbEvent) + Sync),
    cancel: &CancellationToken,
) -> anyhow::Result<Option<Models>> {
    let dir = plan.dir.join(side.dir_name());
    let todo = unfinished(&dir, prompts)?;
    if todo.is_empty() {
        return Ok(None);
    }
    let models = load().await.map_err(anyhow::Error::msg)?;
    emit(AbEvent::SideStarted(side, todo.len()));
    let finished = |id: String| emit(AbEvent::Finished(side, id));
    let session = SessionRun {
        dir: &dir,
        contender,
        prompts_path: Some(&plan.prompts_path),
        seed: plan.seed,
        compare: plan.compare,
    };
    session
        .run(todo, &models, &finished, cancel)
        .await
        .with_context(|| format!("side {}", side.dir_name()))?;
    Ok(Some(models))
}

/// The prompts of `prompts` the session in `dir` has not finished (all of them when there is
/// no session yet).
pub(crate) fn unfinished(dir: &Path, prompts: &[Prompt]) -> anyhow::Result<Vec<Prompt>> {
    let finished = if dir.join(MANIFEST_FILE).exists() {
        Session::open_read_only(dir)
            .with_context(|| format!("opening {}", dir.display()))?
            .state()
            .finished_ids()
    } else {
        Default::default()
    };
    Ok(prompts
        .iter()
        .filter(|p| !finished.contains(&p.id))
        .cloned()
        .collect())
}

/// One constitution's prompts run into its own session: an A/B side or an arena contestant.
pub(crate) struct SessionRun<'a> {
    pub dir: &'a Path,
    pub contender: &'a Contender,
    /// The red-team prompt file, for the manifest.
    pub prompts_path: Option<&'a Path>,
    /// The principle-drawing seed, the same for every session of the run.
    pub seed: u64,
    /// Also run the constitution's own AI-feedback comparisons.
    pub compare: bool,
}

impl SessionRun<'_> {
    /// Runs `todo` on `models` (as many in flight as [`default_in_flight`] says), each record
    /// written to the session as it finishes; `finished` hears each prompt id.
    pub async fn run(
        &self,
        todo: Vec<Prompt>,
        models: &Models,
        finished: &(dyn Fn(String) + Sync),
        cancel: &CancellationToken,
    ) -> anyhow::Result<()> {
        let mut constitution = self.contender.constitution.clone();
        constitution.settings.seed = self.seed;
        let run = RunManifest {
            constitution: &constitution,
            constitution_text: &self.contender.text,
            constitution_path: Some(&self.contender.path),
            prompts_path: self.prompts_path,
            policy: models.policy.info(),
            feedback: models.feedback.info(),
        }
        .manifest(self.dir);
        let session = Session::open_for_run(self.dir, run)
            .with_context(|| format!("opening {}", self.dir.display()))?;
        let (tx, mut rx) = unbounded_channel();
        let opts = RunOptions {
            concurrency: default_in_flight(&[&*models.policy, &*models.feedback]),
            compare: self.compare,
            rounds: None,
        };
        let sink = Arc::new(SessionWriter::new(session));
        let handle = spawn_run(
            models.clone(),
            Arc::new(constitution),
            todo,
            opts,
            Some(sink),
            tx,
        );
        loop {
            tokio::select! {
                _ = cancel.cancelled() => handle.cancel_all(),
                event = rx.recv() => match event {
                    Some(PipelineEvent::Finished { record }) => finished(record.prompt.id.clone()),
                    Some(PipelineEvent::RunFinished { .. }) | None => break,
                    Some(_) => {}
                },
            }
        }
        let summary = handle.wait().await;
        if let Some(error) = summary.error {
            bail!("{error}");
        }
        Ok(())
    }
}

fn open(dir: &Path, side: Side) -> anyhow::Result<Session> {
    let dir = dir.join(side.dir_name());
    Session::open_read_only(&dir).with_context(|| format!("opening {}", dir.display()))
}

/// The head-to-head lines written so far (a torn last line is dropped, see
/// [`read_json_lines`]).
pub fn read_head_to_head(path: &Path) -> anyhow::Result<Vec<HeadToHead>> {
    read_json_lines(path).map_err(anyhow::Error::msg)
}

/// Appends one head-to-head line and makes it durable.
fn append_line(path: &Path, h: &HeadToHead) -> anyhow::Result<()> {
    append_json_line(path, h).with_context(|| format!("writing {}", path.display()))
}
