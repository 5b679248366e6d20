//! `cai ab --contestant NAME=MODEL[:CONSTITUTION.toml] ...`: an arena of two or more
//! contestants on the same prompts with the same seed, judged pairwise by the feedback model
//! (`--feedback-model`, `--endpoint` or the default model), rated by Bradley–Terry Elo. Prints
//! the table and writes it with the matrix of final answers to `DIR/arena.md`. Running it
//! again resumes. Bad input (a contestant written wrong, a missing model file, a broken
//! constitution) is reported before any model loads.

use std::path::Path;

use anyhow::{bail, Context};

use crate::ab::arena::markdown::to_markdown;
use crate::ab::arena::run::{
    plain_contender, run_arena, ArenaEvent, ArenaPlan, Contestant, LoadBackend,
};
use crate::ab::arena::spec::{check_field, parse_contestant, ContestantSpec, DEFAULT_MODEL};
use crate::cli::ab::{contender, prompt_sets};
use crate::cli::args::AbArgs;
use crate::cli::report::ReportFormat;
use crate::cli::BadInput;
use crate::fsutil::write_atomic;
use crate::model::loader::load_plan;
use crate::model::profiles::{ModelPlan, ModelSpec, Profiles};

/// File name of the Markdown an arena writes beside its sessions.
pub const ARENA_MARKDOWN: &str = "arena.md";

/// Runs an arena; returns what to print.
pub async fn arena(args: &AbArgs) -> anyhow::Result<String> {
    if args.models.model.is_some() {
        bail!(BadInput(
            "--model chooses one policy model, but in an arena each --contestant names its own \
             (NAME=MODEL[:CONSTITUTION.toml]); --feedback-model or --endpoint chooses the judge"
                .into()
        ));
    }
    let specs: Vec<ContestantSpec> = args
        .contestants
        .iter()
        .map(|text| parse_contestant(text))
        .collect::<Result<_, _>>()
        .map_err(BadInput)?;
    check_field(&specs).map_err(BadInput)?;
    let (profiles, plan) = crate::cli::models::plan(&args.models, None)?;
    let contestants = specs
        .iter()
        .map(|s| contestant(s, &profiles))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (red_team, benign) = prompt_sets(args)?;
    let seed = args.seed.unwrap_or_else(|| {
        contestants
            .iter()
            .find(|c| !c.plain)
            .unwrap_or(&contestants[0])
            .constitution
            .constitution
            .settings
            .seed
    });
    let plan = ArenaPlan {
        dir: args.session.clone(),
        contestants,
        feedback: plan.feedback,
        prompts_path: args.prompts.clone(),
        red_team,
        benign_path: args.benign.clone(),
        benign,
        seed,
        budget: args.budget,
    };
    let judge = plan.feedback.clone();
    let load: Box<LoadBackend> = Box::new(move |spec: ModelSpec| {
        // Only the judge's servers are checked for the option probabilities it needs.
        let comparisons = spec == judge;
        Box::pin(async move {
            let plan = ModelPlan {
                policy: spec.clone(),
                feedback: spec,
            };
            load_plan(&plan, comparisons, &|line| eprintln!("{line}"))
                .await
                .map(|models| models.policy)
                .map_err(|e| e.to_string())
        })
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        let (mut done, mut total) = (0usize, 0usize);
        while let Some(event) = rx.recv().await {
            match event {
                ArenaEvent::ContestantStarted(name, n) => {
                    (done, total) = (0, n);
                    eprintln!("{name}: {n} prompts");
                }
                ArenaEvent::Finished(name, id) => {
                    done += 1;
                    eprintln!("{name} {done}/{total}: {id}");
                }
                ArenaEvent::MatchesStarted(n) => eprintln!("matches: {n} to play"),
                ArenaEvent::Played(k, n) if k == n || k % 10 == 0 => {
                    eprintln!("matches {k}/{n}")
                }
                ArenaEvent::Played(..) => {}
            }
        }
    });
    let cancel =
        crate::cli::cancel_on_ctrl_c("finished prompts and matches are kept; run again to resume");
    let outcome = run_arena(&plan, load.as_ref(), Some(tx), cancel).await;
    let _ = printer.await;
    let outcome = outcome?;
    let md_path = plan.dir.join(ARENA_MARKDOWN);
    write_atomic(&md_path, to_markdown(&outcome, true).as_bytes())
        .with_context(|| format!("writing {}", md_path.display()))?;
    Ok(match args.format {
        ReportFormat::Md => format!(
            "{}\nThe final answers side by side: {}\n",
            to_markdown(&outcome, false),
            md_path.display()
        ),
        ReportFormat::Json => serde_json::to_string_pretty(&outcome)?,
    })
}

/// A contestant from its spec: the model resolved (`default`, a profile, a file that must
/// exist), the constitution read and checked, or the plain answer's.
fn contestant(spec: &ContestantSpec, profiles: &Profiles) -> anyhow::Result<Contestant> {
    let model = match profiles.resolve(Path::new(&spec.model)) {
        ModelSpec::Local(path) if spec.model == DEFAULT_MODEL && !path.exists() => {
            ModelSpec::Default
        }
        ModelSpec::Local(path) if !path.exists() && !path.to_string_lossy().starts_with("hf:") => {
            bail!(BadInput(format!(
                "contestant {}: no model file at {} (and no profile of that name in cai.toml)\n  \
                 fix: give `default`, a .gguf file that exists, hf:OWNER/REPO/FILE.gguf or a \
                 profile name",
                spec.name,
                path.display()
            )));
        }
        other => other,
    };
    let (constitution, plain) = match &spec.constitution {
        Some(path) => (contender(path)?, false),
        None => (plain_contender(), true),
    };
    Ok(Contestant {
        name: spec.name.clone(),
        model,
        model_label: spec.model.clone(),
        constitution,
        plain,
    })
}
