//! Diagnostics: one problem in a constitution file, placed at a 1-based line and column so an
//! editor (or the TUI) can jump to it. [`LineIndex`] turns byte offsets from the TOML parser
//! into those positions.

use std::fmt;
use std::path::PathBuf;

/// One problem found while reading or validating a constitution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the text came from, when there was one.
    pub file: Option<PathBuf>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The path of the offending field, e.g. `principles[3].id`, when known.
    pub field: Option<String>,
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at the start of the file, for problems that have no better place
    /// (the file could not be read, a required table is missing altogether).
    pub fn at_start(file: Option<PathBuf>, message: impl Into<String>) -> Self {
        Diagnostic {
            file,
            line: 1,
            column: 1,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        write!(f, "{}:{}: ", self.line, self.column)?;
        if let Some(field) = &self.field {
            write!(f, "[{field}] ")?;
        }
        f.write_str(&self.message)
    }
}

/// Maps byte offsets in a text to 1-based (line, column) pairs, columns counted in characters.
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset at which each line starts.
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`.
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    /// The 1-based line and column of a byte offset; offsets past the end (or inside a
    /// character) are clamped to the nearest valid position before them.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let column = self.text[start..offset].chars().count() + 1;
        (line + 1, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_file_position_field_and_message() {
        let d = Diagnostic {
            file: Some(PathBuf::from("c.toml")),
            line: 4,
            column: 2,
            field: Some("principles[0].id".into()),
            message: "must not be empty".into(),
        };
        assert_eq!(
            d.to_string(),
            "c.toml:4:2: [principles[0].id] must not be empty"
        );
        let bare = Diagnostic {
            file: None,
            field: None,
            ..d
        };
        assert_eq!(bare.to_string(), "4:2: must not be empty");
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\nçd = 1\n\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(2), (1, 3));
        assert_eq!(index.position(3), (2, 1));
        // 'ç' is two bytes; 'd' is the second character of line 2.
        assert_eq!(index.position(5), (2, 2));
        assert_eq!(index.position(text.len() - 1), (4, 1));
        assert_eq!(index.position(10_000), (4, 2));
        // Inside the two-byte character: clamped back to its start.
        assert_eq!(index.position(4), (2, 1));
    }
}
