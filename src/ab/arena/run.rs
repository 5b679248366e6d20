//! Running an arena: each contestant's prompts into its own session, one contestant after
//! another on the same prompts with the same principle-drawing seed (contestants on one model
//! share its loaded engine, so the engine's random generator runs on from one to the next);
//! then the matches the plan picks, the feedback model's comparisons kept as full in flight as
//! its backend allows (every endpoint's limit on servers), each appended to `matches.jsonl`
//! as one fsynced line when it finishes. Running it again resumes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use futures::future::BoxFuture;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::load::{load_outcome, read_manifest, read_matches};
use super::plan::{next_matches, play_order, Played};
use super::scores::headline;
use super::{
    contestant_dir, ArenaManifest, ArenaOutcome, ContestantEntry, ARENA_FILE, MATCHES_FILE,
};
use crate::ab::head_to_head::compare;
use crate::ab::outcome::PromptSet;
use crate::ab::run::{unfinished, Contender, SessionRun};
use crate::data::{Prompt, RecordStatus};
use crate::fsutil::{append_json_line, create_json_file, sha256_hex};
use crate::model::profiles::ModelSpec;
use crate::model::{Backend, Models};
use crate::pipeline::judge::calibration_for;
use crate::pipeline::runner::default_in_flight;
use crate::session::Session;

/// The constitution of a contestant without one: no rounds, so its final answer is the
/// model's first answer, sampled with the same settings as the shipped constitutions. The
/// principle is there because a constitution needs one; it is never asked.
pub const PLAIN_CONSTITUTION: &str = r#"# No constitution: the model's plain answer (rounds = 0).
name = "none"
description = "The policy model's plain answer, with no critique or revision."

[settings]
rounds = 0
temperature = 0.7
top_p = 0.95
max_response_tokens = 160
seed = 42

[settings.repetition]
presence_penalty = 0.3
dry_multiplier = 0.8
dry_base = 1.75
dry_allowed_length = 2
stop_on_loop = true

[[principles]]
id = "unused"
critique = "(never asked: rounds = 0)"
revision = "(never asked: rounds = 0)"
"#;

/// The plain answer's constitution as a contender. It is read without the checks a user's
/// file gets, which ask for at least one round.
pub fn plain_contender() -> Contender {
    let constitution: crate::constitution::Constitution = toml::from_str(PLAIN_CONSTITUTION)
        .expect("the built-in plain constitution is well-formed TOML of a constitution");
    Contender {
        path: PathBuf::from("(none)"),
        text: PLAIN_CONSTITUTION.to_string(),
        constitution,
    }
}

/// One contestant: a policy model and a constitution.
#[derive(Debug, Clone)]
pub struct Contestant {
    pub name: String,
    pub model: ModelSpec,
    /// The model as the user named it.
    pub model_label: String,
    pub constitution: Contender,
    /// No constitution: the model's plain answer ([`PLAIN_CONSTITUTION`]).
    pub plain: bool,
}

/// What to run.
#[derive(Debug, Clone)]
pub struct ArenaPlan {
    pub dir: PathBuf,
    pub contestants: Vec<Contestant>,
    /// The feedback model that judges every match.
    pub feedback: ModelSpec,
    pub prompts_path: PathBuf,
    pub red_team: Vec<Prompt>,
    pub benign_path: Option<PathBuf>,
    pub benign: Vec<Prompt>,
    pub seed: u64,
    /// The most matches in all (default: every pair on every prompt).
    pub budget: Option<usize>,
}

/// Progress of an arena.
#[derive(Debug, Clone, PartialEq)]
pub enum ArenaEvent {
    /// A contestant starts `todo` prompts.
    ContestantStarted(String, usize),
    /// A contestant finished a prompt.
    Finished(String, String),
    /// The feedback model starts `todo` matches.
    MatchesStarted(usize),
    /// A match was played: done of todo.
    Played(usize, usize),
}

/// Loads a model (each model of the arena once).
pub type LoadBackend =
    dyn Fn(ModelSpec) -> BoxFuture<'static, Result<Arc<dyn Backend>, String>> + Send + Sync;

/// The models loaded so far, one engine per model.
struct Engines<'a> {
    load: &'a LoadBackend,
    loaded: Vec<(ModelSpec, Arc<dyn Backend>)>,
}

impl Engines<'_> {
    async fn get(&mut self, spec: &ModelSpec) -> anyhow::Result<Arc<dyn Backend>> {
        if let Some((_, b)) = self.loaded.iter().find(|(s, _)| s == spec) {
            return Ok(b.clone());
        }
        let backend = (self.load)(spec.clone())
            .await
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("loading {}", spec.describe()))?;
        self.loaded.push((spec.clone(), backend.clone()));
        Ok(backend)
    }
}

/// Runs (or resumes) the arena of `plan` and returns what it shows.
pub async fn run_arena(
    plan: &ArenaPlan,
    load: &LoadBackend,
    events: Option<UnboundedSender<ArenaEvent>>,
    cancel: CancellationToken,
) -> anyhow::Result<ArenaOutcome> {
    let manifest = arena_manifest(plan);
    prepare_dir(&plan.dir, &manifest)?;
    let emit = |e: ArenaEvent| {
        if let Some(tx) = &events {
            let _ = tx.send(e);
        }
    };
    let prompts: Vec<Prompt> = plan.red_team.iter().chain(&plan.benign).cloned().collect();
    let mut engines = Engines {
        load,
        loaded: Vec::new(),
    };
    for contestant in &plan.contestants {
        if cancel.is_cancelled() {
            bail!("the arena was cancelled; run it again to resume");
        }
        let dir = contestant_dir(&plan.dir, &contestant.name);
        let todo = unfinished(&dir, &prompts)?;
        if todo.is_empty() {
            continue;
        }
        let models = Models {
            policy: engines.get(&contestant.model).await?,
            feedback: engines.get(&plan.feedback).await?,
        };
        emit(ArenaEvent::ContestantStarted(
            contestant.name.clone(),
            todo.len(),
        ));
        let finished = |id: String| emit(ArenaEvent::Finished(contestant.name.clone(), id));
        SessionRun {
            dir: &dir,
            contender: &contestant.constitution,
            prompts_path: Some(&plan.prompts_path),
            seed: plan.seed,
            compare: false,
        }
        .run(todo, &models, &finished, &cancel)
        .await
        .with_context(|| format!("contestant {}", contestant.name))?;
    }
    play_matches(plan, &manifest, &mut engines, &emit, &cancel).await?;
    load_outcome(&plan.dir)
}

/// Plays the matches the plan picks and appends each to the log.
async fn play_matches(
    plan: &ArenaPlan,
    manifest: &ArenaManifest,
    engines: &mut Engines<'_>,
    emit: &(dyn Fn(ArenaEvent) + Sync),
    cancel: &CancellationToken,
) -> anyhow::Result<()> {
    // (benign, prompt) in play order.
    let order: Vec<(bool, &Prompt)> = play_order(plan.red_team.len(), plan.benign.len())
        .into_iter()
        .map(|(benign, n)| {
            let set = if benign { &plan.benign } else { &plan.red_team };
            (benign, &set[n])
        })
        .collect();
    // Each contestant's final answers, by prompt in play order.
    let mut finals: Vec<Vec<Option<String>>> = Vec::new();
    for c in &plan.contestants {
        let dir = contestant_dir(&plan.dir, &c.name);
        let session = Session::open_read_only(&dir).ok();
        finals.push(
            order
                .iter()
                .map(|(_, p)| {
                    let record = session.as_ref()?.state().get(&p.id)?;
                    (record.status == RecordStatus::Done)
                        .then(|| record.final_text().map(str::to_string))
                        .flatten()
                })
                .collect(),
        );
    }
    let log = plan.dir.join(MATCHES_FILE);
    let done = read_matches(&log)?;
    let played: Vec<Played> = done
        .iter()
        .filter_map(|m| {
            let prompt = order
                .iter()
                .position(|(_, p)| p.id == m.head_to_head.prompt_id)?;
            let set = PromptSet::of(m.head_to_head.benign);
            Some(Played {
                prompt,
                first: manifest.index_of(&m.contestants[0])?,
                second: manifest.index_of(&m.contestants[1])?,
                score_first: m.head_to_head.p_a(headline(set))?,
            })
        })
        .collect();
    let budget = plan
        .budget
        .map_or(usize::MAX, |b| b.saturating_sub(done.len()));
    let ready = |c: usize, p: usize| finals[c][p].is_some();
    let picks = next_matches(plan.contestants.len(), order.len(), &ready, &played, budget)?;
    if picks.is_empty() {
        return Ok(());
    }
    let feedback = engines.get(&plan.feedback).await?;
    let temperature = plan.contestants.iter().filter(|c| !c.plain).find_map(|c| {
        calibration_for(&c.constitution.constitution.settings.comparison, &*feedback)
    });
    let in_flight = default_in_flight(&[&*feedback]);
    let total = picks.len();
    emit(ArenaEvent::MatchesStarted(total));
    let mut results = futures::stream::iter(picks.into_iter().map(|pick| {
        let (benign, prompt) = order[pick.prompt];
        let (a, b) = (
            &plan.contestants[pick.first],
            &plan.contestants[pick.second],
        );
        let answers = (
            finals[pick.first][pick.prompt]
                .as_deref()
                .unwrap_or_default(),
            finals[pick.second][pick.prompt]
                .as_deref()
                .unwrap_or_default(),
        );
        let feedback = &*feedback;
        async move {
            if cancel.is_cancelled() {
                bail!("the arena was cancelled; run it again to resume");
            }
            let h = compare(
                feedback,
                (&prompt.id, &prompt.text),
                benign,
                answers,
                temperature,
            )
            .await
            .with_context(|| format!("comparing {} with {} on {}", a.name, b.name, prompt.id))?;
            Ok(super::ArenaMatch {
                contestants: [a.name.clone(), b.name.clone()],
                temperature,
                head_to_head: h,
            })
        }
    }))
    .buffer_unordered(in_flight)
    .into_stream();
    let mut played = 0;
    while let Some(m) = results.try_next().await? {
        append_json_line(&log, &m).with_context(|| format!("writing {}", log.display()))?;
        played += 1;
        emit(ArenaEvent::Played(played, total));
    }
    Ok(())
}

fn arena_manifest(plan: &ArenaPlan) -> ArenaManifest {
    ArenaManifest {
        created_at: chrono::Utc::now().to_rfc3339(),
        contestants: plan
            .contestants
            .iter()
            .map(|c| ContestantEntry {
                name: c.name.clone(),
                model: c.model_label.clone(),
                model_detail: c.model.describe(),
                constitution_path: (!c.plain).then(|| c.constitution.path.display().to_string()),
                constitution: c.constitution.constitution.name.clone(),
                sha256: sha256_hex(c.constitution.text.as_bytes()),
            })
            .collect(),
        feedback_model: plan.feedback.describe(),
        prompts_path: plan.prompts_path.display().to_string(),
        benign_path: plan.benign_path.as_ref().map(|p| p.display().to_string()),
        red_team: plan.red_team.iter().map(|p| p.id.clone()).collect(),
        benign: plan.benign.iter().map(|p| p.id.clone()).collect(),
        seed: plan.seed,
        program_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Makes the directory and writes `arena.json`, or checks that an existing one is this arena.
fn prepare_dir(dir: &Path, manifest: &ArenaManifest) -> anyhow::Result<()> {
    let path = dir.join(ARENA_FILE);
    if path.exists() {
        let old = read_manifest(dir)?;
        if !old.same_arena(manifest) {
            bail!(
                "{} holds another arena (other contestants, prompts, seed or feedback model)\n  fix: use a new --session directory",
                dir.display()
            );
        }
        return Ok(());
    }
    if dir.join(crate::ab::AB_FILE).exists() {
        bail!(
            "{} holds an A/B run of two constitutions, not an arena\n  fix: use a new --session directory",
            dir.display()
        );
    }
    create_json_file(dir, ARENA_FILE, manifest)
}
