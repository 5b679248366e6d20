//! The export's dataset card, `README.md`: the `configs:` metadata the Hugging Face hub (and
//! `datasets.load_dataset(DIR, NAME)`) reads, so that each file loads by configuration name
//! (`sft`, `preferences`), and what a reader of the data wants to know: how it was made
//! (constitution, models, settings, seed), how much of it there is, what was left out, and
//! the commands that load it and train on it.

use std::fmt::Write as _;

use crate::constitution::Constitution;
use crate::model::ModelInfo;

use super::manifest::ExportManifest;
use super::recipes::{self, DPO_RECIPE, SFT_RECIPE, TRL_VERSION};
use super::{PREFERENCES_FILE, SFT_FILE};

/// File name of the dataset card.
pub const CARD_FILE: &str = "README.md";

/// The configuration name of each data file, in card order.
pub const CONFIGS: &[(&str, &str)] = &[("sft", SFT_FILE), ("preferences", PREFERENCES_FILE)];

/// The dataset card of an export into the directory named `dir_name`, described by `manifest`
/// (whose `files` are the data files written), made with `constitution` (the session's
/// snapshot, when it parses). `notes` are said under "Left out" (e.g. why a file was not
/// written).
pub fn dataset_card(
    manifest: &ExportManifest,
    dir_name: &str,
    constitution: Option<&Constitution>,
    notes: &[String],
    judge: Option<&JudgeMeasured>,
) -> String {
    let mut out = String::new();
    front_matter(&mut out, manifest);
    let _ = writeln!(out, "# {}\n", manifest.session);
    let _ = writeln!(
        out,
        "Constitutional AI training data made with cai-workbench {} from the session `{}` \
         (created {}, exported {}). Red-team prompts were answered by a local model, which \
         critiqued and revised its answers against the principles of a constitution; a feedback \
         model compared answers under comparison principles. Only records a reviewer approved \
         are here; a reviewer's edit replaces the final answer.\n",
        manifest.program_version,
        manifest.session,
        manifest.session_created_at,
        manifest.exported_at
    );
    usage(&mut out, manifest, dir_name);
    provenance(&mut out, manifest, constitution);
    judge_section(&mut out, manifest, judge);
    counts(&mut out, manifest);
    left_out(&mut out, manifest, notes);
    out
}

fn front_matter(out: &mut String, manifest: &ExportManifest) {
    out.push_str("---\n");
    let _ = writeln!(out, "pretty_name: {}", yaml_string(&manifest.session));
    out.push_str("tags:\n- constitutional-ai\n- synthetic\n- trl\nconfigs:\n");
    for (name, file) in written_configs(manifest) {
        let _ = writeln!(
            out,
            "- config_name: {name}\n  data_files:\n  - split: train\n    path: {file}"
        );
    }
    out.push_str("---\n\n");
}

/// The configurations whose file the export wrote.
fn written_configs(
    manifest: &ExportManifest,
) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    CONFIGS
        .iter()
        .copied()
        .filter(|(_, file)| manifest.files.contains_key(*file))
}

fn usage(out: &mut String, manifest: &ExportManifest, dir_name: &str) {
    out.push_str("## Load and train\n\n```python\nfrom datasets import load_dataset\n\n");
    for (name, file) in written_configs(manifest) {
        let what = if file == SFT_FILE {
            "TRL conversational: messages"
        } else {
            "TRL explicit-prompt pairs: prompt, chosen, rejected"
        };
        let _ = writeln!(
            out,
            "{name} = load_dataset({path:?}, \"{name}\", split=\"train\")  # {what}",
            path = dir_name
        );
    }
    let _ = writeln!(
        out,
        "```\n\n(`{dir_name:?}` is this directory seen from the one above it; give its path from \
         elsewhere.) With TRL {TRL_VERSION} installed, in this directory (the recipes name it \
         `{}`):\n\n```sh",
        recipes::dataset_name(dir_name)
    );
    if manifest.files.contains_key(SFT_FILE) {
        let _ = writeln!(out, "trl sft --config {SFT_RECIPE}");
    }
    if manifest.files.contains_key(PREFERENCES_FILE) {
        let _ = writeln!(
            out,
            "trl dpo --config {DPO_RECIPE}   # from the model {SFT_RECIPE} trained"
        );
    }
    out.push_str("```\n\n");
    match recipes::base_model(&manifest.policy_model) {
        Some(repo) => {
            let _ = writeln!(
                out,
                "The recipes start from `{repo}`, the transformers weights of the policy model.\n"
            );
        }
        None => out.push_str(
            "The policy model is a GGUF file: set `model_name_or_path` in the recipes to the \
             transformers model it was converted from.\n\n",
        ),
    }
}

fn provenance(out: &mut String, manifest: &ExportManifest, constitution: Option<&Constitution>) {
    let s = &manifest.settings;
    let c = &s.comparison;
    out.push_str("## How it was made\n\n| | |\n| --- | --- |\n");
    let mut row = |k: &str, v: String| {
        let _ = writeln!(out, "| {k} | {v} |");
    };
    row(
        "constitution",
        format!(
            "`{}` (sha256 `{}`)",
            manifest.constitution.name, manifest.constitution.sha256
        ),
    );
    if let Some(c) = constitution {
        let principles = c.principles.iter().filter(|p| p.enabled).map(|p| &p.id);
        let comparisons = c.comparisons.iter().filter(|p| p.enabled).map(|p| &p.id);
        row("critique/revision principles", id_list(principles));
        row("comparison principles", id_list(comparisons));
    }
    row("policy model", model(&manifest.policy_model));
    row("feedback model", model(&manifest.feedback_model));
    row("critique/revision rounds", s.rounds.to_string());
    row(
        "sampling",
        format!(
            "temperature {}, top-p {}, at most {} tokens an answer, {} a critique",
            s.temperature, s.top_p, s.max_response_tokens, s.max_critique_tokens
        ),
    );
    row(
        "comparisons",
        format!(
            "{}, {} principle(s) each, {}, candidates {}",
            serde_name(&c.mode),
            c.ensemble_size,
            if c.both_orders {
                "both option orders averaged"
            } else {
                "one option order"
            },
            serde_name(&c.candidates)
        ),
    );
    row("seed", manifest.seed.to_string());
    out.push('\n');
}

/// `a`, `b` as code, or "none".
fn id_list<'a>(ids: impl Iterator<Item = &'a String>) -> String {
    let ids: Vec<String> = ids.map(|id| format!("`{id}`")).collect();
    if ids.is_empty() {
        "none".to_string()
    } else {
        ids.join(", ")
    }
}

fn model(info: &ModelInfo) -> String {
    let name = match &info.sha256 {
        Some(sha) => format!("`{}` (sha256 `{sha}`)", info.id),
        None => format!("`{}`", info.id),
    };
    match &info.server {
        Some(server) => format!(
            "{name} on {} OpenAI-compatible endpoint(s) ({}; P(A) from the top {} logprobs)",
            server.endpoints.len(),
            server.continuation.name(),
            server.top_logprobs
        ),
        None => name,
    }
}

/// A settings enum as its name in the constitution file (`ensemble`, `initial-vs-revision`).
fn serde_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => "?".to_string(),
    }
}

/// What an eval of the session's feedback model with its constitution measured: its
/// directory, its set, and the row of the configuration the session's comparisons used.
#[derive(Debug, Clone)]
pub struct JudgeMeasured {
    pub dir: String,
    pub set: String,
    pub row: crate::eval::report::Row,
}

/// The eval to cite for `manifest`: the latest under `root` of the same feedback model and
/// constitution, and in it the configuration that matches the comparison settings (else the
/// first).
pub fn judge_measured(root: &std::path::Path, manifest: &ExportManifest) -> Option<JudgeMeasured> {
    let key = crate::pipeline::judge::model_key(&manifest.feedback_model);
    let (dir, saved) = crate::eval::latest_for(root, &key, &manifest.constitution.sha256)?;
    let c = &manifest.settings.comparison;
    let wanted = format!(
        "{}{}",
        serde_name(&c.mode),
        if c.both_orders { "" } else { "/one-order" }
    );
    let set = saved.report.sets.iter().find(|s| !s.configs.is_empty())?;
    let row = set
        .configs
        .iter()
        .find(|r| r.name == wanted)
        .or(set.configs.first())?
        .clone();
    Some(JudgeMeasured {
        dir: dir.display().to_string(),
        set: set.set.clone(),
        row,
    })
}

fn judge_section(out: &mut String, manifest: &ExportManifest, judge: Option<&JudgeMeasured>) {
    out.push_str("## How far the labels can be trusted\n\n");
    match judge {
        Some(j) => {
            let r = &j.row;
            let _ = writeln!(
                out,
                "The feedback model, with this constitution's comparison principles, was measured \
                 on {} known-answer questions of `{}` (`{}`, configuration `{}`): accuracy {} \
                 (95% interval; chance {:.2}), Brier {}, expected calibration error {} over 10 \
                 bins.{}",
                r.n,
                j.set,
                j.dir,
                r.name,
                crate::eval::markdown::rate_with_interval(r.accuracy.rate(), r.interval),
                r.chance,
                r.brier.map_or("-".into(), |b| format!("{b:.3}")),
                r.ece.map_or("-".into(), |e| format!("{e:.3}")),
                if r.interval.is_some_and(|(lo, _)| lo <= r.chance) {
                    " Its interval includes chance: treat its preference labels as no better \
                 than a coin toss."
                } else {
                    ""
                }
            );
        }
        None => {
            let _ = writeln!(
                out,
                "The feedback model's labels were not measured on known answers for this \
                 constitution (`cai eval`); a small model may be near chance."
            );
        }
    }
    match &manifest.settings.comparison.calibration {
        Some(cal) => {
            let _ = writeln!(
                out,
                "\nLabels are calibrated with temperature {:.4}, fitted on {} (feedback model \
                 `{}`).",
                cal.temperature, cal.fitted_on, cal.feedback_model
            );
        }
        None => out.push_str("\nLabels are the feedback model's probabilities, not calibrated.\n"),
    }
    out.push('\n');
}

fn counts(out: &mut String, manifest: &ExportManifest) {
    let n = &manifest.counts;
    let _ = writeln!(
        out,
        "## Counts\n\n{} approved records: {} SFT examples, {} AI-feedback pairs, {} \
         revision-over-initial pairs.\n\n| file | lines | sha256 |\n| --- | ---: | --- |",
        n.approved, n.sft, n.ai_feedback_pairs, n.revision_pairs
    );
    for (file, entry) in &manifest.files {
        let _ = writeln!(out, "| `{file}` | {} | `{}` |", entry.lines, entry.sha256);
    }
    out.push('\n');
}

fn left_out(out: &mut String, manifest: &ExportManifest, notes: &[String]) {
    out.push_str("## Left out\n\n");
    let mut lines: Vec<String> = notes.to_vec();
    if !manifest.skipped.is_empty() {
        lines.push(format!(
            "{} approved record(s) or pair(s) could not be exported; `manifest.json` \
             (`skipped`) says why for each.",
            manifest.skipped.len()
        ));
    }
    for (file, reasons) in &manifest.counts.excluded {
        let parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
        lines.push(format!(
            "Left out of `{file}` by the export's quality options (`--exclude`, \
             `--min-margin`): {}.",
            parts.join(", ")
        ));
    }
    if lines.is_empty() {
        lines.push("Nothing: every approved record is here.".to_string());
    }
    for line in lines {
        let _ = writeln!(out, "- {line}");
    }
}

/// `text` as a double-quoted YAML scalar.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_string())
}
