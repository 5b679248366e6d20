//! The few calls the workbench makes into the core (constitution parsing, prompt files, runs,
//! the session log, export), gathered here so the views depend on one small surface.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc::UnboundedSender;

use crate::constitution::Constitution;
use crate::pipeline::{PipelineEvent, Prompt, Record};
use crate::session::Review;

/// The loaded policy and feedback models.
pub type Models = crate::model::loader::LoadedModels;

/// A validation problem at a 1-based line and column of the constitution text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub field: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Parses and validates constitution text.
pub fn parse_constitution(text: &str) -> Result<Constitution, Vec<Problem>> {
    match toml::from_str::<Constitution>(text) {
        Ok(c) => {
            let problems = semantic_problems(&c);
            if problems.is_empty() {
                Ok(c)
            } else {
                Err(problems)
            }
        }
        Err(e) => {
            let (line, column) = e
                .span()
                .map(|span| line_col(text, span.start))
                .unwrap_or((1, 1));
            Err(vec![Problem {
                line,
                column,
                field: None,
                message: e.message().to_string(),
            }])
        }
    }
}

/// Checks the parser alone cannot make: non-empty, unique ids.
fn semantic_problems(c: &Constitution) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let ids = c
        .principles
        .iter()
        .map(|p| &p.id)
        .chain(c.comparisons.iter().map(|p| &p.id));
    for id in ids {
        if id.trim().is_empty() {
            problems.push(problem("a principle has an empty id".to_string()));
        } else if !seen.insert(id.clone()) {
            problems.push(problem(format!("principle id `{id}` is used twice")));
        }
    }
    problems
}

fn problem(message: String) -> Problem {
    Problem {
        line: 1,
        column: 1,
        field: None,
        message,
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The constitution as TOML text.
pub fn constitution_to_toml(c: &Constitution) -> String {
    toml::to_string_pretty(c).unwrap_or_else(|e| format!("# could not write TOML: {e}\n"))
}

/// Reads a prompt file: JSON Lines with a `prompt` (or `text`) field, or one prompt a line.
pub fn load_prompts(path: &Path) -> Result<Vec<Prompt>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut prompts = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.starts_with('{') {
            let value: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
            let text = value
                .get("prompt")
                .or_else(|| value.get("text"))
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("{}:{}: no `prompt` field", path.display(), i + 1))?;
            let category = value
                .get("category")
                .and_then(|v| v.as_str())
                .map(str::to_string);
            prompts.push(Prompt::new(text, category));
        } else {
            prompts.push(Prompt::new(line, None));
        }
    }
    Ok(prompts)
}

/// Controls a run in progress.
pub struct RunControl {
    cancel: tokio_util::sync::CancellationToken,
}

impl RunControl {
    /// Cancels one prompt of the run.
    pub fn cancel(&self, _prompt_id: &str) {
        self.cancel.cancel();
    }
    /// Cancels the whole run.
    pub fn cancel_all(&self) {
        self.cancel.cancel();
    }
}

/// Starts running prompts through critique/revision; progress arrives on `events`.
pub fn start_run(
    _models: Models,
    _constitution: Arc<Constitution>,
    _prompts: Vec<Prompt>,
    _session: &SessionLink,
    _events: UnboundedSender<PipelineEvent>,
) -> Result<RunControl, String> {
    Err("the pipeline runner is not part of this build yet".into())
}

/// Tries one principle on one prompt (initial response, critique, revision), streaming events.
pub fn start_try(
    _models: Models,
    _constitution: Arc<Constitution>,
    _principle_id: &str,
    _prompt: Prompt,
    _events: UnboundedSender<PipelineEvent>,
) -> Result<RunControl, String> {
    Err("trying a principle needs the pipeline, which is not part of this build yet".into())
}

/// The session the workbench writes to: records and review decisions.
#[derive(Default)]
pub struct SessionLink {
    pub dir: Option<PathBuf>,
    records: Vec<Record>,
    reviews: Vec<(String, Review)>,
}

impl SessionLink {
    /// Opens the session in `dir` if it exists, or prepares to create it on the first run.
    pub fn open_or_new(dir: &Path) -> Result<SessionLink, String> {
        Ok(SessionLink {
            dir: Some(dir.to_path_buf()),
            ..SessionLink::default()
        })
    }

    /// Records already in the session, in log order.
    pub fn records(&self) -> Vec<Record> {
        self.records.clone()
    }

    /// Review decisions already in the session.
    pub fn reviews(&self) -> Vec<(String, Review)> {
        self.reviews.clone()
    }

    /// Makes a review decision durable.
    pub fn set_review(&mut self, prompt_id: &str, review: &Review) -> Result<(), String> {
        self.reviews.push((prompt_id.to_string(), review.clone()));
        Ok(())
    }
}

/// What the export dialog asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportChoice {
    pub out: PathBuf,
    pub force: bool,
    pub sft: bool,
    pub preferences: bool,
    pub revision_pairs: bool,
}

/// How many rows each file would get, and the files written (after export).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportCounts {
    pub sft: usize,
    pub preferences: usize,
    pub revision_pairs: usize,
    pub skipped: usize,
    pub files: Vec<PathBuf>,
}

/// Counts what an export would write, without writing.
pub fn export_plan(_session: &SessionLink, _choice: &ExportChoice) -> Result<ExportCounts, String> {
    Err("export is not part of this build yet".into())
}

/// Writes the export files.
pub fn export(_session: &SessionLink, _choice: &ExportChoice) -> Result<ExportCounts, String> {
    Err("export is not part of this build yet".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_line_and_column() {
        let err = parse_constitution("name = \"x\"\n[[principles]]\nid = 3\n").unwrap_err();
        assert_eq!(err[0].line, 3);
        assert!(err[0].column >= 1);
    }

    #[test]
    fn duplicate_ids_are_reported() {
        let text = "name = \"x\"\n[[principles]]\nid = \"a\"\ncritique = \"c\"\nrevision = \"r\"\n\
                    [[principles]]\nid = \"a\"\ncritique = \"c\"\nrevision = \"r\"\n";
        let err = parse_constitution(text).unwrap_err();
        assert!(err[0].message.contains("twice"));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
    }
}
