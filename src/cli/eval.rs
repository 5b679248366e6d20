//! `cai eval`: the feedback model asked known-answer questions in several configurations, the
//! tables printed and written (`report.md`, `report.json`) into the eval's directory; with
//! `--fit`, a calibration temperature fitted on one half, reported on the other and written
//! into the constitution. Bad input (a broken line of a set, an unknown configuration) is
//! reported before any model loads; running it again resumes.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context};

use crate::cli::args::EvalArgs;
use crate::cli::report::ReportFormat;
use crate::eval::dir::{layout_name, SetEntry};
use crate::eval::fit::{fit_temperature, with_calibration, FitReport};
use crate::eval::markdown::markdown;
use crate::eval::run::{manifest, EvalEvent};
use crate::eval::sets::load_set;
use crate::eval::{parse_configs, report, run_eval, EvalPlan};
use crate::fsutil::{sha256_hex, write_atomic};
use crate::model::loader::load_plan;
use crate::model::profiles::ModelPlan;

/// Runs `cai eval`; returns what to print.
pub async fn eval(args: &EvalArgs) -> anyhow::Result<String> {
    let (constitution, text) = crate::cli::load_constitution(&args.constitution)?;
    let configs = parse_configs(&args.configs, &constitution).map_err(crate::cli::BadInput)?;
    let mut sets = Vec::new();
    for path in &args.sets {
        let (layout, mut items) =
            load_set(path).map_err(|e| crate::cli::BadInput(e.to_string()))?;
        if let Some(n) = args.limit {
            items.truncate(n);
        }
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let entry = SetEntry {
            name: items.first().map_or_else(String::new, |k| k.set.clone()),
            path: path.display().to_string(),
            sha256: sha256_hex(&bytes),
            questions: items.len(),
            layout: layout_name(layout).into(),
        };
        sets.push((entry, items));
    }
    for dir in &args.sessions {
        let (entry, items) =
            crate::eval::human::session_set(dir, args.limit).map_err(crate::cli::BadInput)?;
        sets.push((entry, items));
    }
    if sets.iter().all(|(_, items)| items.is_empty()) {
        bail!(crate::cli::BadInput(
            "no questions to ask: the sets are empty".into()
        ));
    }
    let fit_config = match &args.fit {
        None => None,
        Some(name) if name.is_empty() => Some(configs[0].clone()),
        Some(name) => Some(
            configs
                .iter()
                .find(|c| &c.name == name)
                .cloned()
                .ok_or_else(|| {
                    crate::cli::BadInput(format!(
                        "--fit {name}: not one of the configurations run ({})",
                        configs
                            .iter()
                            .map(|c| c.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })?,
        ),
    };

    // Only the feedback model is needed.
    let (_, models) = crate::cli::models::plan(&args.models, Some(&args.constitution))?;
    let judge_only = ModelPlan {
        policy: models.feedback.clone(),
        feedback: models.feedback.clone(),
    };
    let loaded = load_plan(&judge_only, true, &|line| eprintln!("{line}")).await?;
    let feedback: Arc<dyn crate::model::Backend> = loaded.feedback.clone();
    let in_flight = args
        .in_flight
        .unwrap_or_else(|| crate::pipeline::runner::default_in_flight(&[&*feedback]))
        .clamp(1, crate::pipeline::runner::MAX_CONCURRENCY);
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("sessions").join(format!(
            "eval-{}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ))
    });
    let plan = EvalPlan {
        dir: dir.clone(),
        sets,
        constitution,
        constitution_text: text.clone(),
        configs,
        as_written: args.as_written,
        in_flight,
    };

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let started = Instant::now();
    let printer = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            match event {
                EvalEvent::Started { todo, done } => {
                    eprintln!("eval: {todo} questions to ask ({done} already answered)")
                }
                EvalEvent::Asked { done, todo } => {
                    if done % 25 == 0 || done == todo {
                        let s = started.elapsed().as_secs_f64();
                        eprintln!(
                            "eval: {done}/{todo} asked, {s:.0} s ({:.2} s each)",
                            s / done as f64
                        );
                    }
                }
            }
        }
    });
    let cancel = crate::cli::cancel_on_ctrl_c("answers so far are kept; run again to resume");
    let answers = run_eval(&plan, feedback.clone(), Some(tx), cancel).await;
    let _ = printer.await;
    let answers = answers?;
    let seconds = started.elapsed().as_secs_f64();

    let report = report(&plan, &answers, None);
    let fit: Option<FitReport> = match &fit_config {
        Some(config) => Some(
            fit_temperature(&plan, &answers, config, args.fit_seed).map_err(anyhow::Error::msg)?,
        ),
        None => None,
    };
    let manifest = manifest(&plan, feedback.info());
    let md = markdown(&manifest, &report, fit.as_ref());
    write_atomic(&dir.join("report.md"), md.as_bytes())
        .with_context(|| format!("writing {}", dir.join("report.md").display()))?;
    let saved = crate::eval::SavedEval {
        eval: manifest,
        report,
        fit,
        seconds,
    };
    let json = serde_json::to_string_pretty(&saved)?;
    let report_path = dir.join(crate::eval::REPORT_FILE);
    write_atomic(&report_path, json.as_bytes())
        .with_context(|| format!("writing {}", report_path.display()))?;
    let fit = saved.fit.as_ref();

    let mut wrote = String::new();
    if let (Some(fit), false) = (fit, args.dry_run) {
        let set = plan
            .sets
            .iter()
            .map(|(e, _)| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let calibration =
            fit.calibration(crate::pipeline::judge::model_key(&feedback.info()), &set);
        let updated = with_calibration(&text, &calibration).map_err(anyhow::Error::msg)?;
        crate::constitution::parse_constitution(&updated, Some(&args.constitution))
            .map_err(|d| anyhow::anyhow!(crate::data::diagnostic::lines(&d)))?;
        write_atomic(&args.constitution, updated.as_bytes())
            .with_context(|| format!("writing {}", args.constitution.display()))?;
        wrote = format!(
            "wrote temperature {:.4} into {} [settings.comparison.calibration]\n",
            fit.fit.t,
            args.constitution.display()
        );
    }
    Ok(match args.format {
        ReportFormat::Md => format!(
            "{md}{wrote}Asked in {seconds:.1} s ({} in flight); the eval is in {}\n",
            plan.in_flight,
            dir.display()
        ),
        ReportFormat::Json => format!("{json}\n"),
    })
}
