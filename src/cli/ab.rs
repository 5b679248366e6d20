//! `cai ab`: two constitutions (or two versions of one) on the same prompts with the same
//! seeds, each side on a freshly loaded model, then head to head; with `--contestant`, an
//! arena of two or more models and constitutions ([`crate::cli::arena`]). Prints the per-side rates,
//! the win rates and the constitution diff, and writes them with the matrix of final answers
//! to `DIR/ab.md`. Running it again resumes.

use std::path::Path;

use anyhow::{bail, Context};

use crate::ab::markdown::to_markdown;
use crate::ab::run::{run_ab, AbEvent, AbPlan, Contender, LoadModels};
use crate::cli::args::AbArgs;
use crate::cli::report::ReportFormat;
use crate::data::Prompt;
use crate::fsutil::write_atomic;
use crate::model::loader::load_plan;
use crate::prompts::load_prompts;

/// File name of the Markdown an A/B run writes beside its sessions.
pub const AB_MARKDOWN: &str = "ab.md";

/// Runs `cai ab`; returns what to print. Bad input is reported before any model loads.
pub async fn ab(args: &AbArgs) -> anyhow::Result<String> {
    if !args.contestants.is_empty() {
        return crate::cli::arena::arena(args).await;
    }
    let [a, b] = args.constitutions.as_slice() else {
        bail!(
            "cai ab takes exactly two constitutions (--constitution A.toml --constitution B.toml), got {}",
            args.constitutions.len()
        );
    };
    let contenders = [contender(a)?, contender(b)?];
    let (red_team, benign) = prompt_sets(args)?;
    let seed = args
        .seed
        .unwrap_or(contenders[0].constitution.settings.seed);
    let plan = AbPlan {
        dir: args.session.clone(),
        contenders,
        prompts_path: args.prompts.clone(),
        red_team,
        benign_path: args.benign.clone(),
        benign,
        seed,
        compare: args.compare,
    };
    // The same model flags as `cai run` (profiles of cai.toml, --endpoint for servers).
    let (_, models) = crate::cli::models::plan(&args.models, None)?;
    let compare = args.compare;
    let load: Box<LoadModels> = Box::new(move || {
        let models = models.clone();
        Box::pin(async move {
            load_plan(&models, compare, &|line| eprintln!("{line}"))
                .await
                .map_err(|e| e.to_string())
        })
    });
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        let (mut done, mut total) = (0usize, 0usize);
        while let Some(event) = rx.recv().await {
            match event {
                AbEvent::SideStarted(side, n) => {
                    (done, total) = (0, n);
                    eprintln!("side {}: {n} prompts", side.dir_name());
                }
                AbEvent::Finished(side, id) => {
                    done += 1;
                    eprintln!("side {} {done}/{total}: {id}", side.dir_name());
                }
                AbEvent::HeadToHeadStarted(n) => eprintln!("head to head: {n} prompts"),
                AbEvent::Compared(_) => {}
            }
        }
    });
    let cancel = crate::cli::cancel_on_ctrl_c("finished prompts are kept; run again to resume");
    let outcome = run_ab(&plan, load.as_ref(), Some(tx), cancel).await;
    let _ = printer.await;
    let outcome = outcome?;
    let full = to_markdown(&outcome, true);
    let md_path = plan.dir.join(AB_MARKDOWN);
    write_atomic(&md_path, full.as_bytes())
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

/// The red-team and benign prompts of `args`, cut to their limits; a prompt in both is an error.
pub(crate) fn prompt_sets(args: &AbArgs) -> anyhow::Result<(Vec<Prompt>, Vec<Prompt>)> {
    let mut red_team = load_prompts(&args.prompts).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(n) = args.limit {
        red_team.truncate(n);
    }
    let benign = match &args.benign {
        Some(path) => {
            let mut prompts = load_prompts(path).map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some(n) = args.benign_limit {
                prompts.truncate(n);
            }
            prompts
        }
        None => Vec::new(),
    };
    if let Some(p) = benign
        .iter()
        .find(|p| red_team.iter().any(|r| r.id == p.id))
    {
        bail!("prompt {} is in both the red-team and the benign set", p.id);
    }
    Ok((red_team, benign))
}

pub(crate) fn contender(path: &Path) -> anyhow::Result<Contender> {
    let (constitution, text) = crate::cli::load_constitution(path)?;
    Ok(Contender {
        path: path.to_path_buf(),
        text,
        constitution,
    })
}
