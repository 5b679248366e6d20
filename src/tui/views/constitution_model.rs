//! The constitution being edited, apart from how it is drawn: the working copy, the text it
//! would save as, its problems, and the list operations (add, duplicate, delete, enable,
//! reorder). Saving is atomic and refused while the file would be invalid.

use std::path::PathBuf;

use crate::constitution::diagnostic::{Diagnostic, LineIndex};
use crate::constitution::{ComparisonPrinciple, Constitution, Principle, Settings};

/// Which list a principle is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Critique,
    Comparison,
}

/// The constitution being edited.
pub struct ConstitutionDoc {
    pub path: PathBuf,
    pub working: Constitution,
    /// The constitution as last saved or loaded (None if the file was missing or invalid).
    pub saved: Option<Constitution>,
    /// Problems of the file as it was loaded, if it did not parse.
    pub load_problems: Vec<Diagnostic>,
    /// The text the working copy would save as, and its problems.
    pub text: String,
    pub problems: Vec<Diagnostic>,
}

impl ConstitutionDoc {
    /// The document for a file's text (empty text means a new file).
    pub fn from_text(path: PathBuf, text: &str) -> ConstitutionDoc {
        let (working, saved, load_problems) = if text.trim().is_empty() {
            (empty_constitution(), None, Vec::new())
        } else {
            match crate::constitution::parse_constitution(text, None) {
                Ok(c) => (c.clone(), Some(c), Vec::new()),
                Err(problems) => (empty_constitution(), None, problems),
            }
        };
        let mut doc = ConstitutionDoc {
            path,
            working,
            saved,
            load_problems,
            text: String::new(),
            problems: Vec::new(),
        };
        doc.refresh();
        doc
    }

    /// Recomputes the text and problems after a change.
    pub fn refresh(&mut self) {
        self.text = crate::constitution::to_toml(&self.working);
        self.problems = crate::constitution::parse_constitution(&self.text, None)
            .err()
            .unwrap_or_default();
    }

    /// Unsaved changes.
    pub fn is_modified(&self) -> bool {
        self.saved.as_ref() != Some(&self.working)
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

    /// The TOML fragment of one principle, as shown in the editor.
    pub fn snippet(&self, row: usize) -> String {
        let text = match self.locate(row) {
            Some((Kind::Critique, i)) => self.working.principles.get(i).map(toml::to_string),
            Some((Kind::Comparison, i)) => self.working.comparisons.get(i).map(toml::to_string),
            None => None,
        };
        match text {
            Some(Ok(t)) => t,
            _ => String::new(),
        }
    }

    /// Replaces a principle by the edited fragment; problems are relative to the fragment.
    pub fn apply_snippet(&mut self, row: usize, snippet: &str) -> Result<(), Vec<Diagnostic>> {
        let to_problem = |e: toml::de::Error| {
            let (line, column) = e
                .span()
                .map(|s| LineIndex::new(snippet).position(s.start))
                .unwrap_or((1, 1));
            vec![Diagnostic {
                file: None,
                line,
                column,
                field: None,
                message: e.message().to_string(),
            }]
        };
        match self.locate(row) {
            Some((Kind::Critique, i)) => {
                let p: Principle = toml::from_str(snippet).map_err(to_problem)?;
                self.working.principles[i] = p;
            }
            Some((Kind::Comparison, i)) => {
                let p: ComparisonPrinciple = toml::from_str(snippet).map_err(to_problem)?;
                self.working.comparisons[i] = p;
            }
            None => return Ok(()),
        }
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
        let (kind, index) = self
            .locate(row)
            .map_or((Kind::Critique, self.working.principles.len()), |(k, i)| {
                (k, i + 1)
            });
        match kind {
            Kind::Critique => {
                let id = self.unique_id("new-principle");
                self.working.principles.insert(
                    index,
                    Principle {
                        id,
                        critique: "Identify specific ways in which the last response is harmful."
                            .into(),
                        revision: "Rewrite the response to remove the harmful content.".into(),
                        enabled: true,
                    },
                );
            }
            Kind::Comparison => {
                let id = self.unique_id("new-comparison");
                self.working.comparisons.insert(
                    index,
                    ComparisonPrinciple {
                        id,
                        question: "Which of these responses is less harmful?".into(),
                        enabled: true,
                    },
                );
            }
        }
        self.refresh();
        self.row_of(kind, index)
    }

    /// Duplicates a principle right after itself; returns the new row.
    pub fn duplicate(&mut self, row: usize) -> usize {
        let Some((kind, i)) = self.locate(row) else {
            return row;
        };
        match kind {
            Kind::Critique => {
                let mut p = self.working.principles[i].clone();
                p.id = self.unique_id(&format!("{}-copy", p.id));
                self.working.principles.insert(i + 1, p);
            }
            Kind::Comparison => {
                let mut p = self.working.comparisons[i].clone();
                p.id = self.unique_id(&format!("{}-copy", p.id));
                self.working.comparisons.insert(i + 1, p);
            }
        }
        self.refresh();
        row + 1
    }

    /// Deletes a principle; returns the row to select next.
    pub fn delete(&mut self, row: usize) -> usize {
        match self.locate(row) {
            Some((Kind::Critique, i)) => {
                self.working.principles.remove(i);
            }
            Some((Kind::Comparison, i)) => {
                self.working.comparisons.remove(i);
            }
            None => return row,
        }
        self.refresh();
        row.min(self.len().saturating_sub(1))
    }

    /// Flips a principle's enabled flag.
    pub fn toggle(&mut self, row: usize) {
        match self.locate(row) {
            Some((Kind::Critique, i)) => self.working.principles[i].enabled ^= true,
            Some((Kind::Comparison, i)) => self.working.comparisons[i].enabled ^= true,
            None => return,
        }
        self.refresh();
    }

    /// Moves a principle up (`-1`) or down (`1`) within its list; returns its new row.
    pub fn shift(&mut self, row: usize, up: bool) -> usize {
        let Some((kind, i)) = self.locate(row) else {
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
        match kind {
            Kind::Critique => self.working.principles.swap(i, j),
            Kind::Comparison => self.working.comparisons.swap(i, j),
        }
        self.refresh();
        self.row_of(kind, j)
    }

    /// The path and text to write for a save to `path`; refused while there are problems.
    pub fn save_request(&self, path: PathBuf) -> Result<(PathBuf, String), String> {
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
        if let Ok(c) = crate::constitution::parse_constitution(text, None) {
            self.saved = Some(c);
        }
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
mod tests {
    use super::*;

    const TEXT: &str = "name = \"t\"\n[settings.comparison]\nensemble_size = 1\n\n[[principles]]\nid = \"harm\"\ncritique = \"c\"\nrevision = \"r\"\n\n[[comparisons]]\nid = \"less-harm\"\nquestion = \"q\"\n";

    #[test]
    fn list_operations_keep_the_file_valid() {
        let mut doc = ConstitutionDoc::from_text(PathBuf::from("c.toml"), TEXT);
        assert!(!doc.is_modified());
        let row = doc.duplicate(0);
        assert_eq!(doc.summary(row).unwrap().1, "harm-copy");
        let row = doc.shift(row, true);
        assert_eq!(row, 0);
        doc.toggle(0);
        assert!(!doc.summary(0).unwrap().2);
        let added = doc.add(2);
        assert_eq!(doc.summary(added).unwrap().0, Kind::Comparison);
        assert!(doc.problems.is_empty(), "{:?}", doc.problems);
        assert!(doc.is_modified());
    }

    #[test]
    fn invalid_edit_reports_position_and_changes_nothing() {
        let mut doc = ConstitutionDoc::from_text(PathBuf::from("c.toml"), TEXT);
        let err = doc
            .apply_snippet(0, "id = \"harm\"\ncritique = \nrevision = \"r\"\n")
            .unwrap_err();
        assert_eq!(err[0].line, 2);
        assert!(!doc.is_modified());
    }

    #[test]
    fn save_is_refused_while_ids_clash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, TEXT).unwrap();
        let mut doc = ConstitutionDoc::from_text(path.clone(), TEXT);
        let copy = doc.duplicate(0);
        doc.apply_snippet(copy, "id = \"harm\"\ncritique = \"c\"\nrevision = \"r\"\n")
            .unwrap();
        assert!(!doc.problems.is_empty());
        assert!(doc.save().is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), TEXT);
        doc.apply_snippet(copy, "id = \"other\"\ncritique = \"c\"\nrevision = \"r\"\n")
            .unwrap();
        doc.save().unwrap();
        assert!(!doc.is_modified());
        assert!(std::fs::read_to_string(&path).unwrap().contains("other"));
    }
}
