//! Prompt sets: JSONL, plain text, CSV (AdvBench layout) and Anthropic HH-RLHF transcripts.
//!
//! [`load_prompts`] picks a reader by extension: `.jsonl`/`.json` ([`json`]), `.csv`
//! ([`csv`]), anything else as text, one prompt per line. Every reader reports problems as a
//! [`PromptError`] at a 1-based line and column. Prompts get the id the file gives or one derived
//! from their text; a prompt repeated under the same id is kept once, and an empty set is an
//! error.

pub mod csv;
pub mod json;
pub mod text;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::data::Prompt;
pub use json::{first_human_turn, parse_prompt_line};

/// A problem in a prompt file, placed at a 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

impl fmt::Display for PromptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.reason
        )
    }
}

impl std::error::Error for PromptError {}

/// A problem found by a reader, before the file name is attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub reason: String,
}

impl Problem {
    pub(crate) fn new(line: usize, column: usize, reason: impl Into<String>) -> Self {
        Problem {
            line,
            column,
            reason: reason.into(),
        }
    }
}

/// A prompt with the place it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub prompt: Prompt,
    pub line: usize,
    pub column: usize,
}

/// The layouts a prompt file can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptFormat {
    /// JSON Lines or a JSON array: `{"prompt", "id"?, "category"?}` or HH-RLHF objects.
    Json,
    /// CSV with a `prompt` or `goal` column.
    Csv,
    /// One prompt per non-empty line; `#` starts a comment line.
    Text,
}

impl PromptFormat {
    /// The format implied by a file's extension (text unless `.jsonl`, `.json` or `.csv`).
    pub fn from_path(path: &Path) -> Self {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("jsonl" | "json") => PromptFormat::Json,
            Some("csv") => PromptFormat::Csv,
            _ => PromptFormat::Text,
        }
    }
}

/// Reads a prompt set, choosing the reader by extension.
pub fn load_prompts(path: &Path) -> Result<Vec<Prompt>, PromptError> {
    let at = |p: Problem| PromptError {
        file: path.to_path_buf(),
        line: p.line,
        column: p.column,
        reason: p.reason,
    };
    let bytes = std::fs::read(path)
        .map_err(|e| at(Problem::new(1, 1, format!("cannot read the file: {e}"))))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        let (line, column) = crate::data::LineIndex::new(valid).position(valid.len());
        at(Problem::new(line, column, "the file is not valid UTF-8"))
    })?;
    parse_prompts(text, PromptFormat::from_path(path)).map_err(at)
}

/// Parses prompt-set text of a given format: deduplicated, never empty.
pub fn parse_prompts(text: &str, format: PromptFormat) -> Result<Vec<Prompt>, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let located = match format {
        PromptFormat::Json => json::parse(text)?,
        PromptFormat::Csv => csv::parse(text)?,
        PromptFormat::Text => text::parse(text),
    };
    deduplicate(located)
}

/// The longest prompt a set may hold, in bytes. The default model's context is 8,192 tokens;
/// a prompt far past that is a mistake in the file (a missing line break, a pasted document),
/// caught here rather than after the model has loaded.
pub const MAX_PROMPT_BYTES: usize = 64 * 1024;

/// Keeps the first of prompts that share id and text; the same id on different texts is an
/// error (one of them would silently vanish otherwise). No prompts at all is an error too.
fn deduplicate(located: Vec<Located>) -> Result<Vec<Prompt>, Problem> {
    let mut first_line: HashMap<String, (usize, String)> = HashMap::new();
    let mut out = Vec::with_capacity(located.len());
    for l in located {
        if l.prompt.text.len() > MAX_PROMPT_BYTES {
            return Err(Problem::new(
                l.line,
                l.column,
                format!(
                    "the prompt is {} bytes long; prompts are limited to {MAX_PROMPT_BYTES} \
                     bytes (a missing line break?)",
                    l.prompt.text.len()
                ),
            ));
        }
        if let Some((line, text)) = first_line.get(&l.prompt.id) {
            if *text == l.prompt.text {
                continue;
            }
            return Err(Problem::new(
                l.line,
                l.column,
                format!(
                    "id `{}` is already used on line {line} by a different prompt",
                    l.prompt.id
                ),
            ));
        }
        first_line.insert(l.prompt.id.clone(), (l.line, l.prompt.text.clone()));
        out.push(l.prompt);
    }
    if out.is_empty() {
        return Err(Problem::new(1, 1, "the file holds no prompts"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(
            PromptFormat::from_path(Path::new("a.JSONL")),
            PromptFormat::Json
        );
        assert_eq!(
            PromptFormat::from_path(Path::new("a.json")),
            PromptFormat::Json
        );
        assert_eq!(
            PromptFormat::from_path(Path::new("advbench.csv")),
            PromptFormat::Csv
        );
        assert_eq!(
            PromptFormat::from_path(Path::new("list.txt")),
            PromptFormat::Text
        );
        assert_eq!(
            PromptFormat::from_path(Path::new("noext")),
            PromptFormat::Text
        );
    }

    #[test]
    fn duplicates_are_kept_once_and_conflicting_ids_rejected() {
        let text = "{\"prompt\": \"a\"}\n{\"prompt\": \"a\"}\n{\"prompt\": \"b\", \"id\": \"x\"}\n";
        let prompts = parse_prompts(text, PromptFormat::Json).unwrap();
        assert_eq!(prompts.len(), 2);
        assert_eq!(prompts[0].id, crate::data::prompt_id("a"));

        let text = "{\"prompt\": \"a\", \"id\": \"x\"}\n{\"prompt\": \"b\", \"id\": \"x\"}\n";
        let err = parse_prompts(text, PromptFormat::Json).unwrap_err();
        assert_eq!((err.line, err.column), (2, 1));
        assert!(
            err.reason.contains("already used on line 1"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn empty_sets_and_bad_files_are_errors_with_positions() {
        let err = parse_prompts("# only a comment\n\n", PromptFormat::Text).unwrap_err();
        assert_eq!(err.reason, "the file holds no prompts");

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.txt");
        std::fs::write(&path, b"fine\nab\xffcd\n").unwrap();
        let err = load_prompts(&path).unwrap_err();
        assert_eq!((err.line, err.column), (2, 3));
        assert!(err
            .to_string()
            .ends_with("bad.txt:2:3: the file is not valid UTF-8"));

        let err = load_prompts(&dir.path().join("missing.jsonl")).unwrap_err();
        assert_eq!((err.line, err.column), (1, 1));
        assert!(err.reason.starts_with("cannot read the file"));
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let prompts = parse_prompts("\u{feff}hello\n", PromptFormat::Text).unwrap();
        assert_eq!(prompts[0].text, "hello");
    }
}
