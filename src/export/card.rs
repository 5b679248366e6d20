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
