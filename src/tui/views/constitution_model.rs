//! The constitution being edited, apart from how it is drawn: the file as a `toml_edit`
//! document edited in place (see [`crate::constitution::document`]), the constitution it reads
//! as, its problems, and the list operations (add, duplicate, delete, enable, reorder, edit a
//! principle's fields). Comments and layout survive; only what changed is rewritten. Saving is
//! refused while the file would be invalid, and a file that does not read as a constitution
//! opens read-only with its errors: it is never saved over.

use std::path::PathBuf;

use toml_edit::DocumentMut;

use crate::constitution::document::{self as tomldoc, List};
use crate::constitution::{ComparisonPrinciple, Constitution, Principle, Settings};
use crate::data::{Diagnostic, LineIndex};

/// Which list a principle is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Critique,
    Comparison,
}

impl Kind {
    fn list(self) -> List {
        match self {
            Kind::Critique => List::Principles,
            Kind::Comparison => List::Comparisons,
        }
    }
}

/// The text a new constitution file starts from.
const NEW_FILE: &str = "name = \"untitled\"\n";

/// The constitution being edited.
pub struct ConstitutionDoc {
    pub path: PathBuf,
    /// The file as a document; edits change it in place.
    document: DocumentMut,
    /// What the document reads as (the last shape that read, while an edit is under way).
    pub working: Constitution,
    /// The text as last saved or loaded (None for a new file).
    saved_text: Option<String>,
    /// Problems of the file as it was loaded, when it did not read as a constitution.
    pub load_problems: Vec<Diagnostic>,
    /// The text the document would save as, and its problems.
    pub text: String,
    pub problems: Vec<Diagnostic>,
    /// The file did not read as a constitution: shown with its errors, never edited or saved.
    read_only: bool,
}

impl ConstitutionDoc {
    /// The document for a file's text (empty text means a new file).
    pub fn from_text(path: PathBuf, text: &str) -> ConstitutionDoc {
        let mut doc = ConstitutionDoc {
            path,
            document: DocumentMut::new(),
            working: empty_constitution(),
            saved_text: None,
            load_problems: Vec::new(),
            text: String::new(),
            problems: Vec::new(),
            read_only: false,
        };
        if text.trim().is_empty() {
            doc.document = NEW_FILE.parse().unwrap_or_default();
            doc.refresh();
            return doc;
        }
        let readable = text
            .parse::<DocumentMut>()
            .ok()
            .zip(toml::from_str::<Constitution>(text).ok());
        match readable {
            Some((document, working)) => {
                doc.document = document;
                doc.working = working;
                doc.saved_text = Some(text.to_string());
                doc.refresh();
            }
            None => {
                doc.read_only = true;
                doc.text = text.to_string();
                doc.saved_text = Some(text.to_string());
                doc.load_problems = crate::constitution::parse_constitution(text, None)
                    .err()
                    .unwrap_or_default();
                doc.problems = doc.load_problems.clone();
            }
        }
        doc
    }

    /// Why nothing can be changed, when the file did not read as a constitution.
    pub fn read_only_reason(&self) -> Option<String> {
        self.read_only.then(|| {
            let first = self
                .load_problems
                .first()
                .map(|p| format!(" ({p})"))
                .unwrap_or_default();
            format!(
                "read-only: {} is not a valid constitution file{first}; fix it in a text editor and reopen it",
                self.path.display()
            )
        })
    }

    /// Recomputes the text, the constitution and the problems after a change.
    pub fn refresh(&mut self) {
        self.text = self.document.to_string();
        if let Ok(working) = toml::from_str::<Constitution>(&self.text) {
            self.working = working;
        }
        self.problems = crate::constitution::parse_constitution(&self.text, None)
            .err()
            .unwrap_or_default();
    }

    /// Unsaved changes.
    pub fn is_modified(&self) -> bool {
        self.saved_text.as_deref() != Some(self.text.as_str())
    }

    /// Number of principles of both kinds.
    pub fn len(&self) -> usize {
        self.working.principles.len() + self.working.comparisons.len()
    }

    /// No principles at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The kind and index within its list of list row `row`.
    pub fn locate(&self, row: usize) -> Option<(Kind, usize)> {
        let n = self.working.principles.len();
        if row < n {
            Some((Kind::Critique, row))
        } else if row < self.len() {
            Some((Kind::Comparison, row - n))
        } else {
            None
        }
    }

    fn row_of(&self, kind: Kind, index: usize) -> usize {
        match kind {
            Kind::Critique => index,
            Kind::Comparison => self.working.principles.len() + index,
        }
    }

    /// Kind, id and enabled flag of a row.
    pub fn summary(&self, row: usize) -> Option<(Kind, &str, bool)> {
        match self.locate(row)? {
            (Kind::Critique, i) => self
                .working
                .principles
                .get(i)
                .map(|p| (Kind::Critique, p.id.as_str(), p.enabled)),
            (Kind::Comparison, i) => self
                .working
                .comparisons
                .get(i)
                .map(|p| (Kind::Comparison, p.id.as_str(), p.enabled)),
        }
    }

    /// The TOML fields of one principle, as shown in the editor (with their comments).
    pub fn snippet(&self, row: usize) -> String {
        match self.locate(row) {
            Some((kind, i)) => tomldoc::fields_text(&self.document, kind.list(), i),
            None => String::new(),
        }
    }

    /// Replaces a principle's fields by the edited fragment; problems are relative to the
    /// fragment. Fields whose text did not change stay exactly as they were.
    pub fn apply_snippet(&mut self, row: usize, snippet: &str) -> Result<(), Vec<Diagnostic>> {
        let Some((kind, i)) = self.locate(row) else {
            return Ok(());
        };
        if self.read_only {
            return Ok(());
        }
        let problem = |span: Option<std::ops::Range<usize>>, message: &str| {
            let (line, column) = span
                .map(|s| LineIndex::new(snippet).position(s.start))
                .unwrap_or((1, 1));
            vec![Diagnostic {
                file: None,
                line,
                column,
                field: None,
                message: message.trim().to_string(),
            }]
        };
        let fragment: DocumentMut = snippet
            .parse()
            .map_err(|e: toml_edit::TomlError| problem(e.span(), e.message()))?;
        let shape = |e: toml::de::Error| problem(e.span(), e.message());
        match kind {
            Kind::Critique => drop(toml::from_str::<Principle>(snippet).map_err(shape)?),
            Kind::Comparison => {
                drop(toml::from_str::<ComparisonPrinciple>(snippet).map_err(shape)?)
            }
        }
        tomldoc::replace_fields(&mut self.document, kind.list(), i, &fragment);
        self.refresh();
        Ok(())
    }

    fn unique_id(&self, base: &str) -> String {
        let taken = |id: &str| {
            self.working.principles.iter().any(|p| p.id == id)
                || self.working.comparisons.iter().any(|p| p.id == id)
        };
        if !taken(base) {
            return base.to_string();
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|id| !taken(id))
            .unwrap_or_else(|| base.to_string())
    }

    /// Adds a new principle of the kind of `row` (critique when the list is empty) after it;
    /// returns the new row.
    pub fn add(&mut self, row: usize) -> usize {
        if self.read_only {
            return row;
        }
        let (kind, index) = self
            .locate(row)
            .map_or((Kind::Critique, self.working.principles.len()), |(k, i)| {
                (k, i + 1)
            });
        let table = match kind {
            Kind::Critique => tomldoc::principle_table(&Principle {
                id: self.unique_id("new-principle"),
                critique: "Identify specific ways in which the last response is harmful.".into(),
                revision: "Rewrite the response to remove the harmful content.".into(),
                enabled: true,
            }),
            Kind::Comparison => tomldoc::comparison_table(&ComparisonPrinciple {
                id: self.unique_id("new-comparison"),
                question: "Which of these responses is less harmful?".into(),
                enabled: true,
            }),
        };
        tomldoc::insert(&mut self.document, kind.list(), index, table);
        self.refresh();
        self.row_of(kind, index)
    }

    /// Duplicates a principle right after itself; returns the new row.
    pub fn duplicate(&mut self, row: usize) -> usize {
        let Some((kind, i)) = self.locate(row).filter(|_| !self.read_only) else {
            return row;
        };
        let Some((_, id, _)) = self.summary(row) else {
            return row;
        };
        let id = self.unique_id(&format!("{id}-copy"));
        let Some(original) = tomldoc::table(&self.document, kind.list(), i) else {
            return row;
        };
        let copy = tomldoc::copy_with_id(original, &id);
        tomldoc::insert(&mut self.document, kind.list(), i + 1, copy);
        self.refresh();
        row + 1
    }

    /// Deletes a principle; returns the row to select next.
    pub fn delete(&mut self, row: usize) -> usize {
        let Some((kind, i)) = self.locate(row).filter(|_| !self.read_only) else {
            return row;
        };
        tomldoc::remove(&mut self.document, kind.list(), i);
        self.refresh();
        row.min(self.len().saturating_sub(1))
    }

    /// Flips a principle's enabled flag.
    pub fn toggle(&mut self, row: usize) {
        let Some((kind, i, enabled)) = self
            .summary(row)
            .filter(|_| !self.read_only)
            .and_then(|(_, _, enabled)| self.locate(row).map(|(k, i)| (k, i, enabled)))
        else {
            return;
        };
        tomldoc::set_enabled(&mut self.document, kind.list(), i, !enabled);
        self.refresh();
    }

    /// Moves a principle up or down within its list; returns its new row.
    pub fn shift(&mut self, row: usize, up: bool) -> usize {
        let Some((kind, i)) = self.locate(row).filter(|_| !self.read_only) else {
            return row;
        };
        let len = match kind {
            Kind::Critique => self.working.principles.len(),
            Kind::Comparison => self.working.comparisons.len(),
        };
        let j = if up {
            i.checked_sub(1)
        } else {
            (i + 1 < len).then_some(i + 1)
        };
        let Some(j) = j else { return row };
        tomldoc::swap(&mut self.document, kind.list(), i, j);
        self.refresh();
        self.row_of(kind, j)
    }

    /// The path and text to write for a save to `path`; refused while there are problems or
    /// the file is read-only.
    pub fn save_request(&self, path: PathBuf) -> Result<(PathBuf, String), String> {
        if let Some(reason) = self.read_only_reason() {
            return Err(format!("not saved: {reason}"));
        }
        if let Some(first) = self.problems.first() {
            return Err(format!(
                "not saved: {} problem(s), first: {first}",
                self.problems.len()
            ));
        }
        Ok((path, self.text.clone()))
    }

    /// Notes that `text` is now on disk at `path` (which becomes the document's path);
    /// returns the status line.
    pub fn saved(&mut self, path: PathBuf, text: &str) -> String {
        self.saved_text = Some(text.to_string());
        self.load_problems.clear();
        self.path = path;
        format!("saved {}", self.path.display())
    }

    /// Saves to another path at once, on the calling thread (tests and tools).
    pub fn save_to(&mut self, path: PathBuf) -> Result<String, String> {
        let (path, text) = self.save_request(path)?;
        crate::fsutil::write_atomic(&path, text.as_bytes())
            .map_err(|e| format!("not saved: {}: {e}", path.display()))?;
        Ok(self.saved(path, &text))
    }

    /// Saves to the document's path at once (see [`ConstitutionDoc::save_to`]).
    pub fn save(&mut self) -> Result<String, String> {
        self.save_to(self.path.clone())
    }
}

fn empty_constitution() -> Constitution {
    Constitution {
        name: "untitled".into(),
        description: String::new(),
        settings: Settings::default(),
        principles: Vec::new(),
        comparisons: Vec::new(),
        examples: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
